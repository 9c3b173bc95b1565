"""Delegates: the progress cell is a real progress bar with percent and stage text."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
)

from monitor.core.protocol import TaskState
from monitor.ui.task_model import TaskRole, progress_label

__all__ = ["ProgressDelegate", "progress_label"]

# States whose bar is drawn disabled (grey): nothing is moving.
_GREY = frozenset({TaskState.PAUSED.value, TaskState.FAILED.value, TaskState.CANCELLED.value})


_FINISHED = frozenset({TaskState.COMPLETED.value, TaskState.FAILED.value, TaskState.CANCELLED.value})


class ProgressDelegate(QStyledItemDelegate):
    """Paints :data:`TaskRole.PROGRESS` as a progress bar; greyed when paused, failed or stale."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        """Draw the selection background, then the bar with its label on top."""
        progress = index.data(TaskRole.PROGRESS)
        if progress is None:
            super().paint(painter, option, index)
            return
        style = option.widget.style() if option.widget is not None else QApplication.style()
        # Background and selection as a normal cell, without text.
        bg = QStyleOptionViewItem(option)
        self.initStyleOption(bg, index)
        bg.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, bg, painter, option.widget)
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 2, -2, -2)
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = round(float(progress) * 10)
        # Elided to the bar's width: a style that cannot fit the label wraps it out of the row.
        # A finished task's last stage ("exporting") would read as if it were still at it.
        state = index.data(TaskRole.STATE)
        stage = index.data(TaskRole.STAGE) if state not in _FINISHED else None
        label = progress_label(float(progress), stage)
        width = max(0, bar.rect.width() - 10)
        bar.text = option.fontMetrics.elidedText(label, Qt.TextElideMode.ElideRight, width)
        bar.textVisible = True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        # Qt 6 reads the orientation from the state: without State_Horizontal the bar is
        # laid out as a vertical one and its label wraps into the row above.
        bar.state = option.state | QStyle.StateFlag.State_Horizontal
        if state in _GREY or index.data(TaskRole.STALE):
            bar.state &= ~QStyle.StateFlag.State_Enabled
            # Fusion paints the chunk from the palette's current group, not from the state flag.
            bar.palette.setCurrentColorGroup(QPalette.ColorGroup.Disabled)
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)

    def sizeHint(self, option: QStyleOptionViewItem, index: Any) -> Any:
        """Wide enough for "100% · a stage"."""
        hint = super().sizeHint(option, index)
        hint.setWidth(max(hint.width(), 140))
        return hint
