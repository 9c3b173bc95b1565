"""What was shown, when, and what the user did with it: the notification history (pure).

Toasts vanish; a user coming back to the desk wants to know what they missed and whether they
already acted on it. :class:`NotificationHistory` keeps the last notices the notifier delivered
(bounded), each with where it went (desktop notification, tray balloon, in-window banner) and its
outcome (shown, clicked, retried, result opened). Notification *actions* (Retry, Open result) are
named here too, with :func:`result_link`, which finds what "Open result" may open.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import PurePosixPath, PureWindowsPath
from typing import Final
from urllib.parse import urlsplit

from pydantic import JsonValue

__all__ = [
    "DEFAULT_HISTORY",
    "HistoryEntry",
    "NoticeAction",
    "NotificationHistory",
    "Outcome",
    "result_link",
]

#: Entries kept by default (older ones are dropped: memory stays bounded).
DEFAULT_HISTORY: Final = 200
#: Keys of a result object that may hold a link, in the order they are tried.
_LINK_KEYS: Final = ("url", "href", "link", "path", "file", "output", "output_path")
#: Schemes "Open result" may open: a server must not make the desktop run other handlers.
_SCHEMES: Final = ("http", "https", "file")
_MAX_LINK: Final = 2048


class NoticeAction(StrEnum):
    """A button on a notification."""

    RETRY = "retry"
    OPEN_RESULT = "open-result"


class Outcome(StrEnum):
    """What became of a notice."""

    SHOWN = "shown"
    CLICKED = "clicked"  # the notice itself: the app came forward on its task
    RETRIED = "retried"
    OPENED = "opened"  # its result was opened


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One delivered notice.

    Attributes:
        number: 1, 2, ... in delivery order (stable while the entry is kept).
        shown_at: When it was delivered (Unix seconds).
        title / body: Its text (plain).
        path: Where it went (``"dbus"``, ``"tray"``, ``"banner"``).
        task_ids: The tasks it was about.
        outcome: What the user did with it.
        acted_at: When they did (None while only shown).
    """

    number: int
    shown_at: float
    title: str
    body: str
    path: str
    task_ids: tuple[str, ...] = ()
    outcome: Outcome = Outcome.SHOWN
    acted_at: float | None = None


class NotificationHistory:
    """The last ``capacity`` delivered notices, oldest first."""

    def __init__(self, capacity: int = DEFAULT_HISTORY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._entries: collections.deque[HistoryEntry] = collections.deque(maxlen=capacity)
        self._next = 1

    def add(
        self, *, shown_at: float, title: str, body: str, path: str, task_ids: tuple[str, ...] = ()
    ) -> HistoryEntry:
        """Record a delivered notice; returns its entry."""
        entry = HistoryEntry(self._next, shown_at, title, body, path, task_ids)
        self._next += 1
        self._entries.append(entry)
        return entry

    def mark(self, number: int, outcome: Outcome, at: float) -> HistoryEntry | None:
        """Record what the user did with entry ``number`` (None if it is no longer kept).

        The first action counts: a notice clicked and then retried from the app stays "clicked".
        """
        for i, entry in enumerate(self._entries):
            if entry.number == number:
                if entry.outcome is not Outcome.SHOWN:
                    return entry
                self._entries[i] = replace(entry, outcome=outcome, acted_at=at)
                return self._entries[i]
        return None

    @property
    def entries(self) -> tuple[HistoryEntry, ...]:
        """The entries kept, oldest first."""
        return tuple(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def result_link(result: JsonValue) -> str | None:
    """What "Open result" would open for a task's ``result``, or None.

    Accepted: an ``http``/``https``/``file`` URL or an absolute path, given as the result itself
    or under one of the keys ``url``, ``href``, ``link``, ``path``, ``file``, ``output``,
    ``output_path`` of a result object. Anything else (another scheme such as ``javascript:`` or
    ``smb:``, a relative path, control characters) is refused: the string comes from the server.
    """
    candidates: list[JsonValue] = [result]
    if isinstance(result, dict):
        candidates = [result.get(key) for key in _LINK_KEYS]
    for value in candidates:
        if isinstance(value, str) and (link := _acceptable(value.strip())) is not None:
            return link
    return None


def _acceptable(text: str) -> str | None:
    if not text or len(text) > _MAX_LINK or any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text):
        return None
    if PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute():
        return text
    scheme = urlsplit(text).scheme.lower()
    return text if scheme in _SCHEMES else None
