"""Which buttons a notification gets, and what Open result opens, in the real app.

The app runs against its real ``--demo`` server; the tasks tested are put in the store the way
the stream puts them (a full patch). ``QDesktopServices.setUrlHandler`` takes the schemes for the
test, so nothing is handed to the desktop's browser or file manager.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from monitor.core.news import TaskPatch
from monitor.core.notify_history import NoticeAction
from monitor.core.notify_policy import Notice, NotifyEvent
from monitor.core.profile import Capabilities
from monitor.core.protocol import TaskError, TaskState
from monitor.wiring.notifications import notice_actions, open_result
from monitor.wiring.parts import Parts
from tests.test_app_seams import parts_of, running_app


class Opened(QObject):
    """Collects the URLs the app asks the desktop to open."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def _put(parts: Parts, task_id: str, state: TaskState, result: Any = None) -> None:
    parts.store.apply(
        [
            TaskPatch(
                id=task_id,
                received_at=1.0,
                full=True,
                name=f"{task_id}.wav",
                state=state,
                progress=100.0 if state is TaskState.COMPLETED else 40.0,
                result=result,
                result_set=result is not None,
                error=TaskError(message="boom") if state is TaskState.FAILED else None,
            )
        ]
    )


def _notice(kind: NotifyEvent, *ids: str) -> Notice:
    return Notice(kind, "t", "b", ids)


def test_buttons_follow_the_task_and_the_server(run: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            _put(parts, "f1", TaskState.FAILED)
            _put(parts, "c1", TaskState.COMPLETED, {"url": "https://example.org/r/c1"})
            _put(parts, "c2", TaskState.COMPLETED, {"text": "no link"})
            assert notice_actions(parts, _notice(NotifyEvent.FAILED, "f1")) == (NoticeAction.RETRY,)
            assert notice_actions(parts, _notice(NotifyEvent.COMPLETED, "c1")) == (NoticeAction.OPEN_RESULT,)
            assert notice_actions(parts, _notice(NotifyEvent.COMPLETED, "c2")) == ()
            assert notice_actions(parts, _notice(NotifyEvent.FAILED, "f1", "c1")) == ()  # grouped
            assert notice_actions(parts, _notice(NotifyEvent.FAILED, "gone")) == ()
            # A server without a commands endpoint: no Retry button.
            parts.capabilities._capabilities = Capabilities(snapshot=True, poll=True, commands=False)
            assert notice_actions(parts, _notice(NotifyEvent.FAILED, "f1")) == ()

    run(scenario())


def test_open_result_opens_links_and_local_files_only(run: Any, tmp_path: Path) -> None:
    here = tmp_path / "out.txt"
    here.write_text("transcript")
    opened = Opened()
    for scheme in ("https", "file"):
        QDesktopServices.setUrlHandler(scheme, opened, "open")
    try:

        async def scenario() -> None:
            async with running_app(tmp_path / "cfg") as desktop:
                parts = parts_of(desktop)
                _put(parts, "web", TaskState.COMPLETED, {"url": "https://example.org/r/1"})
                _put(parts, "local", TaskState.COMPLETED, {"path": str(here)})
                _put(parts, "remote", TaskState.COMPLETED, {"path": "/srv/not/here.txt"})
                _put(parts, "evil", TaskState.COMPLETED, {"url": "javascript:alert(1)"})
                for task_id in ("web", "local", "remote", "evil"):
                    open_result(parts, task_id)
                assert [u.toString() for u in opened.urls] == [
                    "https://example.org/r/1",
                    QUrl.fromLocalFile(str(here)).toString(),
                ]
                assert "not on this computer" in parts.window.statusBar().currentMessage()

        run(scenario())
    finally:
        for scheme in ("https", "file"):
            QDesktopServices.unsetUrlHandler(scheme)
