"""Crash and signal handling: the one exception hook and SIGTERM/SIGINT to an orderly quit.

As in qutebrowser's ``misc/crashsignal.py``: unexpected exceptions are logged and shown (never a
silent crash), and the POSIX signals a desktop session sends (logout, ``systemctl --user stop``,
``kill``, Ctrl+C) become the same orderly shutdown as File > Quit.

Why signals go through the event loop: a Python signal handler only runs when the interpreter
gets control back, which it does not while Qt's C++ event loop blocks. The qasync loop is a
selector loop, so ``loop.add_signal_handler`` wakes it through a socket (``set_wakeup_fd`` and a
``QSocketNotifier``) and runs the callback on the GUI thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

__all__ = ["ExceptionHook", "install_signal_handlers", "show_error_dialog"]

log = logging.getLogger("monitor.app")


class ExceptionHook:
    """The one exception hook: log the traceback and hand it on, never crash silently.

    Installed as ``sys.excepthook`` (Qt slots and callbacks) and as the asyncio loop's exception
    handler (tasks nobody awaited).

    Args:
        on_error: Called with the formatted traceback (the app shows a dialog or fails the
            self-test).
    """

    def __init__(self, on_error: Callable[[str], None]) -> None:
        self._on_error = on_error
        self._last_dialog = 0.0
        self.errors: list[str] = []

    def __call__(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("unhandled exception\n%s", text)
        self.errors.append(f"{exc_type.__name__}: {exc}")
        self._on_error(text)

    def loop_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """The asyncio loop's exception handler."""
        exc = context.get("exception")
        if isinstance(exc, BaseException):
            self(type(exc), exc, exc.__traceback__)
        else:
            log.error("asyncio: %s", context.get("message"))

    def may_show_dialog(self) -> bool:
        """At most one dialog per second, so an error in a repaint cannot stack hundreds."""
        now = time.monotonic()
        if now - self._last_dialog < 1.0:
            return False
        self._last_dialog = now
        return True


def show_error_dialog(text: str) -> None:
    """A non-modal, plain-text error dialog with the traceback as details."""
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Critical, "Monitor", "")
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(
        QCoreApplication.translate(
            "DesktopApp", "Monitor hit an unexpected error. It keeps running; details:"
        )
    )
    box.setDetailedText(text)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setModal(False)
    box.show()


def install_signal_handlers(
    loop: asyncio.AbstractEventLoop, on_signal: Callable[[signal.Signals], None]
) -> Callable[[], None]:
    """Call ``on_signal`` on the loop's thread for SIGTERM and SIGINT; return an uninstaller.

    Args:
        loop: The running (qasync) loop.
        on_signal: Called with the signal received.
    """
    installed: list[signal.Signals] = []
    previous: dict[signal.Signals, Any] = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, on_signal, sig)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            # Windows, or not the main thread: a plain handler that hands over to the loop.
            with contextlib.suppress(ValueError, OSError):
                previous[sig] = signal.signal(
                    sig, lambda s, _f: loop.call_soon_threadsafe(on_signal, signal.Signals(s))
                )

    def uninstall() -> None:
        for sig in installed:
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
        for sig, handler in previous.items():
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, handler)

    return uninstall
