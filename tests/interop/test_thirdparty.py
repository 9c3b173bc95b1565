"""``monitor watch`` against common SSE server libraries (sse-starlette, aiohttp-sse, better-sse).

Each server is a tiny app started by the test on 127.0.0.1 that requires a ``topic`` query
parameter (as real deployments route by query); ids are the library's usual kind (integers,
opaque ``topic:n`` strings, better-sse's UUIDs). Requests are counted server-side.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.interop.procs import CuttingProxy, ServerProcess
from tests.interop.watching import Watch
from tests.waiting import until

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


async def _publish(server: ServerProcess, n: int, start: int = 0) -> list[str]:
    ids = []
    async with httpx.AsyncClient(base_url=server.url, trust_env=False) as http:
        for i in range(start, start + n):
            r = await http.post("/publish?topic=jobs&type=job_update", content=json.dumps({"n": i}))
            r.raise_for_status()
            ids.append(str(r.json()["id"]))
    return ids


async def _connected(server: ServerProcess, watch: Watch, n: int = 1) -> None:
    await until(lambda: len(server.requests("/events")) >= n or watch.exited(), 20, "a stream request")
    await until(
        lambda: watch.exited() or any("[connected]" in line for line in watch.stderr), 20, "connected"
    )
    assert not watch.exited(), "\n".join(watch.stderr)


async def test_query_kept_every_event_decoded_one_request(thirdparty: ServerProcess) -> None:
    async with Watch(thirdparty.url + "/events?topic=jobs") as watch:
        await _connected(thirdparty, watch)
        ids = await _publish(thirdparty, 5)
        await until(lambda: len(watch.of_type("job_update")) >= 5, 20, "five events")
        got = watch.of_type("job_update")
        assert [(e["id"], e["data"]["n"]) for e in got] == list(zip(ids, range(5), strict=True))
        stream_requests = thirdparty.requests("/events")
        assert [r.query.get("topic") for r in stream_requests] == [["jobs"]]
        assert thirdparty.requests() == stream_requests + thirdparty.requests("/publish")  # no extra request


async def test_resume_after_cut_without_gap_or_duplicate(thirdparty: ServerProcess) -> None:
    async with CuttingProxy(thirdparty.port) as proxy:
        async with Watch(f"http://127.0.0.1:{proxy.port}/events?topic=jobs") as watch:
            await _connected(thirdparty, watch)
            first = await _publish(thirdparty, 3)
            await until(lambda: len(watch.of_type("job_update")) >= 3, 20, "first three")
            await proxy.cut()
            second = await _publish(thirdparty, 3, start=3)  # published while the client is away
            await until(lambda: len(watch.of_type("job_update")) >= 6, 30, "all six")
            assert [e["id"] for e in watch.of_type("job_update")] == first + second
            streams = thirdparty.requests("/events")
            assert len(streams) == 2
            assert streams[1].last_event_id == first[-1]
            assert streams[1].query.get("topic") == ["jobs"]
