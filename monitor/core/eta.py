"""Smoothed per-task ETA.

The worker's own estimate wins when it sends one (it knows its workload); otherwise the rate of
progress is smoothed with an exponential moving average. Displayed text never flaps back to
"unknown" on a tick without news: the last estimate counts down until new data arrives. Pure: the
caller passes the time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

__all__ = [
    "DAY",
    "DURATION_PATTERNS",
    "WARMUP_SECONDS",
    "DurationUnit",
    "EtaKind",
    "EtaReading",
    "EtaTracker",
    "format_duration",
]

#: Seconds of samples needed before a rate-based estimate is shown ("estimating..." before).
WARMUP_SECONDS: Final = 3.0
#: Anything longer reads "> 1 day".
DAY: Final = 86_400.0
# Weight of the newest rate sample; 0.3 follows changes in ~3 samples without jitter.
_ALPHA: Final = 0.3


class EtaKind(StrEnum):
    """What the ETA cell shows."""

    NONE = "none"  # queued / never started: "-"
    ESTIMATING = "estimating"
    REMAINING = "remaining"
    OVER_DAY = "over_day"
    PAUSED = "paused"
    FINISHED = "finished"  # "-"


@dataclass(frozen=True, slots=True)
class EtaReading:
    """An ETA at one instant: ``seconds`` is set for ``REMAINING`` (and ``OVER_DAY``)."""

    kind: EtaKind
    seconds: float | None = None


class DurationUnit(StrEnum):
    """The largest unit of a duration, which picks its pattern."""

    SECONDS = "seconds"
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"


#: English patterns (``str.format`` fields ``d h m s``); the UI passes translated ones.
DURATION_PATTERNS: Final[dict[DurationUnit, str]] = {
    DurationUnit.SECONDS: "{s}s",
    DurationUnit.MINUTES: "{m}m {s:02d}s",
    DurationUnit.HOURS: "{h}h {m:02d}m",
    DurationUnit.DAYS: "{d}d {h}h",
}


def format_duration(
    seconds: float, pattern: Callable[[DurationUnit], str] = DURATION_PATTERNS.__getitem__
) -> str:
    """``42s``, ``3m 05s``, ``2h 07m``, ``1d 3h``: compact, monotone in width.

    Args:
        seconds: The duration (negative counts as 0).
        pattern: The pattern for a unit (the UI's translated one, e.g. ``{m}分{s:02d}秒``). A
            pattern that does not format (a bad translation) falls back to the English one.
    """
    s = max(0, round(seconds))
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    d, h = divmod(h, 24)
    if d:
        unit, fields = DurationUnit.DAYS, {"d": d, "h": h}
    elif h:
        unit, fields = DurationUnit.HOURS, {"h": h, "m": m}
    elif m:
        unit, fields = DurationUnit.MINUTES, {"m": m, "s": s}
    else:
        unit, fields = DurationUnit.SECONDS, {"s": s}
    try:
        return pattern(unit).format(**fields)
    except (KeyError, ValueError, IndexError):
        return DURATION_PATTERNS[unit].format(**fields)


class EtaTracker:
    """Estimate one task's remaining time from its progress samples."""

    __slots__ = (
        "_finished",
        "_first_at",
        "_last_at",
        "_last_progress",
        "_paused",
        "_rate",
        "_remaining",
        "_remaining_at",
        "_worker",
    )

    def __init__(self) -> None:
        self._first_at: float | None = None
        self._last_at: float | None = None
        self._last_progress: float | None = None
        self._rate: float | None = None  # percent per second, smoothed
        self._remaining: float | None = None  # the last estimate ...
        self._remaining_at: float | None = None  # ... and when it was made
        self._paused = False
        self._finished = False
        self._worker = False

    def observe(
        self,
        now: float,
        progress: float | None,
        *,
        worker_eta: float | None = None,
        paused: bool = False,
        finished: bool = False,
    ) -> None:
        """Feed one sample.

        Args:
            now: When the sample arrived (seconds, any monotone-ish clock).
            progress: 0-100 or None when the news did not carry progress.
            worker_eta: The worker's own estimate in seconds, if sent.
            paused: The task is paused (the clock stops; samples while paused do not count).
            finished: The task reached a terminal state.
        """
        self._finished = finished
        if finished:
            return
        if paused != self._paused:
            self._paused = paused
            # A pause breaks the rate: restart sampling from here so idle time is not averaged in.
            self._last_at = now if progress is not None else None
            self._last_progress = progress
            if not paused:
                self._remaining_at = now
            return
        if paused:
            return
        if worker_eta is not None:
            self._worker = True
            self._remaining, self._remaining_at = worker_eta, now
        if progress is None:
            return
        if self._first_at is None:
            self._first_at = now
        if self._last_at is not None and self._last_progress is not None and now > self._last_at:
            delta = progress - self._last_progress
            if delta >= 0:
                sample = delta / (now - self._last_at)
                self._rate = sample if self._rate is None else _ALPHA * sample + (1 - _ALPHA) * self._rate
            else:
                self._rate = None  # progress went back (a retry): start over
                self._first_at = now
        self._last_at, self._last_progress = now, progress
        if worker_eta is None and not self._worker and self._rate and self._rate > 0:
            self._remaining, self._remaining_at = (100.0 - progress) / self._rate, now

    def reading(self, now: float) -> EtaReading:
        """The ETA to show at ``now``."""
        if self._finished:
            return EtaReading(EtaKind.FINISHED)
        if self._paused:
            return EtaReading(EtaKind.PAUSED)
        if self._remaining is None or self._remaining_at is None:
            if self._first_at is None:
                return EtaReading(EtaKind.NONE)
            return EtaReading(EtaKind.ESTIMATING)
        if not self._worker and self._first_at is not None and now - self._first_at < WARMUP_SECONDS:
            return EtaReading(EtaKind.ESTIMATING)
        left = max(0.0, self._remaining - max(0.0, now - self._remaining_at))
        if left > DAY:
            return EtaReading(EtaKind.OVER_DAY, left)
        return EtaReading(EtaKind.REMAINING, left)
