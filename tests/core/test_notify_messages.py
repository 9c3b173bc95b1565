"""The notification policy for server messages: per-type toggles, dedup, grouping, bounds."""

from __future__ import annotations

from monitor.core.messages import ChatMessage, MessageKind, MessageStore, decode_message
from monitor.core.notify_policy import MAX_PENDING_ITEMS, MESSAGE_MEMORY, NotificationPolicy, NotifyEvent
from monitor.core.settings import NotificationSettings


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _msg(
    type_: str, payload: object, *, priority: int = 1, mid: str = "m1", source: str = "server"
) -> ChatMessage:
    data = {
        "id": mid,
        "type": type_,
        "priority": priority,
        "timestamp": 1,
        "source": source,
        "payload": payload,
    }
    m = decode_message(type_, data, client_id="me", received_at=0.0)
    assert isinstance(m, ChatMessage)
    return m


def _policy(**toggles: bool) -> tuple[NotificationPolicy, Clock]:
    clock = Clock()
    return NotificationPolicy(NotificationSettings(group_window_s=0, **toggles), clock=clock), clock


def test_system_error_and_critical_notify_plain_text_does_not() -> None:
    policy, _ = _policy()
    assert policy.message_received(_msg("text", {"content": "hi"})) is None
    assert (
        policy.message_received(_msg("system", {"event": "maintenance"}, mid="s"))
        is NotifyEvent.MESSAGE_SYSTEM
    )
    assert (
        policy.message_received(_msg("error", {"message": "disk full"}, mid="e")) is NotifyEvent.MESSAGE_ERROR
    )
    assert (
        policy.message_received(_msg("text", {"content": "now!"}, priority=3, mid="c"))
        is NotifyEvent.MESSAGE_CRITICAL
    )
    notices = {n.kind: n for n in policy.due()}
    assert set(notices) == {
        NotifyEvent.MESSAGE_SYSTEM,
        NotifyEvent.MESSAGE_ERROR,
        NotifyEvent.MESSAGE_CRITICAL,
    }
    err = notices[NotifyEvent.MESSAGE_ERROR]
    assert (err.title, err.body, err.critical, err.timeout_s) == (
        "Error message from server",
        "disk full",
        True,
        None,
    )
    assert notices[NotifyEvent.MESSAGE_SYSTEM].critical is False
    assert notices[NotifyEvent.MESSAGE_CRITICAL].body == "now!"


def test_toggles_per_type_and_fallback_to_critical() -> None:
    policy, _ = _policy(message_error=False)
    assert policy.message_received(_msg("error", {"message": "x"})) is None
    assert (
        policy.message_received(_msg("error", {"message": "y"}, priority=3, mid="m2"))
        is NotifyEvent.MESSAGE_CRITICAL
    )
    off, _ = _policy(message_critical=False, message_system=False)
    assert off.message_received(_msg("text", "urgent", priority=3)) is None
    assert off.message_received(_msg("system", {"event": "maintenance"}, priority=3, mid="m3")) is None
    silent, _ = _policy(enabled=False)
    assert silent.message_received(_msg("error", {"message": "x"})) is None


def test_connection_system_events_and_repeats_do_not_notify() -> None:
    policy, _ = _policy()
    # Seed 004's server sends this, critical, on every (re)connection.
    assert policy.message_received(_msg("system", {"event": "connect"}, priority=3)) is None
    err = _msg("error", {"message": "x"}, mid="e1")
    assert policy.message_received(err) is NotifyEvent.MESSAGE_ERROR
    assert policy.message_received(err) is None, "the same message id notifies once"


def test_grouping_and_bounded_memory() -> None:
    clock = Clock()
    policy = NotificationPolicy(NotificationSettings(group_window_s=2), clock=clock)
    n = MAX_PENDING_ITEMS + 500
    for i in range(n):
        policy.message_received(_msg("error", {"message": f"e{i}"}, mid=f"e{i}"))
    assert policy.due() == []
    clock.t += 2
    [notice] = policy.due()
    assert notice.count == n
    assert notice.title == f"{n} error messages"
    assert notice.body.startswith("e0\ne1\n")
    assert notice.body.endswith(f" and {n - 5} more")
    for i in range(MESSAGE_MEMORY * 2):
        policy.message_received(_msg("system", {"event": "maintenance"}, mid=f"s{i}"))
    assert len(policy._seen_messages) <= MESSAGE_MEMORY
    assert len(policy._pending[NotifyEvent.MESSAGE_SYSTEM].items) <= MAX_PENDING_ITEMS


def test_dnd_holds_back_messages_even_critical_ones() -> None:
    policy, _ = _policy()
    policy.dnd = True
    policy.message_received(_msg("error", {"message": "x"}, priority=3))
    [notice] = policy.due()
    assert notice.critical is True
    assert notice.toast is False, "only task failures pass do-not-disturb"


def test_store_and_policy_share_the_decoded_message() -> None:
    store = MessageStore()
    m = _msg("system", {"event": "maintenance", "recommendedAction": "save your work"})
    assert store.add(m).added is m
    assert m.kind is MessageKind.SYSTEM
    assert m.text == "maintenance: save your work"
