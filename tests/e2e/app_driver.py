"""Runs the real desktop app (``monitor.app.DesktopApp``) and reports what it shows, for e2e tests.

Started by a test as a subprocess inside a private desktop (``tests/e2e/desktop.py``: Xvfb, D-Bus,
dunst, a tray host), with the app's own command line plus driver options::

    python -m tests.e2e.app_driver -- --server URL --config-dir DIR --new-instance

It writes one JSON object per line on stdout (the test reads them as they come):

* ``{"ev": "ready"}`` once the window is shown,
* ``{"ev": "state", "state": "connected", "text": "<indicator text>"}`` on each connection change,
* ``{"ev": "rows", "rows": N, "running": R, "progress_sum": P}`` after each flush that changed rows
  (throttled to 5 per second),
* ``{"ev": "activated", "id": ID, "selected": [...]}`` when a notification click selected a task,
* ``{"ev": "dump", ...}`` / ``{"ev": "shot", "path": ...}`` answering stdin commands.

stdin commands, one per line: ``dump``, ``shot PATH`` (window grab), ``screen PATH`` (whole
screen), ``select ID``, ``detail on|off`` (View > Detail pane), ``messages on|off`` (View >
Messages, the dock), ``resize W H`` (window size, for screenshots), ``theme light|dark``, ``settings
PATH`` (open the settings dialog and grab it), ``cancel PATH`` (trigger Cancel on the selection,
grab the question it asks, answer "Go back"), ``history`` (the notification history),
``historydialog PATH`` (View > Notification history, grabbed), ``tab NAME`` (the detail pane's
tab; answers with the Progress chart's point count), ``quit``.
Each command answers with one JSON line.
This is test scaffolding, not product code.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.wiring.parts import Parts

__all__ = ["main"]


def _text(indicator: Any) -> str:
    text = indicator.text
    return str(text() if callable(text) else text)


def _records(store: Any) -> list[Any]:
    return [r for i in store.ids() if (r := store.get(i)) is not None]


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class Driver:
    """Observes a running DesktopApp and answers commands."""

    def __init__(self, desktop: Any) -> None:
        self.desktop = desktop
        self._last_rows = 0.0
        self._rows_pending = False

    def attach(self) -> None:
        parts = self.desktop.parts
        assert parts is not None
        service, window = parts.service, parts.window
        service.connection_state_changed.connect(
            lambda status: _emit(
                {"ev": "state", "state": str(status.state.value), "text": _text(window.indicator)}
            )
        )
        service.tasks_changed.connect(lambda _changes: self._rows())
        parts.notifier.task_activated.connect(self._activated)
        _emit({"ev": "ready"})
        _emit({"ev": "state", "state": str(service.status.state.value), "text": _text(window.indicator)})

    def _rows(self) -> None:
        now = time.monotonic()
        if now - self._last_rows < 0.2:
            if not self._rows_pending:
                self._rows_pending = True
                asyncio.get_running_loop().call_later(0.25, self._flush_rows)
            return
        self._flush_rows()

    def _flush_rows(self) -> None:
        self._rows_pending = False
        self._last_rows = time.monotonic()
        tasks = _records(self.desktop.parts.store)
        _emit(
            {
                "ev": "rows",
                "rows": self.desktop.parts.view.model.rowCount(),
                "tasks": len(tasks),
                "running": sum(1 for t in tasks if t.state.value == "running"),
                "progress_sum": sum(t.progress for t in tasks),
            }
        )

    def _activated(self, task_id: str) -> None:
        # The app's own slot (bring to front + select) runs first: it was connected earlier.
        _emit({"ev": "activated", "id": task_id, "selected": self.desktop.parts.view.selected_ids()})

    def _cancel_question(self, path: str) -> None:
        """Cancel the selection, grab the question it asks after 0.5 s, then say "Go back"."""
        from PySide6.QtWidgets import QMessageBox, QPushButton

        parts = self.desktop.parts
        cancel = parts.view.task_actions.cancel
        if not cancel.isEnabled():
            _emit({"ev": "shot", "path": path, "ok": False, "why": cancel.toolTip()})
            return
        cancel.trigger()
        boxes = [b for b in parts.window.findChildren(QMessageBox, "confirmAction") if b.isVisible()]
        if len(boxes) != 1:
            _emit({"ev": "shot", "path": path, "ok": False, "why": f"{len(boxes)} questions on screen"})
            return
        box = boxes[0]

        def grab() -> None:
            ok = box.grab().save(path)
            text = box.text()
            back = box.findChild(QPushButton, "confirmNo")
            if back is not None:
                back.click()
            view = parts.view
            acted = [i for i in view.selected_ids() if view.model.pending(i) is not None]
            _emit({"ev": "shot", "path": path, "ok": bool(ok and back), "text": text, "acted": acted})

        asyncio.get_running_loop().call_later(0.5, grab)

    def _tab(self, parts: Parts, arg: str) -> None:
        from monitor.ui.activity import ProgressChart

        tabs = parts.view.detail.tabs
        index = next((i for i in range(tabs.count()) if tabs.tabText(i).replace("&", "") == arg), -1)
        tabs.setCurrentIndex(index)
        chart = parts.view.detail.findChild(ProgressChart)
        _emit({"ev": "tab", "index": index, "points": len(chart.points()) if chart is not None else 0})

    def _history_dialog(self, parts: Parts, arg: str) -> None:
        action = next(a for a in parts.window.view_menu.actions() if a.objectName() == "notificationHistory")
        action.trigger()

        def grab_history() -> None:
            from monitor.ui.notify_history import NotificationHistoryDialog

            dialog = parts.window.findChild(NotificationHistoryDialog)
            ok = dialog is not None and dialog.grab().save(arg)
            if dialog is not None:
                dialog.close()
            _emit({"ev": "shot", "path": arg, "ok": bool(ok)})

        asyncio.get_running_loop().call_later(0.5, grab_history)

    def _history(self, parts: Parts, _arg: str) -> None:
        entries = parts.notifier.history.entries
        _emit(
            {
                "ev": "history",
                "entries": [
                    {"title": e.title, "path": e.path, "outcome": e.outcome.value, "tasks": list(e.task_ids)}
                    for e in entries
                ],
            }
        )

    def command(self, line: str) -> None:
        parts = self.desktop.parts
        assert parts is not None
        cmd, _, arg = line.strip().partition(" ")
        more = {"tab": self._tab, "historydialog": self._history_dialog, "history": self._history}
        if cmd in more:
            more[cmd](parts, arg)
            return
        if cmd == "dump":
            store, service = parts.store, parts.service
            stats = service.stats()
            _emit(
                {
                    "ev": "dump",
                    "tasks": {
                        t.id: {"state": t.state.value, "progress": t.progress, "attempt": t.attempt}
                        for t in _records(store)
                    },
                    "last_event_id": stats.last_event_id,
                    "messages": stats.messages_received,
                    "indicator": _text(parts.window.indicator),
                    "client_id": service.engine.config.client_id if service.engine else None,
                    "commands": parts.commands is not None,
                    "chat": len(parts.messages.store),
                    "rows": parts.view.model.rowCount(),
                }
            )
        elif cmd == "shot":
            window = parts.window
            ok = window.grab().save(arg)
            _emit({"ev": "shot", "path": arg, "ok": bool(ok)})
        elif cmd == "screen":
            from PySide6.QtGui import QGuiApplication

            ok = QGuiApplication.primaryScreen().grabWindow(0).save(arg)
            _emit({"ev": "shot", "path": arg, "ok": bool(ok)})
        elif cmd == "select":
            parts.view.select_task(arg)
            _emit({"ev": "selected", "selected": parts.view.selected_ids()})
        elif cmd == "detail":
            parts.window.action_detail_pane.setChecked(arg == "on")
            _emit({"ev": "detail", "on": parts.window.action_detail_pane.isChecked()})
        elif cmd == "messages":
            toggle = next(a for a in parts.window.view_menu.actions() if a.objectName() == "messages")
            if toggle.isChecked() != (arg == "on"):
                toggle.trigger()  # a dock's toggleViewAction acts on triggered, not on setChecked
            _emit({"ev": "messages", "on": toggle.isChecked()})
        elif cmd == "resize":
            width, _, height = arg.partition(" ")
            window = parts.window
            window.resize(int(width), int(height))
            hint = window.minimumSizeHint()  # a layout's floor: what a smaller resize stops at
            _emit(
                {
                    "ev": "resized",
                    "width": window.width(),
                    "height": window.height(),
                    "minimum": [hint.width(), hint.height()],
                }
            )
        elif cmd == "theme":
            from monitor.core.settings import Theme
            from monitor.ui.settings_dialog import apply_theme

            apply_theme(self.desktop.qapp, Theme(arg))
            _emit({"ev": "theme", "theme": arg})
        elif cmd == "settings":
            from monitor.services.secrets import TokenStore
            from monitor.ui.settings_dialog import SettingsDialog

            dialog = SettingsDialog(
                self.desktop.settings,
                token_store=TokenStore(self.desktop.settings.server_url),
                tray_available=parts.tray.available,
                parent=parts.window,
            )
            dialog.show()
            dialog.raise_()

            def grab() -> None:
                ok = dialog.grab().save(arg)
                dialog.close()
                _emit({"ev": "shot", "path": arg, "ok": bool(ok)})

            asyncio.get_running_loop().call_later(0.5, grab)
        elif cmd == "cancel":
            self._cancel_question(arg)
        elif cmd == "quit":
            self.desktop.quit(0)
        else:
            _emit({"ev": "error", "text": f"unknown command {line!r}"})


def main(argv: list[str]) -> int:
    """Run the app with a driver attached; return its exit code."""
    import qasync

    from monitor.app import DesktopApp, build_parser, create_qapp

    args = build_parser().parse_args([a for a in argv if a != "--"])
    qapp = create_qapp()  # the real app's identity, so grabs and notices match what it shows
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    desktop = DesktopApp(qapp, args)
    driver = Driver(desktop)

    async def attach_when_built() -> None:
        await desktop.built.wait()
        driver.attach()

    def read_stdin() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(driver.command, line)
        loop.call_soon_threadsafe(desktop.quit, 0)

    threading.Thread(target=read_stdin, daemon=True).start()
    with loop:
        attach = loop.create_task(attach_when_built())
        code = loop.run_until_complete(desktop.run())
        attach.cancel()
    return int(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
