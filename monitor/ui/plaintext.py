"""Showing network strings safely where Qt would guess "rich text".

Labels can be told ``Qt.PlainText``, but tooltips cannot: Qt renders any tooltip that *looks*
like HTML (``Qt.mightBeRichText``) as rich text, so a task named ``<img src=...>`` would load a
file and ``<b>x</b>`` would turn bold. :func:`plain_tooltip` turns plain text into an explicitly
rich string whose content is escaped, so it always shows literally.

Screen readers read a widget's tooltip as its accessible description when it has none, markup
included: :func:`describe_by_tooltip` gives an action's button the tooltip's text instead.
"""

from __future__ import annotations

import html

import shiboken6
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

__all__ = ["describe_by_tooltip", "plain_tooltip", "tooltip_text"]

_OPEN = "<qt><span style='white-space:pre-wrap'>"
_CLOSE = "</span></qt>"


def plain_tooltip(text: str) -> str:
    """Tooltip markup that displays ``text`` exactly as given (line breaks kept)."""
    if not text:
        return ""
    body = html.escape(text, quote=False).replace("\n", "<br>")
    return f"{_OPEN}{body}{_CLOSE}"


def tooltip_text(tooltip: str) -> str:
    """The text a tooltip shows: undoes :func:`plain_tooltip`; any other string is returned as is."""
    if tooltip.startswith(_OPEN) and tooltip.endswith(_CLOSE):
        return html.unescape(tooltip[len(_OPEN) : -len(_CLOSE)].replace("<br>", "\n"))
    return tooltip


def describe_by_tooltip(action: QAction, widget: QWidget) -> None:
    """Keep ``widget``'s accessible description equal to the text of ``action``'s tooltip."""

    def sync() -> None:
        if shiboken6.isValid(widget):  # the button may go before its action does
            widget.setAccessibleDescription(tooltip_text(action.toolTip()))

    action.changed.connect(sync)
    sync()
