"""Before/after contact sheets of a folder: each photo's input beside its colorization, many to a sheet.

    colorsphere colorize ../shared/data/bw -o /tmp/bw_builtin
    python tools/contact_sheet.py ../shared/data/bw /tmp/bw_builtin docs/contact_sheets/bw --per-sheet 16

Photos are matched by their path inside the two folders with the suffix dropped (a result may be
written in another format). Each sheet is a JPEG kept under --max-bytes (the quality is lowered until
it fits), small enough to keep in the repository and to open on any screen.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tools.blind_pairs import PairsError, photos_in, read_rgb

CAPTION = 22
GAP = 6


def before_after(name: str, before: np.ndarray, after: np.ndarray, height: int) -> Image.Image:
    """One cell: the input and the result side by side at one height, the photo's name above."""
    panels = []
    for rgb in (before, after):
        h, w = rgb.shape[:2]
        size = (max(1, round(w * height / h)), height)
        panels.append(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if height < h else cv2.INTER_CUBIC))
    width = panels[0].shape[1] + GAP + panels[1].shape[1]
    cell = Image.new("RGB", (width, height + CAPTION), "white")
    cell.paste(Image.fromarray(panels[0]), (0, CAPTION))
    cell.paste(Image.fromarray(panels[1]), (panels[0].shape[1] + GAP, CAPTION))
    caption = Path(name).name[: max(8, width // 8)]  # the file's name, cut to the cell's width
    ImageDraw.Draw(cell).text((2, 2), caption, fill="black", font=ImageFont.load_default(size=15))
    return cell


def layout(cells: list[Image.Image], width: int) -> Image.Image:
    """Cells placed left to right in rows no wider than `width`."""
    rows: list[list[Image.Image]] = [[]]
    for cell in cells:
        used = sum(c.width + GAP * 2 for c in rows[-1])
        if rows[-1] and used + cell.width > width:
            rows.append([])
        rows[-1].append(cell)
    height = sum(max(c.height for c in row) + GAP * 2 for row in rows)
    sheet = Image.new("RGB", (width, height), "white")
    y = 0
    for row in rows:
        x = 0
        for cell in row:
            sheet.paste(cell, (x, y))
            x += cell.width + GAP * 2
        y += max(c.height for c in row) + GAP * 2
    return sheet


def save_small(sheet: Image.Image, path: Path, max_bytes: int) -> int:
    """JPEG at the highest quality (from 90 down) that fits in max_bytes; returns the size written."""
    for quality in range(90, 20, -5):
        buffer = io.BytesIO()
        sheet.save(buffer, "JPEG", quality=quality, optimize=True)
        if buffer.tell() <= max_bytes:
            break
    else:
        raise PairsError(
            f"{path}: does not fit in {max_bytes} bytes; give fewer --per-sheet or a smaller --height"
        )
    path.write_bytes(buffer.getvalue())
    return buffer.tell()


def make_sheets(
    before: Path, after: Path, out_prefix: Path, per_sheet: int, height: int, width: int, max_bytes: int
) -> list[Path]:
    inputs, results = photos_in(before), photos_in(after)
    names = sorted(set(inputs) & set(results))
    if not names:
        raise PairsError(f"{before} and {after} share no photo names; give an input folder and its results")
    missing = sorted(set(inputs) - set(results))
    if missing:
        print(f"{len(missing)} inputs have no result, e.g. {missing[0]}", file=sys.stderr)
    out_prefix.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for start in range(0, len(names), per_sheet):
        chunk = names[start : start + per_sheet]
        cells = [before_after(n, read_rgb(inputs[n]), read_rgb(results[n]), height) for n in chunk]
        path = out_prefix.parent / f"{out_prefix.name}-{start // per_sheet + 1:02d}.jpg"
        size = save_small(layout(cells, width), path, max_bytes)
        print(f"{path}: {len(chunk)} photos, {size / 1e3:.0f} kB")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="folder of inputs (black-and-white photos)")
    parser.add_argument("after", type=Path, help="folder of their colorizations, same names")
    parser.add_argument("out", type=Path, help="sheet path prefix: OUT-01.jpg, OUT-02.jpg, ...")
    parser.add_argument("--per-sheet", type=int, default=16)
    parser.add_argument("--height", type=int, default=200, help="height of each photo in pixels")
    parser.add_argument("--width", type=int, default=2000, help="sheet width in pixels")
    parser.add_argument("--max-bytes", type=int, default=950_000)
    args = parser.parse_args(argv)
    try:
        make_sheets(
            args.before, args.after, args.out, args.per_sheet, args.height, args.width, args.max_bytes
        )
    except (PairsError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
