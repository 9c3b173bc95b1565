"""The desktop application: Qt and the qasync loop, a typed set of parts, shutdown order.

Start-up goes: :func:`main` parses the command line and runs :func:`~monitor.misc.earlyinit.early_init`
(checks before Qt exists), creates the ``QApplication`` and a ``qasync.QEventLoop`` and drives
:meth:`DesktopApp.run`, which builds the :class:`~monitor.wiring.parts.Parts`, wires them feature
by feature (``monitor/wiring``), runs until quit and shuts down in order. Crash and signal
handling live in :mod:`monitor.misc.crashsignal`, the self-test in :mod:`monitor.misc.selftest`.

Shutdown order (why it matters): the window state is saved first (while the widgets exist); the
command service goes before the stream (its acks arrive over the stream) and flushes its outbox;
the stream before the in-process demo server (so the client does not see a dropped connection
and start reconnecting); the notifier after the stream (no new notices); the tray and the
single-instance socket last.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from monitor import __version__
from monitor.client.aio import cancel_and_wait
from monitor.misc.earlyinit import APP_ID, early_init

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from monitor.core.settings import AppSettings
    from monitor.server.runner import ServerThread
    from monitor.services.servers import TokenOf
    from monitor.ui.single_instance import SingleInstance
    from monitor.wiring.parts import Parts
    from monitor.wiring.persistence import SettingsKeeper

__all__ = [
    "APP_ID",
    "DEMO_INSTANCE",
    "STARTUP_GC_PAUSE_S",
    "DesktopApp",
    "build_parser",
    "create_qapp",
    "main",
]

log = logging.getLogger("monitor.app")

#: The single-instance key of ``--demo`` runs (never the demo server's random port).
DEMO_INSTANCE = "monitor:demo"

#: :func:`main` turns the cyclic GC off until this long after the window is built and the stream
#: started: start-up creates only long-lived objects (modules, classes, widgets, the first
#: snapshot), and the ~160 collections it used to trigger were about a seventh of the start-up
#: time (docs/performance.md, "Bundle and start-up"). Then the heap is frozen and the GC resumes.
STARTUP_GC_PAUSE_S = 0.5


#: The end of ``monitor --help``: the subcommands, in the one help a user reads first.
_SUBCOMMANDS = """\
other commands:
  monitor serve [options]      run the reference server (--demo: with simulated jobs);
                               see monitor serve --help
  monitor watch URL [options]  tail an SSE stream in the terminal; see monitor watch --help
"""


def build_parser() -> argparse.ArgumentParser:
    """The GUI's command line (``monitor --help`` shows it, with the subcommands after it)."""
    p = argparse.ArgumentParser(
        prog="monitor",
        usage="%(prog)s [options]\n       %(prog)s serve [options]\n       %(prog)s watch URL [options]",
        description="Monitor: watch long-running server tasks live. Without a command, the desktop app.",
        epilog=_SUBCOMMANDS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"monitor {__version__}")
    p.add_argument(
        "--server",
        metavar="URL",
        help="Monitor server to watch for this run, by its root URL (default: the saved profile)",
    )
    p.add_argument(
        "--stream",
        metavar="URL",
        help="SSE stream URL to watch for this run, used exactly as given (any server; wins over --server)",
    )
    p.add_argument("--token-env", metavar="VAR", help="read the bearer token from this environment variable")
    p.add_argument(
        "--demo", action="store_true", help="start the built-in demo server in-process and connect to it"
    )
    p.add_argument("--demo-speed", type=float, default=1.0, metavar="X", help="demo workload speed factor")
    p.add_argument(
        "--self-test",
        action="store_true",
        help="start offscreen against an in-process demo server (or the one given with --server/--stream), "
        "check events arrive and a notification is sent, exit 0 (or non-zero with the reason)",
    )
    p.add_argument("--minimized", action="store_true", help="start hidden in the tray (if there is one)")
    p.add_argument("--config-dir", metavar="DIR", help="where settings live (default: the user config dir)")
    p.add_argument("--locale", metavar="LOCALE", help="UI language, e.g. zh_CN (default: the system's)")
    p.add_argument("--new-instance", action="store_true", help="do not hand over to a running instance")
    p.add_argument(
        "--log-level",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="stderr log level",
    )
    return p


def _config_dir(args: argparse.Namespace) -> Path:
    if args.config_dir:
        return Path(args.config_dir)
    if env := os.environ.get("MONITOR_CONFIG_DIR"):
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("monitor", appauthor=False))


class DesktopApp:
    """Builds and owns every part of the running app.

    Args:
        qapp: The QApplication.
        args: Parsed command line.

    Attributes:
        parts: The app's parts (None until built).
        keeper: The settings in effect and where they live (None until built).
        built: Set once every part is built and the stream started (tests and drivers wait on it).
        exit_code: The process exit code :meth:`run` returns.
    """

    def __init__(self, qapp: QApplication, args: argparse.Namespace) -> None:
        from monitor.misc.crashsignal import ExceptionHook

        self.qapp = qapp
        self.args = args
        self.self_test = bool(args.self_test)
        self.exit_code = 0
        self.hook = ExceptionHook(self.unhandled_error)
        self.parts: Parts | None = None
        self.keeper: SettingsKeeper | None = None
        self.built = asyncio.Event()
        self._quit = asyncio.Event()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._demo: ServerThread | None = None
        self._started_at = time.perf_counter()
        self._window_shown_at = self._started_at
        self._background: set[asyncio.Future[None]] = set()
        self._translations: list[str] = []  # the .qm files loaded (the self-test reports them)
        self._settle: asyncio.TimerHandle | None = None

    @property
    def settings(self) -> AppSettings:
        """The settings in effect."""
        if self.keeper is None:
            raise RuntimeError("DesktopApp is not built yet")
        return self.keeper.settings

    # ------------------------------------------------------------------ errors and quitting

    def unhandled_error(self, text: str) -> None:
        """Called by the exception hook; shows a plain-text dialog (or fails the self-test)."""
        if self.self_test:
            self.quit(1)
            return
        if self.hook.may_show_dialog():
            from monitor.misc.crashsignal import show_error_dialog

            show_error_dialog(text)

    @property
    def stopping(self) -> bool:
        """True once something asked the app to quit (File > Quit, the tray, a signal)."""
        return self._quit.is_set()

    def quit(self, code: int = 0) -> None:
        """Ask the app to shut down (idempotent; the first non-zero code wins)."""
        if not self._quit.is_set():
            self.exit_code = code or self.exit_code
        self._quit.set()

    def _on_signal(self, sig: signal.Signals) -> None:
        log.info("%s: shutting down", sig.name)
        self.quit(0)

    # ------------------------------------------------------------------ lifecycle

    async def run(self) -> int:
        """Build everything, run until quit, shut down in order; return the exit code."""
        from monitor.misc.crashsignal import install_signal_handlers

        loop = asyncio.get_running_loop()
        loop.set_exception_handler(self.hook.loop_handler)
        previous_hook = sys.excepthook
        sys.excepthook = self.hook
        uninstall = install_signal_handlers(loop, self._on_signal)
        try:
            if await self._build() and self.parts is not None:
                self.built.set()
                log.info("running: watching %s", self.settings.server_url)
                if self.self_test:
                    await self._run_self_test(self.parts)
                else:
                    await self._quit.wait()
        finally:
            await self._shutdown()
            uninstall()
            sys.excepthook = previous_hook
        return self.exit_code

    async def _run_self_test(self, parts: Parts) -> None:
        from monitor.misc.selftest import run_self_test

        test = asyncio.ensure_future(
            run_self_test(
                parts,
                started_at=self._started_at,
                window_shown_at=self._window_shown_at,
                translations=self._translations,
            )
        )
        quit_wait = asyncio.ensure_future(self._quit.wait())
        await asyncio.wait({test, quit_wait}, return_when=asyncio.FIRST_COMPLETED)
        quit_wait.cancel()
        if test.done():
            self.quit(test.result())
        else:  # an unhandled error quit first (exit code 1)
            await cancel_and_wait(test)

    def _config_folder(self) -> Path:
        if self.self_test:
            self._tmp = tempfile.TemporaryDirectory(prefix="monitor-selftest-")
            return Path(self._tmp.name)
        return _config_dir(self.args)

    def _start_demo(self) -> str:
        from monitor.server.app import create_app
        from monitor.server.config import ServerConfig
        from monitor.server.runner import ServerThread

        speed = max(self.args.demo_speed, 4.0) if self.self_test else self.args.demo_speed
        config = ServerConfig(
            port=0,
            db=":memory:",
            demo=True,
            demo_speed=speed,
            heartbeat_interval_ms=5_000,
            log_level="warning",
        )
        self._demo = ServerThread(create_app(config), log_level="error").start()
        return str(self._demo.url)

    def _acquire_instance(self, server_url: str) -> tuple[bool, SingleInstance | None]:
        """(go on?, the single-instance lock); False when another instance was asked to show."""
        from monitor.ui.single_instance import SingleInstance

        if self.self_test or self.args.new_instance:
            return True, None
        instance = SingleInstance(DEMO_INSTANCE if self.args.demo else server_url)
        if not instance.acquire():
            log.info("another Monitor (%s) is running; asked it to show itself", instance.key)
            return False, None
        return True, instance

    async def _build(self) -> bool:
        from monitor.core.settings import AppSettings, monitor_stream_url
        from monitor.ui.i18n import install_translator
        from monitor.ui.icons import resources_dir
        from monitor.ui.settings_dialog import apply_theme
        from monitor.wiring.activity import wire_activity
        from monitor.wiring.capabilities import wire_capabilities
        from monitor.wiring.commands import wire_commands
        from monitor.wiring.connection import wire_connection
        from monitor.wiring.export import wire_export
        from monitor.wiring.history import leave_history, open_history, wire_history
        from monitor.wiring.messages import wire_messages
        from monitor.wiring.notifications import wire_notifications
        from monitor.wiring.parts import build_parts
        from monitor.wiring.persistence import SettingsKeeper, token_reader, wire_settings
        from monitor.wiring.servers import wire_servers
        from monitor.wiring.tray import wire_tray
        from monitor.wiring.view import wire_view

        folder = self._config_folder()
        try:
            stream = self.args.stream or (self.args.server and monitor_stream_url(self.args.server))
            keeper = SettingsKeeper(folder, writable=not self.self_test, stream_override=stream or None)
        except ValueError as exc:
            print(f"monitor: {exc}", file=sys.stderr)
            self.quit(2)
            return False
        if self.args.token_env:
            keeper.settings = AppSettings.model_validate(
                {**keeper.settings.model_dump(), "token_env": self.args.token_env}
            )
        # The self-test watches its own in-process demo server unless it is given a server (the
        # start-up bench times a cold start against an already running one that way).
        demo = self.args.demo or (self.self_test and not stream)
        go_on, instance = self._acquire_instance(keeper.settings.server_url)
        if not go_on:
            return False
        if demo:
            url = await asyncio.to_thread(self._start_demo)
            keeper = SettingsKeeper(
                folder, writable=not self.self_test, stream_override=monitor_stream_url(url)
            )
        self.keeper = settings_keeper = keeper
        settings = keeper.settings

        translators = install_translator(self.qapp, self.args.locale or settings.language or None)
        self._translations = [Path(t.filePath()).name for t in translators]
        apply_theme(self.qapp, settings.theme)
        # On Linux desktop-notifier needs a session bus; without one (offscreen, CI) go straight to
        # the tray balloon / in-window banner instead of logging a D-Bus error per notice.
        on_linux = sys.platform.startswith("linux")
        parts = build_parts(
            settings,
            token_of=token_reader(settings),
            state_dir=None if self.self_test else folder,
            tray_available=False if self.self_test else None,
            use_dbus=bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS")) or not on_linux,
            icon_path=resources_dir() / "icons" / "monitor-128.png",
            instance=instance,
            desktop_id=APP_ID,
        )
        self.parts = parts
        history_on = self._demo is None and not self.self_test

        async def reconnect(new: AppSettings, token_of: TokenOf) -> None:
            # The history is one server's: it closes when that server changes or others join.
            await leave_history(parts, new)
            await parts.servers.reconfigure(new, token_of)
            if history_on and parts.history is None and len(new.active_profiles) == 1:
                parts.history = await open_history(parts, folder, new)

        wire_connection(parts)
        wire_servers(parts)
        wire_commands(parts, settings_keeper)
        wire_capabilities(parts)
        wire_notifications(parts)
        wire_messages(parts)
        wire_tray(parts, quit_app=self.quit)
        wire_activity(parts)
        wire_export(parts)
        wire_history(parts)
        wire_settings(parts, settings_keeper, self.qapp, reconnect=reconnect, spawn=self._spawn)

        keeper.restore_window(parts)
        wire_view(parts)  # after the restore: the menu shows the restored columns
        if keeper.warning:
            log.warning("settings: %s", keeper.warning)
            parts.window.statusBar().showMessage(keeper.warning, 30_000)
        parts.tray.show()
        if not (self.args.minimized or settings.start_minimised) or not parts.tray.available:
            parts.window.show()
        self._window_shown_at = time.perf_counter()
        # The history before the stream: its tasks are listed first, then the server's news.
        # None with --demo (a new server on a new port each time), in the self-test, and with
        # several servers (it is one server's).
        if history_on and len(settings.active_profiles) == 1:
            parts.history = await open_history(parts, folder, settings)
        await parts.servers.start()
        await parts.launcher.start()
        # after the first frame had its chance: the collection freeze_heap() runs takes the loop
        self._settle = asyncio.get_running_loop().call_later(STARTUP_GC_PAUSE_S, self._settle_heap)
        return True

    def _settle_heap(self) -> None:
        """End of start-up: freeze the long-lived heap and let the cyclic GC run again."""
        from monitor.wiring.connection import freeze_heap

        self._settle = None
        freeze_heap()
        gc.enable()

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _shutdown(self) -> None:
        if self._settle is not None:
            self._settle.cancel()
        parts = self.parts
        if parts is not None:
            if self.keeper is not None:
                self.keeper.save_window(parts)
            parts.window.hide()
        for task in list(self._background):
            task.cancel()
        if parts is not None:
            await _close_services(parts)
            parts.view.model.flush()  # news from the last moments: stops the repaint timer too
            parts.window.banner.dismiss()  # after the notifier closed: nothing can show it again
        if self._demo is not None:
            await asyncio.to_thread(self._demo.stop)
        if parts is not None:
            parts.tray.hide()
            if parts.instance is not None:
                parts.instance.release()
        if self._tmp is not None:
            self._tmp.cleanup()


async def _close_services(parts: Parts) -> None:
    """Close the services in order; one that fails is logged and the others still close."""
    for name, part in (
        ("servers", parts.servers),  # each: capabilities, commands, then its stream
        ("notifier", parts.notifier),
        ("launcher", parts.launcher),
        ("history", parts.history),
    ):
        if part is None:
            continue
        try:
            await part.aclose()
        except Exception:  # shutdown must go on: log and continue with the next part
            log.exception("closing %s failed", name)


def create_qapp() -> QApplication:
    """The QApplication with Monitor's identity (names, desktop file, icon, tray-friendly quit)."""
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from monitor.ui.icons import app_icon

    QCoreApplication.setApplicationName("Monitor")
    QCoreApplication.setOrganizationName("Monitor")
    QCoreApplication.setApplicationVersion(__version__)
    QGuiApplication.setDesktopFileName(APP_ID)
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    existing = QApplication.instance()
    qapp = (
        existing
        if isinstance(existing, QApplication)
        else QApplication([sys.argv[0] if sys.argv else "monitor"])
    )
    qapp.setQuitOnLastWindowClosed(False)  # the tray keeps the app; quitting is explicit
    qapp.setWindowIcon(app_icon())
    return qapp


def main(argv: Sequence[str]) -> int:
    """Run the desktop app; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(list(argv))
    if args.demo and (args.server or args.stream):
        # --demo starts its own server and would silently watch it instead: say so.
        parser.error("--demo watches its own built-in server; drop --server/--stream, or drop --demo")
    if problem := early_init(args):
        print(problem, file=sys.stderr)
        return 2

    gc_was_enabled = gc.isenabled()
    gc.disable()  # until DesktopApp._settle_heap (STARTUP_GC_PAUSE_S after the window is built)
    try:
        import qasync

        qapp = create_qapp()
        loop = qasync.QEventLoop(qapp)
        asyncio.set_event_loop(loop)
        desktop = DesktopApp(qapp, args)
        with loop:
            return int(loop.run_until_complete(desktop.run()))
    except KeyboardInterrupt:
        return 130
    finally:
        asyncio.set_event_loop(None)
        if gc_was_enabled:
            gc.enable()
