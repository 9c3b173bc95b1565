"""What only a shared log has: two replicas on one Redis, idempotent publish, Redis restarts.

The behaviour every engine shares is in tests/server/test_log.py (parametrised over the engines);
here are the Redis-only promises from monitor/server/redis_log.py's docstring.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from monitor.core.protocol import Task, TaskState, stamp_event_id
from monitor.server.log import GONE, LogRecord, parse_cursor
from tests.redis_server import RedisServer, fresh_prefix, redis_missing
from tests.waiting import until

pytestmark = pytest.mark.skipif(redis_missing() is not None, reason=str(redis_missing()))


def _task(task_id: str, state: TaskState = TaskState.QUEUED) -> Task:
    return Task(id=task_id, name=task_id, state=state, created_at=1.0, updated_at=1.0)


def test_stamped_ids_match_the_protocol_helper(redis_url: str) -> None:
    from monitor.server.redis_log import RedisLog

    log = RedisLog(redis_url, prefix=fresh_prefix())
    try:
        for data in ('{"a":1}', "{}", ' { "b" : [1] }'):
            rec = log.append("t", data, stamp_id=True)
            assert rec.data == stamp_event_id(data, rec.id)
            assert json.loads(rec.data)["id"] == rec.id
    finally:
        log.close()


@pytest.mark.asyncio
async def test_a_replica_follows_the_other_in_order_with_task_rows(redis_url: str) -> None:
    from monitor.server.redis_log import RedisLog

    prefix = fresh_prefix()
    a, b = RedisLog(redis_url, prefix=prefix), RedisLog(redis_url, prefix=prefix)
    seen: list[LogRecord] = []
    adopted: list[tuple[list[str], list[str]]] = []
    b.on_commit(seen.extend)
    b.on_foreign_rows(lambda _, saved, removed: adopted.append(([t.id for t in saved], list(removed))))
    await b.start()
    try:
        assert a.epoch == b.epoch
        store = a.task_storage()
        store.save(_task("t1"))
        first = a.append("task_created", "{}", stamp_id=True)
        for i in range(50):
            a.append("tick", json.dumps({"n": i}))
        store.delete("t1")
        a.append("task_removed", "{}")
        await until(lambda: len(seen) == 52, what="replica B to follow A's 52 events")
        assert [r.id for r in seen] == [f"{a.epoch}-{n}" for n in range(1, 53)]
        assert seen[0] == first
        assert adopted == [(["t1"], []), ([], ["t1"])]
        assert b.read_after(first.id, 1000) == seen[1:]  # B's mirror serves replays of A's events
        assert b.followed == 52
        assert RedisLog(redis_url, prefix=prefix).task_storage().load() == []
    finally:
        await b.stop()
        a.close()
        b.close()


def test_append_once_is_idempotent_across_replicas(redis_url: str) -> None:
    from monitor.server.redis_log import RedisLog

    prefix = fresh_prefix()
    a, b = RedisLog(redis_url, prefix=prefix), RedisLog(redis_url, prefix=prefix)
    try:
        rec, new = a.append_once("ack", '{"n":1}', "c1", key="cmd_1")
        again, new_again = b.append_once("ack", '{"n":2}', "c1", key="cmd_1")
        assert new
        assert not new_again
        assert again == rec  # the first write's record, read back on the other replica
        assert b.read_after(None) == [rec]
        with pytest.raises(ValueError, match="empty"):
            a.append_once("ack", "{}", None, key="")
    finally:
        a.close()
        b.close()


def test_a_restart_that_may_have_lost_writes_rotates_the_epoch(tmp_path: Path) -> None:
    """AOF with fsync everysec: a crash may lose the last second, so old cursors get a reset;
    tasks the AOF kept are still there."""
    from monitor.server.redis_log import RedisLog

    server = RedisServer(tmp_path / "r", appendonly=True, appendfsync="everysec")
    server.start()
    try:
        log = RedisLog(server.url)
        log.task_storage().save(_task("kept"))
        old = log.append("t", "{}")
        log.close()
        server.stop()  # clean: Redis fsyncs on shutdown
        server.start()
        log = RedisLog(server.url)
        assert log.epoch != parse_cursor(old.id)[0]  # type: ignore[index]
        assert log.read_after(old.id) is GONE
        assert [t.id for t in log.task_storage().load()] == ["kept"]
        log.close()
    finally:
        server.kill()


def test_with_fsync_always_a_crash_keeps_the_epoch_and_every_event(tmp_path: Path) -> None:
    from monitor.server.redis_log import RedisLog

    server = RedisServer(tmp_path / "r", appendonly=True, appendfsync="always")
    server.start()
    try:
        log = RedisLog(server.url)
        recs = [log.append("t", json.dumps({"n": i})) for i in range(20)]
        log.close()
        server.kill()  # SIGKILL: no shutdown fsync
        server.start()
        log = RedisLog(server.url)
        assert log.epoch == parse_cursor(recs[0].id)[0]  # type: ignore[index]
        assert log.read_after(recs[4].id) == recs[5:]
        assert log.append("t", "{}").id == f"{log.epoch}-21"
        log.close()
    finally:
        server.kill()


@pytest.mark.asyncio
async def test_the_follower_notices_a_lost_redis_and_rotates(tmp_path: Path) -> None:
    from monitor.server.redis_log import RedisLog

    server = RedisServer(tmp_path / "r")  # no persistence at all
    server.start()
    log = RedisLog(server.url, block_ms=200)
    changed: list[str] = []
    log.on_epoch_change(lambda: changed.append(log.epoch))
    await log.start()
    try:
        before = log.epoch
        log.append("t", "{}")
        server.kill()
        server.start()  # same port, empty
        await until(lambda: bool(changed), timeout=15, what="the follower to see the new Redis")
        assert changed[0] != before
        assert log.append("t", "{}").id == f"{log.epoch}-1"
    finally:
        await log.stop()
        log.close()
        server.kill()


def test_an_append_after_redis_lost_everything_opens_a_new_epoch(tmp_path: Path) -> None:
    import redis

    from monitor.server.redis_log import RedisLog

    server = RedisServer(tmp_path / "r")
    server.start()
    try:
        log = RedisLog(server.url)
        changed: list[str] = []
        log.on_epoch_change(lambda: changed.append(log.epoch))
        old = log.append("t", "{}")
        redis.Redis.from_url(server.url).flushall()
        rec = log.append("t", '{"after":1}', stamp_id=True)
        assert changed == [log.epoch]
        assert log.epoch != parse_cursor(old.id)[0]  # type: ignore[index]
        assert rec.id == f"{log.epoch}-1"
        assert json.loads(rec.data)["id"] == rec.id
        assert log.read_after(None) == [rec]
        assert log.read_after(old.id) is GONE
        log.close()
    finally:
        server.kill()


@pytest.mark.asyncio
async def test_writes_answer_503_while_redis_is_away_and_streams_reset_after(tmp_path: Path) -> None:
    """Redis stops: a task report is refused with 503 and the task is not kept anywhere; replays
    still come from the mirror. Redis comes back empty: streams end, clients come back to a reset."""
    from monitor.server.app import create_app
    from monitor.server.config import ServerConfig
    from monitor.server.runner import ServerThread
    from tests.server.sse_helpers import RawSSE
    from tests.server.test_app import QUIET, http

    server = RedisServer(tmp_path / "r")
    server.start()
    config = ServerConfig(store=server.url, store_prefix=fresh_prefix(), **QUIET)  # type: ignore[arg-type]
    app = create_app(config)
    try:
        with ServerThread(app) as thread, http(thread.url) as client:
            first = client.post("/api/tasks", json={"name": "kept", "id": "kept"})
            assert first.status_code == 201
            cursor = client.get("/api/tasks").json()["cursor"]
            async with RawSSE(thread.url, headers={"X-Client-Id": "eve"}) as sse:
                server.kill()
                refused = client.post("/api/tasks", json={"name": "lost", "id": "lost"})
                assert refused.status_code == 503
                assert [t["id"] for t in client.get("/api/tasks").json()["tasks"]] == ["kept"]
                replay = client.get("/api/tasks/poll", params={"after": "earliest"}).json()
                assert [e["id"] for e in replay["events"]] == [cursor]  # from the mirror
                server.start()  # same port, empty: the follower sees a new Redis
                while (ev := await sse.next_event(timeout=15)) is not None:
                    if ev.type == "shutdown":
                        break
                assert ev is not None  # the stream was told to go (and reconnect)
            async with RawSSE(thread.url, headers={"X-Client-Id": "eve", "Last-Event-ID": cursor}) as sse:
                ev = await sse.next_event(timeout=5)
                while ev is not None and ev.type == "message":  # the opening ``retry:`` block
                    ev = await sse.next_event(timeout=5)
                assert ev is not None
                assert ev.type == "reset"
            again = client.post("/api/tasks", json={"name": "again"})
            assert again.status_code == 201
            # The command queue came back too (its consumer group is made again).
            body = {"action": "query", "task_id": again.json()["id"], "command_id": "after"}
            assert client.post("/api/commands", json=body).status_code == 202
            await until(
                lambda: client.get("/api/commands/after").json().get("status") == "succeeded",
                timeout=15,
                what="a command after Redis came back to run",
            )
    finally:
        server.kill()


@pytest.mark.asyncio
async def test_idempotency_keys_and_client_ids_hold_across_replicas(redis_url: str) -> None:
    """Two replicas on one Redis: a key answered on one is replayed by the other (422 with another
    body), and a client id Alice claimed on one is refused to Bob on the other."""
    from monitor.core.protocol import ErrorBody
    from monitor.server.app import create_app
    from monitor.server.config import ServerConfig
    from monitor.server.idempotency import KEY_REUSED
    from monitor.server.runner import ServerThread
    from tests.server.test_app import QUIET
    from tests.server.test_idempotency import ALICE, BOB, PRINCIPALS, http, names

    config = ServerConfig(store=redis_url, store_prefix=fresh_prefix(), principals=PRINCIPALS, **QUIET)  # type: ignore[arg-type]
    one, two = ServerThread(create_app(config)), ServerThread(create_app(config))
    key = {"Idempotency-Key": "k-across", "X-Client-Id": "alice-laptop"}
    with one, two, http(one.url, ALICE) as alice1, http(two.url, ALICE) as alice2, http(two.url, BOB) as bob2:
        first = alice1.post("/api/tasks", json={"name": "a.wav"}, headers=key)
        assert first.status_code == 201
        again = alice2.post("/api/tasks", json={"name": "a.wav"}, headers=key)
        assert again.headers["idempotent-replayed"] == "true"
        assert (again.status_code, again.json()) == (201, first.json())
        other = alice2.post("/api/tasks", json={"name": "b.wav"}, headers=key)
        assert other.status_code == 422
        assert ErrorBody.model_validate(other.json()).error == KEY_REUSED
        await until(lambda: names(alice2) == ["a.wav"], what="replica two to know the one task")
        taken = bob2.post("/api/tasks", json={"name": "bob.wav"}, headers={"X-Client-Id": "alice-laptop"})
        assert taken.status_code == 403
        assert (
            bob2.post("/api/tasks", json={"name": "bob.wav"}, headers={"X-Client-Id": "bob-pc"}).status_code
            == 201
        )
        # A message id delivers once, whichever replica the repeat reaches.
        message = {"id": "m-1", "type": "text", "payload": {"text": "hi"}}
        sent = alice1.post("/api/messages", json=message).json()
        resent = alice2.post("/api/messages", json=message).json()
        assert resent["eventId"] == sent["eventId"]
        logged = alice2.get("/api/tasks/poll", params={"after": "earliest", "limit": 1000}).json()["events"]
        assert [e["id"] for e in logged if e["type"] == "text"] == [sent["eventId"]]


@pytest.mark.asyncio
async def test_a_direct_message_reaches_a_client_connected_to_another_replica(redis_url: str) -> None:
    """``POST /api/direct/{id}`` on replica two for a client streaming from replica one is
    delivered (not 404), and is 404 again once that client has gone."""
    from monitor.server.app import create_app
    from monitor.server.config import ServerConfig
    from monitor.server.runner import ServerThread
    from tests.server.sse_helpers import RawSSE
    from tests.server.test_app import QUIET, http

    config = ServerConfig(store=redis_url, store_prefix=fresh_prefix(), **QUIET)  # type: ignore[arg-type]
    one, two = ServerThread(create_app(config)), ServerThread(create_app(config))
    with one, two, http(two.url) as client:
        assert client.post("/api/direct/zed", json={"payload": {"n": 0}}).status_code == 404
        async with RawSSE(one.url, headers={"X-Client-Id": "zed"}) as sse:
            sent = client.post("/api/direct/zed", json={"payload": {"n": 1}})
            assert sent.status_code == 200
            ev = await sse.next_event(timeout=5)
            while ev is not None and ev.id != sent.json()["eventId"]:
                ev = await sse.next_event(timeout=5)
            assert ev is not None
            assert ev.json()["payload"] == {"n": 1}
        await until(
            lambda: client.post("/api/direct/zed", json={"payload": {"n": 2}}).status_code == 404,
            what="replica two to see that zed left replica one",
        )


@pytest.mark.asyncio
async def test_a_command_is_cancelled_from_a_replica_that_does_not_hold_it(redis_url: str) -> None:
    """DELETE /api/commands/{id} on the replica that did not claim a running command asks the one
    that did (202); that one cancels it and the client gets the final ``cancelled`` ack."""
    from monitor.core.protocol import CommandAction
    from monitor.server.app import create_app
    from monitor.server.config import ServerConfig
    from monitor.server.runner import ServerThread
    from monitor.server.scheduler import CommandRecord
    from tests.server.sse_helpers import RawSSE
    from tests.server.test_app import QUIET, http

    async def endless(_: CommandRecord) -> None:
        await asyncio.Event().wait()  # runs until cancelled

    config = ServerConfig(store=redis_url, store_prefix=fresh_prefix(), **QUIET)  # type: ignore[arg-type]
    apps = [create_app(config), create_app(config)]
    for app in apps:
        app.scheduler.register_handler(CommandAction.EXECUTE, endless)
    one, two = ServerThread(apps[0]), ServerThread(apps[1])
    with one, two, http(one.url) as c1, http(two.url) as c2:
        async with RawSSE(one.url, headers={"X-Client-Id": "yan"}) as sse:
            body = {"action": "execute", "command_id": "c-slow"}
            assert c1.post("/api/commands", json=body, headers={"X-Client-Id": "yan"}).status_code == 202

            def holder() -> int | None:
                for i, app in enumerate(apps):
                    record = app.scheduler.get("c-slow")
                    if record is not None and record.status.value == "running":
                        return i
                return None

            await until(lambda: holder() is not None, what="a replica to run the command")
            other = (c2, c1)[holder() or 0]
            asked = other.delete("/api/commands/c-slow")
            assert asked.status_code == 202
            statuses: list[str] = []
            while not statuses or statuses[-1] in ("accepted", "running"):
                ev = await sse.next_event(timeout=10)
                assert ev is not None
                if ev.type == "ack" and ev.json()["payload"]["command_id"] == "c-slow":
                    statuses.append(ev.json()["payload"]["status"])
            assert statuses == ["accepted", "cancelled"]
        await until(
            lambda: other.get("/api/commands/c-slow").json().get("status") == "cancelled",
            what="the other replica to report the command cancelled",
        )
        assert other.delete("/api/commands/c-slow").status_code == 409


def test_serve_without_reachable_redis_says_so_in_one_line_and_exits_3(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from monitor.server.cli import main
    from tests.interop.procs import free_port

    url = f"redis://:s3cret@127.0.0.1:{free_port()}/0"  # nothing listens there
    assert main(["--store", url, "--port", "0", "--log-level", "warning"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("monitor serve: cannot use the Redis store redis://***@127.0.0.1:")
    assert "s3cret" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.asyncio
async def test_an_executor_polling_one_replica_decides_a_command_run_by_another(redis_url: str) -> None:
    """The bridge long-polls replica two; a cancel for its task is posted to replica one (and runs
    on whichever replica claims it): the executor gets it, says ok, and the task is changed."""
    from monitor.server.app import create_app
    from monitor.server.config import ServerConfig
    from monitor.server.runner import ServerThread
    from tests.server.test_app import QUIET, http

    config = ServerConfig(store=redis_url, store_prefix=fresh_prefix(), **QUIET)  # type: ignore[arg-type]
    one, two = ServerThread(create_app(config)), ServerThread(create_app(config))
    with one, two, http(one.url) as c1, http(two.url) as c2:
        task = c1.post("/api/tasks", json={"name": "job", "metadata": {"executor": "celery"}}).json()
        assert c2.get("/api/executors/celery/commands", params={"wait": 0}).json() == {"commands": []}
        claim = asyncio.ensure_future(
            asyncio.to_thread(c2.get, "/api/executors/celery/commands", params={"wait": 10})
        )
        body = {"action": "cancel", "task_id": task["id"], "command_id": "c-e"}
        assert c1.post("/api/commands", json=body).status_code == 202
        offered = (await claim).json()["commands"]
        assert [(c["command_id"], c["action"]) for c in offered] == [("c-e", "cancel")]
        verdict = c2.post("/api/executors/celery/commands/c-e", json={"ok": True})
        assert verdict.status_code == 200
        assert verdict.json()["state"] == "cancelled"  # a queued task is cancelled at once
        assert c2.post("/api/executors/celery/commands/c-e", json={"ok": True}).status_code == 404
        for client in (c1, c2):
            await until(
                lambda client=client: client.get("/api/commands/c-e").json().get("status") == "succeeded",
                what="both replicas to report the command succeeded",
            )
