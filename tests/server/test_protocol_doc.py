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
