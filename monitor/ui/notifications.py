"""The in-window notification banner (delivery itself is ``monitor.services.notifier``)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from monitor.core.notify_policy import Notice

__all__ = ["NotificationBanner"]


class NotificationBanner(QFrame):
    """The in-window notification strip (plain text, one notice at a time, newest wins).

    Signals:
        task_activated(str): "Show" was pressed; the notice's first task id ("" for none).
    """

    task_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notificationBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(self.tr("Notification"))
        self._label = QLabel(self)
        self._label.setTextFormat(Qt.TextFormat.PlainText)  # task names come from the network
        self._label.setWordWrap(True)
        self._show = QPushButton(self.tr("Show"), self)
        self._show.setAccessibleName(self.tr("Show the task"))
        self._close = QPushButton(self.tr("Dismiss"), self)
        self._close.setAccessibleName(self.tr("Dismiss notification"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self._label, 1)
        layout.addWidget(self._show)
        layout.addWidget(self._close)
        self._task_id = ""
        self._expire = QTimer(self)
        self._expire.setSingleShot(True)
        self._expire.timeout.connect(self.hide)
        self._show.clicked.connect(self._on_show)
        self._close.clicked.connect(self.hide)
        self.hide()

    def show_notice(self, notice: Notice) -> None:
        """Show ``notice``; successes hide after their timeout, failures stay."""
        self._task_id = notice.task_ids[0] if notice.task_ids else ""
        self._label.setText(f"{notice.title} - {notice.body}" if notice.body else notice.title)
        self._show.setVisible(bool(self._task_id))
        self.setProperty("critical", notice.critical)
        self.setStyleSheet(
            "#notificationBanner { background: %s; }" % ("#ffcdd2" if notice.critical else "#e3f2fd")
        )
        self.setAccessibleDescription(self._label.text())
        self._expire.stop()
        if notice.timeout_s is not None:
            self._expire.start(int(notice.timeout_s * 1000))
        self.show()

    def dismiss(self) -> None:
        """Hide now and forget the pending expiry (at shutdown nothing may fire later)."""
        self._expire.stop()
        self.hide()

    def text(self) -> str:
        """The text shown."""
        return self._label.text()

    def _on_show(self) -> None:
        self.task_activated.emit(self._task_id)
        self.hide()
