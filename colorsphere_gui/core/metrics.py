"""Image-quality metrics used to compare colorizations with the colour originals.

PSNR, MSE and SSIM are what the colorization papers report; AuC (Zhang et al. 2016), its
class-rebalanced form and Hasler-Suesstrunk colourfulness tell vivid-and-right apart from dull or
garish, which PSNR alone cannot.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

AUC_THRESHOLDS = np.arange(0, 151, dtype=np.float32)
AB_BIN = 10.0
AB_LIMIT = 110.0
AB_BINS_PER_SIDE = int(2 * AB_LIMIT / AB_BIN)


def mse(a: np.ndarray, b: np.ndarray) -> float:
    """Mean squared error on 8-bit-scaled RGB (0..255), as colorization papers report it."""
    d = (a.astype(np.float32) - b.astype(np.float32)) * 255.0
    return float(np.mean(d * d))


def delta_e(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-pixel CIE76 colour difference (Euclidean distance in Lab) of two RGB float images in [0, 1].

    About 2.3 is a just-noticeable difference; where a colorization picked another hue it reaches 30-60.
    """
    lab_a = cv2.cvtColor(np.ascontiguousarray(a, dtype=np.float32), cv2.COLOR_RGB2Lab)
    lab_b = cv2.cvtColor(np.ascontiguousarray(b, dtype=np.float32), cv2.COLOR_RGB2Lab)
    return np.sqrt(np.sum((lab_a - lab_b) ** 2, axis=2))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of RGB float images in [0, 1], with a 255 peak on the 8-bit scale."""
    err = mse(a, b)
    return float("inf") if err == 0 else float(10.0 * np.log10(255.0**2 / err))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM (Wang et al. 2004, Gaussian window sigma 1.5) averaged over RGB channels."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    x, y = a.astype(np.float32) * 255.0, b.astype(np.float32) * 255.0

    def blur(img: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(img, (11, 11), 1.5)

    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    num = (2 * mx * my + c1) * (2 * sxy + c2)
    den = (mx * mx + my * my + c1) * (sxx + syy + c2)
    return float(np.mean(num / den))


def ab_bin_index(ab: np.ndarray) -> np.ndarray:
    """Index of each pixel's 10-unit ab bin over [-110, 110]^2 (values outside are clamped)."""
    idx = np.clip(((ab + AB_LIMIT) / AB_BIN).astype(np.int32), 0, AB_BINS_PER_SIDE - 1)
    return idx[..., 0] * AB_BINS_PER_SIDE + idx[..., 1]


class ColourErrorCurve:
    """Accumulates ab errors over a whole evaluation set, per true-colour bin, for AuC and rebalanced AuC.

    Keeping a (bin x threshold) count table instead of every pixel's error makes the rebalancing
    weights (which depend on the whole set's colour frequencies) computable after one pass.
    """

    def __init__(self) -> None:
        self.counts = np.zeros((AB_BINS_PER_SIDE**2, AUC_THRESHOLDS.size), dtype=np.float64)
        self.totals = np.zeros(AB_BINS_PER_SIDE**2, dtype=np.float64)

    def add(self, ab_out: np.ndarray, ab_true: np.ndarray) -> None:
        diff = ab_out.astype(np.float32) - ab_true.astype(np.float32)
        err = np.sqrt(np.sum(diff * diff, axis=-1)).ravel()
        bins = ab_bin_index(ab_true).ravel()
        self.totals += np.bincount(bins, minlength=self.totals.size)
        first = np.ceil(err)
        ok = first <= AUC_THRESHOLDS[-1]
        flat = bins[ok] * AUC_THRESHOLDS.size + first[ok].astype(np.int64)
        self.counts += np.cumsum(
            np.bincount(flat, minlength=self.counts.size).reshape(self.counts.shape), axis=1
        )

    def auc(self) -> float:
        """Mean over t = 0..150 of the share of pixels whose ab error is <= t, in percent."""
        return float(self.counts.sum(axis=0).mean() / max(self.totals.sum(), 1.0) * 100.0)

    def rebalanced_auc(self) -> float:
        """The same curve with pixels weighted by w = 1 / (0.5 p + 0.5 / K) of their true ab bin."""
        p = self.totals / max(self.totals.sum(), 1.0)
        k = max(int(np.count_nonzero(self.totals)), 1)
        w = np.where(self.totals > 0, 1.0 / (0.5 * p + 0.5 / k), 0.0)
        return float((w @ self.counts).mean() / max(w @ self.totals, 1e-12) * 100.0)


@dataclass(frozen=True)
class Colourfulness:
    full: float
    spread: float


def colourfulness(rgb: np.ndarray) -> Colourfulness:
    """Hasler & Suesstrunk (2003) on 8-bit scale; `spread` drops the mean term that a sepia cast inflates."""
    x = rgb.astype(np.float32) * 255.0
    rg = x[..., 0] - x[..., 1]
    yb = 0.5 * (x[..., 0] + x[..., 1]) - x[..., 2]
    spread = float(np.sqrt(rg.var() + yb.var()))
    mean = float(np.sqrt(rg.mean() ** 2 + yb.mean() ** 2))
    return Colourfulness(full=spread + 0.3 * mean, spread=spread)


NEUTRAL_CHROMA = 6.0  # below this a pixel of the original reads as grey (walls, overcast sky, snow)
COLOURED_CHROMA = 15.0  # from this a pixel reads as clearly coloured, and as a stain where it should be grey
HUE_TOLERANCE_DEG = 45.0
HUELESS_CHROMA = 2.0  # below this an output has no hue worth the name (8-bit rounding noise)


class FaultCounts:
    """Stains and hue hits (issue 15), counted pixel by pixel and pooled over a whole evaluation set.

    stain rate: share of near-neutral pixels of the original (chroma < 6) whose output has chroma >= 15.
    hue-hit rate: share of clearly coloured pixels of the original (chroma >= 15) whose output hue lies
    within 45 degrees of the original's; an output with chroma < 2 has no hue and counts as a miss.
    Pooling counts (not a mean of per-photo rates) weighs every pixel alike, so a photo that is mostly
    grey wall does not count the same as one with a few grey pixels.
    """

    def __init__(self) -> None:
        self.neutral = 0
        self.stained = 0
        self.coloured = 0
        self.hue_hits = 0

    def add(self, ab_out: np.ndarray, ab_true: np.ndarray) -> None:
        out = ab_out.reshape(-1, 2).astype(np.float64)
        true = ab_true.reshape(-1, 2).astype(np.float64)
        chroma_out = np.hypot(out[:, 0], out[:, 1])
        chroma_true = np.hypot(true[:, 0], true[:, 1])
        neutral = chroma_true < NEUTRAL_CHROMA
        self.neutral += int(neutral.sum())
        self.stained += int((chroma_out[neutral] >= COLOURED_CHROMA).sum())
        coloured = chroma_true >= COLOURED_CHROMA
        hue_out = np.arctan2(out[coloured, 1], out[coloured, 0])
        hue_true = np.arctan2(true[coloured, 1], true[coloured, 0])
        gap = np.degrees(np.abs(np.angle(np.exp(1j * (hue_out - hue_true)))))
        hit = (gap <= HUE_TOLERANCE_DEG) & (chroma_out[coloured] >= HUELESS_CHROMA)
        self.coloured += int(coloured.sum())
        self.hue_hits += int(hit.sum())

    def stain_rate(self) -> float:
        """Percent of near-neutral pixels given clear colour (nan when the set has none)."""
        return 100.0 * self.stained / self.neutral if self.neutral else float("nan")

    def hue_hit_rate(self) -> float:
        """Percent of clearly coloured pixels whose hue is within 45 degrees (nan when the set has none)."""
        return 100.0 * self.hue_hits / self.coloured if self.coloured else float("nan")
