"""Suite-wide configuration.

Qt runs offscreen unless a test environment (the e2e runner) says otherwise; this must happen
before anything imports PySide6. Tests that use Qt get the ``gui`` marker automatically.
"""

from __future__ import annotations

import asyncio
import asyncio.runners
import gc
import os
import time
from collections.abc import Callable, Coroutine, Iterator
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


# pytest-asyncio runs each async test in an ``asyncio.Runner``, whose close() silently cancels the
# tasks still pending; so does ``asyncio.run`` (uvicorn's server threads included). Record them
# first: a task that outlives its test is a leak (``_no_task_outlives_a_test`` fails the test).
_tasks_left_at_runner_close: list[str] = []
_cancel_all_tasks = asyncio.runners._cancel_all_tasks  # type: ignore[attr-defined]


def _cancel_all_tasks_after_noting_them(loop: asyncio.AbstractEventLoop) -> None:
    _tasks_left_at_runner_close.extend(repr(t) for t in asyncio.all_tasks(loop) if not t.done())
    _cancel_all_tasks(loop)


asyncio.runners._cancel_all_tasks = _cancel_all_tasks_after_noting_them  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _no_task_outlives_a_test() -> Iterator[None]:
    """Fail a test whose asyncio.Runner (pytest-asyncio's loop, ``asyncio.run``) had to cancel tasks.

    Autouse, so set up before and torn down after pytest-asyncio's runner fixture.
    """
    _tasks_left_at_runner_close.clear()
    yield
    leaked = list(_tasks_left_at_runner_close)
    _tasks_left_at_runner_close.clear()
    assert not leaked, (
        "asyncio tasks still pending when the test's loop closed (cancelled now):\n" + "\n".join(leaked)
    )


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
def qloop(qapp: Any) -> Iterator[Any]:
    """The test's qasync loop; the test FAILS if it leaves asyncio tasks pending.

    The one place tests get a qasync loop (pytest-qt does not drive qasync, so each test gets a
    fresh one). The loop is registered as running but never exec()'d (desktop-testing.md §5
    pattern A): sync pytest-qt tests create tasks on it and drive them with qtbot waits. A test
    may also drive a coroutine with ``qloop.run_until_complete(...)`` (qasync runs Qt's exec
    meanwhile); the registration is restored afterwards so both styles mix.

    At teardown every task still pending is a leak (a service that did not ``aclose()``, a
    stream nobody cancelled): they are cancelled and drained first so the next test starts clean,
    then the test fails with their reprs.
    """
    import qasync

    loop = qasync.QEventLoop(qapp)
    run_until_complete = loop.run_until_complete

    def run_and_stay_registered(future: Any) -> Any:
        # qasync clears the running-loop registration when run_until_complete returns.
        try:
            return run_until_complete(future)
        finally:
            asyncio.events._set_running_loop(loop)

    loop.run_until_complete = run_and_stay_registered
    asyncio.set_event_loop(loop)
    asyncio.events._set_running_loop(loop)
    try:
        yield loop
    finally:
        leaked = [t for t in asyncio.all_tasks(loop) if not t.done()]
        reprs = [repr(t) for t in leaked]  # before cancelling: the repr shows where each waits
        for t in leaked:
            t.cancel()
        end = time.monotonic() + 2
        while any(not t.done() for t in leaked) and time.monotonic() < end:
            qapp.processEvents()
        stuck = [repr(t) for t in leaked if not t.done()]
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(None)
        loop.close()
    assert not reprs, (
        "asyncio tasks still pending when the test ended (cancelled now):\n"
        + "\n".join(reprs)
        + (f"\nand these ignored their cancellation for 2 s: {stuck}" if stuck else "")
    )


@pytest.fixture
def run(qloop: Any) -> Callable[[Coroutine[Any, Any, Any]], Any]:
    """Drive a coroutine to its end on the test's ``qloop`` (60 s bound; leaked tasks fail it)."""
    return lambda coro: qloop.run_until_complete(asyncio.wait_for(coro, 60))
