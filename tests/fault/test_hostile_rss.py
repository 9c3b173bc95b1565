"""``monitor watch`` (a child process) stays small under the hostile streams of issue 13 items
1-3: its peak RSS (``VmHWM``) stays within 64 MiB of a benign stream's. The gzip bombs of
newlines are in since the decoder takes a run of blank lines as one (about 1.4 s each here, from
27 s and 149 s of CPU before; docs/reliability.md)."""

from __future__ import annotations

import pytest

from tests.fault.hostile_rss import HOSTILE_STREAMS, measure

pytestmark = [pytest.mark.asyncio, pytest.mark.slow, pytest.mark.timeout(240)]

#: Peak RSS a hostile stream may add to a benign one's (KiB).
MARGIN_KIB = 64 * 1024
_QUICK = list(HOSTILE_STREAMS)


async def test_peak_rss_stays_near_a_benign_streams() -> None:
    baseline, _ = await measure(_QUICK[0], timeout=60)
    peaks = {s.name: await measure(s, timeout=60) for s in _QUICK[1:]}
    report = {name: f"{kib / 1024:.1f} MiB ({how})" for name, (kib, how) in peaks.items()}
    for name, (kib, _) in peaks.items():
        assert kib < baseline + MARGIN_KIB, (
            f"{name}: {kib / 1024:.1f} MiB against {baseline / 1024:.1f}: {report}"
        )
    assert peaks["gzip bomb: one 128 MiB line (130 KB on the wire)"][1] == "gave up, reconnected"
    assert peaks["huge retry: 100,000 digits"][1] == "read to the end"
    assert peaks["nested JSON: 100,000 deep (task_progress data)"][1] == "read to the end"
    # Within the 60 s timeout each: the CPU of a newline bomb is bounded too (27 s and 149 s before).
    assert peaks["gzip bomb: 64 MiB of newlines (64 KB on the wire)"][1] == "read to the end"
