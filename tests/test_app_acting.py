"""Acting safely (issue 12) through the real DesktopApp against the real reference server: cancel
and bulk actions ask once (and "Don't ask again" is saved), Undo restores what the server allows,
offline presses are queued once, and Pause all holds the queue.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QMessageBox, QPushButton

from monitor.core.lifecycle import PendingAction
from monitor.core.protocol import CommandAction, TaskState
from monitor.ui.confirm import UndoOffer
from monitor.wiring.parts import Parts
from tests.test_app_controls import select
from tests.test_app_seams import ids_in, parts_of, running_app
from tests.waiting import until


def question(parts: Parts) -> QMessageBox | None:
    boxes = [b for b in parts.window.findChildren(QMessageBox, "confirmAction") if b.isVisible()]
    assert len(boxes) <= 1, "one question at a time"
    return boxes[0] if boxes else None


def answer(parts: Parts, *, yes: bool, never_again: bool = False) -> str:
    """Answer the question on screen; return its text."""
    box = question(parts)
    assert box is not None, "no question was asked"
    text = box.text()
    checkbox = box.checkBox()
    assert checkbox is not None
    checkbox.setChecked(never_again)
    button = box.findChild(QPushButton, "confirmYes" if yes else "confirmNo")
    assert button is not None
    button.click()
    assert question(parts) is None
    return text


def undo_offer(parts: Parts) -> UndoOffer:
    offers = parts.window.findChildren(UndoOffer)
    assert len(offers) == 1
    return offers[0]


def state_of(parts: Parts, task_id: str) -> TaskState | None:
    record = parts.store.get(task_id)
    return None if record is None else record.state


def test_cancel_asks_once_and_dont_ask_again_is_saved(run: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            await until(lambda: parts.commands is not None, 10, "the command service")
            task_id = await select(parts, TaskState.RUNNING, "a running task")
            name = parts.store.get(task_id).name  # type: ignore[union-attr]
            cancel = parts.view.task_actions.cancel
            cancel.trigger()
            # Asked, and nothing sent yet; "Go back" sends nothing.
            assert parts.view.model.pending(task_id) is None
            assert answer(parts, yes=False) == f"Cancel '{name}'?"
            assert parts.view.model.pending(task_id) is None
            assert parts.commands is not None
            assert parts.commands.unsent() == []
            # Yes, with "Don't ask again": sent, and saved in settings.json.
            cancel.trigger()
            answer(parts, yes=True, never_again=True)
            assert parts.view.model.pending(task_id) is PendingAction.CANCELLING
            assert desktop.settings.confirm.cancel is False
            saved = json.loads((tmp_path / "settings.json").read_text())
            assert saved["confirm"] == {"cancel": False, "bulk": True}
            # The next cancel goes at once; a running task's cancel has no Undo.
            assert not undo_offer(parts).offered
            other = await select(parts, TaskState.RUNNING, "another running task")
            cancel.trigger()
            assert question(parts) is None
            assert parts.view.model.pending(other) is PendingAction.CANCELLING

    run(scenario())


def test_bulk_actions_ask_once_with_the_count(run: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_app(tmp_path, "--demo-speed", "2") as desktop:
            parts = parts_of(desktop)
            await until(lambda: parts.commands is not None, 10, "the command service")
            await until(lambda: len(ids_in(parts, TaskState.RUNNING)) >= 2, 20, "two running tasks")
            two = ids_in(parts, TaskState.RUNNING)[:2]
            parts.view.clear_filters()
            parts.view.table.clearSelection()
            parts.view.model.flush()
            selection = parts.view.table.selectionModel()
            for task_id in two:
                row = parts.view.model.row_of(task_id)
                assert row is not None
                flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
                selection.select(parts.view.model.index(row, 0), flags)
            assert sorted(parts.view.selected_ids()) == sorted(two)
            parts.view.task_actions.pause_resume.trigger()
            assert answer(parts, yes=True) == "Pause 2 tasks?"
            assert {i: parts.view.model.pending(i) for i in two} == dict.fromkeys(two, PendingAction.PAUSING)
            assert undo_offer(parts).label.text() == "Paused 2 tasks"

    run(scenario())


def test_undo_of_a_pause_resumes_on_the_server(run: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            await until(lambda: parts.commands is not None, 10, "the command service")
            task_id = await select(parts, TaskState.RUNNING, "a running task")
            parts.view.task_actions.pause_resume.trigger()  # one task: no question
            assert question(parts) is None
            offer = undo_offer(parts)
            assert offer.offered
            assert offer.label.text().startswith("Paused '")
            await until(lambda: state_of(parts, task_id) is TaskState.PAUSED, 10, "the pause")
            offer.button.click()
            assert not offer.offered
            await until(
                lambda: state_of(parts, task_id) in (TaskState.RUNNING, TaskState.QUEUED),
                10,
                "the undo to resume it",
            )

    run(scenario())


def test_undo_of_a_queued_cancel_requeues_it(run: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        # Slow demo: queued tasks stay queued while the test acts on one.
        async with running_app(tmp_path, "--demo-speed", "1") as desktop:
            parts = parts_of(desktop)
            await until(lambda: parts.commands is not None, 10, "the command service")
            task_id = await select(parts, TaskState.QUEUED, "a queued task")
            parts.view.task_actions.cancel.trigger()
            answer(parts, yes=True)
            await until(lambda: state_of(parts, task_id) is TaskState.CANCELLED, 10, "the cancel")
            offer = undo_offer(parts)
            assert offer.offered
            offer.button.click()
            await until(lambda: state_of(parts, task_id) is TaskState.QUEUED, 10, "the undo to requeue it")
            record = parts.store.get(task_id)
            assert record is not None
            assert record.attempt == 2

    run(scenario())


def test_pause_all_holds_the_queue_and_resume_all_respects_the_limit(run: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_app(tmp_path, "--demo-speed", "2") as desktop:
            parts = parts_of(desktop)
            await until(lambda: parts.commands is not None, 10, "the command service")
            await until(
                lambda: ids_in(parts, TaskState.QUEUED) and len(ids_in(parts, TaskState.RUNNING)) == 3,
                20,
                "3 running and some queued",
            )
            await until(parts.tray.action_pause_all.isEnabled, 5, "Pause all (the counts flush at 10 Hz)")
            live = ids_in(parts, TaskState.QUEUED) + ids_in(parts, TaskState.RUNNING)
            parts.tray.action_pause_all.trigger()
            assert answer(parts, yes=True) == f"Pause {len(live)} tasks?"

            def all_paused() -> bool:
                return all(state_of(parts, i) is TaskState.PAUSED for i in live)

            # The queued ones too: none of them started when the running ones freed their slots.
            await until(all_paused, 15, "every queued and running task paused")
            await until(parts.tray.action_resume_all.isEnabled, 5, "Resume all (the counts flush at 10 Hz)")
            parts.tray.action_resume_all.trigger()
            answer(parts, yes=True)
            await until(lambda: not ids_in(parts, TaskState.PAUSED), 15, "every task resumed")
            assert len(ids_in(parts, TaskState.RUNNING)) <= 3, "never more than the demo's concurrency"

    run(scenario())


def test_offline_pause_twice_is_queued_once(run: Any, tmp_path: Path) -> None:
    from monitor.server.app import create_app
    from monitor.server.config import ServerConfig
    from monitor.server.runner import ServerThread

    server = ServerThread(
        create_app(ServerConfig(port=0, db=":memory:", demo=True, demo_speed=1, log_level="warning")),
        log_level="error",
    ).start()

    async def scenario() -> None:
        async with running_app(tmp_path, "--stream", f"{server.url}/api/tasks/stream", demo=False) as desktop:
            parts = parts_of(desktop)
            await until(lambda: parts.commands is not None, 10, "the command service")
            task_id = await select(parts, TaskState.RUNNING, "a running task")
            # Discovery first: a probe cut off by the stop would report the endpoints missing.
            await until(lambda: parts.capabilities.capabilities is not None, 10, "discovery")
            await asyncio.to_thread(server.stop)
            await until(lambda: parts.service.status.state.value != "connected", 15, "the app to notice")
            pause = parts.view.task_actions.pause_resume
            assert pause.isEnabled(), "offline, commands are queued: Pause stays enabled"
            pause.trigger()
            commands = parts.commands
            assert commands is not None
            await until(lambda: commands.unsent() == [(task_id, CommandAction.PAUSE)], 5, "one queued pause")
            pause.trigger()
            pause.trigger()
            assert commands.unsent() == [(task_id, CommandAction.PAUSE)], "pressed three times, queued once"
            # Undo of an unsent pause cancels it out in the outbox.
            undo_offer(parts).button.click()
            await until(lambda: commands.unsent() == [], 5, "the pause and its undo to cancel out")
            await until(lambda: parts.view.model.pending(task_id) is None, 5, "no pending mark left")

    try:
        run(scenario())
    finally:
        server.stop()
