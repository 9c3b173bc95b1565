"""Form-building helpers the settings dialog and the connection profile editor share.

Every field gets an object name (tests and style sheets find it) and an accessible name (screen
readers say it); labels that may show what a user typed or a server sent are plain text.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

__all__ = ["choice_combo", "named", "plain_label"]


def named(widget: QWidget, name: str, accessible: str) -> None:
    """Give ``widget`` its object name and its accessible name."""
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)


def choice_combo(
    parent: QWidget,
    name: str,
    accessible: str,
    choices: Iterable[tuple[object, str]],
    current: object,
) -> QComboBox:
    """A combo box of ``(data, label)`` choices with the one whose data is ``current`` selected.

    The first choice is selected when none has that data.
    """
    combo = QComboBox(parent)
    named(combo, name, accessible)
    for data, label in choices:
        combo.addItem(label, data)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    return combo


def plain_label(parent: QWidget, name: str, style: str = "") -> QLabel:
    """An empty word-wrapped label that shows its text as plain text, never as rich text."""
    label = QLabel(parent)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    if style:
        label.setStyleSheet(style)
    return label
