"""Bookkeeping per photo as the output folder grows: 500 photos against 5,000 (issue 18).

    .venv/bin/python -m benchmarks.record                 # 500 and 5,000 tiny scans
    .venv/bin/python -m benchmarks.record --sizes 200 2000

The colorizer is the test stub (no network) and the scans are 16 x 16 px, so what is timed is the
batch's own work per photo: discovery, naming and collision checks, hashing, the record's transactions
(pending, done, the source's row), renaming into place, the report, and a 16 x 16 encode. Each size is
timed twice in one process: a first run into an empty folder, then a re-run where every photo is up to
date (hash and look-ups only). The ratios compare the larger folder's time per photo with the smaller's
(measured in the same run); issue 18 asks for at most 1.5.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from colorsphere_gui.batch import BatchRunner, BatchSettings, discover
from tests.batch_stub import StubStages


def make_folder(folder: Path, count: int) -> None:
    """count distinct 16 x 16 grey PNGs, 500 per subfolder as scanners file them."""
    rng = np.random.default_rng(count)
    for i in range(count):
        path = folder / f"box{i // 500:03d}" / f"scan{i:05d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8)).save(path)


def per_photo_ms(src: Path, out: Path) -> float:
    stub = StubStages()
    start = time.perf_counter()
    summary = BatchRunner(stub.colorize, BatchSettings(model="builtin")).run(discover([src], out), out)
    seconds = time.perf_counter() - start
    assert summary.exit_code == 0 and len(summary.results) == sum(1 for _ in src.rglob("*.png"))
    return seconds * 1000 / len(summary.results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.record", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=(500, 5000), metavar=("SMALL", "LARGE"))
    args = parser.parse_args(argv)
    results: dict[int, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="colorsphere-record-") as tmp:
        for count in args.sizes:
            src, out = Path(tmp) / f"src{count}", Path(tmp) / f"out{count}"
            make_folder(src, count)
            results[count] = (per_photo_ms(src, out), per_photo_ms(src, out))
    small, large = args.sizes
    print("| photos | first run, ms/photo | re-run (all up to date), ms/photo |")
    print("|---:|---:|---:|")
    for count, (first, rerun) in results.items():
        print(f"| {count:,} | {first:.2f} | {rerun:.2f} |")
    first_ratio = results[large][0] / results[small][0]
    rerun_ratio = results[large][1] / results[small][1]
    print(f"\n{large:,} vs {small:,} photos, per photo: first run {first_ratio:.2f}x, ", end="")
    print(f"re-run {rerun_ratio:.2f}x")
    ok = max(first_ratio, rerun_ratio) <= 1.5
    print("within 1.5x: yes" if ok else "within 1.5x: NO")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
