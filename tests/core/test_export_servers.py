"""Export with several servers: ids as their servers know them, and which server (issue 15)."""

from __future__ import annotations

import json

from monitor.core.export import _CSV_VALUES, export_csv, export_json
from monitor.core.news import patch_from_task
from monitor.core.protocol import Task, TaskState
from monitor.core.servers import scoped_tasks, server_prefix
from monitor.core.store import TaskColumn, TaskStore


def test_every_column_has_a_spreadsheet_value() -> None:
    assert set(_CSV_VALUES) == set(TaskColumn)


def test_ids_and_servers_in_csv_and_json() -> None:
    store = TaskStore()
    task = Task(id="demo-0001", name="job", state=TaskState.RUNNING, created_at=1.0)
    store.apply_snapshot(
        scoped_tasks([task], server_prefix("beta")), received_at=1.0, scope=server_prefix("beta")
    )
    store.apply([patch_from_task(task, received_at=1.0)])  # a plain id (one server) beside it
    records = [r for i in store.ids() if (r := store.get(i)) is not None]
    csv_text = export_csv(records, [TaskColumn.ID, TaskColumn.SERVER], titles=["ID", "Server"], now=2.0)
    assert csv_text.splitlines() == ["ID,Server", "demo-0001,beta", "demo-0001,"]
    tasks = json.loads(export_json(records, server="http://a", exported_at=2.0))["tasks"]
    assert (tasks[0]["server"], tasks[0]["id"]) == ("beta", "demo-0001")
    assert "server" not in tasks[1]
    assert tasks[1]["id"] == "demo-0001"
