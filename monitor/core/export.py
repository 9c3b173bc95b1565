"""File > Export view: the listed tasks as CSV (the shown columns) or JSON (every field).

CSV is for spreadsheets: one row per task in the table's order, one column per shown column,
values a spreadsheet can compute with (progress as a number, times as ISO 8601 in UTC, durations
in seconds, the state's name). Task names, errors and stages come from the server, and a cell
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel and
LibreOffice (CSV injection, OWASP): such cells get a leading ``'``, which both show as text.
JSON is for programs: every field of each listed task, lossless, in the table's order.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from monitor.core.servers import local_id, server_of, split_task_id
from monitor.core.store import TaskColumn, TaskRecord

__all__ = ["EXPORT_VERSION", "export_csv", "export_json", "spreadsheet_safe"]

#: The JSON document's format version (``{"version": 1, "tasks": [...]}``).
EXPORT_VERSION: Final = 1
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def _iso(at: float | None) -> str:
    return "" if at is None else datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


#: A spreadsheet value per column, given the record and "now" (for Elapsed).
_CSV_VALUES: Final[dict[TaskColumn, Callable[[TaskRecord, float], str]]] = {
    TaskColumn.NAME: lambda r, _now: r.name,
    TaskColumn.STATUS: lambda r, _now: r.state.value,
    TaskColumn.PROGRESS: lambda r, _now: _number(r.progress),
    TaskColumn.ETA: lambda r, _now: _number(r.eta),
    TaskColumn.ELAPSED: lambda r, now: _number(r.elapsed(now)),
    TaskColumn.STARTED: lambda r, _now: _iso(r.started_at),
    TaskColumn.FINISHED: lambda r, _now: _iso(r.finished_at),
    TaskColumn.ID: lambda r, _now: local_id(r.id),
    TaskColumn.WORKER: lambda r, _now: r.worker or "",
    TaskColumn.ATTEMPT: lambda r, _now: str(r.attempt),
    TaskColumn.ERROR: lambda r, _now: r.error.message if r.error is not None else "",
    TaskColumn.KIND: lambda r, _now: r.kind,
    TaskColumn.SERVER: lambda r, _now: server_of(r.id),
}


def spreadsheet_safe(text: str) -> str:
    """``text`` as a cell no spreadsheet evaluates (a leading ``'`` before a formula start)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_csv(
    records: Iterable[TaskRecord], columns: Sequence[TaskColumn], *, titles: Sequence[str], now: float
) -> str:
    """The CSV text: a header of ``titles`` (one per column), then one line per record."""
    if len(titles) != len(columns):
        raise ValueError("one title per column")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow([spreadsheet_safe(t) for t in titles])
    for rec in records:
        writer.writerow([spreadsheet_safe(_CSV_VALUES[c](rec, now)) for c in columns])
    return out.getvalue()


def _task_json(rec: TaskRecord) -> dict[str, Any]:
    server, task_id = split_task_id(rec.id)
    # Several servers: which one (its profile's name); one server: the document's "server" says.
    return ({"server": server} if server else {}) | {
        "id": task_id,
        "name": rec.name,
        "kind": rec.kind,
        "state": rec.state.value,
        "progress": rec.progress,
        "stage": rec.stage,
        "eta": rec.eta,
        "created_at": _iso(rec.created_at) or None,
        "started_at": _iso(rec.started_at) or None,
        "finished_at": _iso(rec.finished_at) or None,
        "updated_at": _iso(rec.updated_at) or None,
        "attempt": rec.attempt,
        "worker": rec.worker,
        "error": None if rec.error is None else rec.error.model_dump(mode="json"),
        "result": rec.result,
        "metadata": dict(rec.metadata),
    }


def export_json(records: Iterable[TaskRecord], *, server: str, exported_at: float) -> str:
    """The JSON document: where and when it was exported, and every field of each record."""
    doc = {
        "version": EXPORT_VERSION,
        "server": server,
        "exported_at": _iso(exported_at),
        "tasks": [_task_json(rec) for rec in records],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
