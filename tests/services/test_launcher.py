"""``LauncherEntry`` without a bus: what it would send, when it sends, and its life cycle.

The D-Bus side (a real session bus, a dock listening, ``Query``) is tested through the real app
in ``tests/e2e/test_taskbar.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from monitor.services.launcher import LauncherEntry, LauncherState
from monitor.ui.tray import TaskCounts
from monitor.wiring.tray import launcher_state

Run = Callable[[Coroutine[Any, Any, Any]], Any]


def test_properties_are_what_docks_read() -> None:
    props = LauncherState(progress=1.7, count=3, urgent=True).properties()
    assert props == {
        "progress": ("d", 1.0),  # clamped: a dock draws 0..1
        "progress-visible": ("b", True),
        "count": ("x", 3),
        "count-visible": ("b", True),
        "urgent": ("b", True),
    }
    idle = LauncherState().properties()
    assert idle["progress-visible"] == ("b", False)
    assert idle["count-visible"] == ("b", False)


def test_counts_map_to_the_taskbar() -> None:
    counts = TaskCounts(running=2, queued=5, unseen_failed=1, progress=40.0)
    assert launcher_state(counts) == LauncherState(progress=0.4, count=2, urgent=True)
    assert launcher_state(TaskCounts(queued=4)) == LauncherState(progress=None, count=0, urgent=False)


def test_only_visible_changes_are_sent(qtbot: QtBot, qloop: Any, run: Run) -> None:
    entry = LauncherEntry("io.monitor.Monitor", enabled=False)
    sent: list[LauncherState] = []
    entry.updated.connect(sent.append)
    run(entry.start())
    entry.set_state(LauncherState(progress=0.401, count=2))
    entry.set_state(LauncherState(progress=0.4049, count=2))  # same 1 %: a dock shows no change
    entry.set_state(LauncherState(progress=0.42, count=2))
    assert sent == [LauncherState(0.4, 2), LauncherState(0.42, 2)]
    run(entry.aclose())
    entry.set_state(LauncherState(progress=0.9, count=1))  # closed: nothing more goes out
    assert len(sent) == 2


def test_refuses_to_start_twice(qloop: Any, run: Run) -> None:
    entry = LauncherEntry("io.monitor.Monitor", enabled=False)
    run(entry.start())
    with pytest.raises(RuntimeError):
        run(entry.start())
    run(entry.aclose())
    with pytest.raises(RuntimeError):
        run(entry.start())
