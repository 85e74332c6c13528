"""'Compare with original': score every installed model on a colour photo used as a test case.

This is how colorization papers compare models (PSNR, MSE, SSIM against the ground-truth colours),
done on the user's own kind of pictures, which is what tells an archive which model suits its scans.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .icons import app_icon
from .jobs import LoadedPhoto, Score, compare_job
from .workers import ColorizerPool, Task, TaskTracker

COLUMNS = ["Model", "PSNR (dB) ↑", "MSE ↓", "SSIM ↑"]


class CompareDialog(QDialog):
    scores_ready = Signal(list)  # list[Score], when every model has been scored

    def __init__(
        self,
        pool: ColorizerPool,
        loaded: LoadedPhoto,
        name: str,
        models: list[tuple[str, str]],
        device: str,
        tracker: TaskTracker,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Compare with original: {name}")
        self.setWindowIcon(app_icon())
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(620, 320)
        self.scores: list[Score] = []
        layout = QVBoxLayout(self)
        w, h = loaded.photo.size
        intro = QLabel(
            f"<b>{name}</b> is a colour photo ({w} × {h}). It was turned black and white (its own "
            "luminance, no colour), colorized by each installed model, and each result is compared with "
            "the original colours. Higher PSNR and SSIM, and lower MSE, mean closer to the original."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName("Scores of each model against the original")
        layout.addWidget(self.table, 1)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setAccessibleName("Comparison progress")
        layout.addWidget(self.progress)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)

        self._task: Task | None = Task(
            f"Comparing models on {name}", compare_job(pool, loaded, models, device)
        )
        # Bound methods only: Qt disconnects them if the dialog is closed (and deleted) mid-way.
        self._task.progress.connect(self._progress)
        self._task.stage.connect(self._score)
        self._task.result.connect(self._ready)
        self._task.error.connect(self._error)
        self._task.finished.connect(self._finished)
        tracker.start(self._task)

    def _progress(self, label: str, fraction: float) -> None:
        self.progress.setValue(round(max(0.0, fraction) * 100))
        self.progress.setFormat(f"{label} (%p %)")

    def _ready(self, _result: object) -> None:
        self.scores_ready.emit(self.scores)

    def _score(self, kind: str, score: object) -> None:
        if kind != "score" or not isinstance(score, Score):
            return
        self.scores.append(score)
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(score.label))
        if score.error:
            item = QTableWidgetItem(score.error)
            item.setToolTip(score.error)
            self.table.setItem(row, 1, item)
            self.table.setSpan(row, 1, 1, 3)
            return
        values = (
            "∞" if math.isinf(score.psnr) else f"{score.psnr:.2f}",
            f"{score.mse:.1f}",
            f"{score.ssim:.4f}",
        )
        for column, text in enumerate(values, start=1):
            item = QTableWidgetItem(text)
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, column, item)

    def _error(self, text: str) -> None:
        self.progress.hide()
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(text))
        self.table.setSpan(row, 0, 1, len(COLUMNS))

    def _finished(self) -> None:
        self._task = None
        self.progress.hide()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self._task is not None:
            self._task.cancel()  # the tracker keeps the thread until it stops after the current model
        super().closeEvent(event)
