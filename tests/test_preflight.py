"""Pre-Qt checks: a missing display or xcb library gets a message naming the fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from monitor.preflight import debian_package_for, display_problem, missing_xcb_libraries


@pytest.mark.parametrize(
    ("soname", "package"),
    [
        ("libxcb-cursor.so.0", "libxcb-cursor0"),
        ("libxcb-icccm.so.4", "libxcb-icccm4"),
        ("libxcb-render-util.so.0", "libxcb-render-util0"),
        ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
        ("libEGL.so.1", "libegl1"),
        ("libxcb-xinerama.so.0", "libxcb-xinerama0"),
        ("libfoo2.so.5", "libfoo2-5"),
    ],
)
def test_debian_package_names(soname: str, package: str) -> None:
    assert debian_package_for(soname) == package


def test_display_problem_only_without_any_display() -> None:
    msg = display_problem({}, "linux")
    assert msg is not None
    assert "QT_QPA_PLATFORM=offscreen" in msg
    assert "xvfb-run" in msg
    assert display_problem({"DISPLAY": ":1"}, "linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "xcb"}, "linux") is not None
    assert display_problem({}, "win32") is None


def test_installed_xcb_plugin_has_its_libraries() -> None:
    # bootstrap.sh installs the xcb libraries; if this fails, the run command's hint would fire.
    assert missing_xcb_libraries() == []


def test_gui_without_display_explains_instead_of_aborting() -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "QT_QPA_PLATFORM": ""}
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "--demo"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert proc.returncode == 2
    assert "no display found" in proc.stderr
    assert "Aborted" not in proc.stderr


def test_clean_xcb_check_is_remembered_until_the_system_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitor import preflight

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    marker = tmp_path / "monitor" / "xcb-libraries-ok"
    assert preflight.qt_platform_hint({"DISPLAY": ":0"}) is None
    assert marker.read_text() == preflight._check_stamp()
    marker.write_text("stale: another plugin or library set")
    assert preflight.qt_platform_hint({"DISPLAY": ":0"}) is None  # checked again with ldd...
    assert marker.read_text() == preflight._check_stamp()
