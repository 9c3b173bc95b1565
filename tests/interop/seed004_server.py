"""A Python port of the core of seed 004's Express server (the parts a stream client sees).

``GET /sse?clientId=&token=`` (token checked, 401 otherwise), events named by the message type,
``: keepalive`` comments, and NO ``id:`` lines (so clients can only dedup by ``data.id``).
``POST /api/messages`` broadcasts a Message to every connected client.
Not ported: the seed's command handlers and its per-client message store.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import StreamingResponse

__all__ = ["Seed004Backend", "create_app"]


class Seed004Backend:
    """Connected clients' queues, as the seed's ``clients`` Map."""

    def __init__(self, token: str = "secret") -> None:
        self.token = token
        self.clients: dict[str, asyncio.Queue[dict[str, Any]]] = {}

    def broadcast(self, message: dict[str, Any]) -> None:
        """Queue ``message`` for every connected client."""
        for q in self.clients.values():
            q.put_nowait(message)


def create_app(backend: Seed004Backend, *, keepalive: float = 0.05) -> FastAPI:
    """The seed's routes."""
    app = FastAPI()

    @app.get("/sse")
    async def sse(request: Request, clientId: str = "", token: str = "") -> StreamingResponse:
        if token != backend.token:
            raise HTTPException(401, "Unauthorized")
        client_id = clientId or uuid.uuid4().hex
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        backend.clients[client_id] = queue

        async def gen() -> AsyncIterator[str]:
            try:
                yield f"event: connected\ndata: {json.dumps({'clientId': client_id})}\n\n"
                while not await request.is_disconnected():
                    try:
                        msg = await asyncio.wait_for(queue.get(), keepalive)
                    except TimeoutError:
                        yield ": keepalive\n\n"
                        continue
                    yield f"event: {msg['type']}\ndata: {json.dumps(msg)}\n\n"
            finally:
                backend.clients.pop(client_id, None)

        return StreamingResponse(gen(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @app.post("/api/messages")
    async def messages(body: dict[str, Any]) -> dict[str, Any]:
        msg = {"id": body.get("id") or uuid.uuid4().hex, "type": body.get("type", "notification"), **body}
        backend.broadcast(msg)
        return {"success": True, "messageId": msg["id"]}

    return app
