"""The server's pure-ASGI middleware: what must happen before any framework code runs.

Each class wraps the next ASGI app (Starlette's middleware shape, without Starlette's per-request
overhead), and :class:`~monitor.server.app.MonitorApp` chains them::

    [CORS] -> AuthMiddleware -> StreamRoutes -> BodyLimitMiddleware -> IdempotencyMiddleware -> FastAPI
                                     `-> StreamEndpoint (SSE, bypassing everything below)

* :class:`AuthMiddleware`: bearer-token check (401), the request's principal put in the scope, and
  scrubbing of query tokens from the scope that uvicorn's access log reads.
* :class:`StreamRoutes`: a malformed client id gets 400, another principal's 403; SSE paths go
  straight to the stream endpoint (the hot path).
* :class:`BodyLimitMiddleware`: request bodies bounded in size (413) and in time (408).
* :class:`IdempotencyMiddleware`: ``Idempotency-Key`` replay of ``POST`` answers
  (:class:`~monitor.server.idempotency.IdempotencyCache`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from monitor.server.auth import Principal, TokenChecker, scrub_query
from monitor.server.idempotency import IdempotencyCache, request_hash
from monitor.server.identity import PRINCIPAL_SCOPE_KEY, ClientRegistry, foreign_client_id, request_principal
from monitor.server.log import LogWriteError
from monitor.server.metrics import Metrics
from monitor.server.routes.errors import STORAGE_RETRY_AFTER_S, storage_failure
from monitor.server.stream import (
    INVALID_CLIENT_ID,
    Receive,
    Scope,
    Send,
    client_id_is_valid,
    request_client_id,
    request_header,
    send_error,
)

__all__ = [
    "MAX_JSON_DEPTH",
    "ASGIApp",
    "AuthMiddleware",
    "BodyLimitMiddleware",
    "IdempotencyMiddleware",
    "StreamRoutes",
    "json_too_deep",
]

#: An ASGI application.
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: Deepest JSON nesting a request body may have. Python's parser recurses per level and fails
#: with RecursionError near 1,000 (a 500 and a dropped connection); no request needs more than
#: a handful of levels.
MAX_JSON_DEPTH = 64

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True if ``body`` (JSON text) nests arrays/objects deeper than ``limit``.

    Cheap for ordinary bodies: fewer than ``limit`` opening brackets in all cannot be too deep,
    which two C-level counts decide. Otherwise strings are cut out (brackets inside them do not
    nest) and the brackets left are summed; that runs in C but for the final running maximum.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(itertools.accumulate(_DEPTH_STEP[b] for b in brackets), default=0) > limit


class AuthMiddleware:
    """Bearer-token check for every path but ``open_paths``; query tokens scrubbed from the scope."""

    def __init__(
        self, app: ASGIApp, checker: TokenChecker, metrics: Metrics, *, open_paths: Collection[str]
    ) -> None:
        """Guard ``app`` with ``checker``; failures count in ``metrics.auth_failures_total``."""
        self.app = app
        self.checker = checker
        self.metrics = metrics
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        query = scope.get("query_string", b"")
        if query and (b"%" in query or b"token" in query.lower()):
            # uvicorn's access log formats this same scope dict when the response starts (a 401
            # too): scrub it now; the checker below gets the original bytes. A '%' may hide a
            # token's name (access%5Ftoken), which the checker and every query parser decode.
            scope["query_string"] = scrub_query(query.decode("latin-1")).encode("latin-1")
        principal = self.checker.authenticate(scope.get("headers", ()), query)
        if principal is not None:
            scope[PRINCIPAL_SCOPE_KEY] = principal
        elif scope.get("path", "") not in self.open_paths:
            self.metrics.auth_failures_total += 1
            await send_error(
                send,
                401,
                "missing or invalid bearer token",
                headers=[(b"www-authenticate", b'Bearer realm="monitor"')],
            )
            return
        await self.app(scope, receive, send)


class StreamRoutes:
    """Send the SSE ``paths`` to ``stream``, everything else to ``app``.

    Every route checks the client id first: 400 if malformed, 403 if another principal owns it
    (the first use registers it for the request's principal).
    """

    def __init__(
        self, app: ASGIApp, stream: ASGIApp, *, paths: Collection[str], registry: ClientRegistry
    ) -> None:
        """Route ``paths`` to ``stream``; ``registry`` says who owns a client id."""
        self.app = app
        self.stream = stream
        self.paths = paths
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope.get("type") == "http":
            # The same rules on every route: the id scopes idempotency keys, acks and messages.
            if not client_id_is_valid(scope):
                await send_error(send, 400, INVALID_CLIENT_ID)
                return
            client_id = request_client_id(scope)
            principal = scope.get(PRINCIPAL_SCOPE_KEY)  # absent: an open path without a token
            if client_id is not None and isinstance(principal, Principal):
                try:
                    mine = self.registry.claim(client_id, principal)
                except LogWriteError as exc:
                    status, body = storage_failure(exc)
                    retry = [(b"retry-after", str(STORAGE_RETRY_AFTER_S).encode())]
                    await send_error(send, status, body.error, detail=body.detail, headers=retry)
                    return
                if not mine:
                    await send_error(send, 403, foreign_client_id(client_id))
                    return
        if scope.get("path", "") in self.paths:
            await self.stream(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class BodyLimitMiddleware:
    """Read the whole body of POST/PUT/PATCH/DELETE up front, bounded in size and time.

    A body over ``max_bytes`` gets 413 (declared or counted as it arrives: chunked bodies have no
    ``Content-Length``); a body not received within ``timeout_s`` gets 408; a body nested deeper
    than :data:`MAX_JSON_DEPTH` gets 422. The app downstream receives the body in one message.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout_s: float, metrics: Metrics) -> None:
        """Bound the bodies ``app`` receives."""
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope.get("method", "GET") not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        body = await self._read(scope, receive, send)
        if body is None:
            return
        if json_too_deep(body):
            await send_error(send, 422, f"JSON body nested deeper than {MAX_JSON_DEPTH} levels")
            return
        await self.app(scope, _replay_body(body, receive), send)

    async def _read(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        # A client that declares a body and then trickles or stalls would otherwise hold this
        # coroutine (and its buffer) forever: bound the whole read in time as well as in size.
        try:
            async with asyncio.timeout(self.timeout_s):
                return await self._read_unbounded(scope, receive, send)
        except TimeoutError:
            self.metrics.body_timeouts_total += 1
            await send_error(
                send,
                408,
                f"request body not received within {self.timeout_s:g} s",
                headers=[(b"connection", b"close")],
            )
            return None

    async def _read_unbounded(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        limit = self.max_bytes
        declared = request_header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await send_error(send, 400, "invalid Content-Length")
                return None
            if int(declared) > limit:
                await send_error(send, 413, f"request body larger than {limit} bytes")
                return None
        chunks = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunks += message.get("body", b"")
            if len(chunks) > limit:  # chunked bodies have no Content-Length: count what arrives
                await send_error(send, 413, f"request body larger than {limit} bytes")
                return None
            if not message.get("more_body", False):
                return bytes(chunks)


def _replay_body(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return dict(await receive())

    return replay


class IdempotencyMiddleware:
    """A ``POST`` with an ``Idempotency-Key`` runs once per (principal, client, path, key).

    Sits behind :class:`BodyLimitMiddleware`, so the body arrives whole in the first message; its
    hash is stored with the answer (same key, other body: 422).
    """

    def __init__(self, app: ASGIApp, cache: IdempotencyCache, metrics: Metrics) -> None:
        """Keep ``app``'s answers in ``cache``; replays count in ``metrics``."""
        self.app = app
        self.cache = cache
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        key = request_header(scope, b"idempotency-key") if scope.get("method") == "POST" else None
        if not key:
            await self.app(scope, receive, send)
            return
        if len(key) > 255:
            await send_error(send, 400, "Idempotency-Key longer than 255 characters")
            return
        first = await receive()
        body = bytes(first.get("body", b"")) if first.get("type") == "http.request" else b""
        ident = json.dumps(
            [
                request_principal(scope).name,
                request_client_id(scope) or "",
                "POST",
                scope.get("path", ""),
                key,
            ]
        )

        async def run(capture: Send) -> None:
            await self.app(scope, _replay_body(body, receive), capture)

        if await self.cache.run(ident, request_hash(body), run, send):
            self.metrics.idempotent_replays_total += 1
