"""normalize(): every dialect of task news becomes patches; bad input becomes a NewsError."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core.news import NewsError, TaskPatch, decode_news, decode_news_batch, normalize
from monitor.core.protocol import TaskState
from monitor.core.sse import SSEEvent

TASK = {"id": "t1", "name": "a.wav", "created_at": 1.0, "state": "running", "progress": 10.0}


def _one(event: str, data: object) -> TaskPatch:
    out = normalize(event, data, received_at=5.0)
    assert isinstance(out, list), out
    assert len(out) == 1
    return out[0]


@pytest.mark.parametrize(
    "event", ["task_created", "task_updated", "task_complete", "task_failed", "task_cancelled"]
)
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
    p = _one(
        "message",
        _msg(
            "progress", {"taskId": "x", "progress": 30, "description": "step", "estimatedTimeRemaining": 4500}
        ),
    )
    assert (p.id, p.progress, p.stage, p.eta) == ("x", 30, "step", 4.5)


@pytest.mark.parametrize(
    ("event", "state"),
    [
        ("task_submitted", TaskState.QUEUED),
        ("task_cancelled", TaskState.CANCELLED),
        ("task_completed", TaskState.COMPLETED),
        ("task_failed", TaskState.FAILED),
    ],
)
def test_seed004_command_messages(event: str, state: TaskState) -> None:
    p = _one(
        "command",
        _msg("command", {"event": event, "taskId": "x", "commandId": "c", "result": 1, "error": "e"}),
    )
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


# --------------------------------------------------------------------- decode_news (the hot path)

_RAW_CASES = [
    ("task_progress", '{"id": "t1", "progress": 42.5, "stage": "x", "eta": 9, "at": 3.5}'),
    ("task_progress", '{"jobId": "j1", "progress": 10}'),
    ("task_progress", '{"taskId": "j1", "progress": 10, "description": "d"}'),
    ("task_progress", '{"id": "t1", "progress": 1, "id": "t2"}'),  # duplicate key: the last wins
    ("task_progress", '{"id": "t1", "progress": 1, "task": ' + json.dumps(TASK) + "}"),
    ("task_progress", '{"task": ' + json.dumps(TASK) + "}"),
    ("task_progress", '{"id": "t1", "progress": "12"}'),
    ("task_progress", '{"id": "t1", "progress": NaN}'),
    ("task_progress", '{"id": "t1", "progress": 101}'),
    ("task_progress", '{"id": "", "progress": 1}'),
    ("task_progress", '{"id": "a\\u0000b", "progress": 1}'),
    ("task_progress", "[1, 2]"),
    ("task_progress", "{not json"),
    ("task_progress", ""),
    ("task_created", json.dumps({"task": TASK})),
    ("task_created", json.dumps({"task": TASK | {"metadata": {"k": [1, {"x": None}]}, "result": "r"}})),
    ("task_created", json.dumps({"task": TASK | {"metadata": {"k": "\ud800"}}})),
    ("task_created", json.dumps({"task": TASK | {"metadata": {"big": "x" * (300 * 1024)}}})),
    ("task_updated", json.dumps({"task": TASK | {"progress": "1"}})),
    ("task_updated", json.dumps({"task": {"id": "t"}})),
    ("task_updated", json.dumps({"nottask": 1})),
    ("task_complete", '{"jobId": "j", "result": {"text": "hi"}}'),
    ("task_failed", '{"jobId": "j", "error": "boom"}'),
    ("task_failed", '{"jobId": "j", "error": 3}'),
    ("task_failed", json.dumps({"task": TASK | {"state": "failed", "error": {"message": "m"}}})),
    ("task_cancelled", json.dumps({"task": TASK | {"state": "cancelled"}})),
    ("task_removed", '{"id": "t1"}'),
    ("task_removed", '{"id": 1}'),
]


@pytest.mark.parametrize(("event", "raw"), _RAW_CASES)
def test_decode_news_equals_normalize_of_the_parsed_data(event: str, raw: str) -> None:
    got = decode_news(event, raw, received_at=7.0)
    try:
        data = json.loads(raw)
    except ValueError:
        assert isinstance(got, NewsError)
        assert "not JSON" in got.reason
        return
    want = normalize(event, data, received_at=7.0)
    assert got == want


@settings(max_examples=300, deadline=None)
@given(
    event=st.sampled_from(["task_progress", "task_created", "task_updated", "task_failed"]),
    data=st.dictionaries(
        st.sampled_from(["id", "jobId", "progress", "stage", "eta", "at", "task", "description", "x"]),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-5, 200),
            st.floats(allow_nan=False),
            st.text(max_size=5),
            st.just(TASK),
        ),
        max_size=6,
    ),
)
def test_decode_news_agrees_with_normalize_on_generated_data(event: str, data: dict[str, object]) -> None:
    raw = json.dumps(data)
    assert decode_news(event, raw, received_at=1.0) == normalize(event, data, received_at=1.0)


def test_patch_from_task_maps_every_field_by_name() -> None:
    # patch_from_task passes fields by position: a reordered TaskPatch must fail here.
    from monitor.core.news import patch_from_task
    from monitor.core.protocol import Task

    task = Task.model_validate(
        TASK
        | {"kind": "k", "stage": "s", "eta": 3.0, "started_at": 2.0, "finished_at": 4.0, "updated_at": 5.0,
           "attempt": 2, "worker": "w", "error": {"message": "m"}, "result": [1], "metadata": {"a": 1}}
    )  # fmt: skip
    patch = patch_from_task(task, received_at=9.0, source="src")
    for name in patch._fields:
        if name in Task.model_fields:
            assert getattr(patch, name) == getattr(task, name), name
    assert (patch.received_at, patch.source, patch.full, patch.removed) == (9.0, "src", True, False)
    assert patch.result_set is True
    assert len(patch) == len(TaskPatch._fields)  # built from a tuple: none left out
    assert (patch.delta, patch.metadata) == (False, {"a": 1})


def _ev(event_type: str, data: str) -> SSEEvent:
    return SSEEvent(event_type, data, "")


def test_decode_news_batch_equals_one_by_one_with_errors_at_their_index() -> None:
    events = [_ev(event, raw) for event, raw in _RAW_CASES]
    patches, errors = decode_news_batch(events, received_at=7.0)
    want_patches: list[TaskPatch] = []
    want_errors: list[tuple[int, NewsError]] = []
    for i, ev in enumerate(events):
        one = decode_news(ev.type, ev.data, received_at=7.0)
        if isinstance(one, NewsError):
            want_errors.append((i, one))
        else:
            want_patches.extend(one)
    assert patches == want_patches
    assert errors == want_errors
    assert errors  # the cases include bad events, which must not cost the good ones


def test_decode_news_batch_of_valid_mixed_news_equals_one_by_one() -> None:
    """Progress deltas and whole tasks each validated in one call: the same patches, in order."""
    task = TASK | {"state": "running", "metadata": {"m": [1, 2]}}
    events = []
    for i in range(12):
        events.append(_ev("task_progress", json.dumps({"jobId": f"t{i}", "progress": i, "stage": "s"})))
        if i % 3 == 0:
            events.append(_ev("task_updated", json.dumps({"task": task | {"id": f"t{i}", "progress": i}})))
    events.append(
        _ev("task_created", json.dumps({"task": task | {"id": "big", "metadata": {"blob": "x" * 20_000}}}))
    )
    events.append(_ev("task_created", json.dumps({"task": task | {"id": "t99"}})))
    patches, errors = decode_news_batch(events, received_at=3.0)
    want: list[TaskPatch] = []
    for ev in events:
        one = decode_news(ev.type, ev.data, received_at=3.0)
        assert not isinstance(one, NewsError), one
        want.extend(one)
    assert errors == []
    assert patches == want
    assert [p.full for p in patches].count(True) == 6
    assert all(p.delta for p in patches if not p.full)


def test_decode_news_batch_of_valid_progress_uses_one_pass() -> None:
    events = [_ev("task_progress", json.dumps({"id": f"t{i}", "progress": i, "at": 1.0})) for i in range(50)]
    patches, errors = decode_news_batch(events, received_at=2.0)
    assert errors == []
    assert [(p.id, p.progress, p.updated_at, p.source) for p in patches] == [
        (f"t{i}", float(i), 1.0, "task_progress") for i in range(50)
    ]


def test_our_task_events_name_the_task_in_job_id_not_in_the_event_id() -> None:
    """``data.id`` is the event's id (seed 000 dedups on it); the task is ``jobId``, on both paths."""
    raw = '{"id":"e1-7","jobId":"t1","progress":40.0,"stage":"s"}'
    for patches in (
        decode_news("task_progress", raw, received_at=1.0),
        normalize("task_progress", json.loads(raw), received_at=1.0),
    ):
        assert not isinstance(patches, NewsError)
        assert [(p.id, p.progress) for p in patches] == [("t1", 40.0)]
    removed = normalize("task_removed", {"id": "e1-8", "jobId": "t1"}, received_at=1.0)
    assert not isinstance(removed, NewsError)
    assert [(p.id, p.removed) for p in removed] == [("t1", True)]
    # An older server's shape (task id in ``id``) still decodes.
    old = decode_news("task_progress", '{"id":"t9","progress":5}', received_at=1.0)
    assert not isinstance(old, NewsError)
    assert old[0].id == "t9"


def test_stamp_event_id_puts_the_id_first() -> None:
    from monitor.core.protocol import stamp_event_id

    assert json.loads(stamp_event_id('{"a": 1}', "e-1")) == {"id": "e-1", "a": 1}
    assert json.loads(stamp_event_id("{ }", "e-2")) == {"id": "e-2"}
    with pytest.raises(ValueError, match="JSON object"):
        stamp_event_id("[1]", "e-3")


_TASK_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 2_000_000),
    st.floats(allow_nan=False),
    st.text(max_size=3),
    st.sampled_from(["queued", "running", "completed", "failed", "x" * 600, "a\x00b", ""]),
    st.just({"message": "m"}),
    st.just({"message": 1}),
    st.just({"k": [1, {"x": None}]}),
    st.just([1, 2]),
)
_TASK_KEYS = [
    "id", "name", "kind", "state", "progress", "stage", "eta", "created_at", "started_at",
    "finished_at", "updated_at", "attempt", "worker", "result", "error", "metadata", "other",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    event=st.sampled_from(["task_created", "task_updated", "task_complete", "task_failed", "task_cancelled"]),
    changes=st.dictionaries(st.sampled_from(_TASK_KEYS), _TASK_VALUES, max_size=4),
    drop=st.sets(st.sampled_from(_TASK_KEYS), max_size=3),
    outer=st.dictionaries(
        st.sampled_from(["jobId", "job_id", "result", "error", "x"]), _TASK_VALUES, max_size=2
    ),
)
def test_whole_task_batch_equals_the_models_one_by_one(
    event: str, changes: dict[str, object], drop: set[str], outer: dict[str, object]
) -> None:
    # The batch validates whole tasks into plain dicts (TypedDict twins of Task and
    # TaskSnapshotEvent); each event alone goes through the models. Same patches, same errors.
    task = {k: v for k, v in (TASK | changes).items() if k not in drop}
    events = [_ev(event, json.dumps(outer | {"task": task})), _ev(event, json.dumps({"task": TASK}))]
    patches, errors = decode_news_batch(events, received_at=7.0)
    want = [decode_news(ev.type, ev.data, received_at=7.0) for ev in events]
    assert patches == [p for one in want if not isinstance(one, NewsError) for p in one]
    assert errors == [(i, one) for i, one in enumerate(want) if isinstance(one, NewsError)]


def test_the_plain_twins_cover_every_rule_of_their_models() -> None:
    # The twins carry fields, types, constraints and aliases, not validators: the models may have
    # only the size checks the batch path proves unneeded (json_text_context).
    from monitor.core.protocol import Task, TaskSnapshotEvent

    for model in (Task, TaskSnapshotEvent):
        decorators = model.__pydantic_decorators__
        assert set(decorators.field_validators) == {"_limit"}, model
        assert not decorators.model_validators, model
        assert not decorators.validators, model
        assert not decorators.root_validators, model
