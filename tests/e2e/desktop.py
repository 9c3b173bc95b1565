"""A private, throw-away Linux desktop for end-to-end tests and scripted screenshots.

Starts, each by PID and each torn down by PID: a D-Bus session bus (``dbus-daemon``), an X server
(``Xvfb -displayfd``, first free display), the ``dunst`` notification daemon, ``dbus-monitor``
logging every ``Notify`` call, and a tray host (``status-notifier-watcher`` +
``gtk-sni-tray-standalone`` for SNI, or ``trayer`` for XEmbed, or none). Nothing touches the
user's real session; ``dbus-x11`` must not be installed (it spawns stray buses).

As a library (the ``desktop`` fixture in ``test_notifications_dbus.py`` uses it)::

    with Desktop(tray="sni") as d:
        subprocess.run(cmd, env=d.env)
        d.notifications()  # [Notify(app, summary, body, urgency), ...]

As a command (for screenshots, or to run tests inside it)::

    .venv/bin/python -m tests.e2e.desktop --run 'QT_QPA_PLATFORM=xcb .venv/bin/python -m monitor'
    .venv/bin/python -m tests.e2e.desktop --shot out.png --run '.venv/bin/pytest -m e2e'

``--run`` runs the shell command with ``DISPLAY``, ``DBUS_SESSION_BUS_ADDRESS``,
``QT_QPA_PLATFORM=xcb`` and ``E2E_DIR`` (where logs and ``dbus.log`` live) set, and exits with its
return code. ``--shot PNG`` grabs the whole screen (ImageMagick ``import``) after the command.
"""

from __future__ import annotations

import argparse
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

__all__ = ["REQUIRED_TOOLS", "Desktop", "Notify", "missing_tools", "parse_notify_log"]

REQUIRED_TOOLS = ("dbus-daemon", "dbus-send", "dbus-monitor", "Xvfb", "dunst", "dunstctl")
_TRAY_TOOLS = {
    "sni": ("status-notifier-watcher", "gtk-sni-tray-standalone"),
    "xembed": ("trayer",),
    "none": (),
}


def missing_tools(tray: str = "none") -> list[str]:
    """Executables this machine lacks for a desktop with ``tray``."""
    return [t for t in (*REQUIRED_TOOLS, *_TRAY_TOOLS[tray]) if shutil.which(t) is None]


@dataclass(frozen=True)
class Notify:
    """One ``org.freedesktop.Notifications.Notify`` call seen on the bus."""

    app: str
    summary: str
    body: str
    urgency: int | None


_STRING = re.compile(r'^\s+string "(.*)"$', re.M)
_URGENCY = re.compile(r'string "urgency"\s+variant\s+byte (\d+)')


def parse_notify_log(text: str) -> list[Notify]:
    """Parse ``dbus-monitor`` output into Notify calls (app, icon, summary, body are the first
    four strings of the call; single-line values only, which is what the tests send)."""
    calls: list[Notify] = []
    for block in text.split("method call")[1:]:
        if "member=Notify" not in block:
            continue
        strings = _STRING.findall(block)
        if len(strings) < 4:
            continue
        m = _URGENCY.search(block)
        calls.append(Notify(strings[0], strings[2], strings[3], int(m.group(1)) if m else None))
    return calls


def _wait_for(cond: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``cond`` until true; raise with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError(f"e2e desktop: timed out waiting for {what}")
        time.sleep(0.02)  # polling a condition, not sleeping as synchronisation


class Desktop:
    """Context manager owning the private desktop's processes.

    Args:
        tray: ``"sni"``, ``"xembed"`` or ``"none"``.
        workdir: Where logs and the bus socket go (a fresh temp dir by default, removed on stop).
        screen: Xvfb screen geometry.
        dmenu: The command dunst runs for its context menu (``dunstctl context``): it reads the
            actions on stdin, one per line, and prints the chosen one. None: dunst's default.
    """

    def __init__(
        self,
        tray: str = "sni",
        workdir: Path | None = None,
        screen: str = "1280x800x24",
        dmenu: str | None = None,
    ) -> None:
        if tray not in _TRAY_TOOLS:
            raise ValueError(f"tray must be one of {sorted(_TRAY_TOOLS)}")
        self.tray = tray
        self._own_dir = workdir is None
        self.dir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="e2e."))
        self.screen = screen
        self.dmenu = dmenu
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.env: dict[str, str] = {}

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> Desktop:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _spawn(self, name: str, argv: list[str], **kw: object) -> subprocess.Popen[bytes]:
        log = (self.dir / f"{name}.log").open("wb")
        try:
            proc: subprocess.Popen[bytes] = subprocess.Popen(  # type: ignore[call-overload]
                argv, stdout=log, stderr=subprocess.STDOUT, env=self.env or None, **kw
            )
        finally:
            log.close()  # the child holds its own copy
        self.procs.append((name, proc))
        return proc

    def start(self) -> None:
        """Start everything; on any failure, stop what started and re-raise."""
        missing = missing_tools(self.tray)
        if missing:
            raise FileNotFoundError(f"e2e desktop needs: {', '.join(missing)}")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        base = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS")}
        bus = self.dir / "bus"
        self.env = {**base, "NO_AT_BRIDGE": "1", "E2E_DIR": str(self.dir)}
        self._spawn(
            "dbus-daemon",
            ["dbus-daemon", "--session", "--nofork", "--nopidfile", f"--address=unix:path={bus}"],
        )
        _wait_for(bus.exists, 5, "the D-Bus socket")
        self.env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={bus}"

        read_fd, write_fd = os.pipe()
        try:
            self._spawn(
                "xvfb",
                ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", self.screen, "-nolisten", "tcp"],
                pass_fds=(write_fd,),
            )
            os.close(write_fd)
            # Read up to the newline: Xvfb may write the number and the newline separately, and
            # closing the pipe early makes its second write fail, which kills the server.
            data = b""
            deadline = time.monotonic() + 10
            while not data.endswith(b"\n"):
                ready, _, _ = select.select([read_fd], [], [], max(0.0, deadline - time.monotonic()))
                chunk = os.read(read_fd, 64) if ready else b""
                if not chunk:
                    raise TimeoutError("e2e desktop: Xvfb did not report a display")
                data += chunk
            display = data.decode().strip()
        finally:
            os.close(read_fd)
        if not display.isdigit():
            raise RuntimeError(f"e2e desktop: Xvfb reported {display!r}")
        self.env["DISPLAY"] = f":{display}"
        self.env["QT_QPA_PLATFORM"] = "xcb"

        self._spawn(
            "dbus-monitor",
            ["dbus-monitor", "--session", "interface='org.freedesktop.Notifications',member='Notify'"],
        )
        dunst = ["dunst"]
        if self.dmenu is not None:
            config = self.dir / "dunstrc"
            config.write_text(f'[global]\n    dmenu = "{self.dmenu}"\n')
            dunst += ["-config", str(config)]
        self._spawn("dunst", dunst)
        _wait_for(lambda: self.has_name("org.freedesktop.Notifications"), 10, "dunst on the bus")
        if self.tray == "sni":
            self._spawn("snw", ["status-notifier-watcher"])
            _wait_for(lambda: self.has_name("org.kde.StatusNotifierWatcher"), 10, "the SNI watcher")
            self._spawn(
                "sni-tray",
                ["gtk-sni-tray-standalone", "--bottom", "--end", "--size", "32", "--color", "#404040"],
            )
            _wait_for(self._sni_host_registered, 10, "the SNI tray host")
        elif self.tray == "xembed":
            self._spawn(
                "trayer",
                [
                    "trayer",
                    "--edge",
                    "bottom",
                    "--align",
                    "right",
                    "--widthtype",
                    "pixel",
                    "--width",
                    "200",
                    "--height",
                    "40",
                    "--SetDockType",
                    "true",
                ],
            )
            _wait_for(self._xembed_tray_present, 10, "the XEmbed tray")

    def stop(self) -> None:
        """Terminate every process (reverse order) by PID, kill stragglers, remove the temp dir."""
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for _name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=3)
        self.procs.clear()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------------ queries

    def _run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=10, check=False)

    def has_name(self, name: str) -> bool:
        """Whether ``name`` has an owner on the private bus."""
        out = self._run(
            [
                "dbus-send",
                "--session",
                "--print-reply=literal",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                f"string:{name}",
            ]
        )
        return "true" in out.stdout

    def _sni_host_registered(self) -> bool:
        out = self._run(
            [
                "dbus-send",
                "--session",
                "--print-reply=literal",
                "--dest=org.kde.StatusNotifierWatcher",
                "/StatusNotifierWatcher",
                "org.freedesktop.DBus.Properties.Get",
                "string:org.kde.StatusNotifierWatcher",
                "string:IsStatusNotifierHostRegistered",
            ]
        )
        return "true" in out.stdout

    def _xembed_tray_present(self) -> bool:
        if shutil.which("xdotool") is None:
            return True  # cannot check; trayer claims the selection within milliseconds
        return bool(self._run(["xdotool", "search", "--class", "trayer"]).stdout.strip())

    def notifications(self) -> list[Notify]:
        """Every Notify call logged so far."""
        log = self.dir / "dbus-monitor.log"
        return parse_notify_log(log.read_text(errors="replace")) if log.exists() else []

    def dunstctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``dunstctl`` against this desktop's dunst."""
        return self._run(["dunstctl", *args])

    def focus_window(self, title_regex: str) -> str:
        """Give the keyboard focus to the first visible window whose title matches (xdotool), as a
        click on it would; returns its X id."""
        found = subprocess.run(
            ["xdotool", "search", "--sync", "--onlyvisible", "--name", title_regex],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=15,
            check=True,
        ).stdout.split()[0]
        subprocess.run(["xdotool", "windowfocus", "--sync", found], env=self.env, timeout=15, check=True)
        return found

    def screenshot(self, path: str | Path) -> bool:
        """Grab the whole virtual screen to ``path`` (PNG); False if ``import`` is missing or failed."""
        if shutil.which("import") is None:
            return False
        return self._run(["import", "-window", "root", str(path)]).returncode == 0


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.e2e.desktop [--tray sni|xembed|none] [--shot PNG] --run CMD``."""
    ap = argparse.ArgumentParser(prog="python -m tests.e2e.desktop", description=__doc__.split("\n")[0])
    ap.add_argument("--tray", choices=sorted(_TRAY_TOOLS), default="sni")
    ap.add_argument("--run", required=True, help="shell command to run inside the desktop")
    ap.add_argument("--shot", help="save a screenshot of the screen to this PNG after the command")
    args = ap.parse_args(argv)
    with Desktop(tray=args.tray) as desk:
        sys.stderr.write(f"e2e desktop: DISPLAY={desk.env['DISPLAY']} dir={desk.dir}\n")
        rc = subprocess.run(args.run, shell=True, env=desk.env, check=False).returncode
        if args.shot and not desk.screenshot(args.shot):
            sys.stderr.write("e2e desktop: screenshot failed\n")
            rc = rc or 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
