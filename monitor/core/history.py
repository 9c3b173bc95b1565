"""Local history: finished tasks kept on this computer, across app restarts and server trims.

The pure half: what a history row holds (the task as the protocol's :class:`Task` JSON, the one
shape both the wire and the disk understand), how long rows are kept (:class:`Retention`) and how
a server is named in the database (:func:`server_key`). The database itself is
``monitor.services.history``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError

from monitor.core.protocol import Task, TaskState
from monitor.core.store import TaskRecord

__all__ = ["FINISHED", "Retention", "server_key", "task_from_json", "task_from_record", "task_json"]

#: States a task never leaves by itself: these are what history keeps.
FINISHED: Final = frozenset({TaskState.COMPLETED, TaskState.FAILED, TaskState.CANCELLED})


@dataclass(frozen=True, slots=True)
class Retention:
    """How much history is kept per server.

    Attributes:
        days: Rows saved longer ago than this go (None: no age limit).
        max_tasks: At most this many rows (the most recently finished stay).
    """

    days: int | None = 30
    max_tasks: int = 100_000

    def __post_init__(self) -> None:
        if self.days is not None and self.days < 1:
            raise ValueError("days must be at least 1 (or None)")
        if self.max_tasks < 1:
            raise ValueError("max_tasks must be at least 1")


def server_key(url: str) -> str:
    """The stream URL without credentials, query or fragment: one server, one history.

    A token in the query (``?access_token=``) must not be written to disk, and the same server
    reached with another token is still the same server.
    """
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme.lower(), host.lower(), parts.path or "/", "", ""))


def task_from_record(rec: TaskRecord) -> Task:
    """The protocol's task for a store record (validated: what goes to disk is a valid task)."""
    return Task(
        id=rec.id,
        name=rec.name,
        kind=rec.kind,
        state=rec.state,
        progress=rec.progress,
        stage=rec.stage,
        eta=rec.eta,
        created_at=rec.created_at,
        started_at=rec.started_at,
        finished_at=rec.finished_at,
        updated_at=rec.updated_at,
        attempt=rec.attempt,
        worker=rec.worker,
        error=rec.error,
        result=rec.result,
        metadata=dict(rec.metadata),
    )


def task_json(rec: TaskRecord) -> str:
    """A record as the JSON a history row keeps."""
    return task_from_record(rec).model_dump_json()


def task_from_json(text: str) -> Task | None:
    """A history row's task, or None if the row is not a valid task (it is then skipped)."""
    try:
        return Task.model_validate_json(text)
    except (ValidationError, ValueError):
        return None
