"""What the activity charts draw: finished tasks per minute, and each task's progress over time.

Both are bounded whatever arrives: :class:`Throughput` keeps one bucket per minute for the last
``minutes``; :class:`ProgressTrails` keeps at most ``samples`` points per task (one per
``spacing_s`` seconds at the most, older points thinned rather than dropped, so a long task keeps
its whole shape) for the ``tasks`` most recently updated tasks.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from typing import Final

__all__ = ["MinuteBucket", "ProgressTrails", "Throughput"]

_MINUTE: Final = 60.0


@dataclass(frozen=True, slots=True)
class MinuteBucket:
    """Tasks that finished in one minute (``start`` is its first second, Unix time)."""

    start: float
    completed: int = 0
    failed: int = 0


class Throughput:
    """Completed and failed tasks per minute over the last ``minutes`` minutes."""

    def __init__(self, minutes: int = 30) -> None:
        if minutes < 1:
            raise ValueError("minutes must be at least 1")
        self.minutes = minutes
        self._counts: dict[int, list[int]] = {}  # minute number -> [completed, failed]

    def note(self, at: float, *, failed: bool) -> None:
        """A task finished at ``at`` (Unix seconds)."""
        minute = int(at // _MINUTE)
        self._counts.setdefault(minute, [0, 0])[1 if failed else 0] += 1
        if len(self._counts) > self.minutes:
            for old in sorted(self._counts)[: len(self._counts) - self.minutes]:
                del self._counts[old]

    def buckets(self, now: float) -> list[MinuteBucket]:
        """The last ``minutes`` minutes up to ``now``, oldest first (empty minutes included)."""
        last = int(now // _MINUTE)
        out = []
        for minute in range(last - self.minutes + 1, last + 1):
            completed, failed = self._counts.get(minute, (0, 0))
            out.append(MinuteBucket(minute * _MINUTE, completed, failed))
        return out


class ProgressTrails:
    """Progress samples (time, 0-100) per task, bounded in tasks and in points per task."""

    def __init__(self, *, tasks: int = 256, samples: int = 120, spacing_s: float = 1.0) -> None:
        if tasks < 1 or samples < 4:
            raise ValueError("tasks must be >= 1 and samples >= 4")
        self._max_tasks = tasks
        self._max_samples = samples
        self._spacing = spacing_s
        self._trails: collections.OrderedDict[str, list[tuple[float, float]]] = collections.OrderedDict()

    def note(self, task_id: str, at: float, progress: float) -> bool:
        """Record ``progress`` of ``task_id`` at ``at``; True if the trail changed."""
        trail = self._trails.get(task_id)
        if trail is None:
            trail = self._trails[task_id] = []
            if len(self._trails) > self._max_tasks:
                self._trails.popitem(last=False)  # the task not updated for the longest time
        else:
            self._trails.move_to_end(task_id)
        if trail and trail[-1][1] == progress:
            return False  # no change: the line goes on flat to the next point
        if len(trail) >= 2 and at - trail[-2][0] < self._spacing:
            trail[-1] = (at, progress)  # within the spacing: the newest value wins
            return True
        trail.append((at, progress))
        if len(trail) > self._max_samples:
            # Keep the first point and every other one of the rest: the shape stays, the count halves.
            trail[:] = trail[:1] + trail[2::2] + ([trail[-1]] if len(trail) % 2 == 0 else [])
        return True

    def trail(self, task_id: str) -> list[tuple[float, float]]:
        """The samples of ``task_id``, oldest first (empty if none are kept)."""
        return list(self._trails.get(task_id, ()))

    def forget(self, task_id: str) -> None:
        """The task left the list."""
        self._trails.pop(task_id, None)

    def __len__(self) -> int:
        return len(self._trails)
