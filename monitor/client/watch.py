"""``monitor watch URL``: tail an SSE stream from a terminal, with the app's engine.

One line per event, written and flushed as it arrives. Exit codes (also in ``--help``):

* 0: the server ended the stream for good (HTTP 204), or the stream ended with ``--once``;
* 1: gave up (reconnect attempts exhausted, polling disabled) or bad arguments;
* 3: authentication failed (401/403);
* 4: not an event stream (404/410, other 4xx, wrong content type);
* 130: interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Sequence
from typing import TextIO

from pydantic import ValidationError

from monitor.client.config import ClientConfig
from monitor.client.engine import IncomingEvent, StreamEngine
from monitor.core.connection import ConnectionState, ConnectionStatus, FailureKind
from monitor.core.profile import ConnectionProfile, ReconnectConfig, ResumeMode, ServerDialect

__all__ = ["EXIT_AUTH", "EXIT_GAVE_UP", "EXIT_INTERRUPTED", "EXIT_NOT_A_STREAM", "EXIT_OK", "main"]

EXIT_OK = 0
EXIT_GAVE_UP = 1
EXIT_AUTH = 3
EXIT_NOT_A_STREAM = 4
EXIT_INTERRUPTED = 130

_EPILOG = """\
exit codes:
  0    the server ended the stream (HTTP 204), or the stream ended with --once
  1    gave up after the reconnect attempts, or bad arguments
  3    authentication failed (HTTP 401/403)
  4    not an event stream (404/410, other 4xx, wrong content type)
  130  interrupted (Ctrl-C)
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``monitor watch`` command line."""
    p = argparse.ArgumentParser(
        prog="monitor watch",
        description="Print the events of a Server-Sent Events stream as they arrive.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("url", help="stream URL, e.g. http://127.0.0.1:8765/api/tasks/stream")
    p.add_argument("--json", action="store_true", help="one JSON object per event: type, id, data, retry")
    p.add_argument(
        "--once", action="store_true", help="stop at the end of the stream instead of reconnecting"
    )
    p.add_argument("--token", help="bearer token (prefer --token-env: command lines are visible to others)")
    p.add_argument("--token-env", metavar="VAR", help="read the bearer token from this environment variable")
    p.add_argument("--last-event-id", default="", help="resume after this event id")
    p.add_argument("--header", action="append", default=[], metavar="NAME:VALUE", help="extra request header")
    p.add_argument("--snapshot", action="store_true", help="fetch and print the task snapshot first")
    p.add_argument("--max-attempts", type=int, default=None, help="reconnect attempts before giving up")
    p.add_argument("--no-polling", action="store_true", help="do not fall back to polling")
    p.add_argument("--stats", action="store_true", help="print the engine statistics to stderr at exit")
    profile = p.add_argument_group("connection profile")
    profile.add_argument(
        "--api-base", metavar="URL", help="base of the REST endpoints (default: from the URL)"
    )
    profile.add_argument("--poll-url", metavar="URL", help="polling endpoint (default: derived from the URL)")
    profile.add_argument("--snapshot-url", metavar="URL", help="snapshot endpoint (default: derived)")
    profile.add_argument("--commands-url", metavar="URL", help="commands endpoint (default: derived)")
    profile.add_argument(
        "--resume",
        choices=[m.value for m in ResumeMode],
        default=ResumeMode.AUTO.value,
        help="how a reconnect resumes: header (Last-Event-ID), query (header + lastEventId query), "
        "auto (header; adds the query once the server replays from the start) [auto]",
    )
    profile.add_argument(
        "--token-in-query",
        action="store_true",
        help="also send the token as ?token= (some servers need it; URLs end up in logs)",
    )
    profile.add_argument("--client-id", help="client id (default: a fresh one)")
    profile.add_argument(
        "--dialect", choices=[d.value for d in ServerDialect], default=ServerDialect.MONITOR.value
    )
    profile.add_argument(
        "--poll-after",
        type=int,
        default=3,
        metavar="N",
        help="consecutive stream failures before polling takes over [3]",
    )
    return p


class _Watcher:
    def __init__(self, out: TextIO, as_json: bool, once: bool) -> None:
        self.out = out
        self.as_json = as_json
        self.once = once
        self.code: int | None = None
        self.done = asyncio.Event()

    def event(self, ev: IncomingEvent) -> None:
        if self.as_json:
            line = json.dumps(
                {"type": ev.type, "id": ev.id, "data": ev.data, "retry": ev.retry}, ensure_ascii=False
            )
        else:
            line = f"{ev.type}\t{ev.id}\t{ev.data}"
        try:
            self.out.write(line + "\n")
            self.out.flush()
        except BrokenPipeError:  # `monitor watch ... | head`: the reader left, so do we
            self.code = EXIT_OK
            self.done.set()

    def status(self, st: ConnectionStatus) -> None:
        print(f"[{st.state.value}] {st.reason}", file=sys.stderr, flush=True)
        if st.state is ConnectionState.FAILED:
            self.code = {
                FailureKind.AUTH: EXIT_AUTH,
                FailureKind.NOT_A_STREAM: EXIT_NOT_A_STREAM,
                FailureKind.STOPPED: EXIT_OK,
            }.get(st.failure, EXIT_GAVE_UP)
            self.done.set()
        elif st.state is ConnectionState.DISCONNECTED and st.previous is not ConnectionState.DISCONNECTED:
            if self.once:
                self.code = EXIT_OK
                self.done.set()


async def _watch(args: argparse.Namespace, out: TextIO) -> int:
    headers: dict[str, str] = {}
    for raw in args.header:
        name, sep, value = raw.partition(":")
        if not sep or not name.strip():
            print(f"monitor watch: bad --header {raw!r} (expected NAME:VALUE)", file=sys.stderr)
            return EXIT_GAVE_UP
        headers[name.strip()] = value.strip()
    token = args.token or (os.environ.get(args.token_env) if args.token_env else None)
    try:
        config = ClientConfig(
            profile=ConnectionProfile(
                stream_url=args.url,
                api_base=args.api_base,
                poll_url=args.poll_url,
                snapshot_url=args.snapshot_url,
                commands_url=args.commands_url,
                resume=ResumeMode(args.resume),
                token_in_query=args.token_in_query,
                dialect=ServerDialect(args.dialect),
                reconnect=ReconnectConfig(
                    reconnect=not args.once,
                    max_reconnect_attempts=args.max_attempts,
                    fallback_to_polling=not args.no_polling,
                    poll_after_failures=args.poll_after,
                ),
                **({"client_id": args.client_id} if args.client_id else {}),
            ),
            auth_token=token,
            headers=headers,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        print(f"monitor watch: {where}: {err['msg']}", file=sys.stderr)
        return EXIT_GAVE_UP
    for warning in config.profile.warnings():
        print(f"monitor watch: warning: {warning}", file=sys.stderr)
    watcher = _Watcher(out, args.json, args.once)
    engine = StreamEngine(config, fetch_snapshot=args.snapshot)
    if args.last_event_id:
        engine.set_last_event_id(args.last_event_id)
    engine.on_event(watcher.event)
    engine.on_status(watcher.status)
    if args.snapshot:
        engine.on_snapshot(lambda snap: watcher.event(IncomingEvent("snapshot", snap.model_dump_json(), "")))
    loop = asyncio.get_running_loop()
    interrupted = False

    def interrupt() -> None:
        nonlocal interrupted
        interrupted = True
        watcher.done.set()

    with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C arrives as KeyboardInterrupt
        loop.add_signal_handler(signal.SIGINT, interrupt)
    try:
        await engine.start()
        await watcher.done.wait()
    finally:
        with contextlib.suppress(NotImplementedError):
            loop.remove_signal_handler(signal.SIGINT)
        await engine.aclose()
        if args.stats:
            print(json.dumps(engine.stats().as_dict()), file=sys.stderr)
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if watcher.code is None else watcher.code


def main(argv: Sequence[str]) -> int:
    """Run ``monitor watch``; return the exit code."""
    args = build_parser().parse_args(list(argv))
    try:
        return asyncio.run(_watch(args, sys.stdout))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
