"""normalize(): every dialect of task news becomes patches; bad input becomes a NewsError."""

from __future__ import annotations

import pytest

from monitor.core.news import NewsError, TaskPatch, normalize
from monitor.core.protocol import TaskState

TASK = {"id": "t1", "name": "a.wav", "created_at": 1.0, "state": "running", "progress": 10.0}


def _one(event: str, data: object) -> TaskPatch:
    out = normalize(event, data, received_at=5.0)
    assert isinstance(out, list), out
    assert len(out) == 1
    return out[0]


@pytest.mark.parametrize("event", ["task_created", "task_updated", "task_complete", "task_failed",
                                   "task_cancelled"])
def test_our_lifecycle_events_carry_full_task(event: str) -> None:
    p = _one(event, {"task": TASK})
    assert p.full
    assert p.id == "t1"
    assert p.name == "a.wav"
    assert p.state is TaskState.RUNNING
    assert p.source == event
    assert p.received_at == 5.0


def test_our_progress_delta() -> None:
    p = _one("task_progress", {"id": "t1", "progress": 42.0, "stage": "transcribing", "eta": 9.0})
    assert (p.id, p.progress, p.stage, p.eta, p.full) == ("t1", 42.0, "transcribing", 9.0, False)


def test_removed() -> None:
    assert _one("task_removed", {"id": "t1"}).removed


def test_seed000_job_id_progress_complete_failed() -> None:
    assert _one("task_progress", {"jobId": "j", "progress": 5}).id == "j"
    done = _one("task_complete", {"jobId": "j", "result": {"text": "hi"}})
    assert done.state is TaskState.COMPLETED
    assert done.result == {"text": "hi"}
    assert done.result_set
    failed = _one("task_failed", {"jobId": "j", "error": "boom"})
    assert failed.state is TaskState.FAILED
    assert failed.error is not None
    assert failed.error.message == "boom"
    obj = _one("task_failed", {"jobId": "j", "error": {"message": "bad", "stack": "tb"}})
    assert obj.error is not None
    assert (obj.error.message, obj.error.detail) == ("bad", "tb")


def _msg(type_: str, payload: object) -> dict[str, object]:
    return {"id": "m1", "type": type_, "timestamp": 2000, "source": "scheduler", "payload": payload}


def test_seed004_progress_message_ms_to_seconds() -> None:
    p = _one("message", _msg("progress", {"taskId": "x", "progress": 30, "description": "step",
                                          "estimatedTimeRemaining": 4500}))
    assert (p.id, p.progress, p.stage, p.eta, p.placeholder) == ("x", 30, "step", 4.5, True)


@pytest.mark.parametrize(("event", "state"), [("task_submitted", TaskState.QUEUED),
                                              ("task_cancelled", TaskState.CANCELLED),
                                              ("task_completed", TaskState.COMPLETED),
                                              ("task_failed", TaskState.FAILED)])
def test_seed004_command_messages(event: str, state: TaskState) -> None:
    p = _one("command", _msg("command", {"event": event, "taskId": "x", "commandId": "c",
                                         "result": 1, "error": "e"}))
    assert p.id == "x"
    assert p.state is state
    if state is TaskState.FAILED:
        assert p.error is not None
        assert p.error.message == "e"
    if state is TaskState.COMPLETED:
        assert p.result == 1


@pytest.mark.parametrize(
    ("event", "data", "why"),
    [
        ("nonsense", {}, "unknown event"),
        ("task_created", [1, 2], "not a JSON object"),
        ("task_created", {"task": {"id": "t"}}, "task"),
        ("task_progress", {"id": "t", "progress": "12"}, "progress"),
        ("task_progress", {"id": "t", "progress": 101}, "progress"),
        ("task_failed", {"jobId": "j", "error": 3}, "error must be"),
        ("task_complete", {"result": 1}, "jobId"),
        ("message", {"type": "progress"}, "message"),
        ("message", _msg("text", "hi"), "not task news"),
        ("message", _msg("command", {"event": "other"}), "not task news"),
        ("message", _msg("command", {"event": "task_failed", "taskId": "\x00"}), "taskId"),
        ("message", _msg("progress", {"taskId": "x"}), "progress"),
    ],
)
def test_malformed_gives_reason_never_raises(event: str, data: object, why: str) -> None:
    out = normalize(event, data, received_at=0.0)
    assert isinstance(out, NewsError)
    assert why in out.reason
