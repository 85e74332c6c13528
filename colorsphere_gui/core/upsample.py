"""Full-resolution merge of a low-resolution ab prediction with the scan's own L, in strips.

The bilinear weights reproduce torch's `interpolate(mode="bilinear", align_corners=False)` (what
Zhang et al.'s pipeline uses), computed separably so that a 48-megapixel scan never needs a
full-resolution ab or Lab array in memory at once: only the RGB result is full size.
"""

from __future__ import annotations

import numpy as np

from colorsphere_gui.core.color import lab_to_rgb

STRIP_ROWS = 512


def _source_taps(out_size: int, in_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices i0, i1 and weight of i1 for each output position (half-pixel centres, edges clamped)."""
    src = (np.arange(out_size, dtype=np.float64) + 0.5) * (in_size / out_size) - 0.5
    src = np.maximum(src, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    return i0, i1, (src - i0).astype(np.float32)


def resize_columns(ab: np.ndarray, width: int) -> np.ndarray:
    """Bilinear resize along x only: h x w x C -> h x width x C (small: h is the network's size)."""
    i0, i1, wt = _source_taps(width, ab.shape[1])
    wt = wt[None, :, None]
    return ab[:, i0] * (1.0 - wt) + ab[:, i1] * wt


def merge_to_rgb(
    l_full: np.ndarray, ab_small: np.ndarray, strength: float = 1.0, out: np.ndarray | None = None
) -> np.ndarray:
    """RGB float32 (H x W x 3, [0, 1]) from full-resolution L and ab at any smaller size.

    `strength` scales chroma (1 = the model's colour, 0 = the grey original), which lets a front end
    adjust colour without running the network again.
    """
    height, width = l_full.shape
    cols = resize_columns(ab_small.astype(np.float32) * np.float32(strength), width)
    r0, r1, wr = _source_taps(height, ab_small.shape[0])
    if out is None:
        out = np.empty((height, width, 3), dtype=np.float32)
    lab = np.empty((min(STRIP_ROWS, height), width, 3), dtype=np.float32)
    for top in range(0, height, STRIP_ROWS):
        bottom = min(top + STRIP_ROWS, height)
        n = bottom - top
        w = wr[top:bottom, None, None]
        strip = lab[:n]
        strip[..., 0] = l_full[top:bottom]
        strip[..., 1:] = cols[r0[top:bottom]] * (1.0 - w) + cols[r1[top:bottom]] * w
        out[top:bottom] = lab_to_rgb(strip)
    return out
