"""``monitor --self-test``: events must reach the table and a notification must go out."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Sequence

from PySide6.QtCore import SignalInstance

from monitor.core.notify_policy import Notice, NotifyEvent
from monitor.wiring.parts import Parts

__all__ = ["SELF_TEST_TIMEOUT_S", "run_self_test"]

#: How long ``--self-test`` may take before it fails.
SELF_TEST_TIMEOUT_S = 30.0


def next_emission(signal: SignalInstance) -> asyncio.Future[None]:
    """A future resolved by the next emission of a Qt signal (bridges Qt to ``await``)."""
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def fire(*_args: object) -> None:
        if not future.done():
            future.set_result(None)
        with contextlib.suppress(RuntimeError, TypeError):
            signal.disconnect(fire)

    signal.connect(fire)
    return future


async def run_self_test(
    parts: Parts, *, started_at: float, window_shown_at: float, translations: Sequence[str] = ()
) -> int:
    """Wait until events reached the table and a notice went out; print the verdict; return 0/1.

    ``translations`` (the ``.qm`` files loaded) goes into the verdict, so a frozen bundle's
    self-test shows that its translations, ours and Qt's, are there.
    """
    service, store, notifier = parts.service, parts.store, parts.notifier
    delivered: list[str] = []
    notifier.delivered.connect(lambda path, _notice: delivered.append(str(path)))
    deadline = time.monotonic() + SELF_TEST_TIMEOUT_S
    reason = "timed out"
    populated_at: float | None = None  # first time tasks were in the table (the start-up bench's mark)
    populated_cpu = 0.0  # the process's CPU time then (less noisy than wall time on a busy machine)
    try:
        while time.monotonic() < deadline:
            if populated_at is None and len(store) > 0:
                populated_at, populated_cpu = time.perf_counter(), time.process_time()
            if len(store) > 0 and service.stats().messages_received >= 5:
                break
            await asyncio.wait_for(service.wait_changed(), timeout=max(0.01, deadline - time.monotonic()))
        else:
            raise TimeoutError
        reason = "no notification delivered"
        notice = Notice(
            kind=NotifyEvent.ALL_DONE,
            title="Monitor self-test",
            body=f"{len(store)} tasks received",
            task_ids=(),
            critical=False,
            toast=True,
        )
        notifier.deliver(notice)
        while not delivered and time.monotonic() < deadline:
            await asyncio.wait_for(
                next_emission(notifier.delivered), timeout=max(0.01, deadline - time.monotonic())
            )
    except TimeoutError:
        stats = service.stats()
        print(  # noqa: T201 - the self-test's verdict is its output
            f"SELF-TEST FAILED: {reason} after {SELF_TEST_TIMEOUT_S:.0f} s "
            f"(state {stats.status}, {stats.messages_received} events, {len(store)} tasks)",
            file=sys.stderr,
        )
        return 1
    stats = service.stats()
    window_ms = (window_shown_at - started_at) * 1000
    populated_ms = ((populated_at or time.perf_counter()) - started_at) * 1000
    total_s = time.perf_counter() - started_at
    print(  # noqa: T201 - the self-test's verdict is its output
        f"SELF-TEST OK: {stats.messages_received} events, {len(store)} tasks, notification via "
        f"{delivered[0]}, window after {window_ms:.0f} ms, populated after {populated_ms:.0f} ms "
        f"(cpu {populated_cpu * 1000:.0f} ms), "
        f"total {total_s:.3f} s, translations: {'+'.join(translations) or 'none'}",
        flush=True,
    )
    return 0
