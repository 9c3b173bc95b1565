"""The per-dialect command codecs (unit): envelopes, POST answers, stream acks, refusals."""

from __future__ import annotations

import json

import pytest

from monitor.client.commands import (
    UNSUPPORTED_REASON,
    CommandSender,
    CommandSpec,
    CommandsUnsupported,
    MonitorCodec,
    Seed004Codec,
    UnsupportedCodec,
    codec_for,
    command_support,
)
from monitor.client.config import ClientConfig
from monitor.core.profile import ServerDialect
from monitor.core.protocol import CommandAction, CommandStatus, MessagePriority, MessageType


def _spec(**kw: object) -> CommandSpec:
    base: dict[str, object] = {
        "command_id": "cmd-1",
        "action": CommandAction.CANCEL,
        "task_id": "t1",
        "params": {},
        "timeout_ms": None,
        "require_ack": True,
        "priority": MessagePriority.HIGH,
        "client_id": "me",
    }
    base.update(kw)
    return CommandSpec(**base)  # type: ignore[arg-type]


def test_codec_table_one_codec_per_dialect() -> None:
    assert isinstance(codec_for(ServerDialect.MONITOR), MonitorCodec)
    assert isinstance(codec_for(ServerDialect.SEED004), Seed004Codec)
    for dialect in (ServerDialect.SEED000, ServerDialect.GENERIC):
        codec = codec_for(dialect)
        assert isinstance(codec, UnsupportedCodec)
        assert codec.dialect is dialect
        assert command_support(dialect).supported is False
        assert command_support(dialect).reason == UNSUPPORTED_REASON
    assert command_support(ServerDialect.SEED004).supported is True


def test_monitor_envelope_is_the_flat_command_request() -> None:
    body = MonitorCodec().encode_command(_spec(timeout_ms=500, params={"a": 1}))
    assert body == {
        "command_id": "cmd-1",
        "action": "cancel",
        "params": {"a": 1},
        "require_ack": True,
        "priority": 2,
        "client_id": "me",
        "task_id": "t1",
        "timeout_ms": 500,
    }


def test_seed004_envelope_is_the_sdks_command_message() -> None:
    body = Seed004Codec().encode_command(_spec())
    # SSENotificationSDK.sendCommand: {id, type, priority, timestamp, source, payload}; no target.
    assert set(body) == {"id", "type", "priority", "timestamp", "source", "payload"}
    assert body["type"] == "command"
    assert body["priority"] == 2
    assert body["source"] == "me"
    assert isinstance(body["timestamp"], int)
    assert body["timestamp"] > 1_600_000_000_000
    assert body["id"] != "cmd-1", "the envelope id and the commandId are two ids, as in the seed"
    assert body["payload"] == {
        "commandId": "cmd-1",
        "action": "cancel",
        "taskId": "t1",
        "params": {"taskId": "t1"},  # where the SDK's own cancelTask puts it
        "requireAck": True,
    }
    json.dumps(body)  # JSON-serialisable as posted
    with_timeout = Seed004Codec().encode_command(_spec(task_id=None, timeout_ms=900, require_ack=False))
    assert with_timeout["payload"] == {
        "commandId": "cmd-1",
        "action": "cancel",
        "timeout": 900,
        "requireAck": False,
    }


def test_seed004_text_message_has_content_payload() -> None:
    body = Seed004Codec().encode_message(
        "m1", MessageType.TEXT, "hi", "bob", MessagePriority.NORMAL, client_id="me"
    )
    assert body["payload"] == {"content": "hi"}
    assert body["target"] == "bob"
    assert body["source"] == "me"
    plain = MonitorCodec().encode_message(
        "m1", MessageType.TEXT, "hi", None, MessagePriority.NORMAL, client_id="me"
    )
    assert plain == {"id": "m1", "type": "text", "priority": 1, "payload": "hi"}


def test_seed004_post_answer_is_the_ack() -> None:
    codec = Seed004Codec()
    body = codec.encode_command(_spec())
    ok = codec.read_post_answer("cmd-1", body, {"success": True, "messageId": body["id"]})
    assert ok.refusal is None
    assert ok.ack is not None
    assert ok.ack.success
    assert ok.ack.status is CommandStatus.SUCCEEDED
    assert ok.ack.command_id == "cmd-1"
    assert ok.ack.task_id == "t1"
    assert ok.ack.action is CommandAction.CANCEL
    refused = codec.read_post_answer("cmd-1", body, {"success": False, "messageId": body["id"]})
    assert refused.ack is None
    assert refused.refusal is not None
    assert "not connected" in refused.refusal
    odd = codec.read_post_answer("cmd-1", body, "<html>proxy</html>")
    assert odd.ack is None
    assert odd.refusal is not None
    assert "unexpected answer" in odd.refusal
    waiting = Seed004Codec(ack_from_stream=True).read_post_answer("cmd-1", body, {"success": True})
    assert waiting.ack is None
    assert waiting.refusal is None


def _msg(type_: str, payload: object) -> str:
    return json.dumps(
        {"id": "x", "type": type_, "priority": 3, "timestamp": 1, "source": "s", "payload": payload}
    )


def test_seed004_stream_acks() -> None:
    codec = Seed004Codec()
    ack = codec.read_ack("ack", _msg("ack", {"commandId": "cmd-1", "success": True}))
    assert ack is not None
    assert ack.success
    assert ack.status is CommandStatus.SUCCEEDED
    assert ack.command_id == "cmd-1"
    nack = codec.read_ack("ack", _msg("ack", {"commandId": "cmd-1", "success": False}))
    assert nack is not None
    assert not nack.success
    assert nack.status is CommandStatus.FAILED
    failed = codec.read_ack(
        "command", _msg("command", {"event": "task_failed", "commandId": "c", "error": "boom"})
    )
    assert failed is not None
    assert failed.status is CommandStatus.FAILED
    assert failed.error == "boom"
    cancelled = codec.read_ack("command", _msg("command", {"event": "task_cancelled", "commandId": "c"}))
    assert cancelled is not None
    assert cancelled.status is CommandStatus.CANCELLED
    assert not cancelled.success
    # Interim scheduler event, our own relayed command, junk: no outcome.
    assert codec.read_ack("command", _msg("command", {"event": "task_submitted", "commandId": "c"})) is None
    assert codec.read_ack("command", _msg("command", {"commandId": "c", "action": "cancel"})) is None
    assert codec.read_ack("ack", "not json") is None
    assert codec.read_ack("ack", _msg("ack", {"commandId": "c", "success": "yes"})) is None
    assert codec.read_ack("ack", _msg("ack", {"success": True})) is None


def test_monitor_codec_still_rejects_seed_ack_shape_but_reads_its_own() -> None:
    codec = MonitorCodec()
    own = codec.read_ack("ack", _msg("ack", {"command_id": "c", "status": "succeeded", "success": True}))
    assert own is not None
    assert own.status is CommandStatus.SUCCEEDED


@pytest.mark.asyncio
@pytest.mark.parametrize("dialect", [ServerDialect.SEED000, ServerDialect.GENERIC])
async def test_unsupported_dialect_refuses_at_once_without_a_request(dialect: ServerDialect) -> None:
    # Port 9 (discard) on loopback: had the sender posted, the error would be a connect error.
    sender = CommandSender(ClientConfig(url="http://127.0.0.1:9/stream"), dialect=dialect)
    await sender.start()
    try:
        assert sender.support.supported is False
        fut = sender.cancel("t1")
        text = sender.send_text("hello")
        for f in (fut, text):
            assert f.done(), "refused synchronously, not after a timeout"
            exc = f.exception()
            assert isinstance(exc, CommandsUnsupported)
            assert str(exc) == UNSUPPORTED_REASON
        assert sender.queue_size == 0
        assert sender.awaiting_ack == 0
        assert sender.sent == 0
    finally:
        await sender.aclose()
