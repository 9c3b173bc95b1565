"""Cold start to a visible, populated window: from the venv and from the frozen bundle.

Each run is one fresh ``monitor --self-test`` process, offscreen: the app builds and shows the
window, connects, waits until tasks are in the table and >= 5 events arrived and a notification
went out, prints ``SELF-TEST OK: ... window after N ms, populated after P ms, total T s`` and exits
0. Measured per run:

* ``populated``: wall time from ``Popen`` to the moment tasks were first in the table (the
  interpreter or bootloader start, imports, Qt, the window, connect, the snapshot applied): the
  figure the issue's target is about. It is ``ready`` minus the app's own ``total - populated``,
  both measured with one clock inside the app;
* ``ready``: wall time from ``Popen`` to the OK line (adds waiting for five events from the demo
  workload and one notification);
* ``exit``: ``Popen`` to process exit (adds the ordered shutdown);
* ``cpu``: the process's own CPU time (``time.process_time()``, all threads) when populated (the
  baseline: when shown). Other engineers' load stretches wall time far more than CPU time, so
  the CPU ratio is the steadier one on a shared machine.

Two kinds of start per program (venv and frozen):

* ``demo``: ``monitor --self-test`` alone, which also starts the demo server in-process (it imports
  FastAPI/uvicorn in a thread while the window is built);
* ``server``: ``monitor --self-test --server URL`` against a ``monitor serve --demo`` started once
  by this script: the cold start a user sees (the app imports no server code).

Baseline in the same run, interleaved: a bare PySide6 program that creates a ``QApplication``,
shows an empty ``QMainWindow`` offscreen and prints a line (the floor any Qt-for-Python app
pays). Ratios: populated / baseline. The target (issue 16): <= 700 ms, or <= 6x the bare window
in the same run when the machine is too slow for the absolute figure. Page cache is warm after
the first round (we cannot drop caches here), so the first round is printed separately as the
coldest one seen.

Run: ``.venv/bin/python bench/bench_startup.py [--rounds 5] [--frozen /tmp/dist/monitor/monitor]
[--only server]``
(build the bundle once with ``packaging/build.sh /tmp/dist``; without it the frozen rows are
skipped and the reason printed.)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["main"]

_ROOT = Path(__file__).resolve().parent.parent
_BASELINE = (
    "import sys; from PySide6.QtWidgets import QApplication, QMainWindow; "
    "app = QApplication(sys.argv); w = QMainWindow(); w.resize(1280, 760); w.show(); "
    "app.processEvents(); import time; print(f'SHOWN (cpu {time.process_time() * 1000:.0f} ms)', flush=True)"
)
_LINE = re.compile(r"window after (\d+) ms, populated after (\d+) ms \(cpu \d+ ms\), total ([\d.]+) s")
_CPU = re.compile(r"\(cpu (\d+) ms\)")
_TARGET_MS = 700.0
_TARGET_RATIO = 6.0


@contextlib.contextmanager
def _demo_server() -> Iterator[str]:
    """A ``monitor serve --demo`` on a free loopback port, for the ``server`` kind; yields its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "serve", "--demo", "--port", "0", "--db", ":memory:"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=_ROOT,
        env=dict(os.environ, MONITOR_SERVER_DEMO_SPEED="4"),  # the in-process self-test's speed
    )
    assert proc.stdout is not None
    try:
        line = proc.stdout.readline()  # "monitor serve: listening on http://127.0.0.1:PORT"
        if "listening on " not in line:
            raise RuntimeError(f"monitor serve did not start: {line!r}")
        yield line.rsplit(" ", 1)[1].strip()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stdout.close()


def _one(cmd: list[str], marker: str) -> dict[str, float]:
    """Times in ms of one cold process: ready, exit and (for the app) window and populated."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=_ROOT
    )
    assert proc.stdout is not None
    out: dict[str, float] = {}
    try:
        for line in proc.stdout:
            if marker in line and "ready" not in out:
                out["ready"] = (time.perf_counter() - t0) * 1000
                if m := _CPU.search(line):
                    out["cpu"] = float(m[1])
                if m := _LINE.search(line):
                    window, populated, total = float(m[1]), float(m[2]), float(m[3]) * 1000
                    out["window"] = window
                    out["populated"] = out["ready"] - (total - populated)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        proc.stdout.close()
    out["exit"] = (time.perf_counter() - t0) * 1000
    if code != 0 or "ready" not in out:
        raise RuntimeError(f"{cmd}: exit {code}, marker seen: {'ready' in out}")
    out.setdefault("populated", out["ready"])  # the bare window: shown is all there is
    return out


def _row(name: str, values: list[float], unit: str = "ms") -> float:
    med = statistics.median(values)
    print(
        f"{name:<32} median {med:8.0f} {unit}  (min {min(values):.0f}, max {max(values):.0f}, "
        f"first {values[0]:.0f}, n={len(values)})"
    )
    return med


def main() -> None:
    """Parse arguments and run the benchmark."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--frozen", default="/tmp/dist/monitor/monitor", help="the bundle's executable")
    p.add_argument("--only", choices=["demo", "server"], help="time only one kind of start")
    a = p.parse_args()
    with _demo_server() as url:
        _run(a, url)


def _run(a: argparse.Namespace, url: str) -> None:
    # An installed venv has byte code for every module (pip compiles on install); a checkout run
    # with PYTHONDONTWRITEBYTECODE=1 (as on these machines) would compile monitor/ on every start.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(_ROOT / "monitor")], check=True)
    app = [sys.executable, "-m", "monitor", "--self-test"]
    programs = {"venv": app}
    if Path(a.frozen).is_file() and os.access(a.frozen, os.X_OK):
        programs["frozen"] = [a.frozen, "--self-test"]
    else:
        print(f"frozen: skipped, {a.frozen} not found (build it: packaging/build.sh /tmp/dist)")
    kinds: dict[str, tuple[list[str], str]] = {"baseline": ([sys.executable, "-c", _BASELINE], "SHOWN")}
    for name, cmd in programs.items():
        if a.only in (None, "demo"):
            kinds[f"{name} demo"] = (cmd, "SELF-TEST OK")
        if a.only in (None, "server"):
            kinds[f"{name} server"] = ([*cmd, "--server", url], "SELF-TEST OK")
    res: dict[str, dict[str, list[float]]] = {k: {} for k in kinds}
    for r in range(a.rounds):
        for name, (cmd, marker) in kinds.items():
            for key, value in _one(cmd, marker).items():
                res[name].setdefault(key, []).append(value)
        print(
            f"round {r + 1}/{a.rounds}: "
            + ", ".join(f"{k} {v['populated'][-1]:.0f} ms" for k, v in res.items())
        )
    print(f"rounds={a.rounds} cpus={os.cpu_count()} python={sys.version.split()[0]}")
    med: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for name, v in res.items():
        med[name] = _row(f"{name} populated (spawn)", v["populated"])
        cpu[name] = statistics.median(v["cpu"])
        for key in ("cpu", "window", "ready", "exit"):
            if key in v:
                _row(f"{name} {key}", v[key])
    for name in med:
        if name == "baseline":
            continue
        ratio = med[name] / med["baseline"]
        verdict = "met" if med[name] <= _TARGET_MS or ratio <= _TARGET_RATIO else "missed"
        print(
            f"RATIO {name} populated / bare PySide6 window = {ratio:.2f}x "
            f"(target <= {_TARGET_MS:.0f} ms or <= {_TARGET_RATIO:.0f}x: {verdict})"
        )
        print(f"RATIO {name} CPU to populated / bare PySide6 window's = {cpu[name] / cpu['baseline']:.2f}x")


if __name__ == "__main__":
    main()
