"""ETA smoothing with an injected clock."""

from __future__ import annotations

from monitor.core.eta import DurationUnit, EtaKind, EtaTracker, format_duration


def test_estimating_first_then_rate_based() -> None:
    t = EtaTracker()
    assert t.reading(0).kind is EtaKind.NONE
    t.observe(0.0, 0.0)
    t.observe(1.0, 10.0)
    assert t.reading(1.0).kind is EtaKind.ESTIMATING  # warm-up
    for s in range(2, 6):
        t.observe(float(s), 10.0 * s)
    r = t.reading(5.0)
    assert r.kind is EtaKind.REMAINING
    assert r.seconds is not None
    assert abs(r.seconds - 5.0) < 0.01  # 50% left at 10%/s


def test_no_flap_between_ticks_counts_down() -> None:
    t = EtaTracker()
    for s in range(6):
        t.observe(float(s), 10.0 * s)
    a, b = t.reading(5.0), t.reading(7.0)
    assert a.seconds is not None
    assert b.kind is EtaKind.REMAINING
    assert b.seconds is not None
    assert abs((a.seconds - b.seconds) - 2.0) < 1e-6


def test_worker_eta_wins_and_paused_finished() -> None:
    t = EtaTracker()
    t.observe(0.0, 1.0, worker_eta=120.0)
    assert t.reading(0.0).seconds == 120.0
    t.observe(1.0, 90.0)  # fast progress: the worker's estimate still rules
    assert t.reading(10.0).seconds == 110.0
    t.observe(11.0, None, paused=True)
    assert t.reading(50.0).kind is EtaKind.PAUSED
    t.observe(60.0, None, finished=True)
    assert t.reading(61.0).kind is EtaKind.FINISHED


def test_over_a_day_and_format() -> None:
    t = EtaTracker()
    t.observe(0.0, 0.0, worker_eta=200_000.0)
    assert t.reading(0.0).kind is EtaKind.OVER_DAY
    assert [format_duration(s) for s in (5, 185, 7620, 97200)] == ["5s", "3m 05s", "2h 07m", "1d 3h"]


def test_format_duration_takes_translated_patterns_and_survives_a_bad_one() -> None:
    zh = {
        DurationUnit.SECONDS: "{s}秒",
        DurationUnit.MINUTES: "{m}分{s:02d}秒",
        DurationUnit.HOURS: "{h}小时{m:02d}分",
        DurationUnit.DAYS: "{d}天{h}小时",
    }
    assert [format_duration(s, zh.__getitem__) for s in (5, 200, 7620, 97200)] == [
        "5秒",
        "3分20秒",
        "2小时07分",
        "1天3小时",
    ]
    # A translation that names a field the unit lacks falls back to English, never raises.
    assert format_duration(200, lambda _unit: "{x} min") == "3m 20s"
