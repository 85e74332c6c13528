"""Restoring a whole folder: the CLI's batch engine behind a dialog.

The dialog only collects settings and shows what BatchRunner reports, file by file; skipping, resume,
the CSV report and never touching a source are the engine's, so a folder restored from the GUI and
one restored with `colorsphere colorize` come out the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QBrush, QCloseEvent, QColor, QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from colorsphere_gui.batch import MANIFEST_NAME, REPORT_NAME, BatchSettings, BatchSummary, FileResult, Job

from .icons import action_icon, app_icon
from .jobs import BatchRequest, batch_job
from .settings import Settings
from .workers import ColorizerPool, Task, TaskTracker

FORMATS = {"Same as each photo": None, "PNG": "png", "JPEG": "jpg", "TIFF": "tiff"}
STATUS_COLOURS = {"done": QColor("#2e9d55"), "skipped": QColor("#8a8f98"), "failed": QColor("#d0443a")}
# The batch engine's hints name the command line's options; the dialog names its own controls instead.
GUI_WORDS = {
    "use --include-colour to recolorize": "untick “Skip photos that are already in colour” to recolorize",
    "move it away or use --overwrite": "move it away or choose another destination",
}


def in_gui_words(message: str) -> str:
    for cli_words, gui_words in GUI_WORDS.items():
        message = message.replace(cli_words, gui_words)
    return message


def format_eta(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class BatchDialog(QDialog):
    # BatchSummary, or None when it could not run; sent once the dialog is ready for another run
    batch_finished = Signal(object)

    def __init__(
        self,
        pool: ColorizerPool,
        models: list[tuple[str, str]],
        model: str,
        device: Callable[[], str],
        strength: float,
        tracker: TaskTracker,
        settings: Settings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch restoration")
        self.setWindowIcon(app_icon())
        self.resize(760, 620)
        self._pool, self._device, self._tracker, self._settings = pool, device, tracker, settings
        self._task: Task | None = None
        self._summary: BatchSummary | None = None
        self._rows: dict[Path, QTreeWidgetItem] = {}
        self._notes: list[str] = []  # what the batch said besides the files (a damaged record, a link)
        self._started = 0.0
        self._worked = 0
        self._total = 0
        layout = QVBoxLayout(self)

        form = QFormLayout()
        self.source = self._folder_row(
            form, "Source folder", "batch-source", "The folder of scans to colorize (never modified)"
        )
        self.dest = self._folder_row(
            form,
            "Destination",
            "batch-destination",
            "Where the colour versions go, in the same sub-folder layout",
        )
        self.model = QComboBox()
        self.model.setAccessibleName("Model for the batch")
        for name, label in models:
            self.model.addItem(label, name)
        self.model.setCurrentIndex(max(0, self.model.findData(model)))
        form.addRow("Model", self.model)
        self.format = QComboBox()
        self.format.setAccessibleName("Output format")
        for label, value in FORMATS.items():
            self.format.addItem(label, value)
        form.addRow("Format", self.format)
        self.strength = QSpinBox()
        self.strength.setRange(0, 200)
        self.strength.setSuffix(" %")
        self.strength.setValue(round(strength * 100))
        self.strength.setAccessibleName("Colour strength for the batch")
        form.addRow("Colour strength", self.strength)
        self.subfolders = QCheckBox("Include subfolders")
        self.subfolders.setChecked(True)
        self.skip_colour = QCheckBox("Skip photos that are already in colour")
        self.skip_colour.setChecked(True)
        self.resume = QCheckBox("Resume: keep results already in the destination")
        self.resume.setChecked(True)
        self.resume.setToolTip("Unchecked, every photo is colorized again and earlier results are replaced")
        for box in (self.subfolders, self.skip_colour, self.resume):
            form.addRow("", box)
        layout.addLayout(form)

        self.progress = QProgressBar()
        self.progress.setAccessibleName("Batch progress")
        self.progress.setValue(0)
        self.eta = QLabel("Choose a source folder and a destination, then press Start.")
        self.eta.setWordWrap(True)
        self.eta.setAccessibleName("Batch status")
        layout.addWidget(self.progress)
        layout.addWidget(self.eta)

        self.files = QTreeWidget()
        self.files.setHeaderLabels(["File", "Status", "Details"])
        self.files.setRootIsDecorated(False)
        self.files.setAlternatingRowColors(True)
        self.files.setAccessibleName("Files in the batch")
        header = self.files.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.files, 1)

        buttons = QHBoxLayout()
        self.open_button = QPushButton(action_icon("folder"), "Open destination")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self.open_destination)
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton(action_icon("cancel"), "Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.setToolTip("Stop after the photo being colorized; nothing half-written is left")
        self.cancel_button.clicked.connect(self.cancel)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        for button in (self.start_button, self.cancel_button, close):
            buttons.addWidget(button)
        layout.addLayout(buttons)

    def _folder_row(self, form: QFormLayout, label: str, role: str, tip: str) -> QLineEdit:
        edit = QLineEdit(self._settings.folder(role) if role == "batch-source" else "")
        edit.setAccessibleName(label)
        edit.setToolTip(tip)
        browse = QPushButton("Browse…")
        browse.setAccessibleName(f"Choose the {label.lower()}")

        def choose() -> None:
            folder = QFileDialog.getExistingDirectory(self, label, edit.text() or self._settings.folder(role))
            if folder:
                edit.setText(folder)

        browse.clicked.connect(choose)
        row = QHBoxLayout()
        row.addWidget(edit, 1)
        row.addWidget(browse)
        form.addRow(label, row)
        return edit

    # ----- running -----
    def running(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        source, dest = Path(self.source.text().strip()), Path(self.dest.text().strip())
        if not self.source.text().strip() or not source.is_dir():
            self._say("Choose an existing source folder.", error=True)
            return
        if not self.dest.text().strip():
            self._say("Choose a destination folder.", error=True)
            return
        if not self.model.count():
            self._say("No model is installed: download or import one in the main window first.", error=True)
            return
        if (
            not self.resume.isChecked()
            and (dest / MANIFEST_NAME).exists()
            and not self._confirm_start_over(dest)
        ):
            return
        self._settings.set_folder("batch-source", source)
        self._settings.set_folder("batch-destination", dest)
        settings = BatchSettings(
            model=str(self.model.currentData()),
            fmt=self.format.currentData(),
            include_colour=not self.skip_colour.isChecked(),
            strength=self.strength.value() / 100.0,
            resume=self.resume.isChecked(),
        )
        request = BatchRequest(
            source,
            dest,
            settings.model,
            self._device(),
            settings,
            self.subfolders.isChecked(),
        )
        self.files.clear()
        self._rows.clear()
        self._notes.clear()
        self._summary = None
        self.progress.setRange(0, 0)
        self.open_button.setEnabled(False)
        self._say("Looking for photos…")
        task = Task("Batch restoration", batch_job(self._pool, request))
        task.stage.connect(self._stage)
        task.result.connect(self._done)
        task.error.connect(self._failed)
        task.cancelled.connect(lambda: self._say("Cancelled before any photo was colorized."))
        task.finished.connect(self._finished)
        self._task = task
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._tracker.start(task)

    def _confirm_start_over(self, dest: Path) -> bool:
        answer = QMessageBox.question(
            self,
            "Start over?",
            f"{dest} already holds results of an earlier batch. Without Resume, every photo is colorized "
            "again and files of the same name in the destination are replaced.\n\nStart over?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.cancel_button.setEnabled(False)
            self._say("Stopping after the current photo…")

    def _stage(self, kind: str, payload: object) -> None:
        if kind == "jobs":
            jobs: list[Job] = payload  # type: ignore[assignment]
            self._total = len(jobs)
            self.progress.setRange(0, max(1, self._total))
            self.progress.setValue(0)
            for job in jobs:
                item = QTreeWidgetItem([str(job.relative), "waiting", ""])
                item.setToolTip(0, str(job.source))
                self.files.addTopLevelItem(item)
                self._rows[job.source] = item
            self._started = time.monotonic()
            self._worked = 0
            self._say(
                f"{self._total} photos to process." if jobs else "No photos found in the source folder."
            )
        elif kind == "note":
            self._notes.append(str(payload))
            self._say(str(payload))
        elif kind == "result":
            result, i, n = payload  # type: ignore[misc]
            self._show_result(result, i, n)

    def _show_result(self, result: FileResult, i: int, n: int) -> None:
        item = self._rows.get(result.source)
        if item is not None:
            item.setText(1, result.status)
            item.setForeground(1, QBrush(STATUS_COLOURS.get(result.status, QColor("black"))))
            details = in_gui_words(result.message) or (str(result.output) if result.output else "")
            item.setText(2, details)
            item.setToolTip(2, details)
            self.files.scrollToItem(item)
        self.progress.setValue(i + 1)
        if result.status != "skipped":
            self._worked += 1
        left = n - i - 1
        elapsed = time.monotonic() - self._started
        eta = f", about {format_eta(elapsed / self._worked * left)} left" if self._worked and left else ""
        self._say(f"{i + 1} of {n} processed{eta}.")

    def _done(self, summary: BatchSummary) -> None:
        counts = ", ".join(f"{summary.count(s)} {s}" for s in ("done", "skipped", "failed"))
        if summary.cancelled:
            head = "Cancelled"
        elif summary.stopped_reason:
            head = f"Stopped: {summary.stopped_reason}"
        else:
            head = "Finished"
        notes = "".join(f"\n{note}" for note in self._notes)
        self._say(
            f"{head}: {counts}. The report is {Path(self.dest.text()) / REPORT_NAME}.{notes}",
            error=bool(summary.count("failed") or summary.stopped_reason),
        )
        self.open_button.setEnabled(True)
        self._summary = summary

    def _failed(self, text: str) -> None:
        self._say(text, error=True)

    def _finished(self) -> None:
        self._task = None
        self.progress.setRange(0, max(1, self._total))
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.batch_finished.emit(self._summary)

    def _say(self, text: str, error: bool = False) -> None:
        self.eta.setText(text)
        self.eta.setStyleSheet("color:#b3261e;" if error else "")

    def row_status(self, name: str) -> tuple[str, str] | None:
        """(status, details) of the row whose file is `name`: what a user reads in the list."""
        for source, item in self._rows.items():
            if source.name == name:
                return item.text(1), item.text(2)
        return None

    def open_destination(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(self.dest.text()))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self._task is not None:
            answer = QMessageBox.question(
                self, "Stop the batch?", "A batch is running. Stop it after the current photo and close?"
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
            self.cancel()
        super().closeEvent(event)
