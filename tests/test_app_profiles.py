"""Connection profiles and capabilities in the real ``DesktopApp`` (issue 10, item 2).

Each test builds the whole app in-process on a fresh qasync loop, offscreen, against a real server
on 127.0.0.1: a request-logging SSE server (``tests.client.rawhttp``) for servers that are not
``monitor serve``, and the reference server mounted under a path prefix for commands.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from monitor.core.protocol import TaskState
from monitor.core.settings import SCHEMA_VERSION
from monitor.ui.settings_dialog import SettingsDialog
from tests.client.rawhttp import RawServer, response, stream
from tests.test_app_seams import ids_in, parts_of, running_app
from tests.waiting import until

_EVENTS = (
    b'id: 1\nevent: task_progress\ndata: {"jobId": "job-a", "progress": 40}\n\n'
    b'id: 2\nevent: task_progress\ndata: {"jobId": "job-b", "progress": 10}\n\n'
)


def _generic_sse_server(srv: RawServer) -> None:
    """A plain SSE server at /sse (takes a query) with neither snapshot nor commands."""
    srv.script("/sse", stream(_EVENTS, stall=asyncio.Event()))
    srv.script("/api/tasks", response(404, b"no snapshot here"))
    srv.script("/api/commands", response(404, b"no commands here"))


def test_a_generic_server_with_a_query_and_no_commands(run: Any, tmp_path: Path) -> None:
    """(a) a stream path other than /api/tasks/stream with a query; (b) no command endpoint."""

    async def scenario() -> None:
        async with RawServer() as srv:
            _generic_sse_server(srv)
            url = srv.url + "/sse?clientId=me&topic=x"
            async with running_app(tmp_path, "--stream", url, demo=False) as desktop:
                parts = parts_of(desktop)
                await until(lambda: parts.store.get("job-a") is not None, 10, "the task to appear")
                streams = [r for r in srv.requests if r.path == "/sse"]
                assert streams[0].target == "/sse?clientId=me&topic=x"  # the query reached the server
                await until(lambda: parts.capabilities.capabilities is not None, 10, "discovery")
                caps = parts.capabilities.capabilities
                assert caps is not None
                assert (caps.snapshot, caps.commands) == (False, False)
                actions = parts.view.task_actions
                parts.view.clear_filters()
                parts.view.model.flush()
                assert parts.view.select_task("job-a")
                want = f"GET {srv.url}/api/commands?clientId=me&topic=x: HTTP 404"
                for action in (actions.cancel, actions.pause_resume, actions.retry):
                    assert not action.isEnabled(), action.text()
                    assert action.statusTip() == f"This server takes no commands ({want})"
                    assert "takes no commands" in action.toolTip()
                assert "no task snapshot" in actions.refresh.statusTip()
                assert not parts.tray.action_pause_all.isEnabled()
                # F5 with a selection rebuilds the list (a reconnect) instead of a command query.
                before = len([r for r in srv.requests if r.path == "/sse"])
                replayed: list[str] = []
                parts.service.event_received.connect(replayed.append)
                actions.refresh.trigger()
                await until(
                    lambda: len([r for r in srv.requests if r.path == "/sse"]) > before, 10, "a reconnect"
                )
                assert not [r for r in srv.requests if r.method == "POST"]
                # The replay after the reconnect is the stream's last news: repaint it before quitting.
                await until(lambda: replayed, 10, "the replayed events")
                parts.view.model.flush()

    run(scenario())


def test_commands_go_to_the_prefixed_url_and_are_acknowledged(run: Any, tmp_path: Path) -> None:
    """(c) the reference server under /monitor (a proxy-less prefix): Pause reaches it and is confirmed."""
    from monitor.server.app import create_app
    from monitor.server.config import ServerConfig
    from monitor.server.runner import ServerThread

    inner = create_app(ServerConfig(port=0, db=":memory:", demo=True, demo_speed=20, log_level="warning"))
    seen: list[str] = []

    async def prefixed(scope: dict[str, Any], receive: Any, send: Any) -> None:
        # What a reverse proxy mounting the server at /monitor does: strip the prefix, 404 the rest.
        if scope["type"] in ("http", "websocket"):
            path = scope["path"]
            seen.append(f"{scope.get('method', '')} {path}")
            if not path.startswith("/monitor/"):
                await send({"type": "http.response.start", "status": 404, "headers": []})
                await send({"type": "http.response.body", "body": b"not here"})
                return
            scope = {**scope, "path": path[len("/monitor") :], "raw_path": path[len("/monitor") :].encode()}
        await inner(scope, receive, send)

    server = ServerThread(prefixed, log_level="error").start()

    async def scenario() -> None:
        url = f"{server.url}/monitor/api/tasks/stream"
        async with running_app(tmp_path, "--stream", url, demo=False) as desktop:
            parts = parts_of(desktop)
            await until(lambda: ids_in(parts, TaskState.RUNNING), 15, "a running task")
            await until(lambda: parts.capabilities.capabilities is not None, 10, "discovery")
            caps = parts.capabilities.capabilities
            assert caps is not None
            assert (caps.snapshot, caps.poll, caps.commands) == (True, True, True)
            task_id = ids_in(parts, TaskState.RUNNING)[0]
            parts.view.clear_filters()
            parts.view.model.flush()
            assert parts.view.select_task(task_id)
            assert parts.view.task_actions.pause_resume.isEnabled()
            parts.view.task_actions.pause_resume.trigger()
            await until(lambda: parts.view.model.pending(task_id) is None, 10, "the pause to be confirmed")
            record = parts.store.get(task_id)
            assert record is not None
            assert record.state is TaskState.PAUSED
            assert "POST /monitor/api/commands" in seen
            assert not [s for s in seen if not s.split(" ", 1)[1].startswith("/monitor/")]

    try:
        run(scenario())
    finally:
        server.stop()


def test_client_id_survives_a_restart_and_the_temporary_profile_is_not_saved(
    run: Any, tmp_path: Path
) -> None:
    """(d) same config dir, two launches: one client id, sent to the server both times."""
    (tmp_path / "settings.json").write_text(
        json.dumps({"schema_version": 1, "server_url": "http://saved.example:9000", "theme": "dark"})
    )

    async def launch(srv: RawServer) -> str:
        async with running_app(
            tmp_path, "--stream", srv.url + "/sse?clientId=me&topic=x", demo=False
        ) as desktop:
            parts = parts_of(desktop)
            await until(lambda: parts.store.get("job-a") is not None, 10, "the task to appear")
            return desktop.settings.profile.client_id

    async def scenario() -> None:
        async with RawServer() as srv:
            _generic_sse_server(srv)
            first = await launch(srv)
            second = await launch(srv)
            assert first == second
            assert first.startswith("monitor-")
            sent = {r.headers.get("x-client-id") for r in srv.requests if r.path == "/sse"}
            assert sent == {first}
        saved = json.loads((tmp_path / "settings.json").read_text())
        assert saved["schema_version"] == SCHEMA_VERSION
        assert [p["stream_url"] for p in saved["profiles"]] == ["http://saved.example:9000/api/tasks/stream"]
        assert saved["profiles"][0]["client_id"] == first
        assert saved["theme"] == "dark"
        assert "127.0.0.1" not in json.dumps(saved)  # the --stream URL was never written

    run(scenario())


def test_demo_never_writes_its_server_url(run: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            assert "127.0.0.1" in desktop.settings.profile.stream_url
            # Any saved change (here do-not-disturb from the tray) writes the saved profile only.
            parts.tray.dnd_toggled.emit(True)
        saved = json.loads((tmp_path / "settings.json").read_text())
        assert saved["do_not_disturb"] is True
        assert [p["stream_url"] for p in saved["profiles"]] == ["http://127.0.0.1:8765/api/tasks/stream"]

    run(scenario())


@pytest.fixture
def dialog_of() -> Callable[[Any], Awaitable[SettingsDialog]]:
    async def opened(parts: Any) -> SettingsDialog:
        parts.window.settings_requested.emit()
        await until(lambda: parts.window.findChild(SettingsDialog) is not None, 5, "the settings dialog")
        dialog = parts.window.findChild(SettingsDialog)
        assert isinstance(dialog, SettingsDialog)
        return dialog

    return opened


def test_the_dialog_refuses_an_invalid_url_and_warns_about_a_token_in_the_query(
    run: Any, tmp_path: Path, dialog_of: Callable[[Any], Awaitable[SettingsDialog]]
) -> None:
    """(e) through the app's own settings dialog."""

    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            dialog = await dialog_of(parts)
            editor = dialog.profile_editor
            ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
            assert ok.isEnabled()
            assert editor.client_id_edit.isReadOnly()
            assert editor.client_id_edit.text() == desktop.settings.profile.client_id
            editor.stream_edit.setText("localhost:8000/sse")
            assert not ok.isEnabled()
            error = editor.errors["stream_url"]
            assert error.isVisibleTo(editor)
            assert "not an http(s) URL" in error.text()
            assert "not an http(s) URL" in dialog.error_label.text()
            editor.stream_edit.setText("http://h:1/prefix/sse?topic=x")
            assert ok.isEnabled()
            assert not error.isVisibleTo(editor)
            # The overrides' placeholders show what is derived from the stream URL, live.
            assert editor.commands_edit.placeholderText() == "http://h:1/prefix/api/commands?topic=x"
            editor.api_base_edit.setText("http://h:1/v2")
            assert editor.commands_edit.placeholderText() == "http://h:1/v2/commands"
            editor.commands_edit.setText("not a url")
            assert not ok.isEnabled()
            assert editor.errors["commands_url"].isVisibleTo(editor)
            editor.commands_edit.setText("")
            assert not editor.warning_label.isVisibleTo(editor)
            editor.token_in_query.setChecked(True)
            assert editor.warning_label.isVisibleTo(editor)
            assert "proxy logs" in editor.warning_label.text()
            editor.poll_after_spin.setValue(7)
            dialog.max_attempts.setValue(5)  # the Connection tab's timing merges into the same profile
            applied: list[Any] = []
            dialog.settings_applied.connect(applied.append)
            ok.click()
            assert applied
            profile = applied[0].profile
            assert profile.stream_url == "http://h:1/prefix/sse?topic=x"
            assert profile.api_base == "http://h:1/v2"
            assert profile.token_in_query
            assert (profile.reconnect.poll_after_failures, profile.reconnect.max_reconnect_attempts) == (7, 5)
            assert profile.client_id == desktop.settings.profile.client_id

    run(scenario())
