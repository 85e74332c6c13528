"""The small panels of the side bar: device, colour strength, photo details."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

# settings value -> label; "gpu" maps to the engine's cuda or mps at run time
DEVICE_LABELS = {"auto": "Auto (GPU if available)", "gpu": "GPU", "cpu": "CPU"}


class DevicePanel(QGroupBox):
    """Where the network runs, and what actually ran last (the engine may have fallen back)."""

    device_changed = Signal(str)  # "auto" | "gpu" | "cpu"

    def __init__(self, gpu_name: str, parent: QWidget | None = None) -> None:
        super().__init__("Device", parent)
        self._gpu_name = gpu_name
        layout = QVBoxLayout(self)
        self.combo = QComboBox()
        self.combo.setAccessibleName("Compute device")
        # A long GPU name must not widen the side panel: the combo elides, its tooltip has it all.
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(12)
        for value, label in DEVICE_LABELS.items():
            self.combo.addItem(f"GPU ({gpu_name})" if value == "gpu" and gpu_name else label, value)
        if not gpu_name:
            item = self.combo.model().item(self.combo.findData("gpu"))  # type: ignore[attr-defined]
            item.setEnabled(False)
            item.setToolTip("No CUDA or Apple GPU was found on this machine")
        self.combo.currentIndexChanged.connect(lambda: self.device_changed.emit(self.choice()))
        layout.addWidget(self.combo)
        self.indicator = QLabel()
        self.indicator.setWordWrap(True)
        self.indicator.setAccessibleName("Device in use")
        layout.addWidget(self.indicator)
        self.show_planned()

    def choice(self) -> str:
        return str(self.combo.currentData())

    def set_choice(self, value: str) -> None:
        index = self.combo.findData(value)
        if index >= 0 and (value != "gpu" or self._gpu_name):
            self.combo.setCurrentIndex(index)

    def show_planned(self) -> None:
        """Before anything has run: say what will run, and why the CPU when it is the CPU."""
        if self.choice() == "cpu":
            text = "Will run on the CPU (chosen)."
        elif self._gpu_name:
            text = f"Will run on the GPU: {self._gpu_name}."
        else:
            text = "Will run on the CPU: no GPU found."
        self.indicator.setText(text)

    def show_running(self, description: str) -> None:
        self.indicator.setText(f"Running on {description}.")


class StrengthPanel(QGroupBox):
    """Scales the chroma the model chose; re-rendered from the stored prediction, never re-run."""

    strength_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Colour strength", parent)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 200)
        self.slider.setValue(100)
        self.slider.setPageStep(10)
        self.slider.setTickInterval(50)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setAccessibleName("Colour strength")
        self.slider.setToolTip("0 % is the black-and-white original, 100 % the model's colours")
        self.value = QLabel()
        self.value.setMinimumWidth(44)
        self.value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(self.slider, 1)
        row.addWidget(self.value)
        layout.addLayout(row)
        reset = QPushButton("Reset to 100 %")
        reset.setAccessibleName("Reset colour strength")
        reset.clicked.connect(lambda: self.slider.setValue(100))
        layout.addWidget(reset)
        self.slider.valueChanged.connect(self._changed)
        self._changed(self.slider.value())

    def strength(self) -> float:
        return self.slider.value() / 100.0

    def _changed(self, value: int) -> None:
        self.value.setText(f"{value} %")
        self.strength_changed.emit(value / 100.0)


class PhotoPanel(QGroupBox):
    """What the current photo is, and the test-case comparison for colour photos."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Photo", parent)
        layout = QVBoxLayout(self)
        self.details = QLabel("No photo")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAccessibleName("Photo details")
        layout.addWidget(self.details)
        self.compare_button = QPushButton("Compare models…")
        self.compare_button.setAccessibleName("Compare every model with the right colours")
        self.compare_button.setToolTip(
            "Colorize with each installed model and score the results against the right colours: a "
            "colour photo's own, or a colour reference you choose for a grey scan (PSNR, MSE, SSIM, ΔE)"
        )
        self.compare_button.setEnabled(False)
        layout.addWidget(self.compare_button)
