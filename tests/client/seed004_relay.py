"""A loopback mirror of seed 004's Express ``SSEMessageService`` (sse-notification-sdk.md §4.1).

Only the handlers a commanding client meets, each mirroring the seed's code line by line (quoted
in the comments); the seed's node code itself is H4's stand-in (tests/interop), not ready when this
was written. What the seed's code does, this does, including what a client may find unkind:

* ``GET /sse``: ``if (!clientId) { res.status(400)... }``; on connect
  ``sendToClient(clientId, {type: 'system', priority: 3, source: 'server', payload: {event:
  'connect', detail: {clientId, connectionId}}})``; ``res.write(': keepalive\\n\\n')``; every
  message as ``event: ${message.type || 'message'}`` + ``data: ${JSON.stringify(message)}``; no
  ``id:`` lines.
* ``POST /api/commands`` (``handleSendCommand``): ``if (command.payload?.requireAck) { if (target)
  this.messageQueue.get(target)?.push(command) }``; ``if (command.target) { sent =
  sendToClient(...); res.json({success: sent, messageId: command.id}) } else {
  this.broadcastMessage(command); res.json({success: true, messageId: command.id}) }``: no
  validation, the command relayed to every client, the commander included.
* ``POST /api/direct/:clientId`` (``handleDirectMessage``): ``sendToClient(clientId, {id, timestamp,
  source: 'server', ...message})``; ``{success: true}`` or 404 ``{error: '目标客户端未连接'}``.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

__all__ = ["Seed004Relay"]


class Seed004Relay:
    """The seed's connection map, per-client message queues and routes.

    Attributes:
        commands: Every body POSTed to ``/api/commands``, as received (for assertions).
        connections: Client id -> its outgoing queue (the seed's ``connections`` Map).
    """

    def __init__(self, *, keepalive_s: float = 15.0) -> None:
        self.keepalive_s = keepalive_s
        self.connections: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self.message_queue: dict[str, list[dict[str, Any]]] = {}
        self.commands: list[dict[str, Any]] = []
        self.app = Starlette(
            routes=[
                Route("/sse", self.sse, methods=["GET"]),
                Route("/api/commands", self.send_command, methods=["POST"]),
                Route("/api/direct/{client_id}", self.direct, methods=["POST"]),
            ]
        )

    @staticmethod
    def _id() -> str:
        return f"msg_{int(time.time() * 1000)}_{uuid.uuid4().hex[:9]}"

    def send_to_client(self, client_id: str, message: dict[str, Any]) -> bool:
        queue = self.connections.get(client_id)
        if queue is None:
            return False
        queue.put_nowait(message)
        return True

    def broadcast(self, message: dict[str, Any]) -> None:
        for client_id in list(self.connections):
            self.send_to_client(client_id, message)

    async def sse(self, request: Request) -> Response:
        client_id = request.query_params.get("clientId")
        if not client_id:
            return JSONResponse({"error": "缺少clientId参数"}, status_code=400)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.connections[client_id] = queue
        self.message_queue[client_id] = []
        self.send_to_client(
            client_id,
            {
                "id": self._id(),
                "type": "system",
                "priority": 3,
                "timestamp": int(time.time() * 1000),
                "source": "server",
                "payload": {"event": "connect", "detail": {"clientId": client_id, "connectionId": "conn_1"}},
            },
        )

        async def gen() -> AsyncIterator[str]:
            try:
                while True:
                    try:
                        message = await asyncio.wait_for(queue.get(), self.keepalive_s)
                    except TimeoutError:
                        yield ": keepalive\n\n"
                        continue
                    yield f"event: {message.get('type') or 'message'}\ndata: {json.dumps(message)}\n\n"
            finally:
                if self.connections.get(client_id) is queue:
                    del self.connections[client_id]
                    self.message_queue.pop(client_id, None)

        headers = {"Cache-Control": "no-cache", "Connection": "keep-alive", "X-Accel-Buffering": "no"}
        return StreamingResponse(gen(), media_type="text/event-stream", headers=headers)

    async def send_command(self, request: Request) -> Response:
        try:
            command: Any = await request.json()
        except ValueError:
            return JSONResponse({"error": "处理指令失败"}, status_code=500)
        self.commands.append(command)
        payload = command.get("payload") if isinstance(command, dict) else None
        target = command.get("target") if isinstance(command, dict) else None
        if isinstance(payload, dict) and payload.get("requireAck") and target:
            self.message_queue.get(target, []).append(command)
        if target:
            sent = self.send_to_client(target, command)
            return JSONResponse({"success": sent, "messageId": command.get("id")})
        self.broadcast(command)
        return JSONResponse({"success": True, "messageId": command.get("id")})

    async def direct(self, request: Request) -> Response:
        client_id = request.path_params["client_id"]
        body = await request.json()
        sent = self.send_to_client(
            client_id, {"id": self._id(), "timestamp": int(time.time() * 1000), "source": "server", **body}
        )
        if sent:
            return JSONResponse({"success": True})
        return JSONResponse({"error": "目标客户端未连接"}, status_code=404)
