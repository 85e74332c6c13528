"""Is this scan black-and-white (neutral or toned) or already a colour photo?

Scans of monochrome prints are rarely R=G=B: scanners add noise, JPEG adds chroma ringing, and sepia,
selenium or cyanotype toning gives the whole print one hue. A toned print is still monochrome: its
colour is a function of its tone alone. So the test is, on a copy downscaled to 256 px (which averages
grain and JPEG noise away and keeps it fast):

1. grey: almost no pixel has visible chroma;
2. toned: within each band of L the chroma present has one hue (ab vectors point the same way; a
   split-toned print may change hue from shadows to highlights), ab is predicted by L (little ab left
   once the mean ab of each L band is removed), and no small objects of another colour stand out. Warm
   tones (sepia, selenium, gold and red-brown, yellowed paper) and faint tints of any hue pass with the
   residual a scan's grain and ageing leave; strong tones of other hues (blue, green: cyanotypes,
   blue-toned gym and green-toned station prints) must follow L more closely still, because pale blue
   skies, sea and foliage are what colour photos with one dominant hue look like, and those always
   differ in colour at equal brightness somewhere;
3. otherwise colour.

Thresholds were set on real photos: 145 archival black-and-white and toned scans and 242 colour
evaluation photos (the counts are in the lead's notes). A colour photo of a single warm material in warm
light (sand, a golden-hour pond) can pass as toned (5 of the 242): no global colour statistic tells it
from a sepia print. Aged prints whose paper browned unevenly can fail the residual test (6 of 145).
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
# Chroma-weighted hue concentration |sum ab| / sum |ab| within each L band, weighted by the band's
# chroma. Measured: toned >= 0.94 (split-toned prints included, whose overall concentration is 0.3).
TONED_CONCENTRATION = 0.9
# 75th percentile of |ab - mean ab of the pixel's L band| (Lab units). Measured: toned <= 3.0 for most,
# up to 6.5 for unevenly browned prints; colour photos: median 9.4, 1st percentile 2.5.
TONED_RESIDUAL = 4.0
# The same for tones outside WARM_HUES that are stronger than a faint tint (FAINT_TINT_CHROMA).
TONED_RESIDUAL_OTHER_HUES = 2.5
# Hue range (degrees, atan2(b, a)) of warm toning: red-brown selenium (measured 12-17) to yellowed paper.
WARM_HUES = (0.0, 120.0)
# 95th-percentile chroma up to which a tint of any hue is faint (bluish or greenish paper, a scanner's
# cast). Measured: tinted b&w scans 6-10; no colour photo below 10.6.
FAINT_TINT_CHROMA = 10.0
# 99th percentile of the same residual: small objects of another colour (a red magnet on a fridge door,
# a flag) in an otherwise one-hued photo. Measured: toned <= 15.4; such a colour photo 33.
TONED_OBJECT_RESIDUAL = 20.0
_L_BAND = 4.0
_BANDS = int(100 / _L_BAND) + 1


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
    band = np.minimum((lum / _L_BAND).astype(np.intp), _BANDS - 1)
    concentration = _band_concentration(band[hued], a[hued], b[hued], chroma[hued])
    hue = float(np.degrees(np.arctan2(b[hued].sum(), a[hued].sum())) % 360.0)
    residual = _residual_after_tone(band, a, b)
    r75, r99 = (float(v) for v in np.percentile(residual, (75, 99)))
    numbers = (
        f"hue {hue:.0f} deg, concentration {concentration:.2f}, chroma p95 {c95:.1f}, "
        f"chroma-vs-L residual {r75:.1f} (p99 {r99:.1f})"
    )
    warm_or_faint = WARM_HUES[0] <= hue <= WARM_HUES[1] or c95 <= FAINT_TINT_CHROMA
    most = TONED_RESIDUAL if warm_or_faint else TONED_RESIDUAL_OTHER_HUES
    if concentration >= TONED_CONCENTRATION and r75 <= most and r99 <= TONED_OBJECT_RESIDUAL:
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


def _band_concentration(band: np.ndarray, a: np.ndarray, b: np.ndarray, chroma: np.ndarray) -> float:
    """How much the hue agrees within each L band: |sum ab| / sum |ab| per band, summed over bands.

    1 when every pixel of a band has the same hue, whatever the hue of other bands (a split-toned
    print: cool shadows, warm highlights); lower when objects of equal brightness differ in hue.
    """
    sa, sb = np.bincount(band, a, _BANDS), np.bincount(band, b, _BANDS)
    return float(np.hypot(sa, sb).sum() / max(float(chroma.sum()), 1e-6))


def _residual_after_tone(band: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|ab - mean ab of the pixel's L band| per pixel.

    In a toned print ab is a function of L (the toning curve), so almost nothing is left; in a colour
    photo, objects of equal brightness differ in colour.
    """
    n = np.maximum(np.bincount(band, minlength=_BANDS), 1)
    mean_a = np.bincount(band, a, _BANDS) / n
    mean_b = np.bincount(band, b, _BANDS) / n
    return np.hypot(a - mean_a[band], b - mean_b[band])
