"""``monitor serve`` with one extra command handler, run as a real process by the durability tests.

``python -m tests.server.durable_server serve --port 0 --db FILE`` serves exactly what ``monitor
serve`` serves, plus an ``execute`` handler that sleeps ``params.seconds`` (default 0.5) and
answers ``{"slept": seconds}``: a command that is still running when the test kills the process.
"""

from __future__ import annotations

import asyncio
import sys

from pydantic import JsonValue

from monitor.core.protocol import CommandAction
from monitor.server.app import MonitorApp
from monitor.server.cli import main
from monitor.server.scheduler import CommandRecord

__all__ = ["add_slow_execute"]


async def _slow(record: CommandRecord) -> JsonValue:
    seconds = record.params.get("seconds", 0.5)
    delay = float(seconds) if isinstance(seconds, int | float) else 0.5
    await asyncio.sleep(delay)  # the work itself, not synchronisation
    return {"slept": delay}


def add_slow_execute(app: MonitorApp) -> None:
    """Register the sleeping ``execute`` handler on ``app``'s scheduler."""
    app.scheduler.register_handler(CommandAction.EXECUTE, _slow)


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(main(args[1:] if args[:1] == ["serve"] else args, prepare=add_slow_execute))
