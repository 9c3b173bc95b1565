"""What only a shared log has: two replicas on one Redis, idempotent publish, Redis restarts.

The behaviour every engine shares is in tests/server/test_log.py (parametrised over the engines);
here are the Redis-only promises from monitor/server/redis_log.py's docstring.
"""

from __future__ import annotations

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
    b.on_foreign_rows(lambda saved, removed: adopted.append(([t.id for t in saved], list(removed))))
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
