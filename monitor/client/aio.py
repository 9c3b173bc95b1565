"""asyncio helpers the client and the services share."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

__all__ = ["cancel_and_wait"]


async def cancel_and_wait(*tasks: asyncio.Future[Any] | None) -> None:
    """Cancel every task given (None is skipped), then wait until each has finished.

    The tasks' own cancellation is swallowed; any other exception a task ends with propagates,
    so a bug in a task is not hidden by closing it.
    """
    pending = [t for t in tasks if t is not None]
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError):
            await task
