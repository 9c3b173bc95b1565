"""External executors: claim the commands on their tasks, answer whether their job system can do them."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from monitor.core.executor import ExecutorClaim, ExecutorVerdict
from monitor.core.protocol import PathId
from monitor.server.executors import CommandGone
from monitor.server.routes.errors import HTTPError
from monitor.server.scheduler import CommandRejected
from monitor.server.state import StateDep

__all__ = ["router"]

router = APIRouter(tags=["executors"])


@router.get("/api/executors/{name}/commands")
async def claim(
    name: PathId, state: StateDep, wait: float = Query(default=25.0, ge=0, le=60)
) -> ExecutorClaim:
    """Long poll: the commands on this executor's tasks, waiting up to ``wait`` seconds for one."""
    return ExecutorClaim(commands=await state.executors.claim(name, wait))


@router.post("/api/executors/{name}/commands/{command_id}", responses={204: {"description": "refusal taken"}})
async def answer(name: PathId, command_id: PathId, verdict: ExecutorVerdict, state: StateDep) -> Response:
    """The executor's verdict: ``200`` + the task once the server applied it, ``204`` for a refusal,
    ``409`` when the task no longer allows the command (do not act), ``404`` for an unknown command."""
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
