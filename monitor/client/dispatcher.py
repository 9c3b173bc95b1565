"""Event dispatcher: seed 004's ``EventDispatcher``, done right.

* ``subscribe(type | [types] | "*", handler, priority=, once=)`` returns an unsubscribe callable;
* handlers run in priority order (highest first; equal priorities in subscription order);
* a handler that raises is logged and never stops the others;
* handlers may be plain functions or coroutine functions (awaited as tasks the dispatcher owns);
* default handlers run when nobody subscribed to a type;
* a bounded history of recent events.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ALL", "Dispatcher", "Handler"]

_log = logging.getLogger(__name__)

ALL = "*"
_NONE: list[Any] = []  # shared "no subscribers" bucket (never mutated), not a new list per event
Handler = Callable[[Any], Any]


@dataclass(order=True)
class _Sub:
    sort_key: tuple[int, int]
    handler: Handler = field(compare=False)
    once: bool = field(compare=False, default=False)
    active: bool = field(compare=False, default=True)
    # The subscription's remover: a ``once`` handler subscribed to several types must be
    # removed from every bucket after its first call, not once per type.
    remove: Callable[[], None] | None = field(compare=False, default=None)


class Dispatcher:
    """Routes events by type to subscribed handlers.

    Args:
        history_size: How many recent events :attr:`history` keeps (seed 004: 50).
    """

    def __init__(self, history_size: int = 50) -> None:
        self._subs: dict[str, list[_Sub]] = {}
        self._defaults: list[Handler] = []
        self._counter = itertools.count()
        self.history: deque[tuple[str, Any]] = deque(maxlen=history_size)
        self._tasks: set[asyncio.Task[Any]] = set()
        self.errors = 0

    def subscribe(
        self, types: str | Iterable[str], handler: Handler, *, priority: int = 0, once: bool = False
    ) -> Callable[[], None]:
        """Call ``handler(event)`` for events of ``types`` (``"*"``: every type).

        Returns:
            A callable that unsubscribes (idempotent).
        """
        names = [types] if isinstance(types, str) else list(types)
        subs: list[tuple[str, _Sub]] = []
        for name in names:
            sub = _Sub((-priority, next(self._counter)), handler, once)
            bucket = self._subs.setdefault(name, [])
            bucket.append(sub)
            bucket.sort()
            subs.append((name, sub))

        def unsubscribe() -> None:
            for name, sub in subs:
                sub.active = False
                bucket = self._subs.get(name)
                if bucket and sub in bucket:
                    bucket.remove(sub)

        for _, sub in subs:
            sub.remove = unsubscribe
        return unsubscribe

    def once(self, types: str | Iterable[str], handler: Handler, *, priority: int = 0) -> Callable[[], None]:
        """Like :meth:`subscribe` but removed after the first call."""
        return self.subscribe(types, handler, priority=priority, once=True)

    def set_default(self, handler: Handler) -> Callable[[], None]:
        """Add a handler for events nobody subscribed to; returns its remover."""
        self._defaults.append(handler)
        return lambda: self._defaults.remove(handler) if handler in self._defaults else None

    def has_subscribers(self, event_type: str) -> bool:
        """Whether anything listens to ``event_type`` (or to every type)."""
        return bool(self._subs.get(event_type) or self._subs.get(ALL))

    def dispatch(self, event_type: str, event: Any) -> int:
        """Deliver one event; returns how many handlers ran."""
        self.history.append((event_type, event))
        specific = self._subs.get(event_type, _NONE)
        wildcard = self._subs.get(ALL, _NONE)
        subs = sorted(specific + wildcard) if wildcard and specific else (specific or wildcard)
        if not subs:
            if not self._defaults:
                return 0
            for handler in list(self._defaults):
                self._call(handler, event)
            return len(self._defaults)
        ran = 0
        for sub in list(subs):
            if not sub.active:
                continue
            if sub.once and sub.remove is not None:
                sub.remove()
            self._call(sub.handler, event)
            ran += 1
        return ran

    def _call(self, handler: Handler, event: Any) -> None:
        try:
            result = handler(event)
        except Exception:  # noqa: BLE001 - one handler raising never stops the others
            self.errors += 1
            _log.exception("event handler %r failed", handler)
            return
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)  # type: ignore[arg-type,unused-ignore]
        if not task.cancelled() and task.exception() is not None:
            self.errors += 1
            _log.error("async event handler failed", exc_info=task.exception())

    async def aclose(self) -> None:
        """Cancel and await handler tasks still running."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
