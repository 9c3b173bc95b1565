"""Shared helpers for the server benchmarks (``bench/bench_server_*.py``) and ``tests/perf``.

Three pieces:

* **Server under test, in its own process.** ``python bench/_common.py serve --kind monitor|starlette``
  runs either the reference server (``monitor.server.create_app`` with an in-memory log) or the
  baseline, *the common sse-starlette recipe* (one ``asyncio.Queue`` per stream, an
  ``EventSourceResponse`` over an async generator, a list for replay), both on uvicorn with the
  same settings. It prints ``{"port": P}`` and then answers JSON commands on stdin (one per line):
  task count, publish now, publish at a rate, prefill the replay log. Publishing happens inside
  the server process, so both servers pay exactly the same cost to *receive* a publish (none) and
  we measure only the stream side. :class:`ServerProc` drives it.
* **Cheap clients.** :class:`StreamProto` is a raw ``asyncio.Protocol`` SSE reader (no HTTP
  library): it counts ``bench`` events and, on demand, records publish-to-receive latency from
  the ``t`` stamp in each payload (``time.monotonic`` is system wide on Linux, so stamps compare
  across processes).
* **Client shards.** :class:`Shard` runs a client process holding a slice of the streams, so
  the file-descriptor budget (hard ``RLIMIT_NOFILE`` ~20,000 here) is per process and the client
  load spreads over the cores.

Stats helpers print median/min/max and ratios; :func:`machine_info` names the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import multiprocessing
import multiprocessing.connection
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "EVENT",
    "ROOT",
    "ServerProc",
    "Shard",
    "StreamProto",
    "cpu_seconds",
    "machine_info",
    "open_streams",
    "percentile",
    "raise_nofile",
    "ratio_line",
    "rss_kb",
    "summary",
    "wait_for_counts",
]

ROOT = Path(__file__).resolve().parent.parent
#: SSE event type of every benchmark event.
EVENT = "bench"
_PAD = "x" * 150  # ~200-byte JSON payloads, as in the planning measurements


# ---------------------------------------------------------------------------- machine / stats


def raise_nofile() -> int:
    """Raise the soft open-file limit to the hard limit; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def machine_info() -> str:
    """One line: cores, CPU model, Python, uvicorn, sse-starlette, HTTP implementation, fd limit."""
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = []
    for mod in ("uvicorn", "starlette", "sse_starlette"):
        try:
            from importlib.metadata import version

            versions.append(f"{mod} {version(mod.replace('_', '-'))}")
        except Exception:  # noqa: BLE001 - a missing package is reported, not fatal
            versions.append(f"{mod} missing")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return (
        f"machine: nproc {os.cpu_count()}, {model}, Python {platform.python_version()}, "
        f"{', '.join(versions)}, uvicorn http {os.environ.get('BENCH_UVICORN_HTTP', 'h11')}, "
        f"nofile {soft}/{hard}"
    )


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def summary(values: Sequence[float], fmt: str = "{:.1f}") -> str:
    """``median X (min A, max B, n N)``."""
    return (
        f"median {fmt.format(statistics.median(values))} (min {fmt.format(min(values))}, "
        f"max {fmt.format(max(values))}, n {len(values)})"
    )


def ratio_line(
    name: str, ours: float, base: float, *, higher_is_better: bool, baseline: str = "sse-starlette"
) -> str:
    """``RATIO name: X.XXx better/worse than the <baseline> baseline`` (> 1 means ours is better)."""
    r = ours / base if higher_is_better else base / ours
    return f"RATIO {name}: {r:.2f}x ({'better' if r >= 1 else 'worse'} than the {baseline} baseline)"


def rss_kb(pid: int) -> int:
    """Resident set size of ``pid`` in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` (10 ms resolution)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------- server process


def _payload(i: int) -> str:
    return json.dumps({"t": time.monotonic(), "i": i, "pad": _PAD}, separators=(",", ":"))


def _monitor_app() -> tuple[Any, Any]:
    from monitor.server.app import create_app
    from monitor.server.config import load_config

    # In-memory log (the SQLite log is measured elsewhere), a connection cap above the bench;
    # MONITOR_SERVER_* env variables still apply (e.g. to vary the keep-alive interval).
    config = load_config(overrides={"db": ":memory:", "max_connections": 50_000, "log_level": "warning"})
    app = create_app(config)
    hub = app.hub

    def publish(data: str, target: str | None) -> None:
        hub.publish_nowait(EVENT, data, target=target)

    def streams() -> int:
        return len(hub)

    def head() -> str | None:
        return hub.log.last_id

    stash: dict[str, Any] = {}

    def direct(on: bool) -> int:
        # Same-run A/B of the hub's direct write (docs/performance-server.md, "Single server"):
        # off = every delivery is queued and wakes the stream's coroutine, as before it.
        for conn in hub.connections():
            if on:
                conn.direct = stash.pop(conn.connection_id, conn.direct)
            elif conn.direct is not None:
                stash[conn.connection_id] = conn.direct
                conn.direct = None
        return len(stash)

    return app, {"publish": publish, "streams": streams, "head": head, "direct": direct}


def _starlette_app() -> tuple[Any, Any]:
    """The common sse-starlette recipe: a queue per stream, a generator, ``EventSourceResponse``."""
    from sse_starlette.sse import EventSourceResponse
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.routing import Route

    queues: dict[asyncio.Queue[dict[str, str]], str] = {}
    history: list[str] = []  # replay log: index = event id

    async def stream(request: Request) -> EventSourceResponse:
        client = request.headers.get("x-client-id", "")
        last = request.headers.get("last-event-id")
        queue: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        queues[queue] = client  # subscribe before replay, as any correct recipe must
        start = len(history)

        async def gen() -> Any:
            try:
                if last is not None:
                    for i in range(int(last) + 1, start):
                        yield {"id": str(i), "event": EVENT, "data": history[i]}
                while True:
                    yield await queue.get()
            finally:
                queues.pop(queue, None)

        return EventSourceResponse(gen(), ping=15)

    def publish(data: str, target: str | None) -> None:
        history.append(data)
        item = {"id": str(len(history) - 1), "event": EVENT, "data": data}
        for queue, client in list(queues.items()):
            if target is None or client == target:
                queue.put_nowait(item)

    def head() -> str | None:
        return str(len(history) - 1) if history else None

    app = Starlette(routes=[Route("/api/tasks/stream", stream)])
    return app, {"publish": publish, "streams": lambda: len(queues), "head": head}


async def _serve(kind: str) -> None:
    import socket

    import uvicorn

    raise_nofile()
    if os.environ.get("BENCH_GC_DISABLE"):
        gc.disable()  # diagnostic only: shows what the cyclic GC costs during fan-out
    app, ops = _monitor_app() if kind == "monitor" else _starlette_app()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)
    # Identical uvicorn settings for both servers; h11 + asyncio unless BENCH_UVICORN_HTTP names
    # another HTTP implementation (e.g. "httptools", to measure what it would gain).
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="on",
        backlog=4096,
        timeout_graceful_shutdown=1,
        http=os.environ.get("BENCH_UVICORN_HTTP", "h11"),
    )
    if kind == "monitor":
        from monitor.server.runner import MonitorServer  # drains streams with `shutdown` on exit

        server: uvicorn.Server = MonitorServer(config)
    else:
        server = uvicorn.Server(config)
    serving = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    while not server.started:
        if serving.done():
            await serving
            return
        await asyncio.sleep(0.01)  # uvicorn offers no started event; bounded by the caller's timeout
    print(json.dumps({"port": sock.getsockname()[1], "pid": os.getpid()}), flush=True)
    loop = asyncio.get_running_loop()
    freezer = None
    if os.environ.get("BENCH_GC_FREEZE"):
        # Diagnostic for a proposed server change: move long-lived objects (connections) out of
        # the collected generations once a second, as a hub timer tick would.
        async def freeze() -> None:
            while True:
                await asyncio.sleep(1.0)
                gc.freeze()

        freezer = loop.create_task(freeze())
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            cmd = json.loads(line)
            reply = await _command(cmd, ops)
            print(json.dumps(reply), flush=True)
            if cmd["op"] == "quit":
                break
    finally:
        if freezer is not None:
            freezer.cancel()
        server.should_exit = True
        await serving


async def _command(cmd: dict[str, Any], ops: dict[str, Callable[..., Any]]) -> dict[str, Any]:
    op = cmd["op"]
    if op == "tasks":
        gc.collect()  # also with BENCH_GC_DISABLE: an explicit collect still runs
        return {"tasks": len(asyncio.all_tasks()), "streams": ops["streams"]()}
    if op == "publish":  # n broadcast (or targeted) events in one loop step
        targets = cmd.get("targets")
        for i in range(cmd.get("n", 1)):
            ops["publish"](_payload(i), targets[i % len(targets)] if targets else None)
        return {"ok": True}
    if op == "prefill":  # n events nobody is connected for; returns the cursor before them
        before = ops["head"]()
        for i in range(cmd["n"]):
            ops["publish"](_payload(i), None)
        return {"cursor": before, "head": ops["head"]()}
    if op == "rate":  # paced publishing: `rate` events/s for `seconds`, round-robin targets or broadcast
        loop = asyncio.get_running_loop()
        targets = cmd["targets"]
        rate, seconds = cmd["rate"], cmd["seconds"]
        start = loop.time()
        sent = 0
        total = int(rate * seconds)
        while sent < total:
            due = min(total, int((loop.time() - start) * rate) + 1)
            while sent < due:
                ops["publish"](_payload(sent), targets[sent % len(targets)] if targets else None)
                sent += 1
            # Pacing, not synchronisation: wake every millisecond to publish what is due.
            await asyncio.sleep(0.001)
        return {"published": sent, "elapsed": loop.time() - start}
    if op == "direct" and "direct" in ops:  # the monitor server's direct write on or off
        return {"stashed": ops["direct"](cmd["on"])}
    if op == "quit":
        return {"ok": True}
    return {"error": f"unknown op {op!r}"}


class ServerProc:
    """A server under test in its own process; a context manager."""

    def __init__(self, kind: str, *, timeout: float = 20.0) -> None:
        """Start ``kind`` ('monitor' or 'starlette') and wait for its port.

        Raises:
            RuntimeError: If the server does not report a port within ``timeout``.
        """
        self.kind = kind
        extra = os.environ.get("PYTHONPATH")
        env = dict(os.environ, PYTHONPATH=str(ROOT) + (os.pathsep + extra if extra else ""))
        # Server stderr goes to a file (shutdown noise from cancelled streams is expected) and is
        # shown when the server fails.
        self.stderr = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "serve", "--kind", kind],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self.timeout = timeout
        hello = self._read(timeout)
        self.port: int = hello["port"]
        self.pid: int = self.proc.pid

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        # A blocking readline with a deadline: the pipe is polled, so a dead server cannot hang us.
        import select

        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                self.stderr.seek(0)
                tail = self.stderr.read()[-2000:]
                self.close()
                raise RuntimeError(
                    f"{self.kind} server did not answer (exit {self.proc.returncode}):\n{tail}"
                )
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                line = self.proc.stdout.readline()
                if line.startswith("{"):
                    return json.loads(line)  # type: ignore[no-any-return]

    def call(self, op: str, timeout: float | None = None, **args: Any) -> dict[str, Any]:
        """Send one command and return the server's JSON reply."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.proc.stdin.flush()
        return self._read(timeout or self.timeout)

    def rss_kb(self) -> int:
        """Server RSS in KiB."""
        return rss_kb(self.pid)

    def cpu(self) -> float:
        """Server CPU seconds so far."""
        return cpu_seconds(self.pid)

    def kill(self) -> None:
        """End the server at once (SIGKILL), for when its shutdown is not under test."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.close()

    def close(self) -> None:
        """Ask the server to quit; kill it if it does not within 5 s."""
        if self.proc.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                assert self.proc.stdin is not None
                self.proc.stdin.write('{"op": "quit"}\n')
                self.proc.stdin.flush()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for stream in (self.proc.stdin, self.proc.stdout, self.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def __enter__(self) -> ServerProc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------- clients


class StreamProto(asyncio.Protocol):
    """A raw SSE reader for one stream: counts ``bench`` events, optionally records latency."""

    def __init__(self, *, record: bool = False) -> None:
        """Create a reader; ``record`` keeps (receive - publish) seconds for each event."""
        self.opened = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.header_done = False
        self.count = 0
        self.last_id = b""
        self.last_at = 0.0
        self.record = record
        self.latencies: list[float] = []
        self.changed: Callable[[], None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        buf = self.buf + data
        if not self.header_done:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buf = buf
                return
            status = buf[:end].split(b"\r\n", 1)[0]
            self.header_done = True
            if not self.opened.done():
                if b" 200 " in status:
                    self.opened.set_result(None)
                else:
                    self.opened.set_exception(RuntimeError(status.decode("latin-1")))
            buf = buf[end + 4 :]
        if b"\r" in buf:
            # sse-starlette ends lines with CRLF (and chunked encoding adds CRLF anyway); a CR
            # left at the end of the buffer is completed by the next read before this runs again.
            buf = buf.replace(b"\r\n", b"\n")
        *frames, self.buf = buf.split(b"\n\n")
        hit = False
        for frame in frames:
            if b"event: " + EVENT.encode() not in frame:
                continue
            hit = True
            self.count += 1
            self.last_at = now
            i = frame.find(b"id: ")
            if i >= 0:
                self.last_id = frame[i + 4 : frame.index(b"\n", i)].strip()
            if self.record:
                d = frame.find(b"data: ")
                end = frame.find(b"\n", d)
                payload = json.loads(frame[d + 6 : end if end >= 0 else None])
                self.latencies.append(now - payload["t"])
        if hit and self.changed is not None:
            self.changed()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed before the response"))
        if not self.closed.done():
            self.closed.set_result(None)


async def open_streams(
    port: int,
    n: int,
    *,
    prefix: str = "c",
    record: bool = False,
    batch: int = 200,
    last_event_id: str | None = None,
) -> list[StreamProto]:
    """Open ``n`` streams (client ids ``{prefix}{i}``) in batches; wait for each 200 response."""
    loop = asyncio.get_running_loop()
    out: list[StreamProto] = []

    async def one(i: int) -> StreamProto:
        _, proto = await loop.create_connection(lambda: StreamProto(record=record), "127.0.0.1", port)
        extra = f"Last-Event-ID: {last_event_id}\r\n" if last_event_id is not None else ""
        assert proto.transport is not None
        proto.transport.write(
            f"GET /api/tasks/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Client-Id: {prefix}{i}\r\n"
            f"Accept: text/event-stream\r\n{extra}\r\n".encode()
        )
        await asyncio.wait_for(proto.opened, 30)
        return proto

    for start in range(0, n, batch):
        out += await asyncio.gather(*(one(i) for i in range(start, min(n, start + batch))))
    return out


async def wait_for_counts(streams: Sequence[StreamProto], k: int, *, timeout: float) -> int:
    """Wait until every stream has seen ``k`` events or ``timeout`` passes; return how many did."""
    loop = asyncio.get_running_loop()
    progress = asyncio.Event()
    for s in streams:
        s.changed = progress.set
    deadline = loop.time() + timeout
    try:
        while any(s.count < k for s in streams) and loop.time() < deadline:
            progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(progress.wait(), max(0.0, deadline - loop.time()))
    finally:
        for s in streams:
            s.changed = None
    return sum(1 for s in streams if s.count >= k)


async def close_streams(streams: Sequence[StreamProto]) -> None:
    """Close every stream and wait until the transports are gone."""
    for s in streams:
        if s.transport is not None:
            s.transport.close()
    if streams:
        await asyncio.wait_for(asyncio.gather(*(s.closed for s in streams)), 30)


def _shard_main(
    pipe: multiprocessing.connection.Connection, port: int, n: int, prefix: str, record: bool
) -> None:
    raise_nofile()
    asyncio.run(_shard(pipe, port, n, prefix, record))


async def _shard(
    pipe: multiprocessing.connection.Connection, port: int, n: int, prefix: str, record: bool
) -> None:
    loop = asyncio.get_running_loop()
    streams: list[StreamProto] = []
    try:
        streams = await open_streams(port, n, prefix=prefix, record=record)
        pipe.send({"opened": len(streams)})
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails loudly
        pipe.send({"error": repr(exc)})
        return
    try:
        while True:
            cmd = await loop.run_in_executor(None, pipe.recv)
            op = cmd["op"]
            if op == "wait_count":  # every stream has seen >= k events
                k = cmd["k"]
                await wait_for_counts(streams, k, timeout=cmd["timeout"])
                done = [s for s in streams if s.count >= k]
                pipe.send(
                    {
                        "done": len(done),
                        "last_at": max((s.last_at for s in done), default=0.0),
                        "counts": sum(s.count for s in streams),
                    }
                )
            elif op == "latencies":
                lat = [x for s in streams for x in s.latencies]
                for s in streams:
                    s.latencies.clear()
                pipe.send({"latencies": lat, "counts": sum(s.count for s in streams)})
            elif op == "close":
                await close_streams(streams)
                pipe.send({"closed": True})
                return
    finally:
        for s in streams:
            if s.transport is not None:
                s.transport.close()


class Shard:
    """A client process holding ``n`` streams to ``port``."""

    def __init__(self, port: int, n: int, *, prefix: str = "c", record: bool = False) -> None:
        """Fork the process; call :meth:`wait_open` next."""
        ctx = multiprocessing.get_context("fork")
        self.pipe, child = ctx.Pipe()
        self.proc = ctx.Process(target=_shard_main, args=(child, port, n, prefix, record), daemon=True)
        self.proc.start()
        child.close()

    def recv(self, timeout: float = 60.0) -> dict[str, Any]:
        """Next reply from the shard.

        Raises:
            RuntimeError: On timeout or a shard error.
        """
        if not self.pipe.poll(timeout):
            raise RuntimeError("client shard did not answer")
        reply: dict[str, Any] = self.pipe.recv()
        if "error" in reply:
            raise RuntimeError(f"client shard failed: {reply['error']}")
        return reply

    def send(self, op: str, **args: Any) -> None:
        """Send one command."""
        self.pipe.send({"op": op, **args})

    def close(self) -> None:
        """Close the streams and end the process."""
        if self.proc.is_alive():
            with contextlib.suppress(OSError, RuntimeError, EOFError):
                self.send("close")
                self.recv(30)
            self.proc.join(10)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join(5)
        self.pipe.close()


def open_shards(port: int, total: int, shards: int, *, record: bool = False) -> list[Shard]:
    """Spread ``total`` streams over ``shards`` processes (client ids ``s{k}c{i}``) and wait."""
    per = [total // shards + (1 if k < total % shards else 0) for k in range(shards)]
    out = [Shard(port, n, prefix=f"s{k}c", record=record) for k, n in enumerate(per)]
    try:
        for s in out:
            s.recv(120)
    except BaseException:
        for s in out:
            s.close()
        raise
    return out


def client_ids(total: int, shards: int) -> list[str]:
    """The client ids :func:`open_shards` uses, in the same order."""
    per = [total // shards + (1 if k < total % shards else 0) for k in range(shards)]
    return [f"s{k}c{i}" for k, n in enumerate(per) for i in range(n)]


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "serve" and sys.argv[2] == "--kind":
        sys.path.insert(0, str(ROOT))
        asyncio.run(_serve(sys.argv[3]))
    else:
        sys.exit("usage: python bench/_common.py serve --kind monitor|starlette")
