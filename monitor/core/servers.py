"""Several servers in one task list: each server's task ids in their own namespace.

With two or more servers watched at once (issue 15 item 2), all their tasks live in the one
:class:`~monitor.core.store.TaskStore`, and two servers may well both have a ``task-1``. So a
task's id in the store is ``<server name>`` + :data:`SEPARATOR` + ``<its id on that server>``.
The separator is U+001F, a control character that no task id (``monitor.core.protocol.TaskId``)
and no profile name (``ConnectionProfile.name``) may contain, so the split is never ambiguous.

The prefix is added in ONE place on the way in (``SSEService``, through :func:`scoped_patches`
and :func:`scoped_tasks`) and removed in ONE place on the way out (``CommandService``, through
:func:`local_id`). With a single server the prefix is empty: ids are exactly the server's.

The server's part is its profile's name itself (not a hash): the Server column, the sidebar's
server entries and the ``server:`` search qualifier read it straight from the id, with no table
from keys to names to keep in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from monitor.core.connection import ConnectionState, ConnectionStatus
from monitor.core.news import TaskPatch
from monitor.core.protocol import Task

__all__ = [
    "SEPARATOR",
    "local_id",
    "scoped_patches",
    "scoped_tasks",
    "server_of",
    "server_prefix",
    "split_task_id",
    "worst_status",
]

#: Between a server's name and a task's id on that server (never inside either).
SEPARATOR: Final = "\x1f"

#: Connection states from the worst to the best (the chip and the tray show the worst).
_SEVERITY: Final = (
    ConnectionState.FAILED,
    ConnectionState.DISCONNECTED,
    ConnectionState.RECONNECTING,
    ConnectionState.CONNECTING,
    ConnectionState.POLLING,
    ConnectionState.CONNECTED,
)


def server_prefix(name: str) -> str:
    """The prefix of the ids of the server whose profile is ``name``.

    Raises:
        ValueError: ``name`` is empty or holds the separator (profile names cannot).
    """
    if not name or SEPARATOR in name:
        raise ValueError(f"not a server name: {name!r}")
    return name + SEPARATOR


def split_task_id(task_id: str) -> tuple[str, str]:
    """(server name, id on that server); the name is "" for an id without a prefix."""
    server, sep, local = task_id.partition(SEPARATOR)
    return (server, local) if sep else ("", task_id)


def server_of(task_id: str) -> str:
    """The server name of a store id ("" when the id has no prefix: a single server)."""
    return split_task_id(task_id)[0]


def local_id(task_id: str) -> str:
    """The id as its own server knows it (what commands send and what the user reads)."""
    return split_task_id(task_id)[1]


def scoped_patches(patches: list[TaskPatch], prefix: str) -> list[TaskPatch]:
    """``patches`` with their ids in ``prefix``'s namespace (the same list when it is "")."""
    if not prefix:
        return patches
    return [p._replace(id=prefix + p.id) for p in patches]


def scoped_tasks(tasks: Sequence[Task], prefix: str) -> Sequence[Task]:
    """``tasks`` with their ids in ``prefix``'s namespace (the same sequence when it is "")."""
    if not prefix:
        return tasks
    return [t.model_copy(update={"id": prefix + t.id}) for t in tasks]


def worst_status(statuses: Iterable[ConnectionStatus]) -> ConnectionStatus | None:
    """The status of the server in the worst state (the first such one), None for none."""
    return min(statuses, key=lambda s: _SEVERITY.index(s.state), default=None)
