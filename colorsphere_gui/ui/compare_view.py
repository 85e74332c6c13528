"""The before/after view: a divider over one image, or both side by side, zoomed and panned together.

Each side holds up to two levels of the same picture: a screen-sized preview (ready in a fraction of a
second) and the full resolution (ready later, and only needed once the zoom asks for more pixels than
the preview has). Painting draws only the visible part of the level that suits the zoom, so a
24-megapixel scan pans as smoothly as a small one. Geometry is one scale and one centre (in image
pixels) shared by both panes, which is what keeps them in sync.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from .icons import app_icon

SPLIT, SIDE = "split", "side"
PREVIEW, FULL = "preview", "full"
BEFORE, AFTER = "before", "after"

DIVIDER_GRAB_PX = 10
KEY_STEP, KEY_STEP_LARGE = 0.02, 0.10
WHEEL_STEP = 1.25
MAX_ZOOM = 32.0  # image pixels magnified up to 32 screen pixels
MARGIN = 12

BACKGROUND = QColor("#26282c")
FOREGROUND = QColor("#e8e8e8")
MUTED = QColor("#9aa0a8")
ACCENT = QColor("#ffffff")


class CompareView(QWidget):
    """Shows 'before' (the scan) and 'after' (the colorized result).

    Keyboard: Left/Right move the divider (Shift: larger steps), Home/End put it at an edge, +/- zoom,
    0 fits, 1 shows 100 %, Ctrl+arrows pan, and holding O shows the original.
    """

    divider_moved = Signal(float)
    zoom_changed = Signal(float)  # percent of one image pixel per device pixel
    after_shown = Signal(str)  # a new 'after' image is on screen: PREVIEW or FULL

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setMinimumSize(320, 240)
        self.setAccessibleName("Before and after view")
        self._images: dict[str, dict[str, QImage]] = {BEFORE: {}, AFTER: {}}
        self._size = QSize()
        self._split = 0.5
        self._mode = SPLIT
        self._original = False
        self._scale = 1.0
        self._center = QPointF()
        self._fit = True
        self._drag: str | None = None
        self._last_pos = QPointF()
        self._busy_text = ""
        self._problem: tuple[str, str] | None = None  # (title, detail) of a photo that cannot be shown
        self._opening = ""  # the name of the photo being read, shown until its pixels arrive
        self._update_description()

    # ----- content -----
    def clear(self) -> None:
        self._images = {BEFORE: {}, AFTER: {}}
        self._size = QSize()
        self._busy_text = ""
        self._problem = None
        self._opening = ""
        self.update()

    def set_opening(self, name: str) -> None:
        """A photo was chosen and is being read: say so, rather than invite a drop into an empty view."""
        self._opening = name
        self.update()

    def set_problem(self, title: str, detail: str) -> None:
        """The chosen photo cannot be shown: say so where the photo would be, not the drop invitation."""
        self._problem = (title, detail)
        self._busy_text = ""
        self.setAccessibleDescription(f"{title}. {detail}")
        self.update()

    def problem(self) -> tuple[str, str] | None:
        return self._problem

    def shows_invitation(self) -> bool:
        """True while the empty view invites a drop (no photo, and no photo that failed)."""
        return not self.has_photo() and self._problem is None and not self._opening

    def set_photo(self, size: QSize, before_preview: QImage, before_full: QImage) -> None:
        """A new photo: zoom resets to fit and any previous 'after' is dropped."""
        self._size = QSize(size)
        self._images = {BEFORE: {PREVIEW: before_preview, FULL: before_full}, AFTER: {}}
        self.zoom_fit()

    def set_after(self, image: QImage, level: str) -> None:
        """A new preview makes the old full-resolution 'after' stale (it had another strength)."""
        if level == PREVIEW:
            self._images[AFTER] = {PREVIEW: image}
        else:
            self._images[AFTER][FULL] = image
        self.update()
        self.after_shown.emit(level)

    def clear_after(self) -> None:
        self._images[AFTER] = {}
        self.update()

    def has_photo(self) -> bool:
        return not self._size.isEmpty()

    def photo_size(self) -> QSize:
        return QSize(self._size)

    def has_after(self) -> bool:
        return bool(self._images[AFTER])

    def after_image(self, level: str = FULL) -> QImage | None:
        return self._images[AFTER].get(level)

    def set_busy_text(self, text: str) -> None:
        self._busy_text = text
        self.update()

    # ----- modes -----
    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str) -> None:
        self._mode = mode
        if self._fit:
            self.zoom_fit()
        self._update_description()
        self.update()

    def show_original(self) -> bool:
        return self._original

    def set_show_original(self, on: bool) -> None:
        self._original = on
        self._update_description()
        self.update()

    def divider(self) -> float:
        return self._split

    def set_divider(self, fraction: float) -> None:
        fraction = min(1.0, max(0.0, fraction))
        if fraction != self._split:
            self._split = fraction
            self._update_description()
            self.update()
            self.divider_moved.emit(fraction)

    def divider_x(self) -> float:
        return self._split * self.width()

    # ----- zoom and pan -----
    def scale(self) -> float:
        return self._scale

    def zoom_percent(self) -> float:
        return self._scale * self.devicePixelRatioF() * 100.0

    def zoom_fit(self) -> None:
        self._fit = True
        if self.has_photo():
            pane = self.panes()[0]
            self._scale = min(
                (pane.width() - 2 * MARGIN) / self._size.width(),
                (pane.height() - 2 * MARGIN) / self._size.height(),
            )
            self._scale = max(self._scale, 1e-4)
            self._center = QPointF(self._size.width() / 2, self._size.height() / 2)
        self._zoom_changed()

    def zoom_actual(self, anchor: QPointF | None = None) -> None:
        """100 %: one image pixel on one device pixel, which is what 'actual pixels' means on HiDPI."""
        self._set_scale(1.0 / self.devicePixelRatioF(), anchor)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self._set_scale(self._scale * factor, anchor)

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the picture by (dx, dy) screen pixels."""
        self._fit = False
        self._center -= QPointF(dx, dy) / self._scale
        self._clamp_center()
        self.update()

    def center(self) -> QPointF:
        return QPointF(self._center)

    def _set_scale(self, scale: float, anchor: QPointF | None) -> None:
        if not self.has_photo():
            return
        pane = self._pane_at(anchor) if anchor is not None else self.panes()[0]
        anchor = anchor if anchor is not None else pane.center()
        fit = min(pane.width() / self._size.width(), pane.height() / self._size.height())
        scale = min(MAX_ZOOM / self.devicePixelRatioF(), max(scale, min(fit, 1.0) / 4))
        offset = anchor - pane.center()
        image_point = self._center + offset / self._scale  # stays under the cursor
        self._scale = scale
        self._center = image_point - offset / scale
        self._fit = False
        self._clamp_center()
        self._zoom_changed()

    def _clamp_center(self) -> None:
        self._center = QPointF(
            min(max(self._center.x(), 0.0), float(self._size.width())),
            min(max(self._center.y(), 0.0), float(self._size.height())),
        )

    def _zoom_changed(self) -> None:
        self.update()
        self.zoom_changed.emit(self.zoom_percent())

    # ----- geometry -----
    def panes(self) -> list[QRectF]:
        w, h = float(self.width()), float(self.height())
        if self._mode == SIDE and not self._original:
            return [QRectF(0, 0, w / 2 - 1, h), QRectF(w / 2 + 1, 0, w / 2 - 1, h)]
        return [QRectF(0, 0, w, h)]

    def _pane_at(self, pos: QPointF) -> QRectF:
        return next((p for p in self.panes() if p.contains(pos)), self.panes()[0])

    def image_rect(self, pane: QRectF) -> QRectF:
        """Where the whole image lies on screen in `pane` (mostly outside it when zoomed in)."""
        w, h = self._size.width() * self._scale, self._size.height() * self._scale
        top_left = pane.center() - self._center * self._scale
        return QRectF(top_left.x(), top_left.y(), w, h)

    def _level(self, side: str) -> QImage | None:
        """The preview while it has enough pixels for the zoom, else the full resolution if ready."""
        levels = self._images[side]
        preview, full = levels.get(PREVIEW), levels.get(FULL)
        if preview is None or full is None:
            return full or preview
        needed = self._size.width() * self._scale * self.devicePixelRatioF()
        return full if needed > preview.width() * 1.05 else preview

    # ----- painting -----
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.fillRect(self.rect(), BACKGROUND)
        if self._problem is not None and not self.has_photo():
            self._paint_problem(p, *self._problem)
            return
        if self._opening and not self.has_photo():
            self._paint_problem(p, f"Opening {self._opening}…", "")
            return
        if not self.has_photo():
            self._paint_empty(p)
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._scale * self.devicePixelRatioF() < 2)
        panes = self.panes()
        after = AFTER if self.has_after() and not self._original else BEFORE
        if len(panes) == 2:
            self._paint_image(p, panes[0], BEFORE)
            self._paint_image(p, panes[1], after)
            self._label(p, panes[0], "Before", Qt.AlignmentFlag.AlignLeft)
            self._label(
                p, panes[1], "After" if after == AFTER else "After (working…)", Qt.AlignmentFlag.AlignLeft
            )
        elif after == BEFORE:
            self._paint_image(p, panes[0], BEFORE)
            self._label(p, panes[0], "Original" if self._original else "Before", Qt.AlignmentFlag.AlignLeft)
        else:
            x = self.divider_x()
            p.save()
            p.setClipRect(QRectF(0, 0, x, self.height()))
            self._paint_image(p, panes[0], BEFORE)
            p.restore()
            p.save()
            p.setClipRect(QRectF(x, 0, self.width() - x, self.height()))
            self._paint_image(p, panes[0], AFTER)
            p.restore()
            self._label(p, panes[0], "Before", Qt.AlignmentFlag.AlignLeft)
            self._label(p, panes[0], "After", Qt.AlignmentFlag.AlignRight)
            self._paint_divider(p, x)
        if self._busy_text:
            self._pill(p, self._busy_text, QPointF(self.width() / 2, self.height() - 28))

    def _paint_image(self, p: QPainter, pane: QRectF, side: str) -> None:
        image = self._level(side)
        if image is None:
            return
        target = self.image_rect(pane)
        visible = target.intersected(pane)
        if visible.isEmpty():
            return
        # Map the visible part back into the chosen level's pixels: only that part is drawn.
        kx = image.width() / target.width()
        ky = image.height() / target.height()
        source = QRectF(
            (visible.left() - target.left()) * kx,
            (visible.top() - target.top()) * ky,
            visible.width() * kx,
            visible.height() * ky,
        )
        p.drawImage(visible, image, source)

    def _paint_divider(self, p: QPainter, x: float) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor(0, 0, 0, 90), 4))
        p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        p.setPen(QPen(ACCENT, 2))
        p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        centre = QPointF(x, self.height() / 2)
        p.setBrush(QColor(20, 22, 26, 200))
        p.setPen(QPen(ACCENT, 2 if not self.hasFocus() else 3))
        p.drawEllipse(centre, 16, 16)
        arrows = QPainterPath()
        for sign in (-1, 1):
            tip = centre + QPointF(sign * 10, 0)
            arrows.moveTo(tip)
            arrows.lineTo(tip - QPointF(sign * 5, -5))
            arrows.lineTo(tip - QPointF(sign * 5, 5))
            arrows.closeSubpath()
        p.setBrush(ACCENT)
        p.setPen(Qt.PenStyle.NoPen)
        p.drawPath(arrows)

    def _label(self, p: QPainter, pane: QRectF, text: str, align: Qt.AlignmentFlag) -> None:
        font = QFont(self.font())
        font.setBold(True)
        p.setFont(font)
        width = p.fontMetrics().horizontalAdvance(text) + 20
        left = pane.left() + 12 if align == Qt.AlignmentFlag.AlignLeft else pane.right() - 12 - width
        self._pill(p, text, QPointF(left + width / 2, pane.top() + 22))

    def _pill(self, p: QPainter, text: str, centre: QPointF) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = p.fontMetrics()
        w, h = metrics.horizontalAdvance(text) + 20, metrics.height() + 8
        rect = QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 150))
        p.drawRoundedRect(rect, h / 2, h / 2)
        p.setPen(FOREGROUND)
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_problem(self, p: QPainter, title: str, detail: str) -> None:
        area = QRectF(self.rect()).adjusted(32, 32, -32, -32)
        heading = QFont(self.font())
        heading.setPointSizeF(heading.pointSizeF() * 1.4)
        heading.setBold(True)
        p.setFont(heading)
        p.setPen(FOREGROUND)
        flags = Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap
        top = area.center().y() - 60
        p.drawText(QRectF(area.left(), top, area.width(), 60), flags | Qt.AlignmentFlag.AlignBottom, title)
        p.setFont(self.font())
        p.setPen(MUTED)
        p.drawText(
            QRectF(area.left(), top + 72, area.width(), area.bottom() - top - 72),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
            detail,
        )

    def _paint_empty(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect()).adjusted(24, 24, -24, -24)
        pen = QPen(MUTED, 2, Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(area, 18, 18)
        side = min(96.0, area.height() / 4)
        icon_rect = QRectF(area.center().x() - side / 2, area.center().y() - side - 24, side, side)
        app_icon().paint(p, icon_rect.toRect())
        title = QFont(self.font())
        title.setPointSizeF(title.pointSizeF() * 1.6)
        title.setBold(True)
        heading = "Drop black-and-white photos or folders here"
        while QFontMetrics(title).horizontalAdvance(heading) > area.width() - 24 and title.pointSizeF() > 9:
            title.setPointSizeF(title.pointSizeF() - 0.5)  # a narrow window shrinks it, never cuts it
        p.setFont(title)
        p.setPen(FOREGROUND)
        text_top = icon_rect.bottom() + 16
        p.drawText(
            QRectF(area.left(), text_top, area.width(), 36),
            Qt.AlignmentFlag.AlignCenter,
            heading,
        )
        p.setFont(self.font())
        p.setPen(MUTED)
        p.drawText(
            QRectF(area.left(), text_top + 40, area.width(), 48),
            Qt.AlignmentFlag.AlignCenter,
            "or open them with Ctrl+O, or paste a picture with Ctrl+V.\n"
            "Scans stay untouched: colour versions are saved as new files.",
        )

    # ----- input -----
    def near_divider(self, pos: QPointF) -> bool:
        return (
            self._mode == SPLIT
            and self.has_after()
            and not self._original
            and abs(pos.x() - self.divider_x()) <= DIVIDER_GRAB_PX
        )

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        if event.button() == Qt.MouseButton.LeftButton and self.near_divider(pos):
            self._drag = "divider"
        elif event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton) and self.has_photo():
            self._drag = "pan"
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        self._last_pos = pos
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        if self._drag == "divider":
            self.set_divider(pos.x() / max(1, self.width()))
        elif self._drag == "pan":
            delta = pos - self._last_pos
            self.pan_by(delta.x(), delta.y())
        elif self.near_divider(pos):
            self.setCursor(Qt.CursorShape.SplitHCursor)
        else:
            self.setCursor(Qt.CursorShape.OpenHandCursor if self.has_photo() else Qt.CursorShape.ArrowCursor)
        self._last_pos = pos

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._drag = None
        self.setCursor(Qt.CursorShape.OpenHandCursor if self.has_photo() else Qt.CursorShape.ArrowCursor)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._fit:
            self.zoom_actual(event.position())
        else:
            self.zoom_fit()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps and self.has_photo():
            self.zoom_by(WHEEL_STEP**steps, event.position())
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key, mods = event.key(), event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        step = KEY_STEP_LARGE if mods & Qt.KeyboardModifier.ShiftModifier else KEY_STEP
        pan = {
            Qt.Key.Key_Left: (1, 0),
            Qt.Key.Key_Right: (-1, 0),
            Qt.Key.Key_Up: (0, 1),
            Qt.Key.Key_Down: (0, -1),
        }
        if ctrl and key in pan:
            dx, dy = pan[key]
            self.pan_by(dx * self.width() / 10, dy * self.height() / 10)
        elif key == Qt.Key.Key_Left:
            self.set_divider(self._split - step)
        elif key == Qt.Key.Key_Right:
            self.set_divider(self._split + step)
        elif key == Qt.Key.Key_Home:
            self.set_divider(0.0)
        elif key == Qt.Key.Key_End:
            self.set_divider(1.0)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(WHEEL_STEP)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(1 / WHEEL_STEP)
        elif key == Qt.Key.Key_0:
            self.zoom_fit()
        elif key == Qt.Key.Key_1:
            self.zoom_actual()
        elif key == Qt.Key.Key_O and not event.isAutoRepeat():
            self.set_show_original(True)
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_O and not event.isAutoRepeat():
            self.set_show_original(False)
        else:
            super().keyReleaseEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        if self._fit:
            self.zoom_fit()
        super().resizeEvent(event)

    def _update_description(self) -> None:
        """Screen readers get the state a sighted user reads off the divider's position."""
        if self._original:
            state = "showing the original"
        elif self._mode == SIDE:
            state = "side by side"
        else:
            state = f"divider at {round(self._split * 100)} percent"
        self.setAccessibleDescription(
            f"Before and after, {state}. Left and Right arrows move the divider, plus and minus zoom, "
            "hold O to see the original."
        )
