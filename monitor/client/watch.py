"""``monitor watch URL``: tail an SSE stream from a terminal, with the app's engine.

One line per event, written and flushed as it arrives: a human line by default, one JSON object
with ``--json`` (formats and terminal safety: :mod:`monitor.client.watch_format`). Exit codes are
in ``_EPILOG`` (``--help``) and ``docs/client.md``.

``--once`` stops after the first event printed, or, when there is a backlog to replay
(``--last-event-id`` or ``--snapshot``), at the end of the replay. A stream carries no "end of
replay" mark, so it is the first heartbeat after the stream opened or the first pause of
``--replay-gap`` seconds without an event, whichever comes first: ``monitor serve`` writes its
replay before any heartbeat, so a heartbeat means it is over; on another server, a pause.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from pydantic import ValidationError

from monitor.client.config import ClientConfig
from monitor.client.engine import IncomingEvent, StreamEngine
from monitor.client.watch_format import EventFormatter, decoded_data, json_line, terminal_safe
from monitor.core.connection import ConnectionState, ConnectionStatus, FailureKind
from monitor.core.profile import ConnectionProfile, ReconnectConfig, ResumeMode, ServerDialect
from monitor.core.protocol import EventType, Snapshot

__all__ = [
    "EXIT_AUTH",
    "EXIT_GAVE_UP",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_A_STREAM",
    "EXIT_OK",
    "EXIT_USAGE",
    "main",
]

EXIT_OK = 0
EXIT_GAVE_UP = 1
EXIT_USAGE = 2  # argparse's own code for a bad command line
EXIT_AUTH = 3
EXIT_NOT_A_STREAM = 4
EXIT_INTERRUPTED = 130

_EPILOG = """\
--once ends:
  without --last-event-id / --snapshot: after the first event printed (or when the
    stream ends);
  with --last-event-id or --snapshot: after the replayed backlog, i.e. at the first
    heartbeat after the stream opened or the first pause of --replay-gap seconds
    without an event (or when the stream ends).

exit codes:
  0    the server ended the stream (HTTP 204), or --once ended as above
  1    gave up: with --once the connection failed (refused, timeout, TLS, HTTP
       408/429/5xx, cut before --once was satisfied); without it, the reconnect
       attempts ran out; or bad arguments
  2    bad command line (argparse)
  3    authentication failed (HTTP 401/403)
  4    not an event stream (404/410, other 4xx, wrong content type, redirect loop)
  130  interrupted (Ctrl-C)

Server text is printed with control characters, escape sequences and bidi overrides
shown as escapes (\\x1b, \\x9b, \\u202e); --json escapes C1 and bidi controls as \\uXXXX.
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
    p.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per event: type, id, data (the decoded JSON value, or the string when "
        "it is not JSON), retry",
    )
    p.add_argument(
        "--once",
        action="store_true",
        help="stop after the first event, or after the replay with --last-event-id / --snapshot "
        "(see below); never reconnect",
    )
    p.add_argument(
        "--replay-gap",
        type=float,
        default=0.2,
        metavar="SECONDS",
        help="with --once: a pause this long without an event ends the replay [0.2]",
    )
    p.add_argument("--verbose", "-v", action="store_true", help="also print heartbeats, and tracebacks")
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
    """Prints events and decides when ``monitor watch`` is done, and with which exit code."""

    def __init__(self, out: TextIO, args: argparse.Namespace, formatter: EventFormatter) -> None:
        self.out = out
        self.as_json: bool = args.json
        self.once: bool = args.once
        # With a backlog to replay, --once waits for its end instead of the first event.
        self.replay: bool = args.once and bool(args.last_event_id or args.snapshot)
        self.gap: float = args.replay_gap
        self.fmt = formatter
        self.code: int | None = None
        self.done = asyncio.Event()
        self._gap_timer: asyncio.TimerHandle | None = None

    def finish(self, code: int) -> None:
        """Done, with this exit code (the first reason to stop wins)."""
        if not self.done.is_set():
            self.code = code
            self.done.set()
        if self._gap_timer is not None:
            self._gap_timer.cancel()

    def _write(self, lines: list[str]) -> None:
        try:
            for line in lines:
                self.out.write(line + "\n")
            self.out.flush()
        except BrokenPipeError:  # `monitor watch ... | head`: the reader left, so do we
            self.finish(EXIT_OK)

    def event(self, ev: IncomingEvent) -> None:
        if self.done.is_set():
            return
        if not self.fmt.shown(ev.type):
            lines = []
        elif self.as_json:
            lines = [_json_event(ev.type, ev.id, decoded_data(ev.data), ev.retry)]
        else:
            lines = self.fmt.event_lines(ev.type, ev.data)
        self._write(lines)
        if not self.once:
            return
        if not self.replay:
            if lines:
                self.finish(EXIT_OK)
        elif ev.type == EventType.HEARTBEAT:
            self.finish(EXIT_OK)  # monitor serve writes its whole replay before any heartbeat
        else:
            self._arm_gap()

    def snapshot(self, snap: Snapshot) -> None:
        if self.done.is_set():
            return
        if self.as_json:
            data = snap.model_dump(mode="json")
            self._write([_json_event("snapshot", snap.cursor or "", data, None)])
        else:
            self._write(self.fmt.snapshot_lines(snap))

    def _arm_gap(self) -> None:
        if self._gap_timer is not None:
            self._gap_timer.cancel()
        self._gap_timer = asyncio.get_running_loop().call_later(self.gap, self.finish, EXIT_OK)

    def status(self, st: ConnectionStatus) -> None:
        if self.done.is_set():
            return
        print(f"[{st.state.value}] {terminal_safe(st.reason)}", file=sys.stderr, flush=True)
        if st.state is ConnectionState.FAILED:
            self.finish(
                {
                    FailureKind.AUTH: EXIT_AUTH,
                    FailureKind.NOT_A_STREAM: EXIT_NOT_A_STREAM,
                    FailureKind.STOPPED: EXIT_OK,
                }.get(st.failure, EXIT_GAVE_UP)
            )
        elif st.state in (ConnectionState.CONNECTED, ConnectionState.POLLING) and self.replay:
            self._arm_gap()  # an empty backlog ends after one quiet gap too
        elif st.state is ConnectionState.DISCONNECTED and st.previous is not ConnectionState.DISCONNECTED:
            if self.once:
                # With --once the engine does not reconnect: a failed attempt is the end.
                self.finish(EXIT_OK if st.failure is FailureKind.NONE else EXIT_GAVE_UP)


def _json_event(event_type: str, event_id: str, data: Any, retry: int | None) -> str:
    obj = {"type": event_type, "id": event_id, "data": data, "retry": retry}
    try:
        return json_line(obj)
    except ValueError:  # pragma: no cover - decoded_data never returns NaN or infinities
        return json_line({**obj, "data": str(data)})


class _OneLineFormatter(logging.Formatter):
    """Log records as ``monitor watch: level: message``, terminal-safe, tracebacks only if verbose."""

    def __init__(self, verbose: bool) -> None:
        super().__init__()
        self.verbose = verbose

    def format(self, record: logging.LogRecord) -> str:
        text = f"monitor watch: {record.levelname.lower()}: {terminal_safe(record.getMessage())}"
        if self.verbose and record.exc_info:
            trace = self.formatException(record.exc_info)
            text += "\n" + "\n".join(terminal_safe(line, None) for line in trace.splitlines())
        return text


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLineFormatter(verbose))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)


async def _watch(args: argparse.Namespace, out: TextIO) -> int:
    headers: dict[str, str] = {}
    for raw in args.header:
        name, sep, value = raw.partition(":")
        if not sep or not name.strip():
            print(f"monitor watch: bad --header {raw!r} (expected NAME:VALUE)", file=sys.stderr)
            return EXIT_GAVE_UP
        headers[name.strip()] = value.strip()
    if not 0 < args.replay_gap < 3600:
        print(f"monitor watch: bad --replay-gap {args.replay_gap} (seconds, above 0)", file=sys.stderr)
        return EXIT_GAVE_UP
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
    watcher = _Watcher(out, args, EventFormatter(client_id=config.profile.client_id, verbose=args.verbose))
    engine = StreamEngine(config, fetch_snapshot=args.snapshot)
    if args.last_event_id:
        engine.set_last_event_id(args.last_event_id)
    engine.on_event(watcher.event)
    engine.on_status(watcher.status)
    # Also the snapshots the engine fetches by itself (a reset, a new server lifetime).
    engine.on_snapshot(watcher.snapshot)
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
    _setup_logging(args.verbose)
    try:
        return asyncio.run(_watch(args, sys.stdout))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
