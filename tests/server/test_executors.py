"""External executors over real loopback HTTP: claim, verdict, refusal, race, absence (docs/protocol.md).

The executor here is played by the test with plain HTTP calls, as ``monitor bridge`` makes them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from monitor.core.executor import ExecutorClaim
from monitor.server.app import create_app
from monitor.server.config import ServerConfig
from monitor.server.executors import ExecutorRegistry
from monitor.server.runner import ServerThread

pytestmark = pytest.mark.asyncio

OWNED = {"executor": "jobs"}


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(ServerConfig(db=":memory:", heartbeat_interval_ms=60_000, keepalive_interval_ms=60_000))
    with ServerThread(app) as server:
        async with httpx.AsyncClient(
            base_url=server.url, timeout=10.0, trust_env=False, headers={"X-Client-Id": "app-1"}
        ) as client:
            yield client


async def _task(http: httpx.AsyncClient, task_id: str, *, metadata: dict[str, Any], kind: str | None) -> None:
    r = await http.post("/api/tasks", json={"id": task_id, "name": task_id, "metadata": metadata})
    assert r.status_code == 201, r.text
    if kind is not None:
        r = await http.post(f"/api/tasks/{task_id}/events", json={"kind": kind})
        assert r.status_code == 200, r.text


async def _send(http: httpx.AsyncClient, action: str, task_id: str, command_id: str) -> None:
    body = {"action": action, "taskId": task_id, "commandId": command_id, "timeout": 8000}
    r = await http.post("/api/commands", json=body)
    assert r.status_code == 202, r.text


async def _final(http: httpx.AsyncClient, command_id: str) -> dict[str, Any]:
    async with asyncio.timeout(8):
        while True:
            view: dict[str, Any] = (await http.get(f"/api/commands/{command_id}")).json()
            if view["status"] not in ("accepted", "running"):
                return view
            await asyncio.sleep(0.02)  # polling another thread's server, with a deadline


async def _claim(http: httpx.AsyncClient, wait: float = 5) -> ExecutorClaim:
    r = await http.get(f"/api/executors/jobs/commands?wait={wait}")
    assert r.status_code == 200, r.text
    return ExecutorClaim.model_validate(r.json())


async def _claiming(http: httpx.AsyncClient, wait: float = 5) -> asyncio.Future[ExecutorClaim]:
    """Be connected (an empty claim counts for 10 s), then start a long-poll claim."""
    assert (await _claim(http, wait=0)).commands == []
    return asyncio.ensure_future(_claim(http, wait))


async def _state(http: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    task: dict[str, Any] = (await http.get(f"/api/tasks/{task_id}")).json()["task"]
    return task


async def test_no_executor_connected_is_refused_at_once_with_the_reason(http: httpx.AsyncClient) -> None:
    await _task(http, "t1", metadata=OWNED, kind="started")
    await _send(http, "cancel", "t1", "c1")
    view = await _final(http, "c1")
    assert view["status"] == "rejected"
    assert "jobs executor" in view["error"]
    assert "not connected" in view["error"]
    assert (await _state(http, "t1"))["state"] == "running"


async def test_an_ok_verdict_applies_the_command_before_the_executor_acts(http: httpx.AsyncClient) -> None:
    await _task(http, "t1", metadata=OWNED, kind="started")
    claiming = await _claiming(http)
    await _send(http, "cancel", "t1", "c1")
    claim = await claiming
    [command] = claim.commands
    assert (command.command_id, command.action.value, command.task.id) == ("c1", "cancel", "t1")
    assert command.task.state.value == "running"
    assert (await _state(http, "t1"))["state"] == "running"  # nothing changed before the verdict
    r = await http.post("/api/executors/jobs/commands/c1", json={"ok": True})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "cancelling"  # applied when the executor hears back
    view = await _final(http, "c1")
    assert view["status"] == "succeeded"
    # The answer is taken once.
    again = await http.post("/api/executors/jobs/commands/c1", json={"ok": True})
    assert again.status_code == 404


async def test_a_refusal_rejects_the_command_with_the_executors_reason(http: httpx.AsyncClient) -> None:
    await _task(http, "t1", metadata=OWNED, kind="started")
    claiming = await _claiming(http)
    await _send(http, "pause", "t1", "c2")
    [command] = (await claiming).commands
    reason = "this job system cannot pause a task"
    r = await http.post(
        f"/api/executors/jobs/commands/{command.command_id}", json={"ok": False, "reason": reason}
    )
    assert r.status_code == 204
    view = await _final(http, "c2")
    assert (view["status"], view["error"]) == ("rejected", reason)
    assert (await _state(http, "t1"))["state"] == "running"


async def test_a_task_that_moved_meanwhile_gets_409_and_the_command_is_rejected(
    http: httpx.AsyncClient,
) -> None:
    await _task(http, "t1", metadata=OWNED, kind="started")
    claiming = await _claiming(http)
    await _send(http, "cancel", "t1", "c3")
    await claiming
    done = await http.post("/api/tasks/t1/events", json={"kind": "completed", "result": 1})
    assert done.status_code == 200
    r = await http.post("/api/executors/jobs/commands/c3", json={"ok": True})
    assert r.status_code == 409  # the executor must not revoke a finished task
    view = await _final(http, "c3")
    assert view["status"] == "rejected"
    assert (await _state(http, "t1"))["state"] == "completed"


async def test_a_command_that_does_not_apply_is_rejected_without_asking(http: httpx.AsyncClient) -> None:
    await _task(http, "t1", metadata=OWNED, kind="started")
    claiming = await _claiming(http, wait=1)
    await _send(http, "retry", "t1", "c4")  # a running task cannot be retried
    view = await _final(http, "c4")
    assert view["status"] == "rejected"
    assert "retry does not apply to a running task" in view["error"]
    assert (await claiming).commands == []


async def test_tasks_of_no_executor_keep_the_servers_own_handling(http: httpx.AsyncClient) -> None:
    await _task(http, "plain", metadata={}, kind=None)
    await _send(http, "cancel", "plain", "c5")
    view = await _final(http, "c5")
    assert view["status"] == "succeeded"
    assert (await _state(http, "plain"))["state"] == "cancelled"


async def test_unknown_command_answers_404(http: httpx.AsyncClient) -> None:
    r = await http.post("/api/executors/jobs/commands/nope", json={"ok": True})
    assert r.status_code == 404
    assert "not waiting" in r.json()["error"]


async def test_a_reported_attempt_starts_a_new_attempt_and_never_goes_back(http: httpx.AsyncClient) -> None:
    await _task(http, "t1", metadata=OWNED, kind=None)
    r = await http.post("/api/tasks/t1/events", json={"kind": "progress", "progress": 60})
    assert r.json()["progress"] == 60
    r = await http.post("/api/tasks/t1/events", json={"kind": "started", "attempt": 2})
    assert (r.json()["attempt"], r.json()["progress"]) == (2, 0.0)
    r = await http.post("/api/tasks/t1/events", json={"kind": "progress", "progress": 10, "attempt": 1})
    assert (r.json()["attempt"], r.json()["progress"]) == (2, 10.0)


async def test_shutdown_ends_waiting_claims_at_once() -> None:
    registry = ExecutorRegistry()
    claim = asyncio.ensure_future(registry.claim("jobs", wait_s=60))
    await asyncio.sleep(0)  # the claim is now waiting on its wake event
    assert not claim.done()
    registry.close()  # MonitorApp.begin_shutdown: a long poll must not hold the exit
    async with asyncio.timeout(1):
        assert await claim == []
    async with asyncio.timeout(1):
        assert await registry.claim("jobs", wait_s=60) == []
