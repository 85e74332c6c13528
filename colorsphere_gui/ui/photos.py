"""The photos the user opened, and the strip of thumbnails that shows each one's state.

A photo that is not on screen keeps only its network output (a few hundred kB of ab per model) and a
thumbnail; its pixels are read again when it is shown or saved, so a hundred 24-megapixel scans can
be open at once.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import numpy as np
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QPointF, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from colorsphere_gui.core.adjust import Adjustment

from .wording import gui_words

ICON_SIDE = 96
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
STATE_ROLE = Qt.ItemDataRole.UserRole + 2

_ids = itertools.count(1)


class State(Enum):
    WAITING = "waiting"
    WORKING = "working"
    DONE = "done"
    FAILED = "failed"


STATE_COLOURS = {
    State.WAITING: QColor("#8a8f98"),
    State.WORKING: QColor("#2f7de1"),
    State.DONE: QColor("#2e9d55"),
    State.FAILED: QColor("#d0443a"),
}
STATE_MARKS = {State.WAITING: "…", State.WORKING: "⟳", State.DONE: "✓", State.FAILED: "!"}


@dataclass(eq=False)
class PhotoEntry:
    path: Path
    name: str
    temporary: bool = False  # pasted from the clipboard: lives in the session's temp folder
    id: int = field(default_factory=lambda: next(_ids))
    results: dict[str, np.ndarray] = field(default_factory=dict)  # model -> ab at the network's size
    devices: dict[str, str] = field(default_factory=dict)  # model -> what ran it
    errors: dict[str, str] = field(default_factory=dict)  # model -> why it failed
    thumb: QImage | None = None  # the colour result's thumbnail, of model `thumb_model`
    thumb_model: str = ""
    scan_thumb: QImage | None = None  # the scan's own: shown until this photo's model has a result
    working: bool = False
    cancelled: set[str] = field(default_factory=set)  # models whose run the user stopped (Esc): not redone
    saved_to: Path | None = None
    saved_key: tuple[str, Adjustment] | None = None  # (model, adjustment) of the saved file
    # The photo's own choices, as in Lightroom's per-photo develop settings: switching photos restores them.
    model: str = ""
    adjustment: Adjustment = field(default_factory=Adjustment)

    def state(self, model: str) -> State:
        if model in self.results:
            return State.DONE
        if model in self.errors:
            return State.FAILED
        return State.WORKING if self.working else State.WAITING

    def unsaved(self) -> bool:
        """A result of the photo's own model and adjustment that no file holds yet."""
        return self.model in self.results and self.saved_key != (self.model, self.adjustment)


class _BadgeDelegate(QStyledItemDelegate):
    """Draws the state as a coloured badge on the thumbnail: visible at a glance across a long strip."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().paint(painter, option, index)
        state = index.data(STATE_ROLE)
        if not isinstance(state, State):
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = 11
        centre = QPointF(option.rect.center().x() + ICON_SIDE / 2 - r, option.rect.top() + r + 4)
        painter.setPen(QColor("white"))
        painter.setBrush(STATE_COLOURS[state])
        painter.drawEllipse(centre, r, r)
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(
            QRect(int(centre.x() - r), int(centre.y() - r), 2 * r, 2 * r),
            Qt.AlignmentFlag.AlignCenter,
            STATE_MARKS[state],
        )
        painter.restore()


class PhotoStrip(QListWidget):
    """Horizontal thumbnails; choosing one shows that photo."""

    photo_chosen = Signal(int)  # entry id
    remove_requested = Signal(int)  # entry id: "Remove from list" in the thumbnail's context menu

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setDragEnabled(False)
        self.setAcceptDrops(False)  # drops go through to the window, which opens them
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setIconSize(QSize(ICON_SIDE, ICON_SIDE))
        self.setGridSize(QSize(ICON_SIDE + 28, ICON_SIDE + 34))
        self.setUniformItemSizes(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedHeight(ICON_SIDE + 56)
        self.setItemDelegate(_BadgeDelegate(self))
        self.setAccessibleName("Opened photos")
        self.setAccessibleDescription(
            "Thumbnails of the opened photos with their state; choose one to show it"
        )
        self._items: dict[int, QListWidgetItem] = {}  # entry id -> item: a strip may hold thousands
        self.currentItemChanged.connect(self._chosen)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)

    def add(self, entry: PhotoEntry, model: str) -> None:
        item = QListWidgetItem(entry.name)
        item.setData(ENTRY_ROLE, entry.id)
        self.addItem(item)
        self._items[entry.id] = item
        self.refresh(entry, model)

    def remove(self, entry_id: int) -> None:
        item = self._items.pop(entry_id, None)
        if item is not None:
            self.blockSignals(True)  # the window chooses the next photo itself
            self.takeItem(self.row(item))
            self.blockSignals(False)

    def context_menu_for(self, entry_id: int) -> QMenu:
        """The thumbnail's menu; built apart from showing it, so that tests can trigger its actions."""
        menu = QMenu(self)
        menu.addAction("Remove from List", lambda: self.remove_requested.emit(entry_id))
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        item = self.itemAt(pos)
        if item is not None:
            self.context_menu_for(int(item.data(ENTRY_ROLE))).exec(self.viewport().mapToGlobal(pos))

    def item_of(self, entry_id: int) -> QListWidgetItem | None:
        return self._items.get(entry_id)

    def select(self, entry_id: int) -> None:
        item = self.item_of(entry_id)
        if item is not None and item is not self.currentItem():
            self.setCurrentItem(item)
            self._keep_in_view()

    def _keep_in_view(self) -> None:
        """Scroll to the current photo on the layout as it is now: items just added or a new width
        are laid out lazily, and scrolling on the old layout leaves the bar and the thumbnails apart."""
        item = self.currentItem()
        if item is not None:
            self.executeDelayedItemsLayout()
            self.scrollToItem(item)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._keep_in_view()  # a narrower window must not leave the current photo out of sight

    def refresh(self, entry: PhotoEntry, model: str) -> None:
        item = self.item_of(entry.id)
        if item is None:
            return
        state = entry.state(model)
        item.setData(STATE_ROLE, state)
        coloured = state is State.DONE and entry.thumb_model == model  # never another model's colours
        item.setIcon(self._icon(entry.thumb if coloured else entry.scan_thumb))
        detail = gui_words(entry.errors.get(model, "")) if state is State.FAILED else state.value
        if state is State.WAITING and model in entry.cancelled:
            detail = "cancelled: press F5 to colorize"
        item.setToolTip(f"{entry.path if not entry.temporary else entry.name}\n{detail}")
        item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{entry.name}, {state.value}")

    def _icon(self, thumb: QImage | None) -> QIcon:
        ratio = self.devicePixelRatioF()
        side = round(ICON_SIDE * ratio)
        pixmap = QPixmap(side, side)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        if thumb is None:
            painter.fillRect(pixmap.rect().adjusted(8, 8, -8, -8), QColor("#3a3d42"))
        else:
            scaled = thumb.scaled(
                side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
            painter.drawImage((side - scaled.width()) // 2, (side - scaled.height()) // 2, scaled)
        painter.end()
        pixmap.setDevicePixelRatio(ratio)
        icon = QIcon(pixmap)
        icon.addPixmap(pixmap, QIcon.Mode.Selected)  # the style's selection tint would fake a colour cast
        return icon

    def _chosen(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is not None:
            self.photo_chosen.emit(int(current.data(ENTRY_ROLE)))
