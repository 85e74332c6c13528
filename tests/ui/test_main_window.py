"""The main window driven as a user would: drop, watch it colorize, switch model, cancel, save, quit."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, QRectF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QPushButton

from colorsphere_gui.ui.compare_view import FULL, PREVIEW, SIDE
from colorsphere_gui.ui.photos import State

from .fakes import chroma, colour_image, from_qimage, grey_image

WAIT_MS = 15000


def drop(window, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = window.view.mapTo(window, window.view.rect().center())
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(QPointF(pos), *args)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window, QDropEvent(QPointF(pos), *args))


def open_and_colorize(window, qtbot, path: Path) -> None:
    """Until the colorizing task has ended too: it reports the colour before its thread finishes."""
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.open_paths([path])
    qtbot.waitUntil(lambda: not window.tracker.busy(), timeout=WAIT_MS)


def test_dropping_a_photo_loads_and_shows_it(window, qtbot, tmp_path):
    photo = grey_image(tmp_path / "scan.png")
    with qtbot.waitSignal(window.photo_shown, timeout=WAIT_MS):
        drop(window, [photo])
    assert window.strip.count() == 1
    assert window.current.path == photo
    assert window.view.has_photo()
    assert "scan.png" in window.windowTitle()


def test_dropping_a_folder_opens_its_photos_and_says_what_was_left_out(window, qtbot, tmp_path):
    folder = tmp_path / "box"
    (folder / "inner").mkdir(parents=True)
    grey_image(folder / "one.png")
    grey_image(folder / "inner" / "two.jpg")
    (folder / "notes.txt").write_text("not a photo")
    notes = tmp_path / "loose.txt"
    notes.write_text("x")
    with qtbot.waitSignal(window.photos_added, timeout=WAIT_MS) as added:
        drop(window, [folder, notes])
    assert len(added.args[0]) == 2
    assert "not photos" in window.notice.text()
    # Both get colorized: the shown one by the display lane, the other in the background.
    qtbot.waitUntil(lambda: all(e.state("eccv16") is State.DONE for e in window.entries), timeout=WAIT_MS)


def test_worker_colorizes_and_the_view_shows_colour_right_of_the_divider(window, qtbot, tmp_path):
    open_and_colorize(window, qtbot, grey_image(tmp_path / "scan.png", size=(300, 200)))
    view = window.view
    shot = chroma(view.grab().toImage())
    area = view.image_rect(QRectF(view.rect()))
    rows = slice(int(area.top()) + 8, int(area.center().y()) - 24)  # above the divider's handle
    divider = int(view.divider_x())
    before = shot[rows, int(area.left()) + 4 : divider - 4]
    after = shot[rows, divider + 4 : int(area.right()) - 4]
    assert before.max() <= 2, "left of the divider is the black-and-white original"
    assert after.mean() > 20, "right of the divider is in colour"
    assert window.current.state("eccv16") is State.DONE
    assert "CPU (fake)" in window.device_label.text()


def test_preview_comes_first_then_full_resolution(window, qtbot, tmp_path):
    open_and_colorize(window, qtbot, grey_image(tmp_path / "large.png", size=(4200, 300)))
    preview, full = window.view.after_image(PREVIEW), window.view.after_image(FULL)
    assert preview is not None and full is not None
    assert (full.width(), full.height()) == (4200, 300)
    assert preview.width() < full.width()


def test_divider_moves_by_mouse_and_by_keyboard(window, qtbot, tmp_path):
    open_and_colorize(window, qtbot, grey_image(tmp_path / "scan.png"))
    view = window.view
    y = view.height() // 3
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(round(view.divider_x()), y))
    qtbot.mouseMove(view, QPoint(view.width() // 4, y))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(view.width() // 4, y))
    assert view.divider() == pytest.approx(0.25, abs=0.01)

    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.divider() == pytest.approx(0.27, abs=0.01)
    qtbot.keyClick(view, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert view.divider() == pytest.approx(0.17, abs=0.01)
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert view.divider() == 1.0
    assert "100 percent" in view.accessibleDescription()


def test_switching_model_recolorizes_the_current_photo(window, qtbot, network, catalog, tmp_path):
    open_and_colorize(window, qtbot, grey_image(tmp_path / "scan.png"))
    red_first = from_qimage(window.view.after_image(FULL)).astype(int)
    catalog.installed.add("siggraph17")
    window.model_panel.refresh()
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.model_panel.set_current("siggraph17")
    blue_now = from_qimage(window.view.after_image(FULL)).astype(int)
    assert network.calls == ["eccv16", "siggraph17"]
    assert (red_first[..., 0] - red_first[..., 2]).mean() > 10
    assert (blue_now[..., 2] - blue_now[..., 0]).mean() > 10
    # Switching back reuses the stored result: no network run.
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.model_panel.set_current("eccv16")
    assert network.calls == ["eccv16", "siggraph17"]


def test_strength_slider_rerenders_without_running_the_network(window, qtbot, network, tmp_path):
    open_and_colorize(window, qtbot, grey_image(tmp_path / "scan.png"))
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.strength_panel.slider.setValue(0)
    assert chroma(window.view.after_image(FULL)).max() <= 2
    assert network.calls == ["eccv16"]


def test_cancel_stops_after_the_current_step_and_leaves_no_result(window, qtbot, network, tmp_path):
    photo = grey_image(tmp_path / "scan.png")
    network.gate = threading.Event()
    window.open_paths([photo])
    qtbot.waitUntil(network.entered.is_set, timeout=WAIT_MS)
    window.act_cancel.trigger()
    with qtbot.waitSignal(window.tracker.idle, timeout=WAIT_MS):
        network.gate.set()
    assert not window.view.has_after()
    assert window.current.state("eccv16") is State.WAITING
    assert not window.act_save.isEnabled()
    images = [p for p in tmp_path.rglob("*") if p.suffix in (".png", ".tif", ".jpg")]
    assert images == [photo]


def test_save_as_keeps_16_bits_and_never_touches_the_source(window, qtbot, tmp_path, monkeypatch):
    source = grey_image(tmp_path / "scan16.png", bits=16)
    original = source.read_bytes()
    open_and_colorize(window, qtbot, source)
    dest = tmp_path / "out" / "scan16-colour.tif"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(dest), "TIFF (*.tif *.tiff)"))
    with qtbot.waitSignal(window.saved, timeout=WAIT_MS) as saved:
        window.act_save_as.trigger()
    assert saved.args[0] == [dest]
    pixels = tifffile.imread(dest)
    assert pixels.dtype == np.uint16 and pixels.shape == (64, 96, 3)
    assert (pixels[..., 0].astype(int) - pixels[..., 2]).mean() > 1000  # colour, at 16-bit scale
    with tifffile.TiffFile(dest) as tif:  # the file records what made it (core/provenance.py)
        xmp = tif.pages.first.tags["XMP"].value
    assert f"with the {window.model()} model at strength {window.strength():.2f}".encode() in xmp
    assert source.read_bytes() == original


def test_save_refuses_the_source_and_asks_before_replacing_another_file(
    window, qtbot, tmp_path, monkeypatch, questions
):
    source = grey_image(tmp_path / "scan.png")
    open_and_colorize(window, qtbot, source)
    original = source.read_bytes()
    answers = [(str(source), "PNG (*.png)"), ("", "")]  # refused, then the user cancels the dialog
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: answers.pop(0))
    window.act_save_as.trigger()
    assert "never overwrites originals" in window.notice.text() and not answers
    assert source.read_bytes() == original

    other = tmp_path / "keep.png"
    other.write_bytes(b"someone else's file")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(other), "PNG (*.png)"))
    questions.answer = QMessageBox.StandardButton.No
    window.act_save_as.trigger()
    assert questions.asked and "Replace" in questions.asked[-1]
    assert other.read_bytes() == b"someone else's file"
    assert not window.tracker.busy()


def test_a_missing_model_offers_import_and_colorizes_once_imported(
    window, qtbot, network, catalog, tmp_path, monkeypatch
):
    open_and_colorize(window, qtbot, grey_image(tmp_path / "scan.png"))
    window.model_panel.set_current("siggraph17")
    panel = window.model_panel
    assert panel.import_button.isVisible() and panel.import_button.isEnabled()
    assert panel.download_button.isVisible()
    # the notice comes once the previous photo's task has wound down (colorized fires just before)
    qtbot.waitUntil(lambda: "not installed" in window.notice.text(), timeout=WAIT_MS)
    assert not window.view.has_after()

    weights = tmp_path / "siggraph17-mine.pth"
    weights.write_bytes(b"weights")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(weights), ""))
    offered = [b for b in window.notice.findChildren(QPushButton) if b.text() == "Import file…"]
    assert len(offered) == 1, "the notice offers the import right where the problem is shown"
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        qtbot.mouseClick(offered[0], Qt.MouseButton.LeftButton)
    assert catalog.imported == [("siggraph17", weights)]
    assert network.calls[-1] == "siggraph17"
    assert not panel.import_button.isVisible()


def test_compare_with_original_scores_every_installed_model(window, qtbot, catalog, tmp_path):
    catalog.installed.add("siggraph17")
    window.model_panel.refresh()
    open_and_colorize(window, qtbot, colour_image(tmp_path / "holiday.png"))
    assert window.photo_panel.compare_button.isEnabled()
    window.compare_with_original()
    dialog = window.compare_dialog
    qtbot.waitUntil(lambda: len(dialog.scores) == 2, timeout=WAIT_MS)
    assert [s.model for s in dialog.scores] == ["eccv16", "siggraph17"]
    assert all(s.psnr > 0 and s.mse > 0 and 0 < s.ssim <= 1 and not s.error for s in dialog.scores)
    assert dialog.table.rowCount() == 2


def test_closing_while_working_asks_then_stops_the_worker_cleanly(
    window, qtbot, network, questions, tmp_path
):
    network.gate = threading.Event()
    window.open_paths([grey_image(tmp_path / "scan.png")])
    qtbot.waitUntil(network.entered.is_set, timeout=WAIT_MS)

    questions.answer = QMessageBox.StandardButton.No
    window.close()
    assert window.isVisible() and window.tracker.busy()
    assert "still working" in questions.asked[-1]

    questions.answer = QMessageBox.StandardButton.Yes
    window.close()
    assert window.isVisible(), "waits for the current step before closing"
    network.gate.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    assert not window.tracker.busy()


def test_settings_persist_in_the_given_store(window, qtbot, qsettings, network, catalog, tmp_path, questions):
    from colorsphere_gui.ui.main_window import MainWindow

    window.device_panel.set_choice("cpu")
    open_and_colorize(window, qtbot, grey_image(tmp_path / "scan.png"))  # Side by Side needs a photo
    window.act_side.trigger()
    questions.answer = QMessageBox.StandardButton.Discard  # quit without saving the result
    window.close()
    again = MainWindow(
        settings=QSettings(qsettings.fileName(), QSettings.Format.IniFormat),
        colorizer_factory=network.factory,
        catalog=catalog,
    )
    qtbot.addWidget(again)
    assert again.device_panel.choice() == "cpu"
    assert again.view.mode() == SIDE and again.act_side.isChecked()
    assert again.model() == "eccv16"


def test_pasted_picture_is_colorized(window, qtbot, tmp_path):
    rgb = np.full((40, 60, 3), 128, np.uint8)
    Image.fromarray(rgb).save(tmp_path / "grey.png")
    from PySide6.QtGui import QImage

    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.paste_image(QImage(str(tmp_path / "grey.png")))
    assert window.current.name == "Pasted image 1" and window.current.temporary


def test_a_gpu_failure_is_reported_without_a_dialog(window, qtbot, network, tmp_path):
    network.fallback = "GPU failed on scan.png (out of memory); colorizing on the CPU instead"
    open_and_colorize(window, qtbot, grey_image(tmp_path / "scan.png"))
    assert "GPU failed" in window.notice.text()
    assert "GPU failed" in window.device_label.text()


def test_a_missing_model_can_be_downloaded_with_progress(window, qtbot, network, tmp_path):
    open_and_colorize(window, qtbot, grey_image(tmp_path / "scan.png"))
    window.model_panel.set_current("siggraph17")
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        qtbot.mouseClick(window.model_panel.download_button, Qt.MouseButton.LeftButton)
    assert network.calls[-1] == "siggraph17"
    assert window.model_panel.progress.value() == 1000


def test_save_all_asks_once_for_existing_files(window, qtbot, tmp_path, monkeypatch, questions):
    scans = [grey_image(tmp_path / "a.png"), grey_image(tmp_path / "b.png")]
    window.open_paths(scans)
    qtbot.waitUntil(
        lambda: len(window.entries) == 2 and all(e.state("eccv16") is State.DONE for e in window.entries),
        timeout=WAIT_MS,
    )
    out = tmp_path / "out"
    out.mkdir()
    (out / "a-colour.png").write_bytes(b"old")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(out))
    with qtbot.waitSignal(window.saved, timeout=WAIT_MS) as saved:
        window.act_save_all.trigger()
    assert sorted(p.name for p in saved.args[0]) == ["a-colour.png", "b-colour.png"]
    assert len(questions.asked) == 1 and "1 file(s)" in questions.asked[0]
    assert Image.open(out / "a-colour.png").mode == "RGB"
