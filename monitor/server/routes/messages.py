"""Seed-004 messages: to everyone or one client, broadcast with an exception, open connections."""

from __future__ import annotations

import secrets
import time

from fastapi import APIRouter, Request

from monitor.core.protocol import (
    BroadcastRequest,
    ConnectionInfo,
    Message,
    MessageRequest,
    MessageSent,
)
from monitor.server.auth import Principal
from monitor.server.identity import PrincipalDep, foreign_client_id, request_principal
from monitor.server.routes.errors import ANY_ROUTE, WRITES, HTTPError, documented
from monitor.server.state import ServerState, StateDep
from monitor.server.stream import request_client_id

__all__ = ["router"]

router = APIRouter(tags=["messages"], responses=documented(*ANY_ROUTE))


def _message(req: MessageRequest, request: Request, target: str | None, state: ServerState) -> Message:
    owner = state.registry.owner(req.source) if req.source else None
    if owner is not None and owner != request_principal(request.scope).name:
        # A source names a sender: another principal's client id would impersonate it.
        raise HTTPError(403, foreign_client_id(req.source or ""))
    return Message(
        id=req.id or "msg_" + secrets.token_hex(8),
        type=req.type,
        priority=req.priority,
        timestamp=req.timestamp if req.timestamp is not None else int(time.time() * 1000),
        source=req.source or request_client_id(request.scope) or "server",
        target=target,
        payload=req.payload,
        metadata=req.metadata,
    )


async def _deliver(state: ServerState, msg: Message, target: str | None, principal: Principal) -> MessageSent:
    once = f"{principal.name}/{msg.id}"  # one principal's id never stands for another's message
    known = state.delivered.get(once)
    if known is not None:
        return known
    hub = state.hub
    if target is not None and not hub.is_connected(target):
        raise HTTPError(404, f"target client {target!r} is not connected")
    # Replicas on Redis: the key makes a repeat sent to another replica a no-op there too.
    event_id, _ = hub.publish_once(
        msg.type.value, msg.model_dump_json(exclude_none=True), target=target, key="msg:" + once
    )
    hub.log.flush()  # a 2xx answer means the event is durable
    sent = MessageSent(success=True, message_id=msg.id, event_id=event_id)
    state.remember(once, sent)
    return sent


@router.post("/api/messages", response_model_exclude_none=True, responses=documented(404, *WRITES))
async def send_message(
    body: MessageRequest, request: Request, state: StateDep, principal: PrincipalDep
) -> MessageSent:
    """Send a message: to ``target`` only (404 if not connected), else to everyone."""
    return await _deliver(state, _message(body, request, body.target, state), body.target, principal)


@router.post("/api/direct/{client_id}", response_model_exclude_none=True, responses=documented(404, *WRITES))
async def direct(
    client_id: str, body: MessageRequest, request: Request, state: StateDep, principal: PrincipalDep
) -> MessageSent:
    """Send a message to one connected client (404 if not connected)."""
    return await _deliver(state, _message(body, request, client_id, state), client_id, principal)


@router.post("/api/broadcast", response_model_exclude_none=True, responses=documented(*WRITES))
async def broadcast(
    body: BroadcastRequest, request: Request, state: StateDep, principal: PrincipalDep
) -> MessageSent:
    """Send to every client, or every connected client but ``excludeClientId``."""
    hub = state.hub
    exclude = body.exclude_client_id
    msg = _message(body.message, request, None, state)
    if exclude is None:
        result = await _deliver(state, msg, None, principal)
        return result.model_copy(update={"sent_count": len({c.client_id for c in hub.connections()})})
    targets = sorted({c.client_id for c in hub.connections()} - {exclude})
    data = msg.model_dump_json(exclude_none=True)
    for client in targets:
        await hub.publish(msg.type.value, data, target=client)
    hub.log.flush()
    return MessageSent(success=True, message_id=msg.id, sent_count=len(targets))


@router.get("/api/connections")
async def connections(state: StateDep, principal: PrincipalDep) -> list[ConnectionInfo]:
    """Open streams (seed 004 fields plus the cursor each has reached): the caller's own, or
    every principal's for an admin."""
    now = time.time()
    registry = state.registry
    return [
        ConnectionInfo(
            client_id=c.client_id,
            connection_id=c.connection_id,
            created_at=int(c.created_at * 1000),
            last_active_at=int(c.last_active_at * 1000),
            uptime=int((now - c.created_at) * 1000),
            cursor=c.cursor,
        )
        for c in state.hub.connections()
        if principal.admin or registry.owns(principal, c.client_id)
    ]
