"""The wire contract: strict validation, size limits, seed aliases and injection-proof framing."""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from monitor.core import protocol as p
from monitor.core.protocol import MAX_DATA_BYTES, TaskSnapshotEvent, json_size, json_text_context


def _task(**over: object) -> dict[str, object]:
    base: dict[str, object] = {"id": "t1", "name": "talk.wav", "created_at": 1_700_000_000.0}
    base.update(over)
    return base


def test_task_round_trips_through_json() -> None:
    task = p.Task.model_validate(_task(state="running", progress=42.5, stage="transcribing", eta=12.0))
    again = p.Task.model_validate_json(task.model_dump_json())
    assert again == task
    assert again.state is p.TaskState.RUNNING


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("progress", "12"),  # no silent str -> number coercion
        ("progress", 100.5),
        ("progress", -1),
        ("attempt", "2"),
        ("attempt", 0),
        ("state", "exploded"),
        ("id", ""),
        ("id", "a\nb"),  # ids travel in SSE id: lines and headers
        ("id", "x" * 129),
        ("name", 5),
        ("created_at", "yesterday"),
    ],
)
def test_task_rejects_wrong_types_and_ranges(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        p.Task.model_validate(_task(**{field: value}))


def test_non_finite_numbers_are_rejected_from_json() -> None:
    with pytest.raises(ValidationError):
        p.Task.model_validate_json(json.dumps(_task()).replace("1700000000.0", "NaN"))


def test_oversized_result_is_rejected() -> None:
    big = "x" * (p.MAX_DATA_BYTES + 1)
    with pytest.raises(ValidationError, match="larger than"):
        p.Task.model_validate(_task(result={"text": big}))


def test_unknown_fields_from_servers_are_ignored_but_requests_forbid_them() -> None:
    assert p.Task.model_validate(_task(future_field=1)).id == "t1"
    with pytest.raises(ValidationError):
        p.CommandRequest.model_validate({"action": "cancel", "task_id": "t1", "surprise": True})


@pytest.mark.parametrize("key", ["id", "taskId", "jobId", "task_id"])
def test_progress_accepts_every_seed_id_spelling(key: str) -> None:
    delta = p.TaskProgress.model_validate({key: "job-7", "progress": 30})
    assert delta.id == "job-7"
    assert delta.progress == 30.0


def test_seed004_progress_payload_converts_ms_to_seconds() -> None:
    payload = p.ProgressPayload.model_validate(
        {"taskId": "a", "progress": 10, "description": "decoding", "estimatedTimeRemaining": 2500}
    )
    assert payload.eta == 2.5
    assert payload.description == "decoding"


def test_command_request_accepts_seed_camel_case() -> None:
    req = p.CommandRequest.model_validate(
        {"action": "pause", "taskId": "t", "commandId": "c1", "timeout": 500, "requireAck": False}
    )
    assert (req.task_id, req.command_id, req.timeout_ms, req.require_ack) == ("t", "c1", 500, False)
    assert req.priority is p.MessagePriority.HIGH


def test_message_envelope_matches_seed_004() -> None:
    msg = p.Message.model_validate_json(
        '{"id":"m1","type":"ack","priority":3,"timestamp":1700000000000,"source":"scheduler",'
        '"payload":{"commandId":"c1","status":"succeeded","success":true}}'
    )
    assert msg.type is p.MessageType.ACK
    assert msg.priority is p.MessagePriority.CRITICAL
    assert isinstance(msg.payload, dict)
    ack = p.CommandAck.model_validate(msg.payload)
    assert ack.status.is_final
    assert ack.success


def test_enums_cover_both_seeds() -> None:
    assert {t.value for t in p.MessageType} == {
        "text",
        "json",
        "system",
        "command",
        "heartbeat",
        "ack",
        "error",
        "progress",
    }
    assert [int(x) for x in p.MessagePriority] == [0, 1, 2, 3]
    assert "retry" in {a.value for a in p.CommandAction}
    assert {"task_progress", "task_complete", "task_failed"} <= p.TASK_EVENT_TYPES
    assert p.TaskState.CANCELLING.is_terminal is False
    assert p.TaskState.CANCELLED.is_terminal is True


def test_poll_response_serialises_seed_key() -> None:
    body = p.PollResponse(events=[], last_event_id="e-3").model_dump(by_alias=True)
    assert body["lastEventId"] == "e-3"
    assert p.PollResponse.model_validate({"events": [], "lastEventId": "e-3"}).last_event_id == "e-3"


def test_frame_splits_data_lines_so_nothing_can_be_injected() -> None:
    frame = p.encode_frame("task_progress", "a\r\nid: evil\rb\nc", id="ep-1", retry=3000)
    assert frame == (
        b"id: ep-1\nevent: task_progress\nretry: 3000\ndata: a\ndata: id: evil\ndata: b\ndata: c\n\n"
    )


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\x00b"])
def test_frame_refuses_line_breaks_and_nul_in_id_and_event(bad: str) -> None:
    with pytest.raises(ValueError):
        p.encode_frame("ok", "d", id=bad)
    with pytest.raises(ValueError):
        p.encode_frame(bad, "d")


def test_comment_cannot_break_out_of_its_line() -> None:
    assert p.encode_comment("ping\nevent: x") == b": ping event: x\n\n"
    assert p.encode_comment() == b":\n\n"


def test_json_schema_export_covers_the_envelope() -> None:
    schema = p.Message.model_json_schema()
    assert set(schema["required"]) >= {"id", "type", "timestamp", "source"}


# ------------------------------------------------------------- json_text_context's size bound

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(value=_json_values, ascii_only=st.booleans())
def test_reencoded_json_is_at_most_5x_its_text(value: object, ascii_only: bool) -> None:
    # The bound json_text_context relies on, for texts written either way.
    text = json.dumps(value, ensure_ascii=ascii_only, separators=(",", ":"))
    # Text from the SSE decoder is decoded UTF-8: it never holds a raw lone surrogate.
    assume(ascii_only or not any("\ud800" <= c <= "\udfff" for c in text))
    try:
        size = json_size(json.loads(text))
    except UnicodeEncodeError:
        # Only a lone surrogate cannot be re-encoded, and its text always has the escape.
        assert json_text_context(text) is None
        return
    assert size <= 5 * len(text.encode())


@pytest.mark.parametrize("number", ["1e15", "-1e15", "9E15", "1e16", "1e-7", "0e0", "1.5e300"])
def test_short_number_texts_stay_within_the_bound(number: str) -> None:
    assert json_size(json.loads(number)) <= 5 * len(number)


def test_json_text_context_only_for_small_text_without_surrogate_escapes() -> None:
    small = json.dumps({"task": {"id": "t", "name": "n", "created_at": 1}})
    assert json_text_context(small) is not None
    assert json_text_context("x" * (MAX_DATA_BYTES // 20 + 1)) is None
    assert json_text_context('{"k": "\\udc00"}') is None
    assert json_text_context('{"k": "\\u00e9"}') is not None


def test_oversized_metadata_is_rejected_from_json_text_too() -> None:
    task = {"id": "t", "name": "n", "created_at": 1, "metadata": {"b": "x" * MAX_DATA_BYTES}}
    big = json.dumps({"task": task})
    with pytest.raises(ValidationError, match="larger than"):
        TaskSnapshotEvent.model_validate_json(big, context=json_text_context(big))


def test_event_type_is_the_one_list_of_event_names() -> None:
    """Every seed-004 message type is an event name; task news is exactly the ``task_*`` members."""
    assert {t.value for t in p.MessageType} <= {e.value for e in p.EventType}
    assert {e.value for e in p.TASK_EVENT_TYPES} == {
        e.value for e in p.EventType if e.value.startswith("task_")
    }
    assert p.EventType.HEARTBEAT not in p.TASK_EVENT_TYPES
    assert "task_complete" in p.TASK_EVENT_TYPES  # plain strings from the wire match the members
