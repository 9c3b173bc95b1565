"""The ``monitor`` entry point."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from monitor import __version__
from monitor.cli import main

ROOT = Path(__file__).resolve().parent.parent


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


def _help_env() -> dict[str, str]:
    # No display at all: the help needs none (and must not load Qt to print).
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.mark.parametrize("flag", ["--help", "-h", "--help-gui"])
def test_help_shows_the_app_options_and_the_subcommands(flag: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", flag],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env=_help_env(),
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for option in ("--server URL", "--stream URL", "--demo", "--token-env", "--self-test", "--locale"):
        assert option in out, out
    assert "monitor serve [options]" in out
    assert "monitor watch URL [options]" in out
    assert "--help-gui" not in out  # nothing hidden behind another flag any more
    assert proc.stderr == ""


def test_the_no_display_hint_names_a_command_that_runs(tmp_path: Path) -> None:
    """After the README's first command the app is ``.venv/bin/monitor``, not on PATH: the hint
    must name what the user ran, and that command must start."""
    script = Path(sys.executable).with_name("monitor")
    if not script.exists():
        pytest.skip(f"no console script next to {sys.executable} (the package is not installed there)")
    env = _help_env()
    env["PATH"] = "/usr/bin:/bin"  # the venv is not on PATH, as after packaging/bootstrap.sh run
    home = script.parent.parent.parent  # where .venv is: the README's commands run from there
    for cwd, argv0 in ((home, str(script.relative_to(home))), (tmp_path, str(script))):
        proc = subprocess.run(
            [argv0, "--demo"], capture_output=True, text=True, timeout=60, check=False, env=env, cwd=cwd
        )
        assert proc.returncode == 2, proc.stderr
        line = next(x for x in proc.stderr.splitlines() if "QT_QPA_PLATFORM=offscreen" in x)
        command = line.split("QT_QPA_PLATFORM=offscreen", 1)[1].split("--self-test")[0].strip()
        assert command == argv0  # what the user typed, not a bare "monitor" that is not on PATH
        # The named command answers (its --version needs no display), from the same directory.
        again = subprocess.run(
            [*shlex.split(command), "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env=env,
            cwd=cwd,
        )
        assert again.returncode == 0, (command, again.stderr)
        assert again.stdout.strip() == f"monitor {__version__}"
