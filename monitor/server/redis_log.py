"""The event log, task rows and idempotency keys in Redis, shared by several server replicas.

Keys (``P`` = the prefix, ``{monitor}`` by default: the braces put every key in one Redis Cluster
slot, so the Lua scripts may touch them all):

* ``P:meta`` (hash): ``epoch``, ``seq`` (the last sequence number given out), ``run`` (the
  ``run_id`` of the Redis process the epoch belongs to);
* ``P:events`` (stream): one entry per event, ``XADD ... MAXLEN ~ max_events``;
* ``P:tasks`` (hash): task id -> task JSON;
* ``P:idem:<key>`` (string, with a TTL): the sequence number an idempotent publish got.

**Id mapping.** The protocol's ids are ``<epoch>-<seq>`` with ``seq`` counting 1, 2, 3... with no
gaps (``docs/protocol.md``). The publish script takes ``seq`` from ``HINCRBY P:meta seq 1`` and
adds the entry with the explicit stream id ``0-<seq>``, so the stream id *is* the sequence number
and ``XRANGE (0-<seq> +`` is "everything after this cursor". The epoch lives in ``P:meta`` and
is rotated (with the stream emptied) when the meta hash is gone, or when Redis restarted and its
persistence could have lost acknowledged writes (anything but ``appendonly yes`` with
``appendfsync always``): a cursor from before is then from another epoch and gets a ``reset``,
never a silent gap. Task rows survive such a restart as far as the AOF kept them.

**One script per publish.** ``XADD`` with the id, the epoch check, the event id stamped into the
data, the task rows the change stored (``HSET``/``HDEL``, and the rows ride along in the entry so
other replicas can update their caches), and the idempotency key (``GET`` first, ``SET ... PX``
after) run in one ``EVALSHA``: a retry with the same key never adds a second entry, and a task
row never exists without the event that announced it.

**The mirror.** Each replica keeps the retained window in memory (a :class:`MemoryLog`), loaded
at start with ``XREVRANGE`` and then fed in order by one blocking ``XREAD`` loop. Appends go
through the synchronous client (a loopback round trip, about 0.1 ms) and catch the mirror up to
the new entry before returning, so :meth:`RedisLog.append` and :meth:`RedisLog.read_after` keep
the :class:`~monitor.server.log.EventLog` contract: they never await, a stream subscribes and
replays in one step, and a replica sees its own write at once. Events from other replicas reach
the hub through the ``XREAD`` loop (measured wake-up: under a millisecond on loopback).

When Redis is unreachable an append raises :class:`~monitor.server.log.LogWriteError` after the
socket timeout (the route answers ``503``), the loop retries with a capped backoff, and replays
still come from the mirror.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

from monitor.core.protocol import Task, stamp_event_id
from monitor.server.engine import ForeignRowsListener
from monitor.server.idempotency import StoredAnswer
from monitor.server.log import LogOpenError, LogRecord, LogWriteError, MemoryLog, new_epoch
from monitor.server.tasks import tasks_from_json

__all__ = [
    "RedisAnswers",
    "RedisLog",
    "RedisOwners",
    "RedisPresence",
    "RedisTaskStorage",
    "cancel_requested",
]

_log = logging.getLogger(__name__)

# KEYS: meta, stream, tasks[, idem]. ARGV: (unused), type, data (or the part after "{" when
# stamped), target, time, origin, maxlen, stamp (1/0), rows JSON ('' for none), idem ttl ms,
# n_saved, id1, json1, ..., n_removed, id1, ...
_PUBLISH = """
local meta, stream, tasks = KEYS[1], KEYS[2], KEYS[3]
local epoch = redis.call('HGET', meta, 'epoch')
if not epoch then return redis.error_reply('NOEPOCH the log is gone: open it again') end
if KEYS[4] then
  local prev = redis.call('GET', KEYS[4])
  if prev then return {epoch, tonumber(prev), 0} end
end
local seq = redis.call('HINCRBY', meta, 'seq', 1)
local data = ARGV[3]
if ARGV[8] == '1' then data = '{"id":"' .. epoch .. '-' .. seq .. '"' .. data end
local i = 12
for _ = 1, tonumber(ARGV[11]) do
  redis.call('HSET', tasks, ARGV[i], ARGV[i + 1])
  i = i + 2
end
local n = tonumber(ARGV[i])
i = i + 1
for _ = 1, n do
  redis.call('HDEL', tasks, ARGV[i])
  i = i + 1
end
local fields = {'e', epoch, 't', ARGV[2], 'd', data, 'g', ARGV[4], 'ts', ARGV[5], 'o', ARGV[6]}
if ARGV[9] ~= '' then
  fields[#fields + 1] = 'r'
  fields[#fields + 1] = ARGV[9]
end
redis.call('XADD', stream, 'MAXLEN', '~', ARGV[7], '0-' .. seq, unpack(fields))
if KEYS[4] then redis.call('SET', KEYS[4], seq, 'PX', ARGV[10]) end
return {epoch, seq, 1}
"""

# KEYS: meta, stream. ARGV: fresh epoch, this Redis run_id, 1 if no acknowledged write can be
# lost across a restart (AOF with fsync always). Returns {epoch, seq}.
_OPEN = """
local meta, stream = KEYS[1], KEYS[2]
local epoch = redis.call('HGET', meta, 'epoch')
local run = redis.call('HGET', meta, 'run')
if not epoch or (run ~= ARGV[2] and ARGV[3] ~= '1') then
  epoch = ARGV[1]
  redis.call('DEL', stream)
  redis.call('HSET', meta, 'epoch', epoch)
  redis.call('HSETNX', meta, 'seq', 0)
end
redis.call('HSET', meta, 'run', ARGV[2])
return {epoch, tonumber(redis.call('HGET', meta, 'seq'))}
"""

#: Entries per ``XREAD`` / ``XRANGE`` call.
_BATCH = 512
#: How long one ``XREAD`` blocks before the loop checks the epoch and age retention.
_BLOCK_MS = 2_000
#: How often a replica says it is alive with the clients it serves, and how long that holds.
PRESENCE_REFRESH_S = 5.0
PRESENCE_TTL_S = 30.0
#: How long :meth:`RedisLog.append_once` remembers a key.
_IDEM_TTL_MS = 300_000


#: Stream entries as redis-py returns them with ``decode_responses=True``.
_Entries = list[tuple[str, dict[str, str]]]


def _entries(reply: object) -> _Entries:
    """Type the reply of ``XRANGE`` / ``XREVRANGE`` (redis-py types it as bytes-or-str)."""
    return cast(_Entries, reply or [])


def _redacted(url: str) -> str:
    """``url`` without its password (``redis://:secret@host`` is how Redis URLs carry one)."""
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    return f"{scheme}{sep}{'***@' if at else ''}{host}" if creds or at else url


def cancel_requested() -> bool:
    """True if the running task is being cancelled.

    redis-py's asyncio client can answer a cancellation that lands mid-command with a
    ``ConnectionError`` (it drops the connection), so a loop that retries on errors must ask
    before it retries, or a cancelled loop runs on and ``stop()`` waits for it forever.
    """
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _seq_of(entry_id: str) -> int:
    return int(entry_id.partition("-")[2])


class RedisLog(MemoryLog):
    """A :class:`~monitor.server.engine.LogEngine` over Redis Streams (see the module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "{monitor}",
        max_events: int = 100_000,
        max_age_s: float | None = 7 * 24 * 3600.0,
        clock: Callable[[], float] = time.time,
        socket_timeout_s: float = 2.0,
        block_ms: int = _BLOCK_MS,
    ) -> None:
        """Connect, check or rotate the epoch, and load the retained window into the mirror.

        Raises:
            LogOpenError: Redis is unreachable or refused the set-up (one line saying which).
        """
        super().__init__(max_events=max_events, max_age_s=max_age_s, clock=clock, epoch="-")
        self.url = url
        self.origin = secrets.token_hex(6)
        self._keys = (f"{prefix}:meta", f"{prefix}:events", f"{prefix}:tasks")
        self._idem_prefix = f"{prefix}:idem:"
        self._block_ms = block_ms
        options: dict[str, Any] = {
            "decode_responses": True,
            "socket_timeout": socket_timeout_s,
            "socket_connect_timeout": socket_timeout_s,
        }
        # No retries inside redis-py (its default retries 3 times): a publish whose reply was
        # lost must not run its script a second time, and the loops retry on their own terms.
        self._sync = redis.Redis.from_url(url, retry=Retry(NoBackoff(), 0), **options)
        # The XREAD loop blocks up to block_ms: its reads may take that long.
        self._aio_options = dict(
            options, socket_timeout=socket_timeout_s + block_ms / 1000, retry=AsyncRetry(NoBackoff(), 0)
        )
        self._aio: aioredis.Redis | None = None
        self._publish = self._sync.register_script(_PUBLISH)
        self._open = self._sync.register_script(_OPEN)
        self._saved: dict[str, str] = {}
        self._removed: set[str] = set()
        self._rollback_listeners: list[Callable[[], None]] = []
        self._foreign: ForeignRowsListener | None = None
        self._epoch_listeners: list[Callable[[], None]] = []
        self._follower: asyncio.Task[None] | None = None
        self._stopping = False
        self._presence: RedisPresence | None = None
        self._presence_at = 0.0
        #: Entries the XREAD loop handed to the mirror (the rest came with this replica's appends).
        self.followed = 0
        try:
            self._connect()
        except redis.RedisError as exc:
            raise LogOpenError(
                f"cannot use the Redis store {_redacted(url)}: {exc} (is redis-server running there?)"
            ) from exc

    # ------------------------------------------------------------------ set-up and epoch

    def _durable_restarts(self) -> bool:
        """True if Redis keeps every acknowledged write across a crash (AOF, fsync always)."""
        try:
            conf = self._sync.config_get("append*")
        except redis.ResponseError:  # CONFIG disabled (managed Redis): assume the worst
            return False
        return bool(conf.get("appendonly") == "yes" and conf.get("appendfsync") == "always")

    def _connect(self) -> None:
        """Check the epoch against this Redis process and (re)load the mirror."""
        run_id = str(self._sync.info("server")["run_id"])
        epoch, seq = self._open(
            keys=self._keys[:2], args=[new_epoch(), run_id, "1" if self._durable_restarts() else "0"]
        )
        self._reset_mirror(str(epoch), int(seq))

    def _reset_mirror(self, epoch: str, seq: int) -> None:
        changed = self._epoch not in ("-", epoch)
        self._epoch = epoch
        self._events.clear()
        self._last_seq = 0
        entries = _entries(self._sync.xrevrange(self._keys[1], max="+", min="-", count=self._max_events))
        entries.reverse()
        records = [self._record(i, f) for i, f in entries if f.get("e") == epoch]
        if records:
            self._events.extend(records)
            self._last_seq = records[-1].seq
        self._last_seq = max(self._last_seq, seq)
        if changed:
            _log.warning("Redis log: epoch changed to %s (Redis lost or restarted); streams reset", epoch)
            for listener in list(self._rollback_listeners):
                listener()  # the task cache reloads from the hash
            for listener in list(self._epoch_listeners):
                listener()

    def _record(self, entry_id: str, fields: dict[str, str]) -> LogRecord:
        return LogRecord(
            seq=_seq_of(entry_id),
            id=f"{self._epoch}-{_seq_of(entry_id)}",
            type=fields.get("t", ""),
            data=fields.get("d", ""),
            target=fields.get("g") or None,
            time=float(fields.get("ts", 0.0)),
        )

    # ------------------------------------------------------------------ the mirror

    def _ingest(self, entries: Sequence[tuple[str, dict[str, str]]]) -> list[LogRecord]:
        """Add stream entries to the mirror in order (older or known ones are skipped)."""
        fresh: list[LogRecord] = []
        for entry_id, fields in entries:
            if fields.get("e") != self._epoch:
                continue  # a write of another epoch: the loop notices the rotation itself
            seq = _seq_of(entry_id)
            if seq <= self._last_seq:
                continue  # mirrored already (an append caught up, or the loop's read overlapped)
            if seq != self._last_seq + 1:
                # Trimmed away while this replica lagged: the window restarts here (cursors in
                # the gap are older than the window and get a reset, as the protocol says).
                self._events.clear()
            rec = self._record(entry_id, fields)
            self._events.append(rec)
            if len(self._events) > self._max_events:
                self._events.popleft()
            self._last_seq = seq
            fresh.append(rec)
            rows = fields.get("r")
            if rows and self._foreign is not None:
                # Another replica's change, or this one's whose reply was lost (a timeout after
                # Redis ran the script); an append that returned mirrored its entry without them.
                self._adopt(rec, rows)
        if fresh and self._on_commit is not None:
            self._on_commit(fresh)
        return fresh

    def _adopt(self, rec: LogRecord, rows: str) -> None:
        assert self._foreign is not None
        try:
            body = json.loads(rows)
            saved = [Task.model_validate(t) for t in body.get("s", [])]
            removed = [str(i) for i in body.get("d", [])]
        except ValueError as exc:
            _log.warning("Redis log: task rows from another replica skipped: %s", exc)
            return
        self._foreign(rec, saved, removed)

    def _catch_up(self, upto: int) -> None:
        """Mirror every entry up to ``upto`` (synchronously: an append returns after it)."""
        while self._last_seq < upto:
            entries = _entries(
                self._sync.xrange(self._keys[1], min=f"(0-{self._last_seq}", max=f"0-{upto}", count=_BATCH)
            )
            if not entries:
                self._last_seq = upto  # trimmed meanwhile: nothing left to mirror
                return
            before = self._last_seq
            self._ingest(entries)
            if self._last_seq == before:  # only another epoch's entries: never loop on them
                self._last_seq = _seq_of(entries[-1][0])

    # ------------------------------------------------------------------ EventLog

    def append(
        self, event_type: str, data: str, target: str | None = None, *, stamp_id: bool = False
    ) -> LogRecord:
        """Store one event in Redis (with the pending task rows) and mirror it before returning.

        Raises:
            LogWriteError: Redis refused or is unreachable; nothing was stored.
        """
        return self._append_keyed(event_type, data, target, stamp_id=stamp_id, idempotency_key=None)[0]

    def append_once(
        self, event_type: str, data: str, target: str | None, *, key: str, stamp_id: bool = False
    ) -> tuple[LogRecord, bool]:
        """Append unless an append with ``key`` happened within 5 minutes (on any replica).

        Returns:
            The record (the earlier one for a repeated key) and whether it is new.
        """
        if not key:
            raise ValueError("an idempotency key must not be empty")
        return self._append_keyed(event_type, data, target, stamp_id=stamp_id, idempotency_key=key)

    def _append_keyed(
        self, event_type: str, data: str, target: str | None, *, stamp_id: bool, idempotency_key: str | None
    ) -> tuple[LogRecord, bool]:
        body = data
        if stamp_id:
            text = data.lstrip()
            if not text.startswith("{"):
                raise ValueError("only a JSON object can carry an event id")
            rest = text[1:].lstrip()
            body = ("" if rest.startswith("}") else ",") + rest
        saved, removed = self._saved, self._removed
        self._saved, self._removed = {}, set()
        rows = ""
        if saved or removed:
            rows = '{"s":[' + ",".join(saved.values()) + '],"d":' + json.dumps(sorted(removed)) + "}"
        now = self._clock()
        args: list[str | int] = [
            "",
            event_type,
            body,
            target or "",
            repr(now),
            self.origin,
            self._max_events,
            "1" if stamp_id else "0",
            rows,
            _IDEM_TTL_MS,
            len(saved),
            *[x for item in saved.items() for x in item],
            len(removed),
            *sorted(removed),
        ]
        keys = list(self._keys)
        if idempotency_key is not None:
            keys.append(self._idem_prefix + idempotency_key)
        try:
            try:
                epoch, seq, new = self._publish(keys=keys, args=args)
            except redis.ResponseError as exc:
                if not str(exc).startswith("NOEPOCH"):
                    raise
                self._connect()  # Redis lost everything under us: a new epoch, then once more
                epoch, seq, new = self._publish(keys=keys, args=args)
            seq = int(seq)
            if str(epoch) != self._epoch:
                self._connect()
            if new and seq == self._last_seq + 1:
                # Nobody wrote in between: the entry is what we sent (no read back needed).
                fields = {"e": self._epoch, "t": event_type, "d": data, "g": target or "", "ts": repr(now)}
                if stamp_id:
                    fields["d"] = stamp_event_id(data, f"{self._epoch}-{seq}")
                self._ingest([(f"0-{seq}", fields)])
            else:
                self._catch_up(seq)
        except redis.RedisError as exc:
            # Nothing of this write exists in Redis (one script); the task service puts its
            # memory back itself when publish raises.
            error = LogWriteError(exc)
            _log.error("Redis log: write failed: %s", error.reason)
            raise error from exc
        return self._find(seq), bool(new)

    def _find(self, seq: int) -> LogRecord:
        if self._events and self._events[0].seq <= seq:
            rec = self._events[seq - self._events[0].seq]
            if rec.seq == seq:
                return rec
        entries = _entries(self._sync.xrange(self._keys[1], min=f"0-{seq}", max=f"0-{seq}"))
        if not entries:
            raise LogWriteError(LookupError(f"event {seq} vanished from the Redis stream"))
        return self._record(*entries[0])

    def _trim_redis_by_age(self) -> None:
        if self._max_age_s is None or not self._events:
            return
        self._sync.xtrim(self._keys[1], minid=f"0-{self._events[0].seq}", approximate=True)

    def flush(self) -> None:
        """Store task rows no event carried (each event is in Redis when append returns)."""
        if not (self._saved or self._removed):
            return
        saved, removed = self._saved, self._removed
        self._saved, self._removed = {}, set()
        try:
            pipe = self._sync.pipeline(transaction=True)
            for task_id, text in saved.items():
                pipe.hset(self._keys[2], task_id, text)
            if removed:
                pipe.hdel(self._keys[2], *removed)
            pipe.execute()
        except redis.RedisError as exc:
            raise LogWriteError(exc) from exc

    def close(self) -> None:
        """Store what is pending and drop the connections."""
        with contextlib.suppress(LogWriteError):
            self.flush()
        self._sync.close()

    # ------------------------------------------------------------------ LogEngine

    def task_storage(self) -> RedisTaskStorage:
        """Task rows in ``P:tasks``, written with the next event."""
        return RedisTaskStorage(self)

    def client_owners(self) -> RedisOwners:
        """Client-id ownership in ``P:owners``, one answer for every replica."""
        return RedisOwners(self._sync, self._keys[0].rpartition(":")[0] + ":owners")

    def presence(self) -> RedisPresence:
        """Clients connected to each replica, in ``P:online:<replica>`` (kept fresh by the
        ``XREAD`` loop, gone 30 s after the replica)."""
        if self._presence is None:
            self._presence = RedisPresence(self._sync, self._keys[0].rpartition(":")[0], self.origin)
        return self._presence

    def idempotency_answers(self) -> RedisAnswers:
        """``Idempotency-Key`` answers in ``P:answer:<key>``, replayed by every replica."""
        return RedisAnswers(self._sync, self._keys[0].rpartition(":")[0] + ":answer:")

    def add_rollback_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after the epoch rotated (the task cache reloads from Redis)."""
        self._rollback_listeners.append(listener)

    def on_foreign_rows(self, listener: ForeignRowsListener) -> None:
        """Call ``listener(event, saved, removed)`` for task rows another replica wrote."""
        self._foreign = listener

    def on_epoch_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after the epoch rotated under a running server."""
        self._epoch_listeners.append(listener)

    async def start(self) -> None:
        """Start the ``XREAD`` loop that feeds the mirror (and the hub) with other replicas' events.

        Raises:
            RuntimeError: If already started.
        """
        if self._follower is not None:
            raise RuntimeError("RedisLog already started")
        self._stopping = False
        self._aio = aioredis.Redis.from_url(self.url, **self._aio_options)
        self._follower = asyncio.get_running_loop().create_task(self._follow(), name="monitor-redis-follow")

    async def stop(self) -> None:
        """Stop the loop and close its connection."""
        follower, self._follower = self._follower, None
        if follower is not None:
            self._stopping = True
            # Closing the connection under the pending XREAD ends it at once; cancelling it
            # mid-command instead was seen to leave redis-py waiting on a dead connection forever.
            if self._aio is not None:
                await self._aio.connection_pool.disconnect()
            done, _ = await asyncio.wait({follower}, timeout=self._block_ms / 1000 + 1)
            if not done:
                follower.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await follower
        if self._aio is not None:
            await self._aio.aclose()
            self._aio = None
        if self._presence is not None:
            self._presence.leave_all()

    async def _follow(self) -> None:
        assert self._aio is not None
        backoff = 0.1
        while not self._stopping:
            try:
                reply = await self._aio.xread(
                    {self._keys[1]: f"0-{self._last_seq}"}, count=_BATCH, block=self._block_ms
                )
                entries = _entries(cast(list[Any], reply)[0][1] if reply else None)
                if entries and all(f.get("e") == self._epoch for _, f in entries):
                    self.followed += len(self._ingest(entries))
                else:
                    # Quiet (or another epoch's entries): is the epoch still ours? Then retention.
                    epoch = await self._aio.hget(self._keys[0], "epoch")
                    if epoch != self._epoch:
                        self._connect()
                    self._trim_redis_by_age()
                if self._presence is not None and time.monotonic() - self._presence_at > PRESENCE_REFRESH_S:
                    self._presence_at = time.monotonic()
                    await self._presence.refresh(self._aio)
                backoff = 0.1
            except Exception as exc:
                if self._stopping:
                    return
                if cancel_requested():
                    raise asyncio.CancelledError from exc  # redis-py turned our cancel into this
                _log.warning("Redis log: follower failed (%s); retrying in %.1f s", exc, backoff)
                # A retry timer, not synchronisation: Redis is away.
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                with contextlib.suppress(redis.RedisError):
                    self._connect()


class RedisTaskStorage:
    """Task rows in Redis: ``save``/``delete`` ride with the next event's script (one atomic write)."""

    def __init__(self, log: RedisLog) -> None:
        """Store tasks through ``log``."""
        self._log = log

    def load(self) -> list[Task]:
        """Every stored task (rows that no longer validate are skipped)."""
        return tasks_from_json(cast(list[str], self._log._sync.hvals(self._log._keys[2])))

    def save(self, task: Task) -> None:
        """Store ``task`` with the next event (or at the next flush)."""
        self._log._removed.discard(task.id)
        self._log._saved[task.id] = task.model_dump_json()

    def delete(self, task_id: str) -> None:
        """Forget ``task_id`` with the next event (or at the next flush)."""
        self._log._saved.pop(task_id, None)
        self._log._removed.add(task_id)


class RedisOwners:
    """:class:`~monitor.server.identity.SharedOwners` in one Redis hash (``HSETNX``: first wins)."""

    def __init__(self, client: redis.Redis, key: str) -> None:
        """Keep ownership in the hash ``key``."""
        self._client = client
        self._key = key

    def claim(self, client_id: str, principal: str) -> str:
        """Register ``client_id`` for ``principal`` unless someone has; return its owner."""
        try:
            pipe = self._client.pipeline(transaction=True)
            pipe.hsetnx(self._key, client_id, principal)
            pipe.hget(self._key, client_id)
            _, owner = pipe.execute()
        except redis.RedisError as exc:
            raise LogWriteError(exc) from exc
        return str(owner)

    def owner(self, client_id: str) -> str | None:
        """The owner of ``client_id`` (None: nobody, or Redis unreachable)."""
        try:
            owner = self._client.hget(self._key, client_id)
        except redis.RedisError:
            return None
        return None if owner is None else str(owner)


class RedisAnswers:
    """:class:`~monitor.server.idempotency.SharedAnswers`: one key per answer, expiring with it."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        """Keep answers under ``prefix<key>``."""
        self._client = client
        self._prefix = prefix

    def get(self, key: str) -> StoredAnswer | None:
        """The answer stored under ``key`` (None: none, or Redis unreachable: the request runs)."""
        try:
            text = self._client.get(self._prefix + key)
        except redis.RedisError:
            return None
        if not text:
            return None
        body = json.loads(str(text))
        return StoredAnswer(
            request_hash=body["h"],
            status=int(body["s"]),
            headers=tuple((k.encode("latin-1"), v.encode("latin-1")) for k, v in body["hd"]),
            body=base64.b64decode(body["b"]),
            expires=float(body["e"]),
        )

    def put(self, key: str, answer: StoredAnswer) -> None:
        """Store ``answer`` until it expires."""
        text = json.dumps(
            {
                "h": answer.request_hash,
                "s": answer.status,
                "hd": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in answer.headers],
                "b": base64.b64encode(answer.body).decode("ascii"),
                "e": answer.expires,
            }
        )
        try:
            self._client.set(self._prefix + key, text, pxat=max(1, int(answer.expires * 1000)))
        except redis.RedisError as exc:
            raise LogWriteError(exc) from exc


class RedisPresence:
    """:class:`~monitor.server.engine.Presence`: one set of client ids per replica, and a sorted
    set of replicas by when they last said they are alive (a dead replica's clients stop counting
    after :data:`PRESENCE_TTL_S`)."""

    def __init__(self, client: redis.Redis, prefix: str, origin: str) -> None:
        """This replica (``origin``) keeps its clients in ``prefix:online:<origin>``."""
        self._client = client
        self._replicas = f"{prefix}:replicas"
        self._online = f"{prefix}:online:"
        self._origin = origin

    def _alive(self, pipe: Any) -> None:
        pipe.zadd(self._replicas, {self._origin: time.time()})
        pipe.expire(self._online + self._origin, int(PRESENCE_TTL_S))

    def joined(self, client_id: str) -> None:
        """Add ``client_id`` to this replica's set."""
        try:
            pipe = self._client.pipeline(transaction=False)
            pipe.sadd(self._online + self._origin, client_id)
            self._alive(pipe)
            pipe.execute()
        except redis.RedisError as exc:
            _log.warning("Redis presence: %s not announced: %s", client_id, exc)

    def left(self, client_id: str) -> None:
        """Remove ``client_id`` from this replica's set."""
        try:
            self._client.srem(self._online + self._origin, client_id)
        except redis.RedisError as exc:
            _log.warning("Redis presence: %s not withdrawn: %s", client_id, exc)

    def elsewhere(self, client_id: str) -> bool:
        """True if a replica seen within the TTL has ``client_id`` in its set."""
        try:
            since = time.time() - PRESENCE_TTL_S
            others = [
                o for o in self._client.zrangebyscore(self._replicas, since, "+inf") if o != self._origin
            ]
            if not others:
                return False
            pipe = self._client.pipeline(transaction=False)
            for other in others:
                pipe.sismember(self._online + str(other), client_id)
            return any(pipe.execute())
        except redis.RedisError:
            return False

    async def refresh(self, client: aioredis.Redis) -> None:
        """Say this replica is alive (the ``XREAD`` loop calls it every few seconds)."""
        pipe = client.pipeline(transaction=False)
        self._alive(pipe)
        await pipe.execute()

    def leave_all(self) -> None:
        """This replica stops: its clients are nowhere (a killed one's expire after the TTL)."""
        with contextlib.suppress(redis.RedisError):
            pipe = self._client.pipeline(transaction=False)
            pipe.delete(self._online + self._origin)
            pipe.zrem(self._replicas, self._origin)
            pipe.execute()
