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

from monitor.ui.icons import resources_dir

__all__ = ["SUPPORTED_LOCALES", "install_translator", "translations_dir"]

#: Locales with a shipped translation (besides the English source).
SUPPORTED_LOCALES = ("zh_CN",)


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
