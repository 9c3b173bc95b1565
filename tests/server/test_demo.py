"""DemoWorkload: stages, failures, concurrency, pause/resume/cancel/retry, determinism, clean shutdown.

Runs the real TaskService with a recording Publisher at a high ``speed`` (simulated minutes take
milliseconds); every wait is on a task-state condition with a timeout.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio

from monitor.core.protocol import (
    TERMINAL_STATES,
    CommandAction,
    Task,
    TaskProgress,
    TaskSnapshotEvent,
    TaskState,
)
from monitor.server.demo import STAGES, DemoWorkload
from monitor.server.tasks import InMemoryTaskStorage, TaskService
from tests.server.test_tasks import RecordingPublisher, validate_event, wait_until

S = TaskState
WAIT = 10.0


def other_tasks() -> set[asyncio.Task[object]]:
    return {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}


def stages_seen(pub: RecordingPublisher, task_id: str, attempt: int = 1) -> list[str]:
    """Stages of ``task_id`` in event order (consecutive repeats collapsed)."""
    out: list[str] = []
    current_attempt = 1
    for event_type, data, _ in pub.events:
        parsed = validate_event(event_type, data)
        if isinstance(parsed, Task):
            if parsed.id != task_id:
                continue
            current_attempt = parsed.attempt
            stage = parsed.stage
        elif isinstance(parsed, TaskProgress) and parsed.id == task_id:
            stage = parsed.stage
        else:
            continue
        if current_attempt == attempt and stage is not None and (not out or out[-1] != stage):
            out.append(stage)
    return out


class Harness:
    def __init__(self) -> None:
        self.pub = RecordingPublisher()
        self.tasks = TaskService(self.pub)
        self.demos: list[DemoWorkload] = []

    def demo(self, seed: int = 7, **kw: object) -> DemoWorkload:
        kw.setdefault("speed", 1000.0)
        demo = DemoWorkload(self.tasks, rng=random.Random(seed), **kw)  # type: ignore[arg-type]
        self.demos.append(demo)
        return demo

    def all_done(self, n: int) -> Callable[[], bool]:
        return lambda: len(self.tasks) == n and all(t.state in TERMINAL_STATES for t in self.tasks.all())

    def state(self, task_id: str) -> TaskState | None:
        task = self.tasks.get(task_id)
        return None if task is None else task.state


@pytest_asyncio.fixture
async def h() -> AsyncIterator[Harness]:
    harness = Harness()
    yield harness
    for demo in harness.demos:
        await demo.aclose()
    assert not other_tasks(), "the demo left tasks behind"


@pytest.mark.asyncio
async def test_jobs_run_every_stage_and_some_fail(h: Harness) -> None:
    demo = h.demo(seed=7, total=8, concurrency=3, failure_rate=0.3)
    running_now: set[str] = set()
    max_running = 0

    def track(new: Task, _old: Task | None) -> None:
        nonlocal max_running
        if new.state in (S.RUNNING, S.CANCELLING):
            running_now.add(new.id)
        else:
            running_now.discard(new.id)
        max_running = max(max_running, len(running_now))

    h.tasks.add_listener(track)
    await demo.start()
    await wait_until(h.tasks, h.all_done(8), WAIT)

    # Every published payload is valid protocol data.
    for event_type, data, target in h.pub.events:
        validate_event(event_type, data)
        assert target is None

    failed = [t for t in h.tasks.all() if t.state is S.FAILED]
    completed = [t for t in h.tasks.all() if t.state is S.COMPLETED]
    assert failed, "seed 7 with failure_rate 0.3 has failing jobs"
    assert completed
    assert len(failed) + len(completed) == 8
    for task in h.tasks.all():
        plan = demo.plan(task.id)
        assert plan is not None
        assert task.kind == "transcription"
        assert task.name.rsplit(".", 1)[1] in {"wav", "mp3", "m4a", "flac", "ogg"}
        assert task.started_at is not None
        assert task.finished_at is not None
        if plan.fail_stage is None:
            assert task.state is S.COMPLETED
            assert task.progress == 100
            assert isinstance(task.result, dict)
            assert stages_seen(h.pub, task.id) == list(STAGES)
        else:
            assert task.state is S.FAILED
            assert task.error == plan.error
            assert task.error is not None
            assert task.error.detail
            seen = stages_seen(h.pub, task.id)
            assert seen == list(STAGES[: STAGES.index(plan.fail_stage) + 1])
    assert 1 <= max_running <= 3
    progress = [TaskProgress.model_validate_json(d) for t, d, _ in h.pub.events if t == "task_progress"]
    assert len(progress) > 8 * 4, "several progress reports per job"
    assert all(p.eta is not None for p in progress), "the worker computes an eta"


@pytest.mark.asyncio
async def test_seeded_runs_are_deterministic() -> None:
    async def run() -> list[tuple[str, str, TaskState]]:
        pub = RecordingPublisher()
        tasks = TaskService(pub)
        demo = DemoWorkload(tasks, rng=random.Random(42), speed=1000.0, total=6, failure_rate=0.3)
        await demo.start()
        try:
            await wait_until(
                tasks, lambda: len(tasks) == 6 and all(t.state in TERMINAL_STATES for t in tasks.all()), WAIT
            )
        finally:
            await demo.aclose()
        return [(t.id, t.name, t.state) for t in tasks.all()]

    first = await run()
    assert first == await run()
    assert not other_tasks()


@pytest.mark.asyncio
async def test_pause_stops_advancing_frees_the_slot_and_resume_continues(h: Harness) -> None:
    demo = h.demo(seed=3, total=2, concurrency=1, failure_rate=0.0, speed=100.0)
    await demo.start()

    def midway() -> bool:
        task = h.tasks.get("demo-0001")
        return task is not None and task.state is S.RUNNING and task.progress >= 5

    await wait_until(h.tasks, midway, WAIT)
    paused = await h.tasks.request("demo-0001", CommandAction.PAUSE)
    assert paused.state is S.PAUSED
    n_at_pause = len(h.pub.events)

    # The paused job gives its slot to the queued one, which then runs to the end.
    await wait_until(h.tasks, lambda: h.state("demo-0002") is S.COMPLETED, WAIT)
    after = h.tasks.get("demo-0001")
    assert after is not None
    assert after.state is S.PAUSED
    assert after.progress == paused.progress, "a paused job does not advance"
    later_ids = {validate_event(t, d).id for t, d, _ in h.pub.events[n_at_pause:] if t.startswith("task_")}
    assert "demo-0001" not in later_ids

    resumed = await h.tasks.request("demo-0001", CommandAction.RESUME)
    assert resumed.state is S.RUNNING
    await wait_until(h.tasks, lambda: h.state("demo-0001") is S.COMPLETED, WAIT)
    assert stages_seen(h.pub, "demo-0001") == list(STAGES)


@pytest.mark.asyncio
async def test_resuming_paused_jobs_never_exceeds_the_concurrency(h: Harness) -> None:
    """Issue 12: pause the running jobs, let queued ones take their slots, resume: still 3 at most."""
    demo = h.demo(seed=11, total=8, concurrency=3, failure_rate=0.0, speed=20.0)
    most = 0

    def track(_new: Task, _old: Task | None) -> None:
        nonlocal most
        most = max(most, h.tasks.running_count())

    h.tasks.add_listener(track)
    await demo.start()

    def three_under_way() -> bool:
        return len([t for t in h.tasks.all() if t.state is S.RUNNING and t.progress > 1]) == 3

    await wait_until(h.tasks, three_under_way, WAIT)
    first = [t.id for t in h.tasks.all() if t.state is S.RUNNING]
    for task_id in first:
        await h.tasks.request(task_id, CommandAction.PAUSE)
    # Their slots go to queued jobs.
    await wait_until(h.tasks, lambda: h.tasks.running_count() == 3, WAIT)
    resumed = [await h.tasks.request(task_id, CommandAction.RESUME) for task_id in first]
    assert [t.state for t in resumed] == [S.QUEUED] * 3, "no slot free: back to the queue"
    assert all(t.progress > 0 for t in resumed), "they keep their progress"
    await wait_until(h.tasks, h.all_done(8), WAIT)
    assert most == 3, f"at most 3 jobs ran at once, saw {most}"
    assert all(t.state is S.COMPLETED for t in h.tasks.all())
    for task_id in first:
        assert stages_seen(h.pub, task_id) == list(STAGES), "a requeued job continues where it was"


@pytest.mark.asyncio
async def test_cancel_goes_through_cancelling(h: Harness) -> None:
    demo = h.demo(seed=5, total=1, failure_rate=0.0, speed=100.0)
    states: list[TaskState] = []
    h.tasks.add_listener(
        lambda new, old: states.append(new.state) if old is None or new.state != old.state else None
    )
    await demo.start()
    await wait_until(h.tasks, lambda: h.state("demo-0001") is S.RUNNING, WAIT)
    cancelling = await h.tasks.request("demo-0001", CommandAction.CANCEL)
    assert cancelling.state is S.CANCELLING
    await wait_until(h.tasks, lambda: h.state("demo-0001") is S.CANCELLED, WAIT)
    assert states == [S.QUEUED, S.RUNNING, S.CANCELLING, S.CANCELLED]
    cancelled_events = [
        TaskSnapshotEvent.model_validate_json(d) for t, d, _ in h.pub.events if t == "task_cancelled"
    ]
    assert [e.task.id for e in cancelled_events] == ["demo-0001"]


@pytest.mark.asyncio
async def test_cancel_of_a_queued_job_is_immediate(h: Harness) -> None:
    demo = h.demo(seed=5, total=3, concurrency=1, failure_rate=0.0, speed=1000.0)
    await demo.start()
    await wait_until(h.tasks, lambda: h.state("demo-0003") is S.QUEUED, WAIT)
    task = await h.tasks.request("demo-0003", CommandAction.CANCEL)
    assert task.state is S.CANCELLED
    await wait_until(h.tasks, h.all_done(3), WAIT)
    assert h.state("demo-0003") is S.CANCELLED
    assert not any(
        t == "task_progress" and TaskProgress.model_validate_json(d).id == "demo-0003"
        for t, d, _ in h.pub.events
    ), "a job cancelled while queued never runs"


@pytest.mark.asyncio
async def test_retry_runs_a_failed_job_again(h: Harness) -> None:
    demo = h.demo(seed=11, total=1, failure_rate=1.0)
    await demo.start()
    await wait_until(h.tasks, lambda: h.state("demo-0001") is S.FAILED, WAIT)
    failed = h.tasks.get("demo-0001")
    assert failed is not None
    assert failed.error is not None
    assert failed.error.message in {
        "CUDA out of memory",
        "audio decode error: unsupported codec",
        "alignment failed: no speech detected",
        "upload interrupted: connection reset by peer",
        "export failed: disk quota exceeded",
    }
    retried = await h.tasks.request("demo-0001", CommandAction.RETRY)
    assert retried.state is S.QUEUED
    assert retried.attempt == 2
    await wait_until(h.tasks, lambda: h.state("demo-0001") is S.COMPLETED, WAIT)
    done = h.tasks.get("demo-0001")
    assert done is not None
    assert done.attempt == 2
    assert done.error is None
    assert stages_seen(h.pub, "demo-0001", attempt=2) == list(STAGES)


@pytest.mark.asyncio
async def test_endless_demo_keeps_submitting(h: Harness) -> None:
    demo = h.demo(seed=1, total=None, concurrency=2, speed=2000.0)
    await demo.start()
    await wait_until(h.tasks, lambda: len(h.tasks) >= 8, WAIT)
    assert demo.submitted >= 8
    await demo.aclose()
    assert not other_tasks()


@pytest.mark.asyncio
async def test_start_twice_and_aclose_leave_no_tasks(h: Harness) -> None:
    demo = h.demo(total=20, speed=10.0)
    await demo.start()
    with pytest.raises(RuntimeError):
        await demo.start()
    await wait_until(h.tasks, lambda: any(t.state is S.RUNNING for t in h.tasks.all()), WAIT)
    await demo.aclose()
    assert not other_tasks()
    n = len(h.pub.events)
    await demo.aclose()  # idempotent
    assert len(h.pub.events) == n, "nothing runs after aclose"
    with pytest.raises(RuntimeError):
        await demo.start()


def test_bad_arguments() -> None:
    tasks = TaskService(RecordingPublisher())
    with pytest.raises(ValueError):
        DemoWorkload(tasks, speed=0)
    with pytest.raises(ValueError):
        DemoWorkload(tasks, concurrency=0)


@pytest.mark.asyncio
async def test_unfinished_demo_jobs_are_adopted_after_a_restart() -> None:
    store = InMemoryTaskStorage()
    before = TaskService(RecordingPublisher(), store=store)
    first = DemoWorkload(before, rng=random.Random(2), speed=1000.0, total=2, concurrency=1, failure_rate=0.0)
    await first.start()
    await wait_until(before, lambda: any(t.state is S.RUNNING for t in before.all()), WAIT)
    await first.aclose()  # the "crash": tasks stay running/queued in storage
    assert any(t.state not in TERMINAL_STATES for t in store.load())

    after = TaskService(RecordingPublisher(), store=store)
    second = DemoWorkload(after, rng=random.Random(2), speed=1000.0, total=1, concurrency=1)
    await second.start()
    try:
        await wait_until(
            after, lambda: len(after) == 3 and all(t.state in TERMINAL_STATES for t in after.all()), WAIT
        )
    finally:
        await second.aclose()
    assert [t.state for t in after.all()] == [S.COMPLETED] * 3
    assert len({t.id for t in after.all()}) == 3, "new jobs do not reuse old ids"
    assert not other_tasks()
