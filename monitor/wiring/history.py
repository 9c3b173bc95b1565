"""Local history wiring: finished tasks to the database, read back at start, Clear finished.

The signals are connected once (:func:`wire_history`) and look up ``parts.history`` each time,
because the history is per server: changing the server in Settings closes one and opens the
other (:func:`leave_history`, :func:`open_history`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox

from monitor.core.gc_pause import gc_paused
from monitor.core.history import FINISHED, Retention, server_key, task_json
from monitor.core.settings import AppSettings
from monitor.core.store import Added, Change, Evicted, Removed, Updated
from monitor.services.history import HistoryService
from monitor.wiring.parts import Parts

__all__ = ["HISTORY_FILE", "leave_history", "open_history", "record_changes", "wire_history"]

#: The database file, in the app's data folder.
HISTORY_FILE = "history.sqlite3"


def _tr(text: str) -> str:
    return QCoreApplication.translate("History", text)


async def open_history(parts: Parts, folder: Path, settings: AppSettings) -> HistoryService | None:
    """Open the history of the server in use and put its tasks in the list (before the stream).

    Returns:
        The service (``parts.history``; closed with the other services), or None when the local
        history is off.
    """
    if settings.history_days <= 0:
        return None
    history = HistoryService(
        folder / HISTORY_FILE,
        settings.server_url,
        retention=Retention(days=settings.history_days, max_tasks=settings.task_limit),
    )
    history.problem.connect(lambda text: parts.window.statusBar().showMessage(text, 30_000))
    tasks, dismissed = await history.start()
    history.removed_by_user = set(dismissed)
    parts.store.set_dismissed(dismissed)
    # As for a big snapshot: the collector walking the growing heap was half the time.
    with gc_paused(len(tasks) >= 1_000):
        changes = parts.store.load_kept(tasks, received_at=time.time())
    if changes:
        parts.view.model.note_changes(changes)
    return history


async def leave_history(parts: Parts, new: AppSettings) -> bool:
    """Before the server changes: close the old server's history (the list is emptied next, and
    that must not erase it). Returns True if a history was closed and another should open.

    The history is one server's: it also closes when other servers join (several servers at
    once have no local history yet).
    """
    history = parts.history
    same = history is not None and history.server == server_key(new.server_url)
    if history is None or (same and len(new.active_profiles) == 1):
        return False
    parts.history = None
    await history.aclose()
    parts.store.set_dismissed(())
    return True


def record_changes(parts: Parts, changes: Sequence[Change]) -> None:
    """Finished tasks go to the history (and are kept in the list); removed ones leave it."""
    history, store = parts.history, parts.store
    if history is None:
        return
    finished: list[str] = []
    for change in changes:
        if isinstance(change, Added):
            finished.extend(change.ids)
            back = history.removed_by_user.intersection(change.ids)
            if back:  # removed once, active again (retried): no longer removed
                history.removed_by_user.difference_update(back)
                history.dismiss(back, dismissed=False)
        elif isinstance(change, Updated):
            if change.new_state in FINISHED:
                finished.append(change.id)
        elif isinstance(change, Removed) and not isinstance(change, Evicted):
            history.forget(change.ids)  # the server (or the user) removed it
    records = [r for i in finished if (r := store.get(i)) is not None and r.state in FINISHED]
    if records:
        history.record((r.id, task_json(r)) for r in records)
        store.keep(r.id for r in records)


def wire_history(parts: Parts) -> QAction:
    """Record finished tasks and removals; add File > Clear finished tasks…."""
    store, service, window = parts.store, parts.servers, parts.window

    def on_changes(changes: Sequence[Change]) -> None:
        record_changes(parts, changes)

    def on_removed_by_user(ids: list[str]) -> None:
        if parts.history is not None:
            parts.history.removed_by_user.update(ids)
            parts.history.dismiss(ids)

    service.tasks_changed.connect(on_changes)
    parts.view.task_actions.remove_requested.connect(on_removed_by_user)

    clear = QAction(_tr("C&lear finished tasks…"), window)
    clear.setObjectName("clearFinished")

    def ask() -> None:
        ids = [i for i in store.ids() if (r := store.get(i)) is not None and r.state in FINISHED]
        if not ids:
            window.statusBar().showMessage(_tr("No finished tasks to clear."), 10_000)
            return
        text = QCoreApplication.translate(
            "History",
            "Remove %n finished task(s) from the list and from this computer's history?",
            "",
            len(ids),
        )
        box = QMessageBox(QMessageBox.Icon.Question, _tr("Clear finished tasks"), text, parent=window)
        box.setObjectName("clearFinishedQuestion")
        go = box.addButton(_tr("Clear"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered() -> None:
            if box.clickedButton() is go:
                on_removed_by_user(ids)
                service.forget(ids)
                if parts.history is not None:
                    parts.history.clear()

        box.finished.connect(lambda _code: answered())
        box.open()

    clear.triggered.connect(ask)
    window.file_menu.insertAction(window.action_settings, clear)
    window.file_menu.insertSeparator(window.action_settings)
    return clear
