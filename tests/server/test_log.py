"""One conformance suite for every event log engine (memory, SQLite, Redis: see conftest.py)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from monitor.core.protocol import Task
from monitor.server.log import EARLIEST, GONE, parse_cursor
from monitor.server.sqlite_log import SqliteLog
from tests.server.conftest import LogFactory


class FakeClock:
    """A settable clock (retention by age without waiting)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_ids_are_epoch_seq_and_monotonic(make_log: LogFactory) -> None:
    log = make_log()
    assert log.last_id is None
    recs = [log.append("t", f'{{"n":{i}}}') for i in range(5)]
    assert [parse_cursor(r.id) for r in recs] == [(log.epoch, i) for i in range(1, 6)]
    assert log.last_id == recs[-1].id


def test_read_after_cursor_and_limit(make_log: LogFactory) -> None:
    log = make_log()
    recs = [log.append("t", str(i)) for i in range(10)]
    page = log.read_after(recs[2].id, 3)
    assert page != GONE
    assert [r.data for r in page] == ["3", "4", "5"]
    assert log.read_after(recs[-1].id) == []
    everything = log.read_after(None, 100)
    assert [r.data for r in everything] == [str(i) for i in range(10)]  # type: ignore[union-attr]
    assert log.read_after(EARLIEST, 2) == everything[:2]  # type: ignore[index]


@pytest.mark.parametrize(
    "cursor", ["garbage", "", "-", "abc-", "x-1", "zzzzzzzz-1", "1-2-3", "e-99999999999999999999"]
)
def test_unknown_cursors_are_gone(make_log: LogFactory, cursor: str) -> None:
    log = make_log()
    log.append("t", "1")
    assert log.read_after(cursor) is GONE


def test_future_cursor_is_gone(make_log: LogFactory) -> None:
    log = make_log()
    log.append("t", "1")
    assert log.read_after(f"{log.epoch}-2") is GONE
    assert log.read_after(f"{log.epoch}-1") == []


def test_trim_by_count(make_log: LogFactory) -> None:
    log = make_log(max_events=5)
    recs = [log.append("t", str(i)) for i in range(12)]
    log.trim()
    kept = log.read_after(None, 100)
    assert [r.data for r in kept] == [str(i) for i in range(7, 12)]  # type: ignore[union-attr]
    assert log.read_after(recs[1].id) is GONE  # trimmed
    assert [r.data for r in log.read_after(recs[6].id)] == [str(i) for i in range(7, 12)]  # type: ignore[union-attr]


def test_trim_by_age(make_log: LogFactory) -> None:
    clock = FakeClock()
    log = make_log(max_age_s=60.0, clock=clock)
    old = log.append("t", "old")
    clock.now += 120
    new = log.append("t", "new")
    log.trim()
    assert log.read_after(old.id) == [new]
    assert log.read_after(None) == [new]
    clock.now += 120
    log.trim()
    assert log.read_after(new.id) == []  # the newest id is still a valid cursor
    assert log.read_after(old.id) is GONE


def test_targeted_records_keep_their_target(make_log: LogFactory) -> None:
    log = make_log()
    log.append("ack", "{}", "client-a")
    rec = log.read_after(None)[0]  # type: ignore[index]
    assert rec.target == "client-a"
    assert rec.visible_to("client-a")
    assert not rec.visible_to("client-b")


def test_sqlite_survives_reopen_with_epoch_and_tasks(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    log = SqliteLog(path)
    ids = [log.append("t", str(i)).id for i in range(3)]
    store = log.task_storage()
    store.save(Task(id="a", name="A", created_at=1.0))
    store.save(Task(id="b", name="B", created_at=2.0))
    store.delete("a")
    log.close()
    again = SqliteLog(path)
    try:
        assert again.epoch == log.epoch
        assert again.last_id == ids[-1]
        assert [r.data for r in again.read_after(ids[0])] == ["1", "2"]  # type: ignore[union-attr]
        assert [t.id for t in again.task_storage().load()] == ["b"]
        assert again.append("t", "3").id == f"{log.epoch}-4"
    finally:
        again.close()


def test_sqlite_seq_survives_full_trim(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "db.sqlite3"
    log = SqliteLog(path, max_age_s=1.0, clock=clock)
    last = log.append("t", "x").id
    log.close()
    clock.now += 10
    again = SqliteLog(path, max_age_s=1.0, clock=clock)
    try:
        assert again.read_after(None) == []
        assert again.last_id == last  # seq does not restart, so old cursors never alias new events
        assert again.read_after(last) == []
    finally:
        again.close()


@pytest.mark.asyncio
async def test_sqlite_commits_once_per_burst(tmp_path: Path) -> None:
    log = SqliteLog(tmp_path / "db.sqlite3")
    try:
        before = log.commits
        for i in range(200):
            log.append("t", str(i))
        assert log.commits == before  # nothing committed inside the burst
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(fut.set_result, None)
        await fut  # one loop iteration: the scheduled commit runs
        assert log.commits == before + 1
        other = SqliteLog(tmp_path / "db.sqlite3")  # a second connection sees committed rows
        try:
            assert len(other.read_after(None, 1000)) == 200  # type: ignore[arg-type]
        finally:
            other.close()
    finally:
        log.close()


@pytest.mark.asyncio
async def test_sqlite_append_cost_is_small(tmp_path: Path) -> None:
    """Appending stays cheap on the event loop (measured; bound is generous for CI noise)."""
    log = SqliteLog(tmp_path / "db.sqlite3")
    try:
        n = 2000
        t0 = time.perf_counter()
        for i in range(n):
            log.append("task_progress", f'{{"id":"t{i % 10}","progress":{i % 100}}}')
        log.flush()
        per_event_us = (time.perf_counter() - t0) / n * 1e6
        assert per_event_us < 200, per_event_us
    finally:
        log.close()


def test_read_seqs_is_a_lookup_by_key(make_log: LogFactory) -> None:
    log = make_log(max_events=10)
    for i in range(15):
        log.append("e", f'{{"i":{i}}}')
    log.flush()
    log.trim()  # SQLite trims every 256 appends
    got = log.read_seqs([14, 6, 7, 15, 3, 99, 0, -1, 7])
    # 1-5 were trimmed by count and 99 never existed: skipped; duplicates once; oldest first.
    assert [(r.seq, r.data) for r in got] == [
        (6, '{"i":5}'),
        (7, '{"i":6}'),
        (14, '{"i":13}'),
        (15, '{"i":14}'),
    ]
    assert got[0].id == f"{log.epoch}-6"
    assert log.read_seqs([]) == []
