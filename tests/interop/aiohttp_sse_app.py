"""A tiny aiohttp-sse app, as its users write one: ``python -m tests.interop.aiohttp_sse_app --port P``.

``GET /events?topic=NAME`` (``topic`` required: 400 without) streams the topic with
``sse_response``, ids ``<topic>:<n>`` (opaque strings), replaying what follows a ``Last-Event-ID``
header; ``POST /publish?topic=NAME&type=TYPE`` (body: the data) publishes. Pings every second.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp_sse import sse_response

from tests.interop.procs import log_request
from tests.interop.topics import TopicLog, bind_from_args

__all__ = ["create_app"]


def create_app() -> web.Application:
    """The app, with its log of every request on stdout."""
    log = TopicLog(make_id=lambda topic, n: f"{topic}:{n}")

    @web.middleware
    async def logged(request: web.Request, handler: web.RequestHandler) -> web.StreamResponse:
        log_request(request.method, request.path_qs, request.headers.get("Last-Event-ID"))
        return await handler(request)

    async def events(request: web.Request) -> web.StreamResponse:
        topic = request.query.get("topic")
        if not topic:
            return web.Response(status=400, text="topic is required")
        async with sse_response(request) as resp:
            resp.ping_interval = 1
            async for e in log.follow(topic, request.headers.get("Last-Event-ID")):
                await resp.send(e.data, id=e.id, event=e.type)
        return resp

    async def publish(request: web.Request) -> web.Response:
        q = request.query
        event = log.publish(q["topic"], q.get("type", "message"), await request.text())
        return web.json_response({"id": event.id})

    app = web.Application(middlewares=[logged])
    app.router.add_get("/events", events)
    app.router.add_post("/publish", publish)
    return app


if __name__ == "__main__":
    sock = bind_from_args()
    print(f"LISTENING http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    web.run_app(create_app(), sock=sock, print=None, handle_signals=True, shutdown_timeout=1)
