"""``monitor watch`` as a real subprocess against loopback servers: output, flushing, exit codes.

The formats and ``--once`` are in ``test_watch_format.py``; this file is the command's basics.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys

import pytest

from monitor.server.app import create_app
from monitor.server.config import ServerConfig
from monitor.server.runner import ServerThread
from tests.client.rawhttp import RawServer, response, stream
from tests.client.watchrun import run_watch as _watch

pytestmark = pytest.mark.asyncio


async def test_json_lines_and_once() -> None:
    async with RawServer() as srv:
        srv.script(
            "/s", stream(b'retry: 500\nid: 1\nevent: task_progress\ndata: {"id":"t"}\n\ndata: two\n\n')
        )
        code, out, _ = await _watch(srv.url + "/s", "--json", "--once")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    # --once without a backlog: the first event ends it, though the stream had another.
    assert lines == [{"type": "task_progress", "id": "1", "data": {"id": "t"}, "retry": 500}]


@pytest.mark.parametrize(("status", "code"), [(401, 3), (403, 3), (404, 4), (204, 0)])
async def test_exit_codes(status: int, code: int) -> None:
    async with RawServer() as srv:
        srv.script("/s", response(status))
        got, _, err = await _watch(srv.url + "/s", "--token", "x")
    assert got == code, err


async def test_lines_arrive_while_the_stream_is_open() -> None:
    """Each event is flushed as it comes: read the first line while the server still streams."""
    with ServerThread(create_app(ServerConfig(port=0, db=":memory:", heartbeat_interval_ms=200))) as srv:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "monitor",
            "watch",
            "--verbose",
            srv.url + "/api/tasks/stream",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 20)
            assert re.fullmatch(rb"\d\d:\d\d:\d\d  heartbeat\s.*\n", line), line
        finally:
            proc.terminate()
            await proc.wait()


async def test_bad_header_is_a_clear_error() -> None:
    code, _, err = await _watch("http://127.0.0.1:9/s", "--header", "nocolon")
    assert code == 1
    assert "bad --header" in err
