"""docs/protocol.md carries the JSON Schema of every protocol model; this keeps it in sync.

Run with ``MONITOR_UPDATE_DOCS=1`` to rewrite the section from the code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import BaseModel

from monitor.core import protocol

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
BEGIN, END = "<!-- schemas:begin -->", "<!-- schemas:end -->"


def render_schemas() -> str:
    """The generated section: one fenced JSON block per exported model, sorted by name."""
    parts = []
    for name in sorted(protocol.__all__):
        obj = getattr(protocol, name)
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            schema = obj.model_json_schema(mode="validation")
            parts.append(f"### {name}\n\n```json\n{json.dumps(schema, indent=2, sort_keys=True)}\n```\n")
    return "\n".join(parts)


def test_schema_section_matches_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    expected = f"{head}{BEGIN}\n{render_schemas()}{END}{tail}"
    if os.environ.get("MONITOR_UPDATE_DOCS") == "1" and text != expected:
        DOC.write_text(expected, encoding="utf-8")
        text = expected
    assert text == expected, "docs/protocol.md schemas are stale: rerun with MONITOR_UPDATE_DOCS=1"


def test_every_exported_model_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    models = [
        n
        for n in protocol.__all__
        if isinstance(getattr(protocol, n), type) and issubclass(getattr(protocol, n), BaseModel)
    ]
    assert len(models) >= 20
    for name in models:
        assert f"### {name}\n" in text


def test_every_endpoint_and_event_is_documented_with_an_example() -> None:
    """Each OpenAPI operation has a ``### `METHOD /path`` section; each event a table row."""
    import re

    from monitor.core.protocol import MessageType
    from monitor.server.app import create_app
    from monitor.server.config import ServerConfig

    text = DOC.read_text(encoding="utf-8")
    headings = re.findall(r"^##+ [^`\n]*`([A-Z]+) ([^`?]+)", text, flags=re.MULTILINE)
    documented = {(m, re.sub(r"\{[^}]+\}", "{}", path)) for m, path in headings}
    app = create_app(ServerConfig(db=":memory:"))
    operations = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
        for path, ops in app.api.openapi()["paths"].items()
        for method in ops
    }
    assert len(operations) >= 15
    assert operations - documented == set(), "endpoints missing from docs/protocol.md"
    assert "`GET /sse?clientId=" in text  # the seed-004 alias of the stream
    events = {
        "task_created", "task_updated", "task_progress", "task_complete", "task_failed",
        "task_cancelled", "task_removed", "ack", "heartbeat", "reset", "shutdown",
    }  # fmt: skip
    rows = set(re.findall(r"^\| `([a-z_]+)`", text, flags=re.MULTILINE))
    assert events - rows == set(), "events missing from the Events table"
    for mt in MessageType:
        assert f"`{mt.value}`" in text
    # An example per endpoint: a JSON block, an inline JSON body, or a status line in its section.
    sections = re.split(r"^(?=##+ [^`\n]*`[A-Z]+ /)", text, flags=re.MULTILINE)[1:]
    for section in sections:
        heading, _, body = section.split("\n## ", 1)[0].partition("\n")
        assert "```" in body or "`{" in body, f"no example under {heading}"
