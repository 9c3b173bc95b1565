"""Server strings made safe to show: on a terminal (:func:`terminal_safe`) and in the app
(:func:`display_line`, :func:`display_text`, :func:`isolate`).

A task name, stage or error is whatever the server sent. Shown as is, some characters act instead
of being read:

* C0 and C1 controls (U+0000-U+001F, U+007F-U+009F): on a terminal, ESC and U+009B start
  sequences that set the title, clear the screen or write the clipboard; in a widget they are
  invisible or break the line.
* Bidi controls (U+202A-U+202E embeddings and overrides, U+2066-U+2069 isolates, U+200E/U+200F
  marks, U+061C): they reorder what is shown, so ``invoice\\u202egpj.exe`` reads as
  ``invoiceexe.jpg``, a picture, when it is a program.
* Line and paragraph separators (U+2028, U+2029, and U+0085 among the C1 controls) and line
  feeds: a "one-line" cell gains a second line that is clipped away.

The remedy is the one editors and code hosts use: show such a character as a visible escape
(``\\u202e``, ``\\x1b``) so it reads as text and does nothing. Right-to-left *letters* are left
alone: a Hebrew or Arabic name is legitimate, and :func:`isolate` keeps its direction from
spilling into the text around it (``42% · <stage>``) with U+2068 FIRST STRONG ISOLATE ... U+2069
POP DIRECTIONAL ISOLATE, which are added after escaping and so are ours, never the server's.

Lone surrogates (JSON may carry ``"\\ud800"``) become U+FFFD: Qt cannot hold them.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "CELL_LIMIT",
    "MAX_FIELD",
    "TEXT_LIMIT",
    "display_line",
    "display_text",
    "isolate",
    "json_safe",
    "terminal_safe",
]

#: Longest piece of server text on one ``monitor watch`` line (characters, before escaping).
MAX_FIELD: Final = 500
#: Longest server text in a table cell (characters, before escaping): a cell shows a few dozen,
#: and eliding a 4,000-character stage on every paint costs time for nothing.
CELL_LIMIT: Final = 300
#: Longest server text in a tooltip or a detail field (characters, before escaping).
TEXT_LIMIT: Final = 20_000

_ELLIPSIS: Final = "\u2026"
_FSI: Final = "\u2068"
_PDI: Final = "\u2069"

_BIDI: Final = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_SEPARATORS: Final = (0x2028, 0x2029)
_CONTROLS: Final = (*range(0x20), *range(0x7F, 0xA0))
_NAMED: Final = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}


def _hex(code: int) -> str:
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


# C0, DEL, C1, bidi controls and line/paragraph separators: shown as escapes, never obeyed.
_TERMINAL_TABLE: Final = {code: _NAMED.get(code, _hex(code)) for code in (*_CONTROLS, *_BIDI, *_SEPARATORS)}
# json.dumps escapes C0 itself; the rest goes out as JSON \u escapes (the same value once decoded).
_JSON_TABLE: Final = {code: f"\\u{code:04x}" for code in (*range(0x7F, 0xA0), *_BIDI, *_SEPARATORS)}
_SURROGATES: Final = dict.fromkeys(range(0xD800, 0xE000), "\ufffd")
# One line in a widget: the same escapes, except that a tab is a space and a line break is a
# visible return symbol (a stage "step 1\nstep 2" stays readable on one line).
_LINE_BREAK: Final = " \u23ce "
_LINE_TABLE: Final = (
    _TERMINAL_TABLE
    | _SURROGATES
    | {0x09: " ", 0x0A: _LINE_BREAK, 0x0D: _LINE_BREAK, 0x85: _LINE_BREAK}
    | dict.fromkeys(_SEPARATORS, _LINE_BREAK)
)
# Several lines (a text pane): line breaks and tabs are kept, the rest as for one line.
_TEXT_TABLE: Final = _LINE_TABLE | {0x09: "\t", 0x0A: "\n", 0x85: "\n"} | dict.fromkeys(_SEPARATORS, "\n")
# Everything either table changes; the fast path (nearly every string) is one search.
_UNSAFE: Final = re.compile(
    "[" + "".join(re.escape(chr(code)) for code in sorted(_LINE_TABLE) if code < 0xD800) + "\ud800-\udfff]"
)

# Letters of right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic and
# their presentation forms; the historic RTL scripts of the supplementary planes).
_RTL: Final = re.compile(
    "[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe\U00010800-\U00010fff\U0001e800-\U0001efff]"
)


def _cut(text: str, limit: int | None) -> str:
    if limit is not None and len(text) > limit:
        return text[: max(limit - 1, 0)] + _ELLIPSIS
    return text


def terminal_safe(text: str, limit: int | None = MAX_FIELD) -> str:
    """``text`` with every control, bidi override and separator shown as an escape.

    Args:
        text: A string from the network.
        limit: Longest text kept (characters, before escaping; longer ends with an ellipsis).
            None keeps everything.
    """
    return _cut(text, limit).translate(_TERMINAL_TABLE)


def json_safe(dumped: str) -> str:
    """JSON text (``json.dumps(..., ensure_ascii=False)``) with DEL, C1 and bidi controls and
    U+2028/U+2029 as ``\\uXXXX`` escapes: the same value once decoded, inert on a terminal."""
    return dumped.translate(_JSON_TABLE)


def display_line(text: str, limit: int | None = CELL_LIMIT) -> str:
    """``text`` for one line of a widget: controls and bidi controls as visible escapes, line
    breaks as " ⏎ ", cut to ``limit`` characters (before escaping; None: no cut) with an ellipsis."""
    return _display(text, limit, _LINE_TABLE)


def display_text(text: str, limit: int | None = TEXT_LIMIT) -> str:
    """``text`` for a multi-line pane or tooltip: as :func:`display_line`, but line breaks and tabs
    are kept."""
    return _display(text, limit, _TEXT_TABLE)


def _display(text: str, limit: int | None, table: dict[int, str]) -> str:
    if limit is not None and len(text) > limit:
        text = _cut(text, limit)
    # Nearly every string: printable (no control, format or separator character) in one C pass;
    # the rest (a no-break space, an emoji's ZWJ) are searched for what we change.
    if text.isprintable() or _UNSAFE.search(text) is None:
        return text
    return text.replace("\r\n", "\n").translate(table)


def isolate(text: str) -> str:
    """``text`` (already made safe) wrapped in FSI ... PDI if it holds right-to-left letters, so
    that it does not reorder the text it is placed in (``42% · <Hebrew stage>``).

    Left-to-right text in a left-to-right interface needs no isolation and comes back unchanged
    (copied text stays clean); an interface in a right-to-left language would isolate always.
    """
    return f"{_FSI}{text}{_PDI}" if _RTL.search(text) is not None else text
