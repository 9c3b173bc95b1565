"""Several ``monitor serve --store redis://`` replicas behind HAProxy (issue 14, items 2 and 3).

Everything is real: one ``redis-server``, the replicas as processes, HAProxy in front, clients
speaking HTTP to the load balancer. Each test checks exact sequences: every event once, in order.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.core.protocol import CommandStatus, EventType
from monitor.server.log import parse_cursor
from tests.redis_server import fresh_prefix, redis_missing
from tests.scale.cluster import HAProxy, haproxy_missing, replicas
from tests.server.sse_helpers import RawSSE
from tests.server.test_process import Proc
from tests.waiting import until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(120),
    pytest.mark.skipif(redis_missing() is not None, reason=str(redis_missing())),
    pytest.mark.skipif(haproxy_missing() is not None, reason=str(haproxy_missing())),
]


def _holder(procs: list[Proc]) -> int:
    """Index of the one replica holding a stream (asked directly, not through the balancer)."""
    holding = [i for i, p in enumerate(procs) if p.client.get("/healthz").json()["connections"] > 0]
    assert len(holding) == 1, holding
    return holding[0]


async def _created_names(sse: RawSSE, names: list[str], ids: list[str], until_n: int) -> None:
    """Read ``task_created`` events off ``sse`` into ``names``/``ids`` until ``until_n`` or the end."""
    while len(names) < until_n:
        ev = await sse.next_event(timeout=10)
        if ev is None:
            return
        if ev.type == EventType.TASK_CREATED:
            assert ev.id is not None
            names.append(ev.json()["task"]["name"])
            ids.append(ev.id)


@pytest.mark.asyncio
async def test_a_client_on_one_replica_gets_what_the_others_publish_in_order(
    redis_url: str, tmp_path: Path
) -> None:
    with replicas(tmp_path, redis_url, fresh_prefix(), 3) as procs:
        lb = HAProxy(tmp_path, [p.url for p in procs])
        try:
            async with RawSSE(lb.url, headers={"X-Client-Id": "alice"}) as sse:
                assert sse.status == 200
                here = _holder(procs)
                for i in range(30):  # round robin over the replicas, each straight to its port
                    r = procs[i % 3].client.post("/api/tasks", json={"name": f"n{i}"})
                    assert r.status_code == 201
                names: list[str] = []
                ids: list[str] = []
                await _created_names(sse, names, ids, 30)
            assert names == [f"n{i}" for i in range(30)]
            cursors = [parse_cursor(i) for i in ids]
            assert len({c[0] for c in cursors if c}) == 1  # one epoch for the whole cluster
            seqs = [c[1] for c in cursors if c]
            assert seqs == list(range(seqs[0], seqs[0] + 30))  # contiguous: nothing skipped
            assert here in range(3)  # 20 of the 30 came from the other two replicas
            # Every replica's task cache follows the others (GET /api/tasks answers from it).
            for p in procs:
                await until(
                    lambda p=p: len(p.client.get("/api/tasks").json()["tasks"]) == 30,
                    what="every replica to know all 30 tasks",
                )
        finally:
            lb.close()


@pytest.mark.asyncio
async def test_kill_9_of_the_clients_replica_loses_and_doubles_nothing(
    redis_url: str, tmp_path: Path
) -> None:
    """The replica holding the stream is SIGKILLed mid-stream while the others keep publishing;
    the client reconnects through the balancer with its Last-Event-ID and sees every event once."""
    total = 200
    with replicas(tmp_path, redis_url, fresh_prefix(), 3) as procs:
        lb = HAProxy(tmp_path, [p.url for p in procs])
        try:
            sse = await RawSSE(lb.url, headers={"X-Client-Id": "bob"}).open()
            victim = _holder(procs)
            others = [p for i, p in enumerate(procs) if i != victim]
            urls = [p.url for p in others]

            async def publish() -> None:
                async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
                    for i in range(total):
                        r = await client.post(f"{urls[i % 2]}/api/tasks", json={"name": f"n{i}"})
                        assert r.status_code == 201

            publisher = asyncio.create_task(publish())
            names: list[str] = []
            ids: list[str] = []
            reconnects = 0
            try:
                await _created_names(sse, names, ids, 40)
                procs[victim].kill()  # SIGKILL: no shutdown event, the socket just dies
                while len(names) < total:
                    await _created_names(sse, names, ids, total)
                    if len(names) < total:
                        await sse.close()
                        reconnects += 1
                        assert reconnects <= 3
                        sse = await RawSSE(
                            lb.url, headers={"X-Client-Id": "bob", "Last-Event-ID": ids[-1]}
                        ).open()
                        assert sse.status == 200
                        assert sse.response_headers["monitor-cursor"] == ids[-1]  # resumed, no reset
                await publisher
            finally:
                publisher.cancel()
                await sse.close()
            assert reconnects == 1
            assert names == [f"n{i}" for i in range(total)]  # 0 lost, 0 duplicated, in order
            assert len(set(ids)) == total
        finally:
            lb.close()


async def _acks(sse: RawSSE, command_id: str, *, stop_at_task: str | None = None) -> list[dict[str, Any]]:
    """Acks of ``command_id`` read off ``sse``: until its final one, or (``stop_at_task``) until
    that task's ``task_created`` event, so that a late duplicate would be seen too."""
    out: list[dict[str, Any]] = []
    while True:
        ev = await sse.next_event(timeout=15)
        assert ev is not None, "stream ended"
        if ev.type == EventType.ACK and ev.json()["payload"]["command_id"] == command_id:
            out.append(ev.json()["payload"])
            if stop_at_task is None and out[-1]["status"] != "accepted":
                return out
        if stop_at_task is not None and ev.type == EventType.TASK_CREATED:
            if ev.json()["task"]["name"] == stop_at_task:
                return out


@pytest.mark.asyncio
async def test_a_command_posted_to_every_replica_runs_once_and_its_acks_reach_the_client(
    redis_url: str, tmp_path: Path
) -> None:
    import redis

    prefix = fresh_prefix()
    with replicas(tmp_path, redis_url, prefix, 3) as procs:
        lb = HAProxy(tmp_path, [p.url for p in procs])
        try:
            task_id = procs[0].client.post("/api/tasks", json={"name": "job"}).json()["id"]
            async with (
                RawSSE(lb.url, headers={"X-Client-Id": "carol"}) as sse,
                httpx.AsyncClient(base_url=lb.url, timeout=10, trust_env=False) as client,
            ):
                body = {"action": "pause", "task_id": task_id, "command_id": "c-1"}
                for _ in range(3):  # round robin: once to each replica
                    r = await client.post("/api/commands", json=body, headers={"X-Client-Id": "carol"})
                    assert r.status_code == 202
                    assert r.json()["commandId"] == "c-1"
                final = await _acks(sse, "c-1")
                assert [a["status"] for a in final] == ["accepted", "succeeded"]
                await client.post("/api/tasks", json={"name": "sentinel"})
                assert await _acks(sse, "c-1", stop_at_task="sentinel") == []  # no second run
            r = redis.Redis.from_url(redis_url)
            assert r.xlen(f"{prefix}:commands") == 1
            assert r.xpending(f"{prefix}:commands", "runners")["pending"] == 0
            r.close()
            for p in procs:
                await until(
                    lambda p=p: p.client.get(f"/api/tasks/{task_id}").json()["task"]["state"] == "paused",
                    what="every replica to see the task paused",
                )
                # Whichever replica ran it, every replica answers where the command is.
                await until(
                    lambda p=p: p.client.get("/api/commands/c-1").json().get("status") == "succeeded",
                    what="every replica to report the command succeeded",
                )
            assert procs[1].client.get("/api/commands/c-unknown").status_code == 404
        finally:
            lb.close()


@pytest.mark.asyncio
async def test_a_command_claimed_by_a_dead_replica_is_taken_over_after_the_lease(
    redis_url: str, tmp_path: Path
) -> None:
    """A consumer that claimed a command and died (it never renews or acks) loses it to a live
    replica once the lease (1 s here) has run out; the client gets the final ack."""
    import redis

    from monitor.core.protocol import CommandRequest
    from monitor.server.scheduler import CommandScheduler
    from monitor.server.shared_commands import SharedCommands

    prefix = fresh_prefix()
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    r.xgroup_create(f"{prefix}:commands", "runners", id="0", mkstream=True)

    async def no_acks(*_: object) -> None:
        return None

    queue = SharedCommands(redis_url, prefix=prefix, scheduler=CommandScheduler(no_acks), slots=1)
    request = CommandRequest.model_validate({"action": "query", "task_id": "gone", "command_id": "c-dead"})
    await queue.submit(request, client_id="dave")
    await queue.aclose()
    ghost = r.xreadgroup("runners", "ghost", {f"{prefix}:commands": ">"}, count=1)
    assert len(ghost[0][1]) == 1  # the dead replica holds it
    env = {"MONITOR_SERVER_COMMAND_LEASE_MS": "1000"}
    with replicas(tmp_path, redis_url, prefix, 2, env=env) as procs:
        lb = HAProxy(tmp_path, [p.url for p in procs])
        try:
            started = time.monotonic()
            async with RawSSE(lb.url, headers={"X-Client-Id": "dave", "Last-Event-ID": "earliest"}) as sse:
                final = await _acks(sse, "c-dead")
            assert time.monotonic() - started < 10
            assert [a["status"] for a in final] == ["accepted", "rejected"]
            assert "gone" in final[-1]["error"]  # it really ran: the task is unknown
            await until(
                lambda: r.xpending(f"{prefix}:commands", "runners")["pending"] == 0,
                what="the taken-over command to be acknowledged",
            )
        finally:
            lb.close()
            r.close()


@pytest.mark.asyncio
async def test_kill_9_of_the_replica_running_a_command_hands_it_to_another_within_the_lease(
    redis_url: str, tmp_path: Path
) -> None:
    """A cancel on an external executor's task runs (waiting for the executor's verdict) on one of
    two replica processes; that replica is killed -9. The other takes the command over once the
    lease (1.5 s here) has run out, offers it to the executor again, and the command ends
    ``succeeded`` exactly once: in its ``GET /api/commands/{id}`` and as one final ack on a client
    stream connected to it. (With the takeover switched off the offer never comes back.)"""
    import redis

    lease_s = 1.5
    # Taken over once the lease has run out since the holder's last renewal (up to lease/3
    # before the kill), at the other replica's next look (every lease/2), then offered again:
    # at most about 1.5 leases after the kill; the bound leaves room for a loaded machine.
    bound_s = 2 * lease_s + 1
    prefix = fresh_prefix()
    env = {"MONITOR_SERVER_COMMAND_LEASE_MS": str(int(lease_s * 1000))}
    with replicas(tmp_path, redis_url, prefix, 2, env=env) as procs:
        task = procs[0].client.post("/api/tasks", json={"name": "job", "metadata": {"executor": "x"}})
        task_id = task.json()["id"]

        def claim(p: Proc, wait_s: float) -> list[dict[str, Any]]:
            r = p.client.get("/api/executors/x/commands", params={"wait": wait_s})
            assert r.status_code == 200, r.text
            return list(r.json()["commands"])

        assert claim(procs[0], 0) == []  # the executor is connected (for every replica)
        body = {"action": "cancel", "task_id": task_id, "command_id": "c-kill"}
        assert (
            procs[1].client.post("/api/commands", json=body, headers={"X-Client-Id": "erin"}).status_code
            == 202
        )
        offered = await asyncio.to_thread(claim, procs[0], 10)
        assert [c["command_id"] for c in offered] == ["c-kill"]

        def statuses() -> list[str]:
            return [p.client.get("/api/commands/c-kill").json()["status"] for p in procs]

        # The replica running it says "running"; the other answers from Redis ("accepted").
        await until(lambda: sorted(statuses()) == ["accepted", "running"], what="one replica to run it")
        holder = statuses().index("running")
        a, b = procs[holder], procs[1 - holder]
        async with RawSSE(b.url, headers={"X-Client-Id": "erin"}) as sse:
            assert sse.status == 200
            a.popen.send_signal(signal.SIGKILL)  # mid-run: no renewal, no ack, no cleanup
            a.popen.wait(10)
            killed = time.monotonic()
            again = await asyncio.to_thread(claim, b, bound_s)
            taken_after = time.monotonic() - killed
            assert [c["command_id"] for c in again] == ["c-kill"], "not taken over within the bound"
            assert taken_after < bound_s, taken_after
            assert b.client.get("/api/commands/c-kill").json()["status"] == "running"
            verdict = b.client.post("/api/executors/x/commands/c-kill", json={"ok": True})
            assert verdict.status_code == 200, verdict.text
            assert verdict.json()["state"] == "cancelled"
            acks = await _acks(sse, "c-kill")
            b.client.post("/api/tasks", json={"name": "sentinel"})
            assert await _acks(sse, "c-kill", stop_at_task="sentinel") == []  # no second final
        finals = [x for x in acks if CommandStatus(x["status"]).is_final]
        assert [x["status"] for x in finals] == ["succeeded"], acks
        assert [x["status"] for x in acks] == ["accepted", "succeeded"]  # the takeover's run
        view = b.client.get("/api/commands/c-kill").json()
        assert view["status"] == "succeeded"
        assert b.client.get(f"/api/tasks/{task_id}").json()["task"]["state"] == "cancelled"
        assert claim(b, 0) == []  # nothing offered a third time
        r = redis.Redis.from_url(redis_url)
        try:
            assert r.xpending(f"{prefix}:commands", "runners")["pending"] == 0  # acknowledged
        finally:
            r.close()
