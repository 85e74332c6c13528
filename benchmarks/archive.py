"""Issue 5's archive folder through `colorsphere colorize`, run twice: time, memory, what was rewritten.

    .venv/bin/python -m benchmarks.archive              # every kind of scan + two 48-megapixel scans
    .venv/bin/python -m benchmarks.archive --size 4000x3000   # smaller big scans, for a quick look

The folder holds the small scans of every kind from tests/fixtures_images.archive_folder (16-bit TIFF,
rotated JPEG, ICC, LA, palette, sepia, CMYK, a colour photo, three broken files, Unicode names) plus
an 8-bit JPEG and a 16-bit TIFF of the large size. Each run is a fresh process, timed by wall clock,
with its peak resident memory. The second run must skip everything without rewriting a byte; the
ratio second/first is issue 5's "under a quarter" criterion.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image

from benchmarks.photos import JPEG_QUALITY, synthetic_scan
from benchmarks.run import ChildRun, colorsphere_command, parse_size, timed_child
from tests import fixtures_images as fx

ROOT = Path(__file__).resolve().parents[1]


def add_big_scans(folder: Path, width: int, height: int) -> None:
    """An 8-bit grey JPEG and a 16-bit grey TIFF at 600 dpi of `width` x `height`."""
    grey = synthetic_scan(width, height, seed=48)
    big = folder / "big"
    big.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grey, "L").save(big / "scan-8bit.jpg", quality=JPEG_QUALITY)
    fine = np.random.default_rng(1).integers(0, 257, grey.shape, dtype=np.uint16)  # the 16 bits' low byte
    deep = grey.astype(np.uint16) * 257 + fine
    tifffile.imwrite(big / "scan-16bit.tif", deep, resolution=(600.0, 600.0), resolutionunit="INCH")


def snapshot(folder: Path) -> dict[Path, tuple[int, str]]:
    """Every file under `folder` with its mtime and content hash."""
    return {
        p: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def one_run(src: Path, out: Path) -> ChildRun:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return timed_child(colorsphere_command(src, out, "builtin"), env, allowed_exit=(0, 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.archive", description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="8000x6000", help="size of the two big scans (default 8000x6000)")
    parser.add_argument("--make-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    width, height = parse_size(args.size)
    if args.make_only:
        add_big_scans(fx.archive_folder(args.make_only), width, height)
        return 0
    with tempfile.TemporaryDirectory(prefix="colorsphere-archive-") as tmp:
        root = Path(tmp)
        # Made in a child: a forked child inherits this process's peak RSS, so it must stay small.
        make = [sys.executable, "-m", "benchmarks.archive", "--size", args.size, "--make-only", str(root)]
        subprocess.run(make, check=True, cwd=ROOT)
        src = root / "scans"
        out = root / "restored"
        sources = snapshot(src)
        first = one_run(src, out)
        outputs = {p: v for p, v in snapshot(out).items() if p.name != ".colorsphere-manifest.json"}
        second = one_run(src, out)
        after = snapshot(out)
        rewritten = [
            p.name for p, v in outputs.items() if p.name != "colorsphere-report.csv" and after.get(p) != v
        ]
        leftovers = [p.name for p in out.rglob("*.part")]  # the writer's and the report's temporary names
        print(f"## Archive folder, {args.size} big scans, builtin model, CPU\n")
        print("| run | exit | wall s | peak RSS MB |")
        print("|---|---|---|---|")
        for name, run in (("first", first), ("second", second)):
            print(f"| {name} | {run.exit_code} | {run.wall_s:.2f} | {run.peak_rss_mb:.0f} |")
        print(f"\nsecond/first time: {second.wall_s / first.wall_s:.3f} (bar: under 0.25)")
        print(f"outputs rewritten by the second run: {rewritten or 'none'}")
        print(f"temporary files left: {leftovers or 'none'}")
        print(f"sources unchanged: {snapshot(src) == sources}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
