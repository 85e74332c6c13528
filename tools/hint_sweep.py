"""Score settings of the hint pass (core/hint_spread.py) without re-running the network.

Each photo is resized and greyed as `colorsphere evaluate --hints` does, given the same simulated hints,
and run through the model once per hint count; the network's colour before the pass is cached. Every
variant (a set of the pass's constants) is then scored from the cache exactly as `evaluate_hints`
scores it: PSNR gain over no hints and the share of hints honoured.

    python tools/hint_sweep.py ../shared/data/eval --every 3 --cache /tmp/hintcache \
        --variants "SPREAD=60,EDGE_COST=2.5" "SPREAD=200,EDGE_COST=5"

--render DIR writes, for the photos of a random pick with --count hints each, the shipped pass's result,
another pass's (--against, a copy of an earlier core/hint_spread.py) and the grey input, as
DIR/new, DIR/old and DIR/grey, ready for `python -m tools.blind_pairs make`.
"""

from __future__ import annotations

import argparse
import importlib.util
import pickle
from pathlib import Path

import numpy as np
from PIL import Image

from colorsphere_gui import engine
from colorsphere_gui.core import hint_spread, metrics
from colorsphere_gui.core.color import gray_to_l, rgb_to_lab
from colorsphere_gui.core.upsample import merge_to_rgb
from colorsphere_gui.evaluation import EVAL_SUFFIXES, grey_version, load_rgb
from colorsphere_gui.hint_evaluation import honoured, resized, simulated_hints


def build_cache(paths: list[Path], counts: list[int], side: int, model: str) -> list[dict]:
    """Per photo: the truth, the full-size L, the drawn hints and, per count, the pass's inputs."""
    captured: list[tuple] = []

    def capture(l, ab, hint_ab, mask):  # noqa: ANN001, ANN202 - stands in for honour_hints
        captured.append((l, ab, hint_ab, mask))
        return ab

    engine.honour_hints = capture
    colorizer = engine.Colorizer(model, "cpu")
    cache = []
    for path in paths:
        loaded = load_rgb(path)
        if loaded is None:
            continue
        truth = resized(loaded, side)
        grey8 = grey_version(truth)
        drawn = simulated_hints(truth, max(counts), path.name)
        entry = {"name": path.name, "truth": truth, "grey8": grey8, "hints": drawn, "runs": {}}
        for n in counts:
            captured.clear()
            ab = colorizer.predict_rgb8(grey8, path.name, drawn[:n]).ab
            entry["runs"][n] = captured[0] if captured else (None, ab, None, None)
        cache.append(entry)
        print(f"cached {path.name}", flush=True)
    return cache


def score(
    cache: list[dict], counts: list[int], settings: dict[str, float]
) -> dict[int, tuple[float, float, float]]:
    """Per hint count: (mean PSNR, share of hints honoured, AuC)."""
    saved = {k: getattr(hint_spread, k) for k in settings}
    for key, value in settings.items():
        setattr(hint_spread, key, value)
    try:
        rows = {}
        for n in counts:
            psnrs, kept, total, curve = [], 0, 0, metrics.ColourErrorCurve()
            for entry in cache:
                l_full = gray_to_l(entry["grey8"].astype(np.float32) / 255.0)
                l, ab, hint_ab, mask = entry["runs"][n]
                if hint_ab is not None:
                    ab = hint_spread.honour_hints(l, ab, hint_ab, mask)
                out = merge_to_rgb(l_full, ab)
                psnrs.append(metrics.psnr(out, entry["truth"]))
                ab_out = rgb_to_lab(out)[..., 1:]
                curve.add(ab_out, rgb_to_lab(entry["truth"])[..., 1:])
                kept += sum(honoured(ab_out, hint) for hint in entry["hints"][:n])
                total += n
            rows[n] = (float(np.mean(psnrs)), 100.0 * kept / total if total else 100.0, curve.auc())
        return rows
    finally:
        for key, value in saved.items():
            setattr(hint_spread, key, value)


def render(cache: list[dict], count: int, against: Path, out: Path, pick: int, seed: int) -> None:
    """The shipped pass and the pass in `against` on the same network output, as 8-bit PNGs."""
    spec = importlib.util.spec_from_file_location("earlier_pass", against)
    earlier = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(earlier)
    chosen = np.random.default_rng(seed).choice(len(cache), min(pick, len(cache)), replace=False)
    for folder in ("new", "old", "grey"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    for i in chosen:
        entry = cache[i]
        name = Path(entry["name"]).stem + ".png"
        l_full = gray_to_l(entry["grey8"].astype(np.float32) / 255.0)
        for folder, module in (("new", hint_spread), ("old", earlier)):
            rgb = merge_to_rgb(l_full, module.honour_hints(*entry["runs"][count]))
            Image.fromarray((np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)).save(out / folder / name)
        Image.fromarray(entry["grey8"]).save(out / "grey" / name)


def parse_variant(text: str) -> dict[str, float]:
    return {k: float(v) for k, v in (part.split("=") for part in text.split(",") if part)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--every", type=int, default=1, help="use every Nth photo")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--counts", default="0,1,10")
    parser.add_argument("--model", default="builtin")
    parser.add_argument("--cache", type=Path, help="a file to keep the network's outputs in")
    parser.add_argument("--variants", nargs="*", default=[""], help='e.g. "SPREAD=60,EDGE_COST=2.5"')
    parser.add_argument("--render", type=Path, help="write the shipped and an earlier pass's results here")
    parser.add_argument("--against", type=Path, help="with --render: an earlier core/hint_spread.py")
    parser.add_argument("--count", type=int, default=5, help="with --render: hints per photo")
    parser.add_argument("--pick", type=int, default=40, help="with --render: photos picked at random")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.counts.split(",")]
    if args.cache and args.cache.exists():
        cache = pickle.loads(args.cache.read_bytes())
    else:
        paths = sorted(p for p in args.folder.rglob("*") if p.suffix.lower() in EVAL_SUFFIXES)
        cache = build_cache(paths[:: args.every], counts, args.size, args.model)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(cache))
    if args.render:
        render(cache, args.count, args.against, args.render, args.pick, args.seed)
        return 0
    print(f"{len(cache)} photos")
    grey_curve = metrics.ColourErrorCurve()
    grey_psnr = []
    for entry in cache:
        grey = np.repeat((entry["grey8"].astype(np.float32) / 255.0)[..., None], 3, axis=2)
        grey_psnr.append(metrics.psnr(grey, entry["truth"]))
        ab_true = rgb_to_lab(entry["truth"])[..., 1:]
        grey_curve.add(np.zeros_like(ab_true), ab_true)
    print(f"| grey baseline | {np.mean(grey_psnr):.2f} | | {grey_curve.auc():.2f} | |")
    for text in args.variants:
        rows = score(cache, counts, parse_variant(text))
        base = rows[counts[0]][0]
        cells = "  ".join(f"{n}: {psnr - base:+.2f} dB {share:.1f}%" for n, (psnr, share, _) in rows.items())
        print(f"{text or 'shipped':40s} {cells}", flush=True)
        for n, (psnr, share, auc) in rows.items():
            print(f"| {n} | {psnr:.2f} | {psnr - base:+.2f} | {auc:.2f} | {share:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
