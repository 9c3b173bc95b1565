"""Task lifecycle rules shared by the server and the app: state groups, which action applies to
which states, and what the app shows while an action is on its way.

One table (:data:`ACTION_STATES`) decides both what ``monitor serve`` accepts and what the UI
offers, so the two cannot drift apart (they did: the UI offered Pause for running tasks only
while the server accepted queued ones too).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from monitor.core.protocol import TERMINAL_STATES, CommandAction, TaskState

__all__ = [
    "ACTION_STATES",
    "ACTIVE_STATES",
    "OPPOSITE_ACTIONS",
    "TERMINAL_STATES",
    "PendingAction",
    "action_applies",
    "pending_for",
    "undo_action",
]

#: States of a task that still runs or may run (the "Active" group; what "all done" waits for).
ACTIVE_STATES: Final = frozenset(
    {TaskState.QUEUED, TaskState.RUNNING, TaskState.PAUSED, TaskState.CANCELLING}
)

#: Task state commands -> the states they apply to (the server refuses the rest, the UI greys it).
ACTION_STATES: Final[dict[CommandAction, frozenset[TaskState]]] = {
    CommandAction.CANCEL: frozenset({TaskState.QUEUED, TaskState.RUNNING, TaskState.PAUSED}),
    CommandAction.PAUSE: frozenset({TaskState.QUEUED, TaskState.RUNNING}),
    CommandAction.RESUME: frozenset({TaskState.PAUSED}),
    CommandAction.RETRY: frozenset({TaskState.FAILED, TaskState.CANCELLED}),
}


#: State commands that cancel each other out while neither has been sent (the outbox drops both).
OPPOSITE_ACTIONS: Final[dict[CommandAction, CommandAction]] = {
    CommandAction.PAUSE: CommandAction.RESUME,
    CommandAction.RESUME: CommandAction.PAUSE,
}


def undo_action(action: CommandAction, state_before: TaskState) -> CommandAction | None:
    """The command that undoes ``action`` on a task that was in ``state_before`` (None: none does).

    Pause is undone by resume. A cancel is undone by retry only for a queued task: it had done no
    work, so running it again loses nothing (a running task's work is gone once cancelled).
    """
    if action is CommandAction.PAUSE and state_before in ACTION_STATES[CommandAction.PAUSE]:
        return CommandAction.RESUME
    if action is CommandAction.CANCEL and state_before is TaskState.QUEUED:
        return CommandAction.RETRY
    return None


def action_applies(action: CommandAction, state: TaskState) -> bool:
    """Whether ``action`` may be asked of a task in ``state``."""
    return state in ACTION_STATES.get(action, frozenset())


class PendingAction(StrEnum):
    """A state command sent and not yet confirmed (shown in place of the task's state)."""

    PAUSING = "pausing"
    CANCELLING = "cancelling"
    RESUMING = "resuming"
    RETRYING = "retrying"


_PENDING: Final = {
    CommandAction.PAUSE: PendingAction.PAUSING,
    CommandAction.CANCEL: PendingAction.CANCELLING,
    CommandAction.RESUME: PendingAction.RESUMING,
    CommandAction.RETRY: PendingAction.RETRYING,
}


def pending_for(action: CommandAction) -> PendingAction | None:
    """The pending mark ``action`` puts on a task (None: it changes no state, e.g. query)."""
    return _PENDING.get(action)
