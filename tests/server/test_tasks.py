"""TaskService: transitions allowed and refused, published events, listeners, storage reload.

The publisher here is a small real implementation of the ``Publisher`` protocol that records what
it is given (the event log itself is tested elsewhere); payloads are validated against the
protocol models.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

import pytest

from monitor.core.protocol import (
    TASK_EVENT_TYPES,
    CommandAction,
    EventType,
    Task,
    TaskError,
    TaskProgress,
    TaskRemoved,
    TaskSnapshotEvent,
    TaskState,
    TaskSubmit,
    WorkerReport,
    WorkerReportKind,
    stamp_event_id,
)
from monitor.server.tasks import (
    DuplicateTask,
    InMemoryTaskStorage,
    InvalidTransition,
    TaskNotFound,
    TaskService,
)

K = WorkerReportKind
S = TaskState
A = CommandAction


class RecordingPublisher:
    """Implements ``Publisher``: keeps every (type, data, target) and numbers them."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str | None]] = []

    async def publish(
        self, event_type: str, data: str, *, target: str | None = None, stamp_id: bool = False
    ) -> str:
        event_id = f"1-{len(self.events) + 1}"
        self.events.append((event_type, stamp_event_id(data, event_id) if stamp_id else data, target))
        return event_id

    def types(self) -> list[str]:
        return [e[0] for e in self.events]

    def last(self) -> tuple[str, dict[str, object]]:
        event_type, data, _ = self.events[-1]
        return event_type, json.loads(data)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def validate_event(event_type: str, data: str) -> Task | TaskProgress | TaskRemoved:
    """Parse ``data`` with the model the protocol prescribes for ``event_type``."""
    if event_type == EventType.TASK_PROGRESS:
        return TaskProgress.model_validate_json(data)
    if event_type == EventType.TASK_REMOVED:
        return TaskRemoved.model_validate_json(data)
    assert event_type in TASK_EVENT_TYPES, event_type
    return TaskSnapshotEvent.model_validate_json(data).task


async def wait_until(tasks: TaskService, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait (event-driven, via a task listener) until ``predicate()`` holds."""
    event = asyncio.Event()

    def check(_new: Task, _old: Task | None) -> None:
        if predicate():
            event.set()

    unsubscribe = tasks.add_listener(check)
    try:
        if not predicate():
            await asyncio.wait_for(event.wait(), timeout)
    finally:
        unsubscribe()


async def make(tasks: TaskService, state: TaskState, task_id: str = "t1") -> Task:
    """Create a task and drive it into ``state`` through the public API."""
    task = await tasks.create(TaskSubmit(id=task_id, name=f"{task_id}.wav", kind="transcription"))
    steps: dict[TaskState, list[WorkerReport | CommandAction]] = {
        S.QUEUED: [],
        S.RUNNING: [WorkerReport(kind=K.STARTED, stage="uploading")],
        S.PAUSED: [WorkerReport(kind=K.STARTED), A.PAUSE],
        S.CANCELLING: [WorkerReport(kind=K.STARTED), A.CANCEL],
        S.COMPLETED: [WorkerReport(kind=K.STARTED), WorkerReport(kind=K.COMPLETED, result={"words": 3})],
        S.FAILED: [
            WorkerReport(kind=K.STARTED),
            WorkerReport(kind=K.FAILED, error=TaskError(message="boom")),
        ],
        S.CANCELLED: [A.CANCEL],
    }
    for step in steps[state]:
        if isinstance(step, WorkerReport):
            task = await tasks.apply_report(task_id, step)
        else:
            task = await tasks.request(task_id, step)
    assert task.state is state
    return task


@pytest.fixture
def pub() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tasks(pub: RecordingPublisher, clock: Clock) -> TaskService:
    return TaskService(pub, clock=clock)


# ----------------------------------------------------------------------------- create


@pytest.mark.asyncio
async def test_create_publishes_task_created_with_full_snapshot(
    tasks: TaskService, pub: RecordingPublisher
) -> None:
    task = await tasks.create(
        TaskSubmit(id="a", name="podcast-ep42.mp3", kind="transcription", metadata={"x": 1})
    )
    assert pub.types() == ["task_created"]
    event_type, data, target = pub.events[0]
    assert target is None
    published = validate_event(event_type, data)
    assert published == task
    assert task.state is S.QUEUED
    assert task.attempt == 1
    assert task.progress == 0
    assert task.created_at == task.updated_at == 1_000.0
    assert task.metadata == {"x": 1}
    assert tasks.get("a") == task


@pytest.mark.asyncio
async def test_create_makes_unique_ids_and_refuses_duplicates(
    tasks: TaskService, pub: RecordingPublisher
) -> None:
    a = await tasks.create(TaskSubmit(name="one.wav"))
    b = await tasks.create(TaskSubmit(name="two.wav"))
    assert a.id != b.id
    with pytest.raises(DuplicateTask, match="already exists"):
        await tasks.create(TaskSubmit(id=a.id, name="three.wav"))
    assert len(pub.events) == 2


@pytest.mark.asyncio
async def test_all_is_ordered_by_created_at(tasks: TaskService, clock: Clock) -> None:
    for i, t in enumerate([5.0, 3.0, 4.0]):
        clock.now = t
        await tasks.create(TaskSubmit(id=f"t{i}", name="x"))
    assert [t.id for t in tasks.all()] == ["t1", "t2", "t0"]


# ----------------------------------------------------------------------------- commands

# (state, action) -> expected state, or None for InvalidTransition.
REQUEST_TABLE: dict[tuple[TaskState, CommandAction], TaskState | None] = {
    (S.QUEUED, A.CANCEL): S.CANCELLED,
    (S.QUEUED, A.PAUSE): S.PAUSED,
    (S.QUEUED, A.RESUME): None,
    (S.QUEUED, A.RETRY): None,
    (S.RUNNING, A.CANCEL): S.CANCELLING,
    (S.RUNNING, A.PAUSE): S.PAUSED,
    (S.RUNNING, A.RESUME): None,
    (S.RUNNING, A.RETRY): None,
    (S.PAUSED, A.CANCEL): S.CANCELLED,
    (S.PAUSED, A.PAUSE): None,
    (S.PAUSED, A.RESUME): S.RUNNING,  # it had started
    (S.PAUSED, A.RETRY): None,
    (S.CANCELLING, A.CANCEL): None,
    (S.CANCELLING, A.PAUSE): None,
    (S.CANCELLING, A.RESUME): None,
    (S.CANCELLING, A.RETRY): None,
    (S.COMPLETED, A.CANCEL): None,
    (S.COMPLETED, A.PAUSE): None,
    (S.COMPLETED, A.RESUME): None,
    (S.COMPLETED, A.RETRY): None,
    (S.FAILED, A.CANCEL): None,
    (S.FAILED, A.PAUSE): None,
    (S.FAILED, A.RESUME): None,
    (S.FAILED, A.RETRY): S.QUEUED,
    (S.CANCELLED, A.CANCEL): None,
    (S.CANCELLED, A.PAUSE): None,
    (S.CANCELLED, A.RESUME): None,
    (S.CANCELLED, A.RETRY): S.QUEUED,
}


@pytest.mark.asyncio
@pytest.mark.parametrize(("state", "action"), list(REQUEST_TABLE), ids=lambda v: str(v.value))
async def test_request_transition_table(
    tasks: TaskService, pub: RecordingPublisher, clock: Clock, state: TaskState, action: CommandAction
) -> None:
    before = await make(tasks, state)
    n_events = len(pub.events)
    clock.now += 10
    expected = REQUEST_TABLE[(state, action)]
    if expected is None:
        with pytest.raises(InvalidTransition) as info:
            await tasks.request("t1", action)
        message = str(info.value)
        assert state.value in message
        assert "t1" in message
        assert info.value.from_state is state
        assert len(pub.events) == n_events, "a refused command publishes nothing"
        assert tasks.get("t1") == before
        return
    after = await tasks.request("t1", action)
    assert after.state is expected
    assert after.updated_at == clock.now
    assert len(pub.events) == n_events + 1, "one change, one event"
    event_type, data, _ = pub.events[-1]
    expected_type = {
        S.CANCELLED: "task_cancelled",
        S.COMPLETED: "task_complete",
        S.FAILED: "task_failed",
    }.get(expected, "task_updated")
    assert event_type == expected_type
    assert validate_event(event_type, data) == after
    if expected is S.CANCELLED:
        assert after.finished_at == clock.now


@pytest.mark.asyncio
async def test_resume_of_a_task_paused_before_it_started_requeues_it(tasks: TaskService) -> None:
    await make(tasks, S.QUEUED)
    await tasks.request("t1", A.PAUSE)
    resumed = await tasks.request("t1", A.RESUME)
    assert resumed.state is S.QUEUED
    assert resumed.started_at is None


@pytest.mark.asyncio
async def test_running_limit_sends_a_resume_beyond_it_back_to_the_queue(pub: RecordingPublisher) -> None:
    tasks = TaskService(pub, max_running=1)
    await make(tasks, S.PAUSED, "t1")  # started, then paused: its slot is free again
    await make(tasks, S.RUNNING, "t2")  # takes the one slot
    resumed = await tasks.request("t1", A.RESUME)
    assert resumed.state is S.QUEUED, "a resume beyond the limit waits in the queue"
    assert resumed.started_at is not None, "it keeps its attempt's start"
    assert tasks.running_count() == 1
    assert not tasks.slot_free()
    # A worker's report is a fact: one that says it started the task is believed, limit or not.
    started = await tasks.apply_report("t1", WorkerReport(kind=K.STARTED))
    assert started.state is S.RUNNING
    assert tasks.running_count() == 2
    assert TaskService(pub).max_running is None, "no limit by default"
    with pytest.raises(ValueError, match="at least 1"):
        TaskService(pub, max_running=0)


@pytest.mark.asyncio
async def test_retry_resets_the_attempt(tasks: TaskService, clock: Clock) -> None:
    await make(tasks, S.RUNNING)
    await tasks.apply_report("t1", WorkerReport(kind=K.PROGRESS, progress=60, stage="aligning", eta=5))
    failed = await tasks.apply_report(
        "t1", WorkerReport(kind=K.FAILED, error=TaskError(message="CUDA out of memory", detail="GPU 0"))
    )
    assert failed.error == TaskError(message="CUDA out of memory", detail="GPU 0")
    clock.now += 5
    retried = await tasks.request("t1", A.RETRY)
    assert retried.attempt == 2
    assert retried.progress == 0
    assert retried.error is None
    assert retried.stage is None
    assert retried.eta is None
    assert retried.started_at is None
    assert retried.finished_at is None
    again = await tasks.apply_report("t1", WorkerReport(kind=K.PROGRESS, progress=10))
    assert again.progress == 10, "a retry starts from 0, so 10 is accepted"
    assert again.started_at == clock.now


@pytest.mark.asyncio
async def test_request_unknown_task(tasks: TaskService) -> None:
    with pytest.raises(TaskNotFound):
        await tasks.request("nope", A.CANCEL)
    with pytest.raises(TaskNotFound):
        await tasks.apply_report("nope", WorkerReport(kind=K.STARTED))


@pytest.mark.asyncio
async def test_non_task_actions_are_refused(tasks: TaskService) -> None:
    await make(tasks, S.RUNNING)
    for action in (A.QUERY, A.SYNC, A.EXECUTE):
        with pytest.raises(InvalidTransition, match=action.value):
            await tasks.request("t1", action)


# ----------------------------------------------------------------------------- worker reports


@pytest.mark.asyncio
async def test_worker_lifecycle_events_and_timestamps(
    tasks: TaskService, pub: RecordingPublisher, clock: Clock
) -> None:
    await make(tasks, S.QUEUED)
    clock.now = 1_010.0
    started = await tasks.apply_report("t1", WorkerReport(kind=K.STARTED, stage="uploading", worker="gpu-1"))
    assert pub.types()[-1] == "task_updated"
    assert started.state is S.RUNNING
    assert started.started_at == 1_010.0
    assert started.worker == "gpu-1"

    clock.now = 1_011.0
    progressed = await tasks.apply_report(
        "t1", WorkerReport(kind=K.PROGRESS, progress=42.5, stage="transcribing", eta=12.0)
    )
    event_type, data = pub.last()
    assert event_type == "task_progress"
    delta = TaskProgress.model_validate(data)
    assert delta == TaskProgress(id="t1", progress=42.5, stage="transcribing", eta=12.0, at=1_011.0)
    assert set(data) == {"id", "jobId", "progress", "stage", "eta", "at"}, "the hot path stays a small delta"
    assert (data["id"], data["jobId"]) == (f"1-{len(pub.events)}", "t1"), "id: the event's; jobId: the task's"
    assert progressed.started_at == 1_010.0, "started_at is the first start only"

    clock.now = 1_020.0
    done = await tasks.apply_report("t1", WorkerReport(kind=K.COMPLETED, result={"words": 1200}))
    event_type, data = pub.last()
    assert event_type == "task_complete"
    assert TaskSnapshotEvent.model_validate(data).task == done
    # What a seed-000 client reads: jobId and result (no error on success).
    assert (data["jobId"], data["result"], "error" in data) == ("t1", {"words": 1200}, False)
    assert done.progress == 100
    assert done.result == {"words": 1200}
    assert done.finished_at == done.updated_at == 1_020.0


@pytest.mark.asyncio
async def test_failed_report_without_error_gets_a_reason(tasks: TaskService, pub: RecordingPublisher) -> None:
    await make(tasks, S.RUNNING)
    failed = await tasks.apply_report("t1", WorkerReport(kind=K.FAILED))
    assert pub.types()[-1] == "task_failed"
    assert failed.error is not None
    assert failed.error.message


@pytest.mark.asyncio
async def test_progress_never_goes_backwards_within_an_attempt(tasks: TaskService) -> None:
    await make(tasks, S.RUNNING)
    await tasks.apply_report("t1", WorkerReport(kind=K.PROGRESS, progress=50, stage="transcribing"))
    late = await tasks.apply_report("t1", WorkerReport(kind=K.PROGRESS, progress=30, stage="aligning", eta=3))
    assert late.progress == 50
    assert late.stage == "aligning"
    assert late.eta == 3


@pytest.mark.asyncio
async def test_progress_on_a_queued_task_starts_it(tasks: TaskService, pub: RecordingPublisher) -> None:
    await make(tasks, S.QUEUED)
    task = await tasks.apply_report("t1", WorkerReport(kind=K.PROGRESS, progress=5))
    assert task.state is S.RUNNING
    assert task.started_at is not None
    assert pub.types()[-1] == "task_updated", "a state change is never a bare progress delta"


@pytest.mark.asyncio
async def test_repeated_identical_report_publishes_nothing(
    tasks: TaskService, pub: RecordingPublisher
) -> None:
    await make(tasks, S.RUNNING)
    await tasks.apply_report("t1", WorkerReport(kind=K.PROGRESS, progress=5, stage="uploading"))
    n = len(pub.events)
    await tasks.apply_report("t1", WorkerReport(kind=K.PROGRESS, progress=5, stage="uploading"))
    assert len(pub.events) == n


@pytest.mark.asyncio
async def test_progress_while_cancelling_keeps_the_state(tasks: TaskService, pub: RecordingPublisher) -> None:
    await make(tasks, S.CANCELLING)
    task = await tasks.apply_report("t1", WorkerReport(kind=K.PROGRESS, progress=70))
    assert task.state is S.CANCELLING
    assert pub.types()[-1] == "task_progress"
    cancelled = await tasks.apply_report("t1", WorkerReport(kind=K.CANCELLED))
    assert cancelled.state is S.CANCELLED
    assert pub.types()[-1] == "task_cancelled"
    assert cancelled.finished_at is not None


@pytest.mark.asyncio
@pytest.mark.parametrize("state", [S.COMPLETED, S.FAILED, S.CANCELLED])
@pytest.mark.parametrize("kind", list(WorkerReportKind))
async def test_reports_on_terminal_tasks_are_refused(
    tasks: TaskService, pub: RecordingPublisher, state: TaskState, kind: WorkerReportKind
) -> None:
    await make(tasks, state)
    n = len(pub.events)
    with pytest.raises(InvalidTransition, match=f"from {state.value}.*retry it first"):
        await tasks.apply_report("t1", WorkerReport(kind=kind, progress=1))
    assert len(pub.events) == n


@pytest.mark.asyncio
async def test_worker_pause_and_resume_reports(tasks: TaskService) -> None:
    await make(tasks, S.RUNNING)
    assert (await tasks.apply_report("t1", WorkerReport(kind=K.PAUSED))).state is S.PAUSED
    assert (await tasks.apply_report("t1", WorkerReport(kind=K.RESUMED))).state is S.RUNNING
    await tasks.request("t1", A.CANCEL)
    with pytest.raises(InvalidTransition, match="cancelling"):
        await tasks.apply_report("t1", WorkerReport(kind=K.PAUSED))
    with pytest.raises(InvalidTransition, match="cancelling"):
        await tasks.apply_report("t1", WorkerReport(kind=K.STARTED))


@pytest.mark.asyncio
async def test_concurrent_commands_validate_one_after_the_other(tasks: TaskService) -> None:
    await make(tasks, S.RUNNING)
    results = await asyncio.gather(
        tasks.request("t1", A.CANCEL), tasks.request("t1", A.CANCEL), return_exceptions=True
    )
    assert sum(isinstance(r, Task) for r in results) == 1
    assert sum(isinstance(r, InvalidTransition) for r in results) == 1


# ----------------------------------------------------------------------------- remove, listeners, storage


@pytest.mark.asyncio
async def test_remove_publishes_task_removed(tasks: TaskService, pub: RecordingPublisher) -> None:
    await make(tasks, S.RUNNING)
    removed: list[Task] = []
    tasks.add_removal_listener(removed.append)
    await tasks.remove("t1")
    event_type, data, _ = pub.events[-1]
    assert event_type == "task_removed"
    assert validate_event(event_type, data) == TaskRemoved(id="t1")
    assert tasks.get("t1") is None
    assert [t.id for t in removed] == ["t1"]
    with pytest.raises(TaskNotFound):
        await tasks.remove("t1")


@pytest.mark.asyncio
async def test_listeners_run_after_publish_and_cannot_break_it(
    tasks: TaskService, pub: RecordingPublisher, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[tuple[str, TaskState | None, int]] = []

    def broken(_new: Task, _old: Task | None) -> None:
        raise RuntimeError("listener bug")

    def good(new: Task, old: Task | None) -> None:
        seen.append((new.state.value, None if old is None else old.state, len(pub.events)))

    tasks.add_listener(broken)
    unsubscribe = tasks.add_listener(good)
    with caplog.at_level(logging.ERROR, logger="monitor.server.tasks"):
        await make(tasks, S.RUNNING)
    assert seen == [("queued", None, 1), ("running", S.QUEUED, 2)], "called after the event was published"
    assert "listener bug" in caplog.text
    unsubscribe()
    await tasks.request("t1", A.PAUSE)
    assert len(seen) == 2


@pytest.mark.asyncio
async def test_storage_reload_keeps_tasks_across_a_restart(pub: RecordingPublisher, clock: Clock) -> None:
    store = InMemoryTaskStorage()
    first = TaskService(pub, clock=clock, store=store)
    clock.now = 20.0
    await make(first, S.RUNNING, "late")
    clock.now = 10.0
    await make(first, S.FAILED, "early")
    await make(first, S.QUEUED, "gone")
    await first.remove("gone")

    second = TaskService(RecordingPublisher(), clock=clock, store=store)
    assert [t.id for t in second.all()] == ["early", "late"]
    assert second.get("late") == first.get("late")
    retried = await second.request("early", A.RETRY)
    assert retried.attempt == 2
    assert {t.id: t for t in store.load()}["early"] == retried, "changes are saved"


class FailingStorage(InMemoryTaskStorage):
    def save(self, task: Task) -> None:
        raise OSError("disk full")


@pytest.mark.asyncio
async def test_storage_failure_publishes_nothing(pub: RecordingPublisher) -> None:
    tasks = TaskService(pub, store=FailingStorage())
    with pytest.raises(OSError, match="disk full"):
        await tasks.create(TaskSubmit(id="x", name="x.wav"))
    assert pub.events == []
    assert tasks.get("x") is None


@pytest.mark.asyncio
async def test_failed_and_other_full_events_carry_seed000_fields(
    tasks: TaskService, pub: RecordingPublisher
) -> None:
    """``task_failed`` has ``error`` (the one-line message); others have neither result nor error."""
    await make(tasks, S.RUNNING)
    created = json.loads(pub.events[0][1])
    assert (created["jobId"], "result" in created, "error" in created) == ("t1", False, False)
    await tasks.apply_report(
        "t1", WorkerReport(kind=K.FAILED, error=TaskError(message="disk full", detail="tb"))
    )
    event_type, data = pub.last()
    assert event_type == "task_failed"
    assert (data["id"], data["jobId"], data["error"], "result" in data) == (
        f"1-{len(pub.events)}",
        "t1",
        "disk full",
        False,
    )
