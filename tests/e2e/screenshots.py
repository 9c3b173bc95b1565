"""Make the README screenshots (issues 4, 5 and 12) in a private desktop, from one command::

    .venv/bin/python -m tests.e2e.screenshots docs/img            # all fourteen
    .venv/bin/python -m tests.e2e.screenshots docs/img --skip-installed
    .venv/bin/python -m tests.e2e.screenshots docs/img --only-installed --no-build   # reuse /tmp/dist

Inside a throw-away desktop (``tests/e2e/desktop.py``: Xvfb 1280x800, D-Bus, dunst, SNI tray) it
runs ``monitor serve --demo`` (demo speed 3, in-memory log) and the real app under
``tests/e2e/app_driver.py``, lets the demo build a realistic mix (running with progress, completed,
failed), then writes:

* ``main-light.png`` / ``main-dark.png``: the main window (1280x760) in each theme,
* ``detail-failed.png``: a failed task selected, its error in the detail pane,
* ``notification-history.png``: View > Notification history after that failure,
* ``progress.png``: the detail pane's Progress tab on a running task (issue 15's chart; the
  status bar's finished-per-minute chart is in every window shot),
* ``settings.png``: the settings dialog,
* ``notification.png``: the top-right of the screen while dunst shows a failure notice,
* ``confirm-cancel.png``: the question Cancel asks for a running task (answered "Go back"),
* ``messages.png``: the window with the Messages dock after the server sent seed-004 messages
  (system, error, text, and a direct one to the app's client id),
* ``small-640x420.png``: the window at 640x420,
* ``main-zh_CN.png``: a second app, started with ``--locale zh_CN``, on the same server,
* ``servers.png``: a third app watching two demo servers at once (Server column, Servers group),
* ``offline.png``: the first app after the server stopped (greyed rows, "as of" texts, indicator),
* ``installed-from-desktop-entry.png`` (issue 5, needs root + apt): builds the .deb with
  ``packaging/build.sh``, installs it, runs the ``Exec=`` line of
  ``/usr/share/applications/io.monitor.Monitor.desktop`` plus ``--demo`` in a fresh private desktop,
  grabs the whole screen, then ``apt-get purge -y monitor``.

Every PNG is stripped and reduced to 256 colours with ImageMagick ``convert`` to stay small. This is
staging, not product code: it only drives the app through the driver's stdin commands.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.desktop import Desktop
from tests.e2e.harness import ROOT, AppProcess, ServerProcess, free_port, wait_until
from tests.waiting import stop_process

__all__ = ["main"]

DESKTOP_FILE = Path("/usr/share/applications/io.monitor.Monitor.desktop")
#: Whole-screen crop (WxH+X+Y) for the notification shot: dunst's default origin is top-right,
#: 300 px wide, 50 px down; keep some of the window underneath as context.
NOTIFY_CROP = "560x220+720+0"


def _log(text: str) -> None:
    sys.stderr.write(f"screenshots: {text}\n")


def _shrink(path: Path) -> None:
    """Strip metadata and quantise to 256 colours without dithering, which speckles flat
    backgrounds (pngquant/optipng are not installed)."""
    subprocess.run(["convert", str(path), "-strip", "+dither", "-colors", "256", str(path)], check=True)
    _log(f"{path} {path.stat().st_size // 1024} KB")


def _shot(app: AppProcess, command: str, path: Path) -> None:
    """Have the driver grab a widget (``shot``/``settings``) into ``path``, then shrink it."""
    if not app.ask(f"{command} {path}", "shot").get("ok"):
        raise RuntimeError(f"{command} {path} failed")
    _shrink(path)


def _states(dump: dict[str, Any]) -> dict[str, list[str]]:
    by_state: dict[str, list[str]] = {}
    for task_id, task in dump["tasks"].items():
        by_state.setdefault(task["state"], []).append(task_id)
    return by_state


def _running(app: AppProcess) -> str:
    """The running task with the least progress (the one least likely to finish during a shot)."""
    tasks = app.ask("dump", "dump")["tasks"]
    running = [(t["progress"], i) for i, t in tasks.items() if t["state"] == "running"]
    if not running:
        raise RuntimeError("no running task to show")
    return min(running)[1]


def _select(app: AppProcess, task_id: str) -> None:
    """Select ``task_id`` once the table shows it (the store has news a flush before the table)."""
    deadline = time.monotonic() + 10
    while app.ask(f"select {task_id}", "selected")["selected"] != [task_id]:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the table never showed {task_id}")
        app.wait_for(lambda m: m["ev"] == "rows", 5, "rows")


def _wait_for_mix(app: AppProcess, settle_s: float, server: ServerProcess | None = None) -> None:
    """Let the demo run at least ``settle_s``, then until the table has every state we show and
    shows every task the app knows (a snapshot is in the store before the table's next flush).

    The demo's failures are random (15 % of jobs, unseeded): when none has come by ``settle_s``,
    ``server`` (if given) stages one, in the demo's own words, so every run shows a failed row.
    """
    started = time.monotonic()
    staged = server is None
    while True:
        dump = app.ask("dump", "dump")
        states = _states(dump)
        elapsed = time.monotonic() - started
        if not staged and elapsed >= settle_s and "failed" not in states:
            assert server is not None
            server.fail_task(
                "field-recording-lima-12.wav",
                "alignment failed: no speech detected",
                detail="first 120 s of audio are below -60 dBFS",
            )
            staged = True
            _log("the demo had no failure yet: staged one")
        enough = len(states.get("running", [])) >= 2 and "completed" in states and "failed" in states
        enough = enough and dump["rows"] == len(dump["tasks"])
        if enough and elapsed >= settle_s:
            break
        if elapsed > settle_s + 60:
            raise TimeoutError(
                f"demo never produced the mix: { {k: len(v) for k, v in states.items()} }, "
                f"{dump['rows']} rows shown of {len(dump['tasks'])} tasks"
            )
        app.wait_for(lambda m: m["ev"] == "rows", 5, "rows")
    _log(f"mix: { {k: len(v) for k, v in states.items()} }")


def _start_app(
    desk: Desktop,
    server_url: str | None,
    config: Path,
    args: list[str] | None = None,
    settings: dict[str, Any] | None = None,
) -> AppProcess:
    """The app under the driver, Live, at 1280x760 with the pointer off the window.

    Light theme to start; one notice per failure and even while the window has focus, so the
    failure staged later shows as a popup of its own.
    """
    config.mkdir(parents=True, exist_ok=True)
    base = {"theme": "light", "notifications": {"group_window_s": 0, "quiet_when_focused": False}}
    (config / "settings.json").write_text(json.dumps({**base, **(settings or {})}))
    app = AppProcess(desk, server_url, config, args or [])
    try:
        app.wait_for(lambda m: m["ev"] == "ready", 30, "the window")
        app.wait_for(lambda m: m["ev"] == "state" and m["state"] == "connected", 20, "Live")
        app.ask("resize 1280 760", "resized")
    except BaseException:
        app.close()
        raise
    # Xvfb starts with the pointer mid-screen, over the table, where the table holds its rows
    # still ("Sorting paused while the pointer is over the table"): park it below the window.
    subprocess.run(["xdotool", "mousemove", "1279", "799"], env=desk.env, check=True)
    return app


#: Seed-004 envelopes (``sse-notification-sdk.md`` §2) as another client would post them to
#: ``/api/messages``; the fourth goes to ``/api/direct/{client_id}``.
MESSAGES: tuple[dict[str, Any], ...] = (
    {
        "type": "system",
        "priority": 2,
        "payload": {
            "event": "maintenance",
            "detail": "GPU nodes restart at 22:00",
            "recommendedAction": "pause long jobs",
        },
    },
    {"type": "error", "priority": 3, "payload": {"message": "gpu-2: disk /scratch 97% full"}},
    {"type": "text", "priority": 1, "payload": "New model large-v4 is live for transcription jobs"},
)
DIRECT: dict[str, Any] = {
    "type": "text",
    "priority": 1,
    "payload": "Your export of board-meeting-2026 is ready",
}


def _post_messages(server_url: str, client_id: str) -> None:
    with httpx.Client(base_url=server_url, timeout=10) as http:
        for body in MESSAGES:
            http.post("/api/messages", json=body).raise_for_status()
        http.post(f"/api/direct/{client_id}", json=DIRECT).raise_for_status()


def app_shots(out: Path, *, speed: float, settle_s: float) -> None:
    """Screens 1-5 and the issue-12 tour: light/dark, failed detail, dunst notice, settings, the
    cancel question, messages, 640x420, zh_CN (a second app), offline (the server stopped)."""
    with tempfile.TemporaryDirectory(prefix="shots.") as tmp, Desktop(tray="sni") as desk:
        server = ServerProcess(
            free_port(), ":memory:", demo=True, env={"MONITOR_SERVER_DEMO_SPEED": str(speed)}
        )
        server.start()
        app: AppProcess | None = None
        try:
            app = _start_app(desk, server.url, Path(tmp) / "en")
            _wait_for_mix(app, settle_s, server)

            app.ask("detail on", "detail")
            app.ask("theme light", "theme")
            _shot(app, "shot", out / "main-light.png")
            app.ask("theme dark", "theme")
            _shot(app, "shot", out / "main-dark.png")
            app.ask("theme light", "theme")

            # The staged failure: its name and message are readable in the detail pane and the popup.
            # Critical notices stay until dismissed: clear the demo's own so ours is the only popup.
            desk.dunstctl("close-all")
            before = len(desk.notifications())
            failed_id = server.fail_task("interview-2026-11-20.wav", "CUDA out of memory")
            wait_until(
                lambda: any(
                    n.body.startswith("interview-2026-11-20.wav") for n in desk.notifications()[before:]
                ),
                20,
                "the failure notice on the bus",
            )
            _select(app, failed_id)
            _shot(app, "shot", out / "detail-failed.png")

            full = Path(tmp) / "screen.png"
            if not desk.screenshot(full):
                raise RuntimeError("import -window root failed")
            subprocess.run(
                ["convert", str(full), "-crop", NOTIFY_CROP, "+repage", str(out / "notification.png")],
                check=True,
            )
            _shrink(out / "notification.png")
            desk.dunstctl("close-all")
            _shot(app, "historydialog", out / "notification-history.png")

            # The detail pane's Progress tab on a running task (its trail grows while we wait).
            running = _running(app)
            _select(app, running)
            wait_until(
                lambda: bool(app and app.ask("tab Progress", "tab")["points"] >= 4), 30, "a progress trail"
            )
            _shot(app, "shot", out / "progress.png")
            app.ask("tab Timeline", "tab")

            _shot(app, "settings", out / "settings.png")

            # Cancel asks first; "Go back" leaves the task running (the driver reports what was acted on).
            wait_until(lambda: bool(app and app.ask("dump", "dump")["commands"]), 20, "the command service")
            _select(app, _running(app))
            answer = app.ask(f"cancel {out / 'confirm-cancel.png'}", "shot")
            if not answer["ok"] or answer["acted"]:
                raise RuntimeError(f"the cancel question: {answer}")
            _log(f"asked {answer['text']!r}, answered Go back")
            _shrink(out / "confirm-cancel.png")

            # Messages from the server: the dock opens at the first one.
            client_id = app.ask("dump", "dump")["client_id"]
            _post_messages(server.url, client_id)
            wait_until(lambda: bool(app and app.ask("dump", "dump")["chat"] >= 4), 20, "the messages")
            app.ask("messages on", "messages")
            _shot(app, "shot", out / "messages.png")
            app.ask("messages off", "messages")

            size = app.ask("resize 640 420", "resized")
            if (size["width"], size["height"]) != (640, 420):
                # The product's layout has a floor; show what a user gets, and say so.
                _log(f"the window stops at {size['width']}x{size['height']} (minimum {size['minimum']})")
            _shot(app, "shot", out / "small-640x420.png")
            app.ask("resize 1280 760", "resized")

            # zh_CN needs a start with --locale: a second app on the same server, closed again.
            zh = _start_app(desk, server.url, Path(tmp) / "zh_CN", ["--locale", "zh_CN"])
            try:
                _wait_for_mix(zh, 0)
                zh.ask("detail on", "detail")
                _select(zh, _running(zh))
                _shot(zh, "shot", out / "main-zh_CN.png")
            finally:
                zh.close()

            # Two servers at once (issue 15): a second demo server, both watched by a third app.
            second = ServerProcess(
                free_port(), ":memory:", demo=True, env={"MONITOR_SERVER_DEMO_SPEED": str(speed)}
            )
            second.start()
            servers = None
            try:
                profiles = [
                    {"name": name, "stream_url": f"{url}/api/tasks/stream", "active": True}
                    for name, url in (("gpu-box", server.url), ("build-farm", second.url))
                ]
                servers = _start_app(
                    desk,
                    None,
                    Path(tmp) / "servers",
                    settings={"profiles": profiles, "active_profile": "gpu-box"},
                )
                _wait_for_mix(servers, min(settle_s, 8.0))
                _shot(servers, "shot", out / "servers.png")
            finally:
                if servers is not None:
                    servers.close()
                second.stop()

            # Offline: the server goes away; the rows grey out and freeze "as of" the last data.
            _select(app, _running(app))
            server.stop()
            app.wait_for(lambda m: m["ev"] == "state" and m["state"] != "connected", 20, "offline")
            # A staging pause for the picture: the next repaint flush (10 Hz) and one indicator tick.
            time.sleep(1.5)
            _shot(app, "shot", out / "offline.png")
        finally:
            if app is not None:
                app.close()
            server.stop()


def installed_shot(out: Path, *, dist: Path, settle_s: float, build: bool = True) -> None:
    """Screen 6 (issue 5): build + install the .deb, launch via the desktop entry, grab, purge."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError("the installed-app shot needs root and apt-get")
    if build:
        subprocess.run([str(ROOT / "packaging" / "build.sh"), str(dist)], check=True)
    [deb] = sorted(dist.glob("monitor_*_amd64.deb"))[-1:]
    subprocess.run(["apt-get", "install", "-y", str(deb)], check=True)
    try:
        exec_line = next(
            line.split("=", 1)[1]
            for line in DESKTOP_FILE.read_text().splitlines()
            if line.startswith("Exec=")
        )
        # Field codes (%u, %F, ...) are the launcher's to expand; with no files/URLs they vanish.
        argv = [a for a in shlex.split(exec_line) if not (len(a) == 2 and a.startswith("%"))]
        argv.append("--demo")
        _log(f"Exec= {exec_line!r} -> {argv}")
        with tempfile.TemporaryDirectory(prefix="shots.") as tmp, Desktop(tray="sni") as desk:
            # A fresh user: own HOME/XDG dirs so the installed app's first run touches nothing real.
            env = {
                **desk.env,
                "HOME": tmp,
                "XDG_CONFIG_HOME": f"{tmp}/config",
                "XDG_DATA_HOME": f"{tmp}/data",
                "XDG_CACHE_HOME": f"{tmp}/cache",
            }
            for var in ("PYTHONPATH", "VIRTUAL_ENV", "QT_QPA_PLATFORMTHEME", "MONITOR_CONFIG_DIR"):
                env.pop(var, None)
            env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
            log = (Path(tmp) / "app.log").open("wb")
            proc = subprocess.Popen(argv, env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT)
            try:

                def window() -> bool:
                    assert proc.poll() is None, (Path(tmp) / "app.log").read_text()[-2000:]
                    found = subprocess.run(
                        ["xdotool", "search", "--onlyvisible", "--name", "Monitor"],
                        env=desk.env,
                        capture_output=True,
                        text=True,
                        check=False,
                    )
                    return bool(found.stdout.strip())

                wait_until(window, 60, "the installed app's window", step=0.2)
                # No driver in the installed app to ask: give the in-process demo time to fill the
                # table (a staging pause for a picture, not test synchronisation).
                time.sleep(settle_s)
                path = out / "installed-from-desktop-entry.png"
                if not desk.screenshot(path):
                    raise RuntimeError("import -window root failed")
                _shrink(path)
            finally:
                stop_process(proc, 15)
                log.close()
    finally:
        subprocess.run(["apt-get", "purge", "-y", "monitor"], check=True)


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.e2e.screenshots OUTDIR [--skip-installed] [--only-installed]``."""
    ap = argparse.ArgumentParser(prog="python -m tests.e2e.screenshots", description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path, help="directory for the PNGs (e.g. docs/img)")
    ap.add_argument("--speed", type=float, default=3.0, help="demo workload speed (default 3)")
    ap.add_argument("--settle", type=float, default=20.0, help="seconds the demo runs before shots")
    ap.add_argument("--dist", type=Path, default=Path("/tmp/dist"), help="where build.sh puts the .deb")
    ap.add_argument("--no-build", action="store_true", help="reuse the .deb already in --dist")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--skip-installed", action="store_true", help="skip the .deb build/install shot")
    group.add_argument("--only-installed", action="store_true", help="only the installed-app shot")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.only_installed:
        app_shots(args.out, speed=args.speed, settle_s=args.settle)
    if not args.skip_installed:
        installed_shot(args.out, dist=args.dist, settle_s=args.settle, build=not args.no_build)
    return 0


if __name__ == "__main__":
    sys.exit(main())
