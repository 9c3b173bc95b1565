"""``Idempotency-Key`` scoped by principal, bound to its request body, and kept across restarts
(issue 13, item 11 and acceptance 3), against real servers on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.core.protocol import ErrorBody
from monitor.server.app import create_app
from monitor.server.config import ServerConfig
from monitor.server.idempotency import KEY_REUSED
from monitor.server.runner import ServerThread
from tests.server.test_process import Proc, procs  # noqa: F401 - procs is a fixture

QUIET = {"heartbeat_interval_ms": 60_000, "keepalive_interval_ms": 60_000}
ALICE, BOB = "tok-alice-1f9c", "tok-bob-77e2"
PRINCIPALS = [{"name": "alice", "token": ALICE}, {"name": "bob", "token": BOB}]


def http(url: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=url, timeout=5.0, trust_env=False, headers={"Authorization": f"Bearer {token}"}
    )


def server(db: Path | str = ":memory:", **kw: Any) -> ServerThread:
    settings = {"db": str(db), **kw}
    return ServerThread(create_app(ServerConfig(principals=PRINCIPALS, **QUIET, **settings)))  # type: ignore[arg-type]


def names(client: httpx.Client) -> list[str]:
    return sorted(t["name"] for t in client.get("/api/tasks").json()["tasks"])


def test_one_key_from_two_principals_runs_twice(engine_settings: dict[str, Any]) -> None:
    """Bob reusing Alice's key (no client id on either) creates his own task, not hers replayed."""
    key = {"Idempotency-Key": "k-shared"}
    with server(**engine_settings) as srv, http(srv.url, ALICE) as alice, http(srv.url, BOB) as bob:
        mine = alice.post("/api/tasks", json={"name": "alice.wav"}, headers=key)
        theirs = bob.post("/api/tasks", json={"name": "bob.wav"}, headers=key)
        assert (mine.status_code, theirs.status_code) == (201, 201)
        assert "idempotent-replayed" not in theirs.headers
        assert theirs.json()["name"] == "bob.wav"
        again = alice.post("/api/tasks", json={"name": "alice.wav"}, headers=key)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == mine.json()
        assert names(alice) == ["alice.wav", "bob.wav"]


def test_one_key_with_another_body_is_422_and_runs_nothing(engine_settings: dict[str, Any]) -> None:
    key = {"Idempotency-Key": "k-body", "X-Client-Id": "alice-laptop"}
    with server(**engine_settings) as srv, http(srv.url, ALICE) as alice:
        first = alice.post("/api/tasks", json={"name": "a.wav"}, headers=key)
        assert first.status_code == 201
        other = alice.post("/api/tasks", json={"name": "b.wav"}, headers=key)
        assert other.status_code == 422
        assert ErrorBody.model_validate(other.json()).error == KEY_REUSED
        assert names(alice) == ["a.wav"]
        same = alice.post("/api/tasks", json={"name": "a.wav"}, headers=key)  # still replays
        assert (same.status_code, same.json()) == (201, first.json())


def test_a_key_answered_before_a_restart_is_replayed_after_it(tmp_path: Path) -> None:
    db = tmp_path / "server.sqlite3"
    key = {"Idempotency-Key": "k-restart", "X-Client-Id": "alice-laptop"}
    with server(db) as srv, http(srv.url, ALICE) as alice:
        first = alice.post("/api/tasks", json={"name": "a.wav"}, headers=key)
        assert first.status_code == 201
    with server(db) as srv, http(srv.url, ALICE) as alice, http(srv.url, BOB) as bob:
        again = alice.post("/api/tasks", json={"name": "a.wav"}, headers=key)
        assert again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert names(alice) == ["a.wav"]
        assert alice.post("/api/tasks", json={"name": "b.wav"}, headers=key).status_code == 422
        # The client id is Alice's after the restart too, so is the scope of her keys.
        assert bob.post("/api/tasks", json={"name": "a.wav"}, headers=key).status_code == 403


def test_stored_answers_are_bounded(tmp_path: Path) -> None:
    with (
        server(tmp_path / "server.sqlite3", idempotency_max_entries=10) as srv,
        http(srv.url, ALICE) as alice,
    ):
        for i in range(200):
            resp = alice.post("/api/tasks", json={"name": f"{i}.wav"}, headers={"Idempotency-Key": f"k{i}"})
            assert resp.status_code == 201
        stored = len(srv.app.idempotency)
    assert 10 <= stored <= 10 + 64  # pruned every 64 answers


@pytest.mark.slow
def test_a_key_survives_kill_9(tmp_path: Path, procs: list[Proc]) -> None:  # noqa: F811
    """The stored answer is committed before it is sent: kill -9 right after it loses nothing."""
    db = tmp_path / "server.sqlite3"
    key = {"Idempotency-Key": "k-kill", "X-Client-Id": "c1"}
    first = Proc(db)
    procs.append(first)
    answer = first.client.post("/api/tasks", json={"name": "a.wav"}, headers=key)
    assert answer.status_code == 201
    first.kill()
    second = Proc(db)
    procs.append(second)
    again = second.client.post("/api/tasks", json={"name": "a.wav"}, headers=key)
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == answer.json()
    assert len(second.client.get("/api/tasks").json()["tasks"]) == 1
