"""Blind A/B judging of colorizations: shuffled side-by-side pairs with a hidden key, and their score.

A judge who knows which picture came from which model, or who sees the new one always on the same
side, is no longer blind. So `make` shuffles the pairs' order and, balanced, which side each result
goes on; the pair images and the list the judge gets name only pair ids, and the key that says which
side is which is written to a separate file that must live outside the folder the judges see.

    # new vs shipped, with the grey input as a third panel
    python tools/blind_pairs.py make NEW_RESULTS SHIPPED_RESULTS --labels new,shipped \\
        --grey GREY_INPUTS --out pairs_bw --key pairs_bw_key.csv
    # real vs colorized: grey colour photos, colorize them, pair each with its original
    python tools/blind_pairs.py grey ../shared/data/eval work/real --size 512
    colorsphere colorize work/real/grey -o work/real/ours
    python tools/blind_pairs.py make work/real/original work/real/ours --labels original,ours \\
        --mode real --out pairs_real --key pairs_real_key.csv
    # the judges fill in verdicts.csv (pair,verdict with verdict A, B or tie), then
    python tools/blind_pairs.py score verdicts.csv --key pairs_bw_key.csv

In a pair image panel A is on the left, B on the right (the grey input, when shown, comes first).
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

PHOTO_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
QUESTIONS = {
    "prefer": "Which colour version would you keep? Judge the colour only (both share the same grey "
    "tones): wrong or stained colour, colour that ignores object edges, a dull sepia wash.",
    "real": "One of the two is the original colour photograph, the other was coloured by a computer "
    "from a black-and-white copy. Which one is the original?",
}
VERDICTS = ("A", "B", "tie")
LABEL_STRIP = 28
GAP = 8


class PairsError(Exception):
    """A user-fixable problem; the message names the file and the fix."""


@dataclass(frozen=True)
class KeyRow:
    pair: str
    photo: str
    left: str  # label of the result shown as panel A
    right: str  # label of the result shown as panel B


def photos_in(folder: Path) -> dict[str, Path]:
    """Photos by their path relative to the folder, with the suffix dropped (results may change format)."""
    if not folder.is_dir():
        raise PairsError(f"{folder}: not a folder; give a folder of results")
    return {
        str(p.relative_to(folder).with_suffix("")): p
        for p in sorted(folder.rglob("*"))
        if p.suffix.lower() in PHOTO_SUFFIXES
    }


def balanced_sides(count: int, rng: random.Random) -> list[bool]:
    """True where the first folder's result goes left: exactly half of the pairs (one more or less)."""
    sides = [True] * (count // 2) + [False] * (count // 2)
    if count % 2:
        sides.append(rng.random() < 0.5)
    rng.shuffle(sides)
    return sides


def read_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise PairsError(f"{path}: not readable as an image; remove it or replace it")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def fit_height(rgb: np.ndarray, height: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    size = (max(1, round(w * height / h)), height)
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if height < h else cv2.INTER_CUBIC)


def side_by_side(panels: list[tuple[str, np.ndarray]], height: int) -> Image.Image:
    """Panels scaled to one height, each under its caption."""
    scaled = [(caption, fit_height(rgb, height)) for caption, rgb in panels]
    width = sum(rgb.shape[1] for _, rgb in scaled) + GAP * (len(scaled) - 1)
    sheet = Image.new("RGB", (width, height + LABEL_STRIP), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=20)
    x = 0
    for caption, rgb in scaled:
        sheet.paste(Image.fromarray(rgb), (x, LABEL_STRIP))
        draw.text((x + 6, 3), caption, fill="black", font=font)
        x += rgb.shape[1] + GAP
    return sheet


def make_pairs(
    first: Path,
    second: Path,
    out: Path,
    key_file: Path,
    labels: tuple[str, str],
    mode: str = "prefer",
    grey: Path | None = None,
    seed: int = 0,
    height: int = 448,
    limit: int = 0,
) -> list[KeyRow]:
    """Write one image per photo both folders hold, the judges' list, and the key (kept apart)."""
    out, key_file = out.resolve(), key_file.resolve()
    if key_file.is_relative_to(out):
        raise PairsError(f"{key_file}: the key must not be inside the pairs folder {out}; put it elsewhere")
    if out.exists() and any(out.iterdir()):
        raise PairsError(f"{out}: folder is not empty; give a new folder for the pairs")
    a, b = photos_in(first), photos_in(second)
    greys = photos_in(grey) if grey is not None else {}
    common = sorted(set(a) & set(b) & (set(greys) if grey is not None else set(a)))
    if not common:
        raise PairsError(
            f"{first} and {second} share no photo names; give two folders of results of the same photos"
        )
    rng = random.Random(seed)
    rng.shuffle(common)
    if limit:
        common = common[:limit]
    out.mkdir(parents=True, exist_ok=True)
    rows: list[KeyRow] = []
    for number, (name, first_left) in enumerate(
        zip(common, balanced_sides(len(common), rng), strict=True), 1
    ):
        pair = f"pair{number:03d}"
        left, right = (a[name], b[name]) if first_left else (b[name], a[name])
        panels = [("A", read_rgb(left)), ("B", read_rgb(right))]
        if grey is not None:
            panels.insert(0, ("grey input", read_rgb(greys[name])))
        side_by_side(panels, height).save(out / f"{pair}.jpg", quality=90)
        rows.append(KeyRow(pair, name, *(labels if first_left else labels[::-1])))
    with open(out / "pairs.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["pair", "image", "verdict"])
        writer.writerows([r.pair, f"{r.pair}.jpg", ""] for r in rows)
    lines = [f"# {len(rows)} pairs", "", QUESTIONS[mode], ""]
    lines += ["Answer A (left), B (right) or tie for each pair, in a copy of pairs.csv (column verdict).", ""]
    lines += [f"- {r.pair}: {r.pair}.jpg" for r in rows]
    (out / "pairs.md").write_text("\n".join(lines) + "\n")
    key_file.parent.mkdir(parents=True, exist_ok=True)
    with open(key_file, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["pair", "photo", "A", "B", "mode"])
        writer.writerows([r.pair, r.photo, r.left, r.right, mode] for r in rows)
    return rows


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion: sound at small n and near 0 or 1, unlike p +- 2 se."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def read_key(path: Path) -> tuple[dict[str, KeyRow], str]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise PairsError(f"{path}: empty key; give the key file `make` wrote")
    return {r["pair"]: KeyRow(r["pair"], r["photo"], r["A"], r["B"]) for r in rows}, rows[0]["mode"]


def read_verdicts(path: Path) -> dict[str, str]:
    """pair -> A | B | tie, from a CSV with columns pair and verdict; a blank verdict is skipped."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    verdicts = {}
    for number, r in enumerate(rows, 2):
        if not r.get("pair") or r.get("verdict") is None:
            raise PairsError(f"{path}: needs the columns pair and verdict (as in pairs.csv)")
        verdict = r["verdict"].strip()
        if not verdict:
            continue
        canonical = {v.lower(): v for v in VERDICTS}.get(verdict.lower())
        if canonical is None:
            raise PairsError(f"{path} line {number}: verdict {verdict!r}; write A, B or tie")
        verdicts[r["pair"].strip()] = canonical
    return verdicts


@dataclass(frozen=True)
class Tally:
    labels: tuple[str, str]
    wins: tuple[int, int]
    ties: int

    @property
    def decided(self) -> int:
        return sum(self.wins)


def tally(key: dict[str, KeyRow], verdicts: dict[str, str]) -> Tally:
    unknown = sorted(set(verdicts) - set(key))
    if unknown:
        raise PairsError(
            f"verdicts for pairs the key does not hold: {', '.join(unknown[:5])}; wrong key file?"
        )
    labels = tuple(sorted({key[p].left for p in key} | {key[p].right for p in key}))
    if len(labels) != 2:
        raise PairsError(f"the key names {len(labels)} results ({', '.join(labels)}); expected two")
    wins = dict.fromkeys(labels, 0)
    ties = 0
    for pair, verdict in verdicts.items():
        if verdict == "tie":
            ties += 1
        else:
            wins[key[pair].left if verdict == "A" else key[pair].right] += 1
    return Tally(labels, (wins[labels[0]], wins[labels[1]]), ties)  # type: ignore[arg-type]


def report(t: Tally, mode: str, pairs: int) -> str:
    lines = [f"{t.decided + t.ties} of {pairs} pairs judged: {t.decided} decided, {t.ties} ties"]
    for label, won in zip(t.labels, t.wins, strict=True):
        lo, hi = wilson(won, t.decided)
        what = "taken for the original" if mode == "real" else "preferred"
        rate = won / t.decided if t.decided else float("nan")
        lines.append(
            f"{label}: {what} in {won} of {t.decided} decided pairs, {100 * rate:.1f} % "
            f"(95 % Wilson interval {100 * lo:.1f}-{100 * hi:.1f} %); counting ties as half: "
            f"{100 * (won + t.ties / 2) / max(t.decided + t.ties, 1):.1f} %"
        )
    return "\n".join(lines)


def write_greyed(source: Path, out: Path, size: int) -> int:
    """Originals (resized, longer side `size`) and their grey versions with the same L, same names."""
    from colorsphere_gui.evaluation import grey_version, resize_longer_side

    count = 0
    for name, path in photos_in(source).items():
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            print(f"skipped {path}: not readable as an image", file=sys.stderr)
            continue
        if size:
            bgr = resize_longer_side(bgr, size)
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        flat = name.replace("/", "__")
        for sub, pixels in (("original", bgr), ("grey", grey_version(rgb))):
            (out / sub).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(out / sub / f"{flat}.png"), pixels)
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    mk = sub.add_parser("make", help="side-by-side pairs with a hidden key")
    mk.add_argument("first", type=Path, help="folder of results (or of originals, with --mode real)")
    mk.add_argument("second", type=Path, help="folder of results of the same photos, same names")
    mk.add_argument(
        "--labels", default="first,second", help="names of the two folders, written only to the key"
    )
    mk.add_argument(
        "--out", type=Path, required=True, help="new folder for the pair images (given to judges)"
    )
    mk.add_argument("--key", type=Path, required=True, help="key file, outside --out (never shown to judges)")
    mk.add_argument("--grey", type=Path, help="folder of the grey inputs, shown as a third panel")
    mk.add_argument("--mode", choices=list(QUESTIONS), default="prefer")
    mk.add_argument("--seed", type=int, default=0)
    mk.add_argument("--height", type=int, default=448, help="panel height in pixels")
    mk.add_argument("--limit", type=int, default=0, help="at most N pairs (a random subset)")
    sc = sub.add_parser("score", help="win rates from a verdicts file and the key")
    sc.add_argument("verdicts", type=Path, help="CSV with columns pair and verdict (A, B or tie)")
    sc.add_argument("--key", type=Path, required=True)
    gr = sub.add_parser("grey", help="grey copies of colour photos (and the originals at the same size)")
    gr.add_argument("source", type=Path)
    gr.add_argument("out", type=Path, help="gets original/ and grey/")
    gr.add_argument("--size", type=int, default=512, help="longer side in pixels (0: as is)")
    args = parser.parse_args(argv)
    try:
        if args.command == "make":
            labels = tuple(args.labels.split(","))
            if len(labels) != 2 or labels[0] == labels[1]:
                raise PairsError(f"--labels {args.labels}: give two different names, e.g. new,shipped")
            rows = make_pairs(
                args.first,
                args.second,
                args.out,
                args.key,
                labels,
                args.mode,
                args.grey,
                args.seed,
                args.height,
                args.limit,
            )
            print(f"{len(rows)} pairs in {args.out}; key in {args.key} (keep it from the judges)")
        elif args.command == "score":
            key, mode = read_key(args.key)
            print(report(tally(key, read_verdicts(args.verdicts)), mode, len(key)))
        else:
            print(f"{write_greyed(args.source, args.out, args.size)} photos in {args.out}")
    except (PairsError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
