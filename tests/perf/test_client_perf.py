"""Regression check: the qasync seam does not slow ingest down (issue 6, client half).

The app runs the streaming engine on a ``qasync.QEventLoop``; issue 6 asks for at least 0.9x the
same engine on plain asyncio (``bench/bench_ingest.py`` measured 0.94-1.04x, see
``docs/performance.md``). This test reuses that benchmark's pieces: the real loopback stream
server in a subprocess and the same per-event work (``json.loads`` + ``news.normalize`` +
``TaskStore.apply``), 4,000 events (the stream's first part: ``task_created`` with full
tasks, the heaviest kind), 3 interleaved rounds per loop, about 2 s.

The bound is deliberately loose, 0.6x by median, because this shared 2-core machine moves
single short runs by +-30 %: it does not re-prove the 0.9x target (the benchmark does that), it
catches the regressions that would halve throughput on the Qt loop, such as a per-read
``processEvents``, a timer-driven read loop or a per-event cross-thread hop.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
from types import ModuleType

import pytest

from tests.perf.benchload import load_bench

EVENTS = 4_000
ROUNDS = 3
BOUND = 0.6


def _bench_ingest() -> ModuleType:
    return load_bench("bench_ingest")


def test_engine_on_qasync_keeps_pace_with_plain_asyncio(qapp: object) -> None:
    bench = _bench_ingest()
    body = bench.build_stream(EVENTS)
    fd, path = tempfile.mkstemp(prefix="test-ingest-", suffix=".sse")
    with os.fdopen(fd, "wb") as f:
        f.write(body)
    server = bench._Server(path, EVENTS)
    try:
        run_qasync = bench._qasync_runner()
        plain: list[float] = []
        on_qt: list[float] = []
        for _ in range(ROUNDS):
            # Each round checks inside _engine_round that all events arrived and none was rejected.
            plain.append(asyncio.run(bench._engine_round(server.port, EVENTS)))
            on_qt.append(run_qasync(server.port, EVENTS, "store"))
    finally:
        server.close()
        os.unlink(path)
    ratio = statistics.median(plain) / statistics.median(on_qt)  # rate ratio = inverse time ratio
    assert ratio >= BOUND, f"qasync ingest at {ratio:.2f}x plain asyncio (times {on_qt} vs {plain})"


if __name__ == "__main__":  # pragma: no cover - run directly for a quick look
    pytest.main([__file__, "-q"])
