"""Issue 17's acceptance run: awkward real-world inputs through `colorize --ray local` and the plain batch.

    .venv/bin/python -m benchmarks.ray_archive                  # large scans of 6000x4000
    .venv/bin/python -m benchmarks.ray_archive --size 3000x2000 # a quicker look

The folder is tests/fixtures_images.archive_folder (16-bit TIFF, EXIF-rotated JPEG, ICC profile, alpha,
palette, CMYK, sepia, Unicode names, a colour photo, empty, truncated and non-image files) plus an 8-bit
JPEG and a 16-bit TIFF of --size (benchmarks/archive.py). Every run is a `colorsphere colorize` child
process; every Ray process it starts carries a marker in its environment, so that leftovers are found.
Checks, each printed with its figures:
  1. `--ray local` gives the plain run's statuses and exit status, and outputs within 0.5 8-bit levels;
  2. a re-run rewrites nothing;
  3. a second folder of 24 photos, with one Ray worker process killed (SIGKILL) mid-run: all 24 written,
     none partial, report complete;
  4. Ctrl-C (SIGINT) mid-run on that folder: exit 130, no partial file; a re-run finishes the rest;
  5. sources never change; no Ray process is left running.
Exit status 0 when every check holds.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import psutil
from PIL import Image

from benchmarks.archive import add_big_scans
from benchmarks.photos import make_scans
from benchmarks.run import ROOT, colorsphere_command, parse_size
from tests import fixtures_images as fx

MARK = "COLORSPHERE_RAY_ARCHIVE"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"}
Image.MAX_IMAGE_PIXELS = None  # the large scans are ours


def digests(folder: Path) -> dict[str, tuple[int, str]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def statuses(out: Path) -> dict[str, str]:
    with (out / "colorsphere-report.csv").open(encoding="utf-8") as f:
        return {row["source"]: row["status"] for row in csv.DictReader(f)}


def photos(out: Path) -> list[Path]:
    return sorted(
        p for p in out.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES and not p.name.startswith(".")
    )


def partial_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if ".part" in p.name]


def ours(mark: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get(MARK) == mark:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


class Colorize:
    """`colorsphere colorize` children, all marked with one marker."""

    def __init__(self) -> None:
        self.mark = uuid.uuid4().hex
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), MARK: self.mark}

    def start(self, src: Path, out: Path, ray: bool) -> tuple[subprocess.Popen, float]:
        command = [*colorsphere_command(src, out, "builtin"), *(["--ray", "local"] if ray else [])]
        child = subprocess.Popen(
            command,
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        return child, time.perf_counter()

    def run(self, src: Path, out: Path, ray: bool) -> tuple[int, float, str]:
        child, start = self.start(src, out, ray)
        _, err = child.communicate()
        return child.returncode, time.perf_counter() - start, err


def wait_for_output(out: Path, child: subprocess.Popen, count: int = 1) -> bool:
    while child.poll() is None:
        if len(photos(out)) >= count if out.exists() else False:
            return True
        time.sleep(0.05)
    return False


def difference(a: Path, b: Path) -> float:
    with Image.open(a) as x, Image.open(b) as y:
        return float(
            np.abs(np.asarray(x.convert("RGB"), np.float32) - np.asarray(y.convert("RGB"), np.float32)).mean()
        )


def check(results: list[tuple[str, bool, str]], name: str, ok: bool, figures: str) -> None:
    results.append((name, ok, figures))
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {figures}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.ray_archive", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--size", default="6000x4000", help="size of the two large scans (default 6000x4000)")
    args = parser.parse_args(argv)
    results: list[tuple[str, bool, str]] = []
    runs = Colorize()
    with tempfile.TemporaryDirectory(prefix="colorsphere-ray-archive-") as tmp:
        root = Path(tmp)
        src = fx.archive_folder(root)
        add_big_scans(src, *parse_size(args.size))
        second = root / "second"
        make_scans(second, 24, 1200, 900)
        sources = {**digests(src), **{f"second/{k}": v for k, v in digests(second).items()}}

        plain_code, plain_s, _ = runs.run(src, root / "plain", ray=False)
        ray_code, ray_s, err = runs.run(src, root / "ray", ray=True)
        same_rows = statuses(root / "plain") == {k: v for k, v in statuses(root / "ray").items()}
        counts = {s: list(statuses(root / "ray").values()).count(s) for s in ("done", "skipped", "failed")}
        check(
            results,
            "same statuses and exit status",
            same_rows and plain_code == ray_code,
            f"exit {plain_code} / {ray_code}; {counts}; wall {plain_s:.1f} s plain, {ray_s:.1f} s Ray",
        )
        diffs = {
            p.relative_to(root / "plain").as_posix(): difference(
                p, root / "ray" / p.relative_to(root / "plain")
            )
            for p in photos(root / "plain")
        }
        worst = max(diffs, key=diffs.get)
        check(
            results,
            "same outputs",
            len(diffs) == len(photos(root / "ray")) and diffs[worst] <= 0.5,
            f"{len(diffs)} photos, largest mean difference {diffs[worst]:.3f} levels ({worst})",
        )

        before = digests(root / "ray")
        rerun_code, rerun_s, _ = runs.run(src, root / "ray", ray=True)
        after = digests(root / "ray")
        rewritten = [
            k for k, v in before.items() if Path(k).suffix.lower() in PHOTO_SUFFIXES and after.get(k) != v
        ]
        check(
            results,
            "re-run rewrites nothing",
            not rewritten and rerun_code == ray_code,
            f"{len(rewritten)} rewritten, exit {rerun_code}, {rerun_s:.1f} s",
        )

        out = root / "second-out"
        child, _ = runs.start(second, out, ray=True)
        killed = ""
        if wait_for_output(out, child):
            workers = [p for p in ours(runs.mark) if "PhotoWorker" in " ".join(p.cmdline())]
            if workers:
                os.kill(workers[0].pid, signal.SIGKILL)
                killed = f"killed worker {workers[0].pid} after {len(photos(out))} photo(s)"
        _, err = child.communicate()
        done = list(statuses(out).values()).count("done")
        readable = all(Image.open(p).verify() is None for p in photos(out))
        check(
            results,
            "a killed worker loses nothing",
            bool(killed)
            and child.returncode == 0
            and done == 24
            and len(photos(out)) == 24
            and readable
            and not partial_files(out),
            f"{killed or 'no worker was killed'}; exit {child.returncode}, {done} of 24 done, "
            f"{len(photos(out))} written, {len(partial_files(out))} partial",
        )

        out = root / "second-stopped"
        child, _ = runs.start(second, out, ray=True)
        wait_for_output(out, child)
        os.killpg(child.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole foreground group
        _, err = child.communicate()
        stopped_with = (child.returncode, len(photos(out)), len(partial_files(out)))
        resume_code, _, _ = runs.run(second, out, ray=True)
        done = list(statuses(out).values()).count("done")
        check(
            results,
            "Ctrl-C stops cleanly and a re-run resumes",
            stopped_with[0] == 130
            and stopped_with[2] == 0
            and 0 < stopped_with[1] < 24
            and resume_code == 0
            and done == 24
            and not partial_files(out),
            f"stopped: exit {stopped_with[0]} with {stopped_with[1]} written, {stopped_with[2]} partial; "
            f"re-run: exit {resume_code}, {done} of 24 done",
        )

        now = {**digests(src), **{f"second/{k}": v for k, v in digests(second).items()}}
        check(results, "sources never change", now == sources, f"{len(sources)} source files compared")
        left = ours(runs.mark)
        check(results, "no Ray process left", not left, f"{len(left)} marked process(es) running")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
