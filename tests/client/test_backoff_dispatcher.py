"""Pure unit tests: ReconnectPolicy (fake clock, seeded RNG, no loop) and Dispatcher."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from monitor.client.dispatcher import Dispatcher
from monitor.core.backoff import MIN_RETRY_MS, STABLE_AFTER_MS, ReconnectPolicy


class FakeClock:
    """Monotonic seconds, advanced by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _policy(**kw: Any) -> ReconnectPolicy:
    kw.setdefault("rng", random.Random(1))
    return ReconnectPolicy(**kw)


def test_exponential_growth_capped_without_jitter() -> None:
    p = _policy(reconnect_interval=1000, reconnect_decay=2, max_interval=5000, jitter=0)
    assert [p.next_delay() for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_jitter_added_to_every_delay_and_bounded() -> None:
    p = _policy(reconnect_interval=1000, reconnect_decay=1, jitter=0.5)
    delays = [p.next_delay() for _ in range(50)]
    assert all(d is not None and 1.0 <= d <= 1.5 for d in delays)
    assert len({round(d or 0, 6) for d in delays}) > 40  # actually random, not a constant


def test_server_retry_zero_is_floored_and_huge_is_clamped() -> None:
    p = _policy(jitter=0, max_interval=30000)
    p.set_server_retry(0)
    assert p.next_delay() == MIN_RETRY_MS / 1000
    p.reset()
    p.set_server_retry(10**9)
    assert p.next_delay() == 30.0


def test_retry_after_is_a_minimum() -> None:
    p = _policy(reconnect_interval=1000, jitter=0)
    assert p.next_delay(retry_after=7.0) == 7.0
    p.reset()
    assert p.next_delay(retry_after=0.1) == 1.0


def test_attempts_run_out_and_unlimited_never_does() -> None:
    p = _policy(max_attempts=2, jitter=0)
    assert p.next_delay() is not None
    assert p.next_delay() is not None
    assert p.next_delay() is None
    assert p.exhausted
    q = _policy(max_attempts=None, jitter=0)
    assert all(q.next_delay() is not None for _ in range(1000))


def test_stable_connection_resets_attempts_short_one_does_not() -> None:
    clock = FakeClock()
    p = _policy(jitter=0, reconnect_decay=2, stable_after=60000, clock=clock)
    p.next_delay()
    p.next_delay()
    p.connected()
    clock.now += 5
    p.disconnected()
    assert p.attempt == 2  # flapping: keep backing off
    p.connected()
    clock.now += 61
    p.disconnected()
    assert p.attempt == 0
    assert p.next_delay() == 1.0


def test_decay_below_one_rejected() -> None:
    with pytest.raises(ValueError):
        ReconnectPolicy(reconnect_decay=0.5)


def test_dispatch_priority_order_wildcard_and_once() -> None:
    d = Dispatcher()
    seen: list[str] = []
    d.subscribe("task", lambda e: seen.append("low"), priority=0)
    d.subscribe("task", lambda e: seen.append("high"), priority=10)
    d.subscribe("*", lambda e: seen.append("all"), priority=5)
    d.subscribe(["task", "other"], lambda e: seen.append("once"), once=True, priority=-1)
    assert d.dispatch("task", 1) == 4
    assert seen == ["high", "all", "low", "once"]
    seen.clear()
    d.dispatch("task", 2)
    d.dispatch("other", 3)
    assert seen == ["high", "all", "low", "all"]


def test_raising_handler_does_not_stop_others_and_unsubscribe_works() -> None:
    d = Dispatcher()
    seen: list[int] = []

    def boom(_: Any) -> None:
        raise RuntimeError("handler bug")

    d.subscribe("x", boom, priority=1)
    unsub = d.subscribe("x", seen.append)
    d.dispatch("x", 1)
    assert seen == [1]
    assert d.errors == 1
    unsub()
    unsub()  # idempotent
    d.dispatch("x", 2)
    assert seen == [1]


def test_default_handler_only_when_nobody_listens_and_history_bounded() -> None:
    d = Dispatcher(history_size=3)
    fallback: list[Any] = []
    d.set_default(fallback.append)
    d.subscribe("known", lambda e: None)
    for i in range(5):
        d.dispatch("unknown" if i % 2 else "known", i)
    assert fallback == [1, 3]
    assert [e for _, e in d.history] == [2, 3, 4]


@pytest.mark.asyncio
async def test_async_handler_runs_and_failures_counted() -> None:
    d = Dispatcher()
    got: list[int] = []

    async def ok(e: int) -> None:
        got.append(e)

    async def bad(_: int) -> None:
        raise ValueError("async bug")

    d.subscribe("x", ok)
    d.subscribe("x", bad)
    d.dispatch("x", 7)
    tasks = list(d._tasks)
    assert tasks
    await asyncio.gather(*tasks, return_exceptions=True)
    assert got == [7]
    assert d.errors == 1
    await d.aclose()


def test_jitter_stays_within_the_cap_and_still_spreads_there() -> None:
    # Issue 13 item 18: jitter used to be added after the cap (30 s cap: 30-39 s).
    p = _policy(reconnect_interval=1000, reconnect_decay=2, max_interval=30000, jitter=0.3)
    delays = [p.next_delay() for _ in range(60)]
    assert all(d is not None and d <= 30.0 for d in delays)
    capped = [d for d in delays[10:] if d is not None]  # 1000 * 2**9 is far above the cap
    assert all(21.0 <= d <= 30.0 for d in capped)
    assert max(capped) - min(capped) > 5.0  # spread below the cap, not all at 30 s


def test_jitter_window_below_the_cap_is_above_the_delay() -> None:
    p = _policy(reconnect_interval=1000, reconnect_decay=2, max_interval=30000, jitter=0.3)
    first, second = p.next_delay(), p.next_delay()
    assert first is not None
    assert 1.0 <= first <= 1.3
    assert second is not None
    assert 2.0 <= second <= 2.6


def test_full_jitter_at_the_cap_keeps_the_floor() -> None:
    p = _policy(reconnect_interval=1000, max_interval=1000, jitter=1.0, rng=random.Random(3))
    delays = [p.next_delay() for _ in range(200)]
    assert all(d is not None and MIN_RETRY_MS / 1000 <= d <= 1.0 for d in delays)


def test_default_backoff_resets_after_five_stable_seconds_with_an_event() -> None:
    # Repeated short cuts: a server (or proxy) that serves for 6 s then cuts. With the old 60 s
    # stability rule the client climbed to the 30 s cap; now it reconnects at the base delay.
    clock = FakeClock()
    p = ReconnectPolicy(clock=clock, rng=random.Random(1))
    assert p.stable_after == STABLE_AFTER_MS == 5000
    waits = []
    for _ in range(10):
        p.connected()
        clock.now += 6
        p.disconnected(delivered=True)
        delay = p.next_delay()
        assert delay is not None
        waits.append(delay)
        clock.now += delay
    assert max(waits) <= 1.3


def test_backoff_keeps_growing_when_the_connection_delivers_nothing_or_is_short() -> None:
    clock = FakeClock()
    p = ReconnectPolicy(clock=clock, jitter=0)
    for _ in range(3):
        p.connected()
        clock.now += 60  # long, but nothing delivered: a server that accepts and says nothing
        p.disconnected(delivered=False)
        p.next_delay()
    for _ in range(3):
        p.connected()
        clock.now += 4.9  # events, but cut before the stable period
        p.disconnected(delivered=True)
        p.next_delay()
    assert p.attempt == 6
    assert p.next_delay() == 1.5**6
