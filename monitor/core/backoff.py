"""Reconnect policy: exponential backoff with jitter, server ``retry:``, ``Retry-After``, reset.

Pure: the clock and the random source are injected, so every rule is tested without a loop.

Rules (seed 000's parameters, and what the best clients do beyond them):

* the base delay is the server's ``retry:`` value when it sent one (with a floor, so ``retry: 0``
  cannot make a client spin, and a ceiling at the maximum interval), else ``reconnect_interval``;
* attempt *n* waits ``base * decay ** (n - 1)``, capped at ``max_interval``;
* every delay gets jitter (uniform, a window of ``jitter`` of itself), so a thousand clients cut
  off by one server restart do not come back in the same millisecond. The window lies above the
  delay while that stays within the cap, else it ends at the cap: a jittered delay never exceeds
  ``max_interval`` (it used to be added after the cap: up to 39 s for a 30 s cap), and delays at
  the cap are still spread;
* ``Retry-After`` is honoured as a minimum;
* attempts count against ``max_attempts`` (None: unlimited); :meth:`next_delay` returns None when
  they run out;
* a connection that stayed up for ``stable_after`` and delivered an event resets the attempt
  count, so a flaky hour does not leave a client at the maximum delay for ever. The default is
  5 s (it was 60 s: a proxy that cuts every stream after 30 s kept clients at the cap, 30-39 s
  per reconnect); a server that cuts at once, or sends nothing, still backs off.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

__all__ = ["MIN_RETRY_MS", "STABLE_AFTER_MS", "ReconnectPolicy"]

#: Floor for any delay (ms): a server's ``retry: 0`` must not make clients hammer it.
MIN_RETRY_MS = 250
#: Default ms a connection must stay up (and deliver an event) before the backoff resets.
STABLE_AFTER_MS = 5000


class ReconnectPolicy:
    """Decides how long to wait before each reconnect attempt.

    Args:
        reconnect_interval: Base delay in ms (seed ``reconnectInterval``).
        reconnect_decay: Growth factor per attempt (seed ``reconnectDecay``).
        max_interval: Cap in ms (seed ``maxReconnectInterval``).
        max_attempts: Attempts before giving up (seed ``maxReconnectAttempts``); None = unlimited.
        jitter: Fraction of each delay added at random (0 = none).
        stable_after: ms a connection must last (and deliver an event) to reset the attempt count.
        clock: Seconds, monotonic.
        rng: Random source for jitter.
    """

    def __init__(
        self,
        *,
        reconnect_interval: float = 1000,
        reconnect_decay: float = 1.5,
        max_interval: float = 30000,
        max_attempts: int | None = None,
        jitter: float = 0.3,
        stable_after: float = STABLE_AFTER_MS,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        if reconnect_decay < 1.0:
            raise ValueError("reconnect_decay must be >= 1")
        self.reconnect_interval = max(float(reconnect_interval), MIN_RETRY_MS)
        self.reconnect_decay = reconnect_decay
        self.max_interval = max(float(max_interval), self.reconnect_interval)
        self.max_attempts = max_attempts
        self.jitter = max(0.0, jitter)
        self.stable_after = stable_after
        self._clock = clock
        self._rng = rng or random.Random()
        self._server_retry: float | None = None
        self._connected_at: float | None = None
        self.attempt = 0

    @property
    def base_delay_ms(self) -> float:
        """The current base: the server's ``retry:`` (clamped) or ``reconnect_interval``."""
        if self._server_retry is not None:
            return min(max(self._server_retry, MIN_RETRY_MS), self.max_interval)
        return self.reconnect_interval

    def set_server_retry(self, ms: int | None) -> None:
        """Apply a ``retry:`` field (None forgets it); clamped to the maximum interval at once.

        Clamped before ``float()``: a 309-digit value overflows it.
        """
        self._server_retry = None if ms is None else float(min(ms, self.max_interval))

    def connected(self) -> None:
        """A connection opened (the stable timer starts)."""
        self._connected_at = self._clock()

    def disconnected(self, *, delivered: bool = True) -> None:
        """The connection ended; reset the attempts if it had been stable.

        Args:
            delivered: Whether the connection delivered at least one event. One that only stayed
                open (a server that accepts and sends nothing) proves nothing.
        """
        if (
            delivered
            and self._connected_at is not None
            and (self._clock() - self._connected_at) * 1000 >= self.stable_after
        ):
            self.attempt = 0
        self._connected_at = None

    def reset(self) -> None:
        """Forget past failures (a user's "Retry now", or a healthy connection)."""
        self.attempt = 0

    @property
    def exhausted(self) -> bool:
        """True when no attempt is left."""
        return self.max_attempts is not None and self.attempt >= self.max_attempts

    def next_delay(self, retry_after: float | None = None) -> float | None:
        """Count one attempt and return its delay in seconds, or None when attempts ran out.

        Args:
            retry_after: Seconds from a ``Retry-After`` header, honoured as a minimum.
        """
        if self.exhausted:
            return None
        self.attempt += 1
        delay = min(self.base_delay_ms * self.reconnect_decay ** (self.attempt - 1), self.max_interval)
        # A window of jitter * delay: above the delay while within the cap, else ending at it.
        spread = delay * self.jitter
        low = max(min(delay, self.max_interval - spread), MIN_RETRY_MS)
        high = min(delay + spread, self.max_interval)
        seconds = (low + (high - low) * self._rng.random()) / 1000.0
        if retry_after is not None and retry_after > seconds:
            seconds = retry_after
        return seconds
