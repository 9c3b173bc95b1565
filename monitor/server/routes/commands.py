"""Commands: submit (flat or in a seed-004 envelope), status, cancel."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic.json_schema import models_json_schema

from monitor.core.protocol import (
    CommandAccepted,
    CommandRequest,
    CommandStatus,
    CommandView,
    MessageType,
)
from monitor.server.auth import Principal
from monitor.server.identity import PrincipalDep, foreign_client_id
from monitor.server.routes.errors import ANY_ROUTE, WRITES, HTTPError, body_json, documented
from monitor.server.scheduler import CommandRecord
from monitor.server.state import ServerState, StateDep
from monitor.server.stream import request_client_id

__all__ = ["BODY_SCHEMAS", "command_view", "router"]

# The body is read by hand (two shapes), so FastAPI does not know its models: their schemas go to
# the document's components (build_api adds BODY_SCHEMAS) and the body refers to them there.
_COMPONENTS = "#/components/schemas/"
_BODY_REFS, _DEFS = models_json_schema([(CommandRequest, "validation")], ref_template=_COMPONENTS + "{model}")
# The envelope as the handler reads it: type "command" and the command in its payload. A whole
# seed-004 Message (any type) would promise more: {"type": "ack", ...} is refused.
_ENVELOPE: dict[str, Any] = {
    "title": "CommandEnvelope",
    "description": "A seed-004 message of type `command` whose `payload` is the command; "
    "`source` names the acks' client when neither `clientId` nor `X-Client-Id` does. "
    "Other envelope fields are not read.",
    "type": "object",
    "required": ["type", "payload"],
    "properties": {
        "type": {"const": MessageType.COMMAND.value},
        "payload": {"$ref": _COMPONENTS + "CommandRequest"},
    },
}
_BODY_ONE_OF = [*_BODY_REFS.values(), {"$ref": _COMPONENTS + "CommandEnvelope"}]
#: Component schemas the ``POST /api/commands`` body refers to.
BODY_SCHEMAS: dict[str, Any] = {**_DEFS["$defs"], "CommandEnvelope": _ENVELOPE}

router = APIRouter(tags=["commands"], responses=documented(*ANY_ROUTE))


def _millis(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


def command_view(record: CommandRecord) -> CommandView:
    """The public view of a scheduler record (times in Unix milliseconds)."""
    return CommandView(
        command_id=record.command_id,
        action=record.action,
        task_id=record.task_id,
        client_id=record.client_id,
        status=record.status,
        attempt=record.attempt,
        created_at=int(record.created_at * 1000),
        started_at=_millis(record.started_at),
        finished_at=_millis(record.finished_at),
        result=record.result,
        error=record.error,
    )


def _known(state: ServerState, command_id: str, principal: Principal) -> CommandRecord:
    record = state.scheduler.get(command_id)
    if record is None or not state.may_see_command(record, principal):
        # The scheduler keeps a bounded history: an old command id is as unknown as a wrong one,
        # and another principal's command is as unknown as either (its id says nothing).
        raise HTTPError(404, f"unknown command {command_id!r}")
    return record


async def _cancel_elsewhere(state: ServerState, view: CommandView) -> JSONResponse:
    """Replicas on Redis: ask whichever replica holds the command to cancel it (``202``)."""
    if view.status.is_final:
        detail = view.model_dump(mode="json")
        raise HTTPError(409, f"command {view.command_id!r} already {view.status.value}", detail=detail)
    assert state.cancel_elsewhere is not None
    await state.cancel_elsewhere(view.command_id)
    # Its replica sends the final ack as an event, like any cancel that takes its time.
    return JSONResponse(view.model_dump(mode="json"), status_code=202)


def _view_response(record: CommandRecord, status: int) -> JSONResponse:
    return JSONResponse(command_view(record).model_dump(mode="json"), status_code=status)


@router.post(
    "/api/commands",
    status_code=202,
    response_model=CommandAccepted,
    responses=documented(*WRITES),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {"oneOf": [*_BODY_REFS.values(), {"$ref": _COMPONENTS + "CommandEnvelope"}]}
                }
            },
            "required": True,
        }
    },
)
async def command(request: Request, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    """Submit a command (flat ``CommandRequest`` or a seed-004 ``Message`` of type ``command``).

    Its acks go to its client id (``client_id``, else ``X-Client-Id``, else the envelope's
    ``source``), which must be the caller's own (403 otherwise).
    """
    raw = await body_json(request)
    source: str | None = None
    if isinstance(raw, dict) and raw.get("type") == MessageType.COMMAND.value and "payload" in raw:
        envelope = raw
        payload = envelope.get("payload")
        if not isinstance(payload, dict):
            raise HTTPError(422, "command envelope payload must be an object")
        source = envelope.get("source") if isinstance(envelope.get("source"), str) else None
        raw = payload
    req = CommandRequest.model_validate(raw)
    client_id = req.client_id or request_client_id(request.scope) or source
    if client_id is not None and not state.registry.claim(client_id, principal):
        raise HTTPError(403, foreign_client_id(client_id))
    command_id = await state.intake.submit(req, client_id=client_id)
    state.own_command(command_id, principal)
    return JSONResponse(CommandAccepted(command_id=command_id).model_dump(mode="json"), status_code=202)


@router.get("/api/commands/{command_id}", responses=documented(404, 422))
async def command_status(command_id: str, state: StateDep, principal: PrincipalDep) -> CommandView:
    """Where a command is (seed 004 ``getTaskStatus``): status, attempt, result or error.

    Only its sender's principal sees it; to others it is 404 like an unknown id.
    """
    record = state.scheduler.get(command_id)
    if record is None and state.elsewhere is not None:
        view = await state.elsewhere(command_id)  # posted to or run by another replica
        if view is not None and state.may_see_command(view, principal):
            return view
    return command_view(_known(state, command_id, principal))


@router.delete(
    "/api/commands/{command_id}",
    response_model=CommandView,
    responses={
        202: {"model": CommandView, "description": "Cancellation requested; the handler is still running"},
        **documented(404, 409, *WRITES),
    },
)
async def command_cancel(command_id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    """Cancel a pending or running command (seed 004 ``cancelTask``); 409 once it is final.

    The final ``cancelled`` ack still travels to the sender as an event; this answer only
    saves the caller a round trip through the stream.
    """
    if state.scheduler.get(command_id) is None and state.cancel_elsewhere is not None:
        view = await state.elsewhere(command_id) if state.elsewhere is not None else None
        if view is not None and state.may_see_command(view, principal):
            return await _cancel_elsewhere(state, view)
    record = _known(state, command_id, principal)
    if record.status.is_final:
        raise HTTPError(
            409,
            f"command {command_id!r} already {record.status.value}",
            detail=command_view(record).model_dump(mode="json"),
        )
    cancelling = asyncio.ensure_future(state.scheduler.cancel(command_id))
    # A handler that swallows its cancellation keeps running; the request must not hang on
    # it. The cancel goes on in the background and its final ack still reaches the sender.
    done, _ = await asyncio.wait({cancelling}, timeout=state.cancel_wait_s)
    state.log.flush()  # a 2xx answer means the outcome (and its ack) is durable
    if not done:
        return _view_response(record, 202)
    # A run that finished while we waited for it keeps its real outcome: report what happened.
    return _view_response(record, 200 if record.status is CommandStatus.CANCELLED else 409)
