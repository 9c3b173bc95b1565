"""The messages view: seed-004 server messages (text, json, system, error, broadcast, direct).

:class:`MessagesPanel` is a table of the newest messages (newest first: type, priority, time,
source, addressee, text) over a pure :class:`~monitor.core.messages.MessageStore`, a type filter,
the selected message's full text, and an unread count for a tab or badge title. Messages the user
can see are marked read: those arriving while the panel is visible, and those the filter shows
when the panel is shown. Everything from the network is plain text (table cells are never rich
text; tooltips go through :func:`~monitor.ui.plaintext.plain_tooltip`; the detail pane is a
``QPlainTextEdit``).

Wiring, from the app's composition root (one call, see :func:`connect_messages`)::

    panel = MessagesPanel(client_id=config.client_id, capacity=settings.messages_limit)
    connect_messages(sse_service, panel, notifier, tabs=tab_widget)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from monitor.core.messages import (
    DEFAULT_CAPACITY,
    Audience,
    ChatMessage,
    DecodeError,
    MessageKind,
    MessageStore,
    decode_message,
)
from monitor.core.protocol import MessagePriority
from monitor.core.text import display_line, display_text
from monitor.services.notifier import Notifier
from monitor.services.sse_service import TaskFeed
from monitor.ui.plaintext import plain_tooltip

__all__ = ["MessageColumn", "MessageTableModel", "MessagesPanel", "connect_messages", "kind_text"]

# The policy's message phrases (the policy lives in the Qt-free core and receives
# QCoreApplication.translate as its translate function), listed so that pyside6-lupdate sees them.
_POLICY_PHRASES = (
    QT_TRANSLATE_NOOP("NotificationPolicy", "System message from {name}"),
    QT_TRANSLATE_NOOP("NotificationPolicy", "Error message from {name}"),
    QT_TRANSLATE_NOOP("NotificationPolicy", "Urgent message from {name}"),
    QT_TRANSLATE_NOOP("NotificationPolicy", "the server"),
    QT_TRANSLATE_NOOP("NotificationPolicy", "{n} system messages"),
    QT_TRANSLATE_NOOP("NotificationPolicy", "{n} error messages"),
    QT_TRANSLATE_NOOP("NotificationPolicy", "{n} urgent messages"),
)


class MessageColumn(IntEnum):
    """Columns of the messages table."""

    TYPE = 0
    PRIORITY = 1
    TIME = 2
    SOURCE = 3
    TO = 4
    TEXT = 5


# Marked for pyside6-lupdate here, translated when shown (the language is known only then).
# QT_TRANSLATE_NOOP returns its source text, typed ``object`` in PySide6's stubs.
_KIND_LABELS: dict[MessageKind, object] = {
    MessageKind.TEXT: QT_TRANSLATE_NOOP("MessageTableModel", "Text"),
    MessageKind.JSON: QT_TRANSLATE_NOOP("MessageTableModel", "JSON"),
    MessageKind.SYSTEM: QT_TRANSLATE_NOOP("MessageTableModel", "System"),
    MessageKind.ERROR: QT_TRANSLATE_NOOP("MessageTableModel", "Error"),
    MessageKind.BROADCAST: QT_TRANSLATE_NOOP("MessageTableModel", "Broadcast"),
    MessageKind.OTHER: QT_TRANSLATE_NOOP("MessageTableModel", "Other"),
}
_PRIORITY_LABELS: dict[MessagePriority, object] = {
    MessagePriority.LOW: QT_TRANSLATE_NOOP("MessageTableModel", "Low"),
    MessagePriority.NORMAL: QT_TRANSLATE_NOOP("MessageTableModel", "Normal"),
    MessagePriority.HIGH: QT_TRANSLATE_NOOP("MessageTableModel", "High"),
    MessagePriority.CRITICAL: QT_TRANSLATE_NOOP("MessageTableModel", "Critical"),
}


def kind_text(kind: MessageKind) -> str:
    """The translated name of a message kind."""
    return QCoreApplication.translate("MessageTableModel", str(_KIND_LABELS[kind]))


def _priority_text(priority: MessagePriority) -> str:
    return QCoreApplication.translate("MessageTableModel", str(_PRIORITY_LABELS[priority]))


def _time_text(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds)
    if moment.date() == datetime.now().date():
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%Y-%m-%d %H:%M")


def _to_text(message: ChatMessage) -> str:
    if message.audience is Audience.DIRECT:
        return QCoreApplication.translate("MessageTableModel", "You")
    if message.audience is Audience.OTHER:
        return display_line(message.target or "")
    return QCoreApplication.translate("MessageTableModel", "Everyone")


class MessageTableModel(QAbstractTableModel):
    """The visible messages, newest first (an adapter: the panel tells it what changed).

    The sort role is the raw value (kind name, priority number, Unix time); unread rows are bold.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ChatMessage] = []
        self._bold = QFont()
        self._bold.setBold(True)

    # ------------------------------------------------------------------ Qt API

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(MessageColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return (
            {
                MessageColumn.TYPE: self.tr("Type"),
                MessageColumn.PRIORITY: self.tr("Priority"),
                MessageColumn.TIME: self.tr("Time"),
                MessageColumn.SOURCE: self.tr("From"),
                MessageColumn.TO: self.tr("To"),
                MessageColumn.TEXT: self.tr("Message"),
            }.get(MessageColumn(section))
            if 0 <= section < len(MessageColumn)
            else None
        )

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        message = self._rows[index.row()]
        column = MessageColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                MessageColumn.TYPE: kind_text(message.kind)
                if message.kind is not MessageKind.OTHER
                else message.type_name,
                MessageColumn.PRIORITY: _priority_text(message.priority),
                MessageColumn.TIME: _time_text(message.time),
                MessageColumn.SOURCE: display_line(message.source),
                MessageColumn.TO: _to_text(message),
                MessageColumn.TEXT: display_line(message.text),  # server text: controls shown
            }[column]
        if role == Qt.ItemDataRole.ToolTipRole and column is MessageColumn.TEXT:
            return plain_tooltip(display_text(message.text))
        if role == Qt.ItemDataRole.FontRole and not message.read:
            return self._bold
        if role == Qt.ItemDataRole.UserRole:
            return message
        return None

    # ------------------------------------------------------------------ adapter

    def message_at(self, row: int) -> ChatMessage | None:
        """The message shown in ``row``."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def set_messages(self, oldest_first: list[ChatMessage]) -> None:
        """Show exactly these messages (after a filter change)."""
        self.beginResetModel()
        self._rows = oldest_first[::-1]
        self.endResetModel()

    def prepend(self, message: ChatMessage) -> None:
        """Show a new message at the top."""
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._rows.insert(0, message)
        self.endInsertRows()

    def remove_ids(self, ids: set[str]) -> None:
        """Drop these messages (evicted ones: at the bottom, so usually one span)."""
        row = len(self._rows) - 1
        while row >= 0:
            if self._rows[row].id not in ids:
                row -= 1
                continue
            last = row
            while row > 0 and self._rows[row - 1].id in ids:
                row -= 1
            self.beginRemoveRows(QModelIndex(), row, last)
            del self._rows[row : last + 1]
            self.endRemoveRows()
            row -= 1

    def refresh(self, lookup: Callable[[str], ChatMessage | None], ids: set[str]) -> None:
        """Re-read these messages from the store (their read state changed)."""
        for row, message in enumerate(self._rows):
            if message.id in ids:
                fresh = lookup(message.id)
                if fresh is not None:
                    self._rows[row] = fresh
                    self.dataChanged.emit(
                        self.index(row, 0),
                        self.index(row, len(MessageColumn) - 1),
                        [Qt.ItemDataRole.FontRole],
                    )


class MessagesPanel(QWidget):
    """Server messages: table, type filter, detail text, unread count.

    Signals:
        unread_count_changed(int): Messages not yet seen (for a tab or badge title).
        message_added(object): A new :class:`~monitor.core.messages.ChatMessage` was stored
            (the notification hook listens to this).
        message_skipped(str): An event could not be read as a message (plain-text reason).

    Args:
        client_id: Our client id: messages addressed to it are shown as direct ("To: You").
        capacity: How many messages are kept.
        clock: Unix seconds, for messages without a usable timestamp.
        parent: Qt parent.
    """

    unread_count_changed = Signal(int)
    message_added = Signal(object)
    message_skipped = Signal(str)

    def __init__(
        self,
        *,
        client_id: str = "",
        capacity: int = DEFAULT_CAPACITY,
        clock: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("messagesPanel")
        self.store = MessageStore(capacity)
        self.client_id = client_id
        self._clock = clock
        self.skipped = 0
        self._filter: MessageKind | None = None
        self._last_unread = -1

        self.model = MessageTableModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("messagesTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(MessageColumn.TEXT, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName(self.tr("Server messages"))

        self.type_filter = QComboBox(self)
        self.type_filter.setObjectName("messagesTypeFilter")
        self.type_filter.setAccessibleName(self.tr("Show messages of type"))
        self.type_filter.addItem(self.tr("All types"), None)
        for kind in MessageKind:
            self.type_filter.addItem(kind_text(kind), kind.value)
        self.unread_label = QLabel(self)
        self.unread_label.setTextFormat(Qt.TextFormat.PlainText)
        self.mark_read_button = QPushButton(self.tr("Mark all read"), self)
        self.detail = QPlainTextEdit(self)  # plain text by construction: network strings
        self.detail.setObjectName("messageDetail")
        self.detail.setReadOnly(True)
        self.detail.setAccessibleName(self.tr("Message text"))

        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Type:"), self))
        top.addWidget(self.type_filter)
        top.addStretch(1)
        top.addWidget(self.unread_label)
        top.addWidget(self.mark_read_button)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

        self.type_filter.currentIndexChanged.connect(self._on_filter_changed)
        self.mark_read_button.clicked.connect(lambda: self._mark_read(self.store.mark_all_read()))
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self._update_unread()

    # ------------------------------------------------------------------ reading

    @property
    def unread_count(self) -> int:
        """Messages not yet seen."""
        return self.store.unread_count

    def tab_title(self) -> str:
        """ "Messages" or "Messages (N)" with the unread count."""
        n = self.store.unread_count
        return self.tr("Messages ({0})").format(n) if n else self.tr("Messages")

    # ------------------------------------------------------------------ slots

    def set_client_id(self, client_id: str) -> None:
        """Our client id changed (another profile): later messages are matched against it."""
        self.client_id = client_id

    def set_capacity(self, capacity: int) -> None:
        """Keep at most ``capacity`` messages from now on (the oldest go first)."""
        evicted = self.store.set_capacity(capacity)
        if evicted:
            self.model.remove_ids({m.id for m in evicted})
            self._update_unread()

    def set_type_filter(self, kind: MessageKind | None) -> None:
        """Show only messages of ``kind`` (None: all)."""
        index = self.type_filter.findData(None if kind is None else kind.value)
        self.type_filter.setCurrentIndex(max(0, index))

    def add_event(self, event_type: str, data: object) -> None:
        """A non-task stream event (``SSEService.message_received``): store it if it is a message."""
        decoded = decode_message(
            event_type,
            data,
            client_id=self.client_id,
            received_at=self._clock(),
            fallback_id=self.store.next_fallback_id(),
        )
        if decoded is None:
            return
        if isinstance(decoded, DecodeError):
            self.skipped += 1
            self.message_skipped.emit(decoded.reason)
            return
        self.add_message(decoded)

    def add_message(self, message: ChatMessage) -> None:
        """Store a decoded message and show it (if the filter lets it through)."""
        change = self.store.add(message)
        if change.added is None:
            return
        if change.evicted:
            self.model.remove_ids({m.id for m in change.evicted})
        if self._filter is None or message.kind is self._filter:
            self.model.prepend(change.added)
            if self.isVisible():
                self._mark_read(self.store.mark_read([message.id]))
        self._update_unread()
        self.message_added.emit(change.added)

    # ------------------------------------------------------------------ internals

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._mark_read(self.store.mark_all_read(None if self._filter is None else [self._filter]))

    def _mark_read(self, ids: list[str]) -> None:
        if ids:
            self.model.refresh(self.store.get, set(ids))
        self._update_unread()

    def _update_unread(self) -> None:
        n = self.store.unread_count
        self.unread_label.setText(self.tr("{0} unread").format(n) if n else "")
        if self._last_unread != n:
            self._last_unread = n
            self.unread_count_changed.emit(n)

    def _on_filter_changed(self, _index: int) -> None:
        value = self.type_filter.currentData()
        self._filter = None if value is None else MessageKind(value)
        self.model.set_messages(self.store.filtered(None if self._filter is None else [self._filter]))
        self.detail.clear()
        if self.isVisible():
            self._mark_read(self.store.mark_all_read(None if self._filter is None else [self._filter]))

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        message = self.model.message_at(current.row())
        self.detail.setPlainText("" if message is None else display_text(message.text))


def connect_messages(
    service: TaskFeed,
    panel: MessagesPanel,
    notifier: Notifier | None = None,
    *,
    retitle: Callable[[str], None] | None = None,
) -> None:
    """Wire the stream's non-task events to the panel, its unread count to a title, and
    system / error / critical messages to desktop notifications.

    Args:
        service: The live feed (its ``message_received(str, object)`` signal).
        panel: The messages view.
        notifier: The app's ``Notifier``; None: no notifications.
        retitle: Called with :meth:`MessagesPanel.tab_title` whenever the unread count changes
            (a dock's or a tab's title).
    """
    service.message_received.connect(panel.add_event)
    if notifier is not None:

        def notify(message: ChatMessage) -> None:
            if notifier.policy.message_received(message) is not None:
                notifier.deliver_due()  # delivers what is due and arms the grouping timer

        panel.message_added.connect(notify)
    if retitle is not None:
        panel.unread_count_changed.connect(lambda _count: retitle(panel.tab_title()))
        retitle(panel.tab_title())
