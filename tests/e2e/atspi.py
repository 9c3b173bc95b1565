"""A small AT-SPI 2 client over D-Bus (jeepney), the way a screen reader sees an application.

Screen readers on Linux (Orca) do not look at widgets: they ask the accessibility bus, a separate
D-Bus bus whose address the session bus hands out (``org.a11y.Bus.GetAddress``), and walk each
application's tree of ``org.a11y.atspi.Accessible`` objects: role, name, description, states,
children, and the ``Text`` / ``Table`` interfaces. This module does the same with plain D-Bus
calls, so a test reads exactly what Orca would read, with no toolkit in between.

Objects come and go while the app updates (a row removed between two calls): a call on a vanished
object raises :class:`Gone`, which :meth:`Atspi.snapshot` skips.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jeepney import DBusAddress, MatchRule, MessageType, Properties, new_method_call
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection

__all__ = [
    "BUS_LAUNCHER",
    "LIVE_ASSERTIVE",
    "LIVE_POLITE",
    "Announcements",
    "Atspi",
    "Gone",
    "Node",
    "a11y_bus_address",
    "start_bus_launcher",
]

#: at-spi2-core's launcher: starts the accessibility bus (a dbus-daemon of its own) and owns
#: ``org.a11y.Bus`` on the session bus; the registry daemon is D-Bus-activated on the a11y bus.
BUS_LAUNCHER = Path("/usr/libexec/at-spi-bus-launcher")

_ACC = "org.a11y.atspi.Accessible"
_TEXT = "org.a11y.atspi.Text"
_TABLE = "org.a11y.atspi.Table"
_REGISTRY = ("org.a11y.atspi.Registry", "/org/a11y/atspi/accessible/root")
_NULL_PATH = "/org/a11y/atspi/null"
_EVENT_OBJECT = "org.a11y.atspi.Event.Object"
#: ``AtspiLive`` values an announcement carries as its detail1.
LIVE_POLITE = 1
LIVE_ASSERTIVE = 2

#: Bit positions in AT-SPI's state set (``AtspiStateType``) that the tests look at.
STATE_SELECTED = 23
STATE_SHOWING = 25
STATE_VISIBLE = 30


class Gone(Exception):
    """A D-Bus call returned an error (typically: the object no longer exists)."""


def start_bus_launcher(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``at-spi-bus-launcher`` on the session bus of ``env``, accessibility switched on.

    ``XDG_RUNTIME_DIR`` in ``env`` decides where the a11y bus socket goes (the launcher falls back
    to ``~/.cache/at-spi`` without it); the caller terminates the process by its PID.
    """
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(BUS_LAUNCHER), "--launch-immediately", "--a11y=1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _unwrap(conn: DBusConnection, msg: Any, timeout: float) -> tuple[Any, ...]:
    reply = conn.send_and_get_reply(msg, timeout=timeout)
    if reply.header.message_type is MessageType.error:
        raise Gone(f"{msg.header.fields}: {reply.body}")
    return tuple(reply.body)


def _ref(pair: Any) -> tuple[str, str]:
    """An object reference (bus name, object path) from a D-Bus ``(so)`` value."""
    return str(pair[0]), str(pair[1])


def a11y_bus_address(session_address: str, timeout: float = 5) -> str:
    """Ask the session bus's ``org.a11y.Bus`` for the accessibility bus's address."""
    conn = open_dbus_connection(session_address)
    try:
        call = new_method_call(DBusAddress("/org/a11y/bus", "org.a11y.Bus", "org.a11y.Bus"), "GetAddress")
        return str(_unwrap(conn, call, timeout)[0])
    finally:
        conn.close()


@dataclass
class Node:
    """One accessible object as read at one moment."""

    role: str
    name: str
    description: str
    text: str | None  # the Text interface's content, where the object has one
    states: frozenset[int]
    children: list[Node] = field(default_factory=list)
    table: list[list[str]] | None = None  # cell names by row, for objects with the Table interface
    headers: list[str] | None = None  # column header names, for tables

    def walk(self) -> Iterator[Node]:
        """This node and every descendant, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, role: str, name: str | None = None) -> list[Node]:
        """Descendants (and self) with ``role`` and, if given, exactly ``name``."""
        return [n for n in self.walk() if n.role == role and (name is None or n.name == name)]

    @property
    def showing(self) -> bool:
        """Whether AT-SPI reports the object as on screen (SHOWING)."""
        return STATE_SHOWING in self.states

    def dump(self, depth: int = 0) -> str:
        """An indented listing, for assertion messages."""
        text = "" if self.text is None else f" text={self.text!r}"
        hidden = "" if self.showing else " (not showing)"
        line = f"{'  ' * depth}{self.role} {self.name!r} desc={self.description!r}{text}{hidden}"
        rows = [line] + [c.dump(depth + 1) for c in self.children]
        if self.table is not None:
            rows += [f"{'  ' * (depth + 1)}| " + " | ".join(r) for r in self.table[:5]]
        return "\n".join(rows)


class Atspi:
    """A connection to the accessibility bus.

    Args:
        address: The a11y bus address (:func:`a11y_bus_address`).
        timeout: Seconds per D-Bus call.
    """

    def __init__(self, address: str, timeout: float = 5) -> None:
        self.conn = open_dbus_connection(address)
        self.timeout = timeout

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def _call(
        self,
        ref: tuple[str, str],
        iface: str,
        member: str,
        sig: str | None = None,
        body: tuple[Any, ...] = (),
    ) -> tuple[Any, ...]:
        msg = new_method_call(DBusAddress(ref[1], ref[0], iface), member, sig, body)
        return _unwrap(self.conn, msg, self.timeout)

    def _prop(self, ref: tuple[str, str], iface: str, name: str) -> Any:
        msg = Properties(DBusAddress(ref[1], ref[0], iface)).get(name)
        return _unwrap(self.conn, msg, self.timeout)[0][1]

    def applications(self) -> list[tuple[str, str]]:
        """References (bus name, object path) of every application registered on the bus."""
        return [_ref(r) for r in self._call(_REGISTRY, _ACC, "GetChildren")[0]]

    def name(self, ref: tuple[str, str]) -> str:
        """The object's accessible name."""
        return str(self._prop(ref, _ACC, "Name"))

    def snapshot(self, ref: tuple[str, str], max_nodes: int = 2000) -> Node | None:
        """Read the tree under ``ref`` (tables are read as a grid of cell names, not as children).

        Returns None if ``ref`` vanished while being read; vanished descendants are left out.
        """
        budget = [max_nodes]
        return self._read(ref, budget)

    def _read(self, ref: tuple[str, str], budget: list[int]) -> Node | None:
        budget[0] -= 1
        if budget[0] < 0:
            return None
        try:
            role = str(self._call(ref, _ACC, "GetRoleName")[0])
            ifaces = set(self._call(ref, _ACC, "GetInterfaces")[0])
            words = self._call(ref, _ACC, "GetState")[0]
            states = frozenset(i for i in range(64) if words[i // 32] >> (i % 32) & 1)
            text = None
            if _TEXT in ifaces:
                text = str(self._call(ref, _TEXT, "GetText", "ii", (0, -1))[0])
            node = Node(role, self.name(ref), str(self._prop(ref, _ACC, "Description")), text, states)
            if _TABLE in ifaces:
                node.headers, node.table = self._table(ref)
                return node
            children = self._call(ref, _ACC, "GetChildren")[0]
        except Gone:
            return None
        for child in children:
            if child[1] != _NULL_PATH and (sub := self._read(_ref(child), budget)) is not None:
                node.children.append(sub)
        return node

    def _table(self, ref: tuple[str, str]) -> tuple[list[str], list[list[str]]]:
        rows = int(self._prop(ref, _TABLE, "NRows"))
        cols = int(self._prop(ref, _TABLE, "NColumns"))
        headers = []
        for c in range(cols):
            head = self._call(ref, _TABLE, "GetColumnHeader", "i", (c,))[0]
            headers.append(self.name(_ref(head)) if head[1] != _NULL_PATH else "")
        grid = []
        for r in range(rows):
            cells = [_ref(self._call(ref, _TABLE, "GetAccessibleAt", "ii", (r, c))[0]) for c in range(cols)]
            grid.append([self.name(cell) for cell in cells])
        return headers, grid


class Announcements(Atspi):
    """What a screen reader is told to speak: AT-SPI ``object:announcement`` events.

    Toolkits send events only for kinds a listener has registered with the registry (Qt's bridge
    watches ``EventListenerRegistered``), so this registers the kind the way Orca does, then
    collects the ``Announcement`` signals from its own connection to the accessibility bus.

    Args:
        address: The a11y bus address (:func:`a11y_bus_address`).
        timeout: Seconds per D-Bus call.
    """

    def __init__(self, address: str, timeout: float = 5) -> None:
        super().__init__(address, timeout)
        rule = MatchRule(type="signal", interface=_EVENT_OBJECT, member="Announcement")
        _unwrap(self.conn, message_bus.AddMatch(rule), timeout)
        self._filter = self.conn.filter(rule, bufsize=256)
        self._queue = self._filter.__enter__()
        registry = DBusAddress("/org/a11y/atspi/registry", _REGISTRY[0], "org.a11y.atspi.Registry")
        # at-spi2-core 2.46 takes (event, properties, app bus name); older ones only the event.
        try:
            _unwrap(
                self.conn,
                new_method_call(registry, "RegisterEvent", "sass", ("object:announcement", [], "")),
                timeout,
            )
        except Gone:
            _unwrap(
                self.conn, new_method_call(registry, "RegisterEvent", "s", ("object:announcement",)), timeout
            )

    def next(self, timeout: float) -> tuple[str, int]:
        """The next announcement's text and politeness (:data:`LIVE_POLITE` / ``LIVE_ASSERTIVE``).

        Raises:
            TimeoutError: Nothing was announced within ``timeout`` seconds.
        """
        msg = self.conn.recv_until_filtered(self._queue, timeout=timeout)
        _kind, politeness, _detail2, text, *_rest = msg.body
        return str(text[1]), int(politeness)

    def close(self) -> None:
        """Stop listening and close the connection."""
        self._filter.__exit__(None, None, None)
        super().close()
