"""Who owns which client id: the request's principal and the client-id registry.

:class:`~monitor.server.middleware.AuthMiddleware` puts the request's
:class:`~monitor.server.auth.Principal` in the ASGI scope (:func:`request_principal` reads it).
A client id (``X-Client-Id``, ``clientId``, a command's ``client_id``) belongs to the principal
that used it first: :meth:`ClientRegistry.claim` registers it or says whether it is the caller's.
Targeted events, acks and command results are addressed to client ids, so owning the id is what
keeps one principal from reading, acting or being acked as another.

Registrations are kept per principal, bounded (a principal's oldest ids are forgotten first, so a
principal can only ever push out its own), and stored in the server's SQLite file when it has one,
so that a restart does not free an id whose targeted events are still in the log. With auth off
everything is :data:`~monitor.server.auth.ANONYMOUS` and nothing is registered.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, MutableMapping
from typing import Annotated, Any, Final, Protocol

from fastapi import Depends, Request

from monitor.server.auth import ANONYMOUS, Principal
from monitor.server.log import LogWriteError

Scope = MutableMapping[str, Any]

__all__ = [
    "PRINCIPAL_SCOPE_KEY",
    "ClientRegistry",
    "PrincipalDep",
    "SharedOwners",
    "SqlTable",
    "foreign_client_id",
    "request_principal",
]

#: The ASGI scope key under which AuthMiddleware leaves the request's principal.
PRINCIPAL_SCOPE_KEY: Final = "monitor.principal"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS client_owners (
    client_id TEXT PRIMARY KEY, principal TEXT NOT NULL, claimed REAL NOT NULL
);
"""


class SharedOwners(Protocol):
    """Client-id ownership shared by several replicas (Redis): first claim wins, everywhere."""

    def claim(self, client_id: str, principal: str) -> str:
        """Register ``client_id`` for ``principal`` unless someone has; return its owner.

        Raises:
            LogWriteError: The store is unreachable.
        """
        ...

    def owner(self, client_id: str) -> str | None:
        """The owner of ``client_id``, if anyone claimed it (None when the store is unreachable)."""
        ...


class SqlTable(Protocol):
    """What a module needs to keep its own table in the server's database (``SqliteLog``)."""

    def add_schema(self, script: str) -> None:
        """Create tables (``CREATE TABLE IF NOT EXISTS``)."""

    def write(self, sql: str, params: tuple[object, ...] = ()) -> None:
        """One write, committed with the log's current burst."""

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        """The rows of one read."""


def foreign_client_id(client_id: str) -> str:
    """The 403 error text for a client id another principal owns."""
    return f"client id {client_id!r} belongs to another principal; choose another id"


def request_principal(scope: Scope) -> Principal:
    """The principal AuthMiddleware found for this request (ANONYMOUS when it did not run)."""
    principal = scope.get(PRINCIPAL_SCOPE_KEY)
    return principal if isinstance(principal, Principal) else ANONYMOUS


def _principal_dep(request: Request) -> Principal:
    return request_principal(request.scope)


#: Route parameter annotation that receives the request's principal.
PrincipalDep = Annotated[Principal, Depends(_principal_dep)]


class ClientRegistry:
    """Client id -> owning principal, first come first served, bounded per principal."""

    def __init__(
        self,
        *,
        enabled: bool,
        table: SqlTable | None = None,
        flush: Callable[[], None] | None = None,
        max_per_principal: int = 1_000,
        clock: Callable[[], float] = time.time,
        shared: SharedOwners | None = None,
    ) -> None:
        """Load the stored registrations.

        Args:
            enabled: False with auth off (one principal: nothing to register).
            table: The database to keep registrations in (None: memory only).
            flush: Commits ``table``'s pending writes (the log's ``flush``).
            max_per_principal: Ids kept per principal; its oldest beyond this are forgotten.
            clock: Unix-seconds clock for the stored claim time.
            shared: Replicas on Redis: the ownership every replica checks (memory then only
                caches it; the per-principal bound applies to that cache).
        """
        self.enabled = enabled
        self._table = table
        self._flush = flush
        self._max = max_per_principal
        self._clock = clock
        self._shared = shared
        self._owner: dict[str, str] = {}
        self._by_principal: dict[str, OrderedDict[str, None]] = {}
        if table is not None and enabled:
            table.add_schema(_SCHEMA)
            self.reload()

    def reload(self) -> None:
        """Read the registrations back from the table (after a burst was rolled back)."""
        if self._table is None or not self.enabled:
            return
        self._owner.clear()
        self._by_principal.clear()
        for client_id, principal in self._table.query(
            "SELECT client_id, principal FROM client_owners ORDER BY claimed"
        ):
            self._remember(str(client_id), str(principal))

    def owner(self, client_id: str) -> str | None:
        """The name of the principal that owns ``client_id`` (None: nobody yet, or auth off)."""
        owner = self._owner.get(client_id)
        if owner is None and self._shared is not None and self.enabled:
            owner = self._shared.owner(client_id)  # claimed on another replica
            if owner is not None:
                self._remember(client_id, owner)
        return owner

    def claim(self, client_id: str, principal: Principal) -> bool:
        """Register ``client_id`` for ``principal`` if nobody has; True if it is ``principal``'s.

        A new registration is committed before this returns, so an answer given under it holds
        after a restart.

        Raises:
            LogWriteError: The registration could not be stored (and is not made).
        """
        if not self.enabled:
            return True
        owner = self._owner.get(client_id)
        if owner is not None:
            if owner != principal.name:
                return False
            self._by_principal[owner].move_to_end(client_id)
            return True
        if self._shared is not None:
            owner = self._shared.claim(client_id, principal.name)  # one answer for every replica
            self._remember(client_id, owner)
            return owner == principal.name
        forgotten = self._remember(client_id, principal.name)
        if self._table is None:
            return True
        try:
            for gone in forgotten:
                self._table.write("DELETE FROM client_owners WHERE client_id = ?", (gone,))
            self._table.write(
                "INSERT OR REPLACE INTO client_owners VALUES (?, ?, ?)",
                (client_id, principal.name, self._clock()),
            )
            if self._flush is not None:
                self._flush()
        except LogWriteError:
            self.reload()  # the burst was rolled back: what the file holds is what holds
            raise
        return True

    def owns(self, principal: Principal, client_id: str) -> bool:
        """True if ``client_id`` is ``principal``'s (everything is, with auth off)."""
        return not self.enabled or self._owner.get(client_id) == principal.name

    def _remember(self, client_id: str, principal: str) -> list[str]:
        """Record in memory; returns the ids forgotten to stay within the bound."""
        mine = self._by_principal.setdefault(principal, OrderedDict())
        mine[client_id] = None
        self._owner[client_id] = principal
        forgotten: list[str] = []
        while len(mine) > self._max:
            old, _ = mine.popitem(last=False)
            del self._owner[old]
            forgotten.append(old)
        return forgotten
