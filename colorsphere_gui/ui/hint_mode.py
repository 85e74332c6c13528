"""Hint mode: the user places coloured points on the photo and the model follows them.

The mode owns each photo's hint points and their undo history, and turns mouse input on the
before/after view into edits; it never computes colour. Every edit is one QUndoCommand that swaps
the photo's whole tuple of points (tuples of frozen Hints: a snapshot costs a few bytes), so add,
move, recolour, remove, clear and import all undo the same way, and `changed` tells the window to
colorize again. The view keeps its own mouse handling for the divider, pan and zoom: the mode only
takes the presses that land on the photo and are clicks, not drags.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QMouseEvent, QUndoCommand, QUndoGroup, QUndoStack
from PySide6.QtWidgets import QCheckBox, QFileDialog, QGroupBox, QLabel, QPushButton, QVBoxLayout, QWidget

from colorsphere_gui.core.hints import SIDECAR_SUFFIX, Hint, HintsError, load_hints, save_hints
from colorsphere_gui.models.registry import MODELS

from .colour_chooser import ColourChooser, RecentColours
from .compare_view import FULL, PREVIEW, CompareView
from .hint_jobs import likely_colours_job
from .hint_overlay import HintOverlay, hit_test, photo_pixel, ring_icon, screen_points
from .hint_store import HintStore, SavedHints
from .jobs import LoadedPhoto
from .photos import PhotoEntry
from .settings import Settings
from .workers import ColorizerPool, Task, TaskTracker

CLICK_SLOP_PX = 4  # a press that moves further than this is a pan, not a click
FALLBACK_COLOUR = "#b05a3c"
SUGGEST_WAIT_MS = 2000  # the longest the likely colours wait for the new colours to be on screen


class HintHost(Protocol):
    """What hint mode needs of the main window."""

    view: CompareView
    settings: Settings
    pool: ColorizerPool
    tracker: TaskTracker
    loaded: LoadedPhoto | None

    def model(self) -> str: ...

    def device(self) -> str: ...

    def displaying(self) -> bool: ...


@dataclass
class _PhotoHints:
    """One photo's points, where they are kept, and their history."""

    stack: QUndoStack
    key: str | None = None  # content digest; None until the photo has been read
    hints: tuple[Hint, ...] = ()
    known: bool = False  # the saved hints have been read (or the user has already edited)


class _Edit(QUndoCommand):
    """Replace one photo's points: before on undo, after on redo."""

    def __init__(
        self, mode: HintMode, entry_id: int, before: tuple[Hint, ...], after: tuple[Hint, ...], text: str
    ) -> None:
        super().__init__(text)
        self._mode, self._id, self._before, self._after = mode, entry_id, before, after

    def redo(self) -> None:
        self._mode._apply(self._id, self._after)

    def undo(self) -> None:
        self._mode._apply(self._id, self._before)


class HintPanel(QGroupBox):
    """The side bar's part of hint mode: what the mode does now, and the buttons that act on all points."""

    def __init__(self, mode: HintMode, parent: QWidget | None = None) -> None:
        super().__init__("Colour hints", parent)
        layout = QVBoxLayout(self)
        self.toggle = QPushButton(ring_icon(), "Place colour hints")
        self.toggle.setCheckable(True)
        self.toggle.setAccessibleName("Hint mode")
        self.toggle.toggled.connect(mode.act_mode.setChecked)
        mode.act_mode.toggled.connect(self.toggle.setChecked)
        layout.addWidget(self.toggle)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Hint status")
        layout.addWidget(self.status)
        self.show_points = QCheckBox("Show points")
        self.show_points.setChecked(mode.act_show.isChecked())
        self.show_points.toggled.connect(mode.act_show.setChecked)
        mode.act_show.toggled.connect(self.show_points.setChecked)
        layout.addWidget(self.show_points)
        self.clear = QPushButton("Clear all points")
        self.clear.setAccessibleName("Clear all hint points")
        self.clear.clicked.connect(mode.clear)
        layout.addWidget(self.clear)


class HintMode(QObject):
    changed = Signal(int)  # id of the photo whose points changed: colorize it again
    message = Signal(str, str)  # text, level ("info", "warning", "error"): for the window's notice bar

    def __init__(self, window: HintHost, store: HintStore | None = None) -> None:
        super().__init__(window)
        self.view = window.view
        self.store = store or HintStore()
        self._window = window
        self._photos: dict[int, _PhotoHints] = {}
        self._entry: PhotoEntry | None = None
        self._selected: int | None = None
        self._press: QPointF | None = None  # a press on the photo that may still become a click
        self._dragging: tuple[int, tuple[Hint, ...]] | None = None  # point index, points before the drag
        self._suggesting: Task | None = None
        self._wants_suggestions = False
        self._suggest_timer = QTimer(self)
        self._suggest_timer.setSingleShot(True)
        self._suggest_timer.setInterval(SUGGEST_WAIT_MS)
        self._suggest_timer.timeout.connect(self._suggest)
        self.view.after_shown.connect(self._after_shown)
        self.view.zoom_changed.connect(self._follow_selected)
        self.group = QUndoGroup(self)
        self.overlay = HintOverlay(self.view)
        self.overlay.hide()
        self._recent = RecentColours(window.settings.store)
        self.chooser = ColourChooser(self._recent, self.view)
        self.chooser.chosen.connect(self.recolour)
        self._build_actions(window)
        self.panel = HintPanel(self)
        self.view.installEventFilter(self)
        self._refresh()

    # ================================================================ actions
    def _build_actions(self, window: QWidget) -> None:
        def action(
            text: str, slot, shortcut=None, tip: str = "", checkable: bool = False, checked: bool = False
        ) -> QAction:
            act = QAction(text, self)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            act.setToolTip(tip or text.replace("&", "").replace("…", ""))
            act.setStatusTip(tip)
            act.setCheckable(checkable)
            act.setChecked(checked)
            (act.toggled if checkable else act.triggered).connect(slot)
            window.addAction(act)  # shortcuts work with menus and toolbars hidden
            return act

        self.act_mode = action(
            "Colour &Hints",
            self._mode_toggled,
            "H",
            "Click the photo to place colour hints; drag to move, right-click to remove",
            checkable=True,
        )
        self.act_mode.setIcon(ring_icon())
        self.act_show = action(
            "Show Hint &Points",
            self._refresh,
            "Shift+H",
            "Show or hide the hint points",
            checkable=True,
            checked=True,
        )
        self.act_remove = action(
            "&Remove Hint Point", self.remove_selected, None, "Remove the selected hint point"
        )
        self.act_remove.setShortcuts(
            [QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence("Backspace")]
        )
        self.act_clear = action("C&lear All Hints", self.clear, None, "Remove every hint point of this photo")
        self.act_export = action(
            "&Export Hints…", self.export_hints, None, "Save this photo's hint points as a .hints.json file"
        )
        self.act_import = action(
            "&Import Hints…", self.import_hints, None, "Load hint points from a .hints.json file"
        )
        self.act_undo = self.group.createUndoAction(self, "&Undo")
        self.act_undo.setShortcut(QKeySequence.StandardKey.Undo)
        self.act_redo = self.group.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        for act in (self.act_undo, self.act_redo):
            window.addAction(act)

    def edit_actions(self) -> list[QAction | None]:
        """The Edit menu's entries, None for a separator."""
        return [
            self.act_undo,
            self.act_redo,
            None,
            self.act_mode,
            self.act_show,
            self.act_remove,
            self.act_clear,
        ]

    # ================================================================ photos
    def show(self, entry: PhotoEntry) -> None:
        """The window now shows `entry`: its points and its undo history become the current ones."""
        self._entry = entry
        self._selected = None
        self._press = self._dragging = None
        self.chooser.hide()
        self.group.setActiveStack(self._state(entry.id).stack)
        self._refresh()

    def hints_of(self, entry: PhotoEntry) -> tuple[Hint, ...] | None:
        """The photo's points, or None while its saved points have not been read yet."""
        state = self._photos.get(entry.id)
        return state.hints if state is not None and state.known else None

    def restored(self, entry: PhotoEntry, saved: SavedHints) -> None:
        """The saved points of a photo just read (only the first read counts: later edits win)."""
        state = self._state(entry.id)
        state.key = saved.key
        if saved.problem:
            self.message.emit(saved.problem, "warning")
        if state.known:
            self._persist(state)  # edited before the key was known: keep the edits now
            return
        state.known = True
        state.hints = saved.hints  # the job that read them colorizes with them: nothing to redo
        if entry is self._entry:
            self._refresh()

    def _state(self, entry_id: int) -> _PhotoHints:
        state = self._photos.get(entry_id)
        if state is None:
            state = _PhotoHints(QUndoStack(self.group))
            self._photos[entry_id] = state
        return state

    # ================================================================ edits
    def points(self) -> tuple[Hint, ...]:
        if self._entry is None:
            return ()
        return self._state(self._entry.id).hints

    def selected(self) -> int | None:
        return self._selected

    def _push(self, after: Sequence[Hint], text: str, before: tuple[Hint, ...] | None = None) -> None:
        if self._entry is None:
            return
        state = self._state(self._entry.id)
        before = state.hints if before is None else before
        after = tuple(after)
        if after != before:
            state.stack.push(_Edit(self, self._entry.id, before, after, text))

    def _apply(self, entry_id: int, hints: tuple[Hint, ...], persist: bool = True) -> None:
        state = self._state(entry_id)
        unchanged = state.known and state.hints == hints  # the end of a drag, already shown live
        state.hints = hints
        state.known = True
        if self._entry is not None and entry_id == self._entry.id:
            if self._selected is not None and self._selected >= len(hints):
                self._selected = None
                self.chooser.hide()
            self._refresh()
        if not unchanged:
            self.changed.emit(entry_id)  # first: the worker starts before the file is synced to disk
        if persist:
            self._persist(state)

    def _persist(self, state: _PhotoHints) -> None:
        if state.key is None:
            return
        try:
            self.store.write(state.key, state.hints)
        except HintsError as exc:
            self.message.emit(f"The hint points could not be kept for next time: {exc}", "warning")

    def add(self, x: int, y: int, colour: str) -> None:
        points = self.points()
        self._selected = len(points)
        self._push((*points, Hint(x, y, colour)), "Add hint point")

    def recolour(self, colour: str) -> None:
        points = list(self.points())
        if self._selected is None or self._selected >= len(points):
            return
        old = points[self._selected]
        points[self._selected] = Hint(old.x, old.y, colour, old.size)
        self._push(points, "Change hint colour")

    def remove(self, index: int) -> None:
        points = list(self.points())
        del points[index]
        self._selected = None
        self.chooser.hide()
        self._push(points, "Remove hint point")

    def remove_selected(self) -> None:
        if self._selected is not None and self._selected < len(self.points()):
            self.remove(self._selected)

    def clear(self) -> None:
        self._selected = None
        self.chooser.hide()
        self._push((), "Clear hints")

    # ================================================================ files
    def _default_sidecar(self) -> Path:
        entry = self._entry
        assert entry is not None
        folder = Path.home() if entry.temporary else entry.path.parent
        name = entry.name if entry.temporary else entry.path.name
        return folder / f"{name}{SIDECAR_SUFFIX}"

    def export_hints(self) -> None:
        if self._entry is None:
            return
        points = self.points()
        if not points:
            self.message.emit("This photo has no hint points to export.", "info")
            return
        name, _ = QFileDialog.getSaveFileName(
            self._window, "Export hints", str(self._default_sidecar()), "Hints (*.hints.json)"
        )
        if not name:
            return
        path = Path(name)
        if not path.name.endswith(SIDECAR_SUFFIX):
            path = path.with_name(path.name.removesuffix(".json") + SIDECAR_SUFFIX)
        try:
            save_hints(path, points)
        except HintsError as exc:
            self.message.emit(f"Export Hints could not write {path.name}: {exc}", "error")
            return
        self.message.emit(f"Exported {len(points)} hint point(s) to {path}.", "info")

    def import_hints(self) -> None:
        if self._entry is None or not self.view.has_photo():
            return
        start = self._default_sidecar()
        name, _ = QFileDialog.getOpenFileName(
            self._window,
            "Import hints",
            str(start if start.exists() else start.parent),
            "Hints (*.hints.json);;JSON files (*.json);;All files (*)",
        )
        if name:
            self.import_file(Path(name))

    def import_file(self, path: Path) -> None:
        """Replace the photo's points with a sidecar's (undoable); a bad file changes nothing."""
        size = self.view.photo_size()
        try:
            hints = load_hints(path, size.width(), size.height())
        except HintsError as exc:
            self.message.emit(f"Import Hints could not use {path.name}. {_sentence(str(exc))}", "error")
            return
        replaced = len(self.points())
        self._selected = None
        self.chooser.hide()
        self._push(hints, "Import hints")
        note = f", replacing {replaced} (Undo brings them back)" if replaced else ""
        self.message.emit(f"Imported {len(hints)} hint point(s) from {path.name}{note}.", "info")

    # ================================================================ display
    def _mode_toggled(self, on: bool) -> None:
        if not on:
            self.chooser.hide()
            self._press = self._dragging = None
            self.view.unsetCursor()
        elif self.model_note():
            self.message.emit(self.model_note(), "info")
        self._refresh()

    def model_changed(self) -> None:
        if self.act_mode.isChecked() and self.model_note():
            self.message.emit(self.model_note(), "info")
        self._refresh()

    def model_note(self) -> str:
        """What the user should know about how the current model follows hints ("" when it simply does)."""
        spec = MODELS.get(self._window.model())
        if spec is None or spec.takes_hints:
            return ""
        name = spec.display_name.split(" — ")[0]
        return (
            f"{name} has no hint input: ColorSphere spreads each point's colour over its result, up to the "
            "photo's edges. The built-in model and SIGGRAPH17 follow hints more closely."
        )

    def _refresh(self) -> None:
        points = self.points()
        on = self.act_mode.isChecked()
        self.overlay.set_points([(h.x, h.y, h.color) for h in points], self._selected if on else None)
        self.overlay.setVisible(on and self.act_show.isChecked())
        has_photo = self._entry is not None
        self.act_remove.setEnabled(on and self._selected is not None)
        self.act_clear.setEnabled(bool(points))
        self.act_export.setEnabled(bool(points))
        self.act_import.setEnabled(has_photo)
        self.act_mode.setEnabled(has_photo or on)
        self.panel.clear.setEnabled(bool(points))
        note = self.model_note()
        if not on:
            text = (
                f"{len(points)} point(s) guide this photo's colours. Press H to edit them."
                if points
                else "Press H, then click the photo where you know a colour."
            )
        else:
            text = (
                "Click the photo to place a point; drag a point to move it; right-click or Delete "
                "removes it. Ctrl+Z undoes."
            )
        self.panel.status.setText(f"{text}\n\n{note}" if note else text)

    def open_chooser(self) -> None:
        """The compact chooser beside the selected point, with the model's likely colours to come."""
        if self._selected is None:
            return
        hint = self.points()[self._selected]
        self.chooser.open_at(screen_points(self.view, hint.x, hint.y)[-1].toPoint(), hint.color)
        self._find_likely_colours()

    def _follow_selected(self) -> None:
        """After a zoom the chooser moves with its point."""
        if self.chooser.isVisible() and self._selected is not None:
            hint = self.points()[self._selected]
            self.chooser.place_beside(screen_points(self.view, hint.x, hint.y)[-1].toPoint())

    def _find_likely_colours(self) -> None:
        """Asked for once the chooser is open. The new colours come first and the suggestions once the
        photo is on screen at full resolution: two forward passes at once on two cores would make the
        next preview late, and a click during the full-resolution render cancels it but not a pass."""
        self._wants_suggestions = True
        if self._window.displaying():
            self._suggest_timer.start()  # at the latest; sooner when the full resolution is on screen
        else:
            self._suggest()

    def _after_shown(self, level: str) -> None:
        if level == FULL:
            self._suggest()

    def _suggest(self) -> None:
        self._suggest_timer.stop()
        if not self._wants_suggestions or self._selected is None or not self.chooser.isVisible():
            return
        self._wants_suggestions = False
        points = self.points()
        hint = points[self._selected]
        loaded, model = self._window.loaded, self._window.model()
        if self._suggesting is not None:
            self._suggesting.cancel()
        if loaded is None or model not in MODELS or not MODELS[model].has_distribution:
            self.chooser.set_suggestions(None, "This model suggests no colours: choose one below.")
            return
        others = points[: self._selected] + points[self._selected + 1 :]
        task = Task(
            "Finding likely colours",
            likely_colours_job(self._window.pool, loaded, model, self._window.device(), hint, others),
        )
        task.result.connect(lambda colours: self._likely_colours(task, colours))
        task.error.connect(lambda text: self.chooser.set_suggestions(None, f"No suggestions: {text}"))
        task.finished.connect(lambda: self._suggested(task))
        self._suggesting = task
        self._window.tracker.start(task)

    def _likely_colours(self, task: Task, colours: list[str]) -> None:
        if task is self._suggesting and self.chooser.isVisible():
            self.chooser.set_suggestions(colours)

    def _suggested(self, task: Task) -> None:
        if task is self._suggesting:
            self._suggesting = None

    def _new_colour(self, x: int, y: int) -> str:
        """The last colour chosen, else the colour the result shows there (the first point pins it)."""
        recent = self._recent.colours()
        if recent:
            return recent[0]
        image = self.view.after_image(FULL) or self.view.after_image(PREVIEW)
        if image is None:
            return FALLBACK_COLOUR
        size = self.view.photo_size()
        return image.pixelColor(x * image.width() // size.width(), y * image.height() // size.height()).name()

    # ================================================================ mouse
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is not self.view or not self.act_mode.isChecked() or not self.view.has_photo():
            return False
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress:
            return self._pressed(event)  # type: ignore[arg-type]
        if kind == QEvent.Type.MouseMove:
            return self._moved(event)  # type: ignore[arg-type]
        if kind == QEvent.Type.MouseButtonRelease:
            return self._released(event)  # type: ignore[arg-type]
        if kind == QEvent.Type.MouseButtonDblClick:
            return photo_pixel(self.view, event.position()) is not None  # type: ignore[attr-defined]
        return False

    def _hit(self, pos: QPointF) -> int | None:
        if not self.act_show.isChecked():
            return None
        return hit_test(self.view, [(h.x, h.y) for h in self.points()], pos)

    def _pressed(self, event: QMouseEvent) -> bool:
        pos = event.position()
        hit = self._hit(pos)
        if event.button() == Qt.MouseButton.RightButton:
            if hit is None:
                return False
            self.remove(hit)
            return True
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        if hit is not None:
            self._selected = hit
            self._dragging = (hit, self.points())
            self.view.setFocus()
            self._refresh()
            self.open_chooser()
            return True
        if self.view.near_divider(pos) or photo_pixel(self.view, pos) is None:
            return False
        self._press = pos
        self.view.setFocus()
        return True

    def _moved(self, event: QMouseEvent) -> bool:
        pos = event.position()
        if self._dragging is not None:
            index, _ = self._dragging
            pixel = photo_pixel(self.view, pos)
            if pixel is not None and self._entry is not None:
                points = list(self.points())
                old = points[index]
                points[index] = Hint(pixel[0], pixel[1], old.color, old.size)
                self._apply(self._entry.id, tuple(points), persist=False)  # live; one undo step on release
                self.chooser.hide()
            return True
        if self._press is not None:
            if (pos - self._press).manhattanLength() <= CLICK_SLOP_PX:
                return True
            press = QMouseEvent(  # it was a drag: hand the view its press, and it pans as usual
                QEvent.Type.MouseButtonPress,
                self._press,
                self.view.mapToGlobal(self._press),
                Qt.MouseButton.LeftButton,
                Qt.MouseButton.LeftButton,
                event.modifiers(),
            )
            self._press = None
            self.view.mousePressEvent(press)
            return False
        if event.buttons() != Qt.MouseButton.NoButton or self.view.near_divider(pos):
            return False
        if self._hit(pos) is not None:
            self.view.setCursor(Qt.CursorShape.PointingHandCursor)
        elif photo_pixel(self.view, pos) is not None:
            self.view.setCursor(Qt.CursorShape.CrossCursor)
        else:
            return False
        return True

    def _released(self, event: QMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        if self._dragging is not None:
            index, before = self._dragging
            self._dragging = None
            if self.points() != before:
                self._push(self.points(), "Move hint point", before=before)
                self.open_chooser()
            return True
        if self._press is not None:
            pos, self._press = self._press, None
            pixel = photo_pixel(self.view, pos)
            if pixel is not None:
                self.add(pixel[0], pixel[1], self._new_colour(*pixel))
                self.open_chooser()
            return True
        return False


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
