"""Stand-ins for the network and the weights catalog, and synthetic photos, for the GUI tests.

The fake colorizer returns a fixed, model-specific colour, so that tests can tell which model's result
is on screen and run in milliseconds with no trained weights, no network and no GPU. A `gate` lets a
test hold the fake network mid-inference to exercise Cancel and closing while working.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from PySide6.QtGui import QImage

from colorsphere_gui.core.hints import Suggestion
from colorsphere_gui.core.upsample import merge_to_rgb
from colorsphere_gui.models.weights import ImportResult, ModelStatus
from colorsphere_gui.ui.workers import Cancelled

GATE_TIMEOUT_S = 20
# ab per model: warm red for eccv16, cool blue-green for siggraph17, so a switch is visible in pixels.
MODEL_AB = {"eccv16": (45.0, 35.0), "siggraph17": (-35.0, -40.0)}
HINT_GRID = 64  # with hints, the fake's ab is this many cells a side, each hint filling a disc of them
HINT_RADIUS = 6
LIKELY = ("#2a5db0", "#c8a040", "#3c8a3c")  # the fake's likely colours at any point, best first


@dataclass
class FakePrediction:
    ab: np.ndarray
    device: str


@dataclass
class Network:
    """Shared by every fake colorizer a test creates: what ran, and an optional gate to hold it."""

    calls: list[str] = field(default_factory=list)
    gate: threading.Event | None = None
    entered: threading.Event = field(default_factory=threading.Event)

    fallback: str = ""  # when set, the fake "GPU" fails and the engine's warning is sent

    def factory(self, model: str, device: str, warn) -> FakeColorizer:
        return FakeColorizer(self, model, warn)


class FakeColorizer:
    device_description = "CPU (fake)"

    def __init__(self, network: Network, model: str, warn) -> None:
        self.network, self.model, self.warn = network, model, warn

    def predict(self, photo, hints=()) -> FakePrediction:
        """The model's colour everywhere; each hint's colour over a disc around its point."""
        self.network.calls.append(self.model)
        self.network.entered.set()
        if self.network.gate is not None:
            assert self.network.gate.wait(GATE_TIMEOUT_S), "test never opened the gate"
        side = HINT_GRID if hints else 8
        ab = np.empty((side, side, 2), np.float32)
        ab[...] = MODEL_AB[self.model]
        rows, cols = np.mgrid[0:side, 0:side]
        w, h = photo.size
        for hint in hints:
            disc = np.hypot(rows - hint.y * side / h, cols - hint.x * side / w) <= HINT_RADIUS
            ab[disc] = hint.ab
        if self.network.fallback:
            self.warn(self.network.fallback)
            return FakePrediction(ab, "CPU (GPU failed)")
        return FakePrediction(ab, "CPU (fake)")

    def colorize(self, photo, strength: float = 1.0, hints=()) -> np.ndarray:
        return merge_to_rgb(photo.luminance(), self.predict(photo, hints).ab, strength)

    def likely_colours(self, photo, x: float, y: float, hints=(), count: int = 5) -> list[Suggestion]:
        self.network.calls.append(f"likely:{self.model}")
        return [Suggestion(0.0, 0.0, 1.0 / (i + 1), colour) for i, colour in enumerate(LIKELY[:count])]


class FakeCatalog:
    """Two models, eccv16 installed; siggraph17 missing until imported. Nothing touches disk or network."""

    default_model = "eccv16"

    def __init__(self) -> None:
        self.installed = {"eccv16"}
        self.imported: list[tuple[str, Path]] = []

    def status(self, name: str) -> ModelStatus:
        installed = name in self.installed
        return ModelStatus(
            name,
            f"{name.upper()} — fake {name}",
            installed,
            Path(f"/fake/{name}.pth") if installed else None,
            1000,
            "BSD-2-Clause",
            f"Citation of {name}.",
        )

    def statuses(self) -> list[ModelStatus]:
        return [self.status(n) for n in MODEL_AB]

    def can_download(self, name: str) -> bool:
        return True

    def download_size(self, name: str) -> int | None:
        return 1000

    def download(self, name: str, progress, cancel: threading.Event) -> Path:
        if cancel.is_set():
            raise Cancelled
        progress(1000, 1000)
        self.installed.add(name)
        return Path(f"/fake/{name}.pth")

    def import_file(self, name: str, file: Path) -> ImportResult:
        self.imported.append((name, file))
        self.installed.add(name)
        return ImportResult(Path(f"/fake/{name}.pth"), official=True, warning=None)

    def gpu_backend(self) -> str | None:
        return None

    def gpu_name(self) -> str:
        return ""


def grey_image(path: Path, size: tuple[int, int] = (96, 64), bits: int = 8) -> Path:
    """A horizontal grey ramp with a bright square: structure, no chroma (16 bits: PNG)."""
    w, h = size
    ramp = np.tile(np.linspace(0.1, 0.9, w, dtype=np.float32), (h, 1))
    ramp[h // 4 : h // 2, w // 4 : w // 2] = 0.95
    if bits == 16:
        cv2.imwrite(str(path), (ramp * 65535).astype(np.uint16))
    else:
        Image.fromarray((ramp * 255).astype(np.uint8), mode="L").save(path)
    return path


def colour_image(path: Path, size: tuple[int, int] = (96, 64)) -> Path:
    w, h = size
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[..., 0] = np.linspace(30, 230, w, dtype=np.uint8)[None, :]
    rgb[..., 1] = np.linspace(200, 40, h, dtype=np.uint8)[:, None]
    rgb[..., 2] = 90
    Image.fromarray(rgb, mode="RGB").save(path)
    return path


def from_qimage(image: QImage) -> np.ndarray:
    """HxWx3 uint8 RGB copy of a QImage, to check what is on screen."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w, stride = rgb.height(), rgb.width(), rgb.bytesPerLine()
    buf = np.frombuffer(rgb.constBits(), dtype=np.uint8, count=stride * h).reshape(h, stride)
    return buf[:, : 3 * w].reshape(h, w, 3).copy()


def chroma(image: QImage) -> np.ndarray:
    """Per-pixel max channel difference of a QImage: 0 for grey, large for colour."""
    rgb = from_qimage(image).astype(np.int16)
    return rgb.max(axis=2) - rgb.min(axis=2)
