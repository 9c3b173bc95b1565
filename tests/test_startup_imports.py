"""The desktop app's start-up: no server code or httpx CLI imported, the cyclic GC paused.

Start-up cost is mostly import time (``python -X importtime``; docs/performance.md, "Bundle and
start-up"). Two things are easy to bring back by accident: an import of ``monitor.server``
(FastAPI, Starlette, uvicorn, click) on the GUI path, and httpx's CLI (click, rich, pygments),
which httpx imports whenever it can unless ``monitor.client`` has marked it absent first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Everything the GUI imports before its first frame: the app, every wiring module, the self-test.
_PROBE = """
import json, pkgutil, importlib, sys
import qasync
import monitor.app, monitor.misc.selftest, monitor.wiring
for info in pkgutil.iter_modules(monitor.wiring.__path__, "monitor.wiring."):
    importlib.import_module(info.name)
print(json.dumps(sorted(name for name, module in sys.modules.items() if module is not None)))
"""

_SERVER_SIDE = ("fastapi", "starlette", "uvicorn", "monitor.server", "sse_starlette")
_HTTPX_CLI = ("httpx._main", "click", "rich", "pygments")


def _python(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter at the repository root (offscreen Qt, no session bus)."""
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )


def _imported() -> set[str]:
    proc = _python(_PROBE)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_gui_start_imports_no_server_code_and_no_httpx_cli() -> None:
    modules = _imported()
    assert {"httpx", "PySide6.QtWidgets", "monitor.wiring.parts"} <= modules  # the probe did import the app
    loaded = sorted(m for m in modules if m.startswith(_SERVER_SIDE + _HTTPX_CLI))
    assert loaded == [], f"the GUI's start-up imports {loaded}"


_GC_PROBE = """
import gc
import monitor.app as app

states = []
settle = app.DesktopApp._settle_heap


def watched(self):
    states.append(gc.isenabled())
    settle(self)
    states.append((gc.isenabled(), gc.get_freeze_count() > 0))


app.DesktopApp._settle_heap = watched
app.STARTUP_GC_PAUSE_S = 0.0  # settle right after the build, before the self-test ends
code = app.main(["--self-test"])
print(code, states, gc.isenabled())
"""


def test_cyclic_gc_is_off_during_start_up_and_back_on_with_the_heap_frozen() -> None:
    proc = _python(_GC_PROBE)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "0 [False, (True, True)] True", proc.stdout
