"""View wiring: View > Columns and View > Detail pane -> the task view."""

from __future__ import annotations

from monitor.wiring.parts import Parts

__all__ = ["wire_view"]


def wire_view(parts: Parts) -> None:
    """Fill View > Columns from the table (again each time it opens); Detail pane toggles the pane,
    and Enter or a double-click on a row checks it.

    Both are saved with the UI state: the columns by the table header, the pane by its action.
    The table gets the keyboard focus.
    """
    window, view = parts.window, parts.view
    # The empty table says "Waiting for the server…" until the stream was live once.
    parts.servers.connection_state_changed.connect(lambda _status: view.set_live(parts.servers.live))
    menu = window.columns_menu
    view.fill_column_menu(menu)
    # Refilled on opening: the header's own menu may have changed the columns meanwhile.
    menu.aboutToShow.connect(lambda: view.fill_column_menu(menu))
    window.detail_pane_toggled.connect(view.set_detail_visible)
    view.set_detail_visible(window.action_detail_pane.isChecked())
    # Enter or a double-click shows the details: View > Detail pane follows (and is saved).
    view.task_actions.details_requested.connect(lambda _ids: window.action_detail_pane.setChecked(True))
    # Start with the keyboard on the table, not the search box: Space and Del act on tasks.
    view.focus_table()
