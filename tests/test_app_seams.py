"""The app where its layers meet: the real ``DesktopApp`` against a real server (issue 11, item 3).

Each test builds the whole app in-process (``--demo`` starts the reference server in a thread
on 127.0.0.1, the app talks to it over loopback) on a fresh qasync loop, offscreen, and acts
through the same widgets and actions a user has.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from monitor.app import DesktopApp, build_parser
from monitor.core.lifecycle import PendingAction
from monitor.core.protocol import TaskState
from monitor.core.store import Updated
from monitor.ui.task_model import TaskColumn
from monitor.wiring.parts import Parts
from tests.waiting import until


@contextlib.asynccontextmanager
async def running_app(config_dir: Path, *extra: str, demo: bool = True) -> AsyncIterator[DesktopApp]:
    """The real app (with ``--demo``, fast, unless ``demo`` is False), built and streaming; quit and
    awaited on exit."""
    demo_args = ["--demo", "--demo-speed", "20"] if demo else []
    args = build_parser().parse_args([*demo_args, "--config-dir", str(config_dir), "--new-instance", *extra])
    from PySide6.QtWidgets import QApplication

    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    desktop = DesktopApp(qapp, args)
    run = asyncio.ensure_future(desktop.run())
    built = asyncio.ensure_future(desktop.built.wait())
    await asyncio.wait({run, built}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
    if not built.done():
        built.cancel()
        raise AssertionError(f"the app did not build (run done: {run.done()})")
    try:
        yield desktop
    finally:
        desktop.quit(0)
        assert await asyncio.wait_for(run, 15) == 0


def parts_of(desktop: DesktopApp) -> Parts:
    assert desktop.parts is not None
    return desktop.parts


def ids_in(parts: Parts, state: TaskState) -> list[str]:
    return [i for i in parts.store.ids() if (r := parts.store.get(i)) is not None and r.state is state]


def status_cell(parts: Parts, task_id: str) -> str:
    parts.view.model.flush()
    row = parts.view.model.row_of(task_id)
    assert row is not None, f"{task_id} is not shown"
    return str(parts.view.model.data(parts.view.model.index(row, TaskColumn.STATUS)))


# ---------------------------------------------------------------------- 3a: pending state


def test_pause_shows_pausing_until_the_server_confirms(run: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            await until(lambda: ids_in(parts, TaskState.RUNNING), 15, "a running task")
            task_id = ids_in(parts, TaskState.RUNNING)[0]
            parts.view.clear_filters()
            parts.view.model.flush()
            assert parts.view.select_task(task_id)
            parts.view.task_actions.pause_resume.trigger()
            # Synchronously, before the server could answer: the mark is typed and translated.
            assert parts.view.model.pending(task_id) is PendingAction.PAUSING
            assert status_cell(parts, task_id) == "Pausing…"
            # A progress tick through the real wiring is no answer: the mark stays.
            parts.service.tasks_changed.emit(
                [Updated(task_id, frozenset({"progress"}), TaskState.RUNNING, TaskState.RUNNING)]
            )
            assert status_cell(parts, task_id) == "Pausing…"
            seen: list[str] = []

            def paused() -> bool:
                seen.append(status_cell(parts, task_id))
                return parts.view.model.pending(task_id) is None

            await until(paused, 10, "the pause to be confirmed")
            assert "" not in seen  # never blank on the way
            record = parts.store.get(task_id)
            assert record is not None
            assert record.state is TaskState.PAUSED
            assert status_cell(parts, task_id) == "Paused"

    run(scenario())


def test_a_refused_command_clears_its_mark_and_says_why(run: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            await until(lambda: ids_in(parts, TaskState.RUNNING), 15, "a running task")
            await until(lambda: parts.commands is not None, 5, "the command service")
            task_id = ids_in(parts, TaskState.RUNNING)[0]
            assert parts.commands is not None
            parts.commands.resume([task_id])  # a running task cannot be resumed: the server refuses
            assert status_cell(parts, task_id) == "Resuming…"
            await until(lambda: parts.view.model.pending(task_id) is None, 10, "the refusal")
            assert status_cell(parts, task_id) != "Resuming…"
            assert task_id in parts.window.statusBar().currentMessage()

    run(scenario())


# ---------------------------------------------------------------------- 3b: a new server lifetime


@pytest.mark.slow
def test_a_restarted_server_rebuilds_the_table(run: Any, tmp_path: Path) -> None:
    import httpx

    from monitor.core.notify_policy import NotifyEvent
    from tests.e2e.harness import ServerProcess, free_port

    port = free_port()
    fast = ServerProcess(port, ":memory:", demo=True, env={"MONITOR_SERVER_DEMO_SPEED": "200"})
    slow = ServerProcess(port, ":memory:", demo=True, env={"MONITOR_SERVER_DEMO_SPEED": "1"})

    def server_states() -> dict[str, str]:
        tasks = httpx.get(slow.url + "/api/tasks", timeout=5).json()
        items = tasks["tasks"] if isinstance(tasks, dict) else tasks
        return {t["id"]: t["state"] for t in items}

    async def scenario() -> None:
        await asyncio.to_thread(fast.start)
        try:
            # demo=False: with --demo the app watches its own in-process server and ignores --server.
            async with running_app(tmp_path, "--server", fast.url, demo=False) as desktop:
                parts = parts_of(desktop)
                await until(lambda: ids_in(parts, TaskState.COMPLETED), 20, "completed tasks")
                finished_before = set(ids_in(parts, TaskState.COMPLETED))
                all_done: list[object] = []
                parts.notifier.delivered.connect(
                    lambda _path, notice: (
                        all_done.append(notice) if notice.kind is NotifyEvent.ALL_DONE else None
                    )
                )
                resyncs: list[object] = []
                parts.service.resync_started.connect(resyncs.append)
                await asyncio.to_thread(fast.kill)
                await asyncio.to_thread(slow.start)  # same port, fresh database: ids start again
                want: dict[str, str] = {}
                have: dict[str, str] = {}

                def rebuilt() -> bool:
                    want.clear()
                    want.update(server_states())
                    have.clear()
                    have.update({i: r.state.value for i in parts.store.ids() if (r := parts.store.get(i))})
                    return bool(want) and have == {i: s for i, s in want.items() if i in have}

                try:
                    await until(rebuilt, 20, "the store to hold the new server's tasks")
                except AssertionError:
                    raise AssertionError(f"resyncs {resyncs} store {have} server {want}") from None
                reused = finished_before & {i for i, s in want.items() if s != "completed"}
                assert reused, "the new server should reuse some finished ids (the bug's trigger)"
                for task_id in reused:
                    record = parts.store.get(task_id)
                    assert record is None or record.state.value == want[task_id]
                assert not all_done  # nothing was "all done" while the new server runs tasks
        finally:
            await asyncio.to_thread(fast.stop)
            await asyncio.to_thread(slow.stop)

    run(scenario())
