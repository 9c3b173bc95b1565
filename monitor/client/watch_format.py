"""What ``monitor watch`` prints: one human line (or one JSON object) per event, terminal-safe.

Every string a server sends reaches a terminal here, and a terminal obeys what it is sent: ESC
sequences set the window title (OSC 0), clear the screen (CSI 2 J), write the clipboard (OSC 52);
C1 controls (U+0080-U+009F, e.g. U+009B, the one-byte CSI) do the same on some terminals, and
bidi overrides reorder what is shown (``invoice\\u202egpj.exe`` reads as ``invoice.exe.jpg``).

* The human format passes every server string through :func:`terminal_safe`, which shows those
  characters as escapes (``\\x1b``, ``\\x9b``, ``\\u202e``), so a sequence prints as inert text.
* The JSON format (:func:`json_line`) is ``json.dumps`` with ``ensure_ascii=False`` (names stay
  readable) plus ``\\uXXXX`` escapes for what ``json.dumps`` lets through: DEL, C1 controls, bidi
  controls and U+2028/U+2029. The decoded value is the same; only the text on screen differs.
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final

from monitor.core.messages import ChatMessage, decode_message
from monitor.core.news import MESSAGE_EVENT_TYPES, TaskPatch, normalize, patch_from_task
from monitor.core.protocol import TASK_EVENT_TYPES, EventType, Snapshot
from monitor.core.text import json_safe, terminal_safe

__all__ = ["NAME_CAPACITY", "EventFormatter", "decoded_data", "json_line", "terminal_safe"]

#: Task names remembered (id -> name) for events that carry only an id (progress deltas).
NAME_CAPACITY: Final = 10_000


def json_line(value: Any) -> str:
    """One line of JSON (``ensure_ascii=False``) with C1 and bidi controls escaped.

    Raises:
        ValueError: ``value`` holds NaN or an infinity (not JSON).
    """
    return json_safe(json.dumps(value, ensure_ascii=False, allow_nan=False))


_NOT_JSON: Final = object()


def _parse(raw: str) -> Any:
    """The JSON value of ``raw``, or ``_NOT_JSON`` (not JSON, too deep, NaN/infinite numbers)."""
    try:
        value = json.loads(raw, parse_constant=_refuse)
        json.dumps(value, allow_nan=False)  # 1e999 parses to inf, which no JSON can carry
    except (ValueError, RecursionError):
        return _NOT_JSON
    return value


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def decoded_data(raw: str) -> Any:
    """An event's data for ``--json``: its decoded JSON value where it is JSON, else the string."""
    value = _parse(raw)
    return raw if value is _NOT_JSON else value


def _clock(ts: float | None, fallback: float) -> str:
    for candidate in (ts, fallback):
        if candidate is None:
            continue
        try:
            return time.strftime("%H:%M:%S", time.localtime(candidate))
        except (OverflowError, OSError, ValueError):
            continue  # an absurd server time: show the arrival time instead
    return "--:--:--"


def _compact(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class EventFormatter:
    """Turns events into human lines; remembers task names (bounded) for id-only events.

    Args:
        client_id: Ours, so that a message addressed to us reads as such.
        verbose: Also show heartbeats.
        clock: Unix time now (the arrival time of what is being formatted).
    """

    def __init__(
        self, *, client_id: str = "", verbose: bool = False, clock: Callable[[], float] = time.time
    ) -> None:
        self.client_id = client_id
        self.verbose = verbose
        self._clock = clock
        self._names: OrderedDict[str, str] = OrderedDict()

    def name_of(self, task_id: str) -> str:
        """The task's name if it is known, else its id."""
        return self._names.get(task_id, task_id)

    def _learn(self, patch: TaskPatch) -> None:
        if patch.removed:
            self._names.pop(patch.id, None)
        elif patch.name is not None:
            self._names[patch.id] = patch.name
            self._names.move_to_end(patch.id)
            if len(self._names) > NAME_CAPACITY:
                self._names.popitem(last=False)

    def shown(self, event_type: str) -> bool:
        """Whether events of this type are printed (heartbeats only when verbose)."""
        return self.verbose or event_type != EventType.HEARTBEAT

    def event_lines(self, event_type: str, raw: str) -> list[str]:
        """The human lines for one event (none for a heartbeat unless verbose; one per task
        patch for task news; one otherwise)."""
        if not self.shown(event_type):
            return []
        now = self._clock()
        value = _parse(raw)
        if value is _NOT_JSON:
            return [self._line(_clock(None, now), event_type, terminal_safe(raw))]
        if event_type in TASK_EVENT_TYPES or event_type in MESSAGE_EVENT_TYPES:
            patches = normalize(event_type, value, received_at=now)
            if isinstance(patches, list):
                return [self._task_line(event_type, patch) for patch in patches]
        message = decode_message(event_type, value, client_id=self.client_id, received_at=now)
        if isinstance(message, ChatMessage):
            return [self._message_line(message)]
        return [self._line(_clock(None, now), event_type, terminal_safe(_compact(value)))]

    def snapshot_lines(self, snapshot: Snapshot) -> list[str]:
        """A header line, then one line per task of the snapshot."""
        now = self._clock()
        cursor = f", cursor {terminal_safe(snapshot.cursor)}" if snapshot.cursor else ""
        head = self._line(_clock(None, now), "snapshot", f"{len(snapshot.tasks)} tasks{cursor}")
        patches = [patch_from_task(task, received_at=now) for task in snapshot.tasks]
        return [head, *(self._task_line("snapshot", patch) for patch in patches)]

    def _task_line(self, event_type: str, patch: TaskPatch) -> str:
        self._learn(patch)
        fields = [terminal_safe(self.name_of(patch.id))]
        if patch.removed:
            fields.append("removed")
        if patch.state is not None:
            fields.append(patch.state.value)
        if patch.progress is not None and math.isfinite(patch.progress):
            fields.append(f"{math.floor(patch.progress)}%")
        if patch.stage:
            fields.append(terminal_safe(patch.stage))
        if patch.error is not None:
            fields.append("error: " + terminal_safe(patch.error.message))
        return self._line(_clock(patch.updated_at, patch.received_at), event_type, "  ".join(fields))

    def _message_line(self, msg: ChatMessage) -> str:
        who = terminal_safe(msg.source or "?")
        if msg.target:
            who += " -> " + terminal_safe(msg.target)
        return self._line(_clock(msg.time, self._clock()), msg.type_name, f"{who}: {terminal_safe(msg.text)}")

    @staticmethod
    def _line(clock: str, event_type: str, rest: str) -> str:
        return f"{clock}  {terminal_safe(event_type, 64):<14}  {rest}".rstrip()
