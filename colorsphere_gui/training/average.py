"""Average the weights of checkpoints taken along one training run (a "model soup").

Fine-tuning on the thumbnail-sized training photos keeps improving the held-out training split while
the score on full-size photos peaks early and drifts; averaging checkpoints from the same run (which
share one basin, so their mean is a working network) lands between them, and on this project's
evaluation photos it generalised better than the run's last checkpoint (docs/MODEL_CARD.md; Izmailov
et al. 2018, stochastic weight averaging; Wortsman et al. 2022, model soups).
BatchNorm running statistics are averaged too.

    python -m colorsphere_gui.training.average OUT.pt RUN/checkpoint-1000.pt RUN/checkpoint.pt
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch


def encoder_of(paths: list[Path]) -> str:
    """The encoder the checkpoints were trained with (files from before the choice existed: MobileNetV2)."""
    names = {
        torch.load(path, map_location="cpu", weights_only=False).get("encoder", "mobilenet_v2")
        for path in paths
    }
    if len(names) != 1:
        raise SystemExit(f"the checkpoints use different encoders: {sorted(names)}")
    return names.pop()


def average_states(paths: list[Path]) -> dict[str, torch.Tensor]:
    """Element-wise mean of the floating-point tensors; integer buffers are taken from the last file."""
    total: dict[str, torch.Tensor] = {}
    for path in paths:
        state = torch.load(path, map_location="cpu", weights_only=True)
        state = state.get("model", state)
        if total and state.keys() != total.keys():
            raise SystemExit(f"{path} holds a different network from {paths[0]}")
        for key, value in state.items():
            if value.is_floating_point():
                total[key] = total[key] + value.double() if key in total else value.double()
            else:
                total[key] = value
    return {k: (v / len(paths)).float() if v.is_floating_point() else v for k, v in total.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", type=Path)
    p.add_argument("checkpoints", type=Path, nargs="+")
    args = p.parse_args()
    torch.save({"model": average_states(args.checkpoints), "encoder": encoder_of(args.checkpoints)}, args.out)
    print(f"{args.out}: mean of {len(args.checkpoints)} checkpoints")


if __name__ == "__main__":
    main()
