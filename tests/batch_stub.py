"""A stand-in colorizer for batch tests: the Stages protocol with no network, so a test measures and
checks the bookkeeping (record, names, report, signals) in milliseconds per photo.

Its colour is a fixed warm tint on the photo's own grey, so an output is a real, decodable image of the
source's size; `gate` and `entered` let a test hold a photo inside the "network".
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from colorsphere_gui.core.photo import Photo


@dataclass
class _Prediction:
    ab: np.ndarray


class StubStages:
    batch_size = 1

    def __init__(self) -> None:
        self.calls = 0
        self.entered = threading.Event()
        self.gate: threading.Event | None = None

    def prepare(self, photo: Photo) -> np.ndarray:
        return np.zeros((1, 8, 8), np.float32)

    def predict_inputs(self, inputs: Sequence[np.ndarray], names: Sequence[str]) -> list[_Prediction]:
        self.calls += len(inputs)
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(30)
        return [_Prediction(np.full((8, 8, 2), 20.0, np.float32)) for _ in inputs]

    def render(self, photo: Photo, ab: np.ndarray, strength: float, dtype: type[np.generic]) -> np.ndarray:
        grey = photo.to_float()
        grey = grey if grey.ndim == 2 else grey.mean(axis=2)
        top = np.iinfo(dtype).max
        rgb = np.stack([grey, grey * 0.9, grey * 0.8], axis=2)
        return np.rint(np.clip(rgb, 0, 1) * top).astype(dtype)

    def colorize(self, photo: Photo, strength: float) -> np.ndarray:
        return self.render(photo, np.zeros((8, 8, 2), np.float32), strength, np.uint8)
