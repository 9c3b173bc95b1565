"""The ``monitor`` entry point."""

from __future__ import annotations

import subprocess
import sys

import pytest

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


def test_demo_with_a_server_is_refused_with_a_reason(capsys: object) -> None:
    # --demo watches its own server: combined with --server it would silently ignore the URL.
    with pytest.raises(SystemExit) as exc:
        main(["--demo", "--server", "http://127.0.0.1:9"])
    assert exc.value.code == 2
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert "--demo watches its own built-in server" in err
