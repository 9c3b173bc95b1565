"""ONE set of task actions shared by the toolbar, the context menu and the keyboard.

Actions never talk to the network: triggering emits a ``_requested`` signal with the ids of the
*eligible* selected tasks; the app turns that into commands. They offer only what the server can
do (:meth:`TaskActions.set_capabilities`): without a commands endpoint Cancel, Pause/Resume and
Retry are disabled and their tooltip and status tip say why; without a snapshot, Refresh says it
reconnects.

Each action with a shortcut carries its help label in the ``shortcutHelp`` property (the text of
Cancel or Pause changes with the selection): Help > Keyboard shortcuts is built from the actions
themselves (:func:`shortcut_rows`), so the list cannot drift from the keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence

from monitor.core.lifecycle import ACTION_STATES, TERMINAL_STATES
from monitor.core.profile import Capabilities
from monitor.core.protocol import CommandAction, TaskState
from monitor.core.servers import local_id
from monitor.ui.plaintext import plain_tooltip

__all__ = ["SHORTCUT_HELP", "ActionRule", "TaskActions", "shortcut_rows"]


def _tr(text: str) -> str:
    return QCoreApplication.translate("TaskActions", text)


#: The dynamic property holding an action's label in the shortcut help.
SHORTCUT_HELP = "shortcutHelp"


def shortcut_rows(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    """(keys, what) for every action with a shortcut, in the given order, each action once.

    Args:
        actions: Actions to list (e.g. all of a window's, ``findChildren(QAction)``).

    Returns:
        Keys as the platform writes them ("Shift+Del", several joined by ", ") and the action's
        help label (its ``shortcutHelp`` property, else its text without ``&`` and ``…``).
    """
    rows: list[tuple[str, str]] = []
    seen: set[int] = set()
    for action in actions:
        keys = [k for k in action.shortcuts() if not k.isEmpty()]
        if not keys or id(action) in seen:
            continue
        seen.add(id(action))
        label = action.property(SHORTCUT_HELP)
        what = label if isinstance(label, str) and label else action.text().replace("&", "").rstrip("…")
        rows.append((", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in keys), what))
    return rows


#: Called with a literal context at each site (not via ``_tr``) so that pyside6-lupdate finds the strings.
translate = QCoreApplication.translate


@dataclass(frozen=True)
class ActionRule:
    """Which states an action applies to, and the texts it shows."""

    states: frozenset[TaskState]
    label: str  # "Cancel"
    why_not: str  # tooltip when nothing selected is eligible


class TaskActions(QObject):
    """The task actions and the intents they emit.

    Signals:
        cancel_requested(list): ids to cancel.
        pause_requested(list): ids to pause.
        resume_requested(list): ids to resume.
        retry_requested(list): ids to run again.
        query_requested(list): ids to refresh (empty: refresh everything).
        remove_requested(list): ids to drop from the list (local only).
        details_requested(list): ids of the selection whose details to show (Enter, or a
            double-click on a row).
    """

    cancel_requested = Signal(list)
    pause_requested = Signal(list)
    resume_requested = Signal(list)
    retry_requested = Signal(list)
    query_requested = Signal(list)
    remove_requested = Signal(list)
    details_requested = Signal(list)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._selection: list[tuple[str, TaskState]] = []
        self._no_commands = ""  # why the server takes no commands ("" = it does, or unknown)
        # Which states each action applies to comes from the one table the server enforces too.
        self._rules: dict[str, ActionRule] = {
            "cancel": ActionRule(
                ACTION_STATES[CommandAction.CANCEL],
                translate("TaskActions", "Cancel"),
                translate("TaskActions", "Only queued, running or paused tasks can be cancelled"),
            ),
            "pause": ActionRule(
                ACTION_STATES[CommandAction.PAUSE],
                translate("TaskActions", "Pause"),
                translate("TaskActions", "Only queued or running tasks can be paused"),
            ),
            "resume": ActionRule(
                ACTION_STATES[CommandAction.RESUME],
                translate("TaskActions", "Resume"),
                translate("TaskActions", "Only paused tasks can be resumed"),
            ),
            "retry": ActionRule(
                ACTION_STATES[CommandAction.RETRY],
                translate("TaskActions", "Retry"),
                translate("TaskActions", "Only failed or cancelled tasks can be retried"),
            ),
            "remove": ActionRule(
                TERMINAL_STATES,
                translate("TaskActions", "Remove from list"),
                translate("TaskActions", "Only finished tasks can be removed from the list"),
            ),
        }
        self.cancel = self._make("cancel", QKeySequence(Qt.Key.Key_Delete), self.cancel_requested.emit)
        self.pause_resume = self._make("pause", QKeySequence(Qt.Key.Key_Space), self._pause_or_resume)
        self.pause_resume.setProperty(SHORTCUT_HELP, translate("TaskActions", "Pause / resume"))
        self.retry = self._make("retry", QKeySequence("Ctrl+R"), self.retry_requested.emit)
        self.remove = self._make("remove", QKeySequence("Shift+Del"), self.remove_requested.emit)
        self.refresh = QAction(translate("TaskActions", "Refresh"), self)
        self.refresh.setObjectName("action_refresh")
        self.refresh.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.refresh.setShortcuts([QKeySequence(Qt.Key.Key_F5)])
        self.refresh.triggered.connect(self._refresh)
        self.copy_id = QAction(translate("TaskActions", "Copy ID"), self)
        self.copy_id.setObjectName("action_copy_id")
        self.copy_id.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
        self.copy_id.triggered.connect(self._copy)
        self.show_details = QAction(translate("TaskActions", "Show details"), self)
        self.show_details.setObjectName("action_show_details")
        # Return is the main keyboard's Enter, Enter the keypad's.
        self.show_details.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        self.show_details.triggered.connect(
            lambda: self.details_requested.emit([t for t, _ in self._selection])
        )
        for action in self.all():
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.set_capabilities(None)

    def set_capabilities(self, capabilities: Capabilities | None) -> None:
        """Offer only what the server can do (None: unknown, offer everything)."""
        commands = capabilities is None or capabilities.commands
        self._no_commands = (
            ""
            if commands or capabilities is None
            else translate("TaskActions", "This server takes no commands ({reason})").format(
                reason=capabilities.reason("commands")
            )
        )
        if capabilities is None or capabilities.snapshot:
            tip = translate("TaskActions", "Ask the server for the latest state (F5)")
        else:
            tip = translate(
                "TaskActions",
                "Reconnect to rebuild the list: this server has no task snapshot ({reason}) (F5)",
            ).format(reason=capabilities.reason("snapshot"))
        self.refresh.setToolTip(plain_tooltip(tip))  # the reason quotes a URL: never rich text
        self.refresh.setStatusTip(tip)
        self.set_selection(self._selection)

    @property
    def no_commands_reason(self) -> str:
        """Why the server takes no commands, as shown to the user ("" when it does or is unknown)."""
        return self._no_commands

    def _refresh(self) -> None:
        # A selection is queried by command; without commands, F5 rebuilds everything instead.
        self.query_requested.emit([] if self._no_commands else [tid for tid, _ in self._selection])

    def _make(self, name: str, key: QKeySequence, emit: Callable[[list[str]], Any]) -> QAction:
        action = QAction(self._rules[name].label, self)
        action.setShortcut(key)
        action.setProperty(SHORTCUT_HELP, self._rules[name].label)
        action.setObjectName(f"action_{name}")
        action.triggered.connect(lambda: emit(self.eligible(name)))
        return action

    def all(self) -> list[QAction]:
        """Every action, in toolbar order."""
        return [
            self.cancel,
            self.pause_resume,
            self.retry,
            self.refresh,
            self.remove,
            self.copy_id,
            self.show_details,
        ]

    def toolbar_actions(self) -> list[QAction | None]:
        """For ``MainWindow.add_toolbar_actions`` (None = separator)."""
        return [self.cancel, self.pause_resume, self.retry, None, self.refresh]

    def eligible(self, name: str) -> list[str]:
        """Ids of selected tasks the action ``name`` applies to."""
        states = self._rules[name].states
        return [tid for tid, state in self._selection if state in states]

    def set_selection(self, selection: Sequence[tuple[str, TaskState]]) -> None:
        """Update enabled state, texts and tooltips for the selected (id, state) pairs."""
        self._selection = list(selection)
        for name, action in (("cancel", self.cancel), ("retry", self.retry), ("remove", self.remove)):
            self._update(name, action)
        # Space pauses when something runs, else resumes what is paused.
        self._update(
            "pause" if self.eligible("pause") or not self.eligible("resume") else "resume", self.pause_resume
        )
        self.copy_id.setEnabled(bool(self._selection))
        self.copy_id.setToolTip(
            translate("TaskActions", "Copy the selected task ids")
            if self._selection
            else translate("TaskActions", "No task selected")
        )

    def _update(self, name: str, action: QAction) -> None:
        rule = self._rules[name]
        n_ok, n_sel = len(self.eligible(name)), len(self._selection)
        action.setData(name)
        if self._no_commands and name != "remove":  # removing is local: it needs no server
            action.setEnabled(False)
            action.setText(rule.label)
            action.setToolTip(plain_tooltip(self._no_commands))
            action.setStatusTip(self._no_commands)
            return
        action.setStatusTip("")
        if n_sel == 0:
            action.setEnabled(False)
            action.setText(rule.label)
            action.setToolTip(translate("TaskActions", "No task selected"))
            return
        action.setEnabled(n_ok > 0)
        if n_ok == 0:
            action.setText(rule.label)
            action.setToolTip(rule.why_not)
        elif n_ok < n_sel:
            text = translate("TaskActions", "{action} {n} of {m} selected").format(
                action=rule.label, n=n_ok, m=n_sel
            )
            action.setText(text)
            action.setToolTip(text)
        else:
            action.setText(rule.label if n_ok == 1 else f"{rule.label} ({n_ok})")
            action.setToolTip(rule.label)

    def _pause_or_resume(self, _ids: list[str]) -> None:
        if self.pause_resume.data() == "resume":
            self.resume_requested.emit(self.eligible("resume"))
        else:
            self.pause_requested.emit(self.eligible("pause"))

    def _copy(self) -> None:
        ids = [local_id(tid) for tid, _ in self._selection]  # as the server knows them
        if ids:
            QGuiApplication.clipboard().setText("\n".join(ids))
