"""Score models the way colorization papers do: grey a colour photo, colorize it, compare with the truth.

The grey input keeps the original's exact L (ab set to zero, rounded to 8 bits like a real grey scan),
so every difference measured is a difference in colour. The grey image itself is the baseline row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from colorsphere_gui.core import metrics
from colorsphere_gui.core.color import gray_to_l, grey_from_l, rgb_to_lab
from colorsphere_gui.core.errors import UsageError
from colorsphere_gui.core.upsample import merge_to_rgb

EVAL_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
GREY_ROW = "grey baseline"


@dataclass
class Scores:
    """Running sums for one row of the table."""

    psnr: list[float] = field(default_factory=list)
    mse: list[float] = field(default_factory=list)
    ssim: list[float] = field(default_factory=list)
    curve: metrics.ColourErrorCurve = field(default_factory=metrics.ColourErrorCurve)
    faults: metrics.FaultCounts = field(default_factory=metrics.FaultCounts)
    colourfulness: float = 0.0
    spread: float = 0.0

    def add(self, out: np.ndarray, truth: np.ndarray, ab_out: np.ndarray, ab_true: np.ndarray) -> None:
        self.psnr.append(metrics.psnr(out, truth))
        self.mse.append(metrics.mse(out, truth))
        self.ssim.append(metrics.ssim(out, truth))
        self.curve.add(ab_out, ab_true)
        self.faults.add(ab_out, ab_true)
        c = metrics.colourfulness(out)
        self.colourfulness += c.full
        self.spread += c.spread


@dataclass
class EvaluationTable:
    photos: int
    rows: dict[str, Scores]
    truth: Scores


def grey_version(rgb: np.ndarray) -> np.ndarray:
    """8-bit grey with the photo's own L (what a black-and-white scan of it would hold)."""
    grey = grey_from_l(rgb_to_lab(rgb)[..., 0])
    return np.clip(np.rint(grey * 255.0), 0, 255).astype(np.uint8)


def load_rgb(path: Path, size: int = 0) -> np.ndarray | None:
    """RGB in [0, 1]; with `size`, resized so that its longer side is `size` pixels."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        return None
    if size:
        bgr = resize_longer_side(bgr, size)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0


def resize_longer_side(pixels: np.ndarray, size: int) -> np.ndarray:
    """Scored photos at one scale (the issue's bars are set at 512 px): area-averaged when shrinking,
    bicubic when enlarging, aspect kept."""
    h, w = pixels.shape[:2]
    scale = size / max(h, w)
    if scale == 1.0:
        return pixels
    dsize = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(pixels, dsize, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def evaluate_models(
    folder: Path,
    models: list[str],
    device: str = "auto",
    limit: int = 0,
    log: Callable[[str], None] = print,
    size: int = 0,
) -> EvaluationTable:
    from colorsphere_gui.engine import Colorizer

    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in EVAL_SUFFIXES)
    if limit:
        paths = paths[:limit]
    if not paths:
        raise UsageError(f"{folder}: no photos found; give a folder of colour photos")
    colorizers = {name: Colorizer(name, device, warn=log) for name in models}
    rows = {GREY_ROW: Scores(), **{name: Scores() for name in models}}
    truth_scores = Scores()
    used = 0
    for path in paths:
        truth = load_rgb(path, size)
        if truth is None:
            log(f"skipped {path}: not readable as an image")
            continue
        used += 1
        ab_true = rgb_to_lab(truth)[..., 1:]
        grey8 = grey_version(truth)
        l_full = gray_to_l(grey8.astype(np.float32) / 255.0)
        grey_rgb = np.repeat((grey8.astype(np.float32) / 255.0)[..., None], 3, axis=2)
        rows[GREY_ROW].add(grey_rgb, truth, np.zeros_like(ab_true), ab_true)
        c = metrics.colourfulness(truth)
        truth_scores.colourfulness += c.full
        truth_scores.spread += c.spread
        rgb8 = np.repeat(grey8[..., None], 3, axis=2)
        for name, colorizer in colorizers.items():
            out = merge_to_rgb(l_full, colorizer.predict_rgb8(rgb8, path.name).ab)
            rows[name].add(out, truth, rgb_to_lab(out)[..., 1:], ab_true)
    return EvaluationTable(used, rows, truth_scores)


def format_table(table: EvaluationTable) -> str:
    """A Markdown table, ready for the model card."""
    head = (
        f"{table.photos} photos; stain and hue-hit rates pooled over all pixels of all photos\n\n"
        "| model | PSNR dB | MSE | SSIM | AuC % | rebalanced AuC % | colourfulness ratio | spread ratio "
        "| stain rate % | hue hits % |\n"
        "|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for name, s in table.rows.items():
        lines.append(
            f"| {name} | {np.mean(s.psnr):.2f} | {np.mean(s.mse):.1f} | {np.mean(s.ssim):.4f} | "
            f"{s.curve.auc():.2f} | {s.curve.rebalanced_auc():.2f} | "
            f"{s.colourfulness / max(table.truth.colourfulness, 1e-9):.3f} | "
            f"{s.spread / max(table.truth.spread, 1e-9):.3f} | "
            f"{s.faults.stain_rate():.1f} | {s.faults.hue_hit_rate():.1f} |"
        )
    return "\n".join(lines)
