"""Is this scan black-and-white (neutral or toned) or already a colour photo?

Scans of monochrome prints are rarely R=G=B: scanners add noise, JPEG adds chroma ringing, and sepia,
selenium or cyanotype toning gives the whole print one hue. A toned print is still monochrome: its
colour is a function of its tone alone. So the test is, on a copy downscaled to 256 px (which averages
grain and JPEG noise away and keeps it fast):

1. grey: almost no pixel has visible chroma;
2. toned: the chroma present has one hue (ab vectors point the same way), that hue is one toning gives
   (warm: sepia, selenium, gold-brown, yellowed paper; or a strong blue: cyanotype), and ab is
   predicted by L (little ab left once the mean ab of each L band is removed). A colour photo with a
   dominant hue fails the last test (its objects differ in colour at equal brightness) or the hue test
   (green foliage, pale blue sky, ice and sea);
3. otherwise colour.

Thresholds were set on real photos (see THRESHOLDS below; the numbers are in the lead's notes).
A colour photo of a single warm material in warm light (sand, a golden-hour pond) can pass as toned
(about 2.5% of the colour evaluation photos): no global colour statistic tells it from a sepia print.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from colorsphere_gui.core import color
from colorsphere_gui.core.photo import Photo

ANALYSIS_SIDE = 256
# 95th-percentile chroma below which a scan is neutral grey. Measured: neutral b&w JPEGs <= 0.12,
# slightly tinted b&w scans <= 4.2; colour photos >= 10.6.
GREY_CHROMA = 6.0
# Pixels with less chroma than this carry no hue (noise); they are left out of the hue statistics.
HUE_MIN_CHROMA = 3.0
# Chroma-weighted hue concentration |sum ab| / sum |ab| of a toned print. Measured: toned >= 0.97.
TONED_CONCENTRATION = 0.9
# 75th percentile of |ab - mean ab of the pixel's L band| (Lab units). Measured: toned <= 3.0;
# colour photos: median 9.4, 1st percentile 2.8.
TONED_RESIDUAL = 4.0
# Hue ranges (degrees, atan2(b, a)) that toning produces, each with the least 95th-percentile chroma
# it needs: warm 20-120 (selenium purple-brown to yellowed paper; sepia measured 64-86) at any
# strength; blue 230-300 (cyanotype) only when strongly blue, since pale blue is what glacier, snow,
# sea and sky photos look like (measured c95 10-30 on 60 such colour photos; cyanotype darks and
# mid-tones are saturated Prussian blue, c95 about 35-45).
TONED_HUES = ((20.0, 120.0, 0.0), (230.0, 300.0, 25.0))
_L_BAND = 4.0


@dataclass(frozen=True)
class ToneReport:
    kind: Literal["grey", "toned", "colour"]
    reason: str

    @property
    def is_monochrome(self) -> bool:
        return self.kind != "colour"


def classify_tone(photo: Photo) -> ToneReport:
    """Grey, toned (monochrome with one hue) or colour; the reason quotes the numbers it used."""
    if photo.is_grey:
        return ToneReport("grey", "single-channel image")
    small, opaque = _analysis_copy(photo)
    if not (small[..., 0] != small[..., 1]).any() and not (small[..., 1] != small[..., 2]).any():
        return ToneReport("grey", "R = G = B everywhere")
    lab = color.rgb_to_lab(small)[opaque]
    if len(lab) == 0:
        return ToneReport("grey", "no opaque pixels")
    lum, a, b = lab[:, 0], lab[:, 1], lab[:, 2]
    chroma = np.hypot(a, b)
    c95 = float(np.percentile(chroma, 95))
    if c95 < GREY_CHROMA:
        return ToneReport("grey", f"neutral: 95% of pixels have chroma below {c95:.1f} (< {GREY_CHROMA})")

    hued = chroma > HUE_MIN_CHROMA
    sa, sb = float(a[hued].sum()), float(b[hued].sum())
    concentration = float(np.hypot(sa, sb) / chroma[hued].sum())
    hue = float(np.degrees(np.arctan2(sb, sa)) % 360.0)
    residual = _residual_after_tone(lum, a, b)
    numbers = (
        f"hue {hue:.0f} deg, concentration {concentration:.2f}, chroma p95 {c95:.1f}, "
        f"chroma-vs-L residual {residual:.1f}"
    )
    toning_hue = any(lo <= hue <= hi and c95 >= least for lo, hi, least in TONED_HUES)
    if concentration >= TONED_CONCENTRATION and residual <= TONED_RESIDUAL and toning_hue:
        return ToneReport("toned", f"toned monochrome: {numbers}")
    return ToneReport("colour", f"colour: {numbers}")


def _analysis_copy(photo: Photo) -> tuple[np.ndarray, np.ndarray]:
    """float32 RGB no larger than ANALYSIS_SIDE, and the mask of pixels that are at least half opaque."""
    h, w = photo.pixels.shape[:2]
    scale = min(1.0, ANALYSIS_SIDE / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))

    def shrink(a: np.ndarray) -> np.ndarray:
        return a if scale == 1.0 else cv2.resize(a, size, interpolation=cv2.INTER_AREA)

    rgb = shrink(photo.pixels).astype(np.float32) / np.float32(photo.max_value)
    if photo.alpha is None:
        return rgb, np.ones(rgb.shape[:2], dtype=bool)
    return rgb, shrink(photo.alpha) >= photo.max_value / 2


def _residual_after_tone(lum: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """75th percentile of the ab left after removing the mean ab of each L band.

    In a toned print ab is a function of L (the toning curve), so almost nothing is left; in a colour
    photo, objects of equal brightness differ in colour.
    """
    band = np.minimum((lum / _L_BAND).astype(np.intp), int(100 / _L_BAND))
    n = np.maximum(np.bincount(band), 1)
    mean_a = np.bincount(band, a) / n
    mean_b = np.bincount(band, b) / n
    return float(np.percentile(np.hypot(a - mean_a[band], b - mean_b[band]), 75))
