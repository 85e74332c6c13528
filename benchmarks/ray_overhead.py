"""`colorize --ray local` against the plain batch on the same photos: what Ray costs on one machine.

    .venv/bin/python -m benchmarks.ray_overhead                        # 8 and 32 scans of 2400x1800
    .venv/bin/python -m benchmarks.ray_overhead --counts 4,12 --size 1200x900   # a quick look

Each run is a fresh `colorsphere colorize` process into a fresh output folder, plain and Ray runs
alternating so that both see the same load. Two batch sizes separate Ray's fixed cost (starting a local
instance, loading the model in every actor) from its cost per photo: the slope of wall time against
photos is the steady rate, the intercept the start-up. Ratios are Ray / plain, measured in this run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.photos import make_scans
from benchmarks.run import ROOT, colorsphere_command, machine, parse_size, timed_child


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares (seconds per photo, fixed seconds) of wall time against photos."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    slope = statistics.covariance(xs, ys) / statistics.variance(xs)
    return slope, statistics.fmean(ys) - slope * statistics.fmean(xs)


def measure(counts: list[int], size: tuple[int, int], repeat: int, work: Path) -> dict[str, list]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    points: dict[str, list[tuple[int, float]]] = {"plain": [], "ray": []}
    for count in counts:
        photos = work / f"photos-{count}"
        make_scans(photos, count, *size)
        for i in range(repeat):
            for side, extra in (("plain", []), ("ray", ["--ray", "local"])):
                out = work / f"{side}-{count}-{i}"
                run = timed_child([*colorsphere_command(photos, out, "builtin"), *extra], env)
                points[side].append((count, run.wall_s))
                print(f"{side:>5} {count:3d} photos: {run.wall_s:6.1f} s", file=sys.stderr)
    return points


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--counts", default="8,32", help="batch sizes, comma-separated (default 8,32)")
    parser.add_argument("--size", default="2400x1800", help="scan size WxH (default 2400x1800)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per side and batch size")
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.counts.split(",")]
    size = parse_size(args.size)
    with tempfile.TemporaryDirectory(prefix="colorsphere-ray-") as tmp:
        points = measure(counts, size, args.repeat, Path(tmp))
    big = max(counts)
    wall = {side: statistics.median(t for n, t in pts if n == big) for side, pts in points.items()}
    (plain_rate, plain_fixed), (ray_rate, ray_fixed) = fit(points["plain"]), fit(points["ray"])
    print(f"Machine: {machine()}; load average {os.getloadavg()[0]:.1f} at the end")
    print(f"Grey JPEG scans of {args.size}, built-in model, CPU; {args.repeat} run(s) per point, alternating")
    print("")
    print("| | plain | --ray local | Ray / plain |")
    print("|---|---:|---:|---:|")
    print(f"| wall time, {big} photos | {wall['plain']:.1f} s | {wall['ray']:.1f} s | "
          f"**{wall['ray'] / wall['plain']:.2f}** |")
    print(f"| seconds per photo (slope) | {plain_rate:.3f} s | {ray_rate:.3f} s | "
          f"**{ray_rate / plain_rate:.2f}** |")
    print(f"| fixed start-up (intercept) | {plain_fixed:.1f} s | {ray_fixed:.1f} s | "
          f"+{ray_fixed - plain_fixed:.1f} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
