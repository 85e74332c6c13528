"""Full-resolution merge of a low-resolution ab prediction with the scan's own L, in strips.

The bilinear weights reproduce torch's `interpolate(mode="bilinear", align_corners=False)` (what
Zhang et al.'s pipeline uses), computed separably so that a 48-megapixel scan never needs a
full-resolution ab or Lab array in memory at once: only the result is full size, and it can be the
8- or 16-bit image the writer wants rather than float32 (a quarter or half the memory, and no
separate quantisation pass).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from colorsphere_gui.core.color import lab_to_rgb, luminance

# 128 rows of a 4000-pixel-wide scan keep each float32 temporary at 6 MB, about 20 MB for a strip in
# all: faster than 512 rows (the strip stays in cache), and a batch, which merges while the network
# runs, peaks about 40 MB lower.
STRIP_ROWS = 128

LSource = Callable[[int, int], np.ndarray]


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


class _RowResizer:
    """Bilinear resize along y of column-resized ab, one strip of output rows at a time.

    Output row y is P[i] + w_y * (P[i + 1] - P[i]) with i = floor of its source position; the dozen or
    so output rows that share an i are written by one broadcast multiply-add, so no full-strip gather
    or temporary is made (NumPy's gather-multiply-add made five).
    """

    def __init__(self, cols: np.ndarray, height: int) -> None:
        self.planes = [np.ascontiguousarray(cols[..., c]) for c in range(cols.shape[2])]
        # the last source row's difference is zero: clamped rows past it repeat it whatever their weight
        self.steps = [np.diff(p, axis=0, append=p[-1:]) for p in self.planes]
        self.r0, _, self.wr = _source_taps(height, cols.shape[0])

    def rows(self, top: int, bottom: int) -> list[np.ndarray]:
        if self.planes[0].shape[0] == len(self.r0):  # already full height (the GUI's banded render)
            return [plane[top:bottom] for plane in self.planes]
        r0, w = self.r0[top:bottom], self.wr[top:bottom, None]
        starts = np.flatnonzero(np.diff(r0, prepend=-1))
        ends = np.append(starts[1:], len(r0))
        out = []
        for plane, step in zip(self.planes, self.steps, strict=True):
            strip = np.empty((bottom - top, plane.shape[1]), dtype=np.float32)
            for s, e in zip(starts, ends, strict=True):
                i = r0[s]
                np.multiply(w[s:e], step[i], out=strip[s:e])
                strip[s:e] += plane[i]
            out.append(strip)
        return out


def _quantise_into(rgb: np.ndarray, out: np.ndarray) -> None:
    """Scale [0, 1] float to out's integer depth, rounding to nearest and saturating, in one OpenCV pass."""
    top = float(np.iinfo(out.dtype).max)
    depth = cv2.CV_8U if out.dtype == np.uint8 else cv2.CV_16U
    flat = rgb.reshape(rgb.shape[0], -1)  # one channel, so that the scalar scales every value
    dst = out.reshape(flat.shape)
    result = cv2.multiply(flat, top, dst=dst, dtype=depth)
    if result is not dst:  # OpenCV allocates anew only for a buffer it cannot use as it is
        dst[...] = result


def _merge(l_rows: LSource, height: int, width: int, ab_small: np.ndarray, strength: float,
           out: np.ndarray | None) -> np.ndarray:
    if out is None:
        out = np.empty((height, width, 3), dtype=np.float32)
    if out.shape != (height, width, 3) or out.dtype not in (np.float32, np.uint8, np.uint16):
        raise ValueError(f"out must be {height}x{width}x3 float32, uint8 or uint16: {out.shape} {out.dtype}")
    if out.dtype != np.float32 and not out.flags.c_contiguous:
        raise ValueError("an integer out must be C-contiguous: OpenCV rounds straight into it")
    cols = resize_columns(ab_small.astype(np.float32) * np.float32(strength), width)
    resizer = _RowResizer(cols, height)
    for top in range(0, height, STRIP_ROWS):
        bottom = min(top + STRIP_ROWS, height)
        a, b = resizer.rows(top, bottom)
        lab = cv2.merge([np.ascontiguousarray(l_rows(top, bottom), dtype=np.float32), a, b])
        if out.dtype == np.float32:
            out[top:bottom] = lab_to_rgb(lab)
        else:
            _quantise_into(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB), out[top:bottom])
    return out


def merge_to_rgb(
    l_full: np.ndarray, ab_small: np.ndarray, strength: float = 1.0, out: np.ndarray | None = None
) -> np.ndarray:
    """RGB (H x W x 3) from full-resolution L and ab at any smaller size.

    Float32 in [0, 1] by default; pass a uint8 or uint16 `out` to get the rounded integer image
    directly. `strength` scales chroma (1 = the model's colour, 0 = the grey original), which lets a
    front end adjust colour without running the network again.
    """
    height, width = l_full.shape
    return _merge(lambda top, bottom: l_full[top:bottom], height, width, ab_small, strength, out)


def merge_pixels(
    pixels: np.ndarray, ab_small: np.ndarray, strength: float = 1.0, out: np.ndarray | None = None
) -> np.ndarray:
    """merge_to_rgb for a photo's own pixels: L is computed strip by strip as it is needed.

    The same result as merge_to_rgb(luminance(pixels), ...), without ever holding the full-size float L
    (48 MB for 12 megapixels) or making a separate pass over the image for it.
    """
    height, width = pixels.shape[:2]
    return _merge(lambda top, bottom: luminance(pixels[top:bottom]), height, width, ab_small, strength, out)
