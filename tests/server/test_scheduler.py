"""CommandScheduler: concurrency, priority, timeouts, retries, cancellation, acks, shutdown.

The ack sink is a small real implementation that records acks and lets tests wait for them;
handlers are real coroutines gated by events (no sleeps as synchronisation).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio
from pydantic import JsonValue

from monitor.core.protocol import (
    CommandAck,
    CommandAction,
    CommandRequest,
    CommandStatus,
    MessagePriority,
    TaskState,
    TaskSubmit,
    WorkerReport,
    WorkerReportKind,
)
from monitor.server.scheduler import CommandRecord, CommandRejected, CommandScheduler, register_task_handlers
from monitor.server.tasks import TaskService
from tests.server.test_tasks import RecordingPublisher

A = CommandAction
CS = CommandStatus
WAIT = 5.0


class AckRecorder:
    """An ``AckSink`` that keeps every (client_id, ack) and wakes waiters."""

    def __init__(self) -> None:
        self.acks: list[tuple[str | None, CommandAck]] = []
        self._changed = asyncio.Condition()

    async def __call__(self, client_id: str | None, ack: CommandAck) -> None:
        async with self._changed:
            self.acks.append((client_id, ack))
            self._changed.notify_all()

    def of(self, command_id: str) -> list[CommandAck]:
        return [a for _, a in self.acks if a.command_id == command_id]

    def finals(self, command_id: str) -> list[CommandAck]:
        return [a for a in self.of(command_id) if a.status.is_final]

    async def final(self, command_id: str, timeout: float = WAIT) -> CommandAck:
        """Wait for the final ack of ``command_id``."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: bool(self.finals(command_id)))
        return self.finals(command_id)[0]


class Gate:
    """Handlers that block until released and record what happened to them."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.running = 0
        self.max_running = 0
        self.started: list[str] = []
        self.cancelled: list[str] = []
        self._changed = asyncio.Condition()

    async def handler(self, record: CommandRecord) -> JsonValue:
        async with self._changed:
            self.running += 1
            self.max_running = max(self.max_running, self.running)
            self.started.append(record.command_id)
            self._changed.notify_all()
        try:
            await self.release.wait()
            return {"done": record.command_id}
        except asyncio.CancelledError:
            self.cancelled.append(record.command_id)
            raise
        finally:
            self.running -= 1

    async def wait_started(self, n: int) -> None:
        async with asyncio.timeout(WAIT), self._changed:
            await self._changed.wait_for(lambda: len(self.started) >= n)


def cmd(action: CommandAction = A.EXECUTE, command_id: str | None = None, **kw: object) -> CommandRequest:
    return CommandRequest.model_validate({"action": action, "command_id": command_id, **kw})


def other_tasks() -> set[asyncio.Task[object]]:
    return {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}


@pytest_asyncio.fixture
async def acks() -> AckRecorder:
    return AckRecorder()


@pytest_asyncio.fixture
async def make_scheduler(acks: AckRecorder) -> AsyncIterator[Callable[..., CommandScheduler]]:
    made: list[CommandScheduler] = []

    def make(**kw: object) -> CommandScheduler:
        kw.setdefault("retry_backoff_s", 0.001)
        scheduler = CommandScheduler(acks, **kw)  # type: ignore[arg-type]
        made.append(scheduler)
        return scheduler

    yield make
    for scheduler in made:
        await scheduler.aclose()
    assert not other_tasks(), "the scheduler left tasks behind"


@pytest.mark.asyncio
async def test_accepted_then_succeeded(
    make_scheduler: Callable[..., CommandScheduler], acks: AckRecorder
) -> None:
    s = make_scheduler()
    gate = Gate()
    gate.release.set()
    s.register_handler(A.EXECUTE, gate.handler)
    await s.start()
    cid = await s.submit(cmd(command_id="c1", task_id="t9"), client_id="alice")
    assert cid == "c1"
    assert acks.acks[0][0] == "alice"
    assert acks.acks[0][1].status is CS.ACCEPTED, "accepted is sent before submit returns"
    final = await acks.final("c1")
    assert final.status is CS.SUCCEEDED
    assert final.success is True
    assert final.result == {"done": "c1"}
    assert final.task_id == "t9"
    assert final.attempt == 1
    assert [a.status for a in acks.of("c1")] == [CS.ACCEPTED, CS.SUCCEEDED]
    record = s.get("c1")
    assert record is not None
    assert record.status is CS.SUCCEEDED
    assert s.stats()["succeeded"] == 1


@pytest.mark.asyncio
async def test_concurrency_limit_is_respected(
    make_scheduler: Callable[..., CommandScheduler], acks: AckRecorder
) -> None:
    s = make_scheduler(max_concurrent=2)
    gate = Gate()
    s.register_handler(A.EXECUTE, gate.handler)
    await s.start()
    ids = [await s.submit(cmd(), client_id=None) for _ in range(6)]
    await gate.wait_started(2)
    # Only two workers exist, so nothing else can start while both are held.
    assert len(gate.started) == 2
    assert s.stats()["running"] == 2
    assert s.stats()["pending"] == 4
    gate.release.set()
    for cid in ids:
        assert (await acks.final(cid)).status is CS.SUCCEEDED
    assert gate.max_running == 2


@pytest.mark.asyncio
@pytest.mark.parametrize("enable_priority", [True, False])
async def test_priority_order(
    make_scheduler: Callable[..., CommandScheduler], acks: AckRecorder, enable_priority: bool
) -> None:
    s = make_scheduler(max_concurrent=1, enable_priority=enable_priority)
    gate = Gate()
    s.register_handler(A.EXECUTE, gate.handler)
    await s.start()
    await s.submit(cmd(command_id="blocker"), client_id=None)
    await gate.wait_started(1)
    order = [MessagePriority.LOW, MessagePriority.NORMAL, MessagePriority.CRITICAL, MessagePriority.HIGH]
    for i, p in enumerate(order):
        await s.submit(cmd(command_id=f"{p.name}-{i}", priority=int(p)), client_id=None)
    gate.release.set()
    for i, p in enumerate(order):
        await acks.final(f"{p.name}-{i}")
    run = [c.split("-")[0] for c in gate.started[1:]]
    if enable_priority:
        assert run == ["CRITICAL", "HIGH", "NORMAL", "LOW"]
    else:
        assert run == ["LOW", "NORMAL", "CRITICAL", "HIGH"]


@pytest.mark.asyncio
async def test_timeout_cancels_the_handler_and_acks_timed_out(
    make_scheduler: Callable[..., CommandScheduler], acks: AckRecorder
) -> None:
    s = make_scheduler(max_retries=3)
    gate = Gate()
    s.register_handler(A.EXECUTE, gate.handler)
    await s.start()
    await s.submit(cmd(command_id="slow", timeout_ms=30), client_id=None)
    final = await acks.final("slow")
    assert final.status is CS.TIMED_OUT
    assert final.success is False
    assert "30 ms" in (final.error or "")
    assert gate.cancelled == ["slow"], "the handler was really cancelled"
    assert gate.started == ["slow"], "a timeout is not retried"
    assert len(acks.finals("slow")) == 1


@pytest.mark.asyncio
async def test_handler_timeout_error_is_a_failure_not_our_timeout(
    make_scheduler: Callable[..., CommandScheduler], acks: AckRecorder
) -> None:
    s = make_scheduler(max_retries=0)

    async def handler(_: CommandRecord) -> JsonValue:
        raise TimeoutError("upstream read timed out")

    s.register_handler(A.EXECUTE, handler)
    await s.start()
    await s.submit(cmd(command_id="c"), client_id=None)
    final = await acks.final("c")
    assert final.status is CS.FAILED
    assert "upstream read timed out" in (final.error or "")


@pytest.mark.asyncio
async def test_exceptions_are_retried_then_fail(
    make_scheduler: Callable[..., CommandScheduler], acks: AckRecorder
) -> None:
    s = make_scheduler(max_retries=2)
    calls: list[int] = []

    async def handler(record: CommandRecord) -> JsonValue:
        calls.append(record.attempt)
        raise RuntimeError(f"worker unreachable #{record.attempt}")

    s.register_handler(A.EXECUTE, handler)
    await s.start()
    await s.submit(cmd(command_id="c"), client_id=None)
    final = await acks.final("c")
    assert calls == [1, 2, 3], "max_retries=2 means three runs"
    assert final.status is CS.FAILED
    assert final.attempt == 3
    assert final.error == "RuntimeError: worker unreachable #3"
    assert len(acks.finals("c")) == 1
    assert s.stats()["retries"] == 2
    assert s.stats()["failed"] == 1


@pytest.mark.asyncio
async def test_retry_can_succeed(make_scheduler: Callable[..., CommandScheduler], acks: AckRecorder) -> None:
    s = make_scheduler(max_retries=3)

    async def flaky(record: CommandRecord) -> JsonValue:
        if record.attempt < 2:
            raise ConnectionError("reset")
        return "ok"

    s.register_handler(A.EXECUTE, flaky)
    await s.start()
    await s.submit(cmd(command_id="c"), client_id=None)
    final = await acks.final("c")
    assert final.status is CS.SUCCEEDED
    assert final.attempt == 2
    assert final.result == "ok"


@pytest.mark.asyncio
async def test_rejected_commands_are_not_retried(
    make_scheduler: Callable[..., CommandScheduler], acks: AckRecorder
) -> None:
    s = make_scheduler(max_retries=3)
    calls = 0

    async def handler(_: CommandRecord) -> JsonValue:
        nonlocal calls
        calls += 1
        raise CommandRejected("task t1 is completed")

    s.register_handler(A.EXECUTE, handler)
    await s.start()
    await s.submit(cmd(command_id="c"), client_id=None)
    final = await acks.final("c")
    assert final.status is CS.REJECTED
    assert final.error == "task t1 is completed"
    assert calls == 1


@pytest.mark.asyncio
async def test_unknown_action_is_rejected_at_once(
    make_scheduler: Callable[..., CommandScheduler], acks: AckRecorder
) -> None:
    s = make_scheduler()
    await s.start()
    await s.submit(cmd(A.SYNC, command_id="c"), client_id="bob")
    assert [a.status for a in acks.of("c")] == [CS.REJECTED], "no accepted ack for a command that cannot run"
    assert "sync" in (acks.of("c")[0].error or "")
    assert acks.acks[0][0] == "bob"


@pytest.mark.asyncio
async def test_cancel_pending(make_scheduler: Callable[..., CommandScheduler], acks: AckRecorder) -> None:
    s = make_scheduler(max_concurrent=1)
    gate = Gate()
    s.register_handler(A.EXECUTE, gate.handler)
    await s.start()
    await s.submit(cmd(command_id="blocker"), client_id=None)
    await gate.wait_started(1)
    await s.submit(cmd(command_id="waiting"), client_id=None)
    assert await s.cancel("waiting") is True
    assert (await acks.final("waiting")).status is CS.CANCELLED
    assert await s.cancel("waiting") is False, "already final"
    assert await s.cancel("nope") is False
    gate.release.set()
    assert (await acks.final("blocker")).status is CS.SUCCEEDED
    assert "waiting" not in gate.started, "a cancelled pending command never runs"
    assert len(acks.finals("waiting")) == 1


@pytest.mark.asyncio
async def test_cancel_running_really_cancels_the_handler(
    make_scheduler: Callable[..., CommandScheduler], acks: AckRecorder
) -> None:
    s = make_scheduler()
    gate = Gate()
    s.register_handler(A.EXECUTE, gate.handler)
    await s.start()
    await s.submit(cmd(command_id="c"), client_id=None)
    await gate.wait_started(1)
    assert await s.cancel("c") is True
    # cancel() returns only once the handler has stopped and the final ack is out.
    assert gate.cancelled == ["c"]
    assert gate.running == 0
    assert [a.status for a in acks.of("c")] == [CS.ACCEPTED, CS.CANCELLED]
    assert await s.cancel("c") is False


@pytest.mark.asyncio
async def test_cancel_after_completion_keeps_the_real_outcome(
    make_scheduler: Callable[..., CommandScheduler], acks: AckRecorder
) -> None:
    s = make_scheduler()
    gate = Gate()
    gate.release.set()
    s.register_handler(A.EXECUTE, gate.handler)
    await s.start()
    await s.submit(cmd(command_id="c"), client_id=None)
    await gate.wait_started(1)
    # The handler has returned (or is about to); the cancel races the worker's bookkeeping.
    cancelled = await s.cancel("c")
    final = await acks.final("c")
    assert cancelled is (final.status is CS.CANCELLED)
    assert len(acks.finals("c")) == 1


@pytest.mark.asyncio
async def test_duplicate_command_id_runs_once(
    make_scheduler: Callable[..., CommandScheduler], acks: AckRecorder
) -> None:
    s = make_scheduler()
    gate = Gate()
    gate.release.set()
    s.register_handler(A.EXECUTE, gate.handler)
    await s.start()
    assert await s.submit(cmd(command_id="same"), client_id=None) == "same"
    await acks.final("same")
    assert await s.submit(cmd(command_id="same"), client_id=None) == "same"
    assert gate.started == ["same"]
    assert [a.status for a in acks.of("same")] == [CS.ACCEPTED, CS.SUCCEEDED]


@pytest.mark.asyncio
async def test_require_ack_false_sends_nothing(
    make_scheduler: Callable[..., CommandScheduler], acks: AckRecorder
) -> None:
    s = make_scheduler()
    done = asyncio.Event()

    async def handler(_: CommandRecord) -> JsonValue:
        done.set()
        return None

    s.register_handler(A.EXECUTE, handler)
    await s.start()
    cid = await s.submit(cmd(require_ack=False), client_id=None)
    await asyncio.wait_for(done.wait(), WAIT)
    await s.aclose()
    record = s.get(cid)
    assert record is not None
    assert record.status is CS.SUCCEEDED
    assert acks.acks == []


@pytest.mark.asyncio
async def test_non_json_result_becomes_a_failed_ack(
    make_scheduler: Callable[..., CommandScheduler], acks: AckRecorder
) -> None:
    s = make_scheduler()

    async def handler(_: CommandRecord) -> JsonValue:
        return {"x": object()}  # type: ignore[dict-item]

    s.register_handler(A.EXECUTE, handler)
    await s.start()
    await s.submit(cmd(command_id="c"), client_id=None)
    final = await acks.final("c")
    assert final.status is CS.FAILED
    assert "not valid JSON" in (final.error or "")


@pytest.mark.asyncio
async def test_aclose_cancels_everything_and_leaves_no_tasks(
    make_scheduler: Callable[..., CommandScheduler], acks: AckRecorder
) -> None:
    s = make_scheduler(max_concurrent=2)
    gate = Gate()
    s.register_handler(A.EXECUTE, gate.handler)
    await s.start()
    with pytest.raises(RuntimeError):
        await s.start()
    ids = [await s.submit(cmd(), client_id=None) for _ in range(4)]
    await gate.wait_started(2)
    await s.aclose()
    assert [acks.finals(c)[0].status for c in ids] == [CS.CANCELLED] * 4
    assert all(len(acks.finals(c)) == 1 for c in ids)
    assert sorted(gate.cancelled) == sorted(gate.started)
    assert not other_tasks()
    late = await s.submit(cmd(command_id="late"), client_id=None)
    assert acks.finals(late)[0].status is CS.REJECTED
    with pytest.raises(RuntimeError):
        await s.start()


@pytest.mark.asyncio
async def test_failing_ack_sink_does_not_wedge_the_scheduler() -> None:
    calls: list[CommandStatus] = []

    async def sink(_: str | None, ack: CommandAck) -> None:
        calls.append(ack.status)
        raise ConnectionError("hub gone")

    s = CommandScheduler(sink)

    async def handler(_: CommandRecord) -> JsonValue:
        return 1

    s.register_handler(A.EXECUTE, handler)
    await s.start()
    try:
        cid = await s.submit(cmd(), client_id=None)
        record = s.get(cid)
        assert record is not None
        await asyncio.wait_for(record._done.wait(), WAIT)
        assert record.status is CS.SUCCEEDED
        assert calls == [CS.ACCEPTED, CS.SUCCEEDED]
    finally:
        await s.aclose()


# ----------------------------------------------------------------------------- task handlers


@pytest.mark.asyncio
async def test_task_handlers(make_scheduler: Callable[..., CommandScheduler], acks: AckRecorder) -> None:
    pub = RecordingPublisher()
    tasks = TaskService(pub)
    await tasks.create(TaskSubmit(id="t1", name="podcast-ep42.mp3"))
    await tasks.apply_report("t1", WorkerReport(kind=WorkerReportKind.STARTED))
    s = make_scheduler()
    register_task_handlers(s, tasks)
    await s.start()

    await s.submit(cmd(A.QUERY, "q", task_id="t1"), client_id="c")
    q = await acks.final("q")
    assert q.status is CS.SUCCEEDED
    assert isinstance(q.result, dict)
    assert q.result["state"] == "running"

    await s.submit(cmd(A.PAUSE, "p", task_id="t1"), client_id="c")
    assert (await acks.final("p")).status is CS.SUCCEEDED
    task = tasks.get("t1")
    assert task is not None
    assert task.state is TaskState.PAUSED
    assert pub.types()[-1] == "task_updated"

    await s.submit(cmd(A.PAUSE, "p2", task_id="t1"), client_id="c")
    p2 = await acks.final("p2")
    assert p2.status is CS.REJECTED
    assert "cannot go from paused" in (p2.error or "")

    await s.submit(cmd(A.CANCEL, "x", task_id="t1"), client_id="c")
    x = await acks.final("x")
    assert isinstance(x.result, dict)
    assert x.result["state"] == "cancelled"

    await s.submit(cmd(A.RETRY, "r", task_id="t1"), client_id="c")
    r = await acks.final("r")
    assert isinstance(r.result, dict)
    assert r.result["attempt"] == 2

    await s.submit(cmd(A.QUERY, "missing", task_id="nope"), client_id="c")
    assert (await acks.final("missing")).status is CS.REJECTED
    await s.submit(cmd(A.CANCEL, "noid"), client_id="c")
    noid = await acks.final("noid")
    assert noid.status is CS.REJECTED
    assert "task_id" in (noid.error or "")
    await s.submit(cmd(A.EXECUTE, "exec", task_id="t1"), client_id="c")
    assert (await acks.final("exec")).status is CS.REJECTED, "no job-system hook registered"


@pytest.mark.asyncio
async def test_execute_hook(make_scheduler: Callable[..., CommandScheduler], acks: AckRecorder) -> None:
    tasks = TaskService(RecordingPublisher())

    async def execute(record: CommandRecord) -> JsonValue:
        return {"started": record.params.get("job")}

    s = make_scheduler()
    register_task_handlers(s, tasks, execute=execute)
    await s.start()
    await s.submit(cmd(A.EXECUTE, "e", params={"job": "transcribe"}), client_id=None)
    final = await acks.final("e")
    assert final.result == {"started": "transcribe"}
