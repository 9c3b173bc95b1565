"""Glue that serves seed 000's FastAPI example (``seeds/seed000_tasks.py``, extracted verbatim).

    python -m tests.interop.seed000_app --port PORT [--with-time-import]

The seed's router is executed as written and mounted at ``/api/tasks``. What the seed leaves
undefined is supplied here, and only that:

* ``get_task_updates(last_id)``: called by the seed, defined nowhere. Here: the updates appended
  by ``POST /_glue/updates`` in this process, ids 1, 2, 3... per process (a restart starts over,
  as a real per-process id counter would).
* ``/api/tasks/poll``: the seed's *client* polls ``url.replace('/stream', '/poll')`` with a
  ``Last-Event-ID`` header and reads ``{"events": [{"id", "type", "data"}]}``; the backend has no
  such route. This is the minimal one that client implies: header only, integer ids.
* ``time``: the seed calls ``time.time()`` and never imports ``time``. As written (the default),
  every stream raises ``NameError`` at its first heartbeat, right after sending the pending
  updates, so each connection delivers one batch and dies. ``--with-time-import`` adds the
  import, the one change needed for a stream that stays open; tests say which one they run.
* A request log (one ``REQ`` line per request) for the tests.
"""

from __future__ import annotations

import argparse
import socket
import time
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import APIRouter, FastAPI, Request

from tests.interop.procs import asgi_request_log

__all__ = ["create_app", "load_router"]

SOURCE = Path(__file__).parent / "seeds" / "seed000_tasks.py"

_updates: list[dict[str, Any]] = []  # the seed's "queue or database" (获取任务更新（从队列或数据库）)


async def get_task_updates(last_id: int) -> list[dict[str, Any]]:
    """Updates after ``last_id`` (the seed's call: ``await get_task_updates(last_id)``)."""
    return [u for u in _updates if u["id"] > last_id]


def load_router(*, with_time_import: bool) -> APIRouter:
    """Execute the seed's module text as written, with ``get_task_updates`` (and ``time``) defined."""
    namespace: dict[str, Any] = {"__name__": "seed000_tasks", "get_task_updates": get_task_updates}
    if with_time_import:
        namespace["time"] = time
    exec(compile(SOURCE.read_text(encoding="utf-8"), str(SOURCE), "exec"), namespace)
    router = namespace["router"]
    assert isinstance(router, APIRouter)
    return router


def create_app(*, with_time_import: bool) -> Any:
    """The seed's router at ``/api/tasks``, the implied ``/poll``, the glue publisher."""
    app = FastAPI()
    app.include_router(load_router(with_time_import=with_time_import), prefix="/api/tasks")

    @app.get("/api/tasks/poll")
    async def poll(request: Request) -> dict[str, Any]:
        raw = request.headers.get("last-event-id") or ""
        last_id = int(raw) if raw.isdigit() else 0
        return {"events": await get_task_updates(last_id)}

    @app.post("/_glue/updates")
    async def publish(body: dict[str, Any]) -> dict[str, Any]:
        update = {"id": len(_updates) + 1, "type": body["type"], "data": body["data"]}
        _updates.append(update)
        return {"id": update["id"]}

    return asgi_request_log(app)


def main() -> None:
    """Bind, say so on stdout, serve until SIGTERM."""
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--with-time-import", action="store_true")
    args = p.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(128)  # before the parent is told: its first request waits in the backlog
    app = create_app(with_time_import=args.with_time_import)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1))
    print(f"LISTENING http://127.0.0.1:{args.port}", flush=True)
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
