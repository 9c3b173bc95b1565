"""Words and help (issue 12) through the real app on the demo: the search placeholder's examples
find demo tasks, Enter and double-click show details, the shortcut help lists every action's keys,
no toast while the app's own menu or dialog is open."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from monitor.core.protocol import TaskState
from monitor.core.query import Query, parse_query
from monitor.server.demo import _name
from tests.test_app_seams import parts_of, running_app
from tests.waiting import until

ROOT = Path(__file__).resolve().parent.parent


def _examples(text: str) -> list[str]:
    """The qualifier examples (``word:value``, quoted values kept whole) in a text."""
    pattern = r'-?\b(?:name|worker|state):(?:"[^"]*"|[\w.-]+)'
    return [m.group(0) for m in re.finditer(pattern, text)]


def test_the_placeholder_examples_find_demo_tasks(run: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            view = parts.view
            examples = _examples(view.search.placeholderText())
            assert any(e.startswith("worker:") for e in examples), examples
            await until(
                lambda: any((r := parts.store.get(i)) is not None and r.worker for i in parts.store.ids()),
                15,
                "a task with a worker",
            )
            for example in examples:
                if example.startswith("state:"):
                    continue  # a state, not demo data
                view.search.setText(example)
                assert not view.search_error.isVisibleTo(view), view.search_error.text()
                view.model.flush()
                assert view.model.rowCount() > 0, f"{example!r} finds no demo task"

    run(scenario())


def test_the_readme_name_examples_match_demo_names() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    find = readme[readme.index("- **Find.**") : readme.index("- **Act.**")]
    names = {_name(random.Random(seed), seed) for seed in range(300)}
    examples = [e for e in _examples(find) if e.startswith("name:") and '"my file"' not in e]
    assert examples, find
    for example in examples:
        query = parse_query(example)
        assert isinstance(query, Query), example
        assert any(query.matches(_Named(n)) for n in names), f"{example!r} matches no demo name"


class _Named:
    """The fields a query reads, for a demo name."""

    def __init__(self, name: str) -> None:
        self.id, self.name, self.worker, self.kind = "demo-0001", name, None, "transcription"
        self.state = TaskState.RUNNING
