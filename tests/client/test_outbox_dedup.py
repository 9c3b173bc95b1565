"""The outbox keeps one unsent state command per task (issue 12: offline presses queued twice)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from monitor.client.commands import CommandSender, CommandWithdrawn, Outgoing
from monitor.client.config import ClientConfig

pytestmark = pytest.mark.asyncio

#: Nothing listens there: a sender that is not started keeps every item queued.
OFFLINE = ClientConfig(url="http://127.0.0.1:9/api/tasks/stream")


def queued(sender: CommandSender) -> list[tuple[str | None, str | None]]:
    return [(task_id, None if action is None else action.value) for task_id, action in sender.unsent()]


async def test_the_same_command_twice_is_queued_once_and_shares_one_answer() -> None:
    sender = CommandSender(OFFLINE)
    first = sender.pause("t1")
    second = sender.pause("t1")
    assert second is first, "the second press waits for the same command"
    other = sender.pause("t2")
    assert queued(sender) == [("t1", "pause"), ("t2", "pause")]
    assert not other.done()
    sender.clear_queue()


async def test_opposite_commands_cancel_out() -> None:
    sender = CommandSender(OFFLINE)
    pause = sender.pause("t1")
    resume = sender.resume("t1")
    assert queued(sender) == []
    for future in (pause, resume):
        with pytest.raises(CommandWithdrawn):
            await future


async def test_a_later_command_replaces_an_earlier_one() -> None:
    sender = CommandSender(OFFLINE)
    pause = sender.pause("t1")
    cancel = sender.cancel("t1")
    with pytest.raises(CommandWithdrawn, match="replaced by a later cancel"):
        await pause
    assert queued(sender) == [("t1", "cancel")]
    assert not cancel.done()
    # Queries and messages are not state commands: they never fold.
    sender.query("t1")
    sender.send_text("hello")
    assert queued(sender) == [("t1", "cancel"), ("t1", "query"), (None, None)]
    sender.clear_queue()


async def test_folding_holds_for_commands_reloaded_from_disk(tmp_path: Path) -> None:
    state = tmp_path / "outbox.json"
    first = CommandSender(OFFLINE, state_path=state, retry_schedule=(60.0,))
    first.pause("t1")
    saved = json.loads(state.read_text())["queue"]
    assert [(i["task_id"], i["action"]) for i in saved] == [("t1", "pause")]
    await first.aclose()

    second = CommandSender(OFFLINE, state_path=state, retry_schedule=(60.0,))
    second._load()  # what start() does first; not started, so nothing is posted
    again = second.pause("t1")
    assert queued(second) == [("t1", "pause")], "a pause after a restart is not queued twice"
    assert isinstance(again, asyncio.Future)
    second.resume("t1")
    assert queued(second) == []
    assert json.loads(state.read_text())["queue"] == []
    await second.aclose()


async def test_the_command_being_posted_is_not_withdrawn() -> None:
    sender = CommandSender(OFFLINE)
    pause = sender.pause("t1")
    sender._posting = sender._queue[0]  # as _post marks it while the POST is in flight
    sender.resume("t1")
    assert queued(sender) == [("t1", "pause"), ("t1", "resume")]
    assert not pause.done()
    sender._posting = None
    sender.clear_queue()


async def test_persisted_items_without_action_still_load() -> None:
    # An outbox.json written before commands carried their action and task.
    old = {"id": "m", "path": "/api/commands", "body": {}, "priority": 1, "require_ack": False}
    item = Outgoing.from_json({**old, "ack_timeout_ms": 0, "created": 1.0})
    assert item.action is None
    assert item.task_id is None
