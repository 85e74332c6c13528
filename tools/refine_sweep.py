"""Score post-processing variants of the built-in model's colour without re-running its networks.

Each photo is greyed and run through both ensemble members once; their bin scores are kept, and every
variant (a way of turning those scores and the photo's L into ab) is scored from them exactly as
`colorsphere evaluate` scores a model: the same greying, network input, full-size merge and table.
Measured with it: the built-in model's low-confidence fade and the alternatives in docs/MODEL_CARD.md
("Stains"); --signals prints how each confidence signal is spread over stains and over right colour.

    python tools/refine_sweep.py ../shared/data/eval --size 512 --every 8 --cache /tmp/logits \
        --variants shipped,uniform.7,ent_.5_.8 --signals
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from colorsphere_gui.core import metrics
from colorsphere_gui.core.color import gray_to_l, rgb_to_lab
from colorsphere_gui.core.upsample import merge_to_rgb
from colorsphere_gui.engine import network_input, network_size
from colorsphere_gui.evaluation import (
    EVAL_SUFFIXES,
    GREY_ROW,
    EvaluationTable,
    Scores,
    format_table,
    grey_version,
    load_rgb,
)
from colorsphere_gui.models import builtin
from colorsphere_gui.models.builtin import to_input_size
from colorsphere_gui.models.registry import get_spec
from colorsphere_gui.models.weights import load_model

Variant = Callable[[builtin.BuiltinEnsemble, torch.Tensor, list[torch.Tensor]], torch.Tensor]


def annealed(model: builtin.BuiltinEnsemble, logits: list[torch.Tensor]) -> torch.Tensor:
    return torch.stack(
        [m.decode(lg, m.temperature) for m, lg in zip(model.members, logits, strict=True)]
    ).mean(0)


def probabilities(logits: list[torch.Tensor]) -> torch.Tensor:
    """The members' mean distribution at T = 1 (their own belief, before annealing)."""
    return torch.stack([torch.softmax(lg.float(), dim=1) for lg in logits]).mean(0)


def grey_mass(model: builtin.BuiltinEnsemble, prob: torch.Tensor, radius: float) -> torch.Tensor:
    chroma = model.members[0].ab_bins.norm(dim=1)
    return prob[:, chroma <= radius].sum(dim=1, keepdim=True)


def entropy(prob: torch.Tensor) -> torch.Tensor:
    """Normalised to [0, 1] by log K."""
    return -(prob * prob.clamp_min(1e-12).log()).sum(dim=1, keepdim=True) / np.log(prob.shape[1])


def shipped(model: builtin.BuiltinEnsemble, l: torch.Tensor, logits: list[torch.Tensor]) -> torch.Tensor:
    return builtin.refine(l, to_input_size(annealed(model, logits), l))


def faded(
    signal: Callable[[builtin.BuiltinEnsemble, list[torch.Tensor]], torch.Tensor], radius: int
) -> Variant:
    """Chroma scaled by a per-pixel keep factor in [0, 1], then refined (guided filter of that radius)."""

    def variant(model: builtin.BuiltinEnsemble, l: torch.Tensor, logits: list[torch.Tensor]) -> torch.Tensor:
        keep = signal(model, logits)
        ab = to_input_size(annealed(model, logits) * keep, l)
        return builtin.guided_filter(l / 100.0, ab, radius, builtin.REFINE_EPS)

    return variant


def grey_fade(r: float, lo: float, hi: float) -> Callable:
    """keep = 1 where the grey mass (bins of chroma <= r) is below lo, 0 above hi, linear between."""

    def signal(model: builtin.BuiltinEnsemble, logits: list[torch.Tensor]) -> torch.Tensor:
        g = grey_mass(model, probabilities(logits), r)
        return ((hi - g) / (hi - lo)).clamp(0, 1)

    return signal


def entropy_fade(lo: float, hi: float) -> Callable:
    """The built-in model's own switch (registry.BUILTIN_FADE)."""
    return lambda model, logits: builtin.Fade(lo, hi).keep(logits)


def uniform(scale: float) -> Callable:
    def signal(model: builtin.BuiltinEnsemble, logits: list[torch.Tensor]) -> torch.Tensor:
        return torch.full_like(logits[0][:, :1], scale)

    return signal


def hue_agreement(model: builtin.BuiltinEnsemble, prob: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """Probability mass on coloured bins (chroma > 10) within 45 degrees of the decoded colour's hue."""
    bins = model.members[0].ab_bins
    chroma = bins.norm(dim=1)
    bin_hue = torch.atan2(bins[:, 1], bins[:, 0])
    hue = torch.atan2(ab[:, 1:2], ab[:, 0:1])
    gap = torch.remainder(bin_hue.view(1, -1, 1, 1) - hue + np.pi, 2 * np.pi) - np.pi
    near = (gap.abs() <= np.pi / 4) & (chroma > 10).view(1, -1, 1, 1)
    return (prob * near).sum(dim=1, keepdim=True)


def agreement_fade(lo: float, hi: float) -> Callable:
    def signal(model: builtin.BuiltinEnsemble, logits: list[torch.Tensor]) -> torch.Tensor:
        a = hue_agreement(model, probabilities(logits), annealed(model, logits))
        return ((a - lo) / (hi - lo)).clamp(0, 1)

    return signal


def odds_fade(lo: float, hi: float, radius: float = 10) -> Callable:
    """keep by how much more mass lies near the decoded hue than on grey: 0 at lo, 1 at hi."""

    def signal(model: builtin.BuiltinEnsemble, logits: list[torch.Tensor]) -> torch.Tensor:
        prob = probabilities(logits)
        margin = hue_agreement(model, prob, annealed(model, logits)) - grey_mass(model, prob, radius)
        return ((margin - lo) / (hi - lo)).clamp(0, 1)

    return signal


def colder(temperature: float, signal: Callable) -> Variant:
    """A lower temperature (more vivid where the distribution is peaked) with a fade."""

    def variant(model: builtin.BuiltinEnsemble, l: torch.Tensor, logits: list[torch.Tensor]) -> torch.Tensor:
        members = zip(model.members, logits, strict=True)
        ab = torch.stack([m.decode(lg, temperature) for m, lg in members]).mean(0)
        keep = signal(model, logits)
        return builtin.refine(l, to_input_size(ab * keep, l))

    return variant


def weighted(signal: Callable, radius: int, eps: float) -> Variant:
    """Confidence-weighted guided filter: colour spread from confident pixels along luminance regions,
    then faded by the smoothed confidence itself."""

    def variant(model: builtin.BuiltinEnsemble, l: torch.Tensor, logits: list[torch.Tensor]) -> torch.Tensor:
        keep = to_input_size(signal(model, logits), l)
        ab = to_input_size(annealed(model, logits), l)
        guide = l / 100.0
        num = builtin.guided_filter(guide, ab * keep, radius, eps)
        den = builtin.guided_filter(guide, keep, radius, eps).clamp_min(0.05)
        smooth_keep = builtin.guided_filter(guide, keep, radius, eps).clamp(0, 1)
        return num / den * smooth_keep

    return variant


def boosted(signal: Callable, gain: float) -> Variant:
    """A fade, then the chroma that is left times `gain`: sure colour stronger, unsure colour still grey."""

    def variant(model: builtin.BuiltinEnsemble, l: torch.Tensor, logits: list[torch.Tensor]) -> torch.Tensor:
        keep = signal(model, logits)
        return builtin.refine(l, to_input_size(annealed(model, logits) * keep * gain, l))

    return variant


VARIANTS: dict[str, Variant] = {
    "shipped": shipped,
    "gf16": faded(lambda m, lg: torch.ones_like(lg[0][:, :1]), 16),
    "grey10_.3_.6": faded(grey_fade(10, 0.3, 0.6), builtin.REFINE_RADIUS),
    "grey10_.2_.5": faded(grey_fade(10, 0.2, 0.5), builtin.REFINE_RADIUS),
    "grey15_.4_.7": faded(grey_fade(15, 0.4, 0.7), builtin.REFINE_RADIUS),
    "ent_.5_.8": faded(entropy_fade(0.5, 0.8), builtin.REFINE_RADIUS),
    "w_grey10_.3_.6_r16": weighted(grey_fade(10, 0.3, 0.6), 16, builtin.REFINE_EPS),
    "uniform.8": faded(uniform(0.8), builtin.REFINE_RADIUS),
    "uniform.7": faded(uniform(0.7), builtin.REFINE_RADIUS),
    "ent_.55_.8": faded(entropy_fade(0.55, 0.8), builtin.REFINE_RADIUS),
    "ent_.5_.9": faded(entropy_fade(0.5, 0.9), builtin.REFINE_RADIUS),
    "ent_.45_.7": faded(entropy_fade(0.45, 0.7), builtin.REFINE_RADIUS),
    "agree_.2_.5": faded(agreement_fade(0.2, 0.5), builtin.REFINE_RADIUS),
    "agree_.1_.4": faded(agreement_fade(0.1, 0.4), builtin.REFINE_RADIUS),
    "agree_.3_.6": faded(agreement_fade(0.3, 0.6), builtin.REFINE_RADIUS),
    "w_ent_.5_.8_r16": weighted(entropy_fade(0.5, 0.8), 16, builtin.REFINE_EPS),
    "odds_-.2_.2": faded(odds_fade(-0.2, 0.2), builtin.REFINE_RADIUS),
    "odds_-.1_.3": faded(odds_fade(-0.1, 0.3), builtin.REFINE_RADIUS),
    "odds_0_.4": faded(odds_fade(0.0, 0.4), builtin.REFINE_RADIUS),
    "T.45_odds_-.2_.2": colder(0.45, odds_fade(-0.2, 0.2)),
    "T.45_ent_.55_.8": colder(0.45, entropy_fade(0.55, 0.8)),
    "w_odds_-.2_.2_r16": weighted(odds_fade(-0.2, 0.2), 16, builtin.REFINE_EPS),
    "ent_.5_.8_x1.2": boosted(entropy_fade(0.5, 0.8), 1.2),
    "ent_.5_.8_x1.35": boosted(entropy_fade(0.5, 0.8), 1.35),
    "ent_.45_.65_x1.35": boosted(entropy_fade(0.45, 0.65), 1.35),
    "ent_.45_.65_x1.6": boosted(entropy_fade(0.45, 0.65), 1.6),
    "ent_.4_.6_x1.6": boosted(entropy_fade(0.4, 0.6), 1.6),
    "eps1e-4": lambda m, l, lg: builtin.guided_filter(l / 100, to_input_size(annealed(m, lg), l), 8, 1e-4),
}


def signal_quantiles(
    model: builtin.BuiltinEnsemble, logits: list[torch.Tensor], l: torch.Tensor, ab_true_net: np.ndarray
) -> dict[str, np.ndarray]:
    """The confidence signals on the truth's neutral and coloured pixels, for choosing thresholds."""
    prob = probabilities(logits)
    signals = {
        "grey10": grey_mass(model, prob, 10),
        "grey15": grey_mass(model, prob, 15),
        "entropy": entropy(prob),
        "maxprob": prob.max(dim=1, keepdim=True).values,
        "agreement": hue_agreement(model, prob, annealed(model, logits)),
    }
    signals["odds"] = signals["agreement"] - signals["grey10"]
    a, b = (m.decode(x, m.temperature) for m, x in zip(model.members, logits, strict=True))
    signals["members' ab distance"] = (a - b).norm(dim=1, keepdim=True)
    chroma = np.hypot(ab_true_net[..., 0], ab_true_net[..., 1])
    ab_out = shipped(model, l, logits)[0].numpy()
    vivid = np.hypot(ab_out[0], ab_out[1]) >= metrics.COLOURED_CHROMA  # where a stain can be
    out = {
        "lightness stain": l[0, 0].numpy()[vivid & (chroma < metrics.NEUTRAL_CHROMA)],
        "lightness vivid, coloured": l[0, 0].numpy()[vivid & (chroma >= metrics.COLOURED_CHROMA)],
    }
    mean = F.avg_pool2d(l, 9, 1, 4, count_include_pad=False)
    texture = (F.avg_pool2d(l * l, 9, 1, 4, count_include_pad=False) - mean * mean).clamp_min(0).sqrt()
    texture = texture[0, 0].numpy()
    out["texture stain"] = texture[vivid & (chroma < metrics.NEUTRAL_CHROMA)]
    out["texture vivid, coloured"] = texture[vivid & (chroma >= metrics.COLOURED_CHROMA)]
    for name, s in signals.items():
        full = to_input_size(s, l)[0, 0].numpy()
        out[name + " stain"] = full[vivid & (chroma < metrics.NEUTRAL_CHROMA)]
        out[name + " vivid, coloured"] = full[vivid & (chroma >= metrics.COLOURED_CHROMA)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--size", type=int, default=512, help="longer side of the scored photos")
    parser.add_argument("--every", type=int, default=4, help="score every N-th photo")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names")
    parser.add_argument("--signals", action="store_true", help="print confidence-signal quantiles")
    parser.add_argument("--cache", type=Path, help="folder keeping the members' scores between runs")
    args = parser.parse_args()

    model = load_model("builtin")
    spec = get_spec("builtin")
    chosen = args.variants.split(",")
    paths = sorted(p for p in args.folder.rglob("*") if p.suffix.lower() in EVAL_SUFFIXES)[:: args.every]
    rows = {GREY_ROW: Scores(), **{name: Scores() for name in chosen}}
    truth_scores = Scores()
    pooled: dict[str, list[np.ndarray]] = {}
    for path in paths:
        truth = load_rgb(path, args.size)
        ab_true = rgb_to_lab(truth)[..., 1:]
        grey8 = grey_version(truth)
        l_full = gray_to_l(grey8.astype(np.float32) / 255.0)
        grey_rgb = np.repeat((grey8.astype(np.float32) / 255.0)[..., None], 3, axis=2)
        rows[GREY_ROW].add(grey_rgb, truth, np.zeros_like(ab_true), ab_true)
        c = metrics.colourfulness(truth)
        truth_scores.colourfulness += c.full
        truth_scores.spread += c.spread
        w, h = network_size(spec, grey8.shape[1], grey8.shape[0])
        l_net = torch.from_numpy(network_input(grey8, (w, h)))[None, None]
        with torch.inference_mode():
            logits = cached_logits(model, l_net, args.cache and args.cache / f"{path.stem}-{args.size}.pt")
            if args.signals:
                ab_net = cv2.resize(ab_true, (w, h), interpolation=cv2.INTER_AREA)
                for k, v in signal_quantiles(model, logits, l_net, ab_net).items():
                    pooled.setdefault(k, []).append(v)
            for name in chosen:
                ab = VARIANTS[name](model, l_net, logits)
                out = merge_to_rgb(l_full, ab[0].permute(1, 2, 0).numpy())
                rows[name].add(out, truth, rgb_to_lab(out)[..., 1:], ab_true)
    for k, v in pooled.items():
        q = np.quantile(np.concatenate(v), [0.1, 0.25, 0.5, 0.75, 0.9])
        print(f"{k:<20} " + " ".join(f"{x:.3f}" for x in q))
    print(format_table(EvaluationTable(len(paths), rows, truth_scores)))


def cached_logits(model: builtin.BuiltinEnsemble, l: torch.Tensor, file: Path | None) -> list[torch.Tensor]:
    """The members' bin scores, kept in float16 (rounding them moves no figure in the tables)."""
    if file is not None and file.exists():
        return [x.float() for x in torch.load(file)]
    logits = [m.padded_logits(l) for m in model.members]
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        torch.save([x.half() for x in logits], file)
    return logits


if __name__ == "__main__":
    main()
