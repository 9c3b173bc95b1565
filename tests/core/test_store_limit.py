"""The store's task limit: the oldest finished tasks go, never an active one (issue 13 item 6)."""

from __future__ import annotations

import pytest

from monitor.core.news import TaskPatch
from monitor.core.protocol import Task, TaskState
from monitor.core.store import Added, Evicted, Removed, StateGroup, TaskStore

DONE = (TaskState.COMPLETED, TaskState.FAILED, TaskState.CANCELLED)


def _task(i: int, state: TaskState, finished_at: float | None = None) -> TaskPatch:
    return TaskPatch(
        id=f"t{i:03d}",
        received_at=1000.0 + i,
        name=f"file{i}.wav",
        state=state,
        progress=50.0,
        created_at=float(i),
        finished_at=finished_at,
    )


def _full_store() -> TaskStore:
    store = TaskStore()
    # t000-t005 finished (finish times not in creation order), t006-t011 active.
    finish = [50.0, 10.0, 40.0, 20.0, 60.0, 30.0]
    store.apply(_task(i, DONE[i % 3], finish[i]) for i in range(6))
    store.apply(
        _task(i, (TaskState.RUNNING, TaskState.QUEUED, TaskState.PAUSED)[i % 3]) for i in range(6, 12)
    )
    return store


def test_lowering_the_limit_evicts_the_oldest_finished_first() -> None:
    store = _full_store()
    changes = store.set_limit(9)
    assert changes == [Evicted(("t001", "t003", "t005"), 9)]  # finished at 10, 20, 30
    assert len(store) == 9
    assert all(store.get(f"t{i:03d}") is not None for i in range(6, 12))  # every active task stays
    assert store.counts()[TaskState.COMPLETED] + store.counts()[TaskState.FAILED] == 2
    assert "t001" not in store.view_rows()


def test_active_tasks_are_never_evicted_even_past_the_limit() -> None:
    store = _full_store()
    changes = store.set_limit(2)
    assert changes == [Evicted(("t001", "t003", "t005", "t002", "t000", "t004"), 2)]
    assert len(store) == 6  # over the limit: only active tasks are left
    assert store.apply([_task(20, TaskState.RUNNING)]) == [Added(("t020",))]  # nothing to evict
    assert len(store) == 7


def test_new_tasks_past_the_limit_evict_at_the_end_of_the_changes() -> None:
    store = _full_store()
    store.set_limit(12)
    changes = store.apply([_task(12, TaskState.RUNNING)])
    assert changes == [Added(("t012",)), Evicted(("t001",), 12)]
    assert isinstance(changes[-1], Removed)  # every consumer of Removed drops the rows alike


def test_a_large_limit_evicts_one_percent_below_it() -> None:
    store = TaskStore()
    store.set_limit(1000)
    store.apply(_task(i, TaskState.COMPLETED, float(i)) for i in range(1000))
    assert len(store) == 1000
    changes = store.apply([_task(1000, TaskState.COMPLETED, 5000.0)])
    assert len(store) == 990  # not one scan of every task per new task
    (evicted,) = (c for c in changes if isinstance(c, Evicted))
    assert evicted.ids == tuple(f"t{i:03d}" for i in range(11))


def test_snapshot_over_the_limit_and_tasks_it_no_longer_has() -> None:
    store = _full_store()
    store.set_limit(5)
    snapshot = [
        Task(id=f"s{i}", name=f"s{i}", state=TaskState.COMPLETED, created_at=float(i), finished_at=float(i))
        for i in range(8)
    ] + [Task(id="t006", name="file6.wav", state=TaskState.RUNNING, created_at=6.0)]
    changes = store.apply_snapshot(snapshot, received_at=2000.0)
    assert isinstance(changes[-1], Evicted)
    assert len(store) == 5
    assert store.get("t006") is not None  # active: kept
    assert sorted(store.ids()) == ["s4", "s5", "s6", "s7", "t006"]
    assert sum(store.counts().values()) == 5
    assert store.mean_progress([TaskState.COMPLETED]) == 100.0


def test_replace_all_keeps_the_limit() -> None:
    store = TaskStore()
    store.set_limit(3)
    tasks = [
        Task(id=f"r{i}", name="r", state=TaskState.COMPLETED, created_at=float(i), finished_at=float(i))
        for i in range(5)
    ]
    store.replace_all(tasks, received_at=0.0)
    assert sorted(store.ids()) == ["r2", "r3", "r4"]


def test_filtered_view_and_counts_stay_consistent_after_eviction() -> None:
    store = _full_store()
    store.set_filter(StateGroup.COMPLETED)
    before = store.view_rows()
    store.set_limit(10)
    assert store.view_rows() == [t for t in before if t in store]
    assert store.group_counts()[StateGroup.ALL] == 10


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        TaskStore().set_limit(0)
    store = _full_store()
    assert store.set_limit(None) == []
    assert store.limit is None
