"""Several ``monitor serve --store redis://`` replicas behind HAProxy (issue 14, items 2 and 3).

Everything is real: one ``redis-server``, the replicas as processes, HAProxy in front, clients
speaking HTTP to the load balancer. Each test checks exact sequences: every event once, in order.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from monitor.core.protocol import EventType
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
