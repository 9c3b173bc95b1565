"""``monitor bridge celery``: command-line entry of the Celery bridge (see docs/celery.md)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.bridge.celery_bridge import CeleryBridge

__all__ = ["build_parser", "main"]

_log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The ``monitor bridge`` argument parser."""
    p = argparse.ArgumentParser(
        prog="monitor bridge",
        description="Publish a job system's tasks into `monitor serve` and carry out the app's commands.",
    )
    sub = p.add_subparsers(dest="system", required=True, metavar="SYSTEM")
    c = sub.add_parser(
        "celery",
        help="Celery over Redis: task events, update_state progress, cancel (revoke) and retry",
        description="Publish Celery's task events into `monitor serve` (see docs/celery.md).",
    )
    c.add_argument(
        "--broker",
        default=os.environ.get("CELERY_BROKER_URL"),
        help="the broker URL the workers use, e.g. redis://localhost:6379/0 (default: $CELERY_BROKER_URL)",
    )
    c.add_argument(
        "--result-backend",
        default=os.environ.get("CELERY_RESULT_BACKEND"),
        help="where workers store results and update_state progress "
        "(default: $CELERY_RESULT_BACKEND, else the broker URL)",
    )
    c.add_argument("--no-progress", action="store_true", help="do not read progress from the result backend")
    c.add_argument(
        "--server",
        default=os.environ.get("MONITOR_SERVER", "http://127.0.0.1:8765"),
        help="the Monitor server (default: $MONITOR_SERVER, else http://127.0.0.1:8765)",
    )
    c.add_argument("--token", help="bearer token (prefer --token-env: command lines are visible to others)")
    c.add_argument(
        "--token-env",
        metavar="VAR",
        default="MONITOR_TOKEN",
        help="read the bearer token from this environment variable (default: MONITOR_TOKEN)",
    )
    c.add_argument(
        "--poll-interval", type=float, default=0.5, help="seconds between two progress reads (default 0.5)"
    )
    c.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return p


def main(argv: Sequence[str]) -> int:
    """Run the bridge until SIGINT/SIGTERM; return the exit status (2 for bad arguments)."""
    args = build_parser().parse_args(list(argv))
    if not args.broker:
        print("monitor bridge celery: --broker (or $CELERY_BROKER_URL) is required", file=sys.stderr)
        return 2
    if args.poll_interval <= 0:
        print("monitor bridge celery: --poll-interval must be positive", file=sys.stderr)
        return 2
    try:
        from monitor.bridge.celery_bridge import CeleryBridge
    except ImportError as exc:
        print(
            f"monitor bridge celery: {exc.name or 'celery'} is not installed (pip install 'monitor[celery]')",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    token = args.token or os.environ.get(args.token_env) or None
    backend = None if args.no_progress else (args.result_backend or args.broker)
    bridge = CeleryBridge(
        args.broker, args.server, token=token, result_backend=backend, poll_interval=args.poll_interval
    )
    print(f"monitor bridge celery: {_redact(args.broker)} -> {args.server}", flush=True)
    return asyncio.run(_run(bridge))


async def _run(bridge: CeleryBridge) -> int:
    loop = asyncio.get_running_loop()
    runner = asyncio.current_task()
    assert runner is not None
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, runner.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await bridge.run()
    return 0


def _redact(url: str) -> str:
    """The URL without its password (``redis://:secret@host`` -> ``redis://:***@host``)."""
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in creds:
        return url
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
