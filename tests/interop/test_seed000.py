"""``monitor watch`` and the app's ``SSEService`` against seed 000's FastAPI example, run as written
(``seeds/seed000_tasks.py`` through ``seed000_app.py``; the ``seed000`` fixture adds only the
``import time`` the seed forgot, ``seed000_as_written`` not even that)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from monitor.core.settings import AppSettings, ReconnectSettings
from monitor.core.store import TaskStore
from tests.interop.procs import CuttingProxy, ServerProcess
from tests.interop.watching import Watch
from tests.waiting import until

pytestmark = pytest.mark.slow  # the seed's loop sleeps 1 s between reads, as written
STREAM = "/api/tasks/stream"


async def _publish(server: ServerProcess, *updates: tuple[str, dict[str, Any]]) -> list[int]:
    async with httpx.AsyncClient(base_url=server.url, trust_env=False) as http:
        ids = []
        for type_, data in updates:
            r = await http.post("/_glue/updates", json={"type": type_, "data": data})
            r.raise_for_status()
            ids.append(r.json()["id"])
        return ids


def _progress(job: str, n: int) -> tuple[str, dict[str, Any]]:
    return ("task_progress", {"jobId": job, "progress": n})


def _has_job(watch: Watch, job: str) -> bool:
    return any(e["data"]["jobId"] == job for e in watch.of_type("task_progress"))


@pytest.mark.asyncio
async def test_every_event_decoded(seed000: ServerProcess) -> None:
    await _publish(seed000, _progress("j1", 10), _progress("j1", 50))
    async with Watch(seed000.url + STREAM) as watch:
        await until(lambda: len(watch.of_type("task_progress")) >= 2, 20, "two updates")
        await until(lambda: bool(watch.of_type("heartbeat")), 20, "a heartbeat")
        got = watch.of_type("task_progress")
        assert [(e["id"], e["data"]) for e in got] == [
            ("1", {"jobId": "j1", "progress": 10}),
            ("2", {"jobId": "j1", "progress": 50}),
        ]
        assert len(seed000.requests(STREAM)) == 1  # heartbeats and events over one request


@pytest.mark.asyncio
async def test_as_written_each_stream_dies_at_its_first_heartbeat(seed000_as_written: ServerProcess) -> None:
    """What a user of the seed's code as written sees: every stream ends with a NameError
    after one batch; the client still gets each event once, at the cost of a request per batch."""
    server = seed000_as_written
    await _publish(server, _progress("j1", 10))
    async with Watch(server.url + STREAM) as watch:
        await until(lambda: len(server.requests(STREAM)) >= 2, 20, "a reconnect after the NameError")
        await _publish(server, _progress("j1", 60))
        await until(lambda: len(watch.of_type("task_progress")) >= 2, 20, "the second update")
        assert [e["id"] for e in watch.of_type("task_progress")] == ["1", "2"]
        assert watch.of_type("heartbeat") == []  # the heartbeat is never completed
    assert any("NameError: name 'time' is not defined" in line for line in server.output)


@pytest.mark.asyncio
@pytest.mark.parametrize("resume", ["query", "auto"])
async def test_resume_after_cut_does_not_replay_from_the_start(seed000: ServerProcess, resume: str) -> None:
    """The seed reads only the ``lastEventId`` query: ``--resume query`` sends it on every
    reconnect; ``--resume auto`` (the default) sends the header alone until the server replays
    from the start, drops that replay undelivered and reconnects with the query at once."""
    await _publish(seed000, _progress("j1", 10), _progress("j1", 20))
    async with CuttingProxy(seed000.port) as proxy:
        async with Watch(f"http://127.0.0.1:{proxy.port}{STREAM}", "--resume", resume) as watch:
            await until(lambda: len(watch.of_type("task_progress")) >= 2, 20, "two updates")
            await proxy.cut()
            await _publish(seed000, _progress("j1", 30))
            await until(lambda: len(watch.of_type("task_progress")) >= 3, 30, "the third update")
            assert [e["id"] for e in watch.of_type("task_progress")] == ["1", "2", "3"]
            streams = seed000.requests(STREAM)
            if resume == "auto":  # the header-only reconnect, answered from the start and dropped
                assert len(streams) == 3
                assert (streams[1].query, streams[1].last_event_id) == ({}, "2")
            else:
                assert len(streams) == 2
            assert streams[-1].query.get("lastEventId") == ["2"]  # the only cursor the seed reads
            assert streams[-1].last_event_id == "2"


@pytest.mark.asyncio
async def test_server_restart_new_ids_are_not_dropped(seed000: ServerProcess) -> None:
    """A restarted seed numbers its events from 1 again: a new lifetime, told from a replay by
    the events under the old ids (``--resume auto``, the default)."""
    await _publish(seed000, _progress("old", 10), _progress("old", 20))
    # --poll-after 10: this is about the stream. Were a slow restart to start polling, the seed's
    # /poll would answer "after 2" with nothing of the new lifetime until the probe (30 s) returns
    # to the stream (docs/client.md, interop table).
    async with Watch(seed000.url + STREAM, "--poll-after", "10") as watch:
        await until(lambda: len(watch.of_type("task_progress")) >= 2, 20, "the old lifetime")
        seed000.restart()
        await _publish(seed000, _progress("new", 5))  # id 1 again, in a new process
        await until(lambda: _has_job(watch, "new"), 30, "new job")
        assert [e["id"] for e in watch.of_type("task_progress")] == ["1", "2", "1"]


@pytest.mark.asyncio
async def test_polls_when_the_stream_is_gone(seed000: ServerProcess) -> None:
    """The stream goes through a proxy, the poll straight to the server (``--poll-url``): when the
    proxy refuses connections, polling takes over after the default 3 failures, with both
    cursors, and the seed's integer ids."""
    await _publish(seed000, _progress("j1", 10))
    async with CuttingProxy(seed000.port) as proxy:
        stream_url = f"http://127.0.0.1:{proxy.port}{STREAM}"
        async with Watch(stream_url, "--poll-url", seed000.url + "/api/tasks/poll") as watch:
            await until(lambda: len(watch.of_type("task_progress")) >= 1, 20, "the first update")
            await proxy.refuse()  # the stream is gone; the poll endpoint still answers
            await _publish(seed000, _progress("j2", 40))
            await until(lambda: len(seed000.requests("/api/tasks/poll")) >= 1, 30, "a poll")
            await until(lambda: _has_job(watch, "j2"), 30, "j2")
            assert [e["id"] for e in watch.of_type("task_progress")] == ["1", "2"]
            first_poll = seed000.requests("/api/tasks/poll")[0]
            assert first_poll.last_event_id == "1"  # the header the seed's /poll reads
            assert first_poll.query.get("lastEventId") == ["1"]
            assert any(line.startswith("[polling]") for line in watch.stderr), watch.stderr


def test_sse_service_task_events_reach_the_store(seed000: ServerProcess, run: Any) -> None:
    from monitor.services.sse_service import SSEService

    async def scenario() -> None:
        store = TaskStore()
        settings = AppSettings(server_url=seed000.url, reconnect=ReconnectSettings(reconnect_interval_ms=250))
        service = SSEService(settings, store=store)
        progressed: list[tuple[str, float]] = []
        service.task_progressed.connect(lambda i, p: progressed.append((i, p)))
        await service.start()
        try:
            await _publish(seed000, _progress("j1", 10), _progress("j1", 55))
            await until(lambda: ("j1", 55.0) in progressed, 20, "j1 at 55 %")
            record = store.get("j1")
            assert record is not None
            assert record.progress == 55.0
        finally:
            await service.aclose()

    run(scenario())
