"""Issue 19's defects, each driven as the user met it: menus, toolbar, keys, prompts answered with Enter.

A slot that raises fails the test: pytest-qt captures exceptions raised in Qt virtual methods and slots
(qt_no_exception_capture is not set anywhere), which is how "Actual Pixels prints a traceback" shows.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QToolBar,
    QToolButton,
    QWidget,
)

from colorsphere_gui.ui.photos import State
from colorsphere_gui.ui.status import shorten_at_word
from colorsphere_gui.ui.wording import gui_words

from .conftest import REAL_QUESTION
from .fakes import chroma, from_qimage, grey_image

WAIT_MS = 15000
LONG = "Familienarchiv_Hochzeit_Mueller-Schmidt_1923_Abzug_Nr_0042_beschaedigt_Rueckseite"  # 82 chars


@pytest.fixture
def real_prompt(monkeypatch, questions):
    """The test's first question is a real message box; later ones (closing the window at teardown)
    are answered by the conftest's stand-in, so that no real box is left to block the run."""
    stand_in = QMessageBox.question
    asked: list[bool] = []

    def question(*args, **kwargs):
        if asked:
            return stand_in(*args, **kwargs)
        asked.append(True)
        return REAL_QUESTION(*args, **kwargs)

    monkeypatch.setattr(QMessageBox, "question", question)
    questions.answer = QMessageBox.StandardButton.Discard


def open_and_colorize(window, qtbot, path: Path) -> None:
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.open_paths([path])


def all_done(window) -> bool:
    return bool(window.entries) and all(e.state(e.model or "eccv16") is State.DONE for e in window.entries)


@dataclass
class Prompt:
    title: str
    buttons: list[QMessageBox.StandardButton]
    default: QMessageBox.StandardButton


def answer_next_prompt_with_enter(qtbot, seen: list[Prompt]) -> None:
    """Press Enter in the next message box that opens (as a user does out of habit)."""

    def press() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            buttons = [box.standardButton(b) for b in box.buttons()]
            seen.append(Prompt(box.windowTitle(), buttons, box.standardButton(box.defaultButton())))
            qtbot.keyClick(box, Qt.Key.Key_Return)
        else:
            QTimer.singleShot(20, press)

    QTimer.singleShot(20, press)


def toolbar_button(window, action) -> QToolButton:
    toolbar = window.findChild(QToolBar, "main-toolbar")
    button = toolbar.widgetForAction(action)
    assert isinstance(button, QToolButton), f"{action.text()} is on the toolbar"
    return button


def menu_action(window, menu_title: str, text_start: str):
    for menu_action_ in window.menuBar().actions():
        if menu_action_.text().replace("&", "") == menu_title:
            for action in menu_action_.menu().actions():
                if action.text().replace("&", "").startswith(text_start):
                    return action
    raise AssertionError(f"{menu_title} > {text_start}… is in the menu")


# ---------------------------------------------------------------------- 1. Actual Pixels
@pytest.mark.parametrize("how", ["menu", "toolbar", "shortcut"])
def test_actual_pixels_from_menu_toolbar_and_ctrl_1_zooms_to_100_percent(window, qtbot, tmp_path, how):
    open_and_colorize(window, qtbot, grey_image(tmp_path / "scan.png", size=(2400, 1600)))
    assert window.view.zoom_percent() < 60, "a large photo starts fitted"
    if how == "menu":
        menu_action(window, "View", "Actual Pixels").trigger()
    elif how == "toolbar":
        qtbot.mouseClick(toolbar_button(window, window.act_actual), Qt.MouseButton.LeftButton)
    else:
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)
        window.strength_panel.slider.setFocus()  # shortcuts work wherever the focus is
        qtbot.keyClick(window.strength_panel.slider, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.view.zoom_percent() == pytest.approx(100.0)
    assert window.zoom_label.text() == "Zoom 100 %"
    window.act_fit.trigger()
    assert window.view.zoom_percent() < 60


# ---------------------------------------------------------------------- 2. long names, small window
def _outside(child: QWidget, window) -> QRect | None:
    rect = QRect(child.mapTo(window, QPoint(0, 0)), child.size())
    return None if window.rect().contains(rect) else rect


def test_long_file_names_at_the_minimum_size_keep_every_control_inside_the_window(window, qtbot, tmp_path):
    names = [f"{LONG}_{i}.png" for i in range(3)]
    for name in names:
        grey_image(tmp_path / name)
    window.open_paths([tmp_path / n for n in names])
    qtbot.waitUntil(lambda: all_done(window), timeout=WAIT_MS)
    window.show_notice(f"Could not read {tmp_path / names[0]}: it is damaged", "warning")
    window.resize(window.minimumSize())
    qtbot.waitUntil(lambda: window.size() == window.minimumSize(), timeout=WAIT_MS)
    QApplication.processEvents()

    panel = window.side_panel
    assert panel.width() <= window.width() // 3 + 10, "the side panel leaves the photo most of the width"
    viewport = QRect(panel.viewport().mapTo(window, QPoint(0, 0)), panel.viewport().size())
    side_controls = [
        w
        for w in panel.widget().findChildren(QWidget)
        if w.isVisible() and isinstance(w, (QAbstractButton, QComboBox, QLabel))
    ]
    assert side_controls
    for control in side_controls:  # the panel scrolls vertically: only left and right must fit
        rect = QRect(control.mapTo(window, QPoint(0, 0)), control.size())
        inside = viewport.left() <= rect.left() and rect.right() <= viewport.right()
        assert inside, f"{control.accessibleName() or control.text()} is cut off: {rect} in {viewport}"
        if isinstance(control, QComboBox):
            assert control.width() >= control.minimumSizeHint().width(), "the combo's arrow is shown"
        if isinstance(control, QLabel) and not control.wordWrap() and control.text():
            assert control.fontMetrics().horizontalAdvance(control.text()) <= control.width() + 2
    for widget in (window.menuBar(), window.statusBar(), window.notice, window.view, window.strip, panel):
        assert _outside(widget, window) is None, widget.accessibleName()
    for widget in window.statusBar().findChildren(QLabel):
        assert _outside(widget, window) is None, widget.accessibleName()
    assert LONG in window.photo_panel.details.text().replace("\u200b", "")


def test_the_side_panel_can_be_hidden_for_the_whole_width(window, qtbot, tmp_path):
    open_and_colorize(window, qtbot, grey_image(tmp_path / "scan.png"))
    window.resize(window.minimumSize())
    menu_action(window, "View", "Side Panel").trigger()
    assert not window.side_panel.isVisible()
    qtbot.waitUntil(lambda: window.view.width() > window.width() * 0.9, timeout=WAIT_MS)
    window.act_panel.trigger()
    assert window.side_panel.isVisible()


# ---------------------------------------------------------------------- 3. prompts default to safe
def test_enter_on_replace_file_keeps_the_file(window, qtbot, tmp_path, monkeypatch, real_prompt):
    open_and_colorize(window, qtbot, grey_image(tmp_path / "scan.png"))
    other = tmp_path / "grandma.png"
    other.write_bytes(b"a scan that was not open in the app")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(other), "PNG (*.png)"))
    seen: list[Prompt] = []
    answer_next_prompt_with_enter(qtbot, seen)
    window.act_save_as.trigger()
    assert seen and "Replace" in seen[0].title
    assert seen[0].default == QMessageBox.StandardButton.No
    assert other.read_bytes() == b"a scan that was not open in the app"
    assert not window.tracker.busy()


def test_enter_on_the_quit_prompt_keeps_the_window_and_save_all_is_offered(
    window, qtbot, tmp_path, real_prompt
):
    open_and_colorize(window, qtbot, grey_image(tmp_path / "scan.png"))
    seen: list[Prompt] = []
    answer_next_prompt_with_enter(qtbot, seen)
    window.close()
    assert seen, "quitting with an unsaved result asks"
    assert window.isVisible(), "Enter does not discard the unsaved work"
    assert QMessageBox.StandardButton.SaveAll in seen[0].buttons
    assert seen[0].default == QMessageBox.StandardButton.Cancel


def test_save_all_from_the_quit_prompt_saves_then_quits(window, qtbot, tmp_path, monkeypatch, questions):
    open_and_colorize(window, qtbot, grey_image(tmp_path / "scan.png"))
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(out))
    questions.answer = QMessageBox.StandardButton.SaveAll
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    assert (out / "scan-colour.png").is_file()


# ---------------------------------------------------------------------- 4. zoom apart from progress
def test_zoom_is_labelled_and_kept_apart_from_the_progress_bar(window, qtbot, tmp_path, network):
    open_and_colorize(window, qtbot, grey_image(tmp_path / "scan.png", size=(2400, 1600)))
    assert window.zoom_label.text().startswith("Zoom ")
    network.gate = threading.Event()
    window.recolorize()
    qtbot.waitUntil(network.entered.is_set, timeout=WAIT_MS)
    qtbot.waitUntil(window.progress.isVisible, timeout=WAIT_MS)
    zoom, device, progress = (w.geometry() for w in (window.zoom_label, window.device_label, window.progress))
    assert zoom.right() < device.left() and device.right() < progress.left(), "the device sits between"
    network.gate.set()
    qtbot.waitUntil(lambda: not window.tracker.busy(), timeout=WAIT_MS)


# ---------------------------------------------------------------------- 5. Esc cancels only the current work
def test_escape_cancels_the_current_photo_and_later_photos_still_colorize(window, qtbot, network, tmp_path):
    photos = [grey_image(tmp_path / f"{c}.png") for c in "abc"]
    network.gate = threading.Event()
    window.open_paths(photos)
    qtbot.waitUntil(network.entered.is_set, timeout=WAIT_MS)
    window.act_cancel.trigger()
    network.gate.set()
    first, *later = window.entries
    qtbot.waitUntil(lambda: all(e.state("eccv16") is State.DONE for e in later), timeout=WAIT_MS)
    assert first.state("eccv16") is not State.DONE, "the cancelled photo is not redone by itself"
    assert "F5" in window.strip.item_of(first.id).toolTip()
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.act_recolorize.trigger()  # F5 colorizes the cancelled one
    assert first.state("eccv16") is State.DONE


# ---------------------------------------------------------------------- 6. unreadable file
def test_an_unreadable_file_says_what_is_wrong_instead_of_the_drop_invitation(window, qtbot, tmp_path):
    open_and_colorize(window, qtbot, grey_image(tmp_path / "good.png"))
    assert window.zoom_label.text()
    bad = tmp_path / "damaged.png"
    bad.write_bytes(b"this is not a PNG at all")
    window.open_paths([bad])
    qtbot.waitUntil(lambda: window.view.problem() is not None, timeout=WAIT_MS)
    assert not window.view.shows_invitation()
    title, detail = window.view.problem()
    assert "damaged.png" in title and detail
    assert "damaged.png" in window.notice.text()
    assert "Cannot be opened" in window.photo_panel.details.text()
    assert window.zoom_label.text() == "", "no zoom left over from the photo shown before"
    assert not window.act_actual.isEnabled()


# ---------------------------------------------------------------------- 7. the window's words
@pytest.mark.parametrize(
    "core_message",
    [
        "a.png: already in colour (chroma 12.0); use --include-colour to recolorize",
        "/out/a.png already exists and was not written by ColorSphere; move it away or use --overwrite",
        "weights of eccv16 not found: no x.pth in /a, /b; run `colorsphere models download eccv16` or "
        "`colorsphere models import eccv16 FILE`",
        "cannot download eccv16 from https://x/y.pth: [Errno -2] Name or service not known; check the "
        "connection and run `colorsphere models download eccv16` again (it resumes), or fetch the file "
        "another way and run `colorsphere models import eccv16 FILE`",
        "/w.pth does not fit model eccv16: missing a; this looks like siggraph17 weights "
        "(`colorsphere models import siggraph17 /w.pth`); replace it: reinstall ColorSphere or run "
        "`colorsphere models import eccv16 FILE`",
        "no CUDA GPU is available (or its driver is not loaded): use --device cpu or auto",
        "/a: cannot read: [Errno 13] Permission denied",
    ],
)
def test_core_messages_are_shown_in_the_windows_words(core_message):
    text = gui_words(core_message)
    assert " --" not in text and "`" not in text and "colorsphere models" not in text
    assert "[Errno" not in text


def test_the_notice_bar_says_plainly_that_earlier_messages_were_replaced(window):
    window.show_notice("first problem")
    window.show_notice("second problem")
    window.show_notice("third problem")
    assert "third problem" in window.notice.text()
    assert "2 earlier messages replaced by this one" in window.notice.text()


def test_a_failed_download_keeps_its_download_and_import_buttons(window, qtbot, catalog, tmp_path):
    def fail(name, progress, cancel):
        from colorsphere_gui.models.weights import WeightsError

        raise WeightsError(
            f"cannot download {name} from https://x/{name}.pth: [Errno -2] Name or service not known; "
            f"check the connection and run `colorsphere models download {name}` again (it resumes), or "
            f"fetch the file another way and run `colorsphere models import {name} FILE`"
        )

    catalog.download = fail
    window.model_panel.set_current("siggraph17")
    qtbot.mouseClick(window.model_panel.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "cannot download" in window.notice.text(), timeout=WAIT_MS)
    text = window.notice.text()
    assert "[Errno" not in text and "colorsphere models" not in text
    assert "Download" in window.notice.buttons() and "Import file…" in window.notice.buttons()


# ---------------------------------------------------------------------- 10. Page Down / Page Up
@pytest.mark.parametrize("focus", ["view", "strip", "slider", "model"])
def test_page_down_and_up_go_to_the_next_and_previous_photo_wherever_the_focus_is(
    window, qtbot, tmp_path, focus
):
    photos = [grey_image(tmp_path / f"{c}.png") for c in "abc"]
    window.open_paths(photos)
    qtbot.waitUntil(lambda: all_done(window), timeout=WAIT_MS)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)
    target = {
        "view": window.view,
        "strip": window.strip,
        "slider": window.strength_panel.slider,
        "model": window.model_panel.combo,
    }[focus]
    first = window.current
    target.setFocus()
    value = window.strength_panel.slider.value()
    qtbot.keyClick(target, Qt.Key.Key_PageDown)
    assert window.current is window.entries[1]
    target.setFocus()  # showing a photo gives the view the focus
    qtbot.keyClick(target, Qt.Key.Key_PageUp)
    assert window.current is first
    assert window.strength_panel.slider.value() == value, "the key went to the photos, not the slider"
    assert not window.act_previous.isEnabled() and window.act_next.isEnabled()


# ---------------------------------------------------------------------- 12. the smaller ones
def test_view_actions_are_disabled_until_a_photo_is_shown(window, qtbot, tmp_path):
    for action in (window.act_fit, window.act_actual, window.act_side, window.act_original):
        assert not action.isEnabled(), action.text()
    assert not window.hold_button.isEnabled()
    open_and_colorize(window, qtbot, grey_image(tmp_path / "scan.png"))
    for action in (window.act_fit, window.act_actual, window.act_side, window.act_original):
        assert action.isEnabled(), action.text()
    assert window.hold_button.isEnabled()


def test_status_messages_are_shortened_at_a_word_never_cut_through_one(window, qtbot):
    window.resize(window.minimumSize())
    qtbot.waitUntil(lambda: window.size() == window.minimumSize(), timeout=WAIT_MS)
    words = [f"word{i:03d}" for i in range(80)]
    window.statusBar().showMessage(" ".join(words))
    QApplication.processEvents()
    bar = window.statusBar()
    shown = QStatusBarText.of(bar)
    assert shown.endswith("…")
    assert all(w in words for w in shown[:-1].split(" ")), "only whole words are shown"
    assert bar.fontMetrics().horizontalAdvance(shown) <= bar.message_width()
    assert bar.currentMessage() == " ".join(words) and bar.toolTip() == " ".join(words)


class QStatusBarText:
    @staticmethod
    def of(bar) -> str:
        """What the bar draws: QStatusBar's own currentMessage, under the full-text override."""
        return type(bar).__mro__[1].currentMessage(bar)


def test_shorten_at_word_keeps_whole_words():
    assert shorten_at_word("one two three", lambda t: len(t) <= 9) == "one two…"
    assert shorten_at_word("one two", lambda t: True) == "one two"
    assert shorten_at_word("unbreakable", lambda t: len(t) <= 3) == ""


def test_a_message_led_by_a_long_file_name_keeps_its_start_and_end(window, qtbot):
    window.resize(window.minimumSize())
    qtbot.waitUntil(lambda: window.size() == window.minimumSize(), timeout=WAIT_MS)
    window.statusBar().showMessage(f"{LONG}.jpg: colorized with ColorSphere built-in.")
    shown = QStatusBarText.of(window.statusBar())
    assert shown.startswith(LONG[:6]) and "…" in shown and shown.endswith("built-in.")
    window.statusBar().showMessage(f"Colorizing {LONG}.tif…")
    shown = QStatusBarText.of(window.statusBar())
    assert shown.startswith("Colorizing Famil") and shown.endswith(".tif…"), "the name is not dropped"


def test_a_grey_thumbnail_at_strength_zero(window, qtbot, tmp_path):
    open_and_colorize(window, qtbot, grey_image(tmp_path / "scan.png"))
    entry = window.current
    assert chroma(entry.thumb).max() > 10
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.strength_panel.slider.setValue(0)
    qtbot.waitUntil(lambda: chroma(entry.thumb).max() <= 2, timeout=WAIT_MS)


def test_reopening_a_folder_leaves_out_earlier_results_and_save_all_never_doubles_the_suffix(
    window, qtbot, tmp_path, monkeypatch
):
    folder = tmp_path / "box"
    folder.mkdir()
    grey_image(folder / "scan.png")
    grey_image(folder / "scan-colour.png")  # saved next to it in an earlier session
    grey_image(folder / "other-colour.png")  # no scan of that name: a photo in its own right
    with qtbot.waitSignal(window.photos_added, timeout=WAIT_MS) as added:
        window.open_paths([folder])
    assert sorted(window.entry(i).name for i in added.args[0]) == ["other-colour.png", "scan.png"]
    assert "scan-colour.png" in window.notice.text()
    qtbot.waitUntil(lambda: all_done(window), timeout=WAIT_MS)
    out = tmp_path / "new" / "folder"  # typed into the dialog: not there yet
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(out))
    with qtbot.waitSignal(window.saved, timeout=WAIT_MS) as saved:
        window.act_save_all.trigger()
    assert sorted(p.name for p in saved.args[0]) == ["other-colour-2.png", "scan-colour.png"]
    assert not list(tmp_path.rglob("*-colour-colour*"))


def test_open_recent_lists_folders_and_not_files_that_failed(window, qtbot, tmp_path):
    folder = tmp_path / "album"
    folder.mkdir()
    grey_image(folder / "good.png")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a picture")
    window.open_paths([folder])
    qtbot.waitUntil(lambda: all_done(window), timeout=WAIT_MS)
    window.open_paths([bad])
    qtbot.waitUntil(lambda: window.view.problem() is not None, timeout=WAIT_MS)
    window.recent_menu.aboutToShow.emit()
    labels = [a.text() for a in window.recent_menu.actions() if a.text()]
    assert "album (folder)" in labels and "good.png" in labels
    assert "bad.png" not in labels


def test_save_as_onto_an_open_photo_asks_again_instead_of_giving_up(window, qtbot, tmp_path, monkeypatch):
    source = grey_image(tmp_path / "scan.png")
    open_and_colorize(window, qtbot, source)
    original = source.read_bytes()
    answers = [str(source), str(tmp_path / "chosen.png")]
    offered: list[str] = []

    def dialog(parent, caption, start, *args):
        offered.append(start)
        return answers.pop(0), "PNG (*.png)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    with qtbot.waitSignal(window.saved, timeout=WAIT_MS):
        window.act_save_as.trigger()
    assert len(offered) == 2, "the dialog came back after the refusal"
    assert Path(offered[1]).name == "scan-colour.png"
    assert (tmp_path / "chosen.png").is_file() and source.read_bytes() == original
    assert "never overwrites originals" in window.notice.text()


def test_every_downloadable_model_says_its_download_size():
    from colorsphere_gui.models.registry import MODELS
    from colorsphere_gui.ui.catalog import ModelCatalog

    catalog = ModelCatalog()
    for name, spec in MODELS.items():
        if spec.url is not None:
            size = catalog.download_size(name)
            assert size is not None and size > 1e6, name
    assert 125e6 < catalog.download_size("eccv16") < 135e6  # the official file is about 129 MB


def test_model_status_and_about_show_no_path_inside_the_source_repository(window, qtbot):
    from colorsphere_gui.ui.about import about_dialog
    from colorsphere_gui.ui.catalog import ModelCatalog

    statuses = ModelCatalog().statuses()  # the real registry: the built-in model's texts cite the card
    assert any("docs/" in s.licence + s.citation for s in statuses)
    dialog = about_dialog(statuses, window)
    qtbot.addWidget(dialog)
    assert "docs/" not in dialog.browser.toPlainText()
    for status in statuses:
        assert "docs/" not in gui_words(status.licence)


def strip_icon(window, entry):
    """The thumbnail the strip shows for `entry`, as an image."""
    return window.strip.item_of(entry.id).icon().pixmap(96, 96).toImage()


def test_waiting_photos_show_their_scan_not_a_blank_square(window, qtbot, network, tmp_path):
    network.gate = threading.Event()
    window.open_paths([grey_image(tmp_path / f"{c}.png", size=(120, 90)) for c in "abcd"])
    qtbot.waitUntil(lambda: len(window.entries) == 4, timeout=WAIT_MS)
    waiting = window.entries[1:]
    qtbot.waitUntil(lambda: all(e.scan_thumb is not None for e in waiting), timeout=WAIT_MS)
    for entry in waiting:
        assert entry.state("eccv16") in (State.WAITING, State.WORKING)
        shown = from_qimage(strip_icon(window, entry)).astype(int)
        assert shown.std() > 10, "the scan's ramp is shown, not a flat placeholder"
        assert chroma(strip_icon(window, entry)).max() <= 2
    network.gate.set()
    qtbot.waitUntil(lambda: all_done(window), timeout=WAIT_MS)  # no result may arrive after the test


def test_after_a_model_change_the_thumbnail_shows_no_old_colours_while_waiting(
    window, qtbot, network, catalog, tmp_path
):
    open_and_colorize(window, qtbot, grey_image(tmp_path / "scan.png"))
    entry = window.current
    assert chroma(strip_icon(window, entry)).max() > 10
    catalog.installed.add("siggraph17")
    window.model_panel.refresh()
    network.gate = threading.Event()
    network.entered.clear()
    window.model_panel.set_current("siggraph17")
    qtbot.waitUntil(network.entered.is_set, timeout=WAIT_MS)
    assert entry.state("siggraph17") is not State.DONE
    assert chroma(strip_icon(window, entry)).max() <= 2, "the grey scan while the new model works"
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        network.gate.set()
    qtbot.waitUntil(lambda: chroma(strip_icon(window, entry)).max() > 10, timeout=WAIT_MS)


def test_a_photo_being_opened_is_named_not_replaced_by_the_drop_invitation(window, qtbot, tmp_path):
    window.open_paths([grey_image(tmp_path / f"{c}.png") for c in "ab"])
    qtbot.waitUntil(lambda: all_done(window), timeout=WAIT_MS)
    window.act_next.trigger()
    assert not window.view.has_photo() or window.current.name == "b.png"
    assert not window.view.shows_invitation(), "paging through photos never shows 'Drop photos here'"
    qtbot.waitUntil(window.view.has_photo, timeout=WAIT_MS)


# ---------------------------------------------------------------------- 9. the strip in step
def test_the_strip_keeps_the_current_photo_in_view_and_its_scrollbar_in_step(window, qtbot, tmp_path):
    window.open_paths([grey_image(tmp_path / f"p{i:02d}.png", size=(32, 24)) for i in range(24)])
    qtbot.waitUntil(lambda: len(window.entries) == 24, timeout=WAIT_MS)
    strip = window.strip
    for _ in range(15):
        window.act_next.trigger()
    window.open_paths([grey_image(tmp_path / f"q{i:02d}.png", size=(32, 24)) for i in range(6)])
    qtbot.waitUntil(lambda: len(window.entries) == 30, timeout=WAIT_MS)
    for width in (window.width(), window.minimumWidth()):
        window.resize(width, window.height())
        qtbot.waitUntil(lambda w=width: window.width() == w, timeout=WAIT_MS)
        QApplication.processEvents()
        shown = strip.visualItemRect(strip.currentItem())
        in_view = 0 <= shown.left() and shown.right() <= strip.viewport().width() + 1  # Qt's grid: 1 px
        assert in_view, f"the current photo {shown} is in view at {width} px"
        assert strip.horizontalScrollBar().value() == strip.horizontalOffset()
    qtbot.waitUntil(lambda: all_done(window), timeout=WAIT_MS)



def test_the_window_fits_on_the_screen_on_first_start_and_after_a_larger_monitor(
    qtbot, qsettings, network, catalog
):
    """The default size (and a size saved on a bigger monitor) is cut to the screen's free area, so the
    status bar and the batch button are never below the bottom of a small laptop screen."""
    from colorsphere_gui.ui.main_window import MainWindow

    def start() -> MainWindow:
        win = MainWindow(settings=qsettings, colorizer_factory=network.factory, catalog=catalog)
        qtbot.addWidget(win)
        win.show()
        return win

    first = start()
    room = first.screen().availableGeometry()
    assert room.width() < 1280 or room.height() < 820, "the test needs a screen smaller than the default"
    assert room.contains(first.frameGeometry()), (room, first.frameGeometry())
    first.resize(room.width() + 600, room.height() + 400)
    first.move(room.right() - 50, room.bottom() - 50)
    first.close()  # saves its geometry
    again = start()
    assert room.contains(again.frameGeometry()), (room, again.frameGeometry())
