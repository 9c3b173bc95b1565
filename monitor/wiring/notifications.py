"""Notification wiring: task lifecycle and connection facts -> the notifier -> banner or toast."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtGui import QAction, QDesktopServices

from monitor.core.connection import ConnectionState, ConnectionStatus, FailureKind, Resync
from monitor.core.lifecycle import action_applies
from monitor.core.notify_history import NoticeAction, result_link
from monitor.core.notify_policy import ConnectionLoss, Notice, NotifyEvent
from monitor.core.protocol import CommandAction, TaskState
from monitor.core.store import Change, Updated
from monitor.ui.indicator import reason_text
from monitor.ui.tray import TaskCounts
from monitor.wiring.parts import Parts

__all__ = ["is_attempt", "loss_cause", "notice_actions", "skip_attempts", "wire_notifications"]


def loss_cause(status: ConnectionStatus, *, ever_live: bool) -> ConnectionLoss:
    """The words a loss notice uses for ``status`` (the status chip says the same).

    Args:
        status: A status that is not live.
        ever_live: Whether the stream was ever live with this server.
    """
    if status.failure is FailureKind.AUTH or status.http_status in (401, 403):
        return ConnectionLoss.AUTH
    if status.failure is FailureKind.NOT_A_STREAM:
        return ConnectionLoss.NOT_A_SERVER
    return ConnectionLoss.LOST if ever_live else ConnectionLoss.UNREACHABLE


def is_attempt(status: ConnectionStatus) -> bool:
    """An attempt under way, not a loss: the state that follows says whether it failed, and why
    (taken as a loss, the notice's body was just "connecting")."""
    return status.state is ConnectionState.CONNECTING and status.failure is FailureKind.NONE


def skip_attempts(slot: Callable[[ConnectionStatus], None]) -> Callable[[ConnectionStatus], None]:
    """``slot``, called for every status but an attempt (see :func:`is_attempt`)."""

    def filtered(status: ConnectionStatus) -> None:
        if not is_attempt(status):
            slot(status)

    return filtered


def notice_actions(parts: Parts, notice: Notice) -> tuple[NoticeAction, ...]:
    """The buttons a desktop notification about one task gets.

    Retry on a failure, when the task can still be retried and the server takes commands (or
    nothing is known yet: discovery counts no answer as present); Open result when the finished
    task's result names a link or a path (:func:`~monitor.core.notify_history.result_link`).
    """
    if len(notice.task_ids) != 1 or (record := parts.store.get(notice.task_ids[0])) is None:
        return ()
    actions: list[NoticeAction] = []
    caps = parts.servers.capabilities_for([record.id])  # the task's own server's
    if (
        notice.kind is NotifyEvent.FAILED
        and action_applies(CommandAction.RETRY, record.state)
        and (caps is None or caps.commands)
    ):
        actions.append(NoticeAction.RETRY)
    if notice.kind is NotifyEvent.COMPLETED and result_link(record.result) is not None:
        actions.append(NoticeAction.OPEN_RESULT)
    return tuple(actions)


def open_result(parts: Parts, task_id: str) -> None:
    """Open the task's result link, or its file where it exists on this computer."""
    record = parts.store.get(task_id)
    link = None if record is None else result_link(record.result)
    if link is None:
        return
    if "://" in link:
        QDesktopServices.openUrl(QUrl(link))
        return
    if Path(link).exists():
        QDesktopServices.openUrl(QUrl.fromLocalFile(link))
        return
    text = QCoreApplication.translate("Notifier", "The result %1 is not on this computer.").replace(
        "%1", link
    )
    parts.window.statusBar().showMessage(text, 15_000)


def wire_history(parts: Parts) -> None:
    """View > Notification history: a dialog over the notifier's history, made when first opened."""
    from monitor.ui.notify_history import NotificationHistoryDialog

    window, notifier = parts.window, parts.notifier
    action = QAction(QCoreApplication.translate("MainWindow", "Notification &history…"), window)
    action.setObjectName("notificationHistory")
    window.view_menu.addAction(action)
    dialogs: list[NotificationHistoryDialog] = []

    def show() -> None:
        if not dialogs:
            dialog = NotificationHistoryDialog(window)
            dialog.set_entries(notifier.history.entries)
            notifier.history_changed.connect(dialog.entry_changed)
            dialog.task_activated.connect(notifier.task_activated)
            dialogs.append(dialog)
        dialogs[0].show()
        dialogs[0].raise_()

    action.triggered.connect(show)


def wire_notifications(parts: Parts) -> None:
    """Finished tasks, connection changes and the active count feed the policy; clicks select."""
    service, store, notifier, window, view = (
        parts.servers,
        parts.store,
        parts.notifier,
        parts.window,
        parts.view,
    )

    def finished(kind: NotifyEvent, task_id: str) -> None:
        record = store.get(task_id)
        if record is not None:
            detail = record.error.message if record.error is not None else None
            notifier.task_finished(kind, record.id, record.name, attempt=record.attempt, detail=detail)

    # The server the stream was last live with: "lost" for it, "cannot reach" for a new one.
    live_with: list[str | None] = [None]

    def on_status(status: ConnectionStatus) -> None:
        live = status.state in (ConnectionState.CONNECTED, ConnectionState.POLLING)
        server = window.server_url
        if live:
            live_with[0] = server
            notifier.policy.connection_changed(True)
            notifier.deliver_due()
            return
        cause = loss_cause(status, ever_live=live_with[0] == server)
        reason = reason_text(status.reason, server)  # the banner says what the chip's tooltip says
        notifier.policy.connection_changed(False, reason, cause=cause, server=server)
        notifier.deliver_due()  # what is due now, and the timer for the rest

    def withdraw_recovered(changes: Sequence[Change]) -> None:
        # A failure notice goes once its task is failed no more (retried); none shown, no walk.
        if window.banner.isHidden():
            return
        for change in changes:
            if (
                isinstance(change, Updated)
                and change.old_state is TaskState.FAILED
                and change.new_state is not TaskState.FAILED
            ):
                window.banner.withdraw_task(change.id)

    # While the task list is being rebuilt (a new server lifetime) the counts mean nothing yet:
    # "All tasks done" waits until the rebuild is finished.
    resyncing: list[bool] = [False]

    def on_counts(counts: TaskCounts) -> None:
        if not resyncing[0]:
            notifier.active_count_changed(counts.active)

    def resync_started(_resync: Resync) -> None:
        resyncing[0] = True

    def resync_finished(_resync: Resync) -> None:
        resyncing[0] = False
        view.model.flush()  # the counts of the rebuilt list, now

    def activate(task_id: str) -> None:
        window.bring_to_front()
        if task_id:
            view.select_task(task_id, reveal=True)

    service.task_completed.connect(lambda task_id: finished(NotifyEvent.COMPLETED, task_id))
    service.task_failed.connect(lambda task_id, _msg: finished(NotifyEvent.FAILED, task_id))
    service.task_cancelled.connect(lambda task_id: finished(NotifyEvent.CANCELLED, task_id))
    service.connection_state_changed.connect(skip_attempts(on_status))
    service.resync_started.connect(resync_started)
    service.resync_finished.connect(resync_finished)
    service.task_removed.connect(notifier.forget_task)
    service.task_removed.connect(window.banner.withdraw_task)
    service.tasks_changed.connect(withdraw_recovered)
    view.counts_changed.connect(on_counts)
    # Asked at each delivery: the app's menus and dialogs count as the user being in the app.
    notifier.set_in_use_probe(window.in_use)
    notifier.banner_requested.connect(window.show_banner)
    window.banner.notice_activated.connect(notifier.note_banner_click)
    notifier.set_actions_provider(lambda notice: notice_actions(parts, notice))
    notifier.action_requested.connect(
        lambda request: (
            open_result(parts, request.task_id) if request.action is NoticeAction.OPEN_RESULT else None
        )  # Retry goes through the commands wiring (confirmation, pending state)
    )
    wire_history(parts)
    notifier.task_activated.connect(activate)
    window.task_activated.connect(activate)
