"""The store's incremental bookkeeping equals a recomputation from scratch after any history.

The view keeps a created-order list and the counts keep per-state progress sums between calls;
both are shortcuts that a random history of adds, updates (also of ``created_at``), progress,
retries, removals and filter/sort changes must never make visible. The same goes for the fast
path for progress deltas: the same history without the ``delta`` mark (the general path) must
leave every record, change and count the same.
"""

from __future__ import annotations

import random

import pytest

from monitor.core.news import TaskPatch
from monitor.core.protocol import TaskError, TaskState
from monitor.core.query import parse_query
from monitor.core.store import SORT_KEYS, StateGroup, TaskRecord, TaskStore


def _reference_view(store: TaskStore) -> list[str]:
    recs = [r for i in store.ids() if (r := store.get(i)) is not None]
    if store.group is not StateGroup.ALL:
        recs = [r for r in recs if r.state in store.group.states]
    if not store.query.is_empty:
        recs = [r for r in recs if store.query.matches(r)]
    recs.sort(key=lambda r: r.created_at)
    key, descending = store.sort
    k = SORT_KEYS[key]
    if descending:
        recs.sort(key=lambda r: (not k(r)[0], k(r)[1]) if isinstance(k(r), tuple) else k(r), reverse=True)
    else:
        recs.sort(key=k)
    return [r.id for r in recs]


def _reference_mean(store: TaskStore, states: frozenset[TaskState]) -> float | None:
    values = [r.progress for i in store.ids() if (r := store.get(i)) is not None and r.state in states]
    return sum(values) / len(values) if values else None


def _random_patch(rng: random.Random, tid: str, now: float) -> TaskPatch:
    kind = rng.random()
    if kind < 0.3:
        return TaskPatch(
            id=tid,
            received_at=now,
            full=True,
            name=rng.choice(["alpha", "Beta", "gamma", tid]),
            state=rng.choice(list(TaskState)),
            progress=float(rng.randint(0, 100)),
            created_at=float(rng.randint(0, 30)),  # often out of order, sometimes changed
            started_at=rng.choice([None, float(rng.randint(0, 30))]),
            eta=rng.choice([None, float(rng.randint(0, 50))]),
            worker=rng.choice([None, "gpu-1", "GPU-2"]),
            attempt=rng.choice([1, 1, 2, 3]),
            kind=rng.choice([None, "task", "transcribe"]),  # None: not a whole task (general path)
            finished_at=rng.choice([None, float(rng.randint(0, 30))]),
            updated_at=rng.choice([None, now, now - 5]),
            error=rng.choice([None, TaskError(message="boom")]),
            result=rng.choice([None, [1]]),
            result_set=rng.random() < 0.5,
            metadata=rng.choice([{}, {"a": 1}]),
        )
    if kind < 0.8:
        return TaskPatch(
            id=tid,
            received_at=now,
            source="task_progress",
            progress=float(rng.randint(0, 100)),
            stage=rng.choice([None, "upload", "transcribe"]),
            eta=rng.choice([None, float(rng.randint(0, 50))]),
            updated_at=rng.choice([None, now]),
            delta=True,  # what news gives a progress delta: the store's fast path
        )
    return TaskPatch(id=tid, received_at=now, state=rng.choice(list(TaskState)))


@pytest.mark.parametrize("seed", range(6))
def test_random_history_matches_recomputation(seed: int) -> None:
    rng = random.Random(seed)
    store = TaskStore()
    ids = [f"t{i}" for i in range(60)]
    groups = list(StateGroup)
    for step in range(600):
        r = rng.random()
        if r < 0.75:
            store.apply([_random_patch(rng, rng.choice(ids), float(step)) for _ in range(rng.randint(1, 5))])
        elif r < 0.82:
            store.remove(rng.sample(ids, rng.randint(1, 4)))
        elif r < 0.9:
            store.set_sort(rng.choice(sorted(SORT_KEYS)), rng.random() < 0.5)
        elif r < 0.97:
            store.set_filter(group=rng.choice(groups))
        else:
            store.set_filter(query=parse_query(rng.choice(["", "alpha", "-beta", "worker:gpu"])))
        if step % 7 == 0 or r >= 0.82:
            assert store.view_rows() == _reference_view(store), step
        for states in (frozenset({TaskState.RUNNING}), frozenset({TaskState.RUNNING, TaskState.PAUSED})):
            got, want = store.mean_progress(states), _reference_mean(store, states)
            assert (got is None) == (want is None), step
            if want is not None:
                assert got == pytest.approx(want, abs=1e-6), step


def _state_of(rec: TaskRecord, now: float) -> tuple[object, ...]:
    fields = tuple(getattr(rec, name) for name in TaskRecord.__dataclass_fields__ if name != "tracker")
    return (*fields, rec.eta_reading(now), rec.eta_reading(now + 2.0))


@pytest.mark.parametrize("seed", range(6))
def test_specialised_paths_equal_the_general_path(seed: int) -> None:
    rng = random.Random(seed)
    fast, general = TaskStore(), TaskStore()
    general._fast = False  # the general path for everything
    ids = [f"t{i}" for i in range(40)]
    fast_path_taken = whole_adds = 0
    for step in range(800):
        if rng.random() < 0.05:
            gone = rng.sample(ids, 2)
            assert fast.remove(gone) == general.remove(gone)
            continue
        patches = [_random_patch(rng, rng.choice(ids), float(step)) for _ in range(rng.randint(1, 5))]
        plain = [p._replace() for p in patches]
        fast_path_taken += sum(
            p.delta and (r := fast.get(p.id)) is not None and r.state is TaskState.RUNNING for p in patches
        )
        whole_adds += sum(p.full and p.id not in fast for p in patches)
        assert fast.apply(patches) == general.apply(plain), step
        assert fast.counts() == general.counts(), step
        for states in (frozenset({TaskState.RUNNING}), frozenset(TaskState)):
            assert fast.mean_progress(states) == general.mean_progress(states), step
    assert fast.ids() == general.ids()
    for tid in fast.ids():
        a, b = fast.get(tid), general.get(tid)
        assert a is not None
        assert b is not None
        assert _state_of(a, 800.0) == _state_of(b, 800.0), tid
    assert fast_path_taken > 100  # the history did exercise the fast paths
    assert whole_adds > 10
