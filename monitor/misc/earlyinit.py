"""What runs before the Qt application exists: checks, logging, Qt's message routing.

Kept apart from :mod:`monitor.app` as in qutebrowser's ``misc/earlyinit.py``: nothing here
builds a widget, so a missing display or library is reported before Qt can abort.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys

from monitor.preflight import display_problem, qt_platform_hint

__all__ = ["APP_ID", "configure_logging", "early_init", "install_qt_message_handler"]

APP_ID = "io.monitor.Monitor"


def configure_logging(level: str) -> None:
    """Log to stderr at ``level`` (one of debug, info, warning, error)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper()))


def _set_windows_app_id() -> None:
    """Make Windows show notifications and the taskbar entry as "Monitor", not the exe name."""
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import ctypes

        with contextlib.suppress(Exception):
            ctypes.windll.shell32.SetCurrentProcessExplicitAppUserModelID(APP_ID)  # type: ignore[attr-defined]


def install_qt_message_handler() -> None:
    """Route Qt's own messages into logging (so ``--log-level`` and the self-test govern them)."""
    from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

    qt_log = logging.getLogger("monitor.qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def handler(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if "propagateSizeHints" in message:
            return  # the offscreen/xcb plugin's harmless notice on every top-level resize
        qt_log.log(levels.get(kind, logging.WARNING), "%s", message)

    qInstallMessageHandler(handler)


def early_init(args: argparse.Namespace) -> str | None:
    """Prepare the process for Qt; return a problem to print (exit 2) or None.

    The self-test always runs offscreen; logging goes to stderr at the chosen level (the
    self-test keeps stderr for errors only, so a clean run prints nothing there).
    """
    if args.self_test:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if problem := display_problem():
        return problem
    if hint := qt_platform_hint():
        return hint
    configure_logging("error" if args.self_test and args.log_level == "warning" else args.log_level)
    _set_windows_app_id()
    install_qt_message_handler()
    return None
