"""Zoom, pan and side-by-side of the before/after view, on its own."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication

from colorsphere_gui.ui.compare_view import FULL, SIDE, CompareView


def solid(w: int, h: int, colour: str) -> QImage:
    image = QImage(w, h, QImage.Format.Format_RGB888)
    image.fill(QColor(colour))
    return image


@pytest.fixture
def view(qtbot):
    v = CompareView()
    qtbot.addWidget(v)
    v.resize(600, 400)
    v.show()
    v.set_photo(QSize(2000, 1000), solid(500, 250, "#777"), solid(2000, 1000, "#777"))
    v.set_after(solid(2000, 1000, "#c44"), FULL)
    return v


def image_point(view: CompareView, pos: QPointF) -> QPointF:
    rect = view.image_rect(QRectF(view.rect()))
    return (pos - rect.topLeft()) / view.scale()


def test_wheel_zooms_around_the_cursor(view):
    pos = QPointF(150, 120)
    under = image_point(view, pos)
    wheel = QWheelEvent(
        pos,
        view.mapToGlobal(pos),
        QPoint(),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    scale = view.scale()
    QApplication.sendEvent(view, wheel)
    assert view.scale() == pytest.approx(scale * 1.25**2)
    after = image_point(view, pos)
    assert after.x() == pytest.approx(under.x(), abs=0.5) and after.y() == pytest.approx(under.y(), abs=0.5)


def test_side_by_side_panes_share_zoom_and_pan(view, qtbot):
    view.set_mode(SIDE)
    view.zoom_actual()
    assert view.zoom_percent() == pytest.approx(100)
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(100, 200))
    qtbot.mouseMove(view, QPoint(160, 230))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(160, 230))
    left_pane, right_pane = view.panes()
    left, right = view.image_rect(left_pane), view.image_rect(right_pane)
    assert left.size() == right.size()
    assert right.left() - left.left() == pytest.approx(right_pane.left() - left_pane.left())
    assert left.top() == right.top()
    assert view.center().x() == pytest.approx(1000 - 60)


def test_holding_o_shows_the_original(view, qtbot):
    view.setFocus()
    qtbot.keyPress(view, Qt.Key.Key_O)
    assert view.show_original()
    qtbot.keyRelease(view, Qt.Key.Key_O)
    assert not view.show_original()
