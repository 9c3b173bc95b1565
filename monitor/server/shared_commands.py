"""Commands shared by several replicas: posted to any, run once, on whichever replica has a slot.

``POST /api/commands`` on any replica adds the command to the stream ``P:commands`` with one Lua
script that first sets ``P:cmd:<command_id>`` with ``NX`` (kept 24 h): the same command id posted
again, to this replica or another, adds nothing and is not run again. Every replica reads the
stream through the consumer group ``runners`` (``XREADGROUP ... >``), so each entry goes to one
replica, which hands it to its local :class:`~monitor.server.scheduler.CommandScheduler` (acks,
timeouts, retries, cancellation as before) and ``XACK``\\s it once the final ack is out. The acks
are events in the shared log, so they reach the client whichever replica holds its stream.
``GET /api/commands/{id}`` on a replica that does not hold the command answers from
``P:cmdview:<id>`` (``accepted``, then the final state; kept 24 h); ``DELETE`` there publishes the
id on ``P:cancel``, and the replica holding the command cancels it.

**Lease.** A replica renews the entries it runs every third of the lease (``XCLAIM ... JUSTID``
resets their idle time). Every replica looks for entries idle longer than the lease
(``XAUTOCLAIM``, before each blocking read of up to half a lease): those of a replica that died
(kill -9, a lost machine) are taken over and run again there (the client gets a second
``accepted``; ``attempt`` starts at 1 there again). So a command whose replica died gets its
final ack within about one and a half leases plus its run time (tests/scale/test_replicas.py
kills a replica mid-run); a command is run at least once and, short of a replica dying
mid-run, exactly once.

A replica that stops gracefully stops reading first, then cancels what it runs (``cancelled``,
"server shutting down") as a single server does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from typing import Any, cast

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff

from monitor.core.protocol import CommandRequest, CommandStatus, CommandView
from monitor.server.log import LogWriteError
from monitor.server.redis_log import cancel_requested
from monitor.server.scheduler import CommandScheduler

__all__ = ["SharedCommands"]

_log = logging.getLogger(__name__)

_GROUP = "runners"
#: How long a command id stays known (a repeat within it is not run again).
_DEDUPE_MS = 24 * 3600 * 1000
#: Entries kept in the commands stream (acknowledged ones are only history).
_MAX_COMMANDS = 10_000

# KEYS: stream, dedupe key, view key. ARGV: command JSON, dedupe ttl ms, maxlen, view JSON.
# 1 if added, 0 if the command id is known.
_SUBMIT = """
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then return 0 end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'c', ARGV[1])
redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[2])
return 1
"""


def _list(reply: object) -> list[Any]:
    """A redis-py reply typed as the list it is (its stubs say bytes-or-str-or-list)."""
    return cast(list[Any], reply)


class SharedCommands:
    """The :class:`~monitor.server.state.CommandIntake` of a replica on Redis (see the module docstring).

    Args:
        url: The Redis URL.
        prefix: The key prefix (the log's).
        scheduler: This replica's scheduler, which runs what this replica claims.
        slots: Commands this replica holds at once (its scheduler's concurrency).
        lease_ms: How long a claimed command may go without renewal before another replica takes
            it over.
    """

    def __init__(
        self, url: str, *, prefix: str, scheduler: CommandScheduler, slots: int, lease_ms: int = 10_000
    ) -> None:
        """See the class docstring."""
        if lease_ms < 100:
            raise ValueError("lease_ms must be at least 100")
        self._url = url
        self._stream = f"{prefix}:commands"
        self._dedupe = f"{prefix}:cmd:"
        self._views = f"{prefix}:cmdview:"
        self._cancels = f"{prefix}:cancel"
        self._scheduler = scheduler
        self._slots = asyncio.Semaphore(slots)
        self._lease_ms = lease_ms
        #: This replica's consumer name in the group.
        self.consumer = "replica-" + secrets.token_hex(6)
        self._aio: aioredis.Redis | None = None
        self._reader: asyncio.Task[None] | None = None
        self._renewer: asyncio.Task[None] | None = None
        self._runs: dict[str, asyncio.Task[None]] = {}
        self._cancelling: set[asyncio.Task[bool]] = set()
        self._listener: asyncio.Task[None] | None = None
        self._stopping = False
        #: Entries this replica took over from a replica that stopped renewing them.
        self.taken_over = 0

    def _client(self) -> aioredis.Redis:
        if self._aio is None:
            # Blocking reads take up to a lease: the socket timeout must be longer.
            self._aio = aioredis.Redis.from_url(
                self._url,
                decode_responses=True,
                socket_timeout=self._lease_ms / 1000 + 5,
                retry=AsyncRetry(NoBackoff(), 0),  # a submit must not run its script twice
            )
        return self._aio

    async def submit(self, request: CommandRequest, *, client_id: str | None) -> str:
        """Queue the command for whichever replica claims it (once per command id).

        Raises:
            LogWriteError: Redis refused or is unreachable (the route answers 503).
        """
        command_id = request.command_id or "cmd_" + secrets.token_hex(8)
        body = request.model_dump(mode="json")
        body["command_id"] = command_id
        text = json.dumps({"request": body, "client_id": client_id})
        view = CommandView(
            command_id=command_id,
            action=request.action,
            task_id=request.task_id,
            client_id=client_id,
            status=CommandStatus.ACCEPTED,
            attempt=0,
            created_at=int(time.time() * 1000),
        )
        keys = (self._stream, self._dedupe + command_id, self._views + command_id)
        try:
            await self._client().eval(
                _SUBMIT, 3, *keys, text, _DEDUPE_MS, _MAX_COMMANDS, view.model_dump_json()
            )
        except redis.RedisError as exc:
            raise LogWriteError(exc) from exc
        return command_id

    async def view(self, command_id: str) -> CommandView | None:
        """Where a command posted to any replica is: ``accepted`` until its replica finished it,
        then its final state (kept 24 h). None if unknown or Redis is unreachable."""
        try:
            text = await self._client().get(self._views + command_id)
        except redis.RedisError as exc:
            _log.warning("shared commands: view of %s unavailable: %s", command_id, exc)
            return None
        return CommandView.model_validate_json(text) if text else None

    async def cancel(self, command_id: str) -> None:
        """Ask every replica to cancel ``command_id`` (the one holding it does; ``PUBLISH``, so a
        command no replica has claimed yet is not cancelled: it runs when claimed).

        Raises:
            LogWriteError: Redis is unreachable.
        """
        try:
            await self._client().publish(self._cancels, command_id)
        except redis.RedisError as exc:
            raise LogWriteError(exc) from exc

    async def _listen(self) -> None:
        """Cancel requests for commands this replica holds (one subscription per replica)."""
        backoff = 0.1
        while not self._stopping:
            try:
                async with self._client().pubsub() as pubsub:
                    await pubsub.subscribe(self._cancels)
                    backoff = 0.1
                    while not self._stopping:
                        # A short wait, so that a stop is seen within it (cancelling redis-py
                        # mid-command is what RedisLog.stop avoids).
                        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
                        if message is not None:
                            self._cancel_here(str(message["data"]))
            except Exception as exc:
                if self._stopping:
                    return
                if cancel_requested():
                    raise asyncio.CancelledError from exc
                _log.warning("shared commands: cancel channel failed (%s); again in %.1f s", exc, backoff)
                await asyncio.sleep(backoff)  # a retry timer while Redis is away
                backoff = min(backoff * 2, 5.0)

    def _cancel_here(self, command_id: str) -> None:
        record = self._scheduler.get(command_id)
        if record is None or record.status.is_final:
            return  # another replica's, or done already
        task = asyncio.get_running_loop().create_task(
            self._scheduler.cancel(command_id), name=f"monitor-cancel-{command_id}"
        )
        self._cancelling.add(task)
        task.add_done_callback(self._cancelling.discard)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Join the consumer group and start reading and renewing.

        Raises:
            RuntimeError: If already started.
        """
        if self._reader is not None:
            raise RuntimeError("SharedCommands already started")
        await self._join(self._client())
        loop = asyncio.get_running_loop()
        self._reader = loop.create_task(self._read(), name="monitor-commands-read")
        self._renewer = loop.create_task(self._renew(), name="monitor-commands-renew")
        self._listener = loop.create_task(self._listen(), name="monitor-commands-cancels")

    async def _join(self, client: aioredis.Redis) -> None:
        """Create the stream and the consumer group unless another replica did."""
        with contextlib.suppress(redis.ResponseError):  # BUSYGROUP: another replica made it
            await client.xgroup_create(self._stream, _GROUP, id="0", mkstream=True)

    async def stop_reading(self) -> None:
        """Claim nothing more (a graceful stop; the scheduler then cancels what runs)."""
        reader, renewer, listener = self._reader, self._renewer, self._listener
        self._reader = self._renewer = self._listener = None
        if reader is None:
            return
        self._stopping = True
        if renewer is not None:
            renewer.cancel()  # it sleeps between renewals
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
        if listener is not None:
            await asyncio.wait({listener}, timeout=1.0)  # it looks at _stopping every 0.2 s
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        # Close the connections under the pending XREADGROUP (see RedisLog.stop); cancel it only
        # if that did not end it.
        if self._aio is not None:
            await self._aio.connection_pool.disconnect()
        await asyncio.wait({reader}, timeout=1.0)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        if self._aio is not None:
            await self._aio.connection_pool.disconnect()  # fresh ones for the final XACKs

    async def aclose(self) -> None:
        """Stop reading, wait for the runs to finish (the scheduler's aclose ends them), close."""
        await self.stop_reading()
        runs = [*self._runs.values(), *self._cancelling]
        if runs:
            await asyncio.gather(*runs, return_exceptions=True)
        if self._aio is not None:
            await self._aio.aclose()
            self._aio = None

    # ------------------------------------------------------------------ internals

    async def _read(self) -> None:
        client = self._client()
        backoff = 0.1
        while not self._stopping:
            await self._slots.acquire()
            try:
                entries = await self._take_over(client)
                if not entries:
                    reply = await client.xreadgroup(
                        _GROUP, self.consumer, {self._stream: ">"}, count=1, block=self._lease_ms // 2
                    )
                    entries = _list(reply)[0][1] if reply else []
                backoff = 0.1
            except Exception as exc:
                self._slots.release()
                if self._stopping:
                    return
                if cancel_requested():
                    raise asyncio.CancelledError from exc
                _log.warning("shared commands: read failed (%s); retrying in %.1f s", exc, backoff)
                if "NOGROUP" in str(exc):  # Redis lost its data: the group goes with the stream
                    with contextlib.suppress(redis.RedisError):
                        await self._join(client)
                await asyncio.sleep(backoff)  # a retry timer while Redis is away
                backoff = min(backoff * 2, 5.0)
                continue
            if not entries or self._stopping:
                # Claimed while stopping: left pending, taken over after the lease.
                self._slots.release()
                continue
            entry_id, fields = entries[0]
            self._runs[entry_id] = asyncio.get_running_loop().create_task(
                self._run(entry_id, fields), name=f"monitor-command-{entry_id}"
            )

    async def _take_over(self, client: aioredis.Redis) -> list[Any]:
        """One entry whose replica stopped renewing it, claimed for this one (or none)."""
        reply = await client.xautoclaim(
            self._stream, _GROUP, self.consumer, min_idle_time=self._lease_ms, start_id="0-0", count=1
        )
        entries = [e for e in _list(reply)[1] if e and e[1] is not None]
        if entries:
            self.taken_over += 1
            _log.warning("shared commands: took over %s from a replica that stopped", entries[0][0])
        return entries

    async def _run(self, entry_id: str, fields: dict[str, str]) -> None:
        try:
            body = json.loads(fields["c"])
            request = CommandRequest.model_validate(body["request"])
            client_id = body.get("client_id")
            command_id = await self._scheduler.submit(request, client_id=client_id)
            record = await self._scheduler.wait_final(command_id)
            if record is not None:
                from monitor.server.routes.commands import command_view

                view = command_view(record).model_dump_json()
                with contextlib.suppress(redis.RedisError):
                    await self._client().set(self._views + command_id, view, px=_DEDUPE_MS)
        except (ValueError, KeyError, TypeError) as exc:
            _log.error("shared commands: entry %s is not a command, dropped: %s", entry_id, exc)
        finally:
            self._runs.pop(entry_id, None)
            self._slots.release()
        with contextlib.suppress(redis.RedisError):
            await self._client().xack(self._stream, _GROUP, entry_id)

    async def _renew(self) -> None:
        client = self._client()
        while True:
            await asyncio.sleep(self._lease_ms / 3000)  # the renewal period, not synchronisation
            ids = list(self._runs)
            if not ids:
                continue
            try:
                await client.xclaim(self._stream, _GROUP, self.consumer, 0, _list(ids), justid=True)
            except redis.RedisError as exc:
                if cancel_requested():
                    raise asyncio.CancelledError from exc
                _log.warning("shared commands: lease renewal failed: %s", exc)
