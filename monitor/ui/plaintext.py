"""Showing network strings safely where Qt would guess "rich text".

Labels can be told ``Qt.PlainText``, but tooltips cannot: Qt renders any tooltip that *looks*
like HTML (``Qt.mightBeRichText``) as rich text, so a task named ``<img src=...>`` would load a
file and ``<b>x</b>`` would turn bold. :func:`plain_tooltip` turns plain text into an explicitly
rich string whose content is escaped, so it always shows literally.
"""

from __future__ import annotations

import html

__all__ = ["plain_tooltip"]


def plain_tooltip(text: str) -> str:
    """Tooltip markup that displays ``text`` exactly as given (line breaks kept)."""
    if not text:
        return ""
    body = html.escape(text, quote=False).replace("\n", "<br>")
    return f"<qt><span style='white-space:pre-wrap'>{body}</span></qt>"
