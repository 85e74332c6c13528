"""Restoring a whole folder: the CLI's batch engine behind a dialog.

The dialog only collects settings and shows what BatchRunner reports, file by file; skipping, resume,
the CSV report and never touching a source are the engine's, so a folder restored from the GUI and
one restored with `colorsphere colorize` come out the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
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
from .wording import gui_words
from .workers import ColorizerPool, Task, TaskTracker

FORMATS = {"Same as each photo": None, "PNG": "png", "JPEG": "jpg", "TIFF": "tiff"}
STATUS_COLOURS = {
    "done": QColor("#2e9d55"),
    "up to date": QColor("#2e9d55"),
    "skipped": QColor("#8a8f98"),
    "failed": QColor("#d0443a"),
    "cancelled": QColor("#8a8f98"),
}
UP_TO_DATE = "up to date"
SHOWN_STATUSES = ("done", UP_TO_DATE, "skipped", "failed")
FILE_SHARE = 0.45  # the most of the file list's width the File column takes when names are long


def shown_status(result: FileResult) -> str:
    """The row's status as the user reads it: a result kept from an earlier run is "up to date", not a
    photo colorized now (the engine reports both as done)."""
    if result.status == "done" and result.message.startswith(UP_TO_DATE):
        return UP_TO_DATE
    return result.status


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
        self._outputs: dict[Path, Path] = {}  # source -> its colour version, for "Open result"
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
        self.files.itemDoubleClicked.connect(lambda item, _column: self.open_result(item))
        self.files.itemSelectionChanged.connect(self._selection_changed)
        self.files.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.files.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.files, 1)

        buttons = QHBoxLayout()
        self.open_button = QPushButton(action_icon("folder"), "Open destination")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self.open_destination)
        self.result_button = QPushButton("Open result")
        self.result_button.setToolTip("Open the selected photo's colour version (or double-click its row)")
        self.result_button.setEnabled(False)
        self.result_button.clicked.connect(lambda: self.open_result())
        self.retry_button = QPushButton("Retry failed only")
        self.retry_button.setToolTip("Run the batch again on the photos that failed, and on nothing else")
        self.retry_button.setEnabled(False)
        self.retry_button.clicked.connect(self.retry_failed)
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
        buttons.addWidget(self.result_button)
        buttons.addStretch(1)
        for button in (self.retry_button, self.start_button, self.cancel_button, close):
            buttons.addWidget(button)
        layout.addLayout(buttons)

    def _folder_row(self, form: QFormLayout, label: str, role: str, tip: str) -> QLineEdit:
        edit = QLineEdit(self._settings.saved_folder(role))
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
        self._start(None)

    def retry_failed(self) -> None:
        """Run again on the rows that failed only; the others keep their results and are not listed."""
        results = self._summary.results if self._summary is not None else []
        failed = frozenset(r.source for r in results if r.status == "failed")
        if failed:
            self._start(failed)

    def _start(self, only: frozenset[Path] | None) -> None:
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
            only,
        )
        self.files.clear()
        self._rows.clear()
        self._outputs.clear()
        self.retry_button.setEnabled(False)
        self.result_button.setEnabled(False)
        self._notes.clear()
        self._summary = None
        self.progress.setRange(0, 0)
        self.open_button.setEnabled(False)
        self._say("Looking for photos…")
        task = Task("Batch restoration", batch_job(self._pool, request))
        task.stage.connect(self._stage)
        task.result.connect(self._done)
        task.error.connect(self._failed)
        task.cancelled.connect(self._cancelled_early)
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
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,  # Enter keeps the earlier results
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
            self._fit_file_column()
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

    def _fit_file_column(self) -> None:
        """As wide as the longest name, but never so wide that Details is pushed out of sight: long
        paths are shortened in the middle (the full path is the row's tooltip)."""
        widest = self.files.sizeHintForColumn(0) + 12
        self.files.setColumnWidth(0, max(120, min(widest, int(self.files.viewport().width() * FILE_SHARE))))

    def _show_result(self, result: FileResult, i: int, n: int) -> None:
        item = self._rows.get(result.source)
        if result.output is not None and result.status != "failed":
            self._outputs[result.source] = result.output
        status = shown_status(result)
        if item is not None:
            details = gui_words(result.message) or (str(result.output) if result.output else "")
            item.setText(1, status)
            item.setForeground(1, QBrush(STATUS_COLOURS.get(status, QColor("black"))))
            item.setText(2, details)
            item.setToolTip(2, details)
            self.files.scrollToItem(item)
        self.progress.setValue(i + 1)
        if status not in ("skipped", UP_TO_DATE):  # the ETA counts photos that took the network's time
            self._worked += 1
        left = n - i - 1
        elapsed = time.monotonic() - self._started
        eta = f", about {format_eta(elapsed / self._worked * left)} left" if self._worked and left else ""
        self._say(f"{i + 1} of {n} processed{eta}.")

    def _done(self, summary: BatchSummary) -> None:
        shown = [shown_status(r) for r in summary.results]
        counts = ", ".join(f"{shown.count(s)} {s}" for s in SHOWN_STATUSES if shown.count(s) or s == "done")
        if summary.cancelled:
            head = "Cancelled"
            left = self._mark_unfinished("cancelled")
            counts += f", {left} cancelled" if left else ""
        elif summary.stopped_reason:
            head = f"Stopped: {gui_words(summary.stopped_reason)}"
            self._mark_unfinished("not processed")
        else:
            head = "Finished"
        notes = "".join(f"\n{note}" for note in self._notes)
        self._say(
            f"{head}: {counts}. The report is {Path(self.dest.text()) / REPORT_NAME}.{notes}",
            error=bool(summary.count("failed") or summary.stopped_reason),
        )
        self.open_button.setEnabled(True)
        self._summary = summary
        self.retry_button.setEnabled(summary.count("failed") > 0)

    def _failed(self, text: str) -> None:
        self._say(gui_words(text), error=True)
        self._mark_unfinished("not processed")

    def _cancelled_early(self) -> None:
        self._mark_unfinished("cancelled")
        self._say("Cancelled before any photo was colorized.")

    def _mark_unfinished(self, status: str) -> int:
        """Rows still "waiting" when the batch ends say why they were not done; returns how many."""
        rows = [item for item in self._rows.values() if item.text(1) == "waiting"]
        for item in rows:
            item.setText(1, status)
            item.setForeground(1, QBrush(STATUS_COLOURS.get(status, QColor("black"))))
        return len(rows)

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

    def _selection_changed(self) -> None:
        self.result_button.setEnabled(self._output_of(self.files.currentItem()) is not None)

    def _output_of(self, item: QTreeWidgetItem | None) -> Path | None:
        source = next((s for s, row in self._rows.items() if row is item), None)
        output = self._outputs.get(source) if source is not None else None
        return output if output is not None and output.is_file() else None

    def open_result(self, item: QTreeWidgetItem | None = None) -> None:
        """Open a row's colour version in the system's viewer; a row without one says why."""
        output = self._output_of(item or self.files.currentItem())
        if output is None:
            self._say("This photo has no colour version to open (it failed, was skipped or is waiting).")
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(output)))

    def open_destination(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(self.dest.text()))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self._task is not None:
            answer = QMessageBox.question(
                self,
                "Stop the batch?",
                "A batch is running. Stop it after the current photo and close?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,  # Enter lets the batch go on
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
            self.cancel()
        super().closeEvent(event)
