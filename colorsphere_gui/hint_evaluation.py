"""Score how well a model follows colour hints: simulated hints from the colour original, as issue 16 asks.

Each colour photo is resized (longer side `side` px), greyed, and given N hints for every N asked for:
random points, each carrying the mean true colour of the 5 x 5 patch around it (as an sRGB hex, the way
a hints file carries it). The same points are used in the same order for every N (the first N of one
draw per photo), so rows differ only by how many hints were given. A hint is honoured when the output's
mean a, b over its 5 x 5 patch lies within 6 units (Euclidean in ab) of the hint's own a, b.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from colorsphere_gui.core import metrics
from colorsphere_gui.core.color import gray_to_l, rgb_to_lab
from colorsphere_gui.core.errors import UsageError
from colorsphere_gui.core.hints import Hint, ab_to_hex
from colorsphere_gui.core.upsample import merge_to_rgb
from colorsphere_gui.evaluation import EVAL_SUFFIXES, grey_version, load_rgb

PATCH = 5
HONOURED_WITHIN = 6.0


@dataclass
class HintRow:
    psnr: list[float] = field(default_factory=list)
    curve: metrics.ColourErrorCurve = field(default_factory=metrics.ColourErrorCurve)
    honoured: int = 0
    hints: int = 0


def resized(rgb: np.ndarray, side: int) -> np.ndarray:
    """The photo with its longer side `side` px (area-averaged down, cubic up)."""
    h, w = rgb.shape[:2]
    scale = side / max(h, w)
    if scale == 1.0:
        return rgb
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    out = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    return np.clip(out, 0.0, 1.0)


def simulated_hints(truth: np.ndarray, count: int, seed: str) -> list[Hint]:
    """`count` random hints, each the mean true colour of the 5 x 5 patch around its point."""
    rng = np.random.default_rng(int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16))
    lab = rgb_to_lab(truth)
    h, w = lab.shape[:2]
    r = PATCH // 2
    hints = []
    for _ in range(count):
        x, y = int(rng.integers(r, w - r)), int(rng.integers(r, h - r))
        l, a, b = lab[y - r : y + r + 1, x - r : x + r + 1].reshape(-1, 3).mean(axis=0)
        hints.append(Hint(x, y, ab_to_hex(float(l), float(a), float(b)), PATCH))
    return hints


def honoured(ab_out: np.ndarray, hint: Hint) -> bool:
    x, y, r = int(hint.x), int(hint.y), PATCH // 2
    mean = ab_out[y - r : y + r + 1, x - r : x + r + 1].reshape(-1, 2).mean(axis=0)
    return float(np.hypot(*(mean - np.array(hint.ab)))) <= HONOURED_WITHIN


def evaluate_hints(
    folder: Path,
    model: str,
    counts: Sequence[int],
    device: str = "auto",
    limit: int = 0,
    side: int = 512,
    log: Callable[[str], None] = print,
) -> tuple[int, dict[int, HintRow], HintRow]:
    """(photos used, a row per hint count, the grey baseline row)."""
    from colorsphere_gui.engine import Colorizer

    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in EVAL_SUFFIXES)
    if limit:
        paths = paths[:limit]
    if not paths:
        raise UsageError(f"{folder}: no photos found; give a folder of colour photos")
    colorizer = Colorizer(model, device, warn=log)
    rows = {n: HintRow() for n in counts}
    grey_row = HintRow()
    used = 0
    for path in paths:
        loaded = load_rgb(path)
        if loaded is None:
            log(f"skipped {path}: not readable as an image")
            continue
        used += 1
        truth = resized(loaded, side)
        ab_true = rgb_to_lab(truth)[..., 1:]
        grey8 = grey_version(truth)
        l_full = gray_to_l(grey8.astype(np.float32) / 255.0)
        grey_rgb = np.repeat((grey8.astype(np.float32) / 255.0)[..., None], 3, axis=2)
        grey_row.psnr.append(metrics.psnr(grey_rgb, truth))
        grey_row.curve.add(np.zeros_like(ab_true), ab_true)
        drawn = simulated_hints(truth, max(counts), path.name)
        for n in counts:
            out = merge_to_rgb(l_full, colorizer.predict_rgb8(grey8, path.name, drawn[:n]).ab)
            ab_out = rgb_to_lab(out)[..., 1:]
            row = rows[n]
            row.psnr.append(metrics.psnr(out, truth))
            row.curve.add(ab_out, ab_true)
            row.hints += n
            row.honoured += sum(honoured(ab_out, hint) for hint in drawn[:n])
    return used, rows, grey_row


def format_hint_table(model: str, photos: int, side: int, rows: dict[int, HintRow], grey: HintRow) -> str:
    """A Markdown table, ready for the model card."""
    base = rows.get(0)
    lines = [
        f"{model}, {photos} photos, longer side {side} px, hints: mean colour of a {PATCH} x {PATCH} patch\n",
        "| hints | PSNR dB | gain over no hints dB | AuC % | honoured % |",
        "|---|---|---|---|---|",
        f"| grey baseline | {np.mean(grey.psnr):.2f} | | {grey.curve.auc():.2f} | |",
    ]
    for n, row in rows.items():
        gain = f"{np.mean(row.psnr) - np.mean(base.psnr):+.2f}" if base is not None else ""
        share = f"{100.0 * row.honoured / row.hints:.1f}" if row.hints else ""
        lines.append(f"| {n} | {np.mean(row.psnr):.2f} | {gain} | {row.curve.auc():.2f} | {share} |")
    return "\n".join(lines)
