"""A Python stand-in for seed 000's FastAPI backend sketch (``/stream`` + ``/poll``).

Kept as the seed wrote it where that matters for interop: the cursor comes only from the
``lastEventId`` query parameter (the sketch ignores the ``Last-Event-ID`` header), each update is
``id``/``event``/``data`` lines, and every loop ends with an id-less ``heartbeat`` event. The loop
period is a parameter (the seed's is 1 s) so tests run fast.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

__all__ = ["Seed000Backend", "create_app"]


class Seed000Backend:
    """The update list the sketch's ``get_task_updates`` reads from."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.cursors_seen: list[str | None] = []

    def publish(self, type_: str, data: dict[str, Any]) -> int:
        """Append an update; returns its id (1-based, increasing)."""
        new_id = len(self.updates) + 1
        self.updates.append({"id": new_id, "type": type_, "data": data})
        return new_id

    def after(self, last_id: int) -> list[dict[str, Any]]:
        """Updates with an id above ``last_id``."""
        return [u for u in self.updates if u["id"] > last_id]


def create_app(backend: Seed000Backend, *, period: float = 1.0) -> FastAPI:
    """The seed's router mounted at ``/api/tasks``."""
    app = FastAPI()

    @app.get("/api/tasks/stream")
    async def task_stream(request: Request, lastEventId: str | None = None) -> StreamingResponse:
        backend.cursors_seen.append(lastEventId)

        async def event_generator() -> AsyncIterator[str]:
            last_id = 0
            if lastEventId:
                try:
                    last_id = int(lastEventId)
                except ValueError:
                    pass
            while not await request.is_disconnected():
                for update in backend.after(last_id):
                    last_id = update["id"]
                    yield f"id: {update['id']}\n"
                    yield f"event: {update['type']}\n"
                    yield f"data: {json.dumps(update['data'])}\n\n"
                yield "event: heartbeat\n"
                yield f"data: {json.dumps({'timestamp': time.time()})}\n\n"
                await asyncio.sleep(period)  # the seed's polling loop, not test synchronisation

        return StreamingResponse(
            event_generator(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.get("/api/tasks/poll")
    async def task_poll(lastEventId: str | None = None) -> dict[str, Any]:
        last_id = int(lastEventId) if lastEventId and lastEventId.isdigit() else 0
        events = backend.after(last_id)
        return {"events": events, "lastEventId": str(events[-1]["id"]) if events else lastEventId}

    return app
