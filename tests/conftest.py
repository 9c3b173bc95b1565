"""Suite-wide configuration.

Qt runs offscreen unless a test environment (the e2e runner) says otherwise; this must happen
before anything imports PySide6. Tests that use Qt get the ``gui`` marker automatically.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections.abc import Iterator
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keep httpx from picking up the machine's CA bundle variables in tests that build clients with
# defaults: these machines export SSL_CERT_FILE, and a missing file would fail client creation.
os.environ.setdefault("NO_AT_BRIDGE", "1")

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that touches Qt as ``gui`` (qutebrowser's convention)."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "qapp" in fixtures or "qtbot" in fixtures or "qloop" in fixtures:
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def _no_timer_outlives_a_gui_test(request: pytest.FixtureRequest) -> object:
    """After every Qt test, no QTimer may still be running (a leaked timer fires into a dead test).

    Widgets registered with ``qtbot.addWidget`` are closed and deleted first; whatever QTimer is
    still alive and active after that belongs to an object the test leaked.
    """
    yield
    if request.node.get_closest_marker("gui") is None:
        return
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent, QTimer

    app = QCoreApplication.instance()
    if app is None:
        return
    app.processEvents()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    # Reclaim the test's Qt wrappers here, on the GUI thread. Left to the cyclic GC, a closed
    # qasync loop's QSocketNotifiers (they sit in reference cycles) can be destroyed by a
    # collection that happens to run in another thread (a uvicorn server thread in a later test):
    # deleting a QObject off its thread is what crashed a full run once in processEvents.
    gc.collect()
    active = [
        obj
        for obj in shiboken6.Shiboken.getAllValidWrappers()
        if isinstance(obj, QTimer) and shiboken6.isValid(obj) and obj.isActive()
    ]
    for timer in active:
        timer.stop()  # do not let one leak cascade into the next tests
    leaked = [(t.objectName(), t.parent()) for t in active]
    assert not active, f"QTimers still running after the test: {leaked}"


@pytest.fixture
def qloop(qapp: object) -> Iterator[Any]:
    """A fresh qasync loop registered as running but never exec()'d (desktop-testing.md §5
    pattern A): sync pytest-qt tests can create tasks on it and drive them with qtbot waits."""
    import qasync

    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    asyncio.events._set_running_loop(loop)
    try:
        yield loop
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in pending:
            t.cancel()
        end = time.monotonic() + 2
        while any(not t.done() for t in pending) and time.monotonic() < end:
            qapp.processEvents()  # type: ignore[attr-defined]
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(None)
        loop.close()
