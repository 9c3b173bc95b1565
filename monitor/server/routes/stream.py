"""The SSE stream's entry in the OpenAPI document.

``MonitorApp`` serves ``/api/tasks/stream`` (and ``/sse``) with the pure-ASGI
:class:`~monitor.server.stream.StreamEndpoint` before FastAPI sees the request; this router only
describes it.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from monitor.server.routes.errors import ANY_ROUTE, HTTPError, documented

__all__ = ["router"]

router = APIRouter(tags=["stream"])


@router.get(
    "/api/tasks/stream",
    response_class=Response,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "SSE stream"},
        **documented(*ANY_ROUTE, 503),
    },
)
async def stream_doc() -> Response:  # pragma: no cover - MonitorApp serves this path itself
    """The SSE stream (served by a pure-ASGI endpoint; documented here for OpenAPI)."""
    raise HTTPError(500, "stream is served by the ASGI front")
