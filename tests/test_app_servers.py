"""Several servers at once (issue 15 item 2): the real app against TWO real ``monitor serve --demo``.

Both servers are subprocesses on loopback with their own in-memory database, so both name their
jobs ``demo-0001``, ``demo-0002``...: the same ids on two servers, which is exactly what the
per-server namespaces must keep apart. The app is the real ``DesktopApp`` (offscreen, fresh
qasync loop), configured by a settings file with two active profiles, as a user would write it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.app import DesktopApp
from monitor.client.engine import IncomingEvent
from monitor.core.connection import ConnectionState
from monitor.core.notify_history import NoticeAction
from monitor.core.protocol import TaskState
from monitor.core.servers import local_id, server_of, server_prefix
from monitor.core.store import Removed, TaskColumn
from monitor.services.notifier import NoticeActionRequest
from monitor.ui.tray import IconState
from monitor.wiring.parts import Parts
from tests.e2e.harness import ServerProcess, free_port
from tests.test_app_seams import parts_of, running_app
from tests.waiting import until

pytestmark = pytest.mark.timeout(120)

A, B = "alpha", "beta"


@pytest.fixture
def two_servers() -> Iterator[tuple[ServerProcess, ServerProcess]]:
    servers = tuple(
        ServerProcess(free_port(), ":memory:", demo=True, env={"MONITOR_SERVER_DEMO_SPEED": "4"})
        for _ in range(2)
    )
    try:
        for server in servers:
            server.start()
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()


def _write_settings(folder: Path, a: ServerProcess, b: ServerProcess) -> None:
    fast = {"reconnect_interval_ms": 200, "max_reconnect_interval_ms": 1000, "jitter": 0}
    folder.mkdir(exist_ok=True)
    (folder / "settings.json").write_text(
        json.dumps(
            {
                "profiles": [
                    {
                        "name": name,
                        "stream_url": f"{s.url}/api/tasks/stream",
                        "active": True,
                        "reconnect": fast,
                    }
                    for name, s in ((A, a), (B, b))
                ],
                "active_profile": A,
                "confirm": {"cancel": False, "bulk": False},  # the test acts, no dialog to answer
            }
        )
    )


@contextlib.asynccontextmanager
async def _app_on(
    tmp_path: Path, a: ServerProcess, b: ServerProcess
) -> AsyncIterator[tuple[DesktopApp, Parts]]:
    """The real app watching both servers (a settings file with two active profiles)."""
    _write_settings(tmp_path, a, b)
    async with running_app(tmp_path, demo=False) as desktop:
        yield desktop, parts_of(desktop)


def _ids_of(parts: Parts, server: str, *states: TaskState) -> list[str]:
    return [
        i
        for i in parts.store.ids()
        if server_of(i) == server
        and (not states or ((r := parts.store.get(i)) is not None and r.state in states))
    ]


def _cell(parts: Parts, task_id: str, column: TaskColumn) -> str:
    model = parts.view.model
    model.flush()
    row = model.row_of(task_id)
    assert row is not None, f"{task_id!r} is not shown"
    return str(model.data(model.index(row, column)))


def _server_task(server: ServerProcess, task_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{server.url}/api/tasks/{task_id}", timeout=5)
    answer.raise_for_status()
    return dict(answer.json()["task"])


def _acks(parts: Parts, name: str) -> list[dict[str, Any]]:
    """The ack events the app receives from server ``name``, from now on."""
    seen: list[dict[str, Any]] = []
    link = next(link for link in parts.servers.links if link.name == name)
    assert link.service.engine is not None

    def note(event: IncomingEvent) -> None:
        if event.type == "ack":
            seen.append(json.loads(event.data))

    link.service.engine.on_event(note)
    return seen


def _ack_payload(data: dict[str, Any]) -> dict[str, Any]:
    """The :class:`CommandAck` inside an ack event (a ``Message`` envelope around it)."""
    if "command_id" in data:
        return data
    inner = next((v for v in data.values() if isinstance(v, dict) and "command_id" in v), None)
    assert inner is not None, f"no ack in {data}"
    return inner


def test_two_servers_one_table_and_a_cancel_reaches_its_own_server_only(
    run: Any, tmp_path: Path, two_servers: tuple[ServerProcess, ServerProcess]
) -> None:
    a, b = two_servers

    async def scenario() -> None:
        async with _app_on(tmp_path, a, b) as (_desktop, parts):
            view = parts.view
            await until(
                lambda: _ids_of(parts, A, TaskState.RUNNING) and _ids_of(parts, B, TaskState.RUNNING),
                30,
                "running tasks from both servers",
            )
            # One merged table: the Server column is shown and names each task's server; the ID
            # column shows the id as its server knows it.
            assert not view.table.isColumnHidden(TaskColumn.SERVER)
            target = _ids_of(parts, B, TaskState.RUNNING)[0]
            twin = server_prefix(A) + local_id(target)  # the same id on server A
            assert target == server_prefix(B) + local_id(target)
            assert _cell(parts, target, TaskColumn.SERVER) == B
            assert _cell(parts, _ids_of(parts, A)[0], TaskColumn.SERVER) == A
            assert _cell(parts, target, TaskColumn.ID) == local_id(target)
            await until(lambda: twin in parts.store, 20, f"server A to have {local_id(target)} too")
            # The sidebar has a server group with counts; picking one filters by it.
            await until(
                lambda: all(re.fullmatch(rf"{n} \([1-9]\d*\)", view.sidebar.server_text(n)) for n in (A, B)),
                5,
                "the servers' counts",
            )
            view.sidebar.select_server(B)
            assert view.search.text() == f"server:{B}"
            view.model.flush()
            assert view.model.rows()
            assert {server_of(i) for i in view.model.rows()} == {B}
            view.clear_filters()

            # Cancel B's task through the table's own action.
            acks_a, acks_b = _acks(parts, A), _acks(parts, B)
            await until(lambda: parts.servers.links[1].commands is not None, 10, "B's command service")

            def running_twins() -> list[str]:  # B's running tasks whose id A has too
                return [
                    i
                    for i in _ids_of(parts, B, TaskState.RUNNING)
                    if server_prefix(A) + local_id(i) in parts.store
                ]

            await until(running_twins, 20, "a running task of B whose id A has too")
            target = running_twins()[0]  # picked and cancelled with no await between: still running
            twin = server_prefix(A) + local_id(target)
            view.model.flush()
            assert view.select_task(target)
            assert parts.view.task_actions.cancel.isEnabled()
            parts.view.task_actions.cancel.trigger()
            await until(lambda: acks_b, 15, "B's ack")
            await until(
                lambda: (r := parts.store.get(target)) is not None and r.state is TaskState.CANCELLED,
                15,
                "B's task to be cancelled",
            )
            ack = _ack_payload(acks_b[-1])
            command_id = str(ack["command_id"])
            assert ack["task_id"] == local_id(target)
            # The servers' own command logs: B has the command, A never heard of it.
            on_b = await asyncio.to_thread(httpx.get, f"{b.url}/api/commands/{command_id}", timeout=5)
            on_a = await asyncio.to_thread(httpx.get, f"{a.url}/api/commands/{command_id}", timeout=5)
            assert on_b.status_code == 200, on_b.text
            assert (on_b.json()["taskId"], on_b.json()["action"]) == (local_id(target), "cancel")
            assert on_a.status_code == 404
            assert acks_a == []
            assert _server_task(b, local_id(target))["state"] == "cancelled"
            # The demo never cancels by itself: A's task of the same id was not touched.
            assert _server_task(a, local_id(target))["state"] not in ("cancelling", "cancelled")
            record = parts.store.get(twin)
            assert record is not None
            assert record.state not in (TaskState.CANCELLING, TaskState.CANCELLED)

            # F5 on the selection asks B (only B) about its task.
            answered = len(acks_b)
            view.model.flush()
            assert view.select_task(target)
            view.task_actions.refresh.trigger()
            await until(lambda: len(acks_b) > answered, 10, "B's answer to the query")
            assert {_ack_payload(x).get("action") for x in acks_b[answered:]} == {"query"}  # accepted, done
            # A notification's Retry button retries on B (only B).
            parts.notifier.action_requested.emit(NoticeActionRequest(NoticeAction.RETRY, target))
            await until(
                lambda: "retry" in [_ack_payload(x).get("action") for x in acks_b], 10, "B's retry ack"
            )
            await until(
                lambda: (r := parts.store.get(target)) is not None and r.state is not TaskState.CANCELLED,
                10,
                "B's task to run again",
            )
            assert acks_a == []

    run(scenario())


def test_a_dead_server_shows_as_the_worst_state_and_its_restart_rebuilds_only_its_tasks(
    run: Any, tmp_path: Path, two_servers: tuple[ServerProcess, ServerProcess]
) -> None:
    a, b = two_servers

    async def scenario() -> None:
        async with _app_on(tmp_path, a, b) as (_desktop, parts):
            indicator = parts.window.indicator
            await until(lambda: _ids_of(parts, A) and _ids_of(parts, B), 30, "tasks from both servers")
            await until(lambda: indicator.status.state is ConnectionState.CONNECTED, 10, "both live")
            link_a, link_b = parts.servers.links

            await asyncio.to_thread(a.kill)
            await until(lambda: not link_a.status.state.is_live, 15, "the app to notice A is gone")
            # The chip shows the worst state; its tooltip lists each server; the tray too.
            assert indicator.status is link_a.status
            assert indicator.text() != "Live"
            tip = indicator.tooltip_text()
            assert f"{B}: Live" in tip
            assert f"{A}: " in tip
            assert f"{A}: Live" not in tip
            assert parts.tray.state is IconState.DISCONNECTED
            # B's tasks stay live: news keeps arriving for them, and the table is not greyed.
            assert link_b.status.state is ConnectionState.CONNECTED
            assert indicator.stale_since is None
            changed_b: list[str] = []
            parts.servers.tasks_changed.connect(
                lambda changes: changed_b.extend(
                    i
                    for c in changes
                    for i in getattr(c, "ids", (getattr(c, "id", ""),))
                    if server_of(i) == B
                )
            )
            await until(lambda: changed_b, 15, "news for B's tasks while A is down")

            # A comes back with a fresh database: a new epoch. Only A's tasks are rebuilt.
            old_a = {i: parts.store.get(i) for i in _ids_of(parts, A)}
            b_records = {i: parts.store.get(i) for i in _ids_of(parts, B)}
            removed: list[str] = []
            rebuilding = [False]

            def note_removed(changes: list[object]) -> None:
                if rebuilding[0]:  # the changes of A's rebuild only (not B's own news meanwhile)
                    removed.extend(i for c in changes if isinstance(c, Removed) for i in c.ids)

            parts.servers.tasks_changed.connect(note_removed)
            resyncs: list[object] = []
            link_a.service.resync_started.connect(lambda _r: rebuilding.__setitem__(0, True))
            link_a.service.resync_finished.connect(
                lambda r: (rebuilding.__setitem__(0, False), resyncs.append(r))
            )
            await asyncio.to_thread(a.start)
            parts.window.retry_now_requested.emit()
            await until(lambda: resyncs, 20, "A's new lifetime")
            await until(lambda: indicator.status.state is ConnectionState.CONNECTED, 15, "both live again")
            assert parts.tray.state is not IconState.DISCONNECTED
            # A's old list went, whole; nothing of B's did.
            assert removed
            assert {server_of(i) for i in removed} == {A}
            assert set(old_a) <= set(removed)
            # B's records are the very same objects (news merged into them, never rebuilt)...
            still = [i for i in b_records if i in parts.store]
            assert still
            assert all(parts.store.get(i) is b_records[i] for i in still)
            # ...while A's ids that came back are new records of the new lifetime.
            assert all(parts.store.get(i) is not old_a[i] for i in _ids_of(parts, A) if i in old_a)

    run(scenario())


def test_one_server_looks_as_before_and_a_second_one_can_join(
    run: Any, tmp_path: Path, two_servers: tuple[ServerProcess, ServerProcess]
) -> None:
    a, b = two_servers
    _write_settings(tmp_path, a, b)
    saved = json.loads((tmp_path / "settings.json").read_text())
    saved["profiles"][1]["active"] = False  # only alpha is watched
    (tmp_path / "settings.json").write_text(json.dumps(saved))

    async def scenario() -> None:
        from monitor.ui.settings_dialog import SettingsDialog

        async with running_app(tmp_path, demo=False) as desktop:
            parts = parts_of(desktop)
            view = parts.view
            await until(lambda: len(parts.store) > 0, 30, "alpha's tasks")
            # One server: ids exactly the server's, no Server column or server group by default,
            # and the opt-in Server column names the one server.
            assert all(server_of(i) == "" for i in parts.store.ids())
            assert view.table.isColumnHidden(TaskColumn.SERVER)
            with pytest.raises(KeyError):
                view.sidebar.server_text(A)
            first = parts.store.ids()[0]
            assert _cell(parts, first, TaskColumn.SERVER) == A
            assert _cell(parts, first, TaskColumn.ID) == first
            assert "Servers:" not in parts.window.indicator.tooltip_text()

            # The user ticks beta in the settings dialog and presses OK.
            parts.window.settings_requested.emit()
            dialog = parts.window.findChild(SettingsDialog)
            assert dialog is not None
            dialog.server_list.boxes[B].setChecked(True)
            dialog.accept()
            await until(
                lambda: _ids_of(parts, A) and _ids_of(parts, B) and not _ids_of(parts, ""),
                30,
                "both servers' tasks, each in its namespace, and none left without one",
            )
            assert [link.name for link in parts.servers.links] == [A, B]
            assert parts.window.windowTitle() == f"Monitor — {A}, {B}"
            assert not view.table.isColumnHidden(TaskColumn.SERVER)
            await until(lambda: "Servers:" in parts.window.indicator.tooltip_text(), 10, "the servers' lines")
            saved_now = json.loads((tmp_path / "settings.json").read_text())
            assert [p["active"] for p in saved_now["profiles"]] == [True, True]

    run(scenario())
