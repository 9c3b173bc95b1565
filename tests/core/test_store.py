"""TaskStore: reducer, stale rules, snapshot reconcile, live counts and the Python-side view."""

from __future__ import annotations

import random
import time

import pytest

from monitor.core.news import TaskPatch, normalize
from monitor.core.protocol import Task, TaskState
from monitor.core.query import Query, parse_query
from monitor.core.store import SORT_KEYS, Added, Removed, StateGroup, TaskStore, Updated


def task(tid: str, **kw: object) -> Task:
    data: dict[str, object] = {"id": tid, "name": f"name-{tid}", "created_at": 1.0}
    data.update(kw)
    return Task.model_validate(data)


def news(store: TaskStore, event: str, data: object, at: float = 10.0) -> list[object]:
    out = normalize(event, data, received_at=at)
    assert isinstance(out, list), out
    return list(store.apply(out))


def test_add_update_remove_change_records() -> None:
    s = TaskStore()
    assert news(s, "task_created", {"task": task("a").model_dump()}) == [Added(("a",))]
    ch = news(s, "task_progress", {"id": "a", "progress": 50.0})
    assert ch == [
        Updated("a", frozenset({"progress", "state", "started_at"}), TaskState.QUEUED, TaskState.RUNNING)
    ]
    assert news(s, "task_progress", {"id": "a", "progress": 50.0}) == []  # no-op news: no change
    assert news(s, "task_removed", {"id": "a"}) == [Removed(("a",))]
    assert len(s) == 0
    assert s.counts()[TaskState.RUNNING] == 0


def test_seed004_only_server_fills_table_with_placeholders() -> None:
    s = TaskStore()
    msg = {
        "id": "m",
        "type": "progress",
        "timestamp": 1,
        "source": "x",
        "payload": {"taskId": "job-7", "progress": 12},
    }
    news(s, "message", msg)
    rec = s.get("job-7")
    assert rec is not None
    assert rec.name == "job-7"
    assert rec.state is TaskState.RUNNING
    assert rec.placeholder
    news(s, "task_updated", {"task": task("job-7", name="real.wav", state="running").model_dump()})
    assert s.get("job-7").name == "real.wav"
    assert not s.get("job-7").placeholder


def test_completion_semantics_and_timeline() -> None:
    s = TaskStore()
    news(s, "task_progress", {"jobId": "j", "progress": 40}, at=1.0)
    news(s, "task_complete", {"jobId": "j", "result": "ok"}, at=2.0)
    rec = s.get("j")
    assert rec is not None
    assert (rec.state, rec.progress, rec.finished_at, rec.result) == (TaskState.COMPLETED, 100.0, 2.0, "ok")
    assert [e.text for e in rec.timeline] == ["running", "completed"]
    assert rec.log
    assert rec.log[-1].source == "task_complete"


def test_stale_news_never_moves_terminal_back_but_retry_does() -> None:
    s = TaskStore()
    s.apply_snapshot([task("a", state="failed", error={"message": "x"}, attempt=1)], received_at=1)
    news(s, "task_progress", {"id": "a", "progress": 10})  # late delta from the old run
    news(s, "task_updated", {"task": task("a", state="running", attempt=1).model_dump()})
    rec = s.get("a")
    assert rec is not None
    assert rec.state is TaskState.FAILED
    assert rec.progress == 0.0
    assert "ignored" in rec.log[-1].text
    news(s, "task_updated", {"task": task("a", state="running", attempt=2).model_dump()})
    assert rec.state is TaskState.RUNNING
    assert rec.attempt == 2
    assert rec.error is None
    # an older snapshot of the same attempt is ignored
    news(
        s,
        "task_updated",
        {"task": task("a", state="running", attempt=2, progress=50.0, updated_at=9.0).model_dump()},
    )
    news(s, "task_updated", {"task": task("a", state="queued", attempt=2, updated_at=5.0).model_dump()})
    assert rec.state is TaskState.RUNNING
    assert rec.progress == 50.0


def test_snapshot_reconcile_adds_updates_removes() -> None:
    s = TaskStore()
    s.apply_snapshot([task("a"), task("b")], received_at=1)
    ch = s.apply_snapshot([task("b", state="running"), task("c")], received_at=2)
    assert Added(("c",)) in ch
    assert Removed(("a",)) in ch
    assert any(isinstance(c, Updated) and c.id == "b" and c.new_state is TaskState.RUNNING for c in ch)
    assert sorted(s.ids()) == ["b", "c"]


def test_counts_live_and_groups() -> None:
    s = TaskStore()
    s.apply_snapshot(
        [
            task("a", state="running"),
            task("b", state="queued"),
            task("c", state="failed"),
            task("d", state="cancelling"),
        ],
        received_at=1,
    )
    g = s.group_counts()
    got = (g[StateGroup.ALL], g[StateGroup.ACTIVE], g[StateGroup.RUNNING], g[StateGroup.FAILED])
    assert got == (4, 3, 2, 1)
    s.remove(["c"])
    assert s.group_counts()[StateGroup.FAILED] == 0
    assert s.counts()[TaskState.FAILED] == 0


def test_view_filter_sort_and_stable_tiebreak() -> None:
    s = TaskStore()
    s.apply_snapshot(
        [
            task("c", progress=5.0, created_at=3.0),
            task("a", progress=5.0, created_at=1.0),
            task("b", progress=9.0, created_at=2.0, state="failed"),
        ],
        received_at=1,
    )
    assert s.view_rows() == ["a", "b", "c"]
    s.set_sort("progress")
    assert s.view_rows() == ["a", "c", "b"]
    s.set_sort("progress", descending=True)
    assert s.view_rows() == ["b", "a", "c"]  # ties keep created order in both directions
    s.set_filter(StateGroup.ACTIVE)
    assert s.view_rows() == ["a", "c"]
    q = parse_query("name-c")
    assert isinstance(q, Query)
    s.set_filter(StateGroup.ALL, q)
    assert s.view_rows() == ["c"]


def test_none_sorts_last_both_directions() -> None:
    s = TaskStore()
    s.apply_snapshot([task("a", started_at=5.0), task("b"), task("c", started_at=2.0)], received_at=1)
    s.set_sort("started")
    assert s.view_rows() == ["c", "a", "b"]
    s.set_sort("started", descending=True)
    assert s.view_rows() == ["a", "c", "b"]


def test_view_cache_invalidated_only_by_relevant_changes() -> None:
    s = TaskStore()
    s.apply_snapshot([task("a"), task("b")], received_at=1)
    s.view_rows()
    s.apply([TaskPatch(id="a", received_at=2, stage="x")])
    assert not s.view_dirty  # stage does not affect order/membership with the default sort
    s.set_sort("progress")
    s.view_rows()
    s.apply([TaskPatch(id="a", received_at=3, progress=3.0)])
    assert s.view_dirty


def test_every_sort_key_matches_a_fresh_sort_after_random_updates() -> None:
    rng = random.Random(4)
    s = TaskStore()
    s.apply_snapshot([task(f"t{i}", created_at=float(rng.randint(0, 5))) for i in range(200)], received_at=0)
    states = list(TaskState)
    for step in range(500):
        s.apply(
            [
                TaskPatch(
                    id=f"t{rng.randrange(200)}",
                    received_at=float(step),
                    progress=float(rng.randint(0, 100)),
                    state=rng.choice(states),
                )
            ]
        )
    for key in SORT_KEYS:
        for desc in (False, True):
            s.set_sort(key, desc)
            rows = [s.get(i) for i in s.view_rows()]
            keys = [SORT_KEYS[key](r) for r in rows]
            flat = [(k[0] if not desc else not k[0], k[1]) if isinstance(k, tuple) else k for k in keys]
            assert flat == sorted(flat, reverse=desc), key


@pytest.mark.slow
def test_100k_sort_filter_search_under_100ms() -> None:
    """~5 s (building 100k tasks); timing is best of 3 per view to discount scheduler noise."""
    rng = random.Random(1)
    s = TaskStore()
    states = list(TaskState)
    # Patches, not pydantic Tasks: this measures the view, not validation.
    s.apply(
        TaskPatch(
            id=f"id{i}",
            received_at=0.0,
            name=f"file-{rng.randrange(10**6)}.wav",
            progress=float(rng.randint(0, 100)),
            state=rng.choice(states),
            created_at=float(i),
        )
        for i in range(100_000)
    )
    q = parse_query("file-12 -state:failed")
    assert isinstance(q, Query)
    worst = 0.0
    for key, group, query in [
        ("progress", StateGroup.ALL, Query()),
        ("name", StateGroup.ACTIVE, Query()),
        ("status", StateGroup.ALL, q),
    ]:
        s.set_sort(key, descending=True)
        s.set_filter(group, query)
        best = float("inf")
        for _ in range(3):  # best of 3: scheduler noise from parallel test runs is not the code
            s.set_sort(key, descending=True)
            t0 = time.perf_counter()
            rows = s.view_rows()
            best = min(best, time.perf_counter() - t0)
        worst = max(worst, best)
        assert rows
    print(f"100k worst view recompute: {worst * 1000:.1f} ms")
    assert worst < 0.1
