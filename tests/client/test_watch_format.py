"""``monitor watch``'s output and ending, as a real subprocess against loopback servers.

Human lines by default, ``--json`` with decoded data, terminal safety against a server that sends
escape sequences, ``--once`` (first event; end of replay by pause and by heartbeat, against
``monitor serve`` too) and its exit codes (refused, TLS, 503, a redirect loop).
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
import ssl
import time
from pathlib import Path

import httpx
import pytest

from monitor.server.app import create_app
from monitor.server.config import ServerConfig
from monitor.server.runner import ServerThread
from tests.client.rawhttp import RawServer, Request, response, stream
from tests.client.watchrun import run_watch

pytestmark = pytest.mark.asyncio

T0 = 1_700_000_000.0


def _hms(ts: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts))


def _frame(event: str, data: object, id_: str | None = None) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data)
    head = f"id: {id_}\n" if id_ is not None else ""
    return f"{head}event: {event}\ndata: {text}\n\n".encode()


def _task(name: str, state: str = "queued", **extra: object) -> dict[str, object]:
    """A ``{"task": Task}`` event's data for task ``t1``."""
    return {"task": {"id": "t1", "name": name, "state": state, "created_at": T0, "updated_at": T0, **extra}}


async def test_human_lines_name_state_progress_and_messages() -> None:
    body = b"".join(
        [
            _frame("task_created", _task("interview.wav"), "1"),
            _frame("task_progress", {"jobId": "t1", "progress": 42.7, "stage": "transcribing", "at": T0 + 5}),
            _frame("task_progress", {"jobId": "t9", "progress": 3}, "3"),
            _frame(
                "task_failed",
                _task(
                    "interview.wav", "failed", progress=50, error={"message": "bad codec"}, updated_at=T0 + 9
                ),
            ),
            _frame(
                "text",
                {"type": "text", "timestamp": (T0 + 10) * 1000, "source": "server", "payload": "hello"},
            ),
            b"data: two\n\n",
            _frame("heartbeat", {"server_time": T0, "interval_ms": 1000}),  # ends the replay
        ]
    )
    async with RawServer() as srv:
        srv.script("/s", stream(body))
        # --last-event-id: the whole backlog.
        code, out, err = await run_watch(srv.url + "/s", "--once", "--last-event-id", "0")
        code_v, out_v, _ = await run_watch(srv.url + "/s", "--once", "--last-event-id", "0", "--verbose")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"{_hms(T0)}  task_created    interview.wav  queued  0%"
    # A progress delta carries only the id: the name comes from the earlier task_created.
    assert lines[1] == f"{_hms(T0 + 5)}  task_progress   interview.wav  42%  transcribing"
    assert lines[2].endswith("  task_progress   t9  3%")  # unknown name: the id
    assert lines[3] == f"{_hms(T0 + 9)}  task_failed     interview.wav  failed  50%  error: bad codec"
    assert lines[4] == f"{_hms(T0 + 10)}  text            server: hello"
    assert lines[5].endswith("  message         two")
    assert len(lines) == 6  # the heartbeat is not printed...
    assert code_v == 0
    assert [line[8:] for line in out_v.splitlines()[:-1]] == [line[8:] for line in lines]
    assert out_v.splitlines()[-1][8:].startswith("  heartbeat  ")  # ...unless --verbose


async def test_json_data_is_the_decoded_value_or_the_string() -> None:
    body = _frame("task_progress", {"jobId": "t1", "progress": 5}, "1") + b"data: not json\n\ndata: 1e999\n\n"
    async with RawServer() as srv:
        srv.script("/s", stream(body))
        code, out, _ = await run_watch(srv.url + "/s", "--json", "--once", "--last-event-id", "0")
    assert code == 0
    assert [json.loads(line)["data"] for line in out.splitlines()] == [
        {"jobId": "t1", "progress": 5},
        "not json",
        "1e999",  # parses to infinity, which JSON cannot carry: kept as the string
    ]


HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x1b]52;c;ZWNobyBoaQ==\x07\x9b31m invoice\u202egpj.exe\u2066"


async def test_terminal_escapes_from_the_server_are_neutralised() -> None:
    body = b"".join(
        [
            _frame("task_created", _task(HOSTILE, stage=HOSTILE), "1"),
            _frame("text", {"type": "text", "source": HOSTILE, "payload": HOSTILE}, "2"),
            f"event: x\x1b[2Jy\ndata: {HOSTILE}\n\n".encode(),
        ]
    )
    async with RawServer() as srv:
        srv.script("/s", stream(body))
        srv.script("/bad", response(404, HOSTILE.encode()))
        code, out, _ = await run_watch(srv.url + "/s", "--once", "--last-event-id", "0")
        code_j, out_j, _ = await run_watch(srv.url + "/s", "--once", "--last-event-id", "0", "--json")
        code_e, _, err = await run_watch(srv.url + "/bad", "--once")
    assert (code, code_j, code_e) == (0, 0, 4)
    lines = out.splitlines()
    assert len(lines) == 3
    for text in (out, err):
        assert not any(ch in text for ch in "\x1b\x07\x9b\u202e\u2066"), repr(text)
    escaped = "\\x1b]0;pwned\\x07\\x1b[2J\\x1b]52;c;ZWNobyBoaQ==\\x07\\x9b31m invoice\\u202egpj.exe\\u2066"
    assert lines[0].count(escaped) == 2  # name and stage
    assert lines[1].endswith(f"{escaped}: {escaped}")  # source and text
    assert "x\\x1b[2Jy" in lines[2]  # the event type
    assert lines[2].endswith(escaped)  # the raw data
    assert escaped in err  # the 404 body quoted in the status line
    # --json: C1 and bidi controls are \u escapes (json.dumps already escapes C0); same value.
    assert not any(ch in out_j for ch in "\x1b\x07\x9b\u202e\u2066")
    assert "\\u009b" in out_j
    assert "\\u202e" in out_j
    objs = [json.loads(line) for line in out_j.splitlines()]
    assert objs[0]["data"]["task"]["name"] == HOSTILE
    assert objs[2]["type"] == "x\x1b[2Jy"
    assert objs[2]["data"] == HOSTILE


async def test_once_without_backlog_ends_after_the_first_event_of_an_endless_stream() -> None:
    stall = asyncio.Event()
    body = _frame("heartbeat", {}) + _frame("task_progress", {"jobId": "a", "progress": 1}, "1")
    async with RawServer() as srv:
        later = _frame("task_progress", {"jobId": "b", "progress": 2}, "2")
        srv.script("/s", stream(body + later, stall=stall))
        code, out, _ = await run_watch(srv.url + "/s", "--once", timeout=20)
        stall.set()
    assert code == 0
    assert [line.split()[2] for line in out.splitlines()] == ["a"]  # not the heartbeat, not b


async def test_once_with_backlog_ends_at_a_pause_after_the_replay() -> None:
    stall = asyncio.Event()
    replay = b"".join(_frame("task_progress", {"jobId": f"t{i}", "progress": i}, str(i)) for i in range(1, 4))
    async with RawServer() as srv:
        srv.script("/s", stream(replay, stall=stall))  # then silence, stream open
        code, out, _ = await run_watch(srv.url + "/s", "--once", "--last-event-id", "0", timeout=20)
        stall.set()
        assert srv.requests[0].headers["last-event-id"] == "0"
    assert code == 0
    assert [line.split()[2] for line in out.splitlines()] == ["t1", "t2", "t3"]


async def test_once_with_backlog_ends_at_the_first_heartbeat() -> None:
    stall = asyncio.Event()
    live = _frame("task_progress", {"jobId": "live", "progress": 9}, "9")
    body = _frame("task_progress", {"jobId": "old", "progress": 1}, "1") + _frame("heartbeat", {}) + live
    async with RawServer() as srv:
        srv.script("/s", stream(body, stall=stall))
        # A gap far longer than the test: only the heartbeat can end it.
        code, out, _ = await run_watch(
            srv.url + "/s", "--once", "--last-event-id", "0", "--replay-gap", "600", timeout=20
        )
        stall.set()
    assert code == 0
    assert [line.split()[2] for line in out.splitlines()] == ["old"]


async def test_once_with_snapshot_against_monitor_serve() -> None:
    """Real server: the snapshot, the events since its cursor, then the first heartbeat ends it."""
    cfg = ServerConfig(port=0, db=":memory:", heartbeat_interval_ms=300)
    with ServerThread(create_app(cfg)) as srv:
        async with httpx.AsyncClient(base_url=srv.url) as http:
            for name in ("first.wav", "second.wav"):
                assert (await http.post("/api/tasks", json={"name": name})).status_code < 300
        code, out, err = await run_watch(
            srv.url + "/api/tasks/stream", "--once", "--snapshot", "--replay-gap", "600", timeout=30
        )
        code_r, out_r, _ = await run_watch(
            srv.url + "/api/tasks/stream", "--once", "--json", "--last-event-id", "earliest", timeout=30
        )
    assert code == 0, err
    lines = out.splitlines()
    assert "  snapshot        2 tasks, cursor " in lines[0]
    assert sorted(re.split(r"\s{2,}", line)[2] for line in lines[1:]) == ["first.wav", "second.wav"]
    assert code_r == 0
    replayed = [json.loads(line) for line in out_r.splitlines()]
    assert [(o["type"], o["data"]["task"]["name"]) for o in replayed] == [
        ("task_created", "first.wav"),
        ("task_created", "second.wav"),
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_once_exit_codes_refused_503_and_redirect_loop() -> None:
    async def loop(req: Request, w: asyncio.StreamWriter) -> None:
        await response(302, headers={"Location": "/loop"})(req, w)

    async with RawServer() as srv:
        srv.script("/busy", response(503, b"overloaded", {"Retry-After": "1"}))
        srv.script("/loop", loop)
        refused = await run_watch(f"http://127.0.0.1:{_free_port()}/s", "--once")
        busy = await run_watch(srv.url + "/busy", "--once")
        looped = await run_watch(srv.url + "/loop", "--once")
    assert refused[0] == 1, refused
    assert busy[0] == 1, busy
    assert "HTTP 503" in busy[2]
    assert looped[0] == 4, looped
    assert "Traceback" not in looped[2]
    assert [line for line in looped[2].splitlines() if "redirect" in line] == [
        "[failed] not a stream: too many redirects (a redirect loop?)"
    ]


async def test_once_exit_code_on_tls_failure(tmp_path: Path) -> None:
    """A real TLS server whose certificate the client does not trust."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed: it makes the test's self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = await asyncio.create_subprocess_exec(
        *(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
        *("-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert await asyncio.wait_for(made.wait(), 30) == 0
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=ctx)
    port = server.sockets[0].getsockname()[1]
    try:
        code, _, err = await run_watch(f"https://127.0.0.1:{port}/s", "--once")
    finally:
        server.close()
        await server.wait_closed()
    assert code == 1, err
    assert "CERTIFICATE_VERIFY_FAILED" in err
