"""The batch dialog running the real batch engine over a temporary folder."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from colorsphere_gui.batch import REPORT_NAME

from .conftest import REAL_QUESTION
from .fakes import colour_image, grey_image

WAIT_MS = 20000


def open_batch(window, src, dest):
    """The window's batch dialog with its source and destination typed in."""
    window.open_batch()
    dialog = window.batch_dialog
    dialog.source.setText(str(src))
    dialog.dest.setText(str(dest))
    return dialog


def start(dialog, qtbot):
    with qtbot.waitSignal(dialog.batch_finished, timeout=WAIT_MS) as finished:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    return finished.args[0]


def test_batch_restores_a_folder_lists_a_corrupt_file_as_failed_and_resumes(window, qtbot, network, tmp_path):
    src, dest = tmp_path / "scans", tmp_path / "restored"
    (src / "sub").mkdir(parents=True)
    grey_image(src / "a.png")
    grey_image(src / "sub" / "b.png")
    colour_image(src / "c.png")
    (src / "bad.png").write_bytes(b"this is not a PNG at all")
    dialog = open_batch(window, src, dest)

    summary = start(dialog, qtbot)
    assert (dest / "a.png").is_file() and (dest / "sub" / "b.png").is_file()
    assert (dest / REPORT_NAME).is_file()
    status, details = dialog.row_status("bad.png")
    assert status == "failed" and "bad.png" in details
    assert dialog.row_status("c.png")[0] == "skipped"
    assert dialog.row_status("a.png")[0] == "done"
    assert summary.count("done") == 2 and summary.count("failed") == 1
    assert dialog.progress.value() == dialog.progress.maximum() == 4
    assert dialog.open_button.isEnabled()
    assert "Finished" in dialog.eta.text()

    runs = len(network.calls)
    start(dialog, qtbot)  # resume: what is already done is not colorized again
    assert len(network.calls) == runs
    assert dialog.row_status("a.png")[0] == "up to date"
    assert "up to date" in dialog.row_status("a.png")[1]
    assert "2 up to date" in dialog.eta.text() and "0 done" in dialog.eta.text()


def test_batch_without_subfolders_stays_at_the_top(window, qtbot, tmp_path):
    src, dest = tmp_path / "scans", tmp_path / "restored"
    (src / "sub").mkdir(parents=True)
    grey_image(src / "a.png")
    grey_image(src / "sub" / "b.png")
    dialog = open_batch(window, src, dest)
    dialog.subfolders.setChecked(False)
    start(dialog, qtbot)
    assert (dest / "a.png").is_file() and not (dest / "sub").exists()


def test_batch_cancel_stops_after_the_current_photo_without_partial_files(window, qtbot, network, tmp_path):
    src, dest = tmp_path / "scans", tmp_path / "restored"
    src.mkdir()
    for name in ("a.png", "b.png", "c.png"):
        grey_image(src / name)
    dialog = open_batch(window, src, dest)
    network.gate = threading.Event()
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(network.entered.is_set, timeout=WAIT_MS)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(dialog.batch_finished, timeout=WAIT_MS) as finished:
        network.gate.set()
    assert finished.args[0].cancelled
    written = sorted(
        p.name for p in dest.iterdir() if not p.name.startswith(("colorsphere-", ".colorsphere"))
    )
    assert written == ["a.png"], "only the photo in progress is finished; no half-written file is left"
    assert dialog.row_status("b.png")[0] == "cancelled"
    assert dialog.row_status("c.png")[0] == "cancelled"
    assert "Cancelled" in dialog.eta.text()


def test_batch_dialog_remembers_its_destination(window, qtbot, tmp_path):
    src, dest = tmp_path / "scans", tmp_path / "restored"
    src.mkdir()
    grey_image(src / "a.png")
    dialog = open_batch(window, src, dest)
    start(dialog, qtbot)
    dialog.close()
    window.open_batch()
    again = window.batch_dialog
    assert again is not dialog
    assert again.source.text() == str(src) and again.dest.text() == str(dest)


def test_batch_rows_speak_the_windows_words(window, qtbot, tmp_path):
    src, dest = tmp_path / "scans", tmp_path / "restored"
    src.mkdir()
    grey_image(src / "a.png")
    dest.mkdir()
    grey_image(dest / "a.png")  # someone else's file where the result would go
    dialog = open_batch(window, src, dest)
    start(dialog, qtbot)
    status, details = dialog.row_status("a.png")
    assert status == "failed" and "already exists" in details
    assert "--" not in details and "choose another destination" in details


def test_enter_on_start_over_keeps_the_earlier_results(window, qtbot, network, tmp_path, monkeypatch):
    src, dest = tmp_path / "scans", tmp_path / "restored"
    src.mkdir()
    grey_image(src / "a.png")
    dialog = open_batch(window, src, dest)
    start(dialog, qtbot)
    runs = len(network.calls)
    monkeypatch.setattr(QMessageBox, "question", REAL_QUESTION)
    dialog.resume.setChecked(False)
    asked: list[str] = []

    def press_enter() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            asked.append(box.windowTitle())
            qtbot.keyClick(box, Qt.Key.Key_Return)
        else:
            QTimer.singleShot(20, press_enter)

    QTimer.singleShot(20, press_enter)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert asked == ["Start over?"]
    assert not dialog.running() and len(network.calls) == runs, "Enter did not start over"


def test_batch_speaks_in_the_dialogs_words_and_shows_what_the_batch_noted(window, qtbot, tmp_path):
    """The engine's hints name command-line options and its notes (a damaged record) went nowhere in the
    GUI; the dialog names its own controls and lists the notes with the summary."""
    src, dest = tmp_path / "scans", tmp_path / "restored"
    src.mkdir()
    grey_image(src / "a.png")
    grey_image(src / "b.png")
    colour_image(src / "c.png")
    dest.mkdir()
    grey_image(dest / "b.png")  # a file of the user's, not ColorSphere's
    (dest / ".colorsphere-record.sqlite").write_bytes(b"\x00not a database" * 64)
    dialog = open_batch(window, src, dest)

    start(dialog, qtbot)
    details = [dialog.row_status(name)[1] for name in ("a.png", "b.png", "c.png")]
    assert dialog.row_status("b.png")[0] == "failed" and "choose another destination" in details[1]
    assert "Skip photos that are already in colour" in details[2]
    assert not any("--" in text for text in details), details
    assert "the job record is damaged" in dialog.eta.text()


def test_a_very_long_file_name_leaves_the_details_column_in_sight(window, qtbot, network, tmp_path):
    src, dest = tmp_path / "scans", tmp_path / "restored"
    deep = src / ("family archive box seven " * 4).strip() / ("envelope twelve " * 4).strip()
    deep.mkdir(parents=True)
    grey_image(deep / ("grandmother at the harbour in her blue coat " * 3 + ".png"))
    dialog = open_batch(window, src, dest)
    dialog.resize(700, 500)
    start(dialog, qtbot)
    viewport = dialog.files.viewport().width()
    header = dialog.files.header()
    assert header.sectionSize(0) <= 0.5 * viewport
    assert header.sectionPosition(2) + 60 < viewport  # Details starts with room to be read
