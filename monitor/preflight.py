"""Checks that run before Qt is loaded, so a missing display or library gets a clear message.

Qt's own message for these cases is an abort with "could not load the Qt platform plugin xcb",
which names neither the cause nor the fix. This module runs first and says both.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "debian_package_for",
    "display_problem",
    "invoked_command",
    "missing_xcb_libraries",
    "qt_platform_hint",
]

# Libraries whose Debian package name does not follow "soname without .so plus version".
_KNOWN_PACKAGES = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libOpenGL.so.0": "libopengl0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
}

_HOW_TO_RUN = (
    "Run it on a desktop session, or without a screen:\n"
    "  QT_QPA_PLATFORM=offscreen {cmd} --self-test    (no window at all)\n"
    "  xvfb-run -a {cmd} --demo    (a virtual X display; apt-get install xvfb)"
)


def invoked_command(argv0: str | None = None, executable: str = sys.executable) -> str:
    """How to run this program again, as the user can type it here.

    After the README's ``packaging/bootstrap.sh run`` the console script is ``.venv/bin/monitor``,
    which is not on PATH: a hint that says plain ``monitor`` names a command that does not exist.

    Args:
        argv0: ``sys.argv[0]`` (default: the real one).
        executable: The interpreter (for ``python -m monitor``).

    Returns:
        ``monitor`` when that name on PATH is this program; else its path (relative to the
        current directory when inside it); ``<python> -m monitor`` for a module run.
    """
    arg = sys.argv[0] if argv0 is None else argv0
    if not arg or arg.endswith(("__main__.py", "-c")):
        return f"{_shown_path(executable)} -m monitor"
    path = Path(arg)
    on_path = shutil.which(path.name) if path.name == "monitor" else None
    if on_path is not None and Path(on_path).resolve() == path.resolve():
        return "monitor"
    return _shown_path(arg)


def _shown_path(arg: str) -> str:
    """``arg`` relative to the current directory when inside it (``./`` when a bare name)."""
    path, cwd = Path(arg).absolute(), Path.cwd()
    if not path.is_relative_to(cwd):
        return str(path)
    rel = str(path.relative_to(cwd))
    return rel if "/" in rel else f"./{rel}"


def debian_package_for(soname: str) -> str:
    """Guess the Debian package that ships a shared library.

    Args:
        soname: e.g. ``libxcb-cursor.so.0``.

    Returns:
        e.g. ``libxcb-cursor0`` (Debian names library packages after the soname; a name ending in
        a digit gets a ``-`` before the version).
    """
    if soname in _KNOWN_PACKAGES:
        return _KNOWN_PACKAGES[soname]
    match = re.fullmatch(r"(lib[\w+.-]+?)\.so\.(\d+)(?:\.\d+)*", soname)
    if not match:
        return soname
    base, major = match.group(1).lower(), match.group(2)
    return f"{base}-{major}" if base[-1].isdigit() else f"{base}{major}"


def display_problem(environ: Mapping[str, str] | None = None, platform: str = sys.platform) -> str | None:
    """Say why no window can be shown, or None when a display (or a headless platform) is set.

    Args:
        environ: The environment (default ``os.environ``).
        platform: ``sys.platform``.
    """
    env = os.environ if environ is None else environ
    if not platform.startswith("linux"):
        return None
    qpa = env.get("QT_QPA_PLATFORM", "")
    if qpa and not qpa.startswith(("xcb", "wayland")):
        return None  # offscreen, minimal, vnc, eglfs...: Qt needs no display server
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    how = _HOW_TO_RUN.format(cmd=invoked_command())
    return f"monitor: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set).\n{how}"


def _xcb_plugin() -> Path | None:
    try:
        import PySide6
    except ImportError:  # pragma: no cover - the app cannot run at all then
        return None
    root = Path(PySide6.__file__).parent
    for candidate in (root / "Qt" / "plugins" / "platforms" / "libqxcb.so",):
        if candidate.exists():
            return candidate
    return None


def missing_xcb_libraries() -> list[str]:
    """Shared libraries the xcb platform plugin needs but the system lacks (``ldd``); [] if unknown."""
    plugin = _xcb_plugin()
    ldd = shutil.which("ldd")
    if plugin is None or ldd is None:
        return []
    try:
        out = subprocess.run(
            [ldd, str(plugin)], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    missing = {line.split()[0] for line in out.splitlines() if "not found" in line}
    # Qt >= 6.5 dlopens xcb-cursor at run time, so ldd cannot see that it is needed.
    if ctypes.util.find_library("xcb-cursor") is None:
        missing.add("libxcb-cursor.so.0")
    return sorted(missing)


def _marker_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "monitor" / "xcb-libraries-ok"


def _check_stamp() -> str | None:
    """What a clean ldd result depends on: the plugin file and the system's library cache."""
    plugin = _xcb_plugin()
    try:
        ld_cache = Path("/etc/ld.so.cache").stat().st_mtime_ns
        return f"{plugin}:{plugin.stat().st_mtime_ns}:{ld_cache}" if plugin else None
    except OSError:
        return None


def qt_platform_hint(environ: Mapping[str, str] | None = None) -> str | None:
    """A message naming the packages to install when the xcb plugin cannot load, else None."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux") or env.get("QT_QPA_PLATFORM", "xcb") not in ("", "xcb"):
        return None
    if getattr(sys, "frozen", False):
        return None  # the bundle carries its own libraries next to the plugin
    # ldd costs ~60 ms, a tenth of a cold start: remember a clean result until the plugin or the
    # system's library set (ld.so.cache, rewritten by every package install) changes.
    stamp = _check_stamp()
    marker = _marker_path()
    with contextlib.suppress(OSError):
        if stamp and marker.read_text(encoding="utf-8") == stamp:
            return None
    missing = missing_xcb_libraries()
    if not missing:
        if stamp:
            with contextlib.suppress(OSError):
                marker.parent.mkdir(parents=True, exist_ok=True)
                marker.write_text(stamp, encoding="utf-8")
        return None
    packages = sorted({debian_package_for(lib) for lib in missing})
    return (
        "monitor: Qt's xcb platform plugin cannot load; missing system libraries: "
        + ", ".join(missing)
        + f"\nInstall them with:\n  sudo apt-get install {' '.join(packages)}"
    )
