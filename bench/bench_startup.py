"""Cold start to a visible, populated window: from the venv and from the frozen bundle.

Both run ``monitor --self-test`` offscreen: the app starts its in-process demo server, builds and
shows the window, connects, waits until tasks are in the table (>= 5 events) and a notification
went out, prints ``SELF-TEST OK: ... window after N ms, total T s`` and exits 0. Measured per run:

* ``ready``: wall time from ``Popen`` to that line on stdout (interpreter/bootloader start, imports,
  demo server, window, first events in the table, one notification), measured here;
* ``window``: the app's own "window after" figure (from ``DesktopApp`` creation to
  ``window.show()``; includes starting the in-process demo server);
* ``exit``: ``Popen`` to process exit (adds the ordered shutdown).

Baseline in the same run, interleaved: a bare PySide6 program that creates a ``QApplication``,
shows an empty ``QMainWindow`` offscreen and prints a line (the floor any Qt-for-Python app
pays). Ratios: ready / baseline. Page cache is warm after the first round (we cannot drop caches
here), so the first round is printed separately as the coldest one seen.

Run: ``.venv/bin/python bench/bench_startup.py [--rounds 5] [--frozen /tmp/dist/monitor/monitor]``
(build the bundle once with ``packaging/build.sh /tmp/dist``; without it the frozen rows are
skipped and the reason printed.)
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["main"]

_ROOT = Path(__file__).resolve().parent.parent
_BASELINE = (
    "import sys; from PySide6.QtWidgets import QApplication, QMainWindow; "
    "app = QApplication(sys.argv); w = QMainWindow(); w.resize(1280, 760); w.show(); "
    "app.processEvents(); print('SHOWN', flush=True)"
)
_LINE = re.compile(r"window after (\d+) ms, total ([\d.]+) s")


def _one(cmd: list[str], marker: str) -> tuple[float, float, float | None]:
    """(ready s, exit s, the app's own window ms or None) for one cold process."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=_ROOT
    )
    assert proc.stdout is not None
    ready = window = None
    try:
        for line in proc.stdout:
            if marker in line and ready is None:
                ready = time.perf_counter() - t0
                if m := _LINE.search(line):
                    window = float(m.group(1))
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        proc.stdout.close()
    done = time.perf_counter() - t0
    if code != 0 or ready is None:
        raise RuntimeError(f"{cmd}: exit {code}, marker seen: {ready is not None}")
    return ready, done, window


def _row(name: str, values: list[float], unit: str = "ms") -> float:
    med = statistics.median(values)
    print(
        f"{name:<28} median {med:8.0f} {unit}  (min {min(values):.0f}, max {max(values):.0f}, "
        f"first {values[0]:.0f}, n={len(values)})"
    )
    return med


def main() -> None:
    """Parse arguments and run the benchmark."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--frozen", default="/tmp/dist/monitor/monitor", help="the bundle's executable")
    a = p.parse_args()
    kinds: dict[str, tuple[list[str], str]] = {
        "baseline": ([sys.executable, "-c", _BASELINE], "SHOWN"),
        "venv": ([sys.executable, "-m", "monitor", "--self-test"], "SELF-TEST OK"),
    }
    if Path(a.frozen).is_file() and os.access(a.frozen, os.X_OK):
        kinds["frozen"] = ([a.frozen, "--self-test"], "SELF-TEST OK")
    else:
        print(f"frozen: skipped, {a.frozen} not found (build it: packaging/build.sh /tmp/dist)")
    res: dict[str, dict[str, list[float]]] = {k: {"ready": [], "exit": [], "window": []} for k in kinds}
    for r in range(a.rounds):
        for name, (cmd, marker) in kinds.items():
            ready, done, window = _one(cmd, marker)
            res[name]["ready"].append(ready * 1000)
            res[name]["exit"].append(done * 1000)
            if window is not None:
                res[name]["window"].append(window)
        print(
            f"round {r + 1}/{a.rounds}: " + ", ".join(f"{k} {v['ready'][-1]:.0f} ms" for k, v in res.items())
        )
    print(f"rounds={a.rounds} cpus={os.cpu_count()} python={sys.version.split()[0]}")
    med: dict[str, float] = {}
    for name, v in res.items():
        med[name] = _row(f"{name} ready (spawn->line)", v["ready"])
        _row(f"{name} exit (spawn->exit)", v["exit"])
        if v["window"]:
            _row(f"{name} window (app's figure)", v["window"])
    for name in ("venv", "frozen"):
        if name in med:
            print(f"RATIO {name} ready / bare PySide6 window = {med[name] / med['baseline']:.2f}x")


if __name__ == "__main__":
    main()
