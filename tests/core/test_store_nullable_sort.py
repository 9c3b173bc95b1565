"""The fast path for empty-able sort columns orders exactly like the reference (value, None last)."""

from __future__ import annotations

import random

import pytest

from monitor.core.news import TaskPatch
from monitor.core.protocol import TaskState
from monitor.core.store import NULLABLE_KEYS, SORT_KEYS, TaskStore
from tests.task_patches import random_full_patch


def _reference(store: TaskStore, key: str, descending: bool) -> list[str]:
    recs = sorted((store.get(i) for i in store.ids()), key=lambda r: r.created_at)  # type: ignore[union-attr]
    k = SORT_KEYS[key]
    if descending:
        recs.sort(key=lambda r: (not k(r)[0], k(r)[1]) if isinstance(k(r), tuple) else k(r), reverse=True)
    else:
        recs.sort(key=k)
    return [r.id for r in recs]  # type: ignore[union-attr]


@pytest.mark.parametrize("key", sorted(NULLABLE_KEYS))
@pytest.mark.parametrize("descending", [False, True])
def test_matches_reference(key: str, descending: bool) -> None:
    rng = random.Random(f"{key}{descending}")
    store = TaskStore()
    patches = [random_full_patch(rng, i, created_at=float(rng.randint(0, 50))) for i in range(400)]
    store.apply(patches)
    store.set_sort(key, descending)
    assert store.view_rows() == _reference(store, key, descending)


def test_mean_progress_of_states() -> None:
    store = TaskStore()
    store.apply(
        [
            TaskPatch(id="a", received_at=1.0, full=True, name="a", state=TaskState.RUNNING, progress=20.0),
            TaskPatch(
                id="b", received_at=1.0, full=True, name="b", state=TaskState.CANCELLING, progress=60.0
            ),
            TaskPatch(id="c", received_at=1.0, full=True, name="c", state=TaskState.QUEUED, progress=0.0),
        ]
    )
    assert store.mean_progress([TaskState.RUNNING, TaskState.CANCELLING]) == 40.0
    assert store.mean_progress([TaskState.PAUSED]) is None
