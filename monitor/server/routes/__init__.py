"""The FastAPI part of the server: one router per resource, assembled by :func:`build_api`.

* :mod:`.ops`: ``/healthz``, ``/metrics``
* :mod:`.stream`: the SSE stream's OpenAPI entry (the stream itself is a pure-ASGI endpoint)
* :mod:`.tasks`: snapshot, poll, detail, create, report, remove
* :mod:`.commands`: submit, status, cancel
* :mod:`.messages`: seed-004 messages, direct, broadcast, connections
* :mod:`.executors`: external executors claim and answer the commands on their tasks

Routes receive the typed :class:`~monitor.server.state.ServerState` through
:data:`~monitor.server.state.StateDep`, answer with models from :mod:`monitor.core.protocol`, and
raise :class:`~monitor.server.routes.errors.HTTPError` for a clean :class:`ErrorBody` answer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from monitor import __version__
from monitor.server.routes import commands, executors, messages, ops, stream, tasks
from monitor.server.routes.errors import install_error_handlers
from monitor.server.state import ServerState

__all__ = ["build_api"]


def build_api(
    state: ServerState, lifespan: Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]
) -> FastAPI:
    """The FastAPI app over ``state`` (OpenAPI at ``/openapi.json``)."""
    api = FastAPI(title="Monitor reference server", version=__version__, lifespan=lifespan)
    api.state.server = state
    install_error_handlers(api)
    for module in (ops, stream, tasks, commands, messages, executors):
        api.include_router(module.router)
    make_openapi = api.openapi

    def openapi() -> dict[str, Any]:
        """FastAPI's document plus the schemas a hand-read body refers to (every $ref resolves)."""
        if api.openapi_schema is None:
            components = make_openapi().setdefault("components", {}).setdefault("schemas", {})
            for name, schema in commands.BODY_SCHEMAS.items():
                components.setdefault(name, schema)
        return api.openapi_schema or make_openapi()

    api.openapi = openapi  # type: ignore[method-assign]
    return api
