"""Compare: score every installed model against colours known to be right, and show where they differ.

This is how colorization papers compare models (PSNR, MSE, SSIM against the ground-truth colours),
done on the user's own kind of pictures, which is what tells an archive which model suits its scans.
The truth is either the photo itself (a colour photo, turned black and white first) or, for a grey
scan, a colour reference the user picks: a colour print or an earlier colour copy of the same picture.
Next to the numbers, the dialog shows the reference, the chosen model's result and a difference map,
because a score alone does not say whether the error is a wrong sky or a wrong face.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from colorsphere_gui.core.photo import SUPPORTED_EXTENSIONS

from .icons import app_icon
from .jobs import DELTA_E_SCALE, LoadedPhoto, Score, compare_job
from .workers import ColorizerPool, Task, TaskTracker

COLUMNS = ["Model", "PSNR (dB) ↑", "MSE ↓", "SSIM ↑", "Mean ΔE ↓"]
IMAGE_SIDE = 270  # logical pixels of each image in the dialog


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
        self.setWindowTitle(f"Compare: {name}")
        self.setWindowIcon(app_icon())
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(880, 560)
        self._pool, self._loaded, self._models, self._device, self._tracker = (
            pool,
            loaded,
            models,
            device,
            tracker,
        )
        self.scores: list[Score] = []
        self.reference: Path | None = None
        self._task: Task | None = None
        layout = QVBoxLayout(self)
        w, h = loaded.photo.size
        if loaded.is_colour:
            text = (
                f"<b>{name}</b> is a colour photo ({w} × {h}). It is turned black and white, colorized by "
                "each installed model, and each result is compared with the original colours. To score a "
                "grey scan instead, open the scan and choose its colour reference here."
            )
        else:
            text = (
                f"<b>{name}</b> is a black-and-white scan ({w} × {h}). Choose a colour reference of the "
                "same picture (a colour print or an earlier colour copy, cropped alike): each model's "
                "result is compared with it."
            )
        intro = QLabel(text + " Higher PSNR and SSIM, lower MSE and ΔE, mean closer.")
        intro.setWordWrap(True)
        layout.addWidget(intro)

        row = QHBoxLayout()
        self.reference_label = QLabel("Reference: the photo's own colours" if loaded.is_colour else "")
        self.reference_label.setAccessibleName("Colour reference")
        self.reference_label.setWordWrap(True)
        self.reference_button = QPushButton("Choose colour reference…")
        self.reference_button.setAccessibleName("Choose a colour reference")
        self.reference_button.setToolTip("A colour photo of the same picture, to score a grey scan against")
        self.reference_button.clicked.connect(self.choose_reference)
        row.addWidget(self.reference_label, 1)
        row.addWidget(self.reference_button)
        layout.addLayout(row)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName("Scores of each model against the reference")
        self.table.itemSelectionChanged.connect(self._show_selected)
        self.table.setMaximumHeight(140)  # a few models; the room goes to the images
        layout.addWidget(self.table)

        images = QGridLayout()
        self.images: dict[str, QLabel] = {}
        captions = {
            "reference": "Reference (right colours)",
            "result": "Result of the selected model",
            "difference": f"Difference (black: same; yellow: ΔE ≥ {DELTA_E_SCALE:.0f})",
        }
        for column, (key, caption) in enumerate(captions.items()):
            label = QLabel()
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setMinimumSize(IMAGE_SIDE, IMAGE_SIDE * 2 // 3)
            label.setAccessibleName(caption)
            label.setStyleSheet("background:#26282c; color:#c8ccd2;")
            self.images[key] = label
            title = QLabel(caption)
            title.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom)
            title.setWordWrap(True)
            images.addWidget(title, 0, column)
            images.addWidget(label, 1, column)
        images.setRowStretch(1, 1)
        layout.addLayout(images, 1)

        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setAccessibleName("Comparison progress")
        layout.addWidget(self.progress)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)

        if loaded.is_colour:
            self._start()
        else:
            self.progress.hide()
            self.images["reference"].setText("Choose a colour reference")

    # ----- running -----
    def choose_reference(self) -> None:
        patterns = " ".join(f"*{ext}" for ext in sorted(SUPPORTED_EXTENSIONS))
        start = str(self._loaded.photo.path.parent) if self._loaded.photo.path else ""
        name, _ = QFileDialog.getOpenFileName(
            self, "Choose a colour reference", start, f"Photos ({patterns});;All files (*)"
        )
        if name:
            self.set_reference(Path(name))

    def set_reference(self, path: Path) -> None:
        """Score against this colour photo; a comparison still running is stopped first."""
        if self._task is not None:
            self._task.cancel()
        self.reference = path
        self.reference_label.setText(f"Reference: {path.name}")
        self.reference_label.setToolTip(str(path))
        self._start()

    def _start(self) -> None:
        self.scores = []
        self.table.setRowCount(0)
        for label in self.images.values():
            label.clear()
        self.progress.show()
        self.progress.setValue(0)
        task = Task(
            f"Comparing models on {self._loaded.photo.path.name}",
            compare_job(self._pool, self._loaded, self._models, self._device, self.reference),
        )
        # Bound methods only: Qt disconnects them if the dialog is closed (and deleted) mid-way.
        task.progress.connect(self._progress)
        task.stage.connect(self._stage)
        task.result.connect(self._ready)
        task.error.connect(self._error)
        task.finished.connect(self._finished)
        self._task = task
        self._tracker.start(task)

    def _progress(self, label: str, fraction: float) -> None:
        if self.sender() is not self._task:
            return
        self.progress.setValue(round(max(0.0, fraction) * 100))
        self.progress.setFormat(f"{label} (%p %)")

    def _ready(self, _result: object) -> None:
        if self.sender() is self._task:
            self.scores_ready.emit(self.scores)

    def _stage(self, kind: str, payload: object) -> None:
        if self.sender() is not self._task:
            return  # a comparison replaced by another reference
        if kind == "reference" and isinstance(payload, QImage):
            self._set_image("reference", payload)
        elif kind == "score" and isinstance(payload, Score):
            self._add_score(payload)

    def _add_score(self, score: Score) -> None:
        self.scores.append(score)
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(score.label))
        if score.error:
            item = QTableWidgetItem(score.error)
            item.setToolTip(score.error)
            self.table.setItem(row, 1, item)
            self.table.setSpan(row, 1, 1, len(COLUMNS) - 1)
            return
        values = (
            "∞" if math.isinf(score.psnr) else f"{score.psnr:.2f}",
            f"{score.mse:.1f}",
            f"{score.ssim:.4f}",
            f"{score.delta_e:.1f}",
        )
        for column, text in enumerate(values, start=1):
            item = QTableWidgetItem(text)
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, column, item)
        if not self.table.selectedItems():
            self.table.selectRow(row)

    def _show_selected(self) -> None:
        rows = {i.row() for i in self.table.selectedItems()}
        if len(rows) != 1 or min(rows) >= len(self.scores):
            return
        score = self.scores[min(rows)]
        for key, image in (("result", score.result), ("difference", score.difference)):
            if image is not None:
                self._set_image(key, image)

    def _set_image(self, key: str, image: QImage) -> None:
        label = self.images[key]
        fit, smooth = Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        label.setPixmap(QPixmap.fromImage(image).scaled(IMAGE_SIDE, IMAGE_SIDE, fit, smooth))

    def _error(self, text: str) -> None:
        if self.sender() is not self._task:
            return
        self.progress.hide()
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(text))
        self.table.setSpan(row, 0, 1, len(COLUMNS))

    def _finished(self) -> None:
        if self.sender() is self._task:
            self._task = None
            self.progress.hide()

    def running(self) -> bool:
        return self._task is not None

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self._task is not None:
            self._task.cancel()  # the tracker keeps the thread until it stops after the current model
        super().closeEvent(event)
