"""External executors shared by several replicas: the bridge polls one, the command runs on another.

With replicas on Redis a command on an executor's task runs on whichever replica claimed it
(:mod:`monitor.server.shared_commands`), while the executor (``monitor bridge celery``) long-polls
whichever replica the load balancer gave it. :class:`SharedExecutors` keeps
:class:`~monitor.server.executors.ExecutorRegistry`'s contract and carries the three steps
through Redis (``P`` = the store prefix):

1. the running replica pushes the offer on ``P:exec:<name>`` (a list) and waits for the verdict;
2. the executor's claim, on any replica, pops offers from that list (and marks each
   ``P:claimed:<command id>``, 10 min) and returns them; every claim keeps ``P:executor:<name>``
   alive for :data:`~monitor.server.executors.PRESENCE_S` (``connected`` on every replica);
3. the executor's answer, on any replica, pushes the verdict on ``P:verdict:<command id>``; the
   running replica applies it and pushes the outcome on ``P:applied:<command id>``, which the
   answering request returns (the task, a refusal, or 409).

Waits poll Redis every :data:`POLL_S` with short commands and sleep in between, never a blocking
Redis call that a cancellation could interrupt (see :meth:`monitor.server.redis_log.RedisLog.stop`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any, cast

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff

from monitor.core.executor import ExecutorCommand, ExecutorVerdict
from monitor.core.protocol import Task
from monitor.server.executors import CLAIM_LIMIT, PRESENCE_S, CommandGone, ExecutorRegistry
from monitor.server.log import LogWriteError
from monitor.server.scheduler import CommandRejected

__all__ = ["POLL_S", "SharedExecutors"]

#: How often a wait looks at Redis again.
POLL_S = 0.05
#: How long claim marks, verdicts and outcomes are kept.
_KEEP_MS = 600_000
#: How long an answer waits for the running replica to apply the verdict.
_APPLY_WAIT_S = 60.0


class SharedExecutors(ExecutorRegistry):
    """An :class:`~monitor.server.executors.ExecutorRegistry` whose offers, claims and verdicts
    live in Redis (see the module docstring)."""

    def __init__(self, url: str, *, prefix: str, presence_s: float = PRESENCE_S) -> None:
        """Use the Redis at ``url`` under ``prefix``."""
        super().__init__(presence_s=presence_s)
        self._url = url
        self._prefix = prefix
        self._client: aioredis.Redis | None = None

    def _redis(self) -> aioredis.Redis:
        if self._client is None:
            self._client = aioredis.Redis.from_url(
                self._url, decode_responses=True, socket_timeout=5.0, retry=AsyncRetry(NoBackoff(), 0)
            )
        return self._client

    def _key(self, kind: str, ident: str) -> str:
        return f"{self._prefix}:{kind}:{ident}"

    async def aclose(self) -> None:
        """Close the Redis connection (after :meth:`close`)."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # ------------------------------------------------------------------ the executor's side

    async def claim(self, name: str, wait_s: float) -> list[ExecutorCommand]:
        """The commands offered to ``name`` by any replica, waiting up to ``wait_s`` for one."""
        client = self._redis()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while True:
            try:
                await client.set(self._key("executor", name), "1", px=int(self._presence_s * 1000))
                popped = await client.lpop(self._key("exec", name), CLAIM_LIMIT)
            except redis.RedisError as exc:
                raise LogWriteError(exc) from exc
            texts = cast(list[str], popped or [])
            if texts or self._closed or loop.time() >= deadline:
                return await self._mark_claimed(name, texts)
            await asyncio.sleep(POLL_S)  # a long poll over Redis: look again shortly

    async def _mark_claimed(self, name: str, texts: list[str]) -> list[ExecutorCommand]:
        out = [ExecutorCommand.model_validate_json(text) for text in texts]
        if out:
            pipe = self._redis().pipeline(transaction=False)
            for command in out:
                pipe.set(self._key("claimed", command.command_id), name, px=_KEEP_MS)
            await pipe.execute()
        return out

    async def answer(self, name: str, command_id: str, verdict: ExecutorVerdict) -> Task | None:
        """Hand the verdict to the replica running the command; return what it made of it.

        Raises:
            CommandGone: Not a command claimed by ``name``, already answered, or given up.
            CommandRejected: The verdict was ``ok`` but the task no longer allows the command.
        """
        client = self._redis()
        try:
            claimed = await client.getdel(self._key("claimed", command_id))
            if claimed != name:
                raise CommandGone(f"command {command_id!r} is not waiting for executor {name!r}")
            await client.rpush(self._key("verdict", command_id), verdict.model_dump_json())
            await client.pexpire(self._key("verdict", command_id), _KEEP_MS)
            outcome = await self._pop_when_there(self._key("applied", command_id), _APPLY_WAIT_S)
        except redis.RedisError as exc:
            raise LogWriteError(exc) from exc
        if outcome is None or "gone" in outcome:
            raise CommandGone(f"command {command_id!r} was given up")
        if "rejected" in outcome:
            raise CommandRejected(str(outcome["rejected"]))
        return Task.model_validate(outcome["task"]) if outcome.get("task") is not None else None

    # ------------------------------------------------------------------ the running replica's side

    async def forward(
        self, name: str, command: ExecutorCommand, apply: Callable[[], Awaitable[Task]]
    ) -> Task:
        """Offer ``command`` to ``name`` through Redis; on an ``ok`` verdict, ``apply`` it.

        Raises:
            CommandRejected: Executor not connected (on any replica), its refusal, or ``apply``'s.
        """
        client = self._redis()
        offers = self._key("exec", name)
        text = command.model_dump_json()
        if not await client.exists(self._key("executor", name)):
            raise CommandRejected(
                f"the {name} executor that runs this task is not connected (is `monitor bridge` running?)"
            )
        await client.rpush(offers, text)
        outcome: dict[str, Any] = {"gone": "given up"}
        try:
            found = await self._pop_when_there(self._key("verdict", command.command_id), None)
            assert found is not None  # no deadline: the command's own timeout ends the wait
            verdict = ExecutorVerdict.model_validate(found)
            if not verdict.ok:
                outcome = {"task": None}
                raise CommandRejected(verdict.reason or f"the {name} executor refused the command")
            try:
                task = await apply()
            except CommandRejected as exc:
                outcome = {"rejected": str(exc)}
                raise
            outcome = {"task": task.model_dump(mode="json")}
            return task
        finally:
            # Timed out or cancelled while offered or claimed: the late answer learns it is gone.
            with contextlib.suppress(redis.RedisError):
                await client.lrem(offers, 0, text)
                applied = self._key("applied", command.command_id)
                await client.rpush(applied, json.dumps(outcome))
                await client.pexpire(applied, _KEEP_MS)

    async def _pop_when_there(self, key: str, timeout_s: float | None) -> dict[str, Any] | None:
        """The JSON object pushed on ``key``, looking every :data:`POLL_S` (None after the timeout)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout_s is None else loop.time() + timeout_s
        while True:
            text = await self._redis().lpop(key)
            if text is not None:
                return cast(dict[str, Any], json.loads(str(text)))
            if deadline is not None and loop.time() >= deadline:
                return None
            await asyncio.sleep(POLL_S)  # polling Redis, bounded by the deadline or the command
