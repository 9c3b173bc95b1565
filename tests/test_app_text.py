"""Issue 13 item 7 through the real ``DesktopApp`` against a real ``monitor serve`` process that
serves hostile names and stages: a right-to-left override reads as what it is, a 512-character
name and a 4,000-character stage with a newline widen neither the columns nor the window, and
the saved layout stays sane."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from PySide6.QtCore import Qt

from monitor.core.settings import load_ui_state
from monitor.ui.plaintext import tooltip_text
from monitor.ui.task_model import TaskColumn
from monitor.ui.task_view import COLUMN_MAX_WIDTH
from monitor.wiring.persistence import UI_STATE_FILE
from tests.e2e.harness import ServerProcess, free_port
from tests.test_app_seams import parts_of, running_app
from tests.waiting import until

RLO_NAME = "invoice\u202egpj.exe"
LONG_NAME = "N" * 511 + "!"
LONG_STAGE = ("decoding chunk " * 266)[:3990] + "\nnext line"  # 4,000 characters with a newline


def _serve_hostile_tasks(url: str) -> dict[str, str]:
    """Create the two tasks on the server and start them with the long stage; their ids by name."""
    ids: dict[str, str] = {}
    with httpx.Client(base_url=url, timeout=10) as http:
        for name in (RLO_NAME, LONG_NAME):
            created = http.post("/api/tasks", json={"name": name, "kind": "hostile"})
            created.raise_for_status()
            ids[name] = str(created.json()["id"])
            http.post(
                f"/api/tasks/{ids[name]}/events",
                json={"kind": "started", "progress": 12.0, "stage": LONG_STAGE, "worker": "\x1b[2Jw1"},
            ).raise_for_status()
    return ids


def test_hostile_names_from_a_real_server(run: Any, tmp_path: Path) -> None:
    server = ServerProcess(free_port(), tmp_path / "log.db", demo=False)
    server.start()
    config_dir = tmp_path / "config"

    async def scenario() -> None:
        ids = _serve_hostile_tasks(server.url)
        stream = f"{server.url}/api/tasks/stream"
        async with running_app(config_dir, "--stream", stream, demo=False) as desktop:
            parts = parts_of(desktop)
            view, model, window = parts.view, parts.view.model, parts.window
            window.resize(1100, 650)
            window.show()
            width_before = window.width()
            await until(lambda: all(parts.store.get(i) is not None for i in ids.values()), 15, "the tasks")
            await until(lambda: all(r.stage for i in ids.values() if (r := parts.store.get(i))), 15, "stages")
            view.clear_filters()
            model.flush()

            def cell(task_id: str, col: TaskColumn, role: int = Qt.ItemDataRole.DisplayRole) -> str:
                row = model.row_of(task_id)
                assert row is not None
                return str(model.data(model.index(row, col), role))

            rlo = ids[RLO_NAME]
            assert cell(rlo, TaskColumn.NAME) == "invoice\\u202egpj.exe"
            progress = cell(rlo, TaskColumn.PROGRESS)
            assert "\n" not in progress
            assert "\u23ce" not in progress
            assert len(progress) < 320
            assert tooltip_text(cell(rlo, TaskColumn.PROGRESS, Qt.ItemDataRole.ToolTipRole)) == LONG_STAGE
            view.select_task(ids[LONG_NAME])
            assert LONG_STAGE in view.detail.full_text.toPlainText()
            # Content-sized columns (a double-click on a divider) stay capped; the window keeps its width.
            view.table.resizeColumnsToContents()
            header = view.table.horizontalHeader()
            assert max(header.sectionSize(c) for c in TaskColumn) <= COLUMN_MAX_WIDTH
            view.table.viewport().grab()
            assert window.width() == width_before
            assert window.minimumSizeHint().width() < 2000

        # Saved on quit: every width within the cap.
        saved = load_ui_state(config_dir / UI_STATE_FILE).value
        assert saved.column_widths
        assert max(saved.column_widths.values()) <= COLUMN_MAX_WIDTH

    try:
        run(scenario())
    finally:
        server.stop()
