"""View wiring: View > Columns and View > Detail pane -> the task view."""

from __future__ import annotations

from monitor.wiring.parts import Parts

__all__ = ["wire_view"]


def wire_view(parts: Parts) -> None:
    """Fill View > Columns from the table (again each time it opens); Detail pane toggles the pane.

    Both are saved with the UI state: the columns by the table header, the pane by its action.
    """
    window, view = parts.window, parts.view
    menu = window.columns_menu
    view.fill_column_menu(menu)
    # Refilled on opening: the header's own menu may have changed the columns meanwhile.
    menu.aboutToShow.connect(lambda: view.fill_column_menu(menu))
    window.detail_pane_toggled.connect(view.set_detail_visible)
    view.set_detail_visible(window.action_detail_pane.isChecked())
