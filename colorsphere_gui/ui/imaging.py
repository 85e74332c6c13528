"""Array <-> QImage and resizing helpers, called on worker threads (QImage, unlike QPixmap, may be
built off the GUI thread), so that the GUI thread only ever paints finished 8-bit images."""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtGui import QImage

THUMB_SIDE = 192  # device pixels: sharp at 96 logical pixels on a 2x screen


def to_qimage(rgb8: np.ndarray) -> QImage:
    """QImage owning a copy of an HxWx3 (or HxW) uint8 array."""
    arr = np.ascontiguousarray(rgb8)
    h, w = arr.shape[:2]
    if arr.ndim == 2:
        image = QImage(arr.data, w, h, w, QImage.Format.Format_Grayscale8)
    else:
        image = QImage(arr.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return image.copy()


def float_to_rgb8(rgb: np.ndarray) -> np.ndarray:
    """[0, 1] float RGB to uint8, rounded (merge_to_rgb already clips)."""
    out = rgb * np.float32(255.0)
    out += np.float32(0.5)
    return out.astype(np.uint8)


def fitted_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """(w, h) scaled down to fit max_side, never up."""
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def shrink(arr: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-averaged downscale to (w, h): what a reduced view of a scan should show, without moiré."""
    if (arr.shape[1], arr.shape[0]) == size:
        return arr
    return cv2.resize(arr, size, interpolation=cv2.INTER_AREA)
