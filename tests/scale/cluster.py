"""Replicas of ``monitor serve --store redis://...`` as processes behind a real HAProxy.

The load balancer is Debian's ``haproxy`` (the bootstrap's test set installs it), started by the
test with a config written to its tmp dir: round robin, a health check every 200 ms so a killed
replica leaves the pool at once, ``option redispatch`` so a connect to a dead replica is retried
on another, and the SSE settings docs/deploy.md recommends (long tunnel timeout, no buffering:
HAProxy streams responses as they come unless compression is on).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.interop.procs import free_port
from tests.redis_server import end_process
from tests.server.test_process import Proc

__all__ = ["HAProxy", "haproxy_missing", "replicas"]

HAPROXY_CFG = """\
global
    maxconn 2000
defaults
    mode http
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    retries 3
    option redispatch
frontend monitor
    bind 127.0.0.1:{port}
    default_backend replicas
backend replicas
    balance roundrobin
    option httpchk GET /healthz
{servers}
"""


def haproxy_missing() -> str | None:
    """Why the load-balancer tests cannot run here, or None."""
    if shutil.which("haproxy") is None:
        return "haproxy is not installed (Debian package haproxy; the bootstrap's test set has it)"
    return None


class HAProxy:
    """``haproxy -db -f <tmp>/haproxy.cfg`` in front of ``backends`` (``http://127.0.0.1:port``)."""

    def __init__(self, directory: Path, backends: list[str]) -> None:
        """Write the config and start HAProxy; returns once every backend is up behind it."""
        self.port = free_port()
        servers = "\n".join(
            f"    server r{i} {url.removeprefix('http://')} check inter 200ms fall 1 rise 1"
            for i, url in enumerate(backends)
        )
        cfg = directory / "haproxy.cfg"
        cfg.write_text(HAPROXY_CFG.format(port=self.port, servers=servers), encoding="utf-8")
        self.proc = subprocess.Popen(
            ["haproxy", "-db", "-f", str(cfg)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 15
        with httpx.Client(base_url=self.url, timeout=2.0, trust_env=False) as client:
            seen = 0
            while seen < len(backends):  # round robin: n healthy answers in a row = all are in
                try:
                    ok = client.get("/healthz").status_code == 200
                except httpx.HTTPError:
                    ok = False
                seen = seen + 1 if ok else 0
                if time.monotonic() > deadline:
                    self.close()
                    raise AssertionError("haproxy did not come up")
                if not ok:
                    time.sleep(0.05)  # polling a process that is starting; bounded by the deadline

    def close(self) -> None:
        """Stop HAProxy."""
        end_process(self.proc, graceful=True)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


@contextlib.contextmanager
def replicas(
    directory: Path, store: str, prefix: str, n: int, *, env: dict[str, str] | None = None
) -> Iterator[list[Proc]]:
    """``n`` replicas of ``monitor serve --store store`` sharing the key prefix ``prefix``."""
    started: list[Proc] = []
    try:
        for i in range(n):
            started.append(
                Proc(
                    directory / f"unused{i}.sqlite3",
                    "--store",
                    store,
                    env={
                        "MONITOR_SERVER_STORE_PREFIX": prefix,
                        "MONITOR_SERVER_HEARTBEAT_INTERVAL_MS": "60000",
                        **(env or {}),
                    },
                )
            )
        yield started
    finally:
        for p in started:
            if p.popen.poll() is None:
                p.kill()
            else:
                p.close()
