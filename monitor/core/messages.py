"""Seed-004 messages for the user: decoding from the stream and a bounded, pure message store.

Seed 004's server (``sse-notification-sdk.md`` §4.1) sends every message as ``event: <type>`` with
the JSON envelope ``{id, type, priority, timestamp, source, target?, payload, metadata?}`` as its
data. The engine hands the events that are not task news to ``SSEService.message_received(type,
data)``; :func:`decode_message` turns one of those into a :class:`ChatMessage`, or says why not.

Decoding is lenient where the seed's server is: ``/api/broadcast`` makes ``type: 'broadcast'``
(not in the SDK's ``MessageType``) and ``/api/direct/:clientId`` spreads the poster's body over
``{id, timestamp, source}``, so ``type`` may be missing (the event is then named ``message``) and
any field may have been overwritten with the wrong type. Such a field falls back to a default; a
message is refused only when it is not a JSON object at all. Every string is bounded and is plain
text for the UI.

Types that are machinery, not messages (``heartbeat``, ``ack``, ``command``, ``progress`` and
our own stream's events) decode to None: they are not shown.

:class:`MessageStore` keeps the newest ``capacity`` messages (oldest evicted), ignores an id it
already holds (a resent or replayed message), tracks read/unread and filters by kind.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Final

from monitor.core.protocol import TASK_EVENT_TYPES, MessagePriority

__all__ = [
    "DEFAULT_CAPACITY",
    "MAX_TEXT",
    "Audience",
    "ChatMessage",
    "DecodeError",
    "MessageKind",
    "MessageStore",
    "StoreChange",
    "decode_message",
    "render_payload",
]

#: Messages kept by default.
DEFAULT_CAPACITY: Final = 1000
#: Longest text kept for one message (characters); longer texts end with an ellipsis.
MAX_TEXT: Final = 4000
_MAX_SHORT: Final = 128


class MessageKind(StrEnum):
    """What a message is; the view filters by it, notifications are toggled by it."""

    TEXT = "text"
    JSON = "json"
    SYSTEM = "system"
    ERROR = "error"
    BROADCAST = "broadcast"
    OTHER = "other"  # an envelope of a type the SDK does not define (kept, shown by its name)


class Audience(StrEnum):
    """Who a message was sent to."""

    EVERYONE = "everyone"  # no target: every connected client got it
    DIRECT = "direct"  # addressed to our client id
    OTHER = "other"  # addressed to another client (a relay that should not have sent it to us)


#: Event/envelope types that are not messages for the user (task news is the table's).
_MACHINERY: Final = TASK_EVENT_TYPES | frozenset(
    {"heartbeat", "ack", "command", "progress", "connected", "reset", "shutdown", "snapshot"}
)
#: Event names under which a server without ``type`` in the envelope sends a message.
_GENERIC_EVENTS: Final = frozenset({"message", ""})


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message as the user sees it (every string plain text, bounded).

    Attributes:
        id: The envelope's id (or one made from the arrival order when it has none).
        kind: What it is.
        type_name: The type as sent (differs from ``kind`` only for OTHER).
        priority: Seed 004's priority (unknown values read as NORMAL).
        time: Unix seconds: the envelope's timestamp, else the arrival time.
        source: Who sent it (``server``, a client id...).
        target: The client it was addressed to, if any.
        audience: Broadcast, direct to us, or to another client.
        text: The payload rendered as plain text (see :func:`render_payload`).
        system_event: For system messages, ``payload.event`` (``connect``, ``maintenance``...).
        read: Whether the user has seen it.
    """

    id: str
    kind: MessageKind
    type_name: str
    priority: MessagePriority
    time: float
    source: str
    target: str | None
    audience: Audience
    text: str
    system_event: str = ""
    read: bool = False


@dataclass(frozen=True, slots=True)
class DecodeError:
    """Why an event could not be read as a message (plain text, for the log and the count)."""

    reason: str


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _short(value: Any) -> str | None:
    return _clip(value, _MAX_SHORT) if isinstance(value, str) and value else None


def _dump(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
    except (TypeError, ValueError):  # pragma: no cover - parsed JSON always dumps
        return repr(value)


def render_payload(kind: MessageKind, payload: Any) -> str:
    """A message's payload as one plain-text string (bounded by :data:`MAX_TEXT`).

    Text messages show their ``content`` (the SDK's ``sendText`` sends ``{content}``); system
    messages ``event: recommendedAction`` plus their detail; error messages their ``message`` /
    ``error``; anything else is compact JSON.
    """
    if isinstance(payload, str):
        return _clip(payload, MAX_TEXT)
    if payload is None:
        return ""
    if isinstance(payload, dict):
        if kind is MessageKind.SYSTEM and isinstance(payload.get("event"), str):
            parts = [payload["event"]]
            action = payload.get("recommendedAction")
            if isinstance(action, str) and action:
                parts.append(action)
            text = ": ".join(parts)
            # Seed 004 puts the words in ``detail``; servers that say ``message`` are read too.
            detail = payload.get("detail", payload.get("message"))
            if detail is not None:
                text += f" ({detail if isinstance(detail, str) else _dump(detail)})"
            return _clip(text, MAX_TEXT)
        for key in ("content", "message", "error", "text"):
            value = payload.get(key)
            if isinstance(value, str) and kind is not MessageKind.JSON:
                return _clip(value, MAX_TEXT)
    return _clip(_dump(payload), MAX_TEXT)


def _kind(type_name: str) -> MessageKind:
    try:
        return MessageKind(type_name)
    except ValueError:
        return MessageKind.OTHER


def _priority(value: Any) -> MessagePriority:
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return MessagePriority(value)
        except ValueError:
            pass
    return MessagePriority.NORMAL


def _time(value: Any, received_at: float) -> float:
    # Seed 004 stamps Date.now() (ms); anything else (missing, a string, absurd) is the arrival time.
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e14:
        return float(value) / 1000.0
    return received_at


def decode_message(
    event_type: str, data: Any, *, client_id: str, received_at: float, fallback_id: str = ""
) -> ChatMessage | DecodeError | None:
    """Read one stream event as a message.

    Args:
        event_type: The SSE event name (the envelope's type on seed 004's server).
        data: The event data, parsed from JSON (a raw string when it was not JSON).
        client_id: Our client id: a message whose ``target`` is it is DIRECT.
        received_at: Unix seconds of arrival (used when the envelope has no usable timestamp).
        fallback_id: The id used when the envelope has none (e.g. the SSE ``id:`` or a counter).

    Returns:
        The message; None for machinery (heartbeat, ack, command, task news...); a
        :class:`DecodeError` when the data is not an envelope.
    """
    if event_type in _MACHINERY:
        return None
    if not isinstance(data, dict):
        if isinstance(data, str) and event_type not in _GENERIC_EVENTS:
            # A server that sends plain text under a message type: keep it, as text of that type.
            data = {"type": event_type, "payload": data}
        else:
            return DecodeError(f"{event_type or 'message'} event: data is not a JSON object")
    raw_type = data.get("type")
    type_name = raw_type if isinstance(raw_type, str) and raw_type else event_type
    type_name = _clip(type_name or "message", 32)
    if type_name in _MACHINERY:
        return None
    kind = _kind(type_name)
    if kind is MessageKind.OTHER and type_name == "message":
        kind = MessageKind.TEXT  # /api/direct with no type: the seed's event name is "message"
    payload = data.get("payload")
    target = _short(data.get("target"))
    if target is None:
        audience = Audience.EVERYONE
    elif target == client_id:
        audience = Audience.DIRECT
    else:
        audience = Audience.OTHER
    system_event = ""
    if kind is MessageKind.SYSTEM and isinstance(payload, dict):
        system_event = _short(payload.get("event")) or ""
    return ChatMessage(
        id=_short(data.get("id")) or fallback_id,
        kind=kind,
        type_name=type_name,
        priority=_priority(data.get("priority")),
        time=_time(data.get("timestamp"), received_at),
        source=_short(data.get("source")) or "",
        target=target,
        audience=audience,
        text=render_payload(kind, payload),
        system_event=system_event,
    )


@dataclass(frozen=True, slots=True)
class StoreChange:
    """What one :meth:`MessageStore.add` did.

    Attributes:
        added: The message stored (None: a duplicate id, ignored).
        evicted: The oldest messages dropped to stay within the capacity, oldest first.
    """

    added: ChatMessage | None
    evicted: tuple[ChatMessage, ...] = ()


class MessageStore:
    """The newest messages, bounded; pure (no Qt, no I/O).

    Args:
        capacity: How many messages are kept (at least 1); the oldest go first.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._items: OrderedDict[str, ChatMessage] = OrderedDict()
        self._capacity = 1
        self._unread = 0
        self._counter = 0
        self.set_capacity(capacity)

    # ------------------------------------------------------------------ reading

    @property
    def capacity(self) -> int:
        """The bound."""
        return self._capacity

    @property
    def unread_count(self) -> int:
        """Messages not yet marked read."""
        return self._unread

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[ChatMessage]:
        """Oldest first."""
        return iter(self._items.values())

    def get(self, message_id: str) -> ChatMessage | None:
        """The message with this id, if kept."""
        return self._items.get(message_id)

    def filtered(self, kinds: Iterable[MessageKind] | None = None) -> list[ChatMessage]:
        """Messages of the given kinds (None: all), oldest first."""
        if kinds is None:
            return list(self._items.values())
        wanted = frozenset(kinds)
        return [m for m in self._items.values() if m.kind in wanted]

    def counts(self) -> dict[MessageKind, int]:
        """How many messages of each kind are kept."""
        out: dict[MessageKind, int] = {}
        for m in self._items.values():
            out[m.kind] = out.get(m.kind, 0) + 1
        return out

    # ------------------------------------------------------------------ writing

    def next_fallback_id(self) -> str:
        """An id for a message that came without one (unique within this store's life)."""
        self._counter += 1
        return f"local-{self._counter}"

    def add(self, message: ChatMessage) -> StoreChange:
        """Keep ``message`` (newest); a known id is ignored; evicts beyond the capacity."""
        if message.id in self._items:
            return StoreChange(None)
        self._items[message.id] = message
        if not message.read:
            self._unread += 1
        return StoreChange(message, self._trim())

    def set_capacity(self, capacity: int) -> tuple[ChatMessage, ...]:
        """Change the bound; returns the messages evicted to meet it (oldest first).

        Raises:
            ValueError: If ``capacity`` < 1.
        """
        if capacity < 1:
            raise ValueError("the message store keeps at least one message")
        self._capacity = capacity
        return self._trim()

    def _trim(self) -> tuple[ChatMessage, ...]:
        evicted: list[ChatMessage] = []
        while len(self._items) > self._capacity:
            _, old = self._items.popitem(last=False)
            if not old.read:
                self._unread -= 1
            evicted.append(old)
        return tuple(evicted)

    def mark_read(self, ids: Iterable[str]) -> list[str]:
        """Mark these messages read; returns the ids that changed."""
        changed: list[str] = []
        for message_id in ids:
            message = self._items.get(message_id)
            if message is not None and not message.read:
                self._items[message_id] = replace(message, read=True)
                self._unread -= 1
                changed.append(message_id)
        return changed

    def mark_all_read(self, kinds: Iterable[MessageKind] | None = None) -> list[str]:
        """Mark every message (of these kinds) read; returns the ids that changed."""
        return self.mark_read([m.id for m in self.filtered(kinds) if not m.read])

    def clear(self) -> None:
        """Forget every message."""
        self._items.clear()
        self._unread = 0
