"""The suite's own guard: ``qloop`` fails a test that leaves asyncio tasks pending.

Run in a child pytest (pytester) with the suite's real conftest, since the failure happens in
the fixture's teardown, which a test cannot observe about itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ("pytester",)

CONFTEST = Path(__file__).with_name("conftest.py").read_text(encoding="utf-8")

TESTS = """
import asyncio

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
"""


def test_qloop_fails_a_leaking_test_and_cleans_up(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makeini(
        "[pytest]\nqt_api = pyside6\nmarkers = gui\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_leak=TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", timeout=60)
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_leaks*",
            "*asyncio tasks still pending*",
            "*<Task pending name='the-leak'*",
        ]
    )
