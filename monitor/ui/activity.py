"""Two small charts drawn with QPainter: finished tasks per minute, and a task's progress.

:class:`ThroughputChart` sits in the status bar: one bar per minute for the last half hour,
completed in the palette's highlight colour with failures stacked on top in red, and a tooltip
with the numbers. :class:`ProgressChart` is the detail pane's "Progress" tab: the selected task's
progress over time. Both paint only what changed, at most twice a second (``request_update``
coalesces), and cost well under a millisecond a frame (``bench/bench_activity.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QHideEvent, QPainter, QPaintEvent, QPalette, QPen, QPolygonF, QShowEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from monitor.core.activity import MinuteBucket
from monitor.ui.plaintext import plain_tooltip

__all__ = ["ProgressChart", "ThroughputChart", "TrailSource"]

_FAILED = QColor(229, 57, 53)
#: The fastest repaint rate: live data arrives much faster than a chart needs to move.
_REPAINT_MS = 500


def _clock_text(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))


class _Throttled(QWidget):
    """A widget that repaints at most every ``_REPAINT_MS`` however often data changes."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(_REPAINT_MS)
        self._timer.timeout.connect(self.refresh)

    def refresh(self) -> None:
        """Repaint now (and refresh what is said about the chart)."""
        self.update()

    def request_update(self) -> None:
        """The data changed: repaint soon (once, however many changes come meanwhile)."""
        if self.isVisible() and not self._timer.isActive():
            self._timer.start()

    def showEvent(self, event: QShowEvent) -> None:
        """Draw what changed while hidden."""
        super().showEvent(event)
        self.refresh()

    def hideEvent(self, event: QHideEvent) -> None:
        """Hidden (or the app is closing): no timer runs for a chart nobody sees."""
        self._timer.stop()
        super().hideEvent(event)


class ThroughputChart(_Throttled):
    """Finished tasks per minute (status bar).

    Args:
        buckets: Gives the minutes to draw at ``now`` (oldest first).
        clock: Unix seconds.
        parent: Qt parent.
    """

    def __init__(
        self,
        buckets: Callable[[float], Sequence[MinuteBucket]],
        clock: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._buckets = buckets
        self._clock = clock
        self.setObjectName("throughputChart")
        self.setAccessibleName(self.tr("Finished tasks per minute"))
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        # The minutes move on with no news too: redraw twice a minute.
        self._minute = QTimer(self)
        self._minute.setInterval(30_000)
        self._minute.timeout.connect(self.request_update)
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        """The minute timer runs only while the chart is on screen."""
        super().showEvent(event)
        self._minute.start()

    def hideEvent(self, event: QHideEvent) -> None:
        """Stop the minute timer."""
        self._minute.stop()
        super().hideEvent(event)

    def refresh(self) -> None:
        """Repaint, and update the tooltip and the accessible description."""
        text = self.summary()
        self.setToolTip(plain_tooltip(text))
        self.setAccessibleDescription(text)
        self.update()

    def sizeHint(self) -> QSize:
        """Small: a status bar item."""
        return QSize(92, 18)

    def summary(self) -> str:
        """What the tooltip and a screen reader say."""
        buckets = self._buckets(self._clock())
        completed = sum(b.completed for b in buckets)
        failed = sum(b.failed for b in buckets)
        last = buckets[-1] if buckets else MinuteBucket(0.0)
        return self.tr("Last {m} min: {c} completed, {f} failed; this minute: {n}").format(
            m=len(buckets), c=completed, f=failed, n=last.completed + last.failed
        )

    def paintEvent(self, _event: QPaintEvent) -> None:
        """Bars per minute, failures stacked in red."""
        buckets = self._buckets(self._clock())
        painter = QPainter(self)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        palette = self.palette()
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        top = max((b.completed + b.failed for b in buckets), default=0)
        if top and buckets:
            width = rect.width() / len(buckets)
            scale = (rect.height() - 1) / top
            painter.setPen(Qt.PenStyle.NoPen)
            for i, b in enumerate(buckets):
                x = rect.left() + i * width
                ok_h, bad_h = b.completed * scale, b.failed * scale
                painter.fillRect(
                    QRectF(x, rect.bottom() - ok_h, max(1.0, width - 1), ok_h),
                    palette.color(QPalette.ColorRole.Highlight),
                )
                painter.fillRect(QRectF(x, rect.bottom() - ok_h - bad_h, max(1.0, width - 1), bad_h), _FAILED)
        painter.end()


#: What the progress chart draws: (time, 0-100) samples oldest first, and whether it still runs.
TrailSource = Callable[[], tuple[Sequence[tuple[float, float]], bool]]


class ProgressChart(_Throttled):
    """One task's progress over time (the detail pane's Progress tab).

    It asks ``source`` at each paint, so it always draws the task the pane shows now.

    Args:
        source: The samples to draw and whether the task is running (its line then reaches now).
        clock: Unix seconds.
        parent: Qt parent.
    """

    def __init__(
        self, source: TrailSource, clock: Callable[[], float] = time.time, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._source = source
        self._clock = clock
        self.setObjectName("progressChart")
        self.setAccessibleName(self.tr("Progress over time"))
        self.setMinimumHeight(80)

    def points(self) -> list[tuple[float, float]]:
        """The samples drawn now (for tests)."""
        return list(self._source()[0])

    def paintEvent(self, _event: QPaintEvent) -> None:
        """Axes at 0 and 100 % (labelled), the first and last sample's times, then the line."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        metrics = painter.fontMetrics()
        label_w = float(metrics.horizontalAdvance("100%")) + 6
        line_h = float(metrics.height())
        rect = QRectF(self.rect()).adjusted(label_w, line_h / 2 + 2, -8, -(line_h + 4))
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1, Qt.PenStyle.DotLine))
        painter.drawLine(rect.topLeft(), rect.topRight())
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.setPen(muted)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for value, y in (("100%", rect.top()), ("0%", rect.bottom())):
            painter.drawText(QRectF(0, y - line_h / 2, label_w - 4, line_h), right, value)
        samples, running = self._source()
        trail = list(samples)
        if running and trail:
            trail.append((max(self._clock(), trail[-1][0]), trail[-1][1]))
        if len(trail) >= 2:
            t0, t1 = trail[0][0], trail[-1][0]
            below = QRectF(rect.left(), rect.bottom() + 2, rect.width(), line_h)
            painter.drawText(below, Qt.AlignmentFlag.AlignLeft, _clock_text(t0))
            painter.drawText(below, Qt.AlignmentFlag.AlignRight, _clock_text(t1))
            span = max(t1 - t0, 1e-6)
            line = QPolygonF(
                [
                    QPointF(
                        rect.left() + (t - t0) / span * rect.width(),
                        rect.bottom() - p / 100.0 * rect.height(),
                    )
                    for t, p in trail
                ]
            )
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
            painter.drawPolyline(line)
        else:
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.tr("No progress reported yet"))
        painter.end()
