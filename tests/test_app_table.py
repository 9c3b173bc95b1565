"""Issue 12 through the real ``DesktopApp``: focus on the table at start, the empty table's words
by connection, and frozen, visibly marked data once the server goes away."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from monitor.core.protocol import TaskState
from monitor.server.app import create_app
from monitor.server.config import ServerConfig
from monitor.server.runner import ServerThread
from monitor.ui.task_model import TaskColumn
from tests.e2e.harness import free_port
from tests.test_app_seams import parts_of, running_app
from tests.waiting import until


def test_focus_starts_on_the_table_and_the_empty_table_waits_for_the_server(run: Any, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/api/tasks/stream"  # nothing listens: never connected

    async def scenario() -> None:
        async with running_app(tmp_path, "--stream", dead, demo=False) as desktop:
            parts = parts_of(desktop)
            assert parts.window.focusWidget() is parts.view.table
            assert parts.view.empty_state.isVisibleTo(parts.view)
            assert parts.view.empty_state.text() == "Waiting for the server…"

    run(scenario())


def test_a_connected_empty_server_says_no_tasks_yet(run: Any, tmp_path: Path) -> None:
    server = ServerThread(
        create_app(ServerConfig(port=0, db=":memory:", log_level="warning")), log_level="error"
    )
    server.start()

    async def scenario() -> None:
        async with running_app(tmp_path, "--stream", f"{server.url}/api/tasks/stream", demo=False) as desktop:
            view = parts_of(desktop).view
            await until(lambda: view.empty_state.text() == "No tasks yet", 15, "the connected empty state")
            assert view.empty_state.isVisibleTo(view)

    try:
        run(scenario())
    finally:
        server.stop()


def test_offline_freezes_eta_and_elapsed_and_says_as_of(run: Any, tmp_path: Path) -> None:
    config = ServerConfig(port=0, db=":memory:", demo=True, demo_speed=20, log_level="warning")
    server = ServerThread(create_app(config), log_level="error").start()

    async def scenario() -> None:
        async with running_app(tmp_path, "--stream", f"{server.url}/api/tasks/stream", demo=False) as desktop:
            parts = parts_of(desktop)
            view, model = parts.view, parts.view.model

            def running_with_eta() -> str | None:
                for tid in parts.store.ids():
                    rec = parts.store.get(tid)
                    if rec is not None and rec.state is TaskState.RUNNING and rec.started_at is not None:
                        return tid
                return None

            await until(running_with_eta, 15, "a running task")
            task_id = running_with_eta()
            assert task_id is not None
            view.clear_filters()
            view.select_task(task_id, reveal=True)
            # The server goes away: the real engine notices, the indicator marks the data stale.
            server.stop()
            await until(lambda: model.stale_since is not None, 15, "the data to go stale")
            as_of = model.stale_since
            assert as_of is not None

            def cells() -> tuple[str, str]:
                model.flush()
                row = model.row_of(task_id)
                assert row is not None
                eta = str(model.data(model.index(row, TaskColumn.ETA)))
                return eta, str(model.data(model.index(row, TaskColumn.ELAPSED)))

            frozen = cells()
            # Two seconds later a live Elapsed (shown to the second) would read differently.
            await until(lambda: time.time() > as_of + 2.2, 5, "the clock to move on")
            assert cells() == frozen
            row = model.row_of(task_id)
            assert row is not None
            assert model.data(model.index(row, TaskColumn.NAME), Qt.ItemDataRole.ForegroundRole) is not None
            assert "offline: as of" in view.showing.text()
            assert view.detail.stale_note.isVisibleTo(view)
            assert "as of" in view.detail.stale_note.text()
            # Everywhere: the status-bar counts and the tray's tooltip too.
            assert "· as of" in parts.window.counts_label.text()
            assert parts.tray.tooltip().startswith("Monitor - Offline - ")
            assert "· as of" in parts.tray.tooltip()

    try:
        run(scenario())
    finally:
        server.stop()
