"""Choosing a model, and getting it when its weights are missing (download with progress, or import).

Every model is listed, installed or not, so that a user learns what exists; a missing one shows how
to get it right where it was chosen, instead of failing later with an error.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QWidget,
)

from .about import model_info_dialog
from .catalog import ModelCatalog, short_name
from .icons import action_icon
from .settings import Settings
from .wording import gui_words
from .workers import Task, TaskContext, TaskTracker

PROGRESS_INTERVAL_S = 0.1


def _megabytes(n: int | None) -> str:
    return "?" if n is None else f"{n / 1e6:.1f} MB"


class ModelPanel(QGroupBox):
    model_changed = Signal(str)  # the selection changed (the model may still be missing)
    model_installed = Signal(str)  # weights of this model just arrived
    message = Signal(str, str)  # text, level: for the window's notice bar
    failed = Signal(str)  # a download or import failed: the window offers both ways again

    def __init__(
        self, catalog: ModelCatalog, tracker: TaskTracker, settings: Settings, parent: QWidget | None = None
    ) -> None:
        super().__init__("Model", parent)
        self.catalog = catalog
        self._tracker = tracker
        self._settings = settings
        self._task: Task | None = None
        layout = QGridLayout(self)

        self.combo = QComboBox()
        self.combo.setAccessibleName("Model")
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(12)
        self.combo.setToolTip("The network that chooses the colours (Ctrl+M opens this list)")
        self.combo.currentIndexChanged.connect(self._selected)
        layout.addWidget(self.combo, 0, 0, 1, 2)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Model status")
        layout.addWidget(self.status, 1, 0, 1, 2)

        self.info_button = QPushButton(action_icon("info"), "Licence && citation")
        self.info_button.setAccessibleName("Show the model's licence and citation")
        self.info_button.clicked.connect(self.show_info)
        layout.addWidget(self.info_button, 2, 0, 1, 2)

        self.download_button = QPushButton(action_icon("download"), "Download")
        self.download_button.setAccessibleName("Download the model's weights")
        self.download_button.clicked.connect(self.download)
        self.import_button = QPushButton(action_icon("import"), "Import file…")
        self.import_button.setAccessibleName("Import a weights file for the model")
        self.import_button.clicked.connect(lambda: self.import_file())
        layout.addWidget(self.download_button, 3, 0)
        layout.addWidget(self.import_button, 3, 1)

        progress_row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setAccessibleName("Download progress")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel the download")
        self.cancel_button.clicked.connect(self.cancel)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        layout.addLayout(progress_row, 4, 0, 1, 2)

        self.refresh()

    # ----- state -----
    def current(self) -> str:
        return str(self.combo.currentData() or "")

    def set_current(self, name: str) -> None:
        index = self.combo.findData(name)
        if index >= 0:
            self.combo.setCurrentIndex(index)

    def is_ready(self) -> bool:
        return bool(self.current()) and self.catalog.status(self.current()).installed

    def installed_models(self) -> list[tuple[str, str]]:
        return [(s.name, short_name(s)) for s in self.catalog.statuses() if s.installed]

    def refresh(self) -> None:
        """Re-read which models are installed, keeping the selection."""
        keep = self.current()
        self.combo.blockSignals(True)
        self.combo.clear()
        for status in self.catalog.statuses():
            label = short_name(status) + ("" if status.installed else "  (not installed)")
            self.combo.addItem(label, status.name)
            self.combo.setItemData(self.combo.count() - 1, status.display_name, Qt.ItemDataRole.ToolTipRole)
        index = self.combo.findData(keep)
        self.combo.setCurrentIndex(index if index >= 0 else 0)
        self.combo.blockSignals(False)
        self._show_state()

    def _selected(self) -> None:
        self._show_state()
        self.model_changed.emit(self.current())

    def _show_state(self) -> None:
        name = self.current()
        if not name:
            return
        status = self.catalog.status(name)
        busy = self._task is not None
        if status.installed:
            self.status.setText(f"Ready · {gui_words(status.licence)}")
        elif busy:
            self.status.setText("Getting the weights…")
        else:
            size = self.catalog.download_size(name)
            download = f"Download (about {size / 1e6:.0f} MB)" if size else "Download"
            where = f"{download} or import" if self.catalog.can_download(name) else "Import"
            self.status.setText(f"<b>Not installed.</b> {where} its weights file to use it.")
        self.download_button.setVisible(not status.installed and self.catalog.can_download(name))
        self.import_button.setVisible(not status.installed)
        self.download_button.setEnabled(not busy)
        self.import_button.setEnabled(not busy)
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)

    def show_info(self) -> None:
        model_info_dialog(self.catalog.status(self.current()), self.window()).show()

    # ----- getting weights -----
    def download(self) -> None:
        name = self.current()
        self.progress.setValue(0)
        self.progress.setFormat("Connecting…")

        def job(ctx: TaskContext) -> str:
            last = [0.0]

            def progress(done: int, total: int | None) -> None:
                now = time.monotonic()
                if now - last[0] >= PROGRESS_INTERVAL_S or (total and done >= total):
                    last[0] = now
                    ctx.emit("bytes", (done, total))

            self.catalog.download(name, progress, ctx.cancel_event)
            return name

        self._start(Task(f"Downloading {name}", job), "Download cancelled; the next download resumes it.")

    def import_file(self, file: str | None = None) -> None:
        name = self.current()
        if file is None:
            file, _ = QFileDialog.getOpenFileName(
                self.window(),
                f"Import weights for {name}",
                self._settings.folder("weights"),
                "PyTorch weights (*.pth *.pt *.bin);;All files (*)",
            )
            if not file:
                return
        path = Path(file)
        self._settings.set_folder("weights", path.parent)

        def job(ctx: TaskContext) -> str:
            ctx.step(f"Checking {path.name}")
            result = self.catalog.import_file(name, path)
            if result.warning:
                ctx.emit("warning", result.warning)
            return name

        self.progress.setRange(0, 0)  # busy: checking a file has no measurable progress
        self._start(Task(f"Importing weights for {name}", job), "Import cancelled.")

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.cancel_button.setEnabled(False)

    def _start(self, task: Task, cancelled_text: str) -> None:
        self._task = task
        self.cancel_button.setEnabled(True)
        task.stage.connect(self._stage)
        task.result.connect(self._installed)
        task.error.connect(self.failed.emit)
        task.cancelled.connect(lambda: self.message.emit(cancelled_text, "info"))
        task.finished.connect(self._finished)
        self._tracker.start(task)
        self._show_state()

    def _stage(self, kind: str, payload: object) -> None:
        if kind == "bytes":
            done, total = payload  # type: ignore[misc]
            if total:
                self.progress.setRange(0, 1000)
                self.progress.setValue(int(1000 * done / total))
                self.progress.setFormat(f"{_megabytes(done)} of {_megabytes(total)}")
            else:
                self.progress.setFormat(_megabytes(done))
        elif kind == "warning":
            self.message.emit(str(payload), "warning")

    def _installed(self, name: str) -> None:
        self.message.emit(f"{name} is installed and ready.", "info")
        self._task = None
        self.refresh()
        self.model_installed.emit(name)

    def _finished(self) -> None:
        self._task = None
        self.progress.setRange(0, 1000)
        self._show_state()
