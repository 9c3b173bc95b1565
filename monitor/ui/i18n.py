"""Translations: every user-visible string goes through Qt (``self.tr`` / ``translate``).

Shipped: English (the source language, no file) and Simplified Chinese
(``resources/translations/monitor_zh_CN.ts``, compiled to ``.qm`` with ``pyside6-lrelease``).
Regenerate after changing strings (runs lupdate over all of ``monitor/`` with ``-extensions py``,
fills the Chinese table, runs lrelease, and fails listing anything untranslated)::

    .venv/bin/python resources/translations/fill_zh_CN.py
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from monitor.core.eta import DurationUnit, format_duration
from monitor.ui.icons import resources_dir

__all__ = ["SUPPORTED_LOCALES", "duration_text", "install_translator", "translations_dir"]

#: Locales with a shipped translation (besides the English source).
SUPPORTED_LOCALES = ("zh_CN",)


def _duration_pattern(unit: DurationUnit) -> str:
    # Literal calls, one per unit: lupdate finds them (and only the one needed is looked up).
    if unit is DurationUnit.SECONDS:
        return QCoreApplication.translate("Duration", "{s}s")
    if unit is DurationUnit.MINUTES:
        return QCoreApplication.translate("Duration", "{m}m {s:02d}s")
    if unit is DurationUnit.HOURS:
        return QCoreApplication.translate("Duration", "{h}h {m:02d}m")
    return QCoreApplication.translate("Duration", "{d}d {h}h")


def duration_text(seconds: float) -> str:
    """A duration as the UI shows it, in the UI's language: "3m 20s", "3分20秒".

    The one formatter for every duration on screen (ETA and Elapsed cells, what a screen reader
    hears); the arithmetic is :func:`monitor.core.eta.format_duration`'s.
    """
    return format_duration(seconds, _duration_pattern)


def translations_dir() -> Path:
    """Folder holding ``monitor_<locale>.qm``."""
    return resources_dir() / "translations"


def install_translator(app: QCoreApplication, locale: str | QLocale | None = None) -> list[QTranslator]:
    """Load and install Monitor's translation (and Qt's own, for standard buttons).

    Args:
        app: The application; translators are parented to it so they live as long.
        locale: ``"zh_CN"``, a ``QLocale``, or None/"" for the system locale.

    Returns:
        The installed translators (empty for English or a locale without a translation).
    """
    if isinstance(locale, QLocale):
        loc = locale
    elif locale:
        loc = QLocale(locale)
    else:
        loc = QLocale.system()
    installed: list[QTranslator] = []
    ours = QTranslator(app)
    # QTranslator.load(locale, ...) tries zh_CN, then zh, following the UI language list.
    if ours.load(loc, "monitor", "_", str(translations_dir())):
        app.installTranslator(ours)
        installed.append(ours)
        qt = QTranslator(app)
        if qt.load(loc, "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            app.installTranslator(qt)
            installed.append(qt)
        else:
            qt.deleteLater()
    else:
        ours.deleteLater()
    return installed
