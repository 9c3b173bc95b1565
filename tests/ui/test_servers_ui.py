"""Several servers in the widgets: the indicator's per-server lines, the sidebar's server group,
and the server set's routing and capabilities (issue 15 item 2)."""

from __future__ import annotations

from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from monitor.core.connection import ConnectionState, ConnectionStatus
from monitor.core.profile import Capabilities, ConnectionProfile
from monitor.core.protocol import CommandAction
from monitor.core.servers import server_prefix
from monitor.core.settings import AppSettings
from monitor.core.store import StateGroup, TaskStore
from monitor.services.servers import ServerSet
from monitor.ui.indicator import ConnectionIndicator, ServerState
from monitor.ui.sidebar import StateSidebar
from monitor.wiring.servers import server_filter

S = ConnectionState


def _status(state: ConnectionState, reason: str = "") -> ConnectionStatus:
    return ConnectionStatus(state, S.CONNECTED, reason, since=1_700_000_000.0)


def test_the_indicator_shows_the_worst_and_lists_each_server(qtbot: QtBot) -> None:
    ind = ConnectionIndicator(clock=lambda: 1_700_000_010.0)
    qtbot.addWidget(ind)
    down = _status(S.RECONNECTING, "network error: ConnectError: [Errno 111] Connection refused")
    ind.set_status(down, live=True)  # B is live: the data is not stale
    ind.set_servers(
        [
            ServerState("alpha", "http://127.0.0.1:1", down),
            ServerState("beta", "http://127.0.0.1:2", _status(S.CONNECTED)),
        ]
    )
    assert ind.text() == "Reconnecting…"
    assert ind.stale_since is None
    lines = ind.tooltip_text().splitlines()
    assert lines[0] == "Servers:"
    assert lines[1].startswith("alpha: Reconnecting… — ")
    assert "127.0.0.1:1" in lines[1]  # the plain reason names the server that failed
    assert lines[2] == "beta: Live"
    assert ind.retry_visible()
    # Without any live server the data is stale again; with one server, the old tooltip.
    ind.set_status(_status(S.FAILED), live=False)
    assert ind.stale_since is not None
    ind.set_servers([])
    assert ind.tooltip_text().startswith("Server: ")


def test_the_sidebar_lists_servers_with_counts_and_picks_one(qtbot: QtBot) -> None:
    bar = StateSidebar()
    qtbot.addWidget(bar)
    bar.set_servers(["alpha"])
    assert bar.count() == len(StateGroup)  # one server: no server group
    bar.set_servers(["alpha", "beta gamma"])
    assert bar.count() == len(StateGroup) + 3  # heading + two entries
    bar.set_server_counts({"alpha": 3, "beta gamma": 0})
    assert bar.server_text("alpha") == "alpha (3)"
    assert bar.server_text("beta gamma") == "beta gamma (0)"
    picked: list[str] = []
    groups: list[str] = []
    bar.server_selected.connect(picked.append)
    bar.group_selected.connect(groups.append)
    bar.select(StateGroup.FAILED)
    bar.select_server("beta gamma")
    assert picked == ["beta gamma"]
    assert groups[-1] == "all"
    assert bar.current_group() is StateGroup.ALL
    assert server_filter("beta gamma") == 'server:"beta gamma"'
    assert server_filter("alpha") == "server:alpha"
    bar.set_servers(["alpha"])
    assert bar.count() == len(StateGroup)


def _settings(*names: str) -> AppSettings:
    return AppSettings(
        profiles=[
            ConnectionProfile(name=n, stream_url=f"http://127.0.0.1:{9 + i}/api/tasks/stream", active=True)
            for i, n in enumerate(names)
        ]
    )


def test_commands_for_tasks_of_no_watched_server_fail_with_a_reason(qtbot: QtBot) -> None:
    servers = ServerSet(_settings("alpha", "beta"), store=TaskStore(), token_of=lambda _p: None)
    assert [link.namespace for link in servers.links] == [server_prefix("alpha"), server_prefix("beta")]
    failed: list[tuple[list[str], str]] = []
    servers.command_failed.connect(lambda ids, text: failed.append((ids, text)))
    # Not started: no command service yet, and a server nobody watches: nothing is sent.
    servers.send(CommandAction.CANCEL, [server_prefix("alpha") + "t1", server_prefix("gone") + "t1"])
    assert failed == [([server_prefix("alpha") + "t1", server_prefix("gone") + "t1"], failed[0][1])]
    assert "server" in failed[0][1]
    assert servers.link_of(server_prefix("gone") + "t1") is None
    assert servers.link_of(server_prefix("beta") + "t1") is servers.links[1]


def test_one_server_keeps_plain_ids(qtbot: QtBot) -> None:
    servers = ServerSet(_settings("alpha"), store=TaskStore(), token_of=lambda _p: None)
    assert not servers.several
    assert servers.links[0].namespace == ""
    assert servers.link_of("task-1") is servers.links[0]


@pytest.mark.parametrize(
    ("found", "ids", "commands", "reason"),
    [
        ({"alpha": True, "beta": False}, ["alpha"], True, ""),
        ({"alpha": True, "beta": False}, ["beta"], False, "beta: GET /api/commands: HTTP 404"),
        ({"alpha": True, "beta": False}, [], False, "beta: GET /api/commands: HTTP 404"),
        ({"alpha": True, "beta": None}, ["alpha", "beta"], True, ""),
    ],
)
def test_capabilities_are_those_of_the_tasks_servers(
    qtbot: QtBot, found: dict[str, bool | None], ids: list[str], commands: bool, reason: str
) -> None:
    servers = ServerSet(_settings("alpha", "beta"), store=TaskStore(), token_of=lambda _p: None)
    for link in servers.links:
        has = found[link.name]
        if has is not None:
            why = () if has else (("commands", "GET /api/commands: HTTP 404"),)
            caps: Any = Capabilities(snapshot=True, poll=True, commands=has, reasons=why)
            link.capabilities._capabilities = caps  # what a discovery found (tested on its own)
    offered = servers.capabilities_for([server_prefix(n) + "t1" for n in ids])
    assert offered is not None
    assert offered.commands is commands
    assert offered.reason("commands") == reason


def test_the_settings_dialog_ticks_and_adds_servers_to_watch(qtbot: QtBot) -> None:
    from monitor.ui.settings_dialog import SettingsDialog

    settings = _settings("alpha", "beta").model_copy(update={"active_profile": "alpha"})
    settings = settings.model_copy(
        update={"profiles": [settings.profiles[0], settings.profiles[1].model_copy(update={"active": False})]}
    )
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    servers = dialog.server_list
    assert list(servers.boxes) == ["beta"]  # the shown profile (alpha) is not listed
    assert not servers.boxes["beta"].isChecked()
    assert servers.boxes["beta"].text() == "beta — http://127.0.0.1:10"
    # Adding: a name and an address, checked as typed.
    assert not servers.add_button.isEnabled()
    servers.name_edit.setText("beta")
    servers.url_edit.setText("http://127.0.0.1:11")
    assert not servers.add_button.isEnabled()
    assert servers.add_error.text() == "There is already a server named beta."
    servers.name_edit.setText("gamma")
    servers.url_edit.setText("ftp://x")
    assert not servers.add_button.isEnabled()
    assert "http" in servers.add_error.text()
    servers.url_edit.setText("http://127.0.0.1:11")
    assert servers.add_button.isEnabled()
    servers.add_button.click()
    assert servers.boxes["gamma"].isChecked()
    assert servers.name_edit.text() == ""
    servers.boxes["beta"].setChecked(True)
    result = dialog.build_settings()
    assert [(p.name, p.active) for p in result.profiles] == [("alpha", True), ("beta", True), ("gamma", True)]
    assert [p.name for p in result.active_profiles] == ["alpha", "beta", "gamma"]
    assert result.profiles[2].stream_url == "http://127.0.0.1:11/api/tasks/stream"
    # Unticking every other server watches the shown one alone.
    servers.boxes["beta"].setChecked(False)
    servers.boxes["gamma"].setChecked(False)
    assert [p.name for p in dialog.build_settings().active_profiles] == ["alpha"]
