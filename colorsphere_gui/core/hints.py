"""Colour hints: points where the user says which colour the photo has there.

A hint is a point in the photo's pixel coordinates (after EXIF orientation, as `Photo.pixels` holds it),
a colour given as sRGB hex, and an optional size in photo pixels. Only the colour's chroma (Lab a, b)
is used: it is applied at the photo's own luminance, so a hint never changes brightness.

Hints travel as a sidecar `<photo file name>.hints.json`:
``{"points": [{"x": 120, "y": 80, "color": "#a05030", "size": 5}]}`` (``size`` optional).

A network receives hints as SIGGRAPH17's official code builds them (Zhang et al. 2017, `colorizers`):
an ab map in Lab units (the network divides it by 110 itself, as it does its output) that holds each
hint's a, b over a small square around its point and zero elsewhere, and a mask that is 1 there and 0
elsewhere (no centring: `colorizers`' weights are the Caffe release, whose mask is not offset).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .color import rgb_to_lab
from .errors import ColorSphereError

SIDECAR_SUFFIX = ".hints.json"
DEFAULT_SIZE = 5  # photo pixels: the simulated hints are 5 x 5 patches
MAX_NETWORK_PATCH = 9  # the largest patch (network pixels) the built-in model was trained on
MAX_SIZE = 10_000
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_POINT_KEYS = {"x", "y", "color", "size"}


class HintsError(ColorSphereError):
    """A hints file is unreadable or holds a point ColorSphere cannot use."""


@dataclass(frozen=True)
class Hint:
    """One user hint: where (photo pixels, x to the right, y down), which colour, how big."""

    x: float
    y: float
    color: str  # "#rrggbb", sRGB
    size: float | None = None  # side of the square in photo pixels; None: DEFAULT_SIZE

    @property
    def ab(self) -> tuple[float, float]:
        """The colour's chroma (Lab a, b), which is what the photo receives at its own luminance."""
        return hex_to_ab(self.color)

    @property
    def side(self) -> float:
        return DEFAULT_SIZE if self.size is None else self.size

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"x": _plain(self.x), "y": _plain(self.y), "color": self.color.lower()}
        if self.size is not None:
            out["size"] = _plain(self.size)
        return out


def _plain(v: float) -> float | int:
    return int(v) if float(v).is_integer() else float(v)


def hex_to_rgb8(color: str) -> tuple[int, int, int]:
    if not isinstance(color, str) or not _HEX.match(color):
        raise ValueError(f"{color!r} is not a colour of the form #rrggbb")
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def hex_to_ab(color: str) -> tuple[float, float]:
    """Lab a, b of an sRGB hex colour (OpenCV's float32 maths, as everywhere in ColorSphere)."""
    rgb = np.array([[hex_to_rgb8(color)]], dtype=np.float32) / 255.0
    lab = rgb_to_lab(rgb)[0, 0]
    return float(lab[1]), float(lab[2])


def ab_to_hex(l: float, a: float, b: float) -> str:
    """The sRGB hex colour of (L, a, b), clipped into the gamut: what a swatch should show."""
    from .color import lab_to_rgb

    rgb = lab_to_rgb(np.array([[[l, a, b]]], dtype=np.float32))[0, 0]
    r, g, bl = (int(round(float(c) * 255)) for c in rgb)
    return f"#{r:02x}{g:02x}{bl:02x}"


def sidecar_name(photo_name: str) -> str:
    return photo_name + SIDECAR_SUFFIX


def sidecar_path(photo: Path, folder: Path | None = None) -> Path:
    """Where a photo's hints file lives: beside the photo, or in `folder` under the photo's name."""
    return (folder if folder is not None else photo.parent) / sidecar_name(photo.name)


def validate(
    hints: Iterable[Hint], width: int | None, height: int | None, source: str = "hints"
) -> list[Hint]:
    """The hints, or a HintsError naming `source` and the first point that cannot be used. Without a
    photo size (None) everything but the bounds is checked: a batch reads hints before the photo."""
    out = []
    for i, hint in enumerate(hints, start=1):
        where = f"{source}: point {i}"
        for name, value in (("x", hint.x), ("y", hint.y)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise HintsError(f"{where}: '{name}' must be a number of pixels, not {value!r}")
        if width is not None and height is not None and not (0 <= hint.x < width and 0 <= hint.y < height):
            raise HintsError(
                f"{where} at ({_plain(hint.x)}, {_plain(hint.y)}) lies outside the photo ({width} x {height} "
                f"pixels): x must be 0..{width - 1} and y 0..{height - 1}, counted after EXIF rotation"
            )
        if not isinstance(hint.color, str) or not _HEX.match(hint.color):
            raise HintsError(f'{where}: colour {hint.color!r} is not of the form "#rrggbb" (e.g. "#a05030")')
        size = hint.size
        if size is not None and (
            isinstance(size, bool) or not isinstance(size, (int, float)) or not (0 < size <= MAX_SIZE)
        ):
            raise HintsError(f"{where}: 'size' must be a number of pixels from 1 to {MAX_SIZE}, not {size!r}")
        out.append(hint)
    return out


def parse_hints(text: str, width: int | None, height: int | None, source: str = "hints") -> list[Hint]:
    """Hints from the sidecar's JSON text, checked against a photo of width x height pixels."""
    fix = 'expected {"points": [{"x": 120, "y": 80, "color": "#a05030", "size": 5}]}'
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HintsError(f"{source} is not valid JSON ({exc.msg}, line {exc.lineno}): {fix}") from None
    if not isinstance(data, dict) or not isinstance(data.get("points"), list):
        raise HintsError(f'{source} has no list of "points": {fix}')
    hints = []
    for i, point in enumerate(data["points"], start=1):
        if not isinstance(point, dict):
            raise HintsError(f"{source}: point {i} is not an object with x, y and color: {fix}")
        missing = sorted({"x", "y", "color"} - set(point))
        unknown = sorted(set(point) - _POINT_KEYS)
        if missing or unknown:
            what = f"lacks {', '.join(missing)}" if missing else f"has unknown keys {', '.join(unknown)}"
            raise HintsError(f"{source}: point {i} {what}: {fix}")
        hints.append(Hint(point["x"], point["y"], point["color"], point.get("size")))
    return validate(hints, width, height, source)


def load_hints(path: Path, width: int | None, height: int | None) -> list[Hint]:
    """The hints in a sidecar file, checked against the photo's size (after EXIF orientation; None:
    not yet known, see `validate`)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HintsError(
            f"cannot read hints file {path}: {exc}; check that it exists and is UTF-8 JSON"
        ) from None
    return parse_hints(text, width, height, source=f"hints file {path}")


def dumps(hints: Sequence[Hint]) -> str:
    return json.dumps({"points": [h.to_json() for h in hints]}, indent=1) + "\n"


def save_hints(path: Path, hints: Sequence[Hint]) -> None:
    """Write the sidecar atomically (temp file, fsync, rename), so a crash never leaves half a file."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".hints-", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(dumps(hints))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise HintsError(f"cannot write hints file {path}: {exc}; choose a folder you can write to") from None


def hints_digest(hints: Sequence[Hint]) -> str:
    """A short digest of the hints (order-independent): part of a batch record's settings key, so that
    changed hints make a re-run redo the photo. Empty for no hints."""
    if not hints:
        return ""
    canonical = sorted(json.dumps(h.to_json(), sort_keys=True) for h in hints)
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()[:16]


def network_patch(hint: Hint, scale: float) -> int:
    """Side, in network pixels, of the square a hint covers at the network's working size."""
    return int(min(MAX_NETWORK_PATCH, max(1, round(hint.side * scale))))


def network_point(hint: Hint, photo_size: tuple[int, int], net_size: tuple[int, int]) -> tuple[int, int]:
    """The hint's pixel (column, row) at the network's size (w, h) for a photo of (w, h)."""
    (pw, ph), (nw, nh) = photo_size, net_size
    col = min(nw - 1, max(0, int((hint.x + 0.5) * nw / pw)))
    row = min(nh - 1, max(0, int((hint.y + 0.5) * nh / ph)))
    return col, row


def hint_tensors(
    hints: Sequence[Hint], photo_size: tuple[int, int], net_size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """(ab, mask) at the network's size (w, h): ab 2 x h x w float32 in Lab units, mask 1 x h x w in
    {0, 1}. Each hint fills a square of `network_patch` pixels centred on its point; a later hint
    overwrites an earlier one where they overlap (as a later click does in the official tool)."""
    nw, nh = net_size
    ab = np.zeros((2, nh, nw), dtype=np.float32)
    mask = np.zeros((1, nh, nw), dtype=np.float32)
    scale = min(nw / photo_size[0], nh / photo_size[1])
    for hint in hints:
        col, row = network_point(hint, photo_size, net_size)
        side = network_patch(hint, scale)
        top, left = row - (side - 1) // 2, col - (side - 1) // 2
        rows = slice(max(0, top), min(nh, top + side))
        cols = slice(max(0, left), min(nw, left + side))
        a, b = hint.ab
        ab[0, rows, cols], ab[1, rows, cols] = a, b
        mask[0, rows, cols] = 1.0
    return ab, mask


@dataclass(frozen=True)
class Suggestion:
    """A colour the model finds likely at a point: its chroma, the probability mass around it, and the
    sRGB colour it gives at the photo's luminance there (what a swatch should show)."""

    a: float
    b: float
    share: float
    color: str


def distribution_modes(
    probs: np.ndarray, bins: np.ndarray, count: int = 5
) -> list[tuple[float, float, float]]:
    """The main modes (a, b, share) of one pixel's ab distribution, most probable first.

    probs: K probabilities over bin centres `bins` (K x 2, Lab units) on the 10-unit ab grid (the 529
    of the built-in model and SIGGRAPH17, or ECCV16's 313 in-gamut ones). The mass is smoothed over
    neighbouring bins, peaks are its local maxima, and each mode is the mean ab of the mass within 1.5
    bins of its peak, with that mass as its share. The official demo samples the distribution and
    clusters the samples with k-means; the peaks of the smoothed histogram are the same idea without
    the randomness.
    """
    from scipy import ndimage

    side = 23
    idx = np.clip(np.rint((np.asarray(bins, dtype=np.float64) + 110.0) / 10.0).astype(int), 0, side - 1)
    hist = np.zeros((side, side))
    np.add.at(hist, (idx[:, 0], idx[:, 1]), np.asarray(probs, dtype=np.float64))
    hist /= max(hist.sum(), 1e-12)
    smooth = ndimage.gaussian_filter(hist, 1.0, mode="constant")
    peaks = np.argwhere((smooth == ndimage.maximum_filter(smooth, size=3)) & (smooth > 1e-6))
    peaks = sorted(peaks.tolist(), key=lambda p: -smooth[p[0], p[1]])
    ia, ib = np.mgrid[0:side, 0:side]
    centres = np.stack([ia, ib], axis=-1) * 10.0 - 110.0
    modes: list[tuple[float, float, float]] = []
    chosen: list[tuple[int, int]] = []
    for pa, pb in peaks:
        if any(max(abs(pa - ca), abs(pb - cb)) <= 2 for ca, cb in chosen):
            continue
        near = (ia - pa) ** 2 + (ib - pb) ** 2 <= 1.5**2
        mass = hist[near].sum()
        if mass <= 0:
            continue
        a, b = (centres[near] * hist[near][:, None]).sum(axis=0) / mass
        modes.append((float(a), float(b), float(mass)))
        chosen.append((pa, pb))
        if len(modes) == count:
            break
    return modes
