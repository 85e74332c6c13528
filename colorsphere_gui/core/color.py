"""Colour maths in float32: sRGB (D65) <-> CIE Lab, as OpenCV computes it.

Zhang et al.'s pipeline uses scikit-image in float64; OpenCV's float32 conversion is the same sRGB/D65
maths to well under one 8-bit level and an order of magnitude faster, and float32 halves the memory.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """RGB float32 in [0, 1], HxWx3 -> Lab float32 (L in [0, 100], ab in about [-110, 110])."""
    return cv2.cvtColor(np.ascontiguousarray(rgb, dtype=np.float32), cv2.COLOR_RGB2Lab)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """Lab float32 HxWx3 -> RGB float32 clipped to [0, 1] (out-of-gamut colours are clipped)."""
    rgb = cv2.cvtColor(np.ascontiguousarray(lab, dtype=np.float32), cv2.COLOR_Lab2RGB)
    return np.clip(rgb, 0.0, 1.0, out=rgb)


# Rows of the sRGB (D65) to XYZ matrix that give Y, as scikit-image (and Zhang et al.'s code) use them.
_Y_WEIGHTS = np.array([0.212671, 0.715160, 0.072169], dtype=np.float32)


def _l_from_y(y: np.ndarray) -> np.ndarray:
    """CIE L from relative luminance Y (white = 1); OpenCV's pow is several times faster than NumPy's."""
    dark = y <= 0.008856
    out = cv2.pow(np.maximum(y, 0.008856, dtype=np.float32), 1.0 / 3.0)
    out *= 116.0
    out -= 16.0
    if dark.any():
        out[dark] = 903.3 * y[dark]
    return out


def srgb_to_linear(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4).astype(np.float32, copy=False)


@lru_cache(maxsize=2)
def _linear_lut(levels: int) -> np.ndarray:
    return srgb_to_linear(np.arange(levels, dtype=np.float32) / np.float32(levels - 1))


@lru_cache(maxsize=2)
def _grey_l_lut(levels: int) -> np.ndarray:
    """L of every grey level, computed by the same float32 maths as for RGB, so results are identical."""
    return _l_from_y(_linear_lut(levels))


def luminance(pixels: np.ndarray) -> np.ndarray:
    """Exact CIE L (float32, [0, 100]) of grey (HxW) or RGB (HxWx3) pixels.

    Integer pixels (8 or 16 bit) go through a lookup table of the sRGB curve, which is both exact and
    fast; float pixels are taken as [0, 1]. OpenCV's own float Lab conversion approximates L to about
    0.2, which is visible after a sharp network, so L is computed here the way scikit-image does.
    """
    if pixels.ndim == 2 and pixels.dtype == np.uint8:  # a grey scan: one table look-up per pixel
        return cv2.LUT(pixels, _grey_l_lut(256))
    if pixels.ndim == 2 and pixels.dtype == np.uint16:
        return _grey_l_lut(65536)[pixels]
    if pixels.dtype == np.uint8:
        lin = cv2.LUT(pixels, _linear_lut(256))
    elif pixels.dtype == np.uint16:
        lin = _linear_lut(65536)[pixels]
    else:
        lin = srgb_to_linear(pixels)
    y = lin if lin.ndim == 2 else cv2.transform(lin, _Y_WEIGHTS[None, :])
    return _l_from_y(y.reshape(pixels.shape[:2]))


def gray_to_l(gray: np.ndarray) -> np.ndarray:
    """L of a single-channel image: for R=G=B the Lab L depends only on the grey level."""
    return luminance(gray)


def merge_l_ab(l_full: np.ndarray, ab_full: np.ndarray) -> np.ndarray:
    """Combine full-resolution L (HxW) with ab (HxWx2) into RGB float32 in [0, 1]."""
    lab = np.empty(l_full.shape + (3,), dtype=np.float32)
    lab[..., 0] = l_full
    lab[..., 1:] = ab_full
    return lab_to_rgb(lab)


def grey_from_l(l: np.ndarray) -> np.ndarray:
    """The neutral grey (float32 HxW in [0, 1]) whose L is `l`: what a black-and-white scan would hold."""
    return merge_l_ab(l, np.zeros(l.shape + (2,), np.float32))[..., 0]
