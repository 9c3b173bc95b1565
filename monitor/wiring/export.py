"""File > Export view…: the tasks listed now, as CSV (shown columns) or JSON (every field)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog

from monitor.core.atomicfile import write_text_atomic
from monitor.core.export import export_csv, export_json
from monitor.core.store import TaskColumn
from monitor.wiring.parts import Parts

__all__ = ["CSV_FILTER", "JSON_FILTER", "export_view", "wire_export"]


def _tr(text: str) -> str:
    return QCoreApplication.translate("Export", text)


CSV_FILTER = "CSV (*.csv)"
JSON_FILTER = "JSON (*.json)"


def export_view(parts: Parts, path: Path, *, clock: Callable[[], float] = time.time) -> int:
    """Write the listed tasks to ``path`` (CSV unless it ends in ``.json``); returns how many.

    The rows are the table's, in its order, with its search and sidebar group applied; CSV has
    the shown columns in their on-screen order.

    Raises:
        OSError: The file could not be written (nothing is left half-written).
    """
    view, store = parts.view, parts.store
    records = [r for i in view.model.rows() if (r := store.get(i)) is not None]
    if path.suffix.lower() == ".json":
        text = export_json(records, server=parts.window.server_url, exported_at=clock())
    else:
        header = view.table.horizontalHeader()
        shown = sorted(
            (c for c in TaskColumn if not header.isSectionHidden(c)), key=lambda c: header.visualIndex(c)
        )
        titles = [str(view.model.headerData(c, Qt.Orientation.Horizontal)) for c in shown]
        text = export_csv(records, shown, titles=titles, now=clock())
    write_text_atomic(path, text)
    return len(records)


def wire_export(parts: Parts) -> QAction:
    """Add File > Export view… (Ctrl+E); the file dialog is non-modal, the writing is at once."""
    window = parts.window
    action = QAction(_tr("&Export view…"), window)
    action.setObjectName("exportView")
    action.setShortcut(QKeySequence("Ctrl+E"))
    window.file_menu.insertAction(window.action_settings, action)

    def write(name: str, chosen_filter: str) -> None:
        path = Path(name)
        if not path.suffix:
            path = path.with_suffix(".json" if chosen_filter == JSON_FILTER else ".csv")
        try:
            n = export_view(parts, path)
        except OSError as exc:
            text = (
                _tr("Could not export to %1: %2")
                .replace("%1", str(path))
                .replace("%2", exc.strerror or str(exc))
            )
            window.statusBar().showMessage(text, 30_000)
            return
        done = QCoreApplication.translate("Export", "Exported %n task(s) to %1", "", n)
        window.statusBar().showMessage(done.replace("%1", str(path)), 15_000)

    def ask() -> None:
        dialog = QFileDialog(window, _tr("Export the listed tasks"))
        dialog.setObjectName("exportDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters([CSV_FILTER, JSON_FILTER])
        dialog.selectFile("tasks.csv")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda name: write(name, dialog.selectedNameFilter()))
        dialog.open()

    action.triggered.connect(ask)
    return action
