"""SIGTERM and SIGINT shut the real app down in order (issue 11, item 3f).

``python -m monitor --demo`` runs as a subprocess, offscreen; once it says it is running it gets
the signal, and must exit 0 within 5 s having saved its window state (written only at shutdown)
and left a readable outbox.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def wait_for_line(proc: subprocess.Popen[bytes], needle: bytes, timeout: float) -> bytes:
    """Read the child's stderr until a line holds ``needle``; return what was read."""
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stderr, selectors.EVENT_READ)
        while needle not in seen:
            left = deadline - time.monotonic()
            if left <= 0 or proc.poll() is not None:
                raise AssertionError(f"no {needle!r} from the app (exit {proc.poll()}):\n{seen.decode()}")
            if sel.select(left):
                chunk = os.read(proc.stderr.fileno(), 65536)
                seen += chunk
    return seen


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_shuts_down_in_order(tmp_path: Path, sig: signal.Signals) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)  # no desktop notifications from a test
    args = ["--demo", "--new-instance", "--config-dir", str(tmp_path), "--log-level", "info"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    try:
        wait_for_line(proc, b"running: watching", 30)
        assert not (tmp_path / "ui-state.json").exists()  # written at shutdown only
        started = time.monotonic()
        proc.send_signal(sig)
        code = proc.wait(timeout=5)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()
    assert code == 0, f"exit {code} after {sig.name}"
    assert took < 5
    state = json.loads((tmp_path / "ui-state.json").read_text())
    assert state["geometry"]  # the window's state was saved on the way out
    outbox = tmp_path / "outbox.json"
    if outbox.exists():  # written once a command was queued; never left half-written
        assert isinstance(json.loads(outbox.read_text())["queue"], list)
