"""Pull the seeds' server code out of the design documents, verbatim, into files the tests run.

    python -m tests.interop.seeds.extract [SEEDS_DIR]     (default: $MONITOR_SEEDS_DIR, ../shared/seeds)

The seeds are not part of this repository, so the extraction is committed (CI runs from a clean
clone) and ``tests/interop/test_seed_extraction.py`` checks it still matches the documents
wherever they are available. Nothing here edits the code: each file is the document's lines
between two headings, byte for byte; everything a seed leaves undefined is glue in a separate
file (``tests/interop/node/seed004_main.js``, ``tests/interop/seed000_app.py``).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["EXTRACTS", "Extract", "find_seeds_dir", "render"]

HERE = Path(__file__).parent
REPO = HERE.parents[2]


@dataclass(frozen=True)
class Extract:
    """One code block: the lines strictly between ``start`` and ``end`` (whole-line matches).

    ``start`` must be unique in the document, or, with ``after``, the first such line after the
    one line equal to ``after`` (a heading).
    """

    document: str
    start: str
    end: str
    target: str
    after: str | None = None


EXTRACTS = (
    # Seed 004 is plain text without code fences: sections are delimited by their numbered headings.
    Extract(
        "sse-notification-sdk.md",
        "4.1 Node.js/Express后端实现",
        "4.2 并发指令调度器实现",
        "seed004_sse_service.ts",
    ),
    Extract(
        "sse-notification-sdk.md", "4.2 并发指令调度器实现", "5. 完整项目结构", "seed004_command_scheduler.ts"
    ),
    # Seed 000 fences its FastAPI example (```python ... ```) under "### FastAPI 示例".
    Extract("sse-service.md", "```python", "```", "seed000_tasks.py"),
    # Seed 000's client, the SSEService class (services/sseService.js): the first ```javascript
    # block of "## 核心实现" (tests/interop/test_seed000_client.py runs it in node).
    Extract("sse-service.md", "```javascript", "```", "seed000_sse_service.js", after="## 核心实现"),
)


def find_seeds_dir() -> Path | None:
    """Where the design documents are, if anywhere on this machine."""
    candidates = [
        os.environ.get("MONITOR_SEEDS_DIR"),
        str(REPO.parent / "shared" / "seeds"),
        "/work/shared/seeds",
    ]
    for c in candidates:
        if c and (Path(c) / "sse-notification-sdk.md").is_file() and (Path(c) / "sse-service.md").is_file():
            return Path(c)
    return None


def render(seeds_dir: Path, ex: Extract) -> str:
    """The block's text, verbatim (every line kept, including its line ending)."""
    lines = (seeds_dir / ex.document).read_text(encoding="utf-8").splitlines(keepends=True)
    floor = 0
    if ex.after is not None:
        anchors = [i for i, line in enumerate(lines) if line.rstrip("\r\n") == ex.after]
        if len(anchors) != 1:
            raise ValueError(f"{ex.document}: {len(anchors)} lines are {ex.after!r}, expected exactly one")
        floor = anchors[0] + 1
    starts = [i for i, line in enumerate(lines) if i >= floor and line.rstrip("\r\n") == ex.start]
    if not starts or (ex.after is None and len(starts) != 1):
        raise ValueError(f"{ex.document}: {len(starts)} lines are {ex.start!r}, expected exactly one")
    begin = starts[0] + 1
    for i in range(begin, len(lines)):
        if lines[i].rstrip("\r\n") == ex.end:
            return "".join(lines[begin:i])
    raise ValueError(f"{ex.document}: no {ex.end!r} after {ex.start!r}")


def main(argv: list[str]) -> int:
    """Write every extract next to this script."""
    seeds = Path(argv[0]) if argv else find_seeds_dir()
    if seeds is None:
        print("seed documents not found: pass their directory or set MONITOR_SEEDS_DIR", file=sys.stderr)
        return 1
    for ex in EXTRACTS:
        (HERE / ex.target).write_text(render(seeds, ex), encoding="utf-8", newline="")
        print(f"{ex.target} <- {ex.document} ({ex.start!r} .. {ex.end!r})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
