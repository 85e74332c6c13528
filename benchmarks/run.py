"""ColorSphere against Zhang et al.'s reference pipeline, in one run, on the same photos and weights.

    .venv/bin/python -m benchmarks.run                 # ten synthetic 12-megapixel grey JPEG scans
    .venv/bin/python -m benchmarks.run --count 2 --size 1600x1200 --repeat 1   # a quick look
    .venv/bin/python -m benchmarks.run --photos DIR    # your own JPEGs

Whole process: each side is a fresh subprocess (Python start-up, imports, model load, every photo,
every file written), timed by wall clock, with its peak resident memory from os.wait4's rusage.
Both sides load one seeded ECCV16 weights file (the official file cannot be downloaded offline, and
speed does not depend on the weight values). Then the per-stage breakdown of one photo in-process,
the built-in model's 12-megapixel latency (issue 3) and its 24-megapixel preview (issue 7).
Prints one Markdown report; docs/PERFORMANCE.md keeps a copy.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks import stages
from benchmarks.photos import make_scans

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class ChildRun:
    wall_s: float
    peak_rss_mb: float
    exit_code: int = 0


def timed_child(cmd: list[str], env: dict[str, str], allowed_exit: tuple[int, ...] = (0,)) -> ChildRun:
    """Wall time, peak RSS (ru_maxrss is in KiB on Linux) and exit status of one subprocess."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode not in allowed_exit:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr}")
    return ChildRun(wall, usage.ru_maxrss / 1024, proc.returncode)


def seeded_weights(model: str, folder: Path) -> Path:
    """A seeded weights file for `model`, imported into this run's COLORSPHERE_HOME (see tests/)."""
    from colorsphere_gui.models import weights
    from tests.zhang_reference import reference_net, save_weights

    path = save_weights(reference_net(model, seed=0), folder / f"{model}-seeded.pth")
    weights.import_weights(model, path)
    installed = weights.find_weights(model)
    if installed is None or _sha256(installed) != _sha256(path):
        raise SystemExit(f"ColorSphere would not load {path} for {model} (found {installed})")
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def colorsphere_command(source: Path, dest: Path, model: str) -> list[str]:
    script = Path(sys.executable).with_name("colorsphere")
    entry = [str(script)] if script.exists() else [sys.executable, "-m", "colorsphere_gui"]
    return [*entry, "colorize", str(source), "-o", str(dest), "--model", model, "--device", "cpu"]


def reference_command(source: Path, dest: Path, weights: Path, model: str) -> list[str]:
    script = ROOT / "benchmarks" / "reference_pipeline.py"
    return [sys.executable, str(script), str(weights), str(source), str(dest), model]


def mean_level_difference(ours: Path, reference: Path) -> float:
    """Mean absolute difference of the two outputs in 8-bit levels (both JPEGs, so about a level)."""
    a = np.asarray(Image.open(ours).convert("RGB"), dtype=np.int16)
    b = np.asarray(Image.open(reference).convert("RGB"), dtype=np.int16)
    return float(np.abs(a - b).mean())


def whole_process(photos: Path, work: Path, weights: Path, model: str, repeat: int) -> dict:
    """Alternate reference and ColorSphere runs; report medians and the ratio measured in this run."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs: dict[str, list[ChildRun]] = {"reference": [], "colorsphere": []}
    for i in range(repeat):
        ref_out, our_out = work / f"ref-{i}", work / f"ours-{i}"
        runs["reference"].append(timed_child(reference_command(photos, ref_out, weights, model), env))
        runs["colorsphere"].append(timed_child(colorsphere_command(photos, our_out, model), env))
    first = sorted(photos.glob("*.jp*g"))[0].name
    summary = {
        side: {
            "wall_s": statistics.median(r.wall_s for r in rs),
            "wall_range": (min(r.wall_s for r in rs), max(r.wall_s for r in rs)),
            "peak_rss_mb": statistics.median(r.peak_rss_mb for r in rs),
        }
        for side, rs in runs.items()
    }
    summary["difference_levels"] = mean_level_difference(work / "ours-0" / first, work / "ref-0" / first)
    return summary


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    import cv2
    import torch

    return (
        f"{os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"OpenCV {cv2.__version__}, NumPy {np.__version__}"
    )


def _seconds(side: dict) -> str:
    low, high = side["wall_range"]
    return f"{side['wall_s']:.1f} s ({low:.1f}–{high:.1f})"


def report(args: argparse.Namespace, n: int, size: str, whole: dict | None, breakdown: dict, pair: float,
           latency: dict) -> str:
    lines = [f"Machine: {machine()}", ""]
    if whole is not None:
        ref, ours = whole["reference"], whole["colorsphere"]
        lines += [
            f"### Whole process: {n} grey JPEG scans of {size}, {args.model}, CPU "
            f"(median and range of {args.repeat} runs each, alternating)",
            "",
            "| | Zhang et al. reference | ColorSphere | ratio |",
            "|---|---:|---:|---:|",
            f"| wall time, whole process | {_seconds(ref)} | {_seconds(ours)} | "
            f"reference / ours = **{ref['wall_s'] / ours['wall_s']:.2f}x** |",
            f"| wall time / photos | {ref['wall_s'] / n:.2f} s | {ours['wall_s'] / n:.2f} s | |",
            f"| peak memory (RSS) | {ref['peak_rss_mb']:.0f} MB | {ours['peak_rss_mb']:.0f} MB | "
            f"ours / reference = **{ours['peak_rss_mb'] / ref['peak_rss_mb']:.2f}** |",
            "",
            f"Outputs differ by {whole['difference_levels']:.2f} levels (mean, 8-bit, first photo; "
            "both are JPEGs at quality 95, ours 4:4:4 and the reference's 4:2:0).",
            "",
        ]
    names = list(breakdown)
    lines += [
        "### Per stage, one photo in-process (median; in a batch these overlap across threads)",
        "",
        "| stage | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for stage in stages.STAGES:
        lines.append(f"| {stage} | " + " | ".join(f"{breakdown[k][stage]:.3f} s" for k in names) + " |")
    lines.append("| sum | " + " | ".join(f"{sum(breakdown[k].values()):.3f} s" for k in names) + " |")
    lines += ["", f"In a batch the network runs two photos side by side, one core each: {args.model} "
              f"{pair:.3f} s per photo."]
    lines += ["", "### Interactive latency, built-in model", ""]
    lines += [f"- {label}: **{seconds:.2f} s**" for label, seconds in latency.items()]
    return "\n".join(lines)


def parse_size(text: str) -> tuple[int, int]:
    w, _, h = text.lower().partition("x")
    return int(w), int(h)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=Path, help="folder of JPEGs (default: generate synthetic scans)")
    parser.add_argument("--count", type=int, default=10, help="synthetic scans to generate (default 10)")
    parser.add_argument("--size", default="4000x3000", help="synthetic scan size WxH (default 4000x3000)")
    parser.add_argument("--model", default="eccv16", choices=["eccv16", "siggraph17"])
    parser.add_argument("--repeat", type=int, default=3, help="whole-process runs per side (median)")
    parser.add_argument("--skip-whole", action="store_true", help="only the in-process measurements")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="colorsphere-bench-") as tmp:
        work = Path(tmp)
        os.environ["COLORSPHERE_HOME"] = str(work / "home")  # the seeded weights, never the user's
        width, height = parse_size(args.size)
        photos = args.photos or work / "scans"
        if args.photos is None:
            print(f"generating {args.count} synthetic {args.size} scans ...", file=sys.stderr)
            make_scans(photos, args.count, width, height)
        paths = sorted(photos.glob("*.jp*g"))
        if not paths:
            raise SystemExit(f"no JPEGs in {photos}")
        with Image.open(paths[0]) as im:
            size = f"{im.width}x{im.height} ({im.width * im.height / 1e6:.0f} MP)"
        weights = seeded_weights(args.model, work)
        whole = None
        if not args.skip_whole:
            print("whole-process runs ...", file=sys.stderr)
            whole = whole_process(photos, work, weights, args.model, args.repeat)
        print("per-stage breakdown ...", file=sys.stderr)
        breakdown = {
            f"reference ({args.model})": stages.reference_stages(paths[0], weights, work),
            f"ColorSphere ({args.model})": stages.colorsphere_stages(paths[0], args.model, work),
            "ColorSphere (builtin)": stages.colorsphere_stages(paths[0], "builtin", work),
        }
        pair = stages.batch_network(args.model)
        big = work / "scan_24mp.jpg"
        make_scans(work / "big", 1, 6000, 4000)[0].rename(big)
        latency = {
            f"{size} photo, decoded: network input + network + L + full-resolution merge "
            "(issue 3 bar for 12 MP: 1.0 s)": stages.builtin_latency(paths[0]),
            "24-MP scan (6000x4000): decode + network + screen-sized preview, 1600 px "
            "(issue 7 bar: 1.5 s)": stages.preview_latency(big),
        }
    print(report(args, len(paths), size, whole, breakdown, pair, latency))
    return 0


if __name__ == "__main__":
    sys.exit(main())
