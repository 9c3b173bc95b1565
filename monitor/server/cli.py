"""``monitor serve``: run the reference server.

Settings come from defaults < ``--config FILE`` (TOML) < ``MONITOR_SERVER_*`` env < flags.
SIGTERM / Ctrl-C drain gracefully: every stream gets ``shutdown`` and the process exits within
``drain_timeout_s`` plus a little, with every published event committed to the log.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.server.app import MonitorApp

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``monitor serve`` argument parser."""
    p = argparse.ArgumentParser(prog="monitor serve", description="Run the Monitor reference server.")
    p.add_argument("--host", default=None, help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="TCP port (default 8765; 0 = any free port)")
    p.add_argument(
        "--db", default=None, help="SQLite file (default: user data dir); ':memory:' keeps the log in memory"
    )
    p.add_argument(
        "--store",
        default=None,
        metavar="URL",
        help="share the log, tasks and commands with other replicas in Redis (redis://host:port/db)",
    )
    p.add_argument("--config", default=None, metavar="FILE", help="TOML settings file")
    p.add_argument("--demo", action="store_true", default=None, help="run the built-in demo workload")
    p.add_argument(
        "--token",
        action="append",
        default=None,
        help="accept this bearer token (repeatable; each its own principal)",
    )
    p.add_argument(
        "--tokens-file",
        default=None,
        metavar="FILE",
        help="principals, one 'NAME TOKEN [admin]' line each (see docs/server.md)",
    )
    p.add_argument(
        "--quarantine-bad-wal",
        action="store_true",
        default=None,
        help="move a damaged WAL file aside (logged) instead of refusing to start; its commits are lost",
    )
    p.add_argument("--log-level", default=None, choices=["critical", "error", "warning", "info", "debug"])
    return p


def main(argv: Sequence[str], *, prepare: Callable[[MonitorApp], None] | None = None) -> int:
    """Run ``monitor serve``; return the exit code.

    0 after a graceful stop, 1 when the port cannot be bound, 2 on bad settings, 3 when the
    database cannot be opened (corrupted, read-only, a directory, a damaged WAL).

    Args:
        argv: Command-line arguments after ``serve``.
        prepare: Called with the app before it serves (tests register extra command handlers).
    """
    args = build_parser().parse_args(list(argv))
    from pydantic import ValidationError

    from monitor.server.auth import token_checker
    from monitor.server.config import load_config
    from monitor.server.runner import MonitorServer, TokenScrubFilter, uvicorn_config

    try:
        config = load_config(
            file=args.config,
            overrides={
                "host": args.host,
                "port": args.port,
                "db": args.db,
                "store": args.store,
                "demo": args.demo,
                "tokens": args.token,
                "tokens_file": args.tokens_file,
                "log_level": args.log_level,
                "quarantine_bad_wal": args.quarantine_bad_wal,
            },
        )
        token_checker(config)  # a bad tokens file is a settings error, said before anything starts
    except (ValidationError, OSError, ValueError) as exc:
        sys.stderr.write(f"monitor serve: invalid settings: {exc}\n")
        return 2
    logging.basicConfig(
        level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("uvicorn.access").addFilter(TokenScrubFilter())
    from monitor.server.app import create_app  # after validation: bad settings fail fast
    from monitor.server.log import LogOpenError

    try:
        app = create_app(config)
    except LogOpenError as exc:
        sys.stderr.write(f"monitor serve: {exc}\n")
        return 3
    if prepare is not None:
        prepare(app)
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    # IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted sockets (see runner.ServerThread).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((config.host, config.port))
    except OSError as exc:
        sock.close()
        sys.stderr.write(f"monitor serve: cannot bind {config.host}:{config.port}: {exc}\n")
        return 1
    # Listen now: connections made after the line below queue in the backlog instead of being
    # refused while uvicorn starts, so wrappers need no retry loop.
    sock.listen(2048)
    port = sock.getsockname()[1]
    # Printed before serving so wrappers (tests, the app's --demo) can read the port when --port 0.
    sys.stdout.write(f"monitor serve: listening on http://{config.host}:{port}\n")
    sys.stdout.flush()
    server = MonitorServer(
        uvicorn_config(
            app,
            log_level=config.log_level,
            log_config=None,
            drain_timeout_s=config.drain_timeout_s,
            header_timeout_s=config.header_timeout_s,
            keepalive_timeout_s=config.http_keepalive_timeout_s,
        )
    )
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0
