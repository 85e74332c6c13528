"""Turn training checkpoints into the shipped built-in weights: one network, or the ensemble of several.

The annealed-mean temperature is picked here, after training, on photos the user names, from
`--temperatures`: the highest temperature whose colour spread reaches
`--min-spread` of the truth's. Lower temperatures give more vivid colour until it turns garish and
blotchy, so the safest temperature that is vivid enough wins. Parameters are stored in float16
(half the size, no measurable change in output); the temperature and the bin centres stay float32.
Prints the registry facts (file name, SHA-256, size, encoders).

    python tools/export_builtin.py runs/builtin/mobilenet_v2/average.pt \
        runs/builtin/efficientnet_lite0/average.pt ../shared/data/eval --limit 300 \
        --temperatures 0.65,0.6,0.55 --min-spread 0.77
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
import torch

from colorsphere_gui.core import metrics
from colorsphere_gui.core.color import gray_to_l, rgb_to_lab
from colorsphere_gui.core.upsample import merge_to_rgb
from colorsphere_gui.engine import network_input
from colorsphere_gui.evaluation import EVAL_SUFFIXES, grey_version, load_rgb
from colorsphere_gui.models.builtin import BuiltinEnsemble

FLOAT32_BUFFERS = ("temperature", "ab_bins", "in_mean", "in_std")  # suffixes of the keys kept in float32


def network_inputs(
    folder: Path, short_side: int, limit: int
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(truth RGB, full-size L of its grey version, network-size L) for each photo."""
    items = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in EVAL_SUFFIXES)[:limit]:
        truth = load_rgb(path)
        if truth is None:
            continue
        grey8 = grey_version(truth)
        h, w = grey8.shape
        scale = short_side / min(h, w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = network_input(np.repeat(grey8[..., None], 3, axis=2), size)
        items.append((truth, gray_to_l(grey8), small))
    return items


@torch.no_grad()
def scores(model: BuiltinEnsemble, items: list, temperature: float) -> dict[str, float]:
    set_temperature(model, temperature)
    out_scores, grey_scores = metrics.ColourErrorCurve(), metrics.ColourErrorCurve()
    psnr_gain, spread_out, spread_truth = [], 0.0, 0.0
    for truth, l_full, small in items:
        ab = model(torch.from_numpy(small)[None, None])[0].permute(1, 2, 0).numpy()
        out = merge_to_rgb(l_full, ab)
        ab_true = rgb_to_lab(truth)[..., 1:]
        out_scores.add(rgb_to_lab(out)[..., 1:], ab_true)
        grey_scores.add(np.zeros_like(ab_true), ab_true)
        grey = merge_to_rgb(l_full, np.zeros((1, 1, 2), np.float32))
        psnr_gain.append(metrics.psnr(out, truth) - metrics.psnr(grey, truth))
        spread_out += metrics.colourfulness(out).spread
        spread_truth += metrics.colourfulness(truth).spread
    return {
        "psnr_gain": float(np.mean(psnr_gain)),
        "auc_gain": out_scores.auc() - grey_scores.auc(),
        "rauc_gain": out_scores.rebalanced_auc() - grey_scores.rebalanced_auc(),
        "spread_ratio": spread_out / max(spread_truth, 1e-9),
    }


def set_temperature(model: BuiltinEnsemble, temperature: float) -> None:
    for member in model.members:
        member.temperature.fill_(temperature)


def load_ensemble(checkpoints: list[Path]) -> BuiltinEnsemble:
    """An ensemble with one member per checkpoint, each built for the encoder it was trained with."""
    states = [torch.load(path, map_location="cpu", weights_only=False) for path in checkpoints]
    model = BuiltinEnsemble(tuple(state.get("encoder", "mobilenet_v2") for state in states)).eval()
    for member, state in zip(model.members, states, strict=True):
        member.load_state_dict(state.get("model", state))
    return model


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoints", type=Path, nargs="+", help="one per ensemble member")
    p.add_argument("tune_folder", type=Path, help="colour photos used to pick the temperature")
    p.add_argument("--out-dir", type=Path, default=Path("models"))
    p.add_argument(
        "--short-side", type=int, default=224, help="the model's working size (registry input_size)"
    )
    p.add_argument("--limit", type=int, default=120)
    p.add_argument("--min-spread", type=float, default=0.85)
    p.add_argument("--temperatures", default="0.25,0.3,0.35,0.4,0.45,0.5,0.6,0.7,0.85,1.0")
    args = p.parse_args()

    model = load_ensemble(args.checkpoints)
    items = network_inputs(args.tune_folder, args.short_side, args.limit)
    temperatures = sorted((float(x) for x in args.temperatures.split(",")), reverse=True)
    chosen = None
    for t in temperatures:
        s = scores(model, items, t)
        print(f"T={t:.2f} " + " ".join(f"{k}={v:+.3f}" for k, v in s.items()), flush=True)
        if chosen is None and s["spread_ratio"] >= args.min_spread:
            chosen = t
    chosen = chosen if chosen is not None else temperatures[-1]
    set_temperature(model, chosen)

    sd = {
        k: (v if k.endswith(FLOAT32_BUFFERS) or not v.is_floating_point() else v.half())
        for k, v in model.state_dict().items()
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    tmp = args.out_dir / "colorsphere-builtin.tmp"
    torch.save(sd, tmp)
    digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    final = args.out_dir / f"colorsphere-builtin-{digest[:8]}.pth"
    tmp.replace(final)
    print(f"temperature {chosen}\nfile_name={final.name!r}\nsha256={digest!r}\nsize={final.stat().st_size}")
    print(f"encoders={tuple(member.encoder_name for member in model.members)!r}")


if __name__ == "__main__":
    main()
