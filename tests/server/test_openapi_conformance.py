"""The OpenAPI document and the server agree on what a request may be (issue 13, item 17; the
schemathesis findings in docs/reliability.md): what the document calls valid is accepted, what it
calls invalid is refused, and every 422 has the body the document describes.

Over real HTTP against ``monitor serve``'s app on 127.0.0.1 (no token).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from monitor.core.protocol import RESERVED_TASK_IDS
from monitor.server.app import create_app
from monitor.server.config import ServerConfig
from monitor.server.runner import ServerThread

CONFIG = ServerConfig(db=":memory:", heartbeat_interval_ms=60_000, keepalive_interval_ms=60_000)
MESSAGE_ROUTES = ("/api/messages", "/api/direct/nobody")


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with ServerThread(create_app(CONFIG)) as server:
        with httpx.Client(base_url=server.url, timeout=5.0, trust_env=False) as http:
            yield http


@pytest.fixture(scope="module")
def doc(client: httpx.Client) -> dict[str, Any]:
    return client.get("/openapi.json").json()  # type: ignore[no-any-return]


def schema(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return doc["components"]["schemas"][name]  # type: ignore[no-any-return]


def invalid(resp: httpx.Response) -> list[dict[str, Any]]:
    """The validation errors of a 422 answer (its ``detail``, a list as the document says)."""
    assert resp.status_code == 422, resp.text
    detail = resp.json()["detail"]
    assert isinstance(detail, list), resp.text
    assert detail, resp.text
    return detail


def test_a_bool_is_no_priority(client: httpx.Client, doc: dict[str, Any]) -> None:
    assert schema(doc, "MessagePriority")["type"] == "integer"  # and false is no integer
    for path, body in (
        ("/api/messages", {"priority": False, "payload": {}}),
        ("/api/broadcast", {"message": {"priority": False, "payload": {}}}),
        ("/api/commands", {"action": "sync", "priority": False}),
        ("/api/messages", {"priority": "2", "payload": {}}),
    ):
        errors = invalid(client.post(path, json=body))
        assert errors[0]["loc"][-1] == "priority", (path, errors)
    assert client.post("/api/messages", json={"priority": 3, "payload": {}}).status_code == 200
    assert client.post("/api/commands", json={"action": "sync", "priority": 0}).status_code == 202


def test_an_integral_float_is_an_integer(client: httpx.Client, doc: dict[str, Any]) -> None:
    """JSON Schema's "integer" includes 16501803.0; a fraction or a bool stays refused."""
    stamp = schema(doc, "MessageRequest")["properties"]["timestamp"]
    assert {"type": "integer", "minimum": 0} in stamp["anyOf"]
    sent = client.post("/api/broadcast", json={"message": {"timestamp": 16501803.0, "payload": {}}})
    assert sent.status_code == 200, sent.text
    assert client.post("/api/messages", json={"timestamp": 7.0, "priority": 2.0}).status_code == 200
    for bad in (1.5, True, "7"):
        invalid(client.post("/api/messages", json={"timestamp": bad}))
    task = client.post("/api/tasks", json={"name": "a.wav"}).json()["id"]
    report = client.post(f"/api/tasks/{task}/events", json={"kind": "started", "attempt": 2.0})
    assert report.status_code == 200, report.text
    assert report.json()["attempt"] == 2
    invalid(client.post(f"/api/tasks/{task}/events", json={"kind": "progress", "attempt": 2.5}))
    assert client.post("/api/commands", json={"action": "sync", "timeout": 5000.0}).status_code == 202


def test_heartbeat_is_reserved_in_the_document_too(client: httpx.Client, doc: dict[str, Any]) -> None:
    sendable = schema(doc, "MessageRequest")["properties"]["type"]["enum"]
    assert "heartbeat" not in sendable
    assert {"text", "command", "ack"} <= set(sendable)
    for path in MESSAGE_ROUTES:
        errors = invalid(client.post(path, json={"type": "heartbeat", "payload": {}}))
        assert errors[0]["loc"][-1] == "type"
    # The broadcast with an exception published such a message to every other client before.
    invalid(client.post("/api/broadcast", json={"message": {"type": "heartbeat"}, "excludeClientId": "x"}))


def test_every_422_is_documented_as_what_is_sent(client: httpx.Client, doc: dict[str, Any]) -> None:
    """FastAPI documents its own ``HTTPValidationError`` for routes with parameters; the server
    answers an ``ErrorBody`` (``detail`` the list of errors)."""
    unprocessable = {
        (method, path): op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if "422" in op["responses"]
    }
    assert ("get", "/api/tasks/poll") in unprocessable
    assert ("get", "/api/executors/{name}/commands") in unprocessable
    assert set(unprocessable.values()) == {"#/components/schemas/ErrorBody"}
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    body = client.get("/api/tasks/poll", params={"limit": 0}).json()
    assert set(body) == {"error", "detail"}
    assert isinstance(body["detail"], list)
    invalid(client.get("/api/executors/e1/commands", params={"wait": 99}))


def test_reserved_words_are_no_task_ids(client: httpx.Client, doc: dict[str, Any]) -> None:
    """``/api/tasks/poll`` is the poll: ``DELETE`` there is no task's, and no task can be named so."""
    allow = client.options("/api/tasks/poll")
    assert allow.status_code == 405
    assert allow.headers["allow"] == "GET"
    for word in RESERVED_TASK_IDS:
        gone = client.delete(f"/api/tasks/{word}")
        allowed = {m.strip() for m in gone.headers.get("allow", "").split(",")}
        assert gone.status_code == 405, word
        assert "GET" in allowed, (word, gone.headers)
        assert "DELETE" not in allowed, (word, gone.headers)
        assert client.post(f"/api/tasks/{word}/events", json={"kind": "started"}).status_code in (404, 405)
        errors = invalid(client.post("/api/tasks", json={"id": word, "name": "x"}))
        assert errors[0]["loc"][-1] == "id"
    new_id = schema(doc, "TaskSubmit")["properties"]["id"]["anyOf"][0]
    assert new_id["not"] == {"enum": list(RESERVED_TASK_IDS)}
    assert client.post("/api/tasks", json={"id": "polls", "name": "x"}).status_code == 201
    assert client.delete("/api/tasks/polls").status_code == 204


def test_the_command_envelope_is_described_as_read(client: httpx.Client, doc: dict[str, Any]) -> None:
    """The body is a ``CommandRequest`` or an envelope of type ``command``: the document said
    "any seed-004 Message", so ``{"type": "ack", ...}`` was schema-valid and refused."""
    one_of = doc["paths"]["/api/commands"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    refs = {item["$ref"].rsplit("/", 1)[1] for item in one_of["oneOf"]}
    assert refs == {"CommandRequest", "CommandEnvelope"}
    envelope = schema(doc, "CommandEnvelope")
    assert envelope["properties"]["type"] == {"const": "command"}
    assert envelope["required"] == ["type", "payload"]
    invalid(client.post("/api/commands", json={"id": "0", "source": "", "timestamp": 0, "type": "ack"}))
    wrapped = {
        "type": "command",
        "payload": {"action": "sync"},
        "source": "laptop",
        "id": "m1",
        "timestamp": 1,
    }
    assert client.post("/api/commands", json=wrapped).status_code == 202
