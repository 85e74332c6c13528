"""Hint mode driven as a user would: click on the photo, drag, remove, undo, files, batch.

The fake network colours the whole photo with its model's colour and each hint's colour over a disc
around the hint's point (tests/ui/fakes.py), so a hint's effect is visible exactly where it was placed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import QApplication, QColorDialog, QFileDialog

from colorsphere_gui.core.hints import Hint, load_hints, save_hints
from colorsphere_gui.ui.colour_chooser import RecentColours
from colorsphere_gui.ui.compare_view import FULL
from colorsphere_gui.ui.hint_overlay import screen_points
from colorsphere_gui.ui.hint_store import HintStore, content_key

from .fakes import LIKELY, from_qimage, grey_image

WAIT_MS = 15000
BLUE = "#2050d0"
SIZE = (300, 200)


def open_and_colorize(window, qtbot, path: Path) -> None:
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.open_paths([path])


def after_rgb(window, x: int, y: int) -> np.ndarray:
    """The colorized result's pixel at photo pixel (x, y), as int RGB."""
    return from_qimage(window.view.after_image(FULL))[y, x].astype(int)


def on_screen_rgb(window, pos: QPoint) -> np.ndarray:
    shot = window.view.grab().toImage()
    ratio = shot.devicePixelRatio()
    return from_qimage(shot)[round(pos.y() * ratio), round(pos.x() * ratio)].astype(int)


def is_blue(rgb: np.ndarray) -> bool:
    return rgb[2] > rgb[0] + 20


def is_warm(rgb: np.ndarray) -> bool:
    return rgb[0] > rgb[2] + 20


def at(window, x: int, y: int) -> QPoint:
    """Where photo pixel (x, y) is on screen."""
    return screen_points(window.view, x, y)[0].toPoint()


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    return grey_image(tmp_path / "scan.png", size=SIZE)


@pytest.fixture
def hinting(window, qtbot, photo):
    """The photo colorized, the whole view showing 'after', hint mode on, blue as the last colour."""
    RecentColours(window.settings.store).add(BLUE)
    open_and_colorize(window, qtbot, photo)
    window.view.set_divider(0.0)
    qtbot.keyClick(window.view, Qt.Key.Key_H)
    assert window.hint_mode.act_mode.isChecked()
    return window


def click(window, qtbot, pos: QPoint, button=Qt.MouseButton.LeftButton) -> None:
    """A click that changes the points: wait until the photo is colorized again."""
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        qtbot.mouseClick(window.view, button, pos=pos)


def test_clicking_places_a_point_and_the_photo_takes_its_colour_there(hinting, qtbot):
    window = hinting
    assert is_warm(after_rgb(window, 150, 100)), "the fake model colours the photo warm"
    click(window, qtbot, at(window, 150, 100))
    assert window.hint_mode.points() == (Hint(150, 100, BLUE),)
    assert is_blue(after_rgb(window, 150, 100)), "the result takes the hint's colour at the point"
    assert is_warm(after_rgb(window, 20, 20)), "and keeps the model's colour away from it"
    # On screen: the point is a ring filled with its colour, and the photo is blue just beside it too.
    ring = on_screen_rgb(window, at(window, 150, 100))
    assert np.abs(ring - np.array(QColor(BLUE).getRgb()[:3])).max() <= 3
    assert is_blue(on_screen_rgb(window, at(window, 150, 100) + QPoint(16, 0)))
    assert window.hint_mode.chooser.isVisible(), "the colour chooser opens beside the new point"


def test_the_chooser_offers_the_models_likely_colours_and_recolours_the_point(hinting, qtbot, monkeypatch):
    window = hinting
    click(window, qtbot, at(window, 150, 100))
    chooser = window.hint_mode.chooser
    qtbot.waitUntil(lambda: chooser.likely.colours() == list(LIKELY), timeout=WAIT_MS)
    assert chooser.recent_row.colours()[0] == BLUE
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        qtbot.mouseClick(chooser.likely.buttons[1], Qt.MouseButton.LeftButton)  # "#c8a040", a yellow
    assert window.hint_mode.points()[0].color == LIKELY[1]
    rgb = after_rgb(window, 150, 100)
    assert rgb[0] > rgb[2] + 20 and rgb[1] > rgb[2] + 20, "yellow now"
    assert RecentColours(window.settings.store).colours()[0] == LIKELY[1], "remembered as recent"
    monkeypatch.setattr(QColorDialog, "getColor", lambda *a, **k: QColor("#10a020"))
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        qtbot.mouseClick(chooser.more, Qt.MouseButton.LeftButton)
    assert window.hint_mode.points()[0].color == "#10a020"
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.hint_mode.act_undo.trigger()
    assert window.hint_mode.points()[0].color == LIKELY[1], "a colour change is one undo step"


def test_dragging_a_point_moves_it_in_one_undoable_step(hinting, qtbot):
    window = hinting
    view = window.view
    click(window, qtbot, at(window, 60, 100))
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=at(window, 60, 100))
        qtbot.mouseMove(view, at(window, 150, 120))
        qtbot.mouseMove(view, at(window, 240, 100))
        qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=at(window, 240, 100))
    qtbot.waitUntil(lambda: not window.tracker.busy(), timeout=WAIT_MS)
    (moved,) = window.hint_mode.points()
    assert (moved.x, moved.y) == (240, 100)
    assert is_blue(after_rgb(window, 240, 100))
    assert is_warm(after_rgb(window, 60, 100)), "the old place has the model's colour again"
    stack = window.hint_mode.group.activeStack()
    assert [stack.text(i) for i in range(stack.count())] == ["Add hint point", "Move hint point"]


def test_right_click_and_delete_remove_points(hinting, qtbot):
    window = hinting
    click(window, qtbot, at(window, 60, 60))
    click(window, qtbot, at(window, 220, 140))
    assert len(window.hint_mode.points()) == 2
    click(window, qtbot, at(window, 60, 60), Qt.MouseButton.RightButton)
    assert window.hint_mode.points() == (Hint(220, 140, BLUE),)
    assert is_warm(after_rgb(window, 60, 60))
    qtbot.mouseClick(window.view, Qt.MouseButton.LeftButton, pos=at(window, 220, 140))  # select it
    assert window.hint_mode.selected() == 0
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert window.hint_mode.points() == ()
    assert is_warm(after_rgb(window, 220, 140))


def test_undo_restores_the_previous_result_and_redo_applies_it_again(hinting, qtbot):
    window = hinting
    click(window, qtbot, at(window, 150, 100))
    assert is_blue(after_rgb(window, 150, 100))
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.hint_mode.points() == ()
    assert is_warm(after_rgb(window, 150, 100)), "undo brings back the colours without the point"
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        qtbot.keyClick(
            window.view,
            Qt.Key.Key_Z,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
    assert window.hint_mode.points() == (Hint(150, 100, BLUE),)
    assert is_blue(after_rgb(window, 150, 100))


def test_clear_all_is_one_undoable_edit(hinting, qtbot):
    window = hinting
    click(window, qtbot, at(window, 60, 60))
    click(window, qtbot, at(window, 220, 140))
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        qtbot.mouseClick(window.hint_mode.panel.clear, Qt.MouseButton.LeftButton)
    assert window.hint_mode.points() == ()
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.hint_mode.act_undo.trigger()
    assert len(window.hint_mode.points()) == 2


def test_divider_pan_and_zoom_keep_working_in_hint_mode(hinting, qtbot):
    window = hinting
    view = window.view
    view.set_divider(0.5)
    y = view.height() // 3
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(round(view.divider_x()), y))
    qtbot.mouseMove(view, QPoint(view.width() // 4, y))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(view.width() // 4, y))
    assert view.divider() == pytest.approx(0.25, abs=0.02)
    scale = view.scale()
    centre = QPointF(view.rect().center())
    wheel = QWheelEvent(
        centre,
        view.mapToGlobal(centre),
        QPoint(),
        QPoint(0, 120 * 4),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view, wheel)
    assert view.scale() > scale * 2, "the wheel zooms"
    before = view.center()
    start = QPoint(view.width() * 3 // 4, view.height() // 2)
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view, start + QPoint(40, 30))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=start + QPoint(40, 30))
    assert view.center() != before, "a drag on the photo pans"
    assert window.hint_mode.points() == (), "and places no point"
    assert not window.hint_mode.group.activeStack().canUndo()


def test_points_can_be_hidden(hinting, qtbot):
    window = hinting
    click(window, qtbot, at(window, 150, 100))
    assert window.hint_mode.overlay.isVisible()
    window.hint_mode.panel.show_points.click()
    assert not window.hint_mode.overlay.isVisible()
    assert window.hint_mode.points(), "hiding the points keeps them"


def test_hints_come_back_when_the_photo_is_opened_again(
    hinting, qtbot, qsettings, network, catalog, photo, tmp_path
):
    from colorsphere_gui.ui.main_window import MainWindow

    click(hinting, qtbot, at(hinting, 150, 100))
    copy = tmp_path / "moved" / "renamed.png"
    copy.parent.mkdir()
    copy.write_bytes(photo.read_bytes())
    later = MainWindow(settings=qsettings, colorizer_factory=network.factory, catalog=catalog)
    qtbot.addWidget(later)
    later.resize(1100, 760)
    later.show()
    try:
        open_and_colorize(later, qtbot, copy)  # the same content under another name
        later.view.set_divider(0.0)
        assert later.hint_mode.points() == (Hint(150, 100, BLUE),)
        assert is_blue(after_rgb(later, 150, 100)), "the first colorization already follows them"
        assert not later.hint_mode.group.activeStack().canUndo(), "restored points are not an edit"
    finally:
        later.tracker.cancel_all()
        later.tracker.wait_all()


def test_a_damaged_saved_file_is_reported_and_the_photo_still_opens(window, qtbot, photo):
    store = HintStore()
    store.folder.mkdir(parents=True)
    store.path(content_key(photo)).write_text("{not json")
    open_and_colorize(window, qtbot, photo)
    assert window.hint_mode.points() == ()
    assert "saved hints of scan.png could not be used" in window.notice.text()


def test_export_then_import_round_trips_through_a_sidecar(hinting, qtbot, monkeypatch, photo):
    window = hinting
    click(window, qtbot, at(window, 60, 60))
    click(window, qtbot, at(window, 220, 140))
    offered = {}

    def save_name(parent, caption, start, *args, **kwargs):
        offered["start"] = start
        return start, ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_name)
    window.hint_mode.act_export.trigger()
    sidecar = photo.parent / "scan.png.hints.json"
    assert offered["start"] == str(sidecar), "offered beside the photo, under its full file name"
    assert load_hints(sidecar, *SIZE) == [Hint(60, 60, BLUE), Hint(220, 140, BLUE)]
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.hint_mode.act_clear.trigger()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(sidecar), ""))
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.hint_mode.act_import.trigger()
    assert window.hint_mode.points() == (Hint(60, 60, BLUE), Hint(220, 140, BLUE))
    assert is_blue(after_rgb(window, 220, 140))


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ('{"points": [{"x": 10, ', "not valid JSON"),
        (json.dumps({"points": [{"x": 900, "y": 10, "color": "#a05030"}]}), "outside the photo"),
        (json.dumps({"points": [{"x": 10, "y": 10, "color": "reddish"}]}), "#rrggbb"),
        (json.dumps({"dots": []}), "points"),
    ],
)
def test_importing_a_bad_sidecar_says_what_is_wrong_and_changes_nothing(
    hinting, qtbot, monkeypatch, network, tmp_path, content, says
):
    window = hinting
    click(window, qtbot, at(window, 150, 100))
    bad = tmp_path / "broken.png.hints.json"
    bad.write_text(content)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    qtbot.waitUntil(lambda: not window.tracker.busy(), timeout=WAIT_MS)  # the chooser's suggestions too
    calls = len(network.calls)
    window.hint_mode.act_import.trigger()
    text = window.notice.text()
    assert "Import Hints could not use broken.png.hints.json" in text
    assert says in text
    assert window.hint_mode.points() == (Hint(150, 100, BLUE),), "the points are untouched"
    assert window.isVisible()
    qtbot.wait(50)
    assert len(network.calls) == calls and not window.tracker.busy(), "nothing was colorized again"


def test_a_model_without_hint_input_is_named_in_the_panel(hinting):
    status = hinting.hint_mode.panel.status.text()
    assert "ECCV16 has no hint input" in status, "the fake catalog's eccv16 is the real registry's"


def test_edits_are_saved_for_next_time_as_they_happen(hinting, qtbot, photo):
    window = hinting
    click(window, qtbot, at(window, 150, 100))
    saved = HintStore().path(content_key(photo))
    assert load_hints(saved, *SIZE) == [Hint(150, 100, BLUE)]
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.hint_mode.act_undo.trigger()
    assert not saved.exists(), "no points left: nothing kept"
    save_hints(saved, [Hint(1, 1, BLUE)])  # a file from an older session is replaced by the next edit
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.hint_mode.act_redo.trigger()
    assert load_hints(saved, *SIZE) == [Hint(150, 100, BLUE)]


def test_the_batch_colorizes_each_photo_with_its_saved_points(window, qtbot, tmp_path):
    src, dest = tmp_path / "scans", tmp_path / "restored"
    src.mkdir()
    hinted = grey_image(src / "hinted.png", size=SIZE)
    grey_image(src / "plain.png", size=(320, 200))  # other content: no points of its own
    HintStore().write(content_key(hinted), [Hint(150, 100, BLUE)])
    window.open_batch()
    dialog = window.batch_dialog
    dialog.source.setText(str(src))
    dialog.dest.setText(str(dest))
    with qtbot.waitSignal(dialog.batch_finished, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert is_blue(np.asarray(Image.open(dest / "hinted.png").convert("RGB"))[100, 150].astype(int))
    assert is_warm(np.asarray(Image.open(dest / "plain.png").convert("RGB"))[100, 150].astype(int))
    HintStore().write(content_key(hinted), [Hint(150, 100, "#20c040")])  # the user changed the point
    with qtbot.waitSignal(dialog.batch_finished, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert "up to date" in dialog.row_status("plain.png")[1], "resumed: the photo without points is kept"
    assert "up to date" not in dialog.row_status("hinted.png")[1], "changed points redo the photo"
    r, g, b = np.asarray(Image.open(dest / "hinted.png").convert("RGB"))[100, 150].astype(int)
    assert g > r + 20 and g > b + 20, "green now"


def test_a_batch_photo_with_damaged_saved_points_fails_alone(window, qtbot, tmp_path):
    src, dest = tmp_path / "scans", tmp_path / "restored"
    src.mkdir()
    damaged = grey_image(src / "damaged.png", size=SIZE)
    grey_image(src / "plain.png", size=(320, 200))
    store = HintStore()
    store.write(content_key(damaged), [Hint(1, 1, BLUE)])
    store.path(content_key(damaged)).write_text("{oops")
    window.open_batch()
    dialog = window.batch_dialog
    dialog.source.setText(str(src))
    dialog.dest.setText(str(dest))
    with qtbot.waitSignal(dialog.batch_finished, timeout=WAIT_MS) as finished:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    status, details = dialog.row_status("damaged.png")
    assert status == "failed" and "not valid JSON" in details
    assert dialog.row_status("plain.png")[0] == "done"
    assert finished.args[0].count("done") == 1
