"""One running Monitor per user and server: a second launch raises the first and exits.

The first instance listens on a ``QLocalServer`` whose name is derived from the user and the server
URL (so two Monitors watching two different servers may run side by side). A later instance
connects, sends one line, and learns that it should exit. A socket left behind by a crashed
instance is detected (nobody accepts the connection) and removed before listening.
"""

from __future__ import annotations

import getpass
import hashlib

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

__all__ = ["SingleInstance", "instance_key"]

_MESSAGE = b"raise\n"


def instance_key(server_url: str, user: str | None = None) -> str:
    """The local socket name for ``user`` and ``server_url`` (short: Unix paths are limited)."""
    try:
        who = user if user is not None else getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        who = "unknown"
    digest = hashlib.sha256(f"{who}\0{server_url.rstrip('/')}".encode()).hexdigest()[:16]
    return f"monitor-{digest}"


class SingleInstance(QObject):
    """Single-instance guard.

    Signals:
        activation_requested(str): Another launch asked this instance to show itself; the
            argument is the message it sent (``"raise"``).

    Args:
        server_url: Part of the key.
        key: Override the socket name (tests).
        timeout_ms: How long a second instance waits for the first one.
        parent: Qt parent.
    """

    activation_requested = Signal(str)

    def __init__(
        self,
        server_url: str,
        *,
        key: str | None = None,
        timeout_ms: int = 1000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.key = key or instance_key(server_url)
        self._timeout = timeout_ms
        self._server: QLocalServer | None = None
        self._clients: list[QLocalSocket] = []

    @property
    def is_primary(self) -> bool:
        """True once :meth:`acquire` made this the listening instance."""
        return self._server is not None

    def acquire(self) -> bool:
        """Become the primary instance, or tell the running one to raise itself.

        Returns:
            True if this is now the primary instance (go on starting), False if another one was
            told to show itself (exit quietly).
        """
        if self._server is not None:
            return True
        if self._notify_running():
            return False
        # Nobody answered: any socket file is stale (a crashed instance). Remove, then listen.
        QLocalServer.removeServer(self.key)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.key):
            # Lost a race with an instance starting at the same moment: defer to it.
            server.deleteLater()
            return not self._notify_running()
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def _notify_running(self) -> bool:
        sock = QLocalSocket()
        sock.connectToServer(self.key)
        try:
            if not sock.waitForConnected(self._timeout):
                return False
            sock.write(_MESSAGE)
            sock.waitForBytesWritten(self._timeout)
            return True
        finally:
            sock.disconnectFromServer()
            sock.close()

    def _on_connection(self) -> None:
        assert self._server is not None
        while (sock := self._server.nextPendingConnection()) is not None:
            # Keep our own reference and poll every client from one slot: per-socket lambdas
            # outliving a socket that Qt already deleted crash PySide.
            self._clients.append(sock)
            sock.readyRead.connect(self._drain)
            sock.disconnected.connect(self._drain)
        self._drain()

    def _drain(self) -> None:
        for sock in list(self._clients):
            if sock.canReadLine():
                line = bytes(sock.readLine().data()).decode(errors="replace").strip()[:64]
                self._drop(sock)
                self.activation_requested.emit(line or "raise")
            elif sock.state() == QLocalSocket.LocalSocketState.UnconnectedState:
                self._drop(sock)

    def _drop(self, sock: QLocalSocket) -> None:
        self._clients.remove(sock)
        sock.readyRead.disconnect(self._drain)
        sock.disconnected.disconnect(self._drain)
        sock.abort()
        sock.deleteLater()

    def release(self) -> None:
        """Stop listening (on quit) so the next launch starts cleanly."""
        for sock in list(self._clients):
            self._drop(sock)
        if self._server is not None:
            self._server.close()
            self._server.deleteLater()
            self._server = None
