"""Seed-004 message decoding and the bounded message store (pure, no Qt)."""

from __future__ import annotations

import json

import pytest

from monitor.core.messages import (
    MAX_TEXT,
    Audience,
    ChatMessage,
    DecodeError,
    MessageKind,
    MessageStore,
    decode_message,
)
from monitor.core.protocol import MessagePriority

ME = "monitor-me"


def _decode(event_type: str, data: object) -> ChatMessage | DecodeError | None:
    return decode_message(event_type, data, client_id=ME, received_at=1000.0, fallback_id="fb")


def _env(type_: str, payload: object, **kw: object) -> dict[str, object]:
    return {
        "id": kw.pop("id", "m1"),
        "type": type_,
        "priority": 1,
        "timestamp": 1_700_000_000_000,
        "source": "server",
        "payload": payload,
        **kw,
    }


def test_seed_servers_connect_notice_is_a_critical_system_message() -> None:
    # handleSSEConnection: {type: 'system', priority: 3, source: 'server',
    #                       payload: {event: 'connect', detail: {clientId, connectionId}}}
    data = _env(
        "system", {"event": "connect", "detail": {"clientId": ME, "connectionId": "conn_1"}}, priority=3
    )
    m = _decode("system", data)
    assert isinstance(m, ChatMessage)
    assert m.kind is MessageKind.SYSTEM
    assert m.priority is MessagePriority.CRITICAL
    assert m.system_event == "connect"
    assert m.time == 1_700_000_000.0
    assert m.text.startswith("connect (")
    assert '"connectionId": "conn_1"' in m.text


def test_text_json_error_broadcast_direct() -> None:
    text = _decode("text", _env("text", {"content": "hello <b>there</b>"}))
    assert isinstance(text, ChatMessage)
    assert text.text == "hello <b>there</b>", "kept literally: the view shows it as plain text"
    assert text.audience is Audience.EVERYONE
    js = _decode("json", _env("json", {"content": "x", "n": 1}))
    assert isinstance(js, ChatMessage)
    assert js.kind is MessageKind.JSON
    assert json.loads(js.text) == {"content": "x", "n": 1}, "json payloads render as JSON, not a field"
    err = _decode("error", _env("error", {"message": "disk full"}))
    assert isinstance(err, ChatMessage)
    assert (err.kind, err.text) == (MessageKind.ERROR, "disk full")
    # handleBroadcast: {id, type: 'broadcast', priority: message.priority || 1, timestamp, source, ...message}
    bc = _decode("broadcast", _env("broadcast", "maintenance at 5"))
    assert isinstance(bc, ChatMessage)
    assert (bc.kind, bc.text) == (MessageKind.BROADCAST, "maintenance at 5")
    direct = _decode("text", _env("text", {"content": "just you"}, target=ME))
    assert isinstance(direct, ChatMessage)
    assert direct.audience is Audience.DIRECT
    other = _decode("text", _env("text", {"content": "not you"}, target="someone-else"))
    assert isinstance(other, ChatMessage)
    assert other.audience is Audience.OTHER
    assert other.target == "someone-else"


def test_direct_without_type_arrives_as_message_event() -> None:
    # handleDirectMessage spreads the body over {id, timestamp, source}; no type -> event 'message'.
    m = _decode("message", {"id": "d1", "timestamp": 5, "source": "server", "payload": {"content": "hi"}})
    assert isinstance(m, ChatMessage)
    assert (m.kind, m.text, m.id) == (MessageKind.TEXT, "hi", "d1")


def test_bad_fields_fall_back_instead_of_losing_the_message() -> None:
    data = {"type": "custom", "priority": 99, "timestamp": "yesterday", "source": ["x"], "payload": {"a": 1}}
    m = _decode("custom", data)
    assert isinstance(m, ChatMessage)
    assert (m.kind, m.type_name) == (MessageKind.OTHER, "custom")
    assert m.priority is MessagePriority.NORMAL
    assert m.time == 1000.0
    assert m.source == ""
    assert m.id == "fb"
    long = _decode("text", _env("text", "x" * (MAX_TEXT * 3)))
    assert isinstance(long, ChatMessage)
    assert len(long.text) == MAX_TEXT
    assert long.text.endswith("\u2026")


def test_machinery_and_garbage() -> None:
    for etype in ("heartbeat", "ack", "command", "progress", "task_complete"):
        assert _decode(etype, _env(etype, {})) is None
    assert _decode("message", _env("ack", {"commandId": "c", "success": True})) is None
    assert isinstance(_decode("message", "not json"), DecodeError)
    assert isinstance(_decode("text", [1, 2]), DecodeError)
    raw = _decode("notice", "plain words")
    assert isinstance(raw, ChatMessage)
    assert raw.text == "plain words"


def _m(i: int, kind: MessageKind = MessageKind.TEXT) -> ChatMessage:
    m = _decode(kind.value, _env(kind.value, f"m{i}", id=f"id{i}"))
    assert isinstance(m, ChatMessage)
    return m


def test_store_is_bounded_oldest_evicted_and_unread_follows() -> None:
    store = MessageStore(capacity=3)
    for i in range(3):
        assert store.add(_m(i)).evicted == ()
    assert store.unread_count == 3
    store.mark_read(["id0"])
    change = store.add(_m(3))
    assert change.added is not None
    assert [m.id for m in change.evicted] == ["id0"]
    assert [m.id for m in store] == ["id1", "id2", "id3"]
    assert store.unread_count == 3, "the evicted one was read: unread unchanged"
    change = store.add(_m(4))
    assert [m.id for m in change.evicted] == ["id1"]
    assert store.unread_count == 3
    evicted = store.set_capacity(1)
    assert [m.id for m in evicted] == ["id2", "id3"]
    assert len(store) == 1
    assert store.unread_count == 1
    with pytest.raises(ValueError, match="at least one"):
        store.set_capacity(0)


def test_store_ignores_a_known_id_and_filters_by_kind() -> None:
    store = MessageStore()
    store.add(_m(1))
    assert store.add(_m(1)).added is None
    store.add(_m(2, MessageKind.ERROR))
    store.add(_m(3, MessageKind.SYSTEM))
    store.add(_m(4, MessageKind.ERROR))
    assert [m.id for m in store.filtered([MessageKind.ERROR])] == ["id2", "id4"]
    assert store.counts() == {MessageKind.TEXT: 1, MessageKind.ERROR: 2, MessageKind.SYSTEM: 1}
    assert store.unread_count == 4
    assert store.mark_all_read([MessageKind.ERROR]) == ["id2", "id4"]
    assert store.unread_count == 2
    assert store.mark_read(["id2", "nope"]) == [], "already read / unknown: no change"
    store.clear()
    assert (len(store), store.unread_count) == (0, 0)


def test_store_memory_stays_bounded_under_a_flood() -> None:
    store = MessageStore(capacity=50)
    for i in range(5000):
        store.add(_m(i))
    assert len(store) == 50
    assert store.unread_count == 50
    assert next(iter(store)).id == "id4950"
