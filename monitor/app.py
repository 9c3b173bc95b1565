"""The desktop application: creates Qt and the qasync loop, wires the layers, owns shutdown.

This module and ``monitor/services`` are the only places where asyncio meets Qt. Everything is
built in :class:`DesktopApp`; :func:`main` parses the command line, runs the pre-Qt checks and
drives :meth:`DesktopApp.run` on a fresh ``qasync.QEventLoop``.

Shutdown order (why it matters): the window state is saved first (while the widgets exist); the
command service goes before the stream (its acks arrive over the stream); the stream before the
in-process demo server (so the client does not see a dropped connection and start
reconnecting); the notifier after the stream (no new notices); the tray and the single-instance
socket last.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from monitor import __version__
from monitor.preflight import display_problem, qt_platform_hint

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from monitor.core.settings import AppSettings

__all__ = ["APP_ID", "DesktopApp", "build_parser", "create_qapp", "main"]

log = logging.getLogger("monitor.app")

APP_ID = "io.monitor.Monitor"
#: How long ``--self-test`` may take before it fails.
SELF_TEST_TIMEOUT_S = 30.0


def build_parser() -> argparse.ArgumentParser:
    """The GUI's command line."""
    p = argparse.ArgumentParser(
        prog="monitor",
        description="Monitor: watch long-running server tasks live. Also: monitor serve, monitor watch.",
    )
    p.add_argument("--version", action="version", version=f"monitor {__version__}")
    p.add_argument("--server", metavar="URL", help="server to watch (default: the saved setting)")
    p.add_argument("--token-env", metavar="VAR", help="read the bearer token from this environment variable")
    p.add_argument(
        "--demo", action="store_true", help="start the built-in demo server in-process and connect to it"
    )
    p.add_argument("--demo-speed", type=float, default=1.0, metavar="X", help="demo workload speed factor")
    p.add_argument(
        "--self-test",
        action="store_true",
        help="start offscreen against an in-process demo server, check events arrive and a notification "
        "is sent, exit 0 (or non-zero with the reason)",
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


def _set_windows_app_id() -> None:
    """Make Windows show notifications and the taskbar entry as "Monitor", not the exe name."""
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import ctypes

        with contextlib.suppress(Exception):
            ctypes.windll.shell32.SetCurrentProcessExplicitAppUserModelID(APP_ID)  # type: ignore[attr-defined]


class _ExceptionHook:
    """The one exception hook: log the traceback and tell the user, never crash silently.

    Installed as ``sys.excepthook`` (Qt slots and callbacks) and as the asyncio loop's exception
    handler (tasks nobody awaited). The dialog is plain text and shown at most once per second so
    an error in a repaint cannot stack hundreds of dialogs.
    """

    def __init__(self, app: DesktopApp) -> None:
        self._app = app
        self._last_dialog = 0.0
        self.errors: list[str] = []

    def __call__(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("unhandled exception\n%s", text)
        self.errors.append(f"{exc_type.__name__}: {exc}")
        self._app.unhandled_error(text)

    def loop_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, BaseException):
            self(type(exc), exc, exc.__traceback__)
        else:
            log.error("asyncio: %s", context.get("message"))

    def may_show_dialog(self) -> bool:
        now = time.monotonic()
        if now - self._last_dialog < 1.0:
            return False
        self._last_dialog = now
        return True


class DesktopApp:
    """Builds and owns every part of the running app.

    Args:
        qapp: The QApplication.
        args: Parsed command line.
    """

    def __init__(self, qapp: QApplication, args: argparse.Namespace) -> None:
        self.qapp = qapp
        self.args = args
        self.self_test = bool(args.self_test)
        self.exit_code = 0
        self.hook = _ExceptionHook(self)
        self._quit = asyncio.Event()
        #: Set once every part is built and the stream started (tests and drivers wait on it).
        self.built = asyncio.Event()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._demo: Any = None
        self._window_shown_at: float | None = None
        self._started_at = time.perf_counter()
        self.parts: dict[str, Any] = {}
        self._background: set[asyncio.Future[None]] = set()

    # ------------------------------------------------------------------ errors

    def unhandled_error(self, text: str) -> None:
        """Called by the exception hook; shows a plain-text dialog (or fails the self-test)."""
        if self.self_test:
            self.exit_code = 1
            self._quit.set()
            return
        if not self.hook.may_show_dialog():
            return
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Critical, "Monitor", "")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(
            self.qapp.translate("DesktopApp", "Monitor hit an unexpected error. It keeps running; details:")
        )
        box.setDetailedText(text)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setModal(False)
        box.show()

    # ------------------------------------------------------------------ lifecycle

    def quit(self, code: int = 0) -> None:
        """Ask the app to shut down (idempotent)."""
        if not self._quit.is_set():
            self.exit_code = code or self.exit_code
        self._quit.set()

    def _settings(self) -> tuple[AppSettings, str | None, Path]:
        from monitor.core.settings import AppSettings, load_settings

        if self.self_test:
            self._tmp = tempfile.TemporaryDirectory(prefix="monitor-selftest-")
            folder = Path(self._tmp.name)
        else:
            folder = _config_dir(self.args)
        result = load_settings(folder / "settings.json")
        settings: AppSettings = result.value
        update: dict[str, Any] = {}
        if self.args.server:
            update["server_url"] = self.args.server
        if self.args.token_env:
            update["token_env"] = self.args.token_env
        if update:
            settings = AppSettings.model_validate({**settings.model_dump(), **update})
        return settings, result.warning, folder

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

    async def run(self) -> int:
        """Build everything, run until quit, shut down in order; return the exit code."""
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(self.hook.loop_handler)
        previous_hook = sys.excepthook
        sys.excepthook = self.hook
        try:
            if not await self._build():
                return self.exit_code
            if self.self_test:
                watchdog = asyncio.create_task(self._self_test())
            await self._quit.wait()
            if self.self_test:
                watchdog.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watchdog
        finally:
            await self._shutdown()
            sys.excepthook = previous_hook
        return self.exit_code

    async def _build(self) -> bool:
        from monitor.core.connection import ConnectionState, ConnectionStatus
        from monitor.core.notify_policy import NotificationPolicy, NotifyEvent
        from monitor.core.settings import load_ui_state
        from monitor.core.store import TaskStore
        from monitor.services.sse_service import SSEService
        from monitor.ui.i18n import install_translator
        from monitor.ui.main_window import MainWindow
        from monitor.ui.notifications import Notifier, translate_policy
        from monitor.ui.settings_dialog import apply_theme
        from monitor.ui.single_instance import SingleInstance
        from monitor.ui.task_view import TaskView
        from monitor.ui.tray import TaskCounts, TrayController

        settings, warning, folder = self._settings()
        if self.args.demo or self.self_test:
            settings = settings.model_copy(update={"server_url": await asyncio.to_thread(self._start_demo)})
        self.settings, self.config_dir = settings, folder

        if not (self.self_test or self.args.new_instance):
            instance = SingleInstance(settings.server_url)
            if not instance.acquire():
                log.info("another Monitor for %s is running; asked it to show itself", settings.server_url)
                return False
            self.parts["instance"] = instance

        install_translator(self.qapp, self.args.locale or settings.language or None)
        apply_theme(self.qapp, settings.theme)

        token = self._read_token(settings)

        store = TaskStore()
        tray = TrayController(available=False if self.self_test else None)
        window = MainWindow(settings, tray_available=tray.available)
        window.set_server_url(settings.server_url)
        view = TaskView(store)
        actions = view.task_actions
        window.set_task_view(view)
        window.add_toolbar_actions(actions.toolbar_actions())
        policy = NotificationPolicy(settings.notifications, translate=translate_policy)
        # On Linux desktop-notifier needs a session bus; without one (offscreen, CI) go straight to
        # the tray balloon / in-window banner instead of logging a D-Bus error per notice.
        on_linux = sys.platform.startswith("linux")
        notifier = Notifier(
            policy, tray=tray, use_dbus=bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS")) or not on_linux
        )
        notifier.set_dnd(settings.do_not_disturb)
        tray.set_dnd(settings.do_not_disturb)
        service = SSEService(settings, store=store, token=token)
        self.parts.update(
            store=store, tray=tray, window=window, view=view, notifier=notifier, service=service
        )

        # service -> UI
        def on_status(status: ConnectionStatus) -> None:
            live = status.state in (ConnectionState.CONNECTED, ConnectionState.POLLING)
            window.indicator.set_status(status)
            tray.set_connected(live)
            notifier.connection_changed(live, status.reason or "")

        service.connection_state_changed.connect(on_status)
        service.tasks_changed.connect(view.model.note_changes)
        service.event_received.connect(lambda _type: window.indicator.note_event())
        service.error_occurred.connect(lambda text: log.info("stream: %s", text))
        service.snapshot_applied.connect(lambda n: _freeze_heap() if n >= 1_000 else None)

        def finished(kind: NotifyEvent, task_id: str) -> None:
            record = store.get(task_id)
            if record is not None:
                detail = record.error.message if record.error is not None else None
                notifier.task_finished(kind, record.id, record.name, attempt=record.attempt, detail=detail)

        service.task_completed.connect(lambda task_id: finished(NotifyEvent.COMPLETED, task_id))
        service.task_failed.connect(lambda task_id, _msg: finished(NotifyEvent.FAILED, task_id))
        service.task_cancelled.connect(lambda task_id: finished(NotifyEvent.CANCELLED, task_id))

        def on_counts(counts: TaskCounts) -> None:
            tray.set_counts(counts)
            window.set_counts(counts)
            notifier.active_count_changed(counts.active)

        view.counts_changed.connect(on_counts)
        window.indicator.stale_changed.connect(view.set_stale)

        # UI -> services
        window.retry_now_requested.connect(service.reconnect)
        actions.remove_requested.connect(service.forget)
        tray.show_hide_requested.connect(window.toggle_visible)
        window.visibility_changed.connect(tray.set_window_visible)
        tray.dnd_toggled.connect(notifier.set_dnd)
        tray.dnd_toggled.connect(self._persist_dnd)
        window.focus_changed.connect(notifier.set_window_focused)
        notifier.banner_requested.connect(window.show_banner)

        def activate(task_id: str) -> None:
            window.bring_to_front()
            if task_id:
                view.select_task(task_id, reveal=True)

        notifier.task_activated.connect(activate)
        window.task_activated.connect(activate)
        if "instance" in self.parts:
            self.parts["instance"].activation_requested.connect(lambda _msg: window.bring_to_front())
        tray.quit_requested.connect(self.quit)
        window.quit_requested.connect(self.quit)
        window.settings_requested.connect(self._open_settings)

        ui_state = load_ui_state(folder / "ui-state.json").value
        if ui_state.geometry is None or not window.restore_ui_state(ui_state):
            window.resize(1280, 760)  # first run: room for the table and the detail pane
        view.restore(_read_json(folder / "table-state.json"))
        if warning:
            log.warning("settings: %s", warning)
            window.statusBar().showMessage(warning, 30_000)

        tray.show()
        if not (self.args.minimized or settings.start_minimised) or not tray.available:
            window.show()
        self._window_shown_at = time.perf_counter()
        await service.start()
        await self._start_commands()
        _freeze_heap()
        self.built.set()
        return True

    async def _start_commands(self) -> None:
        """(Re)build the command service on the current engine and wire it to the actions."""
        from monitor.services.command_service import CommandService

        service, view, window = self.parts["service"], self.parts["view"], self.parts["window"]
        old = self.parts.pop("commands", None)
        if old is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                service.task_updated.disconnect(old.confirm)
            await old.aclose()
        # The engine's own config: same server, token and client id, so acks come back to us.
        commands = CommandService(
            service.engine.config,
            engine=service.engine,
            state_path=None if self.self_test else self.config_dir / "outbox.json",
        )
        actions = view.task_actions
        for signal, slot in (
            (actions.cancel_requested, commands.cancel),
            (actions.pause_requested, commands.pause),
            (actions.resume_requested, commands.resume),
            (actions.retry_requested, commands.retry),
            (actions.query_requested, commands.query),
            (
                self.parts["tray"].pause_all_requested,
                lambda: commands.pause(_ids_in(self.parts["store"], "running")),
            ),
            (
                self.parts["tray"].resume_all_requested,
                lambda: commands.resume(_ids_in(self.parts["store"], "paused")),
            ),
        ):
            if old is not None:
                with contextlib.suppress(RuntimeError, TypeError):
                    signal.disconnect()
            signal.connect(slot)
        commands.pending_changed.connect(view.set_pending)
        commands.command_failed.connect(lambda _ids, text: window.statusBar().showMessage(text, 15_000))
        service.task_updated.connect(commands.confirm)
        self.parts["commands"] = commands
        await commands.start()

    def _open_settings(self) -> None:
        from monitor.services.secrets import TokenStore
        from monitor.ui.settings_dialog import SettingsDialog

        window = self.parts["window"]
        dialog = SettingsDialog(
            self.settings,
            token_store=TokenStore(self.settings.server_url, token_env=self.settings.token_env),
            tray_available=self.parts["tray"].available,
            parent=window,
        )
        dialog.settings_applied.connect(self._apply_settings)
        dialog.open()

    def _apply_settings(self, settings: AppSettings) -> None:
        """Apply what the settings dialog returned: persist, theme, notifications, reconnect."""
        from monitor.core.settings import save_model
        from monitor.ui.settings_dialog import apply_theme

        old = self.settings
        self.settings = settings
        if not self.self_test:
            try:
                save_model(settings, self.config_dir / "settings.json")
            except OSError as exc:
                self.parts["window"].statusBar().showMessage(f"Settings not saved: {exc}", 15_000)
        self.parts["window"].apply_settings(settings)
        self.parts["notifier"].policy.update_settings(settings.notifications)
        self.parts["notifier"].set_dnd(settings.do_not_disturb)
        self.parts["tray"].set_dnd(settings.do_not_disturb)
        if settings.theme != old.theme:
            apply_theme(self.qapp, settings.theme)
        token = self._read_token(settings)
        connection = (settings.server_url, settings.reconnect, token)
        if connection != (old.server_url, old.reconnect, self.parts["service"].token):
            self.parts["window"].set_server_url(settings.server_url)

            async def switch() -> None:
                await self.parts["service"].reconfigure(settings, token=token)
                await self._start_commands()

            task = asyncio.ensure_future(switch())
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def _read_token(self, settings: AppSettings) -> str | None:
        from monitor.services.secrets import SecretStoreError, TokenStore

        try:
            return TokenStore(settings.server_url, token_env=settings.token_env).get()
        except SecretStoreError as exc:
            # No keyring is normal on a bare machine: the server may not need a token at all.
            log.info("no token: %s", exc)
            return None

    def _persist_dnd(self, on: bool) -> None:
        from monitor.core.settings import save_model

        self.settings = self.settings.model_copy(update={"do_not_disturb": on})
        if not self.self_test:
            with contextlib.suppress(OSError):
                save_model(self.settings, self.config_dir / "settings.json")

    async def _shutdown(self) -> None:
        window = self.parts.get("window")
        view = self.parts.get("view")
        if window is not None and not self.self_test:
            from monitor.core.settings import save_model

            try:
                save_model(window.save_ui_state(), self.config_dir / "ui-state.json")
                if view is not None:
                    _write_json(self.config_dir / "table-state.json", view.state())
            except OSError as exc:  # a read-only config dir must not block quitting
                log.warning("could not save the window state: %s", exc)
        if window is not None:
            window.hide()
        for task in list(self._background):
            task.cancel()
        for name in ("commands", "service", "notifier"):
            part = self.parts.get(name)
            if part is not None and hasattr(part, "aclose"):
                try:
                    await part.aclose()
                except Exception:  # shutdown must go on: log and continue with the next part
                    log.exception("closing %s failed", name)
        if self._demo is not None:
            await asyncio.to_thread(self._demo.stop)
        tray = self.parts.get("tray")
        if tray is not None:
            tray.hide()
        instance = self.parts.get("instance")
        if instance is not None:
            instance.release()
        if self._tmp is not None:
            self._tmp.cleanup()

    # ------------------------------------------------------------------ self-test

    async def _self_test(self) -> None:
        """Wait until events reached the table and a notice went out; then quit 0, else 1."""
        from monitor.core.notify_policy import Notice, NotifyEvent

        service = self.parts["service"]
        store = self.parts["store"]
        notifier = self.parts["notifier"]
        delivered: list[str] = []
        notifier.delivered.connect(lambda path, _notice: delivered.append(str(path)))
        deadline = time.monotonic() + SELF_TEST_TIMEOUT_S
        reason = "timed out"
        try:
            while time.monotonic() < deadline:
                if len(store) > 0 and service.stats().messages_received >= 5:
                    break
                await asyncio.wait_for(service.wait_changed(), timeout=max(0.01, deadline - time.monotonic()))
            else:
                raise TimeoutError
            reason = "no notification delivered"
            notifier.deliver(
                Notice(
                    kind=NotifyEvent.ALL_DONE,
                    title="Monitor self-test",
                    body=f"{len(store)} tasks received",
                    task_ids=(),
                    critical=False,
                    toast=True,
                )
            )
            while not delivered and time.monotonic() < deadline:
                await asyncio.wait_for(
                    _signal(notifier.delivered), timeout=max(0.01, deadline - time.monotonic())
                )
        except TimeoutError:
            stats = service.stats()
            print(
                f"SELF-TEST FAILED: {reason} after {SELF_TEST_TIMEOUT_S:.0f} s "
                f"(state {stats.status}, {stats.messages_received} events, {len(store)} tasks)",
                file=sys.stderr,
            )
            self.quit(1)
            return
        stats = service.stats()
        window_ms = ((self._window_shown_at or self._started_at) - self._started_at) * 1000
        total_s = time.perf_counter() - self._started_at
        print(
            f"SELF-TEST OK: {stats.messages_received} events, {len(store)} tasks, notification via "
            f"{delivered[0]}, window after {window_ms:.0f} ms, total {total_s:.2f} s",
            flush=True,
        )
        self.quit(0)


def _freeze_heap() -> None:
    """Move the long-lived start-up objects (Qt wrappers, modules, a big snapshot) out of the GC.

    Python's full collections otherwise walk them again and again while events stream in:
    measured 40-70 ms pauses on a 10,000-task table, down to ~26 ms with the heap frozen
    (docs/ui-table.md).
    """
    gc.collect()
    gc.freeze()


def _ids_in(store: Any, state: str) -> list[str]:
    return [i for i in store.ids() if (r := store.get(i)) is not None and r.state.value == state]


def _read_json(path: Path) -> dict[str, Any]:
    """A small JSON state file, or {} when missing or unreadable (never blocks start-up)."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _write_json(path: Path, value: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(value), encoding="utf-8")
    os.replace(tmp, path)


def _signal(signal: Any) -> asyncio.Future[None]:
    """A future resolved by the next emission of a Qt signal (bridges Qt to ``await``)."""
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def fire(*_args: object) -> None:
        if not future.done():
            future.set_result(None)
        with contextlib.suppress(RuntimeError, TypeError):
            signal.disconnect(fire)

    signal.connect(fire)
    return future


def _install_qt_message_handler() -> None:
    """Route Qt's own messages into logging (so ``--log-level`` and the self-test govern them)."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    qt_log = logging.getLogger("monitor.qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def handler(kind: QtMsgType, _context: object, message: str) -> None:
        if "propagateSizeHints" in message:
            return  # the offscreen/xcb plugin's harmless notice on every top-level resize
        qt_log.log(levels.get(kind, logging.WARNING), "%s", message)

    qInstallMessageHandler(handler)


def _configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper()))


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
    qapp = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "monitor"])
    assert isinstance(qapp, QApplication)
    qapp.setQuitOnLastWindowClosed(False)  # the tray keeps the app; quitting is explicit
    qapp.setWindowIcon(app_icon())
    return qapp


def main(argv: Sequence[str]) -> int:
    """Run the desktop app; return the process exit code."""
    args = build_parser().parse_args(list(argv))
    if args.self_test:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if problem := display_problem():
        print(problem, file=sys.stderr)
        return 2
    if hint := qt_platform_hint():
        print(hint, file=sys.stderr)
        return 2
    _configure_logging("error" if args.self_test and args.log_level == "warning" else args.log_level)
    _set_windows_app_id()

    import qasync

    _install_qt_message_handler()
    qapp = create_qapp()
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    desktop = DesktopApp(qapp, args)
    try:
        with loop:
            return int(loop.run_until_complete(desktop.run()))
    except KeyboardInterrupt:
        return 130
    finally:
        asyncio.set_event_loop(None)
