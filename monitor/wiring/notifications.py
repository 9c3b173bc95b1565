"""Notification wiring: task lifecycle and connection facts -> the notifier -> banner or toast."""

from __future__ import annotations

from monitor.core.connection import ConnectionState, ConnectionStatus, Resync
from monitor.core.notify_policy import NotifyEvent
from monitor.ui.tray import TaskCounts
from monitor.wiring.parts import Parts

__all__ = ["wire_notifications"]


def wire_notifications(parts: Parts) -> None:
    """Finished tasks, connection changes and the active count feed the policy; clicks select."""
    service, store, notifier, window, view = (
        parts.service,
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

    def on_status(status: ConnectionStatus) -> None:
        live = status.state in (ConnectionState.CONNECTED, ConnectionState.POLLING)
        notifier.connection_changed(live, status.reason or "")

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
    service.connection_state_changed.connect(on_status)
    service.resync_started.connect(resync_started)
    service.resync_finished.connect(resync_finished)
    service.task_removed.connect(notifier.forget_task)
    view.counts_changed.connect(on_counts)
    window.focus_changed.connect(notifier.set_window_focused)
    notifier.banner_requested.connect(window.show_banner)
    notifier.task_activated.connect(activate)
    window.task_activated.connect(activate)
