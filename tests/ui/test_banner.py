"""The in-window banner: an overlay that moves no row, keeps several notices, readable colours."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from monitor.core.news import TaskPatch
from monitor.core.notify_policy import Notice, NotifyEvent
from monitor.core.protocol import TaskState
from monitor.core.settings import AppSettings, Theme
from monitor.core.store import TaskStore
from monitor.ui.main_window import MainWindow
from monitor.ui.notifications import NotificationBanner, banner_colours, contrast_ratio
from monitor.ui.settings_dialog import apply_theme, dark_palette
from monitor.ui.task_view import TaskView


def failed(task_id: str, name: str = "a.wav") -> Notice:
    return Notice(NotifyEvent.FAILED, "Task failed", name, (task_id,), critical=True)


def completed(task_id: str, timeout_s: float | None = 60) -> Notice:
    return Notice(NotifyEvent.COMPLETED, "Task completed", task_id, (task_id,), timeout_s=timeout_s)


@pytest.fixture
def banner(qtbot: QtBot) -> NotificationBanner:
    b = NotificationBanner()
    qtbot.addWidget(b)
    return b


# ---------------------------------------------------------------------- overlay


def test_showing_and_hiding_the_banner_moves_no_row(qtbot: QtBot) -> None:
    store = TaskStore()
    store.apply(
        [
            TaskPatch(id=f"t{i}", received_at=1.0, name=f"task {i}", state=TaskState.RUNNING, created_at=i)
            for i in range(40)
        ]
    )
    window = MainWindow(AppSettings(), tray_available=False)
    qtbot.addWidget(window)
    view = TaskView(store)
    window.set_task_view(view)
    window.show()
    qtbot.waitExposed(window)
    view.model.flush()
    table = view.table

    def row0() -> QPoint:
        rect = table.visualRect(table.model().index(0, 0))
        return table.viewport().mapToGlobal(rect.topLeft())

    QApplication.processEvents()
    before, viewport_before = row0(), table.viewport().size()
    window.show_banner(failed("t1", "a long name " * 20))  # wraps: a taller banner
    QApplication.processEvents()
    assert window.banner.isVisible()
    assert row0() == before
    assert table.viewport().size() == viewport_before
    # It floats over the bottom of the central area, full width, above the table.
    central = window.centralWidget()
    geometry = window.banner.geometry()
    assert geometry.bottom() == central.rect().bottom()
    assert geometry.width() == central.width()
    assert geometry.height() >= window.banner.sizeHint().height()
    window.banner.dismiss()
    QApplication.processEvents()
    assert not window.banner.isVisible()
    assert row0() == before
    # The window grows: the banner follows the bottom edge.
    window.show_banner(completed("t2"))
    window.resize(window.width() + 80, window.height() + 60)
    QApplication.processEvents()
    assert window.banner.geometry().bottom() == central.rect().bottom()
    assert window.banner.width() == central.width()
    assert row0() == before
    window.banner.dismiss()


# ---------------------------------------------------------------------- several notices


def test_several_notices_are_kept_newest_first(banner: NotificationBanner, qtbot: QtBot) -> None:
    banner.show_notice(failed("t1", "one.wav"))
    banner.show_notice(failed("t2", "two.wav"))
    banner.show_notice(completed("t3"))
    assert banner.text() == "Task completed - t3"
    assert banner.more_text() == "+2 more"
    assert banner._close.text() == "Next"
    banner._close.click()  # "Next": the one before
    assert banner.text() == "Task failed - two.wav"
    assert banner.more_text() == "+1 more"
    with qtbot.waitSignal(banner.task_activated, timeout=1000) as blocker:
        banner._show.click()  # shows that task and moves on
    assert blocker.args == ["t2"]
    assert banner.text() == "Task failed - one.wav"
    assert banner.more_text() == ""
    assert banner._close.text() == "Dismiss"
    banner._close.click()
    assert banner.isHidden()


def test_an_expired_success_uncovers_the_failure_beneath(banner: NotificationBanner, qtbot: QtBot) -> None:
    banner.show_notice(failed("t1"))
    banner.show_notice(completed("t2", timeout_s=0.05))
    assert banner.text() == "Task completed - t2"
    qtbot.waitUntil(lambda: banner.text() == "Task failed - a.wav", timeout=2000)
    assert not banner.isHidden()  # failures stay


def test_memory_is_bounded(banner: NotificationBanner) -> None:
    from monitor.ui.notifications import MAX_BANNER_NOTICES

    for i in range(MAX_BANNER_NOTICES + 30):
        banner.show_notice(failed(f"t{i}"))
    assert len(banner.notices) == MAX_BANNER_NOTICES
    assert banner.notices[-1].task_ids == (f"t{MAX_BANNER_NOTICES + 29}",)


def test_a_retried_task_takes_its_failure_notice_away(banner: NotificationBanner) -> None:
    banner.show_notice(failed("t1", "one.wav"))
    grouped = Notice(NotifyEvent.FAILED, "2 tasks failed", "two, three", ("t2", "t3"), critical=True)
    banner.show_notice(grouped)
    banner.withdraw_task("t2")  # one of the group: the group stays for t3
    assert banner.text() == "2 tasks failed - two, three"
    assert banner.notices[-1].task_ids == ("t3",)
    banner.withdraw_task("t3")
    assert banner.text() == "Task failed - one.wav"
    banner.withdraw_task("t1")
    assert banner.isHidden()
    assert banner.notices == ()


def test_withdrawing_leaves_other_kinds_alone(banner: NotificationBanner) -> None:
    banner.show_notice(completed("t1"))
    banner.withdraw_task("t1")  # only failures go away when a task is retried
    assert banner.text() == "Task completed - t1"


# ---------------------------------------------------------------------- colours


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[QApplication]:
    saved_palette, saved_style = qapp.palette(), qapp.style().name()
    yield qapp
    from PySide6.QtWidgets import QStyleFactory

    style = QStyleFactory.create(saved_style)
    if style is not None:
        qapp.setStyle(style)
    qapp.setPalette(saved_palette)


@pytest.mark.parametrize("theme", [Theme.LIGHT, Theme.DARK])
@pytest.mark.parametrize("critical", [False, True])
def test_banner_text_is_readable_in_both_themes(
    themed: QApplication, qtbot: QtBot, theme: Theme, critical: bool
) -> None:
    apply_theme(themed, theme)
    b = NotificationBanner()
    qtbot.addWidget(b)
    b.show_notice(failed("t1") if critical else completed("t1"))
    background, text = b.colours()
    assert contrast_ratio(text, background) >= 4.5, (theme, critical, background.name(), text.name())
    # The background follows the theme: dark in dark, light in light (no hard-coded light pink).
    base = themed.palette().color(QPalette.ColorRole.Base)
    assert (background.lightnessF() < 0.5) == (base.lightnessF() < 0.5)


def test_banner_follows_a_theme_switch(themed: QApplication, qtbot: QtBot) -> None:
    apply_theme(themed, Theme.LIGHT)
    b = NotificationBanner()
    qtbot.addWidget(b)
    b.show_notice(completed("t1"))
    light_bg = b.colours()[0]
    apply_theme(themed, Theme.DARK)
    QApplication.processEvents()
    dark_bg = b.colours()[0]
    assert dark_bg.lightnessF() < 0.5 < light_bg.lightnessF()


def test_contrast_ratio_reference_values() -> None:
    from PySide6.QtGui import QColor

    assert contrast_ratio(QColor("black"), QColor("white")) == pytest.approx(21.0)
    assert contrast_ratio(QColor("#777777"), QColor("white")) == pytest.approx(4.48, abs=0.01)
    # A light text on the old hard-coded light-blue banner: what dark mode used to show.
    assert contrast_ratio(QColor(230, 230, 230), QColor("#e3f2fd")) < 1.5
    background, text = banner_colours(dark_palette(), critical=True)
    assert contrast_ratio(text, background) >= 4.5
