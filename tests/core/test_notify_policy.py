"""Notification policy: grouping, once per task, toggles, DND, focus, driven by a fake clock."""

from __future__ import annotations

import pytest

from monitor.core.notify_policy import MAX_NAMES_IN_BODY, ConnectionLoss, NotificationPolicy, NotifyEvent
from monitor.core.settings import NotificationSettings


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


ALL_ON = NotificationSettings(
    completed=True,
    failed=True,
    cancelled=True,
    connection_lost=True,
    connection_restored=True,
    all_done=True,
    group_window_s=2.0,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def policy(clock: FakeClock) -> NotificationPolicy:
    return NotificationPolicy(ALL_ON, clock=clock)


def test_single_failure_released_after_window(policy: NotificationPolicy, clock: FakeClock) -> None:
    assert policy.task_finished(NotifyEvent.FAILED, "t1", "a.wav", detail="decoder crashed")
    assert policy.due() == []
    assert policy.next_due_at() == pytest.approx(1002.0)
    clock.now += 2.0
    [notice] = policy.due()
    assert notice.title == "Task failed"
    assert notice.body == "a.wav: decoder crashed"
    assert notice.task_ids == ("t1",)
    assert notice.critical
    assert notice.timeout_s is None
    assert notice.toast
    assert policy.due() == []
    assert policy.next_due_at() is None


def test_completions_in_window_are_grouped(policy: NotificationPolicy, clock: FakeClock) -> None:
    for i, name in enumerate(["a", "b", "c"]):
        policy.task_finished(NotifyEvent.COMPLETED, f"t{i}", name)
        clock.now += 0.5
    clock.now += 1.0
    [notice] = policy.due()
    assert notice.title == "3 tasks completed"
    assert notice.body == "a, b, c"
    assert notice.count == 3
    assert notice.task_ids == ("t0", "t1", "t2")
    assert not notice.critical
    assert notice.timeout_s == ALL_ON.success_timeout_s


def test_group_body_is_capped(policy: NotificationPolicy, clock: FakeClock) -> None:
    for i in range(MAX_NAMES_IN_BODY + 3):
        policy.task_finished(NotifyEvent.COMPLETED, f"t{i}", f"n{i}")
    [notice] = policy.flush()
    assert notice.body.endswith(" and 3 more")
    assert notice.body.count(",") == MAX_NAMES_IN_BODY - 1


def test_events_after_window_start_a_new_group(policy: NotificationPolicy, clock: FakeClock) -> None:
    policy.task_finished(NotifyEvent.COMPLETED, "t1", "a")
    clock.now += 2.5
    assert len(policy.due()) == 1
    policy.task_finished(NotifyEvent.COMPLETED, "t2", "b")
    assert policy.due() == []
    clock.now += 2.0
    assert [n.body for n in policy.due()] == ["b"]


def test_once_per_task_event_and_attempt(policy: NotificationPolicy) -> None:
    assert policy.task_finished(NotifyEvent.FAILED, "t1", "a")
    assert not policy.task_finished(NotifyEvent.FAILED, "t1", "a")  # replay after reconnect
    assert policy.task_finished(NotifyEvent.FAILED, "t1", "a", attempt=2)  # retried, failed again
    assert policy.task_finished(NotifyEvent.COMPLETED, "t1", "a", attempt=3)
    notices = policy.flush()
    assert [(n.kind, n.count) for n in notices] == [(NotifyEvent.FAILED, 2), (NotifyEvent.COMPLETED, 1)]
    policy.forget_task("t1")
    assert policy.task_finished(NotifyEvent.FAILED, "t1", "a")


def test_failures_are_released_first(policy: NotificationPolicy) -> None:
    policy.task_finished(NotifyEvent.COMPLETED, "t1", "a")
    policy.task_finished(NotifyEvent.FAILED, "t2", "b")
    assert [n.kind for n in policy.flush()] == [NotifyEvent.FAILED, NotifyEvent.COMPLETED]


def test_toggles(clock: FakeClock) -> None:
    policy = NotificationPolicy(NotificationSettings(), clock=clock)  # defaults: failures only
    assert not policy.task_finished(NotifyEvent.COMPLETED, "t1", "a")
    assert not policy.task_finished(NotifyEvent.CANCELLED, "t2", "b")
    assert policy.task_finished(NotifyEvent.FAILED, "t3", "c")
    policy.update_settings(NotificationSettings(enabled=False))
    assert policy.flush() == []  # disabling drops what was pending
    assert not policy.task_finished(NotifyEvent.FAILED, "t4", "d")


def test_not_a_task_event(policy: NotificationPolicy) -> None:
    with pytest.raises(ValueError):
        policy.task_finished(NotifyEvent.ALL_DONE, "t1", "a")


def test_dnd_lets_only_failures_toast(policy: NotificationPolicy) -> None:
    policy.dnd = True
    policy.task_finished(NotifyEvent.COMPLETED, "t1", "a")
    policy.task_finished(NotifyEvent.FAILED, "t2", "b")
    toasts = {n.kind: n.toast for n in policy.flush()}
    assert toasts == {NotifyEvent.FAILED: True, NotifyEvent.COMPLETED: False}


def test_focused_window_gets_banners_only(policy: NotificationPolicy) -> None:
    policy.window_focused = True
    policy.task_finished(NotifyEvent.FAILED, "t2", "b")
    assert [n.toast for n in policy.flush()] == [False]
    policy.update_settings(ALL_ON.model_copy(update={"quiet_when_focused": False}))
    policy.task_finished(NotifyEvent.FAILED, "t3", "c")
    assert [n.toast for n in policy.flush()] == [True]


def test_connection_blip_is_silent(policy: NotificationPolicy, clock: FakeClock) -> None:
    assert policy.connection_changed(False, "read timeout")
    assert not policy.connection_changed(False, "again")  # not a transition
    clock.now += 1.0
    assert policy.connection_changed(True)
    clock.now += 5.0
    assert policy.due() == []


def test_connection_lost_then_restored(policy: NotificationPolicy, clock: FakeClock) -> None:
    policy.connection_changed(False, "server closed the stream")
    clock.now += 2.0
    [lost] = policy.due()
    assert lost.kind is NotifyEvent.CONNECTION_LOST
    assert lost.body == "server closed the stream"
    policy.connection_changed(True)
    clock.now += 2.0
    assert [n.kind for n in policy.due()] == [NotifyEvent.CONNECTION_RESTORED]
    assert not policy.connection_changed(True)


@pytest.mark.parametrize(
    ("cause", "title", "body_has"),
    [
        (ConnectionLoss.UNREACHABLE, "Cannot reach the server at http://h:1", "keeps retrying"),
        (ConnectionLoss.AUTH, "Authentication failed", "http://h:1 refused the access token"),
        (ConnectionLoss.NOT_A_SERVER, "Not a Monitor server", "http://h:1 serves no task event stream"),
        (ConnectionLoss.LOST, "Connection lost, reconnecting…", "refused"),
    ],
)
def test_loss_words_by_cause(
    policy: NotificationPolicy, clock: FakeClock, cause: ConnectionLoss, title: str, body_has: str
) -> None:
    policy.connection_changed(False, "refused", cause=cause, server="http://h:1")
    clock.now += 2.0
    [lost] = policy.due()
    assert (lost.kind, lost.title) == (NotifyEvent.CONNECTION_LOST, title)
    assert body_has in lost.body


def test_a_terminal_cause_learnt_offline_replaces_the_loss(
    policy: NotificationPolicy, clock: FakeClock
) -> None:
    policy.connection_changed(False, "timeout", cause=ConnectionLoss.LOST, server="s")
    assert not policy.connection_changed(False, "again", cause=ConnectionLoss.UNREACHABLE, server="s")
    assert policy.connection_changed(False, "401", cause=ConnectionLoss.AUTH, server="s")
    clock.now += 2.0
    assert [n.title for n in policy.due()] == ["Authentication failed"]  # one notice, not two
    assert not policy.connection_changed(False, "401", cause=ConnectionLoss.AUTH, server="s")
    policy.connection_changed(True)  # the token fixed: back, and the loss may be said again
    policy.connection_changed(False, "timeout", cause=ConnectionLoss.LOST, server="s")
    clock.now += 2.0
    assert ["Connection lost, reconnecting…"] == [
        n.title for n in policy.due() if n.kind is NotifyEvent.CONNECTION_LOST
    ]


def test_all_done_on_transition_to_zero(policy: NotificationPolicy) -> None:
    assert not policy.active_count_changed(0)
    assert not policy.active_count_changed(3)
    assert policy.active_count_changed(0)
    assert not policy.active_count_changed(0)
    [n] = policy.flush()
    assert n.kind is NotifyEvent.ALL_DONE


def test_translate_hook_is_used(clock: FakeClock) -> None:
    policy = NotificationPolicy(ALL_ON, clock=clock, translate=lambda s: s.replace("tasks", "任务"))
    policy.task_finished(NotifyEvent.COMPLETED, "t1", "a")
    policy.task_finished(NotifyEvent.COMPLETED, "t2", "b")
    assert policy.flush()[0].title == "2 任务 completed"
