"""Icons painted at runtime: the app icon and the tray's state variants.

Painting (rather than shipping one PNG per state) keeps the variants consistent at every size
and lets the running icon carry a progress ring. The same painter renders the packaged app icon
(``resources/icons/monitor-<size>.png``; ``python -m monitor.ui.icons OUTDIR`` regenerates them).
State is never shown by colour alone: each variant also has its own glyph (ux.md §3).
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

__all__ = [
    "ICON_SIZES",
    "IconState",
    "action_icon",
    "app_icon",
    "has_action_icon",
    "paint_icon",
    "resources_dir",
    "state_icon",
]

#: Sizes rendered into a QIcon and shipped for packaging.
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)

_BLUE = QColor("#1565c0")
_COLOURS = {
    "idle": QColor("#546e7a"),
    "running": _BLUE,
    "attention": QColor("#c62828"),
    "disconnected": QColor("#9e9e9e"),
    "paused": QColor("#f9a825"),
    # task states (the table's Status column): a shape per state, so colour is never the only cue
    "task-queued": QColor("#78909c"),
    "task-running": _BLUE,
    "task-cancelling": QColor("#ef6c00"),
    "task-paused": QColor("#f9a825"),
    "task-completed": QColor("#2e7d32"),
    "task-failed": QColor("#c62828"),
    "task-cancelled": QColor("#757575"),
    # toolbar actions (a disc with a glyph, like the states: readable on light and dark bars)
    "action-cancel": QColor("#c62828"),
    "action-retry": QColor("#2e7d32"),
    "action-refresh": QColor("#546e7a"),
}

#: Toolbar action -> icon key (``TaskActions``' names; ``pause_resume`` carries its current one).
_ACTION_ICONS = {
    "cancel": "action-cancel",
    "pause": "task-paused",
    "resume": "task-running",
    "retry": "action-retry",
    "refresh": "action-refresh",
}


class IconState(StrEnum):
    """What the tray icon says about everything at once."""

    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    ATTENTION = "attention"  # unseen failures
    DISCONNECTED = "disconnected"


def resources_dir() -> Path:
    """The ``resources/`` folder: next to the package, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def _glyph(p: QPainter, state: str, s: float) -> None:
    pen = QPen(QColor("white"), max(1.5, s * 0.09), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    c = s / 2
    if state == "task-completed":  # a check mark
        path = QPainterPath(QPointF(s * 0.28, s * 0.52))
        path.lineTo(QPointF(s * 0.44, s * 0.68))
        path.lineTo(QPointF(s * 0.72, s * 0.36))
        p.drawPath(path)
        return
    if state == "task-queued":  # a clock
        p.drawLine(QPointF(c, c), QPointF(c, s * 0.28))
        p.drawLine(QPointF(c, c), QPointF(s * 0.68, c))
        return
    if state == "task-running":  # a play triangle
        p.setBrush(QBrush(QColor("white")))
        tri = QPainterPath(QPointF(s * 0.4, s * 0.3))
        tri.lineTo(QPointF(s * 0.72, c))
        tri.lineTo(QPointF(s * 0.4, s * 0.7))
        tri.closeSubpath()
        p.drawPath(tri)
        return
    if state in ("action-retry", "action-refresh"):  # a circular arrow
        r = s * 0.24
        p.drawArc(QRectF(c - r, c - r, 2 * r, 2 * r), 90 * 16, -270 * 16)
        tip = QPointF(c, c - r)
        head = s * 0.11
        p.drawLine(tip, QPointF(c - head, c - r - head))
        p.drawLine(tip, QPointF(c - head, c - r + head))
        return
    state = {
        "action-cancel": "disconnected",
        "task-failed": "attention",
        "task-cancelled": "disconnected",
        "task-cancelling": "disconnected",
        "task-paused": "paused",
    }.get(state, state)
    if state == "attention":  # exclamation mark
        p.drawLine(QPointF(c, s * 0.26), QPointF(c, s * 0.58))
        p.drawPoint(QPointF(c, s * 0.74))
    elif state == "disconnected":  # a cross
        d = s * 0.17
        p.drawLine(QPointF(c - d, c - d), QPointF(c + d, c + d))
        p.drawLine(QPointF(c - d, c + d), QPointF(c + d, c - d))
    elif state == "paused":  # two bars
        p.drawLine(QPointF(c - s * 0.1, s * 0.32), QPointF(c - s * 0.1, s * 0.68))
        p.drawLine(QPointF(c + s * 0.1, s * 0.32), QPointF(c + s * 0.1, s * 0.68))
    else:  # idle / running / app: a pulse line, the "monitor" mark
        path = QPainterPath(QPointF(s * 0.22, c))
        for x, y in ((0.38, 0.5), (0.46, 0.3), (0.56, 0.7), (0.64, 0.5), (0.78, 0.5)):
            path.lineTo(QPointF(s * x, s * y))
        p.drawPath(path)


def paint_icon(size: int, state: IconState | str = "app", progress: float | None = None) -> QPixmap:
    """Paint one icon.

    Args:
        size: Edge length in pixels.
        state: An :class:`IconState` or ``"app"`` for the application icon.
        progress: 0-100: draws a progress ring (running state); None for none.

    Returns:
        A transparent square pixmap.
    """
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    key = str(state)
    colour = _COLOURS.get(key, _BLUE)
    margin = size * 0.04
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(colour))
    p.drawEllipse(QRectF(margin, margin, size - 2 * margin, size - 2 * margin))
    if progress is not None and size >= 16:
        ring = QPen(QColor(255, 255, 255, 220), max(1.5, size * 0.08))
        p.setPen(ring)
        inset = size * 0.12
        span = int(-360 * 16 * max(0.0, min(100.0, progress)) / 100)
        p.drawArc(QRectF(inset, inset, size - 2 * inset, size - 2 * inset), 90 * 16, span)
    _glyph(p, key, float(size))
    p.end()
    return pm


def state_icon(state: IconState | str, progress: float | None = None) -> QIcon:
    """A QIcon with every size in :data:`ICON_SIZES` painted for ``state``."""
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addPixmap(paint_icon(size, state, progress))
    return icon


def has_action_icon(name: str) -> bool:
    """Whether :func:`action_icon` knows ``name``."""
    return name in _ACTION_ICONS


def action_icon(name: str) -> QIcon:
    """The toolbar icon of a task action (``cancel``, ``pause``, ``resume``, ``retry``, ``refresh``).

    Raises:
        KeyError: For an unknown action name.
    """
    return state_icon(_ACTION_ICONS[name])


def app_icon() -> QIcon:
    """The application icon: the shipped PNGs if present, else painted."""
    icon = QIcon()
    folder = resources_dir() / "icons"
    for size in ICON_SIZES:
        png = folder / f"monitor-{size}.png"
        if png.is_file():
            icon.addFile(str(png))
        else:
            icon.addPixmap(paint_icon(size))
    return icon


def _main(argv: list[str]) -> int:
    from PySide6.QtGui import QGuiApplication

    out = Path(argv[1] if len(argv) > 1 else resources_dir() / "icons")
    out.mkdir(parents=True, exist_ok=True)
    _app = QGuiApplication.instance() or QGuiApplication(argv[:1])
    for size in ICON_SIZES:
        if not paint_icon(size).save(str(out / f"monitor-{size}.png")):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
