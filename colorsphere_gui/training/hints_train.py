"""Teach one member of the shipped built-in ensemble to follow colour hints.

Starts from the shipped weights file (which holds every member) and trains the member's hint branch
(zero-initialised, so step 0 is the shipped network) with its decoder at a tenth of the rate; the
ImageNet encoder and every BatchNorm statistic stay frozen, so the network without hints moves only as
far as the decoder's weights do. Hints are simulated as Zhang et al. (SIGGRAPH 2017) did: often none,
otherwise a geometric number of points at random places, each a square patch of 1-9 px whose colour is
the patch's true mean ab. Seeded per step and resumable, like train.py.

    python -m colorsphere_gui.training.hints_train models/colorsphere-builtin-f5174052.pth 0 \\
        ../shared/data/train ../shared/data/train2 --run runs/hints/m0
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from colorsphere_gui.models.builtin import hint_input
from colorsphere_gui.training.data import build_pack
from colorsphere_gui.training.members import load_member
from colorsphere_gui.training.train import (
    augment,
    class_weights,
    lab_batch,
    learning_rate,
    loss_fn,
    to_tensors,
)

NO_HINT_SHARE = 0.25
GEOMETRIC_P = 1 / 8
MAX_POINTS = 40
MAX_PATCH = 9


def simulate_hints(ab: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(ab hints N x 2 x H x W in Lab units, mask N x 1 x H x W) for true ab N x H x W x 2."""
    n, h, w, _ = ab.shape
    hint = np.zeros((n, 2, h, w), dtype=np.float32)
    mask = np.zeros((n, 1, h, w), dtype=np.float32)
    for i in range(n):
        count = 0 if rng.random() < NO_HINT_SHARE else min(MAX_POINTS, int(rng.geometric(GEOMETRIC_P)))
        for _ in range(count):
            side = int(rng.integers(1, MAX_PATCH + 1))
            top, left = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
            patch = ab[i, top : top + side, left : left + side].reshape(-1, 2).mean(axis=0)
            hint[i, :, top : top + side, left : left + side] = patch[:, None, None]
            mask[i, :, top : top + side, left : left + side] = 1.0
    return hint, mask


def packs(folders: list[Path], cache: Path) -> np.ndarray:
    """Training photos of every folder (their held-out splits left out), one pack per folder."""
    return np.concatenate([build_pack(f, cache / f"{f.name}_pack.npz")[0] for f in folders])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("weights", type=Path, help="the shipped built-in weights file")
    p.add_argument("member", type=int, help="which ensemble member to train (0, 1, ...)")
    p.add_argument("data", type=Path, nargs="+", help="folders of colour training photos")
    p.add_argument("--run", type=Path, required=True)
    p.add_argument("--cache", type=Path, default=Path("cache"))
    p.add_argument("--steps", type=int, default=1000, help="length of the learning-rate schedule")
    p.add_argument("--stop-after", type=int, default=0, help="save and stop at this step (0: at --steps)")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--crop", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--decoder-lr-scale", type=float, default=0.1)
    p.add_argument("--save-every", type=int, default=50)
    p.add_argument("--keep-every", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train = packs(args.data, args.cache)
    weights = class_weights(train, 0.5, 0.5)
    model = load_member(args.weights, args.member)
    model.eval()  # BatchNorm statistics stay those of the shipped network
    model.features.requires_grad_(False)
    branch = list(model.hints.parameters())
    decoder = [p for n, p in model.named_parameters() if not n.startswith(("features.", "hints."))]
    groups = [{"params": branch, "lr_scale": 1.0}, {"params": decoder, "lr_scale": args.decoder_lr_scale}]
    opt = torch.optim.AdamW(groups, lr=args.lr, weight_decay=1e-4)
    args.run.mkdir(parents=True, exist_ok=True)
    ckpt_path = args.run / "checkpoint.pt"
    step = 0
    if ckpt_path.exists():
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["opt"])
        for group, scale in zip(opt.param_groups, (1.0, args.decoder_lr_scale), strict=True):
            group["lr_scale"] = scale  # a resumed run may change the decoder's share of the rate
        step = ckpt["step"]
        print(f"resumed at step {step}", flush=True)
    log = (args.run / "log.jsonl").open("a")
    t0 = time.time()
    last = min(args.steps, args.stop_after or args.steps)
    while step < last:
        rng = np.random.default_rng([args.seed, args.member, step])
        idx = rng.integers(0, len(train), size=args.batch)
        lab = lab_batch(augment(train[idx], args.crop, rng))
        hint, mask = simulate_hints(lab[..., 1:], rng)
        l, ab = to_tensors(lab, torch.device("cpu"))
        hints = hint_input(torch.from_numpy(hint), torch.from_numpy(mask))
        loss, parts = loss_fn(model, l, ab, weights, 2.0, hints)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        for group in opt.param_groups:
            group["lr"] = learning_rate(step, args.steps, args.lr) * group["lr_scale"]
        opt.step()
        step += 1
        if step % 10 == 0:
            rate = 10 * args.batch / (time.time() - t0)
            t0 = time.time()
            log.write(json.dumps({"step": step, "loss": loss.item(), **parts, "img_per_s": rate}) + "\n")
            log.flush()
        if step % args.save_every == 0 or step == last:
            state = {
                "model": model.state_dict(),
                "opt": opt.state_dict(),
                "step": step,
                "encoder": model.encoder_name,
            }
            torch.save(state, args.run / "checkpoint.tmp")
            (args.run / "checkpoint.tmp").replace(ckpt_path)
            if step % args.keep_every == 0 or step == last:
                torch.save(
                    {"model": state["model"], "step": step, "encoder": model.encoder_name},
                    args.run / f"checkpoint-{step}.pt",
                )
            print(f"step {step} loss {loss.item():.4f}", flush=True)


if __name__ == "__main__":
    main()
