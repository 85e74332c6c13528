"""Train the built-in colorizer: seeded, resumable, runs on CPU (hours) or CUDA (minutes).

Loss: cross-entropy over the ab grid against a bilinear soft encoding of the true colour (whose mean is
exactly the true ab), with Zhang et al.'s class rebalancing softened by an exponent, plus an L1 term on
the distribution's mean that keeps the colour of large regions steady. The annealed-mean temperature
used at inference is chosen on held-out photos after training (see `tune_temperature`).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from colorsphere_gui.core import metrics
from colorsphere_gui.models.builtin import (
    AB_RANGE,
    AB_STEP,
    ENCODERS,
    BuiltinColorizer,
    load_imagenet_encoder,
)
from colorsphere_gui.training.data import build_pack, sampling_probabilities, train_groups
from colorsphere_gui.training.members import load_member

GRID = int(2 * AB_RANGE / AB_STEP) + 1


def lab_batch(rgb_u8: np.ndarray) -> np.ndarray:
    """N x H x W x 3 uint8 RGB -> float32 Lab, using the same OpenCV maths as inference."""
    flat = rgb_u8.reshape(-1, rgb_u8.shape[2], 3).astype(np.float32) / 255.0
    return cv2.cvtColor(flat, cv2.COLOR_RGB2Lab).reshape(rgb_u8.shape).astype(np.float32)


def augment(batch: np.ndarray, crop: int, rng: np.random.Generator) -> np.ndarray:
    """Random crop, horizontal flip and a gamma jitter that mimics the tonal range of old prints."""
    n, side = batch.shape[0], batch.shape[1]
    out = np.empty((n, crop, crop, 3), dtype=np.uint8)
    for i in range(n):
        y, x = rng.integers(0, side - crop + 1, size=2)
        img = batch[i, y : y + crop, x : x + crop]
        if rng.random() < 0.5:
            img = img[:, ::-1]
        gamma = float(np.exp(rng.uniform(-0.25, 0.25)))
        lut = (np.linspace(0, 1, 256) ** gamma * 255.0 + 0.5).astype(np.uint8)
        out[i] = lut[img]
    return out


def soft_encode(ab: torch.Tensor) -> torch.Tensor:
    """N x 2 x h x w ab -> N x K x h x w bilinear weights on the grid (their mean is exactly ab)."""
    pos = ((ab.clamp(-AB_RANGE, AB_RANGE) + AB_RANGE) / AB_STEP).clamp(0, GRID - 1 - 1e-4)
    i0 = pos.floor().long()
    frac = pos - i0
    n, _, h, w = ab.shape
    target = torch.zeros(n, GRID * GRID, h, w, dtype=ab.dtype)
    for da in (0, 1):
        wa = frac[:, 0] if da else 1 - frac[:, 0]
        for db in (0, 1):
            wb = frac[:, 1] if db else 1 - frac[:, 1]
            idx = (i0[:, 0] + da) * GRID + (i0[:, 1] + db)
            target.scatter_add_(1, idx.unsqueeze(1), (wa * wb).unsqueeze(1))
    return target


def class_weights(train: np.ndarray, lam: float, power: float) -> torch.Tensor:
    """Zhang et al.'s rebalancing w ~ 1/((1-lam) p + lam/K), raised to `power` (1 = full strength)."""
    sample = train[:: max(1, len(train) // 4000), ::4, ::4]
    ab = lab_batch(sample)[..., 1:]
    pos = np.clip(np.rint((ab + AB_RANGE) / AB_STEP).astype(int), 0, GRID - 1)
    hist = np.bincount((pos[..., 0] * GRID + pos[..., 1]).ravel(), minlength=GRID * GRID).astype(np.float64)
    p = cv2.GaussianBlur(hist.reshape(GRID, GRID), (0, 0), 0.5).ravel()
    p /= p.sum()
    w = 1.0 / ((1 - lam) * p + lam / GRID**2)
    w /= (p * w).sum()
    return torch.tensor(w**power, dtype=torch.float32)


def loss_fn(
    model: BuiltinColorizer,
    l: torch.Tensor,
    ab: torch.Tensor,
    weights: torch.Tensor,
    l1_weight: float,
    hint: torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    logits = model.logits(l, hint)
    ab_small = F.avg_pool2d(ab, 4)
    target = soft_encode(ab_small)
    logp = F.log_softmax(logits, dim=1)
    nearest = torch.einsum("nkhw,k->nhw", target, weights)
    ce = (-(target * logp).sum(1) * nearest).mean()
    mean_ab = model.decode(logits, 1.0)
    l1 = (mean_ab - ab_small).abs().mean() / AB_RANGE
    return ce + l1_weight * l1, {"ce": ce.item(), "l1": l1.item()}


def to_tensors(lab: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    t = torch.from_numpy(lab).permute(0, 3, 1, 2).contiguous().to(device)
    return t[:, :1], t[:, 1:]


@torch.no_grad()
def validate(
    model: BuiltinColorizer, val: np.ndarray, device: torch.device, temperatures: tuple[float, ...]
) -> dict[str, dict[str, float]]:
    """Gains over the grey baseline on held-out photos, for several annealing temperatures (none
    when the data folders hold no photo out)."""
    if not len(val):
        return {}
    model.eval()
    truth = lab_batch(val)[:, :128, :128]
    logits = torch.cat(
        [model.logits(to_tensors(truth[i : i + 64], device)[0]).cpu() for i in range(0, len(truth), 64)]
    )
    grey = truth.copy()
    grey[..., 1:] = 0
    results: dict[str, dict[str, float]] = {}
    for t in temperatures:
        ab = F.interpolate(model.decode(logits, t), size=(128, 128), mode="bilinear", align_corners=False)
        out = truth.copy()
        out[..., 1:] = ab.permute(0, 2, 3, 1).numpy()
        results[f"T={t}"] = gains(out, truth, grey)
    model.train()
    return results


def gains(out: np.ndarray, truth: np.ndarray, grey: np.ndarray) -> dict[str, float]:
    """Differences to the grey baseline in PSNR, AuC and rebalanced AuC, and the colour-spread ratio."""

    def rgb(lab: np.ndarray) -> np.ndarray:
        return np.clip(cv2.cvtColor(lab.reshape(-1, lab.shape[2], 3), cv2.COLOR_Lab2RGB), 0, 1)

    def curve(lab: np.ndarray) -> metrics.ColourErrorCurve:
        c = metrics.ColourErrorCurve()
        c.add(lab[..., 1:], truth[..., 1:])
        return c

    o, t, g = rgb(out), rgb(truth), rgb(grey)
    co, cg = curve(out), curve(grey)
    return {
        "psnr_gain": metrics.psnr(o, t) - metrics.psnr(g, t),
        "auc_gain": co.auc() - cg.auc(),
        "rauc_gain": co.rebalanced_auc() - cg.rebalanced_auc(),
        "spread_ratio": metrics.colourfulness(o).spread / max(metrics.colourfulness(t).spread, 1e-6),
    }


def learning_rate(step: int, total: int, peak: float) -> float:
    """Linear warm-up then cosine decay, a pure function of the step so that a resumed run may change
    `--steps` (to finish sooner or later) and still anneal smoothly to zero."""
    warmup = max(1, total // 20)
    if step < warmup:
        return peak * (step + 1) / warmup
    return 0.5 * peak * (1.0 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total - warmup))))


def set_mode(model: BuiltinColorizer, frozen: bool) -> None:
    """Training mode, with the encoder frozen in inference mode while the decoder warms up.

    Fitting a fresh decoder to a frozen pretrained encoder first, then fine-tuning everything gently,
    distorts the ImageNet features less than training all at once (Kumar et al., ICLR 2022): the
    features are what must carry over to photos unlike the training set's.
    """
    model.train()
    model.features.requires_grad_(not frozen)
    if frozen:
        model.features.eval()


def initial_model(args: argparse.Namespace) -> BuiltinColorizer:
    """A fresh decoder on ImageNet weights, or a member of shipped weights to fine-tune further."""
    if args.init:
        weights, _, member = args.init.rpartition(":")
        model = load_member(Path(weights), int(member))
        args.encoder = model.encoder_name
        return model
    if args.encoder_weights is None:
        raise SystemExit("give --encoder-weights (ImageNet weights) or --init (shipped weights)")
    model = BuiltinColorizer(encoder=args.encoder)
    load_imagenet_encoder(model, torch.load(args.encoder_weights, map_location="cpu", weights_only=True))
    return model


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument(
        "data", type=Path, nargs="+", help="folders of colour training photos (e.g. ../shared/data/train)"
    )
    p.add_argument("--run", type=Path, default=Path("runs/builtin"), help="checkpoints and logs")
    p.add_argument("--cache", type=Path, default=Path("cache"), help="one photo pack per data folder")
    p.add_argument("--encoder", choices=sorted(ENCODERS), default="mobilenet_v2")
    p.add_argument(
        "--encoder-weights",
        type=Path,
        help="ImageNet weights: torchvision's mobilenet_v2-b0353104.pth or efficientnet-lite0-57934424.pth",
    )
    p.add_argument(
        "--init",
        metavar="WEIGHTS:MEMBER",
        help="start from member MEMBER of a shipped built-in weights file instead of ImageNet weights "
        "(its encoder replaces --encoder)",
    )
    p.add_argument("--steps", type=int, default=6000, help="length of the learning-rate schedule")
    p.add_argument("--stop-after", type=int, default=0, help="save and stop at this step (0: at --steps)")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--crop", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument(
        "--encoder-lr-scale",
        type=float,
        default=1.0,
        help="the pretrained encoder's learning rate as a fraction of --lr",
    )
    p.add_argument(
        "--frozen-encoder-steps",
        type=int,
        default=0,
        help="train only the decoder (encoder frozen, ImageNet statistics kept) for this many steps",
    )
    p.add_argument(
        "--keep-steps",
        default="",
        help="also keep the checkpoints of these steps (e.g. 1000,1500) as checkpoint-STEP.pt",
    )
    p.add_argument("--rebalance-lambda", type=float, default=0.5)
    p.add_argument("--rebalance-power", type=float, default=0.5)
    p.add_argument("--l1-weight", type=float, default=2.0)
    p.add_argument("--val-every", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--folder-shares",
        default="",
        help="sampling share per sub-folder, e.g. scenes=0.35,faces_utk=0.1 (default: every photo alike)",
    )
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = p.parse_args(argv)

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(args.seed)
    packed = [build_pack(folder, args.cache / f"{folder.name}_pack.npz") for folder in args.data]
    train = np.concatenate([tr for tr, _ in packed])
    val = np.concatenate([va for _, va in packed])
    weights = class_weights(train, args.rebalance_lambda, args.rebalance_power).to(device)
    probs = None
    if args.folder_shares:
        shares = {k: float(v) for k, v in (item.split("=") for item in args.folder_shares.split(","))}
        probs = sampling_probabilities(np.concatenate([train_groups(f) for f in args.data]), shares)
        if len(probs) != len(train):
            raise SystemExit(f"the packs in {args.cache} do not match {args.data}: delete them to rebuild")

    model = initial_model(args).to(device)
    keep = {int(s) for s in args.keep_steps.split(",") if s}
    decoder = [p for n, p in model.named_parameters() if not n.startswith("features.")]
    groups = [
        {"params": list(model.features.parameters()), "lr_scale": args.encoder_lr_scale},
        {"params": decoder, "lr_scale": 1.0},
    ]
    opt = torch.optim.AdamW(groups, lr=args.lr, weight_decay=1e-4)
    args.run.mkdir(parents=True, exist_ok=True)
    ckpt_path = args.run / "checkpoint.pt"
    step = 0
    if ckpt_path.exists():
        ckpt = torch.load(ckpt_path, map_location=device, weights_only=False)
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["opt"])
        step = ckpt["step"]
        print(f"resumed at step {step}")
    log = (args.run / "log.jsonl").open("a")
    t0 = time.time()
    last = min(args.steps, args.stop_after or args.steps)
    while step < last:
        # One generator per step: a resumed run draws exactly the batches the uninterrupted run would.
        rng = np.random.default_rng([args.seed, step])
        if probs is None:
            idx = rng.integers(0, len(train), size=args.batch)
        else:
            idx = rng.choice(len(train), size=args.batch, p=probs)
        set_mode(model, frozen=step < args.frozen_encoder_steps)
        l, ab = to_tensors(lab_batch(augment(train[idx], args.crop, rng)), device)
        loss, parts = loss_fn(model, l, ab, weights, args.l1_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        for group in opt.param_groups:
            group["lr"] = learning_rate(step, args.steps, args.lr) * group["lr_scale"]
        opt.step()
        step += 1
        if step % 25 == 0:
            rate = 25 * args.batch / (time.time() - t0)
            t0 = time.time()
            log.write(json.dumps({"step": step, "loss": loss.item(), **parts, "img_per_s": rate}) + "\n")
            log.flush()
        if step % args.val_every == 0 or step == last or step in keep:
            state = {"model": model.state_dict(), "opt": opt.state_dict(), "step": step}
            state["encoder"] = args.encoder
            torch.save(state, ckpt_path)
            if step in keep:
                kept = {"model": state["model"], "step": step, "encoder": args.encoder}
                torch.save(kept, args.run / f"checkpoint-{step}.pt")
            res = validate(model, val, device, (0.3, 0.38, 0.5, 0.7, 1.0))
            log.write(json.dumps({"step": step, "val": res}) + "\n")
            log.flush()
            print(step, json.dumps(res), flush=True)
            if not math.isfinite(loss.item()):
                raise SystemExit("loss is not finite; lower --lr")


if __name__ == "__main__":
    main()
