"""Issue 19's "gaps users expect", each driven through the real widgets: menus, context menus, keys,
dialogs and the saved files."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image
from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QImage, QPalette, QPixmap, QTextDocument
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QTextBrowser

from colorsphere_gui.core.color import rgb_to_lab
from colorsphere_gui.ui.export_options import ExportOptionsDialog
from colorsphere_gui.ui.photos import State

from .fakes import chroma, colour_image, from_qimage, grey_image

WAIT_MS = 15000


def menu_action(window, menu_title: str, text_start: str):
    for top in window.menuBar().actions():
        if top.text().replace("&", "") == menu_title:
            for action in top.menu().actions():
                if action.text().replace("&", "").startswith(text_start):
                    return action
    raise AssertionError(f"{menu_title} > {text_start}… is not in the menu")


def open_all(window, qtbot, paths: list[Path]) -> None:
    window.open_paths(paths)
    qtbot.waitUntil(
        lambda: len(window.entries) == len(paths)
        and all(e.state(e.model) is State.DONE for e in window.entries)
        and not window.tracker.busy(),
        timeout=WAIT_MS,
    )


def mean_rgb(image) -> np.ndarray:
    return from_qimage(image).reshape(-1, 3).mean(axis=0)


# ---------------------------------------------------------------------- remove a photo
def test_remove_a_photo_from_the_menu_the_context_menu_and_the_keys_asking_before_discarding(
    window, qtbot, tmp_path, questions
):
    scans = [grey_image(tmp_path / f"{n}.png") for n in ("a", "b", "c", "d")]
    open_all(window, qtbot, scans)
    window.show_entry(window.entries[0])
    qtbot.waitUntil(lambda: window.loaded is not None, timeout=WAIT_MS)

    questions.answer = QMessageBox.StandardButton.No
    menu_action(window, "File", "Remove from List").trigger()
    assert "not saved" in questions.asked[-1] and "a.png" in questions.asked[-1]
    assert len(window.entries) == 4 and window.strip.count() == 4, "No keeps the photo and its result"

    questions.answer = QMessageBox.StandardButton.Yes
    menu_action(window, "File", "Remove from List").trigger()
    assert [e.name for e in window.entries] == ["b.png", "c.png", "d.png"]
    assert window.strip.count() == 3 and window.current.name == "b.png", "the next photo is shown"
    assert all(p.exists() for p in scans), "the file itself is never deleted"

    c = next(e for e in window.entries if e.name == "c.png")
    window.strip.context_menu_for(c.id).actions()[0].trigger()
    assert [e.name for e in window.entries] == ["b.png", "d.png"]

    window.activateWindow()
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert [e.name for e in window.entries] == ["d.png"]
    qtbot.keyClick(window.view, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert window.entries == [] and window.current is None
    assert not window.strip.isVisible() and not window.view.has_photo()
    assert window.windowTitle() == "ColorSphere" and not window.act_remove.isEnabled()
    assert len(questions.asked) == 5, "each unsaved result was asked about"


def test_a_saved_photo_is_removed_without_asking(window, qtbot, tmp_path, questions, monkeypatch):
    open_all(window, qtbot, [grey_image(tmp_path / "a.png")])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "a-out.png"), ""))
    with qtbot.waitSignal(window.saved, timeout=WAIT_MS):
        window.act_save.trigger()
    window.act_remove.trigger()
    assert window.entries == [] and questions.asked == []


# ---------------------------------------------------------------------- overall progress
def test_status_bar_counts_photos_colorized_out_of_opened(window, qtbot, tmp_path, network):
    assert window.overall.text() == ""
    network.gate = threading.Event()  # hold the first photo in the network
    window.open_paths([grey_image(tmp_path / f"{n}.png") for n in ("a", "b", "c")])
    qtbot.waitUntil(network.entered.is_set, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.overall.text() == "0 of 3 colorized", timeout=WAIT_MS)
    network.gate.set()
    qtbot.waitUntil(lambda: window.overall.text() == "3 of 3 colorized", timeout=WAIT_MS)
    window.act_remove.trigger()
    assert window.overall.text() == "2 of 2 colorized"
    assert window.overall.isVisible()


# ---------------------------------------------------------------------- export options
def set_export_options(window, qtbot, *, suffix: str, quality: int, tiff: str | None, fmt: str | None):
    """Open File ▸ Export Options…, fill it in as a user would and press OK."""

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ExportOptionsDialog):
            QTimer.singleShot(20, fill)
            return
        dialog.suffix.clear()
        qtbot.keyClicks(dialog.suffix, suffix)
        dialog.jpeg_quality.setValue(quality)
        dialog.tiff_compression.setCurrentIndex(dialog.tiff_compression.findData(tiff))
        dialog.save_all_format.setCurrentIndex(dialog.save_all_format.findData(fmt))
        assert suffix in dialog.example.text()
        dialog.accept()

    QTimer.singleShot(20, fill)
    menu_action(window, "File", "Export Options").trigger()


def test_export_options_set_quality_compression_suffix_and_save_all_format(
    window, qtbot, tmp_path, monkeypatch, qsettings, network, catalog
):
    open_all(window, qtbot, [grey_image(tmp_path / "a.png", (256, 192)), grey_image(tmp_path / "b.png")])
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(out))

    set_export_options(window, qtbot, suffix="_restored", quality=60, tiff=None, fmt=".jpg")
    with qtbot.waitSignal(window.saved, timeout=WAIT_MS) as saved:
        window.act_save_all.trigger()
    assert sorted(p.name for p in saved.args[0]) == ["a_restored.jpg", "b_restored.jpg"]
    low = (out / "a_restored.jpg").stat().st_size

    set_export_options(window, qtbot, suffix="_hq", quality=100, tiff="deflate", fmt=".tif")
    with qtbot.waitSignal(window.saved, timeout=WAIT_MS) as saved:
        window.act_save_all.trigger()
    assert sorted(p.name for p in saved.args[0]) == ["a_hq.tif", "b_hq.tif"]
    with tifffile.TiffFile(out / "a_hq.tif") as tif:
        assert tif.pages.first.compression == tifffile.COMPRESSION.ADOBE_DEFLATE

    set_export_options(window, qtbot, suffix="_hq", quality=100, tiff=None, fmt=".jpg")
    with qtbot.waitSignal(window.saved, timeout=WAIT_MS):
        window.act_save_all.trigger()
    assert (out / "a_hq.jpg").stat().st_size > 1.3 * low, "quality 100 keeps more than quality 60"

    # remembered: a new window starts with the same options, and the Save dialog proposes the suffix
    from PySide6.QtCore import QSettings

    from colorsphere_gui.ui.main_window import MainWindow

    window.export.store(window.settings)
    again = MainWindow(
        settings=QSettings(qsettings.fileName(), QSettings.Format.IniFormat),
        colorizer_factory=network.factory,
        catalog=catalog,
    )
    qtbot.addWidget(again)
    remembered = again.export
    assert (remembered.suffix, remembered.jpeg_quality, remembered.save_all_format) == ("_hq", 100, ".jpg")
    proposed: list[str] = []

    def save_dialog(_parent, _title, start, *args, **kwargs):
        proposed.append(start)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_dialog)
    window.act_save_as.trigger()
    assert Path(proposed[0]).name.endswith("_hq.png")


def test_export_options_dialog_restores_defaults(qtbot):
    from colorsphere_gui.ui.export_options import ExportOptions

    dialog = ExportOptionsDialog(ExportOptions(suffix="x", jpeg_quality=70, tiff_compression="deflate"))
    qtbot.addWidget(dialog)
    dialog.buttons.button(dialog.buttons.StandardButton.RestoreDefaults).click()
    assert dialog.options() == ExportOptions()
    dialog.suffix.setText('bad/na:me*')
    assert dialog.options().suffix == "badname", "characters no file system takes are left out"


# ---------------------------------------------------------------------- per-photo model and strength
def test_each_photo_keeps_its_own_model_and_strength(window, qtbot, tmp_path, catalog, network, monkeypatch):
    catalog.installed.add("siggraph17")
    window.model_panel.refresh()
    open_all(window, qtbot, [grey_image(tmp_path / "a.png"), grey_image(tmp_path / "b.png")])
    a, b = window.entries
    window.show_entry(a)
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.model_panel.set_current("siggraph17")
    window.strength_panel.slider.setValue(40)
    qtbot.waitUntil(lambda: not window.tracker.busy(), timeout=WAIT_MS)

    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.show_entry(b)
    assert window.model() == "eccv16" and window.strength_panel.slider.value() == 100
    assert mean_rgb(window.view.after_image())[0] > mean_rgb(window.view.after_image())[2], "b: eccv16's red"

    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.show_entry(a)
    assert window.model() == "siggraph17" and window.strength_panel.slider.value() == 40
    r, _, blue = mean_rgb(window.view.after_image())
    assert blue > r, "a: siggraph17's blue"
    assert (a.model, a.adjustment.strength) == ("siggraph17", 0.4)
    assert (b.model, b.adjustment.strength) == ("eccv16", 1.0)

    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(out))
    with qtbot.waitSignal(window.saved, timeout=WAIT_MS):
        window.act_save_all.trigger()
    saved_a = np.asarray(Image.open(out / "a-colour.png").convert("RGB"), np.float32)
    saved_b = np.asarray(Image.open(out / "b-colour.png").convert("RGB"), np.float32)
    chroma_a, chroma_b = (
        np.linalg.norm(rgb_to_lab(x / 255)[..., 1:], axis=2).mean() for x in (saved_a, saved_b)
    )
    assert saved_a[..., 2].mean() > saved_a[..., 0].mean() and saved_b[..., 0].mean() > saved_b[..., 2].mean()
    assert chroma_a < 0.6 * chroma_b, "Save All writes each photo with its own model and strength"


def test_use_these_settings_for_all_photos(window, qtbot, tmp_path, catalog, network):
    catalog.installed.add("siggraph17")
    window.model_panel.refresh()
    open_all(window, qtbot, [grey_image(tmp_path / "a.png"), grey_image(tmp_path / "b.png")])
    window.show_entry(window.entries[0])
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.model_panel.set_current("siggraph17")
    menu_action(window, "Colorize", "Use These Settings for All").trigger()
    qtbot.waitUntil(lambda: all(e.state("siggraph17") is State.DONE for e in window.entries), timeout=WAIT_MS)
    assert network.calls.count("siggraph17") == 2, "the other photo was colorized with the new model"


# ---------------------------------------------------------------------- warm/cool and saturation
def test_warm_and_saturation_change_the_result_on_screen_and_in_the_saved_file(
    window, qtbot, tmp_path, network, monkeypatch
):
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.open_paths([grey_image(tmp_path / "scan.png")])
    neutral = mean_rgb(window.view.after_image())
    neutral_thumb = mean_rgb(window.current.thumb)
    runs = len(network.calls)

    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.adjust_panel.warmth.setValue(-100)  # cooler: bluer, less red
    cool = mean_rgb(window.view.after_image())
    assert cool[2] > neutral[2] + 5 and cool[0] < neutral[0] - 5
    thumb = mean_rgb(window.current.thumb)
    assert thumb[2] > neutral_thumb[2] + 5, "the strip's thumbnail follows the adjustment"

    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.adjust_panel.saturation.setValue(-100)  # no colour at all
    assert chroma(window.view.after_image()).max() <= 2
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.adjust_panel.saturation.setValue(60)
    shown = from_qimage(window.view.after_image())
    assert len(network.calls) == runs, "adjusting re-renders the stored prediction; the network is not run"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "out.png"), ""))
    with qtbot.waitSignal(window.saved, timeout=WAIT_MS):
        window.act_save.trigger()
    saved = np.asarray(Image.open(tmp_path / "out.png").convert("RGB"))
    assert np.abs(saved.astype(int) - shown.astype(int)).max() <= 1, "what is shown is what is saved"
    assert window.current.adjustment.warmth == -1.0 and window.current.adjustment.saturation == 0.6


# ---------------------------------------------------------------------- batch dialog
def test_batch_retry_failed_only_and_open_a_result_from_its_row(
    window, qtbot, network, tmp_path, monkeypatch
):
    src, dest = tmp_path / "scans", tmp_path / "restored"
    src.mkdir()
    grey_image(src / "a.png")
    grey_image(src / "b.png")
    (src / "bad.png").write_bytes(b"not a PNG yet")
    window.open_batch()
    dialog = window.batch_dialog
    dialog.source.setText(str(src))
    dialog.dest.setText(str(dest))
    with qtbot.waitSignal(dialog.batch_finished, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.row_status("bad.png")[0] == "failed" and dialog.retry_button.isEnabled()

    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    row = dialog._rows[src / "a.png"]
    dialog.files.setCurrentItem(row)
    assert dialog.result_button.isEnabled()
    qtbot.mouseClick(dialog.result_button, Qt.MouseButton.LeftButton)
    centre = dialog.files.visualItemRect(row).center()
    qtbot.mouseClick(dialog.files.viewport(), Qt.MouseButton.LeftButton, pos=centre)  # as a real double-click
    qtbot.mouseDClick(dialog.files.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert [Path(u.toLocalFile()) for u in opened] == [dest / "a.png"] * 2

    dialog.files.setCurrentItem(dialog._rows[src / "bad.png"])
    assert not dialog.result_button.isEnabled()

    grey_image(src / "bad.png")  # the user repaired the file
    runs = len(network.calls)
    with qtbot.waitSignal(dialog.batch_finished, timeout=WAIT_MS) as finished:
        qtbot.mouseClick(dialog.retry_button, Qt.MouseButton.LeftButton)
    assert [r.source.name for r in finished.args[0].results] == ["bad.png"], "only the failed file is run"
    assert dialog.files.topLevelItemCount() == 1 and dialog.row_status("bad.png")[0] == "done"
    assert len(network.calls) == runs + 1 and (dest / "bad.png").is_file()
    assert not dialog.retry_button.isEnabled()


# ---------------------------------------------------------------------- compare dialog
def test_compare_shows_reference_result_and_difference_for_a_colour_photo(window, qtbot, catalog, tmp_path):
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.open_paths([colour_image(tmp_path / "holiday.png")])
    menu_action(window, "Colorize", "Compare Models").trigger()
    dialog = window.compare_dialog
    qtbot.waitUntil(lambda: len(dialog.scores) == 1 and not dialog.running(), timeout=WAIT_MS)
    score = dialog.scores[0]
    assert score.delta_e > 5 and dialog.table.item(0, 4).text() == f"{score.delta_e:.1f}"
    for key in ("reference", "result", "difference"):
        pixmap = dialog.images[key].pixmap()
        assert pixmap is not None and not pixmap.isNull(), f"{key} image is shown"
    reference = dialog.images["reference"].pixmap().toImage()
    assert chroma(reference).mean() > 30, "the reference shows the photo's own colours"


def test_compare_a_grey_scan_against_a_colour_reference_the_user_picks(
    window, qtbot, catalog, tmp_path, monkeypatch
):
    catalog.installed.add("siggraph17")
    window.model_panel.refresh()
    with qtbot.waitSignal(window.colorized, timeout=WAIT_MS):
        window.open_paths([grey_image(tmp_path / "scan.png", (96, 64))])
    assert window.photo_panel.compare_button.isEnabled()
    qtbot.mouseClick(window.photo_panel.compare_button, Qt.MouseButton.LeftButton)
    dialog = window.compare_dialog
    assert not dialog.running() and dialog.scores == [], "nothing to score until a reference is chosen"

    grey_reference = grey_image(tmp_path / "grey-copy.png", (96, 64))
    reference = tmp_path / "colour-print.png"
    rgb = np.zeros((128, 192, 3), np.uint8)  # twice the scan's size, same framing: a warm print
    rgb[...] = (200, 120, 60)
    Image.fromarray(rgb).save(reference)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(grey_reference), ""))
    qtbot.mouseClick(dialog.reference_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running(), timeout=WAIT_MS)
    assert "has no colour" in dialog.table.item(0, 0).text()

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(reference), ""))
    qtbot.mouseClick(dialog.reference_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(dialog.scores) == 2 and not dialog.running(), timeout=WAIT_MS)
    eccv, sig = dialog.scores
    assert eccv.delta_e < sig.delta_e, "eccv16's warm red is closer to the warm print than siggraph17's blue"
    assert "colour-print.png" in dialog.reference_label.text()
    dialog.table.selectRow(1)
    shown = dialog.images["result"].pixmap().toImage()
    assert mean_rgb(shown)[2] > mean_rgb(shown)[0], "selecting a row shows that model's result"


# ---------------------------------------------------------------------- help
def test_help_user_guide_opens_the_shipped_guide_with_its_pictures(window, qtbot):
    from colorsphere_gui.ui.help import guide_path

    path = guide_path()
    assert path is not None and path.name == "USER_GUIDE.md"
    menu_action(window, "Help", "User Guide").trigger()
    guide = window.guide_window
    assert guide.isVisible()
    browser = guide.findChild(QTextBrowser)
    text = browser.toPlainText()
    for heading in ("First launch", "Saving and export options", "Batch", "Compare models", "Keyboard"):
        assert heading in text
    names = [part.split(")")[0] for part in path.read_text().split("](")[1:] if part.startswith("guide/")]
    assert len(names) >= 6, "the guide has its screenshots"
    document = browser.document()
    for name in names:
        image = document.resource(QTextDocument.ResourceType.ImageResource, QUrl(name))
        assert isinstance(image, (QImage, QPixmap)) and image.width() > 0, f"{name} is found"
        assert (path.parent / name).stat().st_size < 300_000, f"{name} is small enough to ship"


def test_the_guide_is_found_in_a_pyinstaller_bundle(tmp_path, monkeypatch):
    import sys

    from colorsphere_gui.ui.help import guide_path

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "USER_GUIDE.md").write_text("# Guide\n")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert guide_path() == tmp_path / "docs" / "USER_GUIDE.md"


def test_build_installer_ships_the_guide_and_its_pictures():
    import build_installer

    datas = build_installer.data_files()
    assert any(src.name == "USER_GUIDE.md" and dest == "docs" for src, dest in datas)
    assert any(src.name == "guide" and dest == "docs/guide" for src, dest in datas)


# ---------------------------------------------------------------------- theme
def test_one_light_theme_whatever_the_system_palette(qapp, qtbot):
    from colorsphere_gui.ui.theme import LIGHT, apply_theme

    dark = QPalette(qapp.palette())
    dark.setColor(QPalette.ColorRole.Window, "#101010")
    dark.setColor(QPalette.ColorRole.WindowText, "#f0f0f0")
    qapp.setPalette(dark)  # as a desktop in dark mode would hand it over
    apply_theme(qapp)
    assert qapp.style().name().lower() == "fusion"
    from PySide6.QtWidgets import QDialog, QPushButton

    dialog = QDialog()
    qtbot.addWidget(dialog)
    button = QPushButton("OK", dialog)
    for widget in (dialog, button):
        pal = widget.palette()
        assert pal.color(QPalette.ColorRole.Window).name() == LIGHT[QPalette.ColorRole.Window][0]
        assert pal.color(QPalette.ColorRole.WindowText).name() == LIGHT[QPalette.ColorRole.WindowText][0]
