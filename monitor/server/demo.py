"""The demo workload behind ``monitor serve --demo``: simulated audio transcription jobs.

Jobs are named like real recordings, go through ``uploading -> transcribing -> aligning ->
exporting`` with varied durations, report progress several times per second with an ETA, and a few
fail with a realistic reason. At most ``concurrency`` jobs run at once; new jobs arrive over time
(``total`` bounds them; without it the demo runs for ever and forgets the oldest finished jobs).

Everything is driven by :class:`~monitor.server.tasks.TaskService` so commands behave as for real
workers: pause stops a job advancing (it keeps its place, the slot is given to a queued job),
resume continues it if a slot is free (the demo's ``concurrency`` is the service's
:attr:`~monitor.server.tasks.TaskService.max_running`), else the job waits in the queue with its
progress and runs again when a slot frees, so resumes never run more than ``concurrency`` jobs;
cancel moves running -> cancelling -> cancelled after a short delay, retry runs a failed or
cancelled job again from 0 (a retried job does not fail again). The workload
reacts to task changes through a listener that wakes the job concerned and the dispatcher; the
only timed waits are the simulated work itself.

Determinism: names, durations, which jobs fail and where all come from ``rng`` when a job is
submitted, so a seeded ``random.Random`` gives the same jobs and outcomes on every run (progress
values in between depend on real elapsed time). ``speed`` divides every duration.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from monitor.core.protocol import (
    TERMINAL_STATES,
    Task,
    TaskError,
    TaskState,
    TaskSubmit,
    WorkerReport,
    WorkerReportKind,
)
from monitor.server.tasks import InvalidTransition, TaskNotFound, TaskService

__all__ = ["STAGES", "DemoWorkload", "JobPlan"]

_log = logging.getLogger(__name__)

#: The stages of a transcription, in order.
STAGES = ("uploading", "transcribing", "aligning", "exporting")
#: Seconds of simulated work per stage at speed 1 (a range; scaled by the recording's length).
_STAGE_RANGE = {
    "uploading": (2.0, 6.0),
    "transcribing": (12.0, 40.0),
    "aligning": (3.0, 8.0),
    "exporting": (1.0, 3.0),
}
#: Progress reports per simulated second (several per second at speed 1).
_REPORTS_PER_SECOND = 4.0
#: Shortest real wait between reports, so a very high speed cannot spin the event loop.
_MIN_TICK_S = 0.0005
#: Without ``total``, keep at most this many finished demo jobs before removing the oldest.
_KEEP_FINISHED = 200

_FAILURES = (
    (
        "transcribing",
        "CUDA out of memory",
        "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB "
        "(GPU 0; 15.78 GiB total capacity; 13.91 GiB already allocated; 1.02 GiB free)",
    ),
    (
        "uploading",
        "audio decode error: unsupported codec",
        "ffmpeg: Decoder (codec amr_wb) not found for input stream #0:0; "
        "Invalid data found when processing input",
    ),
    (
        "aligning",
        "alignment failed: no speech detected",
        "forced aligner: 0 of 412 segments matched (VAD found 0.0 s of speech in 1h02m)",
    ),
    (
        "uploading",
        "upload interrupted: connection reset by peer",
        "httpx.ReadError: [Errno 104] Connection reset by peer",
    ),
    (
        "exporting",
        "export failed: disk quota exceeded",
        "OSError: [Errno 122] Disk quota exceeded: '/srv/exports'",
    ),
)


def _name(rng: random.Random, n: int) -> str:
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    choice = rng.randrange(8)
    if choice == 0:
        return f"interview-2026-{month:02d}-{day:02d}.wav"
    if choice == 1:
        return f"podcast-ep{rng.randint(1, 240)}.mp3"
    if choice == 2:
        topic = rng.choice(["linear-algebra", "macroeconomics", "organic-chem", "ml-systems"])
        return f"lecture-{topic}-week{rng.randint(1, 14)}.m4a"
    if choice == 3:
        return f"board-meeting-2026-{month:02d}-{day:02d}.flac"
    if choice == 4:
        return f"voicemail-{n:04d}.ogg"
    if choice == 5:
        return f"earnings-call-q{rng.randint(1, 4)}-2026.mp3"
    if choice == 6:
        return f"focus-group-session-{rng.randint(1, 30)}.wav"
    return f"field-recording-{rng.choice(['kyoto', 'lagos', 'lima', 'oslo'])}-{day:02d}.wav"


@dataclass(frozen=True)
class JobPlan:
    """What one simulated job will do (drawn from the rng at submission).

    Attributes:
        durations: Simulated seconds per stage (speed 1).
        fail_stage: Stage where the first attempt fails, or None.
        fail_at: Fraction of ``fail_stage`` done when it fails.
        error: Why it fails.
        cancel_delay: Simulated seconds between ``cancelling`` and ``cancelled``.
        audio_seconds: Length of the "recording", for the result.
    """

    durations: tuple[float, ...]
    fail_stage: str | None
    fail_at: float
    error: TaskError | None
    cancel_delay: float
    audio_seconds: float

    @property
    def total(self) -> float:
        """Simulated seconds of work for the whole job."""
        return sum(self.durations)

    def fail_point(self) -> float | None:
        """Simulated seconds of work at which the first attempt fails, or None."""
        if self.fail_stage is None:
            return None
        i = STAGES.index(self.fail_stage)
        return sum(self.durations[:i]) + self.durations[i] * self.fail_at

    def stage_start(self, index: int) -> float:
        """Simulated seconds of work at which stage ``index`` begins."""
        return sum(self.durations[:index])

    def stage_at(self, work: float) -> str:
        """The stage being worked on after ``work`` simulated seconds."""
        end = 0.0
        for stage, duration in zip(STAGES, self.durations, strict=True):
            end += duration
            if work < end:
                return stage
        return STAGES[-1]

    @staticmethod
    def draw(rng: random.Random, failure_rate: float) -> JobPlan:
        """Draw a plan: longer recordings take longer in every stage."""
        scale = rng.uniform(0.5, 1.5)
        durations = tuple(round(rng.uniform(*_STAGE_RANGE[s]) * scale, 3) for s in STAGES)
        fail_stage: str | None = None
        error: TaskError | None = None
        fail_at = rng.uniform(0.1, 0.9)
        if rng.random() < failure_rate:
            fail_stage, message, detail = rng.choice(_FAILURES)
            error = TaskError(message=message, detail=detail)
        return JobPlan(
            durations=durations,
            fail_stage=fail_stage,
            fail_at=fail_at,
            error=error,
            cancel_delay=rng.uniform(0.5, 2.0),
            audio_seconds=round(rng.uniform(120, 5400) * scale, 1),
        )


class DemoWorkload:
    """Simulated transcription jobs feeding a :class:`TaskService`.

    Args:
        tasks: The task service to drive.
        rng: Source of every random choice (seed it for a reproducible demo).
        speed: Divides every duration (tests use 100-1000).
        concurrency: Jobs running at once.
        total: How many jobs to submit in all; None for an endless demo.
        failure_rate: Share of jobs whose first attempt fails.
        interval: Mean simulated seconds between new jobs after the first batch.
    """

    def __init__(
        self,
        tasks: TaskService,
        *,
        rng: random.Random | None = None,
        speed: float = 1.0,
        concurrency: int = 3,
        total: int | None = None,
        failure_rate: float = 0.15,
        interval: float = 6.0,
    ) -> None:
        """See the class docstring."""
        if speed <= 0:
            raise ValueError("speed must be positive")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._tasks = tasks
        self._rng = rng if rng is not None else random.Random()
        self._speed = speed
        self._concurrency = concurrency
        self._total = total
        self._failure_rate = failure_rate
        self._interval = interval
        self._plans: dict[str, JobPlan] = {}
        self._jobs: dict[str, asyncio.Task[None]] = {}
        self._job_wake: dict[str, asyncio.Event] = {}
        self._dispatch_wake = asyncio.Event()
        self._background: list[asyncio.Task[None]] = []
        self._unsubscribe: list[Callable[[], None]] = []
        self._submitted = 0
        self._started = False
        self._closed = False

    @property
    def submitted(self) -> int:
        """Jobs submitted so far."""
        return self._submitted

    def owns(self, task_id: str) -> bool:
        """True if ``task_id`` is one of this workload's jobs."""
        return task_id in self._plans

    def plan(self, task_id: str) -> JobPlan | None:
        """The plan of a job (tests use it to know which jobs will fail)."""
        return self._plans.get(task_id)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Subscribe to task changes and start submitting and running jobs.

        Raises:
            RuntimeError: Started twice or after :meth:`aclose`.
        """
        if self._started or self._closed:
            raise RuntimeError("DemoWorkload can only be started once")
        self._started = True
        # The demo's workers are the server's: their concurrency is the limit the service keeps on
        # resumes, so resuming paused jobs cannot run more than that at once.
        self._tasks.max_running = self._concurrency
        # Unfinished demo jobs from before a restart (persistent storage): adopt them so they finish
        # instead of sitting in "running" for ever. They get a fresh plan that does not fail.
        for task in self._tasks.all():
            if task.metadata.get("demo") is True and task.state not in TERMINAL_STATES:
                self._plans[task.id] = JobPlan.draw(self._rng, failure_rate=0.0)
        self._unsubscribe = [
            self._tasks.add_listener(self._on_change),
            self._tasks.add_removal_listener(self._on_removed),
        ]
        self._background = [
            asyncio.create_task(self._submitter(), name="demo-submitter"),
            asyncio.create_task(self._dispatcher(), name="demo-dispatcher"),
        ]

    async def aclose(self) -> None:
        """Stop submitting, cancel every job and wait for all of them (tasks keep their state)."""
        if self._closed:
            return
        self._closed = True
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        running = [*self._background, *self._jobs.values()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        self._background.clear()
        self._jobs.clear()

    # ------------------------------------------------------------------ reacting to changes

    def _on_change(self, new: Task, old: Task | None) -> None:
        if new.id not in self._plans:
            return
        wake = self._job_wake.get(new.id)
        if wake is not None:
            wake.set()
        if old is None or new.state is not old.state:
            self._dispatch_wake.set()

    def _on_removed(self, task: Task) -> None:
        if task.id in self._plans:
            wake = self._job_wake.get(task.id)
            if wake is not None:
                wake.set()
            self._dispatch_wake.set()

    # ------------------------------------------------------------------ submitting

    async def _submitter(self) -> None:
        first_batch = self._concurrency + 2
        while self._total is None or self._submitted < self._total:
            if self._submitted >= first_batch:
                # Arrivals over time: exponential gaps, as independent uploads would arrive.
                gap = self._rng.expovariate(1.0 / self._interval) / self._speed
                await asyncio.sleep(gap)  # simulated time passing, not synchronisation
            await self._submit_one()
            if self._total is None:
                await self._forget_old()

    async def _submit_one(self) -> None:
        n = self._submitted + 1
        plan = JobPlan.draw(self._rng, self._failure_rate)
        name = _name(self._rng, n)
        task_id = f"demo-{n:04d}"
        while self._tasks.get(task_id) is not None:  # a restarted server already has this id
            task_id += "-b"
        self._plans[task_id] = plan
        self._submitted = n
        await self._tasks.create(
            TaskSubmit(
                id=task_id,
                name=name,
                kind="transcription",
                metadata={"demo": True, "audio_seconds": plan.audio_seconds},
            )
        )

    async def _forget_old(self) -> None:
        finished = [t for t in self._tasks.all() if t.id in self._plans and t.state in TERMINAL_STATES]
        for task in finished[: max(0, len(finished) - _KEEP_FINISHED)]:
            with contextlib.suppress(TaskNotFound):
                await self._tasks.remove(task.id)
            self._plans.pop(task.id, None)

    # ------------------------------------------------------------------ dispatching

    async def _dispatcher(self) -> None:
        while True:
            self._dispatch_wake.clear()
            self._dispatch()
            await self._dispatch_wake.wait()

    def _dispatch(self) -> None:
        # Slots in use: what runs now plus the jobs spawned for queued tasks and not yet started.
        active = self._tasks.running_count()
        for task_id in self._jobs:
            task = self._tasks.get(task_id)
            if task is not None and task.state is TaskState.QUEUED:
                active += 1
        for task in self._tasks.all():
            if task.id not in self._plans or task.id in self._jobs:
                continue
            if task.state in (TaskState.RUNNING, TaskState.CANCELLING):
                # Resumed after a restart, or a job that lost its worker: adopt it whatever the limit,
                # the user already sees it running.
                self._spawn(task.id)
                active += 1
            elif task.state is TaskState.QUEUED and active < self._concurrency:
                self._spawn(task.id)
                active += 1

    def _spawn(self, task_id: str) -> None:
        self._job_wake[task_id] = asyncio.Event()
        job = asyncio.create_task(self._job(task_id), name=f"demo-job-{task_id}")
        self._jobs[task_id] = job

        def done(_: asyncio.Task[None]) -> None:
            if self._jobs.get(task_id) is job:
                del self._jobs[task_id]
                self._job_wake.pop(task_id, None)
            self._dispatch_wake.set()  # a slot is free

        job.add_done_callback(done)

    # ------------------------------------------------------------------ one job

    async def _job(self, task_id: str) -> None:
        try:
            await self._run_job(task_id)
        except Exception:  # noqa: BLE001 - one broken job must not stop the demo
            _log.exception("demo job %s crashed", task_id)

    def _state(self, task_id: str) -> TaskState | None:
        task = self._tasks.get(task_id)
        return None if task is None else task.state

    async def _report(self, task_id: str, report: WorkerReport) -> bool:
        try:
            await self._tasks.apply_report(task_id, report)
        except (InvalidTransition, TaskNotFound) as exc:
            # A command raced the report (paused or removed meanwhile): re-read the state next tick.
            _log.debug("demo report refused: %s", exc)
            return False
        return True

    async def _run_job(self, task_id: str) -> None:
        plan = self._plans[task_id]
        wake = self._job_wake[task_id]
        loop = asyncio.get_running_loop()
        tick = max(_MIN_TICK_S, 1.0 / (_REPORTS_PER_SECOND * self._speed))
        attempt = 0
        work = 0.0
        seen_stage = 0
        last = loop.time()
        while True:
            task = self._tasks.get(task_id)
            if task is None or task.state in TERMINAL_STATES:
                return
            if task.attempt != attempt:
                # A new attempt (first run, or after a retry) starts again from its reported progress.
                attempt = task.attempt
                work = plan.total * task.progress / 100.0
                seen_stage = STAGES.index(plan.stage_at(work))
            now = loop.time()
            if task.state is TaskState.PAUSED:
                wake.clear()
                await wake.wait()
                last = loop.time()
                continue
            if task.state is TaskState.CANCELLING:
                await asyncio.sleep(plan.cancel_delay / self._speed)  # the worker winding down
                await self._report(task_id, WorkerReport(kind=WorkerReportKind.CANCELLED, stage=task.stage))
                return
            if task.state is TaskState.QUEUED:
                # A first start, or a resumed job that was sent back to the queue: from where it is,
                # and only into a free slot (the service believes whatever a worker reports).
                if not self._tasks.slot_free():
                    return  # the dispatcher starts it again when a slot frees
                started = await self._report(
                    task_id,
                    WorkerReport(
                        kind=WorkerReportKind.STARTED,
                        stage=plan.stage_at(work),
                        progress=round(100.0 * work / plan.total, 2),
                        eta=round((plan.total - work) / self._speed, 3),
                        worker="demo-gpu-0",
                    ),
                )
                if not started and self._state(task_id) is TaskState.QUEUED:
                    return  # no free slot: the dispatcher starts it again when one frees
                last = loop.time()
                continue
            # Running: simulated work advances with real elapsed time times speed.
            work = min(plan.total, work + (now - last) * self._speed)
            last = now
            # Never jump over a whole stage between two reports (possible at very high speed):
            # watchers see every stage at least once, as they would from a real worker.
            reached = STAGES.index(plan.stage_at(work))
            if reached > seen_stage + 1:
                work = plan.stage_start(seen_stage + 1)
            seen_stage = max(seen_stage, STAGES.index(plan.stage_at(work)))
            fail_point = plan.fail_point() if attempt == 1 else None
            if fail_point is not None and work >= fail_point:
                await self._report(
                    task_id,
                    WorkerReport(kind=WorkerReportKind.FAILED, stage=plan.fail_stage, error=plan.error),
                )
                return
            if work >= plan.total:
                await self._report(
                    task_id,
                    WorkerReport(
                        kind=WorkerReportKind.COMPLETED,
                        stage=STAGES[-1],
                        result={
                            "language": "en",
                            "audio_seconds": plan.audio_seconds,
                            "words": int(plan.audio_seconds * 2.4),
                            "output": f"exports/{task_id}.srt",
                        },
                    ),
                )
                return
            await self._report(
                task_id,
                WorkerReport(
                    kind=WorkerReportKind.PROGRESS,
                    progress=round(100.0 * work / plan.total, 2),
                    stage=plan.stage_at(work),
                    eta=round((plan.total - work) / self._speed, 3),
                ),
            )
            wake.clear()
            # The simulated work between two reports; a command (pause/cancel) wakes us at once.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(tick):
                    await wake.wait()
