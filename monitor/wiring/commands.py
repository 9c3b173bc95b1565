"""Command wiring: task actions and the tray's Pause all / Resume all -> the command service.

Each server has its own command service (``monitor.services.servers``), rebuilt when its
connection changes; the intents are connected once, here, to the server set, which sends each
task's command to that task's own server.

Acting safely (issue 12): a cancel, and any action on several tasks, first asks
(:class:`~monitor.ui.confirm.ActionConfirmer`, "Don't ask again" saved in
``AppSettings.confirm``); what can be undone (:func:`~monitor.core.lifecycle.undo_action`) is
offered for a few seconds in the status bar (:class:`~monitor.ui.confirm.UndoOffer`). Pause all
holds the queue too: it pauses queued tasks before running ones, so no queued task takes a freed
slot; Resume all resumes the tasks that had started first, and the server sends those beyond its
running limit back to the queue.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from monitor.core.lifecycle import undo_action
from monitor.core.notify_history import NoticeAction
from monitor.core.protocol import CommandAction, TaskState
from monitor.core.settings import ConfirmSettings
from monitor.core.store import TaskStore
from monitor.core.text import display_line
from monitor.ui.confirm import ActionConfirmer, ConfirmKind, UndoOffer, describe
from monitor.wiring.parts import Parts
from monitor.wiring.persistence import SettingsKeeper

__all__ = ["wire_commands"]


def _ids_in(store: TaskStore, *states: TaskState) -> list[str]:
    """Ids of the tasks in ``states``, state by state in the order given."""
    by_state: dict[TaskState, list[str]] = {s: [] for s in states}
    for task_id in store.ids():
        record = store.get(task_id)
        if record is not None and record.state in by_state:
            by_state[record.state].append(task_id)
    return [i for s in states for i in by_state[s]]


class _Acting:
    """Asks, sends and offers Undo for the user's task actions (one per app)."""

    def __init__(self, parts: Parts, keeper: SettingsKeeper | None) -> None:
        self.parts, self.keeper, self.store = parts, keeper, parts.store
        self.confirmer = ActionConfirmer(
            parts.window, lambda: keeper.settings.confirm if keeper else ConfirmSettings()
        )
        self.undo = UndoOffer(parts.window)
        parts.window.statusBar().addPermanentWidget(self.undo)
        self.undoable: dict[str, CommandAction] = {}  # what the offer on screen would send
        self.confirmer.dont_ask_again.connect(self.never_ask)
        self.undo.undo_requested.connect(self.undo_last)

    def never_ask(self, kind: ConfirmKind) -> None:
        if self.keeper is not None:
            settings = self.keeper.settings
            confirm = settings.confirm.model_copy(update={kind.value: False})
            self.keeper.update(settings.model_copy(update={"confirm": confirm}))

    def send(self, action: CommandAction, ids: list[str]) -> None:
        if ids:
            self.parts.servers.send(action, ids)  # each task to its own server

    def act(
        self, action: CommandAction, ids: list[str], *, everything: bool = False, detail: str = ""
    ) -> None:
        records = [r for i in dict.fromkeys(ids) if (r := self.store.get(i)) is not None]
        if not records:
            return
        before = {r.id: r.state for r in records}  # what Undo restores, as the user saw it
        if action is CommandAction.CANCEL and {TaskState.RUNNING, TaskState.PAUSED} & set(before.values()):
            detail = QCoreApplication.translate("Confirm", "The work done so far is lost.")

        def go() -> None:
            self.send(action, list(before))
            self.undoable = {
                i: inverse for i, state in before.items() if (inverse := undo_action(action, state))
            }
            if self.undoable:
                names = [r.name for r in records if r.id in self.undoable]
                self.undo.offer(describe(action, names, done=True))
            else:
                self.undo.withdraw()  # an older offer would now undo the wrong thing

        self.confirmer.request(action, [r.name for r in records], go, everything=everything, detail=detail)

    def undo_last(self) -> None:
        by_action: dict[CommandAction, list[str]] = {}
        for task_id, inverse in self.undoable.items():
            by_action.setdefault(inverse, []).append(task_id)
        self.undoable = {}
        for inverse, ids in by_action.items():
            self.send(inverse, ids)

    def pause_all(self) -> None:
        # Queued first: pausing a running task frees a slot a queued one would take at once.
        self.act(
            CommandAction.PAUSE,
            _ids_in(self.store, TaskState.QUEUED, TaskState.RUNNING),
            everything=True,
            detail=QCoreApplication.translate(
                "Confirm", "Queued tasks are paused too, so nothing new starts until you resume."
            ),
        )

    def resume_all(self) -> None:
        paused = _ids_in(self.store, TaskState.PAUSED)
        # Those that had started first: they get the free slots, the rest wait in the queue.
        paused.sort(key=lambda i: (r := self.store.get(i)) is None or r.started_at is None)
        self.act(
            CommandAction.RESUME,
            paused,
            everything=True,
            detail=QCoreApplication.translate(
                "Confirm", "Tasks beyond the server's running limit wait in the queue."
            ),
        )


def wire_commands(parts: Parts, keeper: SettingsKeeper | None = None) -> None:
    """Connect the user's intents to whichever command service is current, asking first where
    it matters and offering Undo where the server allows it.

    Args:
        parts: The app's parts.
        keeper: Where "Don't ask again" is saved (None: nowhere, always ask).
    """
    acting = _Acting(parts, keeper)
    actions = parts.view.task_actions
    for signal, action in (
        (actions.cancel_requested, CommandAction.CANCEL),
        (actions.pause_requested, CommandAction.PAUSE),
        (actions.resume_requested, CommandAction.RESUME),
        (actions.retry_requested, CommandAction.RETRY),
    ):
        signal.connect(lambda ids, action=action: acting.act(action, ids))
    actions.query_requested.connect(lambda ids: acting.send(CommandAction.QUERY, ids))
    servers, view, window = parts.servers, parts.view, parts.window
    servers.pending_changed.connect(view.set_pending)
    # The reason may be the server's words: controls shown, one line.
    servers.command_failed.connect(
        lambda _ids, text: window.statusBar().showMessage(display_line(text), 15_000)
    )
    # "To: You" for direct messages: the client id the first server knows us by.
    servers.servers_changed.connect(
        lambda: parts.messages.set_client_id(parts.servers.links[0].service.profile.client_id)
    )
    parts.tray.pause_all_requested.connect(acting.pause_all)
    parts.tray.resume_all_requested.connect(acting.resume_all)
    # A notification's Retry button: the same path as the toolbar's Retry.
    parts.notifier.action_requested.connect(
        lambda request: (
            acting.act(CommandAction.RETRY, [request.task_id])
            if request.action is NoticeAction.RETRY
            else None
        )
    )
