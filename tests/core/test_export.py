"""Export of the listed tasks: CSV a spreadsheet can use safely, JSON with every field."""

from __future__ import annotations

import csv
import io
import json

import pytest

from monitor.core.export import export_csv, export_json, spreadsheet_safe
from monitor.core.protocol import TaskError, TaskState
from monitor.core.store import TaskColumn, TaskRecord

T0 = 1_800_000_000.0


def _records() -> list[TaskRecord]:
    return [
        TaskRecord(
            id="a",
            name='=HYPERLINK("http://evil","x")',
            state=TaskState.FAILED,
            progress=42.5,
            started_at=T0,
            finished_at=T0 + 90,
            error=TaskError(message='-2+3 out of memory, "quoted"\nsecond line'),
            result={"path": "/out/a.txt"},
        ),
        TaskRecord(id="b", name="plain, with comma", state=TaskState.RUNNING, progress=7.0, started_at=T0),
    ]


def test_csv_is_rfc4180_and_formula_safe() -> None:
    columns = [TaskColumn.NAME, TaskColumn.STATUS, TaskColumn.PROGRESS, TaskColumn.ELAPSED, TaskColumn.ERROR]
    text = export_csv(
        _records(), columns, titles=["Name", "Status", "Progress", "Elapsed", "Error"], now=T0 + 30
    )
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Name", "Status", "Progress", "Elapsed", "Error"]
    assert rows[1] == [
        '\'=HYPERLINK("http://evil","x")',  # never evaluated by a spreadsheet
        "failed",
        "42.5",
        "90",  # finished: its run time, not "now"
        '\'-2+3 out of memory, "quoted"\nsecond line',
    ]
    assert rows[2] == ["plain, with comma", "running", "7", "30", ""]


def test_csv_times_are_iso_utc() -> None:
    text = export_csv(_records(), [TaskColumn.STARTED, TaskColumn.FINISHED], titles=["S", "F"], now=T0)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ["2027-01-15T08:00:00+00:00", "2027-01-15T08:01:30+00:00"]
    assert rows[2][1] == ""


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_spreadsheet_safe(start: str) -> None:
    assert spreadsheet_safe(start + "1") == "'" + start + "1"
    assert spreadsheet_safe("a" + start) == "a" + start


def test_titles_must_match_columns() -> None:
    with pytest.raises(ValueError, match="title"):
        export_csv([], [TaskColumn.NAME], titles=[], now=T0)


def test_json_keeps_every_field() -> None:
    doc = json.loads(export_json(_records(), server="http://h:8000/events", exported_at=T0))
    assert doc["version"] == 1
    assert doc["server"] == "http://h:8000/events"
    first = doc["tasks"][0]
    assert first["name"] == '=HYPERLINK("http://evil","x")'  # JSON is for programs: as sent
    assert first["state"] == "failed"
    assert first["error"]["message"].startswith("-2+3")
    assert first["result"] == {"path": "/out/a.txt"}
    assert first["finished_at"] == "2027-01-15T08:01:30+00:00"
    assert [t["id"] for t in doc["tasks"]] == ["a", "b"]  # the table's order
