"""The ``monitor`` entry point."""

from __future__ import annotations

import subprocess
import sys

from monitor import __version__
from monitor.cli import main


def test_version_flag_prints_the_package_version(capsys: object) -> None:
    assert main(["--version"]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert out.strip() == f"monitor {__version__}"


def test_console_script_runs_as_module() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "--version"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"monitor {__version__}"
