"""The side panel's warm/cool and saturation sliders.

Only the numbers live here: the colour maths is core.adjust.Adjustment, applied by the workers on the
network's ab, so moving a slider re-renders from the stored prediction and never blocks the window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QPushButton, QSlider, QWidget


def _slider(name: str, tip: str) -> QSlider:
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(-100, 100)
    slider.setValue(0)
    slider.setPageStep(10)
    slider.setTickInterval(50)
    slider.setTickPosition(QSlider.TickPosition.TicksBelow)
    slider.setAccessibleName(name)
    slider.setToolTip(tip)
    return slider


class AdjustPanel(QGroupBox):
    """Warm/cool and saturation of the result, from -100 to +100 (0: as the model made it)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Adjust colour", parent)
        grid = QGridLayout(self)
        self.warmth = _slider(
            "Warm or cool", "Left: cooler (bluer) · right: warmer (yellower). At strength 0 it tones the scan"
        )
        self.saturation = _slider("Saturation", "Left: less colour · right: more colour, the tone included")
        self._values: dict[QSlider, QLabel] = {}
        for row, (text, slider) in enumerate((("Cool ↔ Warm", self.warmth), ("Saturation", self.saturation))):
            value = QLabel()
            value.setMinimumWidth(38)
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self._values[slider] = value
            grid.addWidget(QLabel(text), 2 * row, 0, 1, 2)
            grid.addWidget(slider, 2 * row + 1, 0)
            grid.addWidget(value, 2 * row + 1, 1)
            slider.valueChanged.connect(lambda v, s=slider: self._changed(s, v))
            self._changed(slider, 0)
        grid.setColumnStretch(0, 1)
        reset = QPushButton("Reset adjustments")
        reset.setAccessibleName("Reset warm/cool and saturation")
        reset.clicked.connect(lambda: self.set_values(0.0, 0.0))
        grid.addWidget(reset, 4, 0, 1, 2)

    def values(self) -> tuple[float, float]:
        """(warmth, saturation), each in -1..1."""
        return self.warmth.value() / 100.0, self.saturation.value() / 100.0

    def set_values(self, warmth: float, saturation: float) -> None:
        """Both at once, with one `changed`: switching photos must not render a half-restored look."""
        for slider, value in ((self.warmth, warmth), (self.saturation, saturation)):
            slider.blockSignals(True)
            slider.setValue(round(value * 100))
            slider.blockSignals(False)
            self._values[slider].setText(f"{slider.value():+d}" if slider.value() else "0")
        self.changed.emit()

    def _changed(self, slider: QSlider, value: int) -> None:
        self._values[slider].setText(f"{value:+d}" if value else "0")
        self.changed.emit()
