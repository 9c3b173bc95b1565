"""The OpenAPI document against the server's real answers (issue 13, item 17): every ``$ref``
resolves, every status a request gets here is documented for its operation, and every 405 says
``Allow``. Two principals, so the ownership answers (403) are exercised too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from monitor.server.app import MonitorApp, create_app
from monitor.server.config import ServerConfig
from monitor.server.runner import ServerThread
from tests.server.sse_helpers import RawSSE, until

ALICE, BOB = "tok-alice-1f9c", "tok-bob-77e2"
CONFIG = ServerConfig(
    db=":memory:",
    principals=[{"name": "alice", "token": ALICE}, {"name": "bob", "token": BOB}],  # type: ignore[list-item]
    heartbeat_interval_ms=60_000,
    keepalive_interval_ms=60_000,
    max_body_bytes=4096,
)
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def served() -> Iterator[tuple[MonitorApp, ServerThread]]:
    app = create_app(CONFIG)
    with ServerThread(app) as server:
        yield app, server


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict), f"unresolvable $ref {ref}"
        assert part in node, f"unresolvable $ref {ref}"
        node = node[part]
    return node


def test_every_ref_resolves(served: tuple[MonitorApp, ServerThread]) -> None:
    _, server = served
    doc = httpx.get(server.url + "/openapi.json", headers={"Authorization": f"Bearer {ALICE}"}).json()
    found = set(refs(doc))
    assert "#/components/schemas/CommandRequest" in found  # the hand-read command body
    for ref in found:
        resolve(doc, ref)


class Recorder:
    """Sends requests and remembers (method, path template, status) for each answer."""

    def __init__(self, client: httpx.Client, doc: dict[str, Any]) -> None:
        self.client = client
        self.templates = [
            (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path) for path in doc["paths"]
        ]
        self.seen: list[tuple[str, str, int]] = []
        self.doc = doc

    def template(self, path: str) -> str:
        path = path.split("?", 1)[0]
        exact = [t for rx, t in self.templates if t == path]
        return exact[0] if exact else next(t for rx, t in self.templates if rx.match(path))

    def __call__(self, method: str, path: str, token: str | None = ALICE, **kw: Any) -> httpx.Response:
        headers = {**kw.pop("headers", {}), **({"Authorization": f"Bearer {token}"} if token else {})}
        resp = self.client.request(method, path, headers=headers, **kw)
        self.seen.append((method.lower(), self.template(path), resp.status_code))
        return resp


@pytest.fixture
def recorder(served: tuple[MonitorApp, ServerThread]) -> Iterator[Recorder]:
    with httpx.Client(base_url=served[1].url, timeout=5.0, trust_env=False) as client:
        doc = client.get("/openapi.json", headers={"Authorization": f"Bearer {ALICE}"}).json()
        yield Recorder(client, doc)


@pytest.mark.asyncio
async def test_every_status_seen_is_documented(
    served: tuple[MonitorApp, ServerThread], recorder: Recorder
) -> None:
    _, server = served
    r, doc = recorder, recorder.doc
    bad_id = {"X-Client-Id": "bad id!"}
    bobs = {"X-Client-Id": "bob-laptop"}
    deep = b"[" * 100 + b"]" * 100
    async with RawSSE(server.url, headers={"Authorization": f"Bearer {BOB}", **bobs}) as sse:
        assert sse.status == 200
        for path in ("/healthz", "/metrics", "/api/tasks", "/api/tasks/poll", "/api/connections"):
            r("GET", path)
            r("GET", path, headers=bad_id)
            r("GET", path, headers=bobs)
            r("GET", path, token=None)
        r("GET", "/api/tasks/poll?limit=0")
        tid = r("POST", "/api/tasks", json={"name": "a.wav"}).json()["id"]
        r("POST", "/api/tasks", json={"id": tid, "name": "again.wav"})  # 409
        r("POST", "/api/tasks", json={"name": 5})
        r("POST", "/api/tasks", content=b"{", headers={"content-type": "application/json"})
        r("POST", "/api/tasks", content=deep, headers={"content-type": "application/json"})
        r("POST", "/api/tasks", content=b'{"name":"' + b"x" * 5000 + b'"}')
        r("POST", "/api/tasks", json={"name": "k.wav"}, headers={"Idempotency-Key": "k" * 300})
        r("POST", "/api/tasks", json={"name": "k.wav"}, headers={"Idempotency-Key": "k1"})
        r("POST", "/api/tasks", json={"name": "other.wav"}, headers={"Idempotency-Key": "k1"})
        r("GET", f"/api/tasks/{tid}")
        r("GET", "/api/tasks/nope")
        r("POST", f"/api/tasks/{tid}/events", json={"kind": "started"})
        r("POST", f"/api/tasks/{tid}/events", json={"kind": "completed"})
        r("POST", f"/api/tasks/{tid}/events", json={"kind": "progress", "progress": 5})  # 409
        r("POST", f"/api/tasks/{tid}/events", json={"kind": "nonsense"})
        r("POST", "/api/tasks/nope/events", json={"kind": "started"})
        other = r("POST", "/api/tasks", json={"name": "b.wav"}).json()["id"]
        command = r("POST", "/api/commands", json={"action": "pause", "taskId": other})
        command_id = command.json()["commandId"]
        r("POST", "/api/commands", json={"action": "pause", "taskId": other, "clientId": "bob-laptop"})
        r("POST", "/api/commands", content=b"", headers={"content-type": "application/json"})
        r("POST", "/api/commands", json={"action": "fly"})
        await until(lambda: r("GET", f"/api/commands/{command_id}").json()["status"] != "accepted", timeout=5)
        r("GET", "/api/commands/nope")
        r("DELETE", f"/api/commands/{command_id}")  # final by now: 409, or 200
        r("DELETE", "/api/commands/nope")
        r("GET", f"/api/commands/{command_id}", token=BOB)  # another principal's: 404
        r("POST", "/api/messages", json={"payload": {"x": 1}})
        r("POST", "/api/messages", json={"payload": {}, "target": "nobody"})
        r("POST", "/api/messages", json={"type": "heartbeat", "payload": {}})
        r("POST", "/api/messages", json={"source": "bob-laptop", "payload": {}})
        r("POST", "/api/direct/bob-laptop", json={"payload": {}})
        r("POST", "/api/direct/nobody", json={"payload": {}})
        r("POST", "/api/broadcast", json={"message": {"payload": {}}})
        r("POST", "/api/broadcast", json={"message": 3})
        r("DELETE", f"/api/tasks/{tid}")
        r("DELETE", f"/api/tasks/{tid}")
    async with RawSSE(server.url, headers={"Authorization": f"Bearer {ALICE}", **bobs}) as theirs:
        r.seen.append(("get", "/api/tasks/stream", theirs.status))
    async with RawSSE(server.url) as anonymous:
        r.seen.append(("get", "/api/tasks/stream", anonymous.status))
    statuses = {s for _, _, s in r.seen}
    assert {200, 201, 202, 204, 400, 401, 403, 404, 409, 413, 422} <= statuses  # the run is broad
    undocumented = sorted({(m, p, s) for m, p, s in r.seen if str(s) not in doc["paths"][p][m]["responses"]})
    assert undocumented == []


def test_every_405_says_allow(served: tuple[MonitorApp, ServerThread]) -> None:
    _, server = served
    doc = httpx.get(server.url + "/openapi.json", headers={"Authorization": f"Bearer {ALICE}"}).json()
    with httpx.Client(base_url=server.url, timeout=5.0, trust_env=False) as client:
        client.headers["Authorization"] = f"Bearer {ALICE}"
        for path, ops in doc["paths"].items():
            concrete = re.sub(r"\{[^}]+\}", "x", path)
            for method in METHODS:
                if method in ops:
                    continue
                resp = client.request(method.upper(), concrete)
                if resp.status_code == 405:
                    allowed = {m.strip().lower() for m in resp.headers["allow"].split(",")}
                    assert set(ops) <= allowed, (method, path, resp.headers["allow"])
                else:  # another route serves this method at a path this template also matches
                    assert method in ("post", "delete"), (method, path, resp.status_code)
