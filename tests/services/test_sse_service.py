"""SSEService on a fresh qasync loop against the real server: signals, store, lifecycle."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from monitor.core.settings import AppSettings, ReconnectSettings
from monitor.core.store import TaskStore
from monitor.server.app import create_app
from monitor.server.config import ServerConfig
from monitor.server.runner import ServerThread
from monitor.services.sse_service import SSEService
from tests.client.rawhttp import RawServer, stream


async def _until(pred: Callable[[], bool], service: SSEService, timeout: float = 10) -> None:
    end = asyncio.get_running_loop().time() + timeout
    while not pred():
        left = end - asyncio.get_running_loop().time()
        if left <= 0:
            raise TimeoutError("condition not reached")
        try:
            await asyncio.wait_for(service.wait_changed(), min(left, 0.5))
        except TimeoutError:
            pass


def _settings(url: str) -> AppSettings:
    return AppSettings(server_url=url, reconnect=ReconnectSettings(reconnect_interval_ms=250))


def test_lifecycle_signals_from_real_events(run: Callable[..., Any]) -> None:
    async def scenario() -> None:
        with ServerThread(create_app(ServerConfig(port=0, db=":memory:"))) as srv:
            async with httpx.AsyncClient(base_url=srv.url) as http:
                old = (await http.post("/api/tasks", json={"name": "old.wav"})).json()["id"]
                await http.post(f"/api/tasks/{old}/events", json={"kind": "started"})
                await http.post(f"/api/tasks/{old}/events", json={"kind": "completed"})
                store = TaskStore()
                service = SSEService(_settings(srv.url), store=store)
                seen: dict[str, list[Any]] = {
                    k: [] for k in ("added", "progressed", "completed", "failed", "state")
                }
                service.task_added.connect(seen["added"].append)
                service.task_progressed.connect(lambda i, p: seen["progressed"].append((i, p)))
                service.task_completed.connect(seen["completed"].append)
                service.task_failed.connect(lambda i, m: seen["failed"].append((i, m)))
                service.connection_state_changed.connect(lambda s: seen["state"].append(s.state.value))
                await service.start()
                with pytest.raises(RuntimeError, match="twice"):
                    await service.start()
                try:
                    await _until(lambda: "connected" in seen["state"], service)
                    assert old in store  # from the snapshot...
                    assert seen["completed"] == []  # ...without notifying history
                    new = (await http.post("/api/tasks", json={"name": "new.wav"})).json()["id"]
                    await http.post(f"/api/tasks/{new}/events", json={"kind": "started"})
                    await http.post(f"/api/tasks/{new}/events", json={"kind": "progress", "progress": 42.0})
                    await http.post(
                        f"/api/tasks/{new}/events", json={"kind": "failed", "error": {"message": "disk full"}}
                    )
                    await _until(lambda: bool(seen["failed"]), service)
                    assert (new, 42.0) in seen["progressed"]
                    assert seen["failed"] == [(new, "disk full")]
                    record = store.get(new)
                    assert record is not None
                    assert record.state.value == "failed"
                finally:
                    await service.aclose()
                assert seen["state"][-1] == "disconnected"

    run(scenario())


def test_malformed_event_is_counted_and_skipped(run: Callable[..., Any]) -> None:
    async def scenario() -> None:
        async with RawServer() as srv:
            srv.script(
                "/api/tasks/stream",
                stream(
                    b"event: task_created\ndata: {not json\n\n"
                    b'event: task_created\ndata: {"task": {"id": 5}}\n\n'
                    b'event: task_progress\ndata: {"jobId": "j1", "progress": 10}\n\n'
                    b'event: text\ndata: {"hello": "world"}\n\n',
                    stall=asyncio.Event(),
                ),
            )
            store = TaskStore()
            service = SSEService(_settings(srv.url), store=store)
            errors: list[str] = []
            messages: list[tuple[str, Any]] = []
            service.error_occurred.connect(errors.append)
            service.message_received.connect(lambda t, d: messages.append((t, d)))
            await service.start()
            try:
                await _until(lambda: bool(messages), service)
                assert service.malformed == 2
                assert len(errors) == 2
                assert "j1" in store  # seed-000 progress still fills the table
                assert messages == [("text", {"hello": "world"})]
            finally:
                await service.aclose()

    run(scenario())


def test_reconfigure_to_another_server_replaces_the_table(run: Callable[..., Any]) -> None:
    async def scenario() -> None:
        cfg = ServerConfig(port=0, db=":memory:")
        with ServerThread(create_app(cfg)) as first, ServerThread(create_app(cfg)) as second:
            async with httpx.AsyncClient() as http:
                a = (await http.post(first.url + "/api/tasks", json={"name": "on-first"})).json()["id"]
                b = (await http.post(second.url + "/api/tasks", json={"name": "on-second"})).json()["id"]
            store = TaskStore()
            service = SSEService(_settings(first.url), store=store, token="t1")
            removed: list[str] = []
            service.task_removed.connect(removed.append)
            await service.start()
            try:
                await _until(lambda: a in store, service)
                await service.reconfigure(_settings(second.url), token=None)
                await _until(lambda: b in store, service)
                assert a not in store
                assert removed == [a]
                assert service.token is None
                assert service.status.state.value in ("connecting", "connected")
            finally:
                await service.aclose()

    run(scenario())


class _RecordingStore(TaskStore):
    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.gc_during: bool | None = None
        self.fail = fail

    def apply_snapshot(self, tasks: Any, *, received_at: float, scope: str = "") -> Any:
        import gc

        self.gc_during = gc.isenabled()
        if self.fail:
            raise RuntimeError("boom")
        return super().apply_snapshot(tasks, received_at=received_at, scope=scope)


@pytest.mark.parametrize(("n", "paused"), [(10, False), (1_000, True)])
def test_large_snapshot_is_applied_with_the_gc_paused_and_restored(qapp: Any, n: int, paused: bool) -> None:
    import gc

    from monitor.core.protocol import Snapshot, Task

    snap = Snapshot(tasks=[Task(id=f"t{i}", name="n", created_at=1.0) for i in range(n)], epoch="e1")
    store = _RecordingStore()
    service = SSEService(_settings("http://127.0.0.1:9"), store=store)
    assert gc.isenabled()
    service._on_snapshot(snap)
    assert store.gc_during is (not paused)
    assert gc.isenabled()
    assert len(store) == n
    failing = _RecordingStore(fail=True)
    service = SSEService(_settings("http://127.0.0.1:9"), store=failing)
    with pytest.raises(RuntimeError):
        service._on_snapshot(snap)
    assert gc.isenabled()  # restored even when the apply fails
