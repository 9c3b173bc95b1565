"""The window's centre: search box, "Showing N of M" bar, state sidebar, task table, detail pane.

The widget knows nothing about the network: it shows a :class:`TaskStore` and re-emits user
intents through :attr:`TaskView.task_actions` (``cancel_requested`` ...).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from monitor.core.lifecycle import PendingAction
from monitor.core.protocol import TaskState
from monitor.core.query import QuerySyntaxError, parse_query
from monitor.core.settings import SortSpec, UiState
from monitor.core.store import StateGroup, TaskStore
from monitor.ui.actions import TaskActions
from monitor.ui.delegates import ProgressDelegate
from monitor.ui.detail import TaskDetail
from monitor.ui.sidebar import StateSidebar
from monitor.ui.task_model import COLUMN_VIEWS, OrderHold, TaskColumn, TaskTableModel, clock_text
from monitor.ui.tray import TaskCounts

__all__ = ["COLUMN_MAX_WIDTH", "COLUMN_MIN_WIDTH", "NAME_MIN_WIDTH", "TaskTable", "TaskView", "task_counts"]

#: The Name column never shrinks below this when it stretches to fill the table.
NAME_MIN_WIDTH = 140
#: The widest a column gets from its content (double-click on a divider) or from a saved layout:
#: a 4,000-character stage must not make a column, and then the window, 30,000 px wide.
COLUMN_MAX_WIDTH = 800
#: The narrowest a saved width is taken as (a column saved at 0 px would look missing).
COLUMN_MIN_WIDTH = 20


class TaskTable(QTableView):
    """The task table: a QTableView whose content never asks for more than COLUMN_MAX_WIDTH.

    Signals: those of QTableView.
    """

    def sizeHintForColumn(self, column: int) -> int:
        """The content's width (what "resize to contents" uses), capped."""
        return min(super().sizeHintForColumn(column), COLUMN_MAX_WIDTH)


def task_counts(store: TaskStore) -> TaskCounts:
    """Map the store's live counts onto D2's :class:`TaskCounts` (tray, status bar)."""
    running = (TaskState.RUNNING, TaskState.CANCELLING)
    return TaskCounts.from_counts(store.counts(), store.mean_progress(running))


#: The parser's messages (``monitor.core.query``), listed for lupdate; translated at display.
_QUERY_MESSAGES = (
    QT_TRANSLATE_NOOP("Query", "Missing closing quote for the quote at {at}"),
    QT_TRANSLATE_NOOP("Query", "Unknown filter '{name}:' (use {known} or put the text in quotes)"),
    QT_TRANSLATE_NOOP("Query", "'{name}:' needs a value"),
    QT_TRANSLATE_NOOP("Query", "Unknown state '{name}' (use one of {known})"),
)


def query_error_text(error: QuerySyntaxError) -> str:
    """The parser's message in the UI's language (the English one if a translation is broken)."""
    try:
        return QCoreApplication.translate("Query", error.template).format(**dict(error.args))
    except (KeyError, IndexError, ValueError):
        return error.message


class TaskView(QWidget):
    """Search, filter bar, sidebar, table and detail pane over one store.

    Signals:
        counts_changed(object): A :class:`TaskCounts` after each flush (for the tray/status bar).

    Intents come from :attr:`task_actions` (a :class:`TaskActions`).
    """

    counts_changed = Signal(object)

    def __init__(
        self, store: TaskStore, *, clock: Callable[[], float] = time.time, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.model = TaskTableModel(store, clock=clock, parent=self)
        self.task_actions = TaskActions(self)

        self.search = QLineEdit()
        # Examples the demo's data answers (its worker and a name word), so trying them finds tasks.
        self.search.setPlaceholderText(
            self.tr("Search: text, state:failed, worker:demo-gpu-0, -name:podcast")
        )
        self.search.setAccessibleName(self.tr("Search tasks"))
        self.search.setClearButtonEnabled(True)
        self.search_error = QLabel()
        self.search_error.setTextFormat(Qt.TextFormat.PlainText)
        self.search_error.setAccessibleName(self.tr("Search error"))
        self.search_error.hide()
        # Actions, not bare shortcuts: Help > Keyboard shortcuts lists every action with a key.
        clear_search = QAction(self.tr("Clear the search"), self.search)
        clear_search.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        clear_search.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        clear_search.triggered.connect(self.search.clear)
        self.search.addAction(clear_search)
        self.action_search = QAction(self.tr("Search"), self)
        self.action_search.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
        self.action_search.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.action_search.triggered.connect(self._focus_search)
        self.addAction(self.action_search)

        self.showing = QLabel()
        self.showing.setTextFormat(Qt.TextFormat.PlainText)
        # "Sorting paused…": visible text, not a tooltip, while a live re-sort waits.
        self.order_note = QLabel()
        self.order_note.setTextFormat(Qt.TextFormat.PlainText)
        self.order_note.setObjectName("orderNote")
        self.order_note.setAccessibleName(self.tr("Sort order"))
        self.order_note.hide()
        self.clear_filter = QPushButton(self.tr("Clear filter"))
        self.clear_filter.setToolTip(self.tr("Show every task"))
        self.clear_filter.clicked.connect(self.clear_filters)
        # Keep its place when hidden: showing or hiding it then repaints the button alone instead
        # of laying out the window again (14 ms of a 100k-task filter change, bench_store.py).
        policy = self.clear_filter.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.clear_filter.setSizePolicy(policy)

        self.sidebar = StateSidebar()
        self.table = TaskTable()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setAccessibleName(self.tr("Tasks"))
        vh = self.table.verticalHeader()
        vh.hide()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # uniform rows: O(1) layout per row
        vh.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionsMovable(True)
        # Name stretches (see _fit_name_column), not the last section: the default columns fit
        # without a horizontal scrollbar and the right-most one keeps its width.
        header.setStretchLastSection(False)
        header.sectionResized.connect(self._section_resized)
        self.table.setItemDelegateForColumn(TaskColumn.PROGRESS, ProgressDelegate(self.table))
        for col, column in COLUMN_VIEWS.items():
            self.table.setColumnHidden(col, column.opt_in)
            header.resizeSection(col, column.width)
        col, order = self.model.sort_state()
        header.setSortIndicator(col, order)
        self.table.setSortingEnabled(True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        for action in self.task_actions.all():
            self.table.addAction(action)
        self.action_select_all = QAction(self.tr("Select all"), self.table)
        self.action_select_all.setShortcut(QKeySequence(QKeySequence.StandardKey.SelectAll))
        self.action_select_all.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.action_select_all.triggered.connect(self.table.selectAll)
        self.table.addAction(self.action_select_all)
        self.task_actions.details_requested.connect(self._show_details)
        # Double-click, not "activated": a style that activates on single click would open the
        # pane on every click.
        self.table.doubleClicked.connect(lambda _index: self.task_actions.show_details.trigger())

        self.detail = TaskDetail()
        # Scrolls rather than setting the window's minimum height: its fields and tabs want ~350
        # px, which kept a window from going below 483 px even with the pane folded away.
        self.detail_area = QScrollArea()
        self.detail_area.setObjectName("detailArea")
        self.detail_area.setWidget(self.detail)
        self.detail_area.setWidgetResizable(True)
        self.detail_area.setFrameShape(QFrame.Shape.NoFrame)
        self.detail_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail_area)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.sidebar.setMinimumWidth(110)
        self.sidebar.setMaximumWidth(240)
        self.splitter.setSizes([120, 860, 240])
        # Panes the narrow window took away, to give back when there is room again.
        self._collapsed: dict[int, int] = {}
        self._room_check = QTimer(self)
        self._room_check.setSingleShot(True)
        self._room_check.setInterval(0)
        self._room_check.timeout.connect(self._give_table_room)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        bar = QHBoxLayout()
        bar.addWidget(self.showing)
        bar.addWidget(self.order_note, 1)
        bar.addWidget(self.clear_filter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.search_error)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)

        self.search.textChanged.connect(self._search_changed)
        self.sidebar.group_selected.connect(self._group_selected)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.flushed.connect(self._after_flush)
        self.model.layoutChanged.connect(self._selection_changed)
        # Over an empty table: "Waiting for the server…", "No tasks yet" or "No tasks match".
        self._ever_live = False
        self.empty_state = QLabel(self.table.viewport())
        self.empty_state.setObjectName("emptyState")
        self.empty_state.setTextFormat(Qt.TextFormat.PlainText)
        self.empty_state.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_state.setWordWrap(True)
        self.empty_state.setEnabled(False)  # the palette's disabled text: a hint, not data
        self.empty_state.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        # Rows stay put while the pointer is over the table or a button is down on it.
        self._pointer_in = False
        self._buttons_down = False
        self.table.viewport().installEventFilter(self)
        self._after_flush()

    # ------------------------------------------------------------------ app-facing API

    def set_pending(self, ids: Iterable[str], action: PendingAction | None) -> None:
        """Show a pending action (e.g. "cancelling…", italic) until the server confirms."""
        self.model.set_pending(ids, action)

    def set_stale(self, as_of: float | None) -> None:
        """Offline: grey the rows, stop ETA and Elapsed at ``as_of``, and say "as of hh:mm" in the
        "Showing N of M" line and the detail pane; None when live again."""
        self.model.set_stale(as_of)
        self.detail.set_stale(as_of)
        self._show_counts()

    def set_live(self, live: bool) -> None:
        """Whether data arrives now (the empty table says "Waiting for the server…" until the
        first time it does, then "No tasks yet")."""
        self._ever_live = self._ever_live or live
        self._show_empty_state()

    def selected_ids(self) -> list[str]:
        """Ids of the selected rows, in view order."""
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [self.model.task_id(r) for r in rows]

    def clear_filters(self) -> None:
        """Show everything: empty search, sidebar on All."""
        self.search.clear()
        self.sidebar.select(StateGroup.ALL)

    def save_state(self, state: UiState) -> UiState:
        """``state`` with this view's columns (by stable key), sort, filters and splitter filled in."""
        header = self.table.horizontalHeader()
        columns = list(TaskColumn)  # by model column
        order = [columns[header.logicalIndex(visual)] for visual in range(header.count())]
        key, desc = self.store.sort
        return state.model_copy(
            update={
                "columns": [c.key for c in order if not header.isSectionHidden(c)],
                "column_widths": {c.key: header.sectionSize(c) for c in order},
                "sort": SortSpec(column=key, descending=desc),
                "filters": {"group": self.sidebar.current_group().value, "query": self.search.text()},
                "splitter": self.splitter.sizes(),
            }
        )

    def restore_state(self, state: UiState) -> None:
        """Apply what :meth:`save_state` stored; unknown column keys and bad values are ignored."""
        header = self.table.horizontalHeader()
        visible = [c for key in state.columns if (c := TaskColumn.from_key(key)) is not None]
        if visible:
            for visual, col in enumerate(visible):
                header.moveSection(header.visualIndex(col), visual)
            for col in TaskColumn:
                self.table.setColumnHidden(col, col not in visible and col is not TaskColumn.NAME)
        for key, width in state.column_widths.items():
            sized = TaskColumn.from_key(key)
            if sized is not None:
                header.resizeSection(sized, max(COLUMN_MIN_WIDTH, min(width, COLUMN_MAX_WIDTH)))
        sort_col = TaskColumn.from_key(state.sort.column)
        if sort_col is not None:
            order = Qt.SortOrder.DescendingOrder if state.sort.descending else Qt.SortOrder.AscendingOrder
            header.setSortIndicator(sort_col, order)  # QTableView calls model.sort()
        group = state.filters.get("group")
        if isinstance(group, str) and group in StateGroup.__members__.values():
            self.sidebar.select(StateGroup(group))
        query = state.filters.get("query")
        if isinstance(query, str):
            self.search.setText(query)
        if state.splitter and len(state.splitter) == self.splitter.count():
            self.splitter.setSizes(state.splitter)

    # ------------------------------------------------------------------ rows stay put

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Hold live re-sorts while the pointer is over the table's rows or a button is down.

        It sees the viewport's own events only (pointer, paint, resize: a few per frame and an
        enum compare each), never the stream's; the resize keeps the empty-state text centred.
        """
        kind = event.type()
        if kind == QEvent.Type.Resize:
            # The table's width changes after the splitter shared out a new window width; the
            # splitter is re-shared once this layout pass is over, not from inside it.
            if not self._room_check.isActive():
                self._room_check.start()
            self.empty_state.resize(self.table.viewport().size())
            self._fit_name_column()
            return False
        if kind == QEvent.Type.Enter:
            self._pointer_in = True
        elif kind == QEvent.Type.Leave:
            self._pointer_in = False
        elif kind == QEvent.Type.MouseButtonPress:
            self._buttons_down = True
        elif kind == QEvent.Type.MouseButtonRelease:
            self._buttons_down = QApplication.mouseButtons() != Qt.MouseButton.NoButton
        else:
            return False
        self.model.set_order_held(self._pointer_in or self._buttons_down)
        return False

    def _show_counts(self) -> None:
        shown, total = self.model.rowCount(), len(self.store)
        as_of = self.model.stale_since
        if as_of is None:
            text = self.tr("Showing {n} of {m}").format(n=shown, m=total)
        else:
            text = self.tr("Showing {n} of {m}, offline: as of {time}").format(
                n=shown, m=total, time=clock_text(as_of)
            )
        if text != self.showing.text():
            self.showing.setText(text)

    def _show_empty_state(self) -> None:
        """The text over an empty table: why there is nothing to see."""
        if self.model.rowCount():
            self.empty_state.hide()
            return
        if len(self.store):
            text = self.tr("No tasks match the filter")
        elif self._ever_live:
            text = self.tr("No tasks yet")
        else:
            text = self.tr("Waiting for the server…")
        self.empty_state.setText(text)
        self.empty_state.resize(self.table.viewport().size())
        self.empty_state.show()

    def _order_note_text(self) -> str:
        hold = self.model.order_hold
        if hold is OrderHold.NONE:
            return ""
        at = clock_text(self.model.sorted_at)
        if hold is OrderHold.MENU:
            return self.tr("Sorting paused while a menu is open (sorted as of {time})").format(time=at)
        return self.tr("Sorting paused while the pointer is over the table (sorted as of {time})").format(
            time=at
        )

    # ------------------------------------------------------------------ internals

    def focus_table(self) -> None:
        """Give the table the keyboard focus (at start: Space and Del then act on tasks instead
        of typing into the search box). Called before the window shows, it makes the table the
        window's focus widget for when the window is activated."""
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        if self.table.currentIndex().isValid() or self.model.rowCount() == 0:
            return
        # A cursor row without a selection: arrows start at the top, nothing is acted on yet.
        self.table.selectionModel().setCurrentIndex(
            self.model.index(0, 0), QItemSelectionModel.SelectionFlag.NoUpdate
        )

    def _focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _search_changed(self, text: str) -> None:
        parsed = parse_query(text)
        if isinstance(parsed, QuerySyntaxError):
            self.search_error.setText(query_error_text(parsed))
            self.search_error.show()
            # Filter by what is valid, not by the last result: typing "state:" passes through
            # "state", a word that matches nothing, and the table would stay empty (issue 12).
            query = parsed.partial
        else:
            self.search_error.hide()
            query = parsed
        if query.terms != self.store.query.terms:
            self.store.set_filter(query=query)
            self.model.invalidate_view()

    def _group_selected(self, group: str) -> None:
        self.store.set_filter(group=StateGroup(group))
        self.model.invalidate_view()

    def _after_flush(self) -> None:
        self._show_counts()
        self._show_empty_state()
        note = self._order_note_text()
        if note != self.order_note.text():
            self.order_note.setText(note)
        self.order_note.setVisible(bool(note))
        filtered = self.store.group is not StateGroup.ALL or not self.store.query.is_empty
        self.clear_filter.setVisible(filtered)
        self.sidebar.set_counts(self.store.group_counts())
        self._selection_changed()
        self.counts_changed.emit(task_counts(self.store))

    def _selection_changed(self, *_args: QItemSelection) -> None:
        # The toolbar and the detail pane read the same selection: the pane never shows a task
        # (the keyboard's current row, after Ctrl+Home) that the actions would not act on.
        records = [rec for tid in self.selected_ids() if (rec := self.store.get(tid)) is not None]
        self.task_actions.set_selection([(rec.id, rec.state) for rec in records])
        self.detail.show_selection(records)

    def column_menu(self) -> QMenu:
        """The header's menu: one checkable entry per column (the opt-in ones start hidden)."""
        menu = QMenu(self)
        self.fill_column_menu(menu)
        return menu

    def fill_column_menu(self, menu: QMenu) -> None:
        """(Re)fill ``menu`` (the header's, or View > Columns) with one checkable entry per column.

        Each entry shows and hides its column; which columns show is saved with the UI state.
        """
        menu.clear()
        for col, column in COLUMN_VIEWS.items():
            action = menu.addAction(column.title_text())
            action.setObjectName(f"column_{col.key}")
            action.setCheckable(True)
            action.setChecked(not self.table.isColumnHidden(col))
            action.setEnabled(col is not TaskColumn.NAME)  # the name column always stays
            action.toggled.connect(lambda on, c=col: self.show_column(c, on))

    def show_column(self, col: TaskColumn, shown: bool) -> None:
        """Show or hide a column; a newly shown one is scrolled into view."""
        self.table.setColumnHidden(col, not shown)
        self._fit_name_column()
        if not shown or not self.table.isVisible():
            return
        header = self.table.horizontalHeader()
        bar = self.table.horizontalScrollBar()
        # The scroll range follows the header's length; it is updated lazily, so set it now.
        bar.setRange(0, max(0, header.length() - self.table.viewport().width()))
        left, right = header.sectionPosition(col), header.sectionPosition(col) + header.sectionSize(col)
        if right > bar.value() + self.table.viewport().width():
            bar.setValue(right - self.table.viewport().width())
        elif left < bar.value():
            bar.setValue(left)

    def _section_resized(self, logical: int, _old: int, _new: int) -> None:
        if logical != TaskColumn.NAME:
            self._fit_name_column()

    def _fit_name_column(self) -> None:
        """Name takes the room the other shown columns leave (at least NAME_MIN_WIDTH)."""
        if not self.table.isVisible():
            return  # sizes are not real yet; the first show resizes the viewport
        header = self.table.horizontalHeader()
        others = sum(
            header.sectionSize(c)
            for c in TaskColumn
            if c is not TaskColumn.NAME and not header.isSectionHidden(c)
        )
        width = max(NAME_MIN_WIDTH, self.table.viewport().width() - others)
        if header.sectionSize(TaskColumn.NAME) != width:
            header.resizeSection(TaskColumn.NAME, width)

    def _table_min_width(self) -> int:
        """Name (at its minimum), Status and Progress, plus the frame and a scrollbar."""
        header = self.table.horizontalHeader()
        cols = (
            NAME_MIN_WIDTH + header.sectionSize(TaskColumn.STATUS) + header.sectionSize(TaskColumn.PROGRESS)
        )
        return cols + self.table.verticalScrollBar().sizeHint().width() + 2 * self.table.frameWidth()

    def _give_table_room(self) -> None:
        """A narrow window collapses the detail pane, then the sidebar, before the table gets too
        narrow for Name, Status and Progress; they come back when the window is wide again."""
        sizes = self.splitter.sizes()
        total = sum(sizes)
        if total <= 0:
            return
        need = self._table_min_width()
        for pane in (2, 0):  # the detail pane goes first, and comes back last
            if sizes[1] < need and sizes[pane] > 0:
                self._collapsed[pane] = sizes[pane]
                sizes[1] += sizes[pane]
                sizes[pane] = 0
        for pane in (0, 2):
            width = self._collapsed.get(pane)
            if width is not None and sizes[1] - width >= need:
                del self._collapsed[pane]
                sizes[1] -= width
                sizes[pane] = width
        if sizes != self.splitter.sizes():
            self.splitter.setSizes(sizes)

    def set_detail_visible(self, visible: bool) -> None:
        """Show or hide the detail pane (View > Detail pane)."""
        self.detail.setVisible(visible)
        self.detail_area.setVisible(visible)

    def _show_details(self, ids: list[str]) -> None:
        """Enter or a double-click: the selected task (else the cursor row) in a visible detail
        pane. The app checks View > Detail pane too, which shows a hidden pane; a pane a narrow
        window collapsed gets its width back here, taken from the table."""
        current = self.table.currentIndex()
        if not ids and current.isValid():
            self.table.selectRow(current.row())
        if current.isValid():
            self.table.scrollTo(current)
        self.detail.setVisible(True)
        sizes = self.splitter.sizes()
        if sizes[2] == 0:
            width = min(self._collapsed.pop(2, 240), max(sizes[1] // 2, 1))
            self.splitter.setSizes([sizes[0], sizes[1] - width, width])

    def _header_menu(self, pos: QPoint) -> None:
        menu = self.column_menu()
        menu.exec(self.table.horizontalHeader().mapToGlobal(pos))
        menu.deleteLater()

    def _context_menu(self, pos: QPoint) -> None:
        menu = self.context_menu()
        menu.exec(self.table.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def context_menu(self) -> QMenu:
        """The table's context menu (the same QActions as toolbar and shortcuts)."""
        menu = QMenu(self)
        for action in self.task_actions.all():
            menu.addAction(action)
        return menu

    def select_task(self, task_id: str, *, reveal: bool = False) -> bool:
        """Select and scroll to ``task_id``; False if it is not in the view.

        Args:
            task_id: The task.
            reveal: Apply pending updates first and, if a filter hides the task, clear the filters
                (a notification click must land on its task whatever the view shows).
        """
        if reveal:
            self.model.flush()
            if self.model.row_of(task_id) is None and task_id in self.store:
                self.clear_filters()
                self.model.flush()
        row = self.model.row_of(task_id)
        if row is None:
            return False
        index: QModelIndex = self.model.index(row, 0)
        self.table.selectRow(row)
        self.table.scrollTo(index)
        return True
