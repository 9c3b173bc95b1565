"""Single instance: a second launch raises the first; stale sockets are cleaned up."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from PySide6.QtNetwork import QLocalServer
from pytestqt.qtbot import QtBot

from monitor.ui.single_instance import SingleInstance, instance_key

ROOT = Path(__file__).resolve().parents[2]


def unique_url() -> str:
    return f"http://127.0.0.1:1/{uuid.uuid4().hex}"  # a key no other test run uses


def test_key_depends_on_user_and_url() -> None:
    assert instance_key("http://a/", "u") == instance_key("http://a", "u")
    assert instance_key("http://a", "u") != instance_key("http://b", "u")
    assert instance_key("http://a", "u") != instance_key("http://a", "v")
    assert len(instance_key("http://a")) < 40


def test_second_instance_raises_first(qtbot: QtBot) -> None:
    url = unique_url()
    first = SingleInstance(url)
    second = SingleInstance(url)
    try:
        assert first.acquire()
        assert first.is_primary
        with qtbot.waitSignal(first.activation_requested, timeout=2000) as blocker:
            assert not second.acquire()
        assert blocker.args == ["raise"]
        assert not second.is_primary
    finally:
        first.release()
        second.release()


def test_other_server_url_is_independent(qtbot: QtBot) -> None:
    a, b = SingleInstance(unique_url()), SingleInstance(unique_url())
    try:
        assert a.acquire()
        assert b.acquire()
    finally:
        a.release()
        b.release()


def test_release_lets_the_next_one_start(qtbot: QtBot) -> None:
    url = unique_url()
    first = SingleInstance(url)
    assert first.acquire()
    first.release()
    again = SingleInstance(url)
    try:
        assert again.acquire()
    finally:
        again.release()


def test_stale_socket_is_removed(qtbot: QtBot, tmp_path: Path) -> None:
    """A socket file nobody listens on (a crashed instance) must not block the next start."""
    url = unique_url()
    key = instance_key(url)
    # Leave a stale socket: a server that listens, then has its file kept while it stops
    # accepting. Simplest real way: bind a plain Unix socket at Qt's path and never listen.
    probe = QLocalServer()
    assert probe.listen(key)
    path = probe.fullServerName()
    probe.close()  # removes the file; recreate it as a dead socket
    import socket

    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(path)  # bound, not listening: connect() is refused like after a crash
    try:
        assert os.path.exists(path)
        inst = SingleInstance(url, timeout_ms=300)
        try:
            assert inst.acquire()
        finally:
            inst.release()
    finally:
        dead.close()


def test_subprocess_second_launch(qtbot: QtBot) -> None:
    url = unique_url()
    first = SingleInstance(url)
    assert first.acquire()
    code = (
        "import sys; from PySide6.QtCore import QCoreApplication; app = QCoreApplication([]);"
        "from monitor.ui.single_instance import SingleInstance;"
        f"sys.exit(0 if not SingleInstance({url!r}).acquire() else 3)"
    )
    try:
        with qtbot.waitSignal(first.activation_requested, timeout=10_000):
            proc = subprocess.Popen(
                [sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}
            )
        assert proc.wait(timeout=10) == 0
    finally:
        first.release()
