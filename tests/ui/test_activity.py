"""The activity charts: bounded data, what they say, and that they draw the task the pane shows."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from monitor.core.activity import ProgressTrails, Throughput
from monitor.ui.activity import ProgressChart, ThroughputChart

NOW = 1_800_000_000.0  # a minute boundary (divisible by 60)


def test_throughput_buckets_by_minute_and_stays_bounded() -> None:
    t = Throughput(minutes=3)
    t.note(NOW - 200, failed=False)  # 4 minutes ago: out of the window
    t.note(NOW - 61, failed=False)
    t.note(NOW - 1, failed=True)
    t.note(NOW + 5, failed=False)
    t.note(NOW + 6, failed=True)
    buckets = t.buckets(NOW + 10)
    assert [(b.completed, b.failed) for b in buckets] == [(1, 0), (0, 1), (1, 1)]
    assert buckets[-1].start == NOW
    for minute in range(100):
        t.note(NOW + 60 * minute, failed=False)
    assert len(t._counts) <= 3


def test_trails_are_bounded_in_tasks_and_points() -> None:
    trails = ProgressTrails(tasks=2, samples=8, spacing_s=1.0)
    for i in range(100):
        trails.note("a", NOW + i, float(i))
    a = trails.trail("a")
    assert len(a) <= 8
    assert a[0] == (NOW, 0.0)  # the start is kept when thinning
    assert a[-1] == (NOW + 99, 99.0)  # and the newest
    assert [p for _t, p in a] == sorted(p for _t, p in a)
    trails.note("b", NOW, 1.0)
    trails.note("c", NOW, 1.0)  # a third task: the least recently updated ("a") goes
    assert trails.trail("a") == []
    assert len(trails) == 2


def test_trails_coalesce_fast_updates_and_skip_repeats() -> None:
    trails = ProgressTrails(spacing_s=1.0)
    assert trails.note("a", NOW, 0.0)
    assert trails.note("a", NOW + 0.1, 1.0)
    assert trails.note("a", NOW + 0.2, 2.0)  # within the spacing: replaces the last point
    assert not trails.note("a", NOW + 5, 2.0)  # no change: no point
    assert trails.trail("a") == [(NOW, 0.0), (NOW + 0.2, 2.0)]


def test_progress_chart_draws_the_source(qtbot: QtBot, tmp_path: Path) -> None:
    samples = [(NOW + i, min(100.0, i * 7.0)) for i in range(16)]
    shown: dict[str, tuple[list[tuple[float, float]], bool]] = {"now": (samples, True)}
    chart = ProgressChart(lambda: shown["now"], clock=lambda: NOW + 20)
    qtbot.addWidget(chart)
    chart.resize(300, 120)
    image = chart.grab().toImage()
    image.save(str(tmp_path / "progress.png"))
    highlight = chart.palette().highlight().color()
    assert _has_colour(image, highlight), "the line is drawn in the highlight colour"
    shown["now"] = ([], False)
    assert chart.points() == []
    assert not _has_colour(chart.grab().toImage(), highlight), "nothing reported: no line"


def test_throughput_chart_says_its_numbers(qtbot: QtBot) -> None:
    t = Throughput(minutes=10)
    for i in range(5):
        t.note(NOW + i, failed=i == 4)
    chart = ThroughputChart(t.buckets, clock=lambda: NOW + 30)
    qtbot.addWidget(chart)
    assert chart.summary() == "Last 10 min: 4 completed, 1 failed; this minute: 5"
    assert "4 completed" in chart.toolTip()
    image = chart.grab().toImage()
    assert _has_colour(image, QColor(229, 57, 53)), "failures stacked in red"


def test_throughput_chart_fits_the_status_bar(qtbot: QtBot) -> None:
    chart = ThroughputChart(Throughput().buckets)
    qtbot.addWidget(chart)
    assert chart.sizeHint().width() <= 100
    assert chart.sizeHint().height() <= 20


def _has_colour(image: QImage, colour: QColor) -> bool:
    want = colour.rgb() & 0xFFFFFF
    return any(
        image.pixel(x, y) & 0xFFFFFF == want for y in range(image.height()) for x in range(image.width())
    )
