"""External executors: claim the commands on their tasks, answer whether their job system can do them."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from monitor.core.executor import ExecutorClaim, ExecutorVerdict
from monitor.core.protocol import PathId
from monitor.server.executors import CommandGone
from monitor.server.identity import PrincipalDep
from monitor.server.routes.errors import ANY_ROUTE, WRITES, HTTPError, documented
from monitor.server.scheduler import CommandRejected
from monitor.server.state import StateDep

__all__ = ["router"]

router = APIRouter(tags=["executors"], responses=documented(*ANY_ROUTE))
#: Executor names share the client-id registry under a prefix no client id can have ("/").
_NAME_PREFIX = "executor/"


def _own(state: StateDep, name: str, principal: PrincipalDep) -> None:
    """An executor name belongs to the principal that used it first (like a client id): another
    principal could otherwise claim Alice's commands and answer them."""
    if not state.registry.claim(_NAME_PREFIX + name, principal):
        raise HTTPError(403, f"executor {name!r} belongs to another principal; choose another name")


@router.get("/api/executors/{name}/commands", responses=documented(422))
async def claim(
    name: PathId, state: StateDep, principal: PrincipalDep, wait: float = Query(default=25.0, ge=0, le=60)
) -> ExecutorClaim:
    """Long poll: the commands on this executor's tasks, waiting up to ``wait`` seconds for one."""
    _own(state, name, principal)
    return ExecutorClaim(commands=await state.executors.claim(name, wait))


@router.post(
    "/api/executors/{name}/commands/{command_id}",
    responses={204: {"description": "refusal taken"}, **documented(404, 409, *WRITES)},
)
async def answer(
    name: PathId, command_id: PathId, verdict: ExecutorVerdict, state: StateDep, principal: PrincipalDep
) -> Response:
    """The executor's verdict: ``200`` + the task once the server applied it, ``204`` for a refusal,
    ``409`` when the task no longer allows the command (do not act), ``404`` for an unknown command,
    ``403`` when the executor name is another principal's."""
    _own(state, name, principal)
    try:
        task = await state.executors.answer(name, command_id, verdict)
    except CommandGone as exc:
        raise HTTPError(404, str(exc)) from None
    except CommandRejected as exc:
        raise HTTPError(409, str(exc)) from None
    if task is None:
        return Response(status_code=204)
    state.log.flush()
    return JSONResponse(task.model_dump(mode="json"))
