"""Tasks: the snapshot, the poll fallback, one task's detail, and the job system's writes."""

from __future__ import annotations

import json

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.convertors import StringConvertor, register_url_convertor

from monitor.core.protocol import (
    EPOCH_HEADER,
    MAX_ID_LENGTH,
    RESERVED_TASK_IDS,
    EventRecord,
    PollResponse,
    Snapshot,
    Task,
    TaskDetail,
    TaskSubmit,
    WorkerReport,
)
from monitor.server.log import GONE, LogRecord
from monitor.server.routes.errors import ANY_ROUTE, WRITES, HTTPError, documented
from monitor.server.state import StateDep
from monitor.server.stream import request_client_id, request_cursor, request_header
from monitor.server.tasks import InvalidTransition, TaskNotFound, event_task_id

__all__ = ["event_record", "router"]

router = APIRouter(tags=["tasks"], responses=documented(*ANY_ROUTE))


class _TaskIdConvertor(StringConvertor):
    """A ``{task_id}`` segment: any segment but the reserved words (``/api/tasks/poll`` is the poll,
    not a task; without this, ``DELETE /api/tasks/poll`` was routed and ``OPTIONS`` answered
    ``Allow: GET, DELETE``)."""

    regex = "(?!(?:" + "|".join(RESERVED_TASK_IDS) + ")(?:/|$))[^/]+"


register_url_convertor("task_id", _TaskIdConvertor())


def event_record(rec: LogRecord) -> EventRecord:
    """A logged event as the poll and detail answers carry it (data parsed back to JSON)."""
    try:
        data = json.loads(rec.data)
    except ValueError:
        data = rec.data
    return EventRecord(id=rec.id, type=rec.type, data=data)


@router.get("/api/tasks")
async def snapshot(state: StateDep, response: Response) -> Snapshot:
    """Every task and the log position it corresponds to (no await in between: atomic)."""
    log = state.log
    response.headers[EPOCH_HEADER] = log.epoch
    return Snapshot(tasks=state.tasks.all(), cursor=log.last_id, epoch=log.epoch)


@router.get("/api/tasks/poll", responses=documented(422))
async def poll(
    state: StateDep,
    request: Request,
    response: Response,
    after: str | None = Query(default=None, max_length=256),
    limit: int = Query(default=100, ge=1, le=1000),
) -> PollResponse:
    """Seed 000's polling fallback: events after the client's cursor (``reset`` for unknown ones).

    The cursor is the ``Last-Event-ID`` header (what seed 000's client sends), else ``after``,
    else the ``lastEventId`` / ``last_event_id`` query; none (or blank) reads from the oldest
    retained event. The header wins, as on the stream.
    """
    log = state.log
    response.headers[EPOCH_HEADER] = log.epoch
    client_id = request_client_id(request.scope)
    header = request_header(request.scope, b"last-event-id")
    if header is not None and header.strip():
        after = header.strip()
    elif after is None:
        after = request_cursor(request.scope)
    if after is not None and len(after) > MAX_ID_LENGTH:
        after = "invalid"  # treated as unknown: the client gets a reset, not an error
    page = log.read_after(after, limit)
    if page is GONE or not isinstance(page, list):
        state.hub.metrics.resets_total += 1
        return PollResponse(events=[], last_event_id=log.last_id, reset=True)
    visible = [event_record(r) for r in page if r.visible_to(client_id)]
    last = page[-1].id if page else (after or log.last_id)
    return PollResponse(events=visible, last_event_id=last)


@router.get("/api/tasks/{task_id:task_id}", responses=documented(404, 422))
async def task_detail(task_id: str, state: StateDep) -> TaskDetail:
    """One task and its newest logged events (at most 200).

    The task service keeps each task's event sequence numbers (built from the log at start-up,
    updated on publish), so this reads those events by key: no scan of the log.
    """
    task = state.tasks.get(task_id)
    if task is None:
        raise HTTPError(404, f"unknown task {task_id!r}")
    found: list[EventRecord] = []
    for rec in state.log.read_seqs(state.tasks.event_seqs(task_id)):
        if rec.target is None:
            ev = event_record(rec)
            if event_task_id(rec.type, ev.data) == task_id:  # a seq reused after a rollback is not
                found.append(ev)
    return TaskDetail(task=task, events=found)


@router.post("/api/tasks", status_code=201, responses=documented(409, *WRITES))
async def create_task(submit: TaskSubmit, state: StateDep) -> Task:
    """A job system announces a task."""
    try:
        task = await state.tasks.create(submit)
    except ValueError as exc:
        raise HTTPError(409, str(exc)) from None
    state.log.flush()  # a 2xx answer means the change is durable
    return task


@router.post("/api/tasks/{task_id:task_id}/events", responses=documented(404, 409, *WRITES))
async def report(task_id: str, body: WorkerReport, state: StateDep) -> Task:
    """A worker reports progress or an outcome."""
    try:
        task = await state.tasks.apply_report(task_id, body)
    except TaskNotFound:
        raise HTTPError(404, f"unknown task {task_id!r}") from None
    except InvalidTransition as exc:
        raise HTTPError(409, str(exc)) from None
    state.log.flush()
    return task


@router.delete("/api/tasks/{task_id:task_id}", status_code=204, responses=documented(404, *WRITES))
async def remove(task_id: str, state: StateDep) -> Response:
    """Forget a task (publishes ``task_removed``)."""
    if state.tasks.get(task_id) is None:
        raise HTTPError(404, f"unknown task {task_id!r}")
    await state.tasks.remove(task_id)
    state.log.flush()
    return Response(status_code=204)
