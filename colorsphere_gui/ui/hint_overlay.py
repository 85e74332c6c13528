"""Hint points drawn over the before/after view, and the maths between screen and photo pixels.

The overlay is a transparent child of the CompareView: children paint after their parent, and a
transparent child is repainted with every repaint of the view beneath it, so the rings sit on top of
whatever the view drew (divider, labels) and follow zoom, pan and the divider without the view knowing
about hints. Mouse events pass through to the view.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from .compare_view import CompareView

RING_RADIUS = 7.0  # screen pixels: big enough to grab, small enough not to hide the spot it colours
SELECTED_RADIUS = 9.0
GRAB_RADIUS = 11.0


def image_point(view: CompareView, pos: QPointF) -> QPointF | None:
    """The photo pixel (column, row, as floats) under a screen position, or None off the photo."""
    if not view.has_photo():
        return None
    pane = next((p for p in view.panes() if p.contains(pos)), None)
    if pane is None:
        return None
    rect = view.image_rect(pane)
    if not rect.contains(pos):
        return None
    return (pos - rect.topLeft()) / view.scale()


def photo_pixel(view: CompareView, pos: QPointF) -> tuple[int, int] | None:
    """image_point rounded down to the pixel it falls in, kept inside the photo."""
    point = image_point(view, pos)
    if point is None:
        return None
    size = view.photo_size()
    return (
        min(size.width() - 1, max(0, math.floor(point.x()))),
        min(size.height() - 1, max(0, math.floor(point.y()))),
    )


def screen_points(view: CompareView, x: float, y: float) -> list[QPointF]:
    """Where the centre of pixel (x, y) is on screen: once per pane (twice side by side)."""
    centre = QPointF(x + 0.5, y + 0.5) * view.scale()
    return [view.image_rect(pane).topLeft() + centre for pane in view.panes()]


def hit_test(view: CompareView, points: Sequence[tuple[float, float]], pos: QPointF) -> int | None:
    """Index of the point drawn nearest to `pos` within grabbing distance (the last drawn wins ties)."""
    best, best_distance = None, GRAB_RADIUS
    for index, (x, y) in enumerate(points):
        for on_screen in screen_points(view, x, y):
            distance = math.hypot(on_screen.x() - pos.x(), on_screen.y() - pos.y())
            if distance <= best_distance:
                best, best_distance = index, distance
    return best


def paint_ring(p: QPainter, centre: QPointF, colour: QColor, radius: float, selected: bool) -> None:
    """A disc of the hint's colour in a white ring with a dark rim: readable on light and dark photos."""
    p.setPen(QPen(QColor(0, 0, 0, 170), 4.0 if selected else 3.0))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawEllipse(centre, radius, radius)
    p.setPen(QPen(QColor("#ffffff"), 2.0))
    p.setBrush(colour)
    p.drawEllipse(centre, radius, radius)
    if selected:
        p.setPen(QPen(QColor("#ffffff"), 1.5, Qt.PenStyle.DashLine))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(centre, radius + 4, radius + 4)


def ring_icon() -> QIcon:
    """The hint tool's icon: three coloured rings, as they appear on a photo."""
    icon = QIcon()
    for side in (20, 40):
        pixmap = QPixmap(side, side)
        pixmap.fill(Qt.GlobalColor.transparent)
        p = QPainter(pixmap)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.scale(side / 20, side / 20)
        for (x, y), colour in zip(
            ((6, 7), (14, 6), (10, 14)), ("#d0443a", "#2f7de1", "#2e9d55"), strict=True
        ):
            p.setPen(QPen(QColor("#3c4048"), 1.2))
            p.setBrush(QColor(colour))
            p.drawEllipse(QPointF(x, y), 4, 4)
        p.end()
        icon.addPixmap(pixmap)
    return icon


class HintOverlay(QWidget):
    """Draws the current photo's hint points; knows nothing of undo, files or the network."""

    def __init__(self, view: CompareView) -> None:
        super().__init__(view)
        self.view = view
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setAccessibleName("Hint points")
        self._points: list[tuple[float, float, QColor]] = []
        self._selected: int | None = None
        self.setGeometry(view.rect())
        view.installEventFilter(self)

    def set_points(self, points: Sequence[tuple[float, float, str]], selected: int | None) -> None:
        self._points = [(x, y, QColor(colour)) for x, y, colour in points]
        self._selected = selected
        self.setAccessibleDescription(f"{len(points)} hint point(s)")
        self.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.view and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.view.rect())
        return False

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        if not self._points or not self.view.has_photo():
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        panes = [QRectF(pane) for pane in self.view.panes()]
        for index, (x, y, colour) in enumerate(self._points):
            selected = index == self._selected
            for pane, centre in zip(panes, screen_points(self.view, x, y), strict=True):
                if pane.contains(centre):
                    paint_ring(p, centre, colour, SELECTED_RADIUS if selected else RING_RADIUS, selected)
