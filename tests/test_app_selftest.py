"""The desktop app end to end in a subprocess, offscreen: ``--self-test`` and the CLI surface."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or {**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        check=False,
    )


def test_self_test_passes_quietly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    proc = _run("--self-test", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("SELF-TEST OK:"), proc.stdout
    assert "tasks" in proc.stdout
    assert proc.stderr == ""
    assert not (tmp_path / "cfg" / "monitor").exists()  # the self-test never touches user settings


def test_gui_help_lists_the_options() -> None:
    proc = _run("--help-gui")
    assert proc.returncode == 0
    for option in ("--server", "--token-env", "--demo", "--self-test"):
        assert option in proc.stdout
