"""Give the shipped members a trained hint branch, keeping everything else of the shipped weights.

The hint run fine-tunes the decoder too, and on the evaluation photos that decoder was duller without
hints (docs/MODEL_CARD.md, "Colour hints"); grafting only the branch keeps the output without hints bit
for bit the shipped one.

    python -m colorsphere_gui.training.graft_hints runs/shipped-f5174052.pth \\
        runs/builtin/hints/m0/checkpoint.pt runs/builtin/hints/m1/checkpoint.pt --out runs/builtin/hints
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from colorsphere_gui.training.members import member_state


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("weights", type=Path, help="the shipped built-in weights file")
    p.add_argument("checkpoints", type=Path, nargs="+", help="one hint-run checkpoint per member, in order")
    p.add_argument("--out", type=Path, required=True, help="folder for graft-0.pt, graft-1.pt, ...")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for index, path in enumerate(args.checkpoints):
        encoder, state = member_state(args.weights, index)
        trained = torch.load(path, map_location="cpu", weights_only=False)["model"]
        state.update({k: v for k, v in trained.items() if k.startswith("hints.")})
        torch.save({"model": state, "encoder": encoder}, args.out / f"graft-{index}.pt")
        print(f"{args.out / f'graft-{index}.pt'}: {encoder}, hint branch of {path}")


if __name__ == "__main__":
    main()
