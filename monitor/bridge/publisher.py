"""The bridge's side of ``monitor serve``'s HTTP API: publish tasks, claim and answer commands.

A bridge is a job system's client of the server, with the server's token: it creates tasks
(``POST /api/tasks``), reports on them (``POST /api/tasks/{id}/events``), and, as the executor of
its tasks, claims the commands on them (``GET /api/executors/{name}/commands``) and answers
(``POST /api/executors/{name}/commands/{id}``). See docs/protocol.md, "External executors".
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final
from urllib.parse import quote

import httpx

from monitor.core.backoff import ReconnectPolicy
from monitor.core.executor import ExecutorClaim, ExecutorCommand, ExecutorVerdict
from monitor.core.protocol import Task, TaskSubmit, WorkerReport

__all__ = ["CLAIM_WAIT_S", "MonitorPublisher"]

_log = logging.getLogger(__name__)

#: How long one claim waits on the server for a command (a long poll).
CLAIM_WAIT_S: Final = 20.0
#: Pause after a claim the server refused, before the next one.
_REFUSED_CLAIM_S: Final = 5.0


def _seg(value: str) -> str:
    return quote(value, safe="")


class MonitorPublisher:
    """Publishes into one ``monitor serve``; every call retries transport errors until it gets an answer.

    Args:
        base_url: The server, e.g. ``http://127.0.0.1:8765``.
        token: Bearer token, if the server needs one.
        executor: The executor name this bridge answers for.
        client_id: ``X-Client-Id`` of the bridge.
    """

    def __init__(
        self, base_url: str, *, token: str | None, executor: str, client_id: str = "monitor-bridge"
    ) -> None:
        """See the class docstring."""
        headers = {"X-Client-Id": client_id}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # The read timeout covers the long poll plus a margin; writes answer in milliseconds.
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(10.0, read=CLAIM_WAIT_S + 15),
        )
        self._executor = executor

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()

    async def create(self, submit: TaskSubmit) -> None:
        """Announce a task; one that already exists is fine (a re-sent run, a bridge restart)."""
        response = await self._send("POST", "/api/tasks", submit.model_dump(mode="json", exclude_none=True))
        if response.status_code not in (201, 409):
            _log.warning("task %s not created: %s %s", submit.id, response.status_code, response.text[:300])

    async def report(self, task_id: str, report: WorkerReport) -> int:
        """Report on a task; returns the HTTP status (404: unknown task, 409: does not fit its state)."""
        path = f"/api/tasks/{_seg(task_id)}/events"
        response = await self._send("POST", path, report.model_dump(mode="json", exclude_none=True))
        if response.status_code == 409:
            # Celery and the server raced (a revoke after the task was already cancelled here).
            _log.debug("report %s on %s refused: %s", report.kind.value, task_id, response.text[:300])
        elif response.status_code not in (200, 404):
            _log.warning("report on %s: %s %s", task_id, response.status_code, response.text[:300])
        return response.status_code

    async def claim(self) -> list[ExecutorCommand]:
        """Wait (up to :data:`CLAIM_WAIT_S`) for commands on this executor's tasks."""
        path = f"/api/executors/{_seg(self._executor)}/commands"
        response = await self._send("GET", f"{path}?wait={CLAIM_WAIT_S:g}", None)
        if response.status_code != 200:
            # A wrong token (401), an old server without executors (404): say so every few seconds.
            _log.warning("claim: %s %s", response.status_code, response.text[:300])
            await asyncio.sleep(_REFUSED_CLAIM_S)
            return []
        return ExecutorClaim.model_validate_json(response.content).commands

    async def answer(self, command_id: str, verdict: ExecutorVerdict) -> Task | None:
        """Give the verdict; returns the task once the server applied an ``ok`` one, else None."""
        path = f"/api/executors/{_seg(self._executor)}/commands/{_seg(command_id)}"
        response = await self._send("POST", path, verdict.model_dump(mode="json", exclude_none=True))
        if response.status_code == 200:
            return Task.model_validate_json(response.content)
        if response.status_code != 204:
            _log.info("command %s not applied: %s %s", command_id, response.status_code, response.text[:300])
        return None

    async def _send(self, method: str, path: str, body: object) -> httpx.Response:
        backoff = ReconnectPolicy(reconnect_interval=500, max_interval=10_000)
        while True:
            try:
                return await self._http.request(method, path, json=body)
            except httpx.TransportError as exc:
                delay = backoff.next_delay() or 10.0
                _log.warning("%s %s: %s; again in %.1f s", method, path, exc or type(exc).__name__, delay)
                await asyncio.sleep(delay)  # the server is away: wait before trying again
