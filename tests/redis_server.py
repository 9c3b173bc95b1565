"""A real ``redis-server`` on 127.0.0.1 for tests (Debian's ``redis-server``, installed by the
bootstrap's test set), and the pytest fixtures built on it.

Without ``redis-server`` or redis-py the Redis tests skip with the reason; the SQLite and memory
tests run regardless.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.procs import free_port

__all__ = ["RedisServer", "end_process", "fresh_prefix", "redis_missing", "redis_server", "redis_url"]


def redis_missing() -> str | None:
    """Why Redis tests cannot run here, or None."""
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (Debian package redis-server; the bootstrap's test set has it)"
    try:
        import redis  # noqa: F401
    except ImportError:
        return "redis-py is not installed (pip install -e '.[redis]')"
    return None


def end_process(proc: subprocess.Popen[bytes], *, graceful: bool) -> None:
    """SIGTERM (``graceful``; SIGKILL after 10 s) or SIGKILL at once, then reap ``proc``."""
    if proc.poll() is not None:
        return
    if graceful:
        proc.terminate()
        try:
            proc.wait(10)
            return
        except subprocess.TimeoutExpired:
            pass
    proc.kill()
    proc.wait(10)


class RedisServer:
    """One ``redis-server`` process in a temporary directory (AOF optional), restartable."""

    def __init__(self, directory: Path, *, appendonly: bool = False, appendfsync: str = "everysec") -> None:
        """Prepare (not start) a server on a free loopback port."""
        self.directory = directory
        self.port = free_port()
        self.appendonly = appendonly
        self.appendfsync = appendfsync
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the process and wait until it answers PING (10 s at most)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [
            "redis-server",
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", self.appendfsync,
            "--daemonize", "no",
            "--protected-mode", "yes",
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        try:
            while True:
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    if self.proc.poll() is not None or time.monotonic() > deadline:
                        log = (self.directory / "redis.log").read_text(errors="replace")[-2000:]
                        raise RuntimeError(f"redis-server did not start: {log}") from None
                    time.sleep(0.02)  # polling a process that is starting; bounded by the deadline
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL the process (a crash: no final fsync) and reap it."""
        if self.proc is not None:
            end_process(self.proc, graceful=False)
        self.proc = None

    def stop(self) -> None:
        """SIGTERM (a clean shutdown: Redis fsyncs its AOF) and reap it."""
        if self.proc is not None:
            end_process(self.proc, graceful=True)
        self.proc = None


@contextlib.contextmanager
def running_redis(directory: Path, **kw: object) -> Iterator[RedisServer]:
    """A started :class:`RedisServer`, stopped afterwards."""
    server = RedisServer(directory, **kw)  # type: ignore[arg-type]
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One Redis for the session (each test uses its own key prefix); skips without Redis."""
    reason = redis_missing()
    if reason is not None:
        pytest.skip(reason)
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session Redis's URL."""
    return redis_server.url


def fresh_prefix() -> str:
    """A key prefix no other test uses (one Redis serves the session)."""
    return "{t" + secrets.token_hex(5) + "}"
