"""Form-building helpers the settings dialog and the connection profile editor share.

Every field gets an object name (tests and style sheets find it) and an accessible name (screen
readers say it); labels that may show what a user typed or a server sent are plain text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

__all__ = ["choice_combo", "named", "plain_label"]

_Value = TypeVar("_Value", bound=str)  # a plain string or a StrEnum


def named(widget: QWidget, name: str, accessible: str) -> None:
    """Give ``widget`` its object name and its accessible name."""
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)


def choice_combo(
    parent: QWidget, name: str, accessible: str, labels: Mapping[_Value, str], current: _Value
) -> QComboBox:
    """A combo box of ``labels`` (value -> label, in order) with the value ``current`` selected.

    Item data are plain strings (an enum's ``StrEnum`` value); the first item is selected when
    ``current`` is none of them.
    """
    combo = QComboBox(parent)
    named(combo, name, accessible)
    for value, label in labels.items():
        combo.addItem(label, str(value))
    combo.setCurrentIndex(max(0, combo.findData(str(current))))
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
