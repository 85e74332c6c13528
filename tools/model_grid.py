"""Contact sheet of colorizations: one row per photo, columns grey input, each model, and the truth.

    python tools/model_grid.py OUT.png PHOTO_OR_FOLDER... [--model builtin --model eccv16] [--limit 8]

Colour photos are greyed first (so the last column is the truth); black-and-white photos are used as
they are. The sheet is written where you say: photos from ../shared/data stay out of the repository.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from colorsphere_gui.core.color import gray_to_l
from colorsphere_gui.core.upsample import merge_to_rgb
from colorsphere_gui.engine import Colorizer
from colorsphere_gui.evaluation import EVAL_SUFFIXES, grey_version, load_rgb

CELL_HEIGHT = 220


def photos(inputs: list[Path], limit: int) -> list[Path]:
    found: list[Path] = []
    for item in inputs:
        found += (
            sorted(p for p in item.rglob("*") if p.suffix.lower() in EVAL_SUFFIXES)
            if item.is_dir()
            else [item]
        )
    return found[:limit] if limit else found


def cell(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    size = (max(1, round(w * CELL_HEIGHT / h)), CELL_HEIGHT)
    return cv2.resize(np.clip(rgb * 255 + 0.5, 0, 255).astype(np.uint8), size, interpolation=cv2.INTER_AREA)


def row(path: Path, colorizers: dict[str, Colorizer]) -> np.ndarray:
    rgb = load_rgb(path)
    grey8 = grey_version(rgb)
    is_colour = np.abs(rgb - rgb.mean(axis=2, keepdims=True)).max() > 0.04
    rgb8 = np.repeat(grey8[..., None], 3, axis=2)
    l_full = gray_to_l(grey8)
    cells = [cell(rgb8.astype(np.float32) / 255)]
    cells += [cell(merge_to_rgb(l_full, c.predict_rgb8(rgb8, path.name).ab)) for c in colorizers.values()]
    if is_colour:
        cells.append(cell(rgb))
    gap = np.full((CELL_HEIGHT, 6, 3), 255, np.uint8)
    return np.concatenate([x for c in cells for x in (c, gap)][:-1], axis=1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", type=Path)
    p.add_argument("inputs", type=Path, nargs="+")
    p.add_argument("--model", dest="models", action="append")
    p.add_argument("--limit", type=int, default=8)
    args = p.parse_args()
    colorizers = {m: Colorizer(m, "auto") for m in (args.models or ["builtin"])}
    rows = [row(path, colorizers) for path in photos(args.inputs, args.limit)]
    width = max(r.shape[1] for r in rows)
    sheet = np.full((len(rows) * (CELL_HEIGHT + 6), width, 3), 255, np.uint8)
    for i, r in enumerate(rows):
        sheet[i * (CELL_HEIGHT + 6) : i * (CELL_HEIGHT + 6) + CELL_HEIGHT, : r.shape[1]] = r
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    print(
        f"wrote {args.out}: rows = photos; columns = grey input, {', '.join(colorizers)}, truth (colour only)"
    )


if __name__ == "__main__":
    main()
