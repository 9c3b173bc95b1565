"""The Celery event mapper, fed the event dicts Celery 5 sends (fields as in celery/worker/request.py).

Pure: no Celery needed. tests/bridge/test_celery_bridge.py runs the same mapping against a real worker.
"""

from __future__ import annotations

from typing import Any

from monitor.bridge.celery_events import (
    CeleryMapper,
    Create,
    Refusal,
    Report,
    Resend,
    Revoke,
    inspected_events,
    monitor_id_of,
)
from monitor.core.protocol import CommandAction, WorkerReportKind

ID = "0b9d8c2e-4f51-4a8e-9d7c-3f1e2a6b5c40"
HOST = "celery@box"


def ev(kind: str, uuid: str = ID, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "uuid": uuid, "hostname": HOST, "timestamp": 1.0, "clock": 1, **fields}


def received(mapper: CeleryMapper, uuid: str = ID, args: str = "(2, 3)", **fields: Any) -> list[Any]:
    return mapper.on_event(ev("task-received", uuid, name="proj.add", args=args, kwargs="{}", **fields))


def reports(steps: list[Any]) -> list[Report]:
    return [s for s in steps if isinstance(s, Report)]


def test_received_creates_a_queued_task_owned_by_the_celery_executor() -> None:
    [create] = received(CeleryMapper())
    assert isinstance(create, Create)
    submit = create.submit
    assert (submit.id, submit.name, submit.kind) == (ID, "proj.add", "celery")
    assert submit.metadata == {
        "executor": "celery",
        "celery_task": "proj.add",
        "args": "(2, 3)",
        "kwargs": "{}",
    }


def test_lifecycle_reports_worker_attempt_result_and_error() -> None:
    m = CeleryMapper()
    received(m)
    [started] = reports(m.on_event(ev("task-started", pid=42)))
    assert started.report.kind is WorkerReportKind.STARTED
    assert (started.report.worker, started.report.attempt) == (HOST, 1)
    assert m.running() == [ID]
    [done] = reports(m.on_event(ev("task-succeeded", result="{'words': 12, 'lang': 'en'}", runtime=0.1)))
    assert done.report.kind is WorkerReportKind.COMPLETED
    assert done.report.result == {"words": 12, "lang": "en"}
    assert m.running() == []
    other = "11111111-2222-3333-4444-555555555555"
    received(m, other)
    [failed] = reports(
        m.on_event(ev("task-failed", other, exception="ValueError('bad')", traceback="Traceback..."))
    )
    assert failed.report.kind is WorkerReportKind.FAILED
    assert failed.report.error is not None
    assert (failed.report.error.message, failed.report.error.detail) == ("ValueError('bad')", "Traceback...")


def test_a_result_that_is_not_a_json_literal_is_kept_as_its_repr() -> None:
    m = CeleryMapper()
    received(m)
    [done] = reports(m.on_event(ev("task-succeeded", result="<Thing at 0x7f>")))
    assert done.report.result == {"repr": "<Thing at 0x7f>"}
    received(m, "x")
    [done] = reports(m.on_event(ev("task-succeeded", "x", result="{1, 2}")))  # a set: no JSON for it
    assert done.report.result == {"repr": "{1, 2}"}


def test_celerys_own_retry_shows_the_reason_then_starts_attempt_two() -> None:
    m = CeleryMapper()
    received(m)
    m.on_event(ev("task-started"))
    [retried] = reports(m.on_event(ev("task-retried", exception="RuntimeError('transient')")))
    assert retried.report.kind is WorkerReportKind.PROGRESS
    assert retried.report.stage == "retrying after RuntimeError('transient')"
    assert reports(received(m, retries=1)) == []
    [again] = reports(m.on_event(ev("task-started")))
    assert again.report.attempt == 2


def test_revoked_is_cancelled_and_says_how() -> None:
    m = CeleryMapper()
    received(m)
    [rep] = reports(m.on_event(ev("task-revoked", terminated=True, signum=15, expired=False)))
    assert (rep.report.kind, rep.report.stage) == (WorkerReportKind.CANCELLED, "terminated")


def test_update_state_progress_from_the_backend_only_for_running_tasks_and_only_when_changed() -> None:
    m = CeleryMapper()
    received(m)
    assert m.on_backend_state(ID, "PROGRESS", {"progress": 40}) is None  # not started yet
    m.on_event(ev("task-started"))
    rep = m.on_backend_state(ID, "PROGRESS", {"progress": 40, "stage": "encoding"})
    assert rep is not None
    assert (rep.task_id, rep.report.progress, rep.report.stage) == (ID, 40.0, "encoding")
    assert m.on_backend_state(ID, "PROGRESS", {"progress": 40, "stage": "encoding"}) is None  # a repeat
    rep = m.on_backend_state(
        ID, "RESIZING", {"current": 3, "total": 4}
    )  # a custom state, Celery's docs' shape
    assert rep is not None
    assert (rep.report.progress, rep.report.stage) == (75.0, "resizing")
    assert m.on_backend_state(ID, "STARTED", {"pid": 1}) is None  # Celery's own states are events
    rep = m.on_backend_state(ID, "PROGRESS", {"progress": 1e309})
    assert rep is not None
    assert rep.report.progress is None  # not finite: no bar change, the stage still updates


def test_a_custom_progress_event_is_a_progress_report() -> None:
    m = CeleryMapper()
    received(m)
    [rep] = reports(m.on_event(ev("task-progress", progress=130, stage="uploading")))
    assert (rep.report.progress, rep.report.stage) == (100.0, "uploading")
    assert m.on_event(ev("task-custom-without-progress")) == []
    assert m.on_event({"type": "worker-heartbeat", "hostname": HOST}) == []


def test_a_re_sent_run_is_the_same_task_one_attempt_higher() -> None:
    assert monitor_id_of(f"{ID}~3") == (ID, 3)
    assert monitor_id_of(ID) == (ID, 1)
    m = CeleryMapper()
    received(m)
    m.on_event(ev("task-failed", exception="E()"))
    steps = m.on_event(ev("task-received", f"{ID}~2", name="proj.add", args="(2, 3)", kwargs="{}"))
    assert isinstance(steps[0], Create)
    assert steps[0].submit.id == ID
    [started] = reports(m.on_event(ev("task-started", f"{ID}~2")))
    assert (started.task_id, started.report.attempt) == (ID, 2)
    assert m.plan(CommandAction.CANCEL, ID) == Revoke(f"{ID}~2")  # the run that is going on


def test_command_plans_cancel_retry_and_refusals() -> None:
    m = CeleryMapper()
    received(m, args="(2, [1, 'a'])", queue="video")
    plan = m.plan(CommandAction.RETRY, ID)
    assert isinstance(plan, Resend)
    assert (plan.name, plan.args, plan.kwargs, plan.queue) == ("proj.add", [2, [1, "a"]], {}, "video")
    assert plan.celery_id(2) == f"{ID}~2"
    assert m.plan(CommandAction.CANCEL, ID) == Revoke(ID)
    pause = m.plan(CommandAction.PAUSE, ID)
    assert isinstance(pause, Refusal)
    assert "Celery cannot pause" in pause.reason
    unseen = m.plan(CommandAction.RETRY, "never-seen")
    assert isinstance(unseen, Refusal)
    assert "did not see it" in unseen.reason


def test_arguments_celery_may_have_cut_or_that_json_cannot_carry_are_refused() -> None:
    m = CeleryMapper()
    cut = "('" + "k" * 1010 + "...',)"  # saferepr's cut: still a valid literal, of another value
    received(m, "a", args=cut)
    received(m, "b", args="(datetime.datetime(2026, 1, 1),)")
    received(m, "c", args="({1, 2},)")
    for task_id, words in (("a", "not plain values"), ("b", "not plain values"), ("c", "do not fit JSON")):
        plan = m.plan(CommandAction.RETRY, task_id)
        assert isinstance(plan, Refusal), task_id
        assert words in plan.reason


def test_memory_is_bounded_and_running_tasks_are_kept_longest() -> None:
    m = CeleryMapper(max_tasks=3)
    received(m, "run")
    m.on_event(ev("task-started", "run"))
    for i in range(10):
        received(m, f"t{i}")
    assert m.running() == ["run"]
    assert isinstance(m.plan(CommandAction.RETRY, "t9"), Resend)
    assert isinstance(m.plan(CommandAction.RETRY, "t0"), Refusal)  # forgotten


def test_tasks_listed_by_inspect_stand_in_for_the_missed_events() -> None:
    m = CeleryMapper()
    info = {"id": ID, "name": "proj.add", "args": [2, 3], "kwargs": {}, "hostname": HOST}
    events = inspected_events(HOST, info, started=True)
    assert [e["type"] for e in events] == ["task-received", "task-started"]
    steps = [s for e in events for s in m.on_event(e)]
    assert isinstance(steps[0], Create)
    assert steps[0].submit.metadata["args"] == "[2, 3]"  # unsafe inspect gives values: their repr
    assert [r.report.kind for r in reports(steps)] == [WorkerReportKind.STARTED]
    assert isinstance(m.plan(CommandAction.RETRY, ID), Resend)
    assert inspected_events(HOST, {"name": "no id"}, started=False) == []


def test_a_late_start_after_the_end_is_ignored() -> None:
    m = CeleryMapper()
    received(m)
    m.on_event(ev("task-succeeded", result="1"))
    # The start-up inspection listed the task just before it finished; its copy comes late.
    assert reports(m.on_event(ev("task-started"))) == []
    assert m.running() == []
