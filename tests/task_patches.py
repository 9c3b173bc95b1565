"""Random full task patches whose optional fields are sometimes empty (sort and column tests)."""

from __future__ import annotations

import random

from monitor.core.news import TaskPatch
from monitor.core.protocol import TaskError, TaskState

__all__ = ["random_full_patch", "running_alpha"]


def random_full_patch(rng: random.Random, i: int, *, created_at: float) -> TaskPatch:
    """Task ``t{i}`` as a full snapshot entry: every column's value drawn from ``rng``."""
    started = rng.choice([None, float(rng.randint(0, 20))])
    return TaskPatch(
        id=f"t{i}",
        received_at=1.0,
        full=True,
        name=f"n{rng.randint(0, 10**6)}",
        kind=rng.choice(["Transcribe", "align", "export"]),
        state=rng.choice(list(TaskState)),
        progress=float(rng.randint(0, 99)),
        created_at=created_at,
        started_at=started,
        finished_at=None if started is None or rng.random() < 0.5 else started + rng.randint(0, 5),
        updated_at=20.0 + rng.randint(0, 30),
        attempt=rng.randint(1, 3),
        eta=rng.choice([None, float(rng.randint(0, 9))]),
        worker=rng.choice([None, "GPU-1", "gpu-1", "gpu-2"]),
        error=rng.choice([None, TaskError(message=rng.choice(["a", "B", "b"]))]),
    )


def running_alpha(**fields: object) -> TaskPatch:
    """Task ``a`` ("alpha.wav"), running at 10 % since t=1: the first row of the table tests."""
    base: dict[str, object] = {
        "id": "a",
        "received_at": 1.0,
        "name": "alpha.wav",
        "state": TaskState.RUNNING,
        "progress": 10.0,
        "created_at": 1.0,
    }
    return TaskPatch(**{**base, **fields})  # type: ignore[arg-type]
