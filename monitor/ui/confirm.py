"""Acting safely: ask once before a cancel or a bulk action, and offer Undo where one exists.

:class:`ActionConfirmer` shows one window-modal :class:`QMessageBox` ("Cancel 'name'?", "Pause 20
tasks?") with a "Don't ask again" box, and runs the action only when the user says yes. It opens
the box with ``open()`` and answers through ``finished``: widgets never await and never spin a
nested event loop. Task names come from the server, so the box shows plain text only.

:class:`UndoOffer` is a small status-bar widget ("Paused 'name'  [Undo]") that stays for
:data:`UNDO_SECONDS`; what Undo sends is decided by :func:`monitor.core.lifecycle.undo_action`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Final

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from monitor.core.protocol import CommandAction
from monitor.core.settings import ConfirmSettings

__all__ = ["UNDO_SECONDS", "ActionConfirmer", "ConfirmKind", "UndoOffer", "describe"]

#: How long Undo stays offered.
UNDO_SECONDS: Final = 10
#: Task names longer than this are shortened in questions and offers (a name is one line).
_NAME_MAX: Final = 80

translate = QCoreApplication.translate


class ConfirmKind(StrEnum):
    """Which question is asked; each is a field of :class:`ConfirmSettings` ("Don't ask again")."""

    CANCEL = "cancel"
    BULK = "bulk"


def _short(name: str) -> str:
    name = " ".join(name.split())  # one line, whatever the server sent
    return name if len(name) <= _NAME_MAX else name[: _NAME_MAX - 1] + "…"


def describe(action: CommandAction, names: Sequence[str], *, done: bool = False) -> str:
    """The question ("Cancel 'a.wav'?", "Pause 3 tasks?") or, with ``done``, what was done
    ("Paused 'a.wav'", "Cancelled 3 tasks"), translated, plain text."""
    one = _short(names[0]) if len(names) == 1 else ""
    n = len(names)
    if done:
        texts = {
            CommandAction.CANCEL: (
                translate("Confirm", "Cancelled '{name}'"),
                translate("Confirm", "Cancelled {n} tasks"),
            ),
            CommandAction.PAUSE: (
                translate("Confirm", "Paused '{name}'"),
                translate("Confirm", "Paused {n} tasks"),
            ),
            CommandAction.RESUME: (
                translate("Confirm", "Resumed '{name}'"),
                translate("Confirm", "Resumed {n} tasks"),
            ),
            CommandAction.RETRY: (
                translate("Confirm", "Retried '{name}'"),
                translate("Confirm", "Retried {n} tasks"),
            ),
        }
    else:
        texts = {
            CommandAction.CANCEL: (
                translate("Confirm", "Cancel '{name}'?"),
                translate("Confirm", "Cancel {n} tasks?"),
            ),
            CommandAction.PAUSE: (
                translate("Confirm", "Pause '{name}'?"),
                translate("Confirm", "Pause {n} tasks?"),
            ),
            CommandAction.RESUME: (
                translate("Confirm", "Resume '{name}'?"),
                translate("Confirm", "Resume {n} tasks?"),
            ),
            CommandAction.RETRY: (
                translate("Confirm", "Retry '{name}'?"),
                translate("Confirm", "Retry {n} tasks?"),
            ),
        }
    single, many = texts.get(action, ("{name}", "{n}"))
    return single.format(name=one) if n == 1 else many.format(n=n)


class ActionConfirmer(QObject):
    """Asks before a cancel (any number of tasks) and before any action on several tasks.

    Signals:
        asked(object): A question is on screen (the :class:`QMessageBox`).
        dont_ask_again(object): The user accepted with "Don't ask again" ticked: the
            :class:`ConfirmKind` to turn off (the app saves it in the settings).

    Args:
        parent: The window the question is modal to.
        settings: Returns the settings in effect (read at each question).
    """

    asked = Signal(object)
    dont_ask_again = Signal(object)

    def __init__(self, parent: QWidget, settings: Callable[[], ConfirmSettings]) -> None:
        super().__init__(parent)
        self._window = parent
        self._settings = settings
        self._box: QMessageBox | None = None

    @property
    def question(self) -> QMessageBox | None:
        """The question on screen, if any."""
        return self._box

    @staticmethod
    def kind_of(action: CommandAction, count: int, *, everything: bool = False) -> ConfirmKind | None:
        """Which question ``action`` on ``count`` tasks asks (None: it goes at once).

        ``everything``: the tray's Pause all / Resume all, a bulk action whatever the count.
        """
        if action is CommandAction.CANCEL:
            return ConfirmKind.CANCEL
        if count > 1 or everything:
            return ConfirmKind.BULK
        return None

    def request(
        self,
        action: CommandAction,
        names: Sequence[str],
        go: Callable[[], None],
        *,
        everything: bool = False,
        detail: str = "",
    ) -> None:
        """Run ``go`` now, or once the user says yes to the question ``action`` asks.

        Args:
            action: What is about to be done.
            names: The names of the tasks concerned (network strings: shown as plain text).
            go: Does it.
            everything: The tray's Pause all / Resume all.
            detail: A second line for the question (what happens to the tasks).
        """
        if not names:
            return
        kind = self.kind_of(action, len(names), everything=everything)
        if kind is None or not getattr(self._settings(), kind.value):
            go()
            return
        if self._box is not None:  # one question at a time: a newer intent replaces an older one
            self._box.reject()
        box = QMessageBox(self._window)
        box.setObjectName("confirmAction")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setIcon(QMessageBox.Icon.Warning if kind is ConfirmKind.CANCEL else QMessageBox.Icon.Question)
        box.setWindowTitle(translate("Confirm", "Monitor"))
        box.setText(describe(action, names))
        if detail:
            box.setInformativeText(detail)
        check = QCheckBox(translate("Confirm", "Don't ask again"), box)
        box.setCheckBox(check)
        yes = box.addButton(describe(action, names).rstrip("?"), QMessageBox.ButtonRole.AcceptRole)
        yes.setObjectName("confirmYes")
        no = box.addButton(translate("Confirm", "Go back"), QMessageBox.ButtonRole.RejectRole)
        no.setObjectName("confirmNo")
        box.setDefaultButton(no)  # Enter (or a stray Space) never confirms a cancel
        box.setEscapeButton(no)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(_result: int) -> None:
            if self._box is box:
                self._box = None
            if box.clickedButton() is not yes:
                return
            if check.isChecked():
                self.dont_ask_again.emit(kind)
            go()

        box.finished.connect(answered)
        self._box = box
        box.open()
        self.asked.emit(box)


class UndoOffer(QWidget):
    """ "Paused 'name'  [Undo]" in the status bar for :data:`UNDO_SECONDS`.

    Signals:
        undo_requested(): The user pressed Undo (the offer is gone).
    """

    undo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("undoOffer")
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # task names come from the server
        self.button = QPushButton(translate("Confirm", "Undo"), self)
        self.button.setObjectName("undoButton")
        self.button.clicked.connect(self._undo)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.button)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.withdraw)
        self.hide()

    @property
    def offered(self) -> bool:
        """Whether Undo is on offer now."""
        return self._timer.isActive()

    def offer(self, text: str, seconds: float = UNDO_SECONDS) -> None:
        """Offer Undo for what ``text`` says was done (a newer offer replaces an older one)."""
        self.label.setText(text)
        self._timer.start(int(seconds * 1000))
        self.show()

    def withdraw(self) -> None:
        """Take the offer away."""
        self._timer.stop()
        self.hide()

    def hideEvent(self, event: QHideEvent) -> None:
        """The window went away (quit, to the tray): the offer goes with it."""
        self._timer.stop()
        super().hideEvent(event)

    def _undo(self) -> None:
        if not self.offered:
            return
        self.withdraw()
        self.undo_requested.emit()
