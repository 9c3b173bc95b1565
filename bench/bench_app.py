"""The whole app under a steady 1,000 events/s into 10,000 tasks: CPU share and main-thread stalls.

The real :class:`monitor.app.DesktopApp` (window, table, tray controller, notifier, SSEService,
command service) runs offscreen in this process on its qasync loop, connected to a paced
loopback server in a subprocess (``--serve``), so the server's CPU is not counted. The server
answers ``GET /api/tasks`` with a snapshot of 10,000 running tasks and ``GET /api/tasks/stream``
with events at the rate it is told on stdin (``rate N``): 90 % ``task_progress`` and 10 %
``task_updated`` (full task), spread round-robin over all tasks, written every 10 ms with
catch-up pacing against a monotonic clock (so timer drift does not lower the rate).

Per round, two windows on the same running app:

* ``idle`` (baseline): connected, 10,000 tasks, no events (``rate 0``).
* ``load``: ``rate 1000`` for ``--window`` seconds (default 20 s).

Measured in each window: process CPU time / wall time (``time.process_time``, all threads), the
events the app actually applied (``SSEService`` stats), and the longest main-thread stall, seen by
a 1 ms ``Qt.PreciseTimer`` probe as (longest gap between ticks - 1 ms). The probe runs in both
windows, so its own cost is part of the idle baseline.

Run: ``.venv/bin/python bench/bench_app.py [--rounds 5] [--window 20] [--rate 1000] [--tasks 10000]``
(5 x (20 + 3) s plus start-up: about 2 minutes.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["main", "make_desktop"]

_T0 = 1_790_000_000.0


def _task(i: int, progress: float) -> dict[str, Any]:
    return {
        "id": f"job-{i:06d}",
        "name": f"interview-{i:06d}.wav",
        "kind": "transcribe",
        "state": "running",
        "progress": progress,
        "stage": "transcribing",
        "eta": 120.0,
        "created_at": _T0 + i,
        "started_at": _T0 + i + 1,
        "updated_at": _T0 + i + 2,
        "attempt": 1,
        "worker": "gpu-1",
        "metadata": {"language": "en", "minutes": i % 90},
    }


# ---------------------------------------------------------------------- the paced server


def _serve(tasks: int) -> None:
    from monitor.core.protocol import encode_frame

    snapshot = json.dumps({"tasks": [_task(i, 0.0) for i in range(tasks)], "cursor": "e1-0", "epoch": "e1"})
    state = {"rate": 0.0}

    def response(status: bytes, ctype: bytes, payload: bytes) -> bytes:
        return (
            b"HTTP/1.1 " + status + b"\r\ncontent-type: " + ctype + b"\r\n"
            b"content-length: " + str(len(payload)).encode() + b"\r\nconnection: close\r\n\r\n" + payload
        )

    async def stream(writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-store\r\n"
            b"connection: close\r\n\r\nretry: 60000\n\n"
        )
        seq = sent = 0
        rate, since = state["rate"], time.monotonic()
        last_beat = since
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            if state["rate"] != rate:  # re-base the pacing on every rate change
                rate, since, sent = state["rate"], now, 0
            due = int((now - since) * rate) - sent
            out = []
            for _ in range(due):
                seq += 1
                i = seq % tasks
                if seq % 10 == 0:
                    etype, data = "task_updated", json.dumps({"task": _task(i, float(seq % 100))})
                else:
                    etype = "task_progress"
                    progress = {"id": f"job-{i:06d}", "progress": float(seq % 100), "stage": "transcribing"}
                    data = json.dumps(progress | {"eta": 42.5, "at": _T0 + seq})
                out.append(encode_frame(etype, data, id=f"e1-{seq}"))
            sent += max(due, 0)
            if now - last_beat > 5:  # keep the app's watchdog happy while idle
                out.append(b":\n\n")
                last_beat = now
            if out:
                writer.write(b"".join(out))
                await writer.drain()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await reader.readline()
            while (await reader.readline()) not in (b"\r\n", b""):
                pass
            parts = request.split()
            path = parts[1].split(b"?")[0] if len(parts) > 1 else b"/"
            if parts and parts[0] == b"GET" and path == b"/api/tasks/stream":
                await stream(writer)
            elif parts and parts[0] == b"GET" and path == b"/api/tasks":
                writer.write(response(b"200 OK", b"application/json", snapshot.encode()))
            else:
                writer.write(response(b"404 Not Found", b"application/json", b'{"error":"not here"}'))
            await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass  # the app closing its stream at the end is normal
        finally:
            writer.close()

    async def run() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
        loop = asyncio.get_running_loop()
        while line := await loop.run_in_executor(None, sys.stdin.readline):  # EOF: the bench is done
            cmd = line.split()
            if cmd and cmd[0] == "rate":
                state["rate"] = float(cmd[1])
                print(f"OK rate {state['rate']:g}", flush=True)
        server.close()

    asyncio.run(run())


class _Server:
    def __init__(self, tasks: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--tasks", str(tasks)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port = int(self.lines.get(timeout=60).split()[1])

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())

    async def set_rate(self, rate: float) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"rate {rate:g}\n")
        self.proc.stdin.flush()
        reply = await asyncio.to_thread(self.lines.get, True, 10)
        if not reply.startswith("OK"):
            raise RuntimeError(f"server: {reply}")

    def close(self) -> None:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        self.proc.stdout.close()


# ---------------------------------------------------------------------- the app side


class _Probe:
    """A 1 ms precise QTimer on the main thread; the longest gap between ticks is the stall."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(1)
        self.timer.timeout.connect(self._tick)
        self.last_detail = ""
        self.worst_span = (0.0, 0.0)
        self.last = self.last_cpu = self.worst = self.worst_cpu = self.worst_busy = 0.0

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        if self.last:
            gap = now - self.last
            if gap > self.worst:
                # How much of the worst gap the main thread spent on a CPU: a gap with little
                # CPU in it is the OS not running us (other processes), not our code.
                self.worst, self.worst_cpu = gap, cpu - self.last_cpu
                self.worst_span = (self.last, now)
            self.worst_busy = max(self.worst_busy, cpu - self.last_cpu)
        self.last, self.last_cpu = now, cpu

    def reset(self) -> None:
        self.last = self.last_cpu = self.worst = self.worst_cpu = self.worst_busy = 0.0

    def stall_ms(self) -> float:
        return max(0.0, (self.worst - 0.001) * 1000)

    def detail(self) -> str:
        return (
            f"worst gap {self.worst * 1000:.1f} ms of which main-thread CPU {self.worst_cpu * 1000:.1f} ms; "
            f"longest main-thread CPU burst between ticks {self.worst_busy * 1000:.1f} ms"
        )


class _Diag:
    """Where main-thread time goes: GC pauses and the table model's flush steps (wrapped timers).

    Wrapping is measurement only: the wrapped functions are called unchanged.
    """

    def __init__(self, desktop: Any) -> None:
        import gc

        self.max: dict[str, float] = {}
        self.total: dict[str, float] = {}
        self.count: dict[str, int] = {}
        self._gc_start = 0.0
        gc.callbacks.append(self._gc)
        model = desktop.parts.view.model
        store = desktop.parts.store
        view = desktop.parts.view
        for owner, name in (
            (store, "view_rows"),
            (store, "counts"),
            (store, "group_counts"),
            (model, "_relayout"),
            (model, "_emit_spans"),
            (view.sidebar, "set_counts"),
            (view.detail, "show_task"),
        ):
            self._wrap(owner, name)
        self.model = model
        # Table repaints: start times of viewport Paint events (an event filter sees the start
        # only), to tell whether the worst gap contained a repaint.
        from PySide6.QtCore import QEvent, QObject

        paints: list[float] = []
        self.paints = paints

        class _PaintSpy(QObject):
            def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint:
                    paints.append(time.perf_counter())
                return False

        self._spy = _PaintSpy()
        view.table.viewport().installEventFilter(self._spy)

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self._note(f"gc{info['generation']}", time.perf_counter() - self._gc_start)

    def _note(self, key: str, dt: float) -> None:
        self.max[key] = max(self.max.get(key, 0.0), dt)
        self.total[key] = self.total.get(key, 0.0) + dt
        self.count[key] = self.count.get(key, 0) + 1

    def _wrap(self, owner: Any, name: str) -> None:
        inner = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self._note(name, time.perf_counter() - t0)

        setattr(owner, name, timed)

    def reset(self) -> None:
        self.max.clear()
        self.total.clear()
        self.count.clear()
        self.paints.clear()

    def paints_in(self, start: float, end: float) -> int:
        return sum(1 for t in self.paints if start <= t <= end)

    def line(self) -> str:
        return ", ".join(f"{k} x{self.count[k]} max {self.max[k] * 1000:.1f} ms" for k in sorted(self.max))

    def close(self) -> None:
        import gc

        gc.callbacks.remove(self._gc)


def _loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


async def _window(
    desktop: Any, probe: _Probe, seconds: float, diag: _Diag | None = None
) -> tuple[float, float, float]:
    """CPU share (%), events/s applied, and the longest stall (ms) over one window."""
    service = desktop.parts.service
    ev0 = service.stats().messages_received
    if diag is not None:
        diag.reset()
    probe.reset()
    c0, w0 = time.process_time(), time.perf_counter()
    # A plain wait is the measurement here, not synchronisation: the window is wall-clock time.
    await asyncio.sleep(seconds)
    c1, w1 = time.process_time(), time.perf_counter()
    events = service.stats().messages_received - ev0
    probe.last_detail = probe.detail()
    if diag is not None:
        probe.last_detail += f"; table paints inside the worst gap: {diag.paints_in(*probe.worst_span)}"
    return (c1 - c0) / (w1 - w0) * 100, events / (w1 - w0), probe.stall_ms()


async def _measure(desktop: Any, server: _Server, a: argparse.Namespace) -> dict[str, list[float]]:
    await asyncio.wait_for(desktop.built.wait(), 60)
    store = desktop.parts.store
    deadline = time.monotonic() + 60
    while len(store) < a.tasks:  # the snapshot arrives right after the stream opens
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(store)} tasks after 60 s")
        await asyncio.wait_for(desktop.parts.service.wait_changed(), 60)
    probe = _Probe()
    probe.timer.start()
    diag = _Diag(desktop) if a.diagnose else None
    out: dict[str, list[float]] = {k: [] for k in ("idle_cpu", "idle_stall", "cpu", "rate", "stall")}
    try:
        for r in range(a.rounds):
            await server.set_rate(0)
            idle_cpu, _, idle_stall = await _window(desktop, probe, a.idle)
            await server.set_rate(a.rate)
            cpu, rate, stall = await _window(desktop, probe, a.window, diag)
            for k, v in zip(out, (idle_cpu, idle_stall, cpu, rate, stall), strict=True):
                out[k].append(v)
            print(
                f"round {r + 1}/{a.rounds}: idle {idle_cpu:.1f}% CPU, stall {idle_stall:.1f} ms | "
                f"load {rate:,.0f} events/s, {cpu:.1f}% CPU, stall {stall:.1f} ms",
                flush=True,
            )
            print(f"  probe (load window): {probe.last_detail}; loadavg {_loadavg()}", flush=True)
            if diag is not None:
                print(f"  diagnose (load window): {diag.line()}", flush=True)
        await server.set_rate(0)
    finally:
        probe.timer.stop()
        if diag is not None:
            diag.close()
        desktop.quit(0)
    return out


def make_desktop(port: int, config_dir: str) -> tuple[Any, Any]:
    """The real app, offscreen and without D-Bus, for a server on 127.0.0.1:``port``: (loop, app).

    The qasync loop is set as the current event loop; the caller runs ``app.run()`` on it.
    """
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)  # no desktop notifications daemon here
    import qasync
    from PySide6.QtWidgets import QApplication

    from monitor.app import DesktopApp, build_parser

    qapp = QApplication.instance() or QApplication(["bench_app"])
    assert isinstance(qapp, QApplication)
    qapp.setQuitOnLastWindowClosed(False)
    args = build_parser().parse_args(
        ["--server", f"http://127.0.0.1:{port}", "--config-dir", config_dir, "--new-instance"]
    )
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    return loop, DesktopApp(qapp, args)


def _run(a: argparse.Namespace) -> None:

    server = _Server(a.tasks)
    config = tempfile.TemporaryDirectory(prefix="bench-app-")
    loop, desktop = make_desktop(server.port, config.name)
    try:
        with loop:
            results, code = loop.run_until_complete(_both(desktop, server, a))
    finally:
        asyncio.set_event_loop(None)
        server.close()
        config.cleanup()
    print(f"tasks={a.tasks} rate={a.rate:g}/s window={a.window:g}s rounds={a.rounds}", end=" ")
    print(f"cpus={os.cpu_count()} exit={code}")
    for name, key, unit in (
        ("idle CPU (baseline)", "idle_cpu", "%"),
        ("idle stall", "idle_stall", " ms"),
        ("load events applied", "rate", "/s"),
        ("load CPU", "cpu", "%"),
        ("load stall", "stall", " ms"),
    ):
        v = results[key]
        print(f"{name:<20}: median {statistics.median(v):8.1f}{unit}  (min {min(v):.1f}, max {max(v):.1f})")
    cpu, stall = statistics.median(results["cpu"]), statistics.median(results["stall"])
    print(
        f"RATIO load CPU / 50 % budget = {cpu / 50:.2f}  (target <= 1.0: {'met' if cpu <= 50 else 'MISSED'})"
    )
    print(f"RATIO load CPU / idle CPU    = {cpu / statistics.median(results['idle_cpu']):.1f}x")
    verdict = "met" if stall <= 50 else "MISSED"
    print(f"RATIO load stall / 50 ms     = {stall / 50:.2f}  (target <= 1.0: {verdict})")


async def _both(desktop: Any, server: _Server, a: argparse.Namespace) -> tuple[dict[str, list[float]], int]:
    run = asyncio.ensure_future(desktop.run())
    try:
        results = await _measure(desktop, server, a)
    except BaseException:
        desktop.quit(1)
        await run
        raise
    return results, await run


def main() -> None:
    """Parse arguments and run the benchmark (or, with ``--serve``, be the paced server)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--window", type=float, default=20.0, help="seconds under load per round")
    p.add_argument("--idle", type=float, default=3.0, help="seconds idle (baseline) per round")
    p.add_argument("--rate", type=float, default=1000.0)
    p.add_argument("--tasks", type=int, default=10_000)
    p.add_argument(
        "--diagnose", action="store_true", help="also time GC pauses and the table model's flush steps"
    )
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.serve:
        _serve(a.tasks)
    else:
        _run(a)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
