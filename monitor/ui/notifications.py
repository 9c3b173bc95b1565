"""The in-window notification banner (delivery itself is ``monitor.services.notifier``).

The banner floats over the bottom of the central area (the main window places it, see
``MainWindow._place_banner``): it is never part of a layout, so showing or hiding it moves no
row under the pointer (issue 12). It keeps the notices it was given, newest first: "+2 more"
says how many wait behind the one shown, Dismiss shows the next one, and a failure notice goes
away by itself once its task leaves the failed state (:meth:`NotificationBanner.withdraw_task`).

Colours come from the palette (light and dark themes both read well): see :func:`banner_colours`.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QColor, QPalette
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from monitor.core.notify_policy import Notice, NotifyEvent

__all__ = ["MAX_BANNER_NOTICES", "NotificationBanner", "banner_colours", "contrast_ratio"]

#: Notices the banner keeps (older ones are dropped: memory stays bounded).
MAX_BANNER_NOTICES = 50
#: The hue a failure banner is tinted with (mixed into the palette's base colour).
_CRITICAL_TINT = QColor(229, 57, 53)
#: WCAG AA for normal text.
_MIN_CONTRAST = 4.5


def _luminance(c: QColor) -> float:
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _mix(base: QColor, tint: QColor, amount: float) -> QColor:
    return QColor.fromRgbF(
        base.redF() + (tint.redF() - base.redF()) * amount,
        base.greenF() + (tint.greenF() - base.greenF()) * amount,
        base.blueF() + (tint.blueF() - base.blueF()) * amount,
    )


def banner_colours(palette: QPalette, critical: bool) -> tuple[QColor, QColor]:
    """Background and text colour of the banner for ``palette``.

    The background is the palette's base tinted with its highlight (information) or with red
    (failures), so it follows light and dark themes; the text is the palette's text colour, or
    black/white if that would read worse than WCAG AA (4.5:1).
    """
    base = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Base)
    tint = (
        _CRITICAL_TINT
        if critical
        else palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Highlight)
    )
    background = _mix(base, tint, 0.3 if critical else 0.22)
    text = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Text)
    if contrast_ratio(text, background) < _MIN_CONTRAST:
        black, white = QColor(0, 0, 0), QColor(255, 255, 255)
        text = max((black, white), key=lambda c: contrast_ratio(c, background))
    return background, text


class NotificationBanner(QFrame):
    """The in-window notification strip (plain text; the newest notice shows, the rest wait).

    Signals:
        task_activated(str): "Show" was pressed; the shown notice's first task id ("" for none).
        notice_activated(object): "Show" was pressed on this :class:`Notice` (for the history).
    """

    task_activated = Signal(str)
    notice_activated = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notificationBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setAccessibleName(self.tr("Notification"))
        self._label = QLabel(self)
        self._label.setTextFormat(Qt.TextFormat.PlainText)  # task names come from the network
        self._label.setWordWrap(True)
        self._more = QLabel(self)
        self._more.setObjectName("bannerMore")
        self._more.setTextFormat(Qt.TextFormat.PlainText)
        self._show = QPushButton(self.tr("Show"), self)
        self._show.setAccessibleName(self.tr("Show the task"))
        self._close = QPushButton(self.tr("Dismiss"), self)
        self._close.setAccessibleName(self.tr("Dismiss notification"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self._label, 1)
        layout.addWidget(self._more)
        layout.addWidget(self._show)
        layout.addWidget(self._close)
        self._notices: list[Notice] = []  # newest last; the last one is shown
        self._colours: tuple[QColor, QColor] | None = None
        self._announced: Notice | None = None  # the notice last spoken: each is spoken once
        self._expire = QTimer(self)
        self._expire.setSingleShot(True)
        self._expire.timeout.connect(self._drop_current)
        self._show.clicked.connect(self._on_show)
        self._close.clicked.connect(self._drop_current)
        self.hide()

    # ------------------------------------------------------------------ inputs

    def show_notice(self, notice: Notice) -> None:
        """Show ``notice`` on top of the ones waiting; successes expire, failures stay."""
        self._notices.append(notice)
        del self._notices[:-MAX_BANNER_NOTICES]
        self._render()

    def withdraw_task(self, task_id: str) -> None:
        """The task left the failed state (retried, removed): its failure notices go.

        A grouped failure notice loses only this task; it goes once none of its tasks is left.
        """
        changed = False
        kept: list[Notice] = []
        for notice in self._notices:
            if notice.kind is NotifyEvent.FAILED and task_id in notice.task_ids:
                changed = True
                rest = tuple(t for t in notice.task_ids if t != task_id)
                if not rest:
                    continue
                smaller = replace(notice, task_ids=rest)
                if notice is self._announced:
                    self._announced = smaller  # the same notice with fewer tasks: not news
                notice = smaller
            kept.append(notice)
        if changed:
            current = self._notices[-1] if self._notices else None
            self._notices = kept
            self._render(restart_timer=not kept or kept[-1] is not current)

    def dismiss(self) -> None:
        """Forget every notice and hide now (at shutdown nothing may fire later)."""
        self._notices.clear()
        self._render()

    # ------------------------------------------------------------------ outputs

    def text(self) -> str:
        """The text shown."""
        return self._label.text()

    def more_text(self) -> str:
        """The "+N more" text ("" when only one notice is kept)."""
        return self._more.text()

    @property
    def notices(self) -> tuple[Notice, ...]:
        """The notices kept, oldest first (the last one is shown)."""
        return tuple(self._notices)

    def colours(self) -> tuple[QColor, QColor]:
        """Background and text colour in use now."""
        return self.palette().color(QPalette.ColorRole.Window), self._label.palette().color(
            QPalette.ColorRole.WindowText
        )

    # ------------------------------------------------------------------ internals

    def _render(self, *, restart_timer: bool = True) -> None:
        if not self._notices:
            self._expire.stop()
            self.hide()
            return
        notice = self._notices[-1]
        self._label.setText(f"{notice.title} - {notice.body}" if notice.body else notice.title)
        waiting = len(self._notices) - 1
        self._more.setText(self.tr("+%n more", "", waiting) if waiting else "")
        self._more.setVisible(bool(waiting))
        self._close.setText(self.tr("Next") if waiting else self.tr("Dismiss"))
        self._show.setVisible(bool(notice.task_ids))
        self.setProperty("critical", notice.critical)
        self._apply_colours()
        self.setAccessibleDescription(
            f"{self._label.text()} ({self._more.text()})" if waiting else self._label.text()
        )
        if restart_timer:
            self._expire.stop()
            if notice.timeout_s is not None:
                self._expire.start(int(notice.timeout_s * 1000))
        self.show()
        self.raise_()  # an overlay: keep it above the table
        if notice is not self._announced:
            self._announce(notice)

    def _announce(self, notice: Notice) -> None:
        """Have a screen reader speak the notice once, as a live region would.

        A banner appears away from the focus, so a screen reader would not read it: the
        announcement event makes it speak now (Orca through AT-SPI's ``Announcement``). A failure
        interrupts (assertive); anything else waits for the reader to finish (polite).
        """
        self._announced = notice
        event = QAccessibleAnnouncementEvent(self, self._label.text())
        event.setPoliteness(
            QAccessible.AnnouncementPoliteness.Assertive
            if notice.critical
            else QAccessible.AnnouncementPoliteness.Polite
        )
        QAccessible.updateAccessibility(event)

    def _apply_colours(self) -> None:
        critical = bool(self._notices) and self._notices[-1].critical
        app = QApplication.instance()
        # The application's palette, not our own: ours carries the colours set below.
        palette = app.palette() if isinstance(app, QApplication) else self.palette()
        colours = banner_colours(palette, critical)
        if colours == self._colours:
            return  # setting a palette sends PaletteChange: never loop on it
        self._colours = colours
        background, text = colours
        own = QPalette(self.palette())
        own.setColor(QPalette.ColorRole.Window, background)
        own.setColor(QPalette.ColorRole.WindowText, text)
        self.setPalette(own)
        for label in (self._label, self._more):
            lp = QPalette(label.palette())
            lp.setColor(QPalette.ColorRole.WindowText, text)
            label.setPalette(lp)

    def changeEvent(self, event: QEvent) -> None:
        """Follow a theme switch (the application palette changed)."""
        if event.type() in (QEvent.Type.ApplicationPaletteChange, QEvent.Type.PaletteChange):
            self._apply_colours()
        super().changeEvent(event)

    def _drop_current(self) -> None:
        if self._notices:
            self._notices.pop()
        self._render()

    def _on_show(self) -> None:
        notice = self._notices[-1] if self._notices else None
        if notice is not None:
            self.notice_activated.emit(notice)
        self.task_activated.emit(notice.task_ids[0] if notice is not None and notice.task_ids else "")
        self._drop_current()
