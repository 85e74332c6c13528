"""Export options: how Save, Save As and Save All write files (JPEG quality, TIFF compression, the name
suffix, the format of Save All), chosen once in a small dialog and remembered between sessions.

The writer takes quality and compression as parameters; the dialog only collects them, so the batch and
the command line keep their own defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from colorsphere_gui.core.writer import JPEG_QUALITY

from .icons import app_icon
from .settings import Settings

DEFAULT_SUFFIX = "-colour"
# label -> value of Save All's format (None: each photo's own format, PNG for formats that are not saved)
SAVE_ALL_FORMATS = {"Same as each photo": None, "PNG": ".png", "JPEG": ".jpg", "TIFF": ".tif"}
TIFF_LABELS = {None: "None (largest, fastest)", "deflate": "Deflate/ZIP (lossless, about half the size)"}
_BAD_NAME_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


@dataclass(frozen=True)
class ExportOptions:
    suffix: str = DEFAULT_SUFFIX
    jpeg_quality: int = JPEG_QUALITY
    tiff_compression: str | None = None
    save_all_format: str | None = None  # ".png", ".jpg", ".tif" or None for each photo's own

    @classmethod
    def load(cls, settings: Settings) -> ExportOptions:
        store = settings.store
        quality = store.value("export/jpeg-quality", JPEG_QUALITY)
        compression = str(store.value("export/tiff-compression", "") or "") or None
        fmt = str(store.value("export/save-all-format", "") or "") or None
        return cls(
            suffix=clean_suffix(str(store.value("export/suffix", DEFAULT_SUFFIX))),
            jpeg_quality=min(100, max(1, int(quality))) if str(quality).isdigit() else JPEG_QUALITY,
            tiff_compression=compression if compression in TIFF_LABELS else None,
            save_all_format=fmt if fmt in SAVE_ALL_FORMATS.values() else None,
        )

    def store(self, settings: Settings) -> None:
        store = settings.store
        store.setValue("export/suffix", self.suffix)
        store.setValue("export/jpeg-quality", self.jpeg_quality)
        store.setValue("export/tiff-compression", self.tiff_compression or "")
        store.setValue("export/save-all-format", self.save_all_format or "")


def clean_suffix(text: str) -> str:
    """The suffix as it can go into a file name on every system: no slashes, colons or control codes."""
    return _BAD_NAME_CHARS.sub("", text.strip())


class ExportOptionsDialog(QDialog):
    """File ▸ Export Options…: the four choices, with an example name that follows the suffix."""

    def __init__(self, options: ExportOptions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Options")
        self.setWindowIcon(app_icon())
        layout = QVBoxLayout(self)
        form = QFormLayout()

        self.suffix = QLineEdit(options.suffix)
        self.suffix.setAccessibleName("Name suffix")
        self.suffix.setToolTip("Added to each photo's name; ColorSphere never saves over an original")
        self.example = QLabel()
        self.example.setAccessibleName("Example file name")
        self.suffix.textChanged.connect(self._show_example)
        form.addRow("Name suffix", self.suffix)
        form.addRow("", self.example)

        self.save_all_format = QComboBox()
        self.save_all_format.setAccessibleName("Format for Save All")
        for label, value in SAVE_ALL_FORMATS.items():
            self.save_all_format.addItem(label, value)
        self.save_all_format.setCurrentIndex(max(0, self.save_all_format.findData(options.save_all_format)))
        form.addRow("Format for Save All", self.save_all_format)

        quality_row = QHBoxLayout()
        self.quality_slider = QSlider(Qt.Orientation.Horizontal)
        self.quality_slider.setRange(50, 100)
        self.quality_slider.setAccessibleName("JPEG quality slider")
        self.jpeg_quality = QSpinBox()
        self.jpeg_quality.setRange(50, 100)
        self.jpeg_quality.setAccessibleName("JPEG quality")
        self.jpeg_quality.setToolTip("95 keeps fine colour detail; lower values make smaller files")
        self.quality_slider.valueChanged.connect(self.jpeg_quality.setValue)
        self.jpeg_quality.valueChanged.connect(self.quality_slider.setValue)
        self.jpeg_quality.setValue(max(50, options.jpeg_quality))
        quality_row.addWidget(self.quality_slider, 1)
        quality_row.addWidget(self.jpeg_quality)
        form.addRow("JPEG quality", quality_row)

        self.tiff_compression = QComboBox()
        self.tiff_compression.setAccessibleName("TIFF compression")
        for value, label in TIFF_LABELS.items():
            self.tiff_compression.addItem(label, value)
        index = self.tiff_compression.findData(options.tiff_compression)
        self.tiff_compression.setCurrentIndex(max(0, index))
        form.addRow("TIFF compression", self.tiff_compression)
        layout.addLayout(form)

        note = QLabel(
            "Save and Save As keep each photo's format unless you choose another in the Save dialog. "
            "PNG and TIFF are lossless; originals are never overwritten."
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self._defaults)
        self.buttons = buttons
        layout.addWidget(buttons)
        self._show_example()

    def options(self) -> ExportOptions:
        return ExportOptions(
            suffix=clean_suffix(self.suffix.text()),
            jpeg_quality=self.jpeg_quality.value(),
            tiff_compression=self.tiff_compression.currentData(),
            save_all_format=self.save_all_format.currentData(),
        )

    def _defaults(self) -> None:
        default = ExportOptions()
        self.suffix.setText(default.suffix)
        self.jpeg_quality.setValue(default.jpeg_quality)
        self.tiff_compression.setCurrentIndex(self.tiff_compression.findData(default.tiff_compression))
        self.save_all_format.setCurrentIndex(self.save_all_format.findData(default.save_all_format))

    def _show_example(self) -> None:
        self.example.setText(f"For example: wedding-1952{clean_suffix(self.suffix.text())}.tif")
