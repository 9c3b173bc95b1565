"""Screen readers: what the real app exposes over AT-SPI, read through a real accessibility bus.

The app runs under Xvfb with a private session bus (``tests/e2e/desktop.py``); at-spi2-core's
``at-spi-bus-launcher`` starts the accessibility bus with accessibility switched on, as a desktop
does when a screen reader is enabled, and Qt's AT-SPI bridge registers the app there by itself
(no ``QT_LINUX_ACCESSIBILITY_ALWAYS_ON``). The test then reads the app's tree the way Orca does,
with plain D-Bus calls (``tests/e2e/atspi.py``): the task table's cells, the connection chip,
the notification banner and the detail pane, and checks them against the app's own data.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.atspi import (
    BUS_LAUNCHER,
    LIVE_ASSERTIVE,
    Announcements,
    Atspi,
    Gone,
    Node,
    a11y_bus_address,
    start_bus_launcher,
)
from tests.e2e.desktop import Desktop, missing_tools
from tests.e2e.harness import AppProcess, ServerProcess, free_port, wait_until
from tests.waiting import stop_process

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SERVER_ENV = {"MONITOR_SERVER_DEMO_SPEED": "3", "MONITOR_SERVER_HEARTBEAT_INTERVAL_MS": "1000"}
FAILED_NAME = "a11y-interview.wav"
FAILED_MESSAGE = "CUDA out of memory"
STATUS_TEXTS = {"Queued", "Running", "Paused", "Completed", "Failed", "Cancelled"}


@pytest.fixture
def a11y_desktop(tmp_path: Path) -> Iterator[tuple[Desktop, str]]:
    """A private desktop plus a running accessibility bus; yields it and the a11y bus address."""
    missing = missing_tools("none") + [t for t in ("xdotool",) if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs a private X/D-Bus desktop; missing: {', '.join(missing)}")
    if not BUS_LAUNCHER.is_file():
        pytest.skip(f"no accessibility bus: {BUS_LAUNCHER} missing (Debian package at-spi2-core)")
    with Desktop(tray="none") as desk:
        # The launcher puts the a11y bus socket under XDG_RUNTIME_DIR: keep it in the desktop's dir.
        launcher = start_bus_launcher({**desk.env, "XDG_RUNTIME_DIR": str(desk.dir)}, tmp_path / "a11y.log")
        try:
            try:
                wait_until(
                    lambda: launcher.poll() is None and desk.has_name("org.a11y.Bus"), 10, "org.a11y.Bus"
                )
                address = a11y_bus_address(desk.env["DBUS_SESSION_BUS_ADDRESS"])
            except (TimeoutError, Gone) as exc:
                log = (tmp_path / "a11y.log").read_text(errors="replace")[-2000:]
                pytest.skip(f"the accessibility bus did not start ({exc}); launcher log: {log}")
            yield desk, address
        finally:
            stop_process(launcher, 5)


def _read_app(bus: Atspi) -> Node | None:
    """The tree of the application named "Monitor", or None if it is not registered (yet)."""
    try:
        refs = [r for r in bus.applications() if bus.name(r) == "Monitor"]
    except Gone:
        return None
    return bus.snapshot(refs[0]) if refs else None


def _until(bus: Atspi, cond: Callable[[Node], bool], timeout: float, what: str) -> Node:
    """Re-read the app's tree until ``cond`` holds on it; the last tree is in the error."""
    last: list[Node | None] = [None]

    def ok() -> bool:
        last[0] = _read_app(bus)
        return last[0] is not None and cond(last[0])

    try:
        wait_until(ok, timeout, what, step=0.3)
    except TimeoutError as exc:
        dump = last[0].dump() if last[0] is not None else "(app not on the accessibility bus)"
        raise AssertionError(f"{exc}; what AT-SPI showed:\n{dump[-6000:]}") from None
    assert last[0] is not None
    return last[0]


def _table(root: Node) -> Node:
    tables = root.find("table", "Tasks")
    assert len(tables) == 1, root.dump()
    return tables[0]


def _rows(root: Node) -> list[dict[str, str]]:
    """The task table's rows as {column header: cell name}."""
    table = _table(root)
    assert table.headers is not None
    assert table.table is not None
    return [dict(zip(table.headers, row, strict=True)) for row in table.table]


def _running_row(root: Node) -> bool:
    tables = root.find("table", "Tasks")
    return bool(tables) and any(
        r.get("Status") == "Running" and re.search(r"\d+ ?%", r.get("Progress", "")) for r in _rows(root)
    )


def _banner_label(root: Node) -> Node | None:
    for panel in root.find("panel", "Notification"):
        if panel.showing:
            labels = [c for c in panel.children if c.role == "label" and c.name]
            return labels[0] if labels else None
    return None


def _detail_values(root: Node) -> dict[str, str]:
    """Detail pane values by field: labels whose description names the field, named by value."""
    fields = ("ID", "Name", "State", "Progress", "Worker")
    return {n.description: n.name for n in root.walk() if n.role == "label" and n.description in fields}


def test_table_chip_banner_and_detail_are_read_over_atspi(
    a11y_desktop: tuple[Desktop, str], tmp_path: Path
) -> None:
    desk, address = a11y_desktop
    server = ServerProcess(free_port(), ":memory:", demo=True, env=SERVER_ENV)
    server.start()
    (tmp_path / "settings.json").write_text(json.dumps({"notifications": {"group_window_s": 0}}))
    app = AppProcess(desk, server.url, tmp_path)
    bus = Atspi(address)
    try:
        app.wait_for(lambda m: m["ev"] == "ready", 30, "the window")
        app.wait_for(lambda m: m["ev"] == "state" and m["state"] == "connected", 20, "Live")

        # The table: column headers, and rows whose cells read as they are painted.
        root = _until(bus, _running_row, 30, "a Running row with a progress text on the bus")
        table = _table(root)
        assert table.headers is not None
        assert {"Name", "Status", "Progress", "ETA", "ID"} <= set(table.headers)
        tasks = app.ask("dump", "dump")["tasks"]
        rows = _rows(root)
        assert all(r["Name"] for r in rows), rows  # every row reads its task's name
        running = [r for r in rows if r["Status"] == "Running"]
        for row in running:
            assert re.fullmatch(r"\d+ ?%.*", row["Progress"]), row  # "42% · transcribing"
        assert any(row["ETA"] for row in running), running  # some running task has an estimate
        assert {r["Status"] for r in rows} <= STATUS_TEXTS, rows
        # The ID column (exposed even while hidden) ties the cells to the app's own data.
        assert {r["ID"] for r in rows} <= set(tasks), rows

        # The connection chip: a named group whose label reads the state.
        chips = root.find("filler", "Connection status")
        assert len(chips) == 1, root.dump()
        assert chips[0].description.startswith("Live"), chips[0].description
        assert any(c.role == "label" and c.name == "Live" for c in chips[0].children), chips[0].dump()

        # Toolbar buttons: described by their tooltip's text, never by its markup.
        bars = root.find("tool bar", "Actions")
        assert len(bars) == 1, root.dump()
        buttons = {b.name: b.description for b in bars[0].children if b.role == "push button"}
        assert buttons.get("Refresh") == "Ask the server for the latest state (F5)", buttons
        assert not any("<" in d for d in buttons.values()), buttons

        # The banner: with the window focused, a failure goes to the in-window banner.
        desk.focus_window("^Monitor")
        spoken = Announcements(address)
        try:
            failed_id = server.fail_task(FAILED_NAME, FAILED_MESSAGE)
            # The banner appears away from the focus: it is spoken at once, interrupting.
            heard: list[tuple[str, int]] = []
            while not any(FAILED_NAME in text for text, _ in heard):
                heard.append(spoken.next(timeout=20))
        finally:
            spoken.close()
        text, politeness = next(h for h in heard if FAILED_NAME in h[0])
        assert FAILED_MESSAGE in text, heard
        assert politeness == LIVE_ASSERTIVE, heard

        def banner_shows(node: Node) -> bool:
            label = _banner_label(node)
            return label is not None and FAILED_NAME in label.name

        root = _until(bus, banner_shows, 20, "the failure banner on the bus")
        label = _banner_label(root)
        assert label is not None
        assert FAILED_MESSAGE in label.name
        panel = next(p for p in root.find("panel", "Notification") if p.showing)
        assert panel.description == label.name

        # The detail pane: each value is a label named by its value, described by its field.
        app.ask("detail on", "detail")
        app.ask(f"select {failed_id}", "selected")

        def detail_shows(node: Node) -> bool:
            return _detail_values(node).get("ID") == failed_id

        root = _until(bus, detail_shows, 15, "the selected task in the detail pane")
        values = _detail_values(root)
        assert values["Name"] == FAILED_NAME
        assert values["State"] == "Failed"
        assert values["Worker"] == "gpu-2"
        assert values["Progress"].endswith("%")
        errors = root.find("text", "Error")
        assert len(errors) == 1, root.dump()
        assert FAILED_MESSAGE in (errors[0].text or ""), errors[0].dump()
    finally:
        bus.close()
        code = app.close()
        server.stop()
    assert code == 0, (tmp_path / "app.stderr").read_text()[-3000:]
