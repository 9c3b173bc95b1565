"""Command wiring: task actions and the tray's Pause all / Resume all -> the command service.

The command service is rebuilt when the server changes (it belongs to one engine), so the
intents are connected once, here, to functions that look up the *current* service.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from monitor.core.protocol import TaskState
from monitor.core.store import TaskStore
from monitor.services.command_service import CommandService
from monitor.wiring.parts import Parts

__all__ = ["start_commands", "wire_commands"]


def _ids_in(store: TaskStore, state: TaskState) -> list[str]:
    return [i for i in store.ids() if (r := store.get(i)) is not None and r.state is state]


def wire_commands(parts: Parts) -> None:
    """Connect the user's intents to whichever command service is current."""
    actions, tray, store = parts.view.task_actions, parts.tray, parts.store

    def to_commands(send: Callable[[CommandService, list[str]], None]) -> Callable[[list[str]], None]:
        def slot(ids: list[str]) -> None:
            if parts.commands is not None:
                send(parts.commands, ids)

        return slot

    actions.cancel_requested.connect(to_commands(CommandService.cancel))
    actions.pause_requested.connect(to_commands(CommandService.pause))
    actions.resume_requested.connect(to_commands(CommandService.resume))
    actions.retry_requested.connect(to_commands(CommandService.retry))
    actions.query_requested.connect(to_commands(CommandService.query))
    pause_all = to_commands(CommandService.pause)
    resume_all = to_commands(CommandService.resume)
    tray.pause_all_requested.connect(lambda: pause_all(_ids_in(store, TaskState.RUNNING)))
    tray.resume_all_requested.connect(lambda: resume_all(_ids_in(store, TaskState.PAUSED)))


async def start_commands(parts: Parts, *, state_path: Path | None) -> None:
    """(Re)build the command service on the stream's current engine and start it.

    Args:
        parts: The app's parts; ``parts.commands`` is replaced.
        state_path: Where unsent commands persist (None: nowhere, the self-test).
    """
    service, view, window = parts.service, parts.view, parts.window
    old, parts.commands = parts.commands, None
    if old is not None:
        with contextlib.suppress(RuntimeError, TypeError):
            service.tasks_changed.disconnect(old.note_changes)
        await old.aclose()
        view.set_pending(list(old.pending()), None)  # the old server will not answer them
    engine = service.engine
    if engine is None:
        return
    # The engine's own config: same server, token and client id, so acks come back to us.
    commands = CommandService(engine.config, engine=engine, state_path=state_path)
    parts.messages.set_client_id(engine.config.client_id)  # "To: You" for direct messages
    commands.pending_changed.connect(view.set_pending)
    commands.command_failed.connect(lambda _ids, text: window.statusBar().showMessage(text, 15_000))
    service.tasks_changed.connect(commands.note_changes)
    parts.commands = commands
    await commands.start()
