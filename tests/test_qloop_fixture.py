"""The suite's own guards: a test that leaves asyncio tasks pending fails, on ``qloop`` and on
pytest-asyncio's loop alike, and the next test starts clean.

Run in a child pytest (pytester) with the suite's real conftest, since the failure happens in
fixture teardown, which a test cannot observe about itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ("pytester",)

CONFTEST = Path(__file__).with_name("conftest.py").read_text(encoding="utf-8")

INI = """[pytest]
qt_api = pyside6
markers = gui
asyncio_default_fixture_loop_scope = function
asyncio_default_test_loop_scope = function
"""

TESTS = """
import asyncio

import pytest

async def forever() -> None:
    await asyncio.Event().wait()

def test_leaks(qloop):
    qloop.create_task(forever(), name="the-leak")

def test_next_starts_clean(qloop):
    assert not asyncio.all_tasks(qloop)

def test_clean(qloop):
    async def short() -> int:
        await asyncio.sleep(0)
        return 7
    assert qloop.run_until_complete(short()) == 7
    # run_until_complete leaves the loop registered, so created tasks still get a running loop
    assert asyncio.get_running_loop() is qloop

@pytest.mark.asyncio
async def test_async_leaks():
    asyncio.get_running_loop().create_task(forever(), name="async-leak")

@pytest.mark.asyncio
async def test_async_clean():
    task = asyncio.get_running_loop().create_task(forever())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
"""


def test_a_leaking_test_fails_and_the_next_starts_clean(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INI)
    pytester.makepyfile(test_leak=TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", timeout=60)
    result.assert_outcomes(passed=5, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_leaks*",
            "*asyncio tasks still pending*",
            "*<Task pending name='the-leak'*",
            "*ERROR at teardown of test_async_leaks*",
            "*asyncio tasks still pending*",
            "*<Task pending name='async-leak'*",
        ]
    )
