"""The compact colour chooser of a hint point: the model's likely colours, recent ones, a full picker.

It floats inside the before/after view, next to the point it colours, rather than in a pop-up window:
a pop-up grabs the mouse, so every further click on the photo would first only close it, and placing
ten points would take twenty clicks. Here a click elsewhere on the photo simply places or picks the
next point, and the chooser follows.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPoint, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QKeyEvent, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QColorDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

MAX_RECENT_COLOURS = 8
SWATCH = 22
COLUMNS = 8
RECENT_KEY = "hints/recent-colours"


class RecentColours:
    """The colours last given to hint points, newest first, remembered between sessions."""

    def __init__(self, store: QSettings) -> None:
        self.store = store

    def colours(self) -> list[str]:
        value = self.store.value(RECENT_KEY, [])
        items = [value] if isinstance(value, str) else list(value or [])
        return [str(c) for c in items if QColor.isValidColorName(str(c))][:MAX_RECENT_COLOURS]

    def add(self, colour: str) -> None:
        colour = colour.lower()
        items = [colour] + [c for c in self.colours() if c != colour]
        self.store.setValue(RECENT_KEY, items[:MAX_RECENT_COLOURS])


def swatch_icon(colour: str, side: int = SWATCH) -> QIcon:
    pixmap = QPixmap(side, side)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(QColor("#3c4048"), 1))
    p.setBrush(QColor(colour))
    p.drawRoundedRect(1, 1, side - 2, side - 2, 4, 4)
    p.end()
    return QIcon(pixmap)


class _SwatchRow(QWidget):
    """A row (or two) of colour buttons, or a line of text when there are none to show."""

    picked = Signal(str)

    def __init__(self, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._what = what
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(3)
        self._text = QLabel(self)
        self._text.setWordWrap(True)
        self.buttons: list[QToolButton] = []

    def show_text(self, text: str) -> None:
        self._clear()
        self._text.setText(text)
        self._grid.addWidget(self._text, 0, 0, 1, COLUMNS)
        self._text.show()

    def show_colours(self, colours: Sequence[str], empty: str) -> None:
        if not colours:
            self.show_text(empty)
            return
        self._clear()
        self._text.hide()
        for i, colour in enumerate(colours):
            button = QToolButton(self)
            button.setIcon(swatch_icon(colour))
            button.setIconSize(QSize(SWATCH, SWATCH))
            button.setAutoRaise(True)
            button.setToolTip(colour)
            button.setAccessibleName(f"{self._what} {i + 1}: {colour}")
            button.clicked.connect(lambda _=False, c=colour: self.picked.emit(c))
            self._grid.addWidget(button, i // COLUMNS, i % COLUMNS)
            self.buttons.append(button)

    def colours(self) -> list[str]:
        return [b.toolTip() for b in self.buttons]

    def _clear(self) -> None:
        for button in self.buttons:
            self._grid.removeWidget(button)
            button.deleteLater()
        self.buttons = []
        self._grid.removeWidget(self._text)


class ColourChooser(QFrame):
    """Chooses one colour for the selected hint point; `chosen` carries it as #rrggbb."""

    chosen = Signal(str)

    def __init__(self, recent: RecentColours, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._recent = recent
        self._current = "#808080"
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setAccessibleName("Hint colour chooser")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(4)
        header = QHBoxLayout()
        self.title = QLabel("<b>Colour of this point</b>")
        close = QToolButton()
        close.setText("×")
        close.setAutoRaise(True)
        close.setToolTip("Close (Esc)")
        close.setAccessibleName("Close the colour chooser")
        close.clicked.connect(self.hide)
        header.addWidget(self.title, 1)
        header.addWidget(close)
        layout.addLayout(header)
        layout.addWidget(QLabel("Likely here, best first"))
        self.likely = _SwatchRow("Likely colour")
        self.likely.picked.connect(self._pick)
        layout.addWidget(self.likely)
        layout.addWidget(QLabel("Recently used"))
        self.recent_row = _SwatchRow("Recent colour")
        self.recent_row.picked.connect(self._pick)
        layout.addWidget(self.recent_row)
        self.more = QPushButton("More colours…")
        self.more.setAccessibleName("Choose any colour")
        self.more.clicked.connect(self.choose_any)
        layout.addWidget(self.more)
        self.hide()

    def open_at(self, anchor: QPoint, current: str) -> None:
        """Show beside `anchor` (in the parent's coordinates), inside the parent, with suggestions
        pending until set_suggestions brings them."""
        self._current = current
        self.likely.show_text("Looking for the colours likely here…")
        self.recent_row.show_colours(self._recent.colours(), "None yet: the colours you choose appear here.")
        self.adjustSize()
        self.place_beside(anchor)
        self.show()
        self.raise_()

    def set_suggestions(self, colours: Sequence[str] | None, why_none: str = "") -> None:
        """The model's likely colours, best first; None: the model makes none (why_none says why)."""
        if colours is None:
            self.likely.show_text(why_none)
        else:
            self.likely.show_colours(colours, "The model finds no clear colour here.")
        if self.isVisible():
            self.adjustSize()
            self._keep_inside(self.pos().x(), self.pos().y())

    def choose_any(self) -> None:
        colour = QColorDialog.getColor(QColor(self._current), self.window(), "Colour of the hint point")
        if colour.isValid():
            self._pick(colour.name())

    def _pick(self, colour: str) -> None:
        self._current = colour.lower()
        self._recent.add(self._current)
        self.recent_row.show_colours(self._recent.colours(), "")
        self.chosen.emit(self._current)

    def place_beside(self, anchor: QPoint) -> None:
        """Right of `anchor` (the point, in the parent's coordinates), else left of it, inside the parent."""
        parent = self.parentWidget()
        x, y = anchor.x() + 18, anchor.y() - self.height() // 2
        if parent is not None and x + self.width() > parent.width():
            x = anchor.x() - 18 - self.width()
        self._keep_inside(x, y)

    def _keep_inside(self, x: int, y: int) -> None:
        parent = self.parentWidget()
        if parent is not None:
            x = max(4, min(x, parent.width() - self.width() - 4))
            y = max(4, min(y, parent.height() - self.height() - 4))
        self.move(x, y)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            if self.parentWidget() is not None:
                self.parentWidget().setFocus()
        else:
            super().keyPressEvent(event)
