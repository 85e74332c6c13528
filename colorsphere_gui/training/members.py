"""Members of a shipped built-in weights file, taken out to be trained further.

The shipped file holds every ensemble member in float16 under `members.N.`; training continues from
one member in float32, so that a later run starts where the shipped network is instead of from ImageNet.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from colorsphere_gui.models.builtin import BuiltinColorizer


def member_state(weights: Path, index: int) -> tuple[str, dict[str, torch.Tensor]]:
    """(encoder name, float32 state) of ensemble member `index` in a shipped weights file."""
    state = torch.load(weights, map_location="cpu", weights_only=True)
    prefix = f"members.{index}."
    member = {
        k[len(prefix) :]: v.float() if v.is_floating_point() else v
        for k, v in state.items()
        if k.startswith(prefix)
    }
    if not member:
        raise SystemExit(f"{weights} has no ensemble member {index}")
    encoder = "mobilenet_v2" if member["up16.body.0.weight"].shape[1] == 320 + 96 else "efficientnet_lite0"
    return encoder, member


def load_member(weights: Path, index: int) -> BuiltinColorizer:
    encoder, state = member_state(weights, index)
    model = BuiltinColorizer(encoder=encoder)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(not k.startswith("hints.") for k in missing):
        raise SystemExit(f"{weights} member {index} does not fit: missing {missing}, unexpected {unexpected}")
    return model


def main(argv: list[str] | None = None) -> None:
    """Write one member as a training checkpoint, so that it can be averaged with its fine-tuned self."""
    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("weights", type=Path, help="a shipped built-in weights file")
    p.add_argument("member", type=int)
    p.add_argument("out", type=Path)
    args = p.parse_args(argv)
    encoder, state = member_state(args.weights, args.member)
    torch.save({"model": state, "encoder": encoder, "step": 0}, args.out)


if __name__ == "__main__":
    main()
