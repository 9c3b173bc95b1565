"""A tiny sse-starlette app, as its users write one: ``python -m tests.interop.sse_starlette_app --port P``.

``GET /events?topic=NAME`` (``topic`` required: 400 without) streams the topic through
``EventSourceResponse`` with integer ids, replaying what follows a ``Last-Event-ID`` header;
``POST /publish?topic=NAME&type=TYPE`` (body: the data) publishes. Pings every second.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.interop.procs import asgi_request_log
from tests.interop.topics import TopicLog, bind_from_args

__all__ = ["create_app"]


def create_app() -> Starlette:
    """The app, with its log of every request on stdout."""
    log = TopicLog(make_id=lambda _topic, n: str(n))

    async def events(request: Request) -> Response:
        topic = request.query_params.get("topic")
        if not topic:
            return PlainTextResponse("topic is required", status_code=400)

        async def gen() -> AsyncIterator[dict[str, Any]]:
            async for e in log.follow(topic, request.headers.get("last-event-id")):
                yield {"id": e.id, "event": e.type, "data": e.data}

        return EventSourceResponse(gen(), ping=1)

    async def publish(request: Request) -> Response:
        q = request.query_params
        event = log.publish(q["topic"], q.get("type", "message"), (await request.body()).decode())
        return JSONResponse({"id": event.id})

    app = Starlette(routes=[Route("/events", events), Route("/publish", publish, methods=["POST"])])
    return asgi_request_log(app)  # type: ignore[no-any-return]


if __name__ == "__main__":
    sock = bind_from_args()
    print(f"LISTENING http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    uvicorn.Server(uvicorn.Config(create_app(), log_level="warning", timeout_graceful_shutdown=1)).run(
        sockets=[sock]
    )
