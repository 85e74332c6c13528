"""Run the `colorsphere` command line with a candidate built-in weights file in place of the shipped one.

Why: a candidate from tools/export_builtin.py has to be scored (`evaluate`) and looked at or judged
(`colorize`) exactly as users would get it, fade included, before it replaces the shipped file; this
swaps only where the weights are found and the fade setting, for this process. A batch record still
names the shipped model's revision, so colorize a candidate into a folder of its own.

    python -m tools.with_candidate runs/cand/colorsphere-builtin-XXXX.pth --fade 0.5,0.8 -- \\
        evaluate ../shared/data/eval --size 512
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from colorsphere_gui import cli
from colorsphere_gui.models import registry, weights


def parse_fade(text: str) -> tuple[float, float] | None:
    """'off' or 'KEEP,GREY' (the entropy fractions of registry.BUILTIN_FADE)."""
    if text == "off":
        return None
    try:
        keep, grey = (float(x) for x in text.split(","))
    except ValueError:
        hint = "give 'off' or two numbers such as 0.5,0.8"
        raise argparse.ArgumentTypeError(f"--fade {text}: {hint}") from None
    return keep, grey


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    split = argv.index("--") if "--" in argv else len(argv)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("weights", type=Path, help="a built-in weights file written by tools/export_builtin.py")
    p.add_argument("--fade", type=parse_fade, default=registry.BUILTIN_FADE, help="off or KEEP,GREY")
    args = p.parse_args(argv[:split])
    if not args.weights.is_file():
        p.error(f"{args.weights}: no such weights file; export one with tools/export_builtin.py")
    registry.BUILTIN_FADE = args.fade
    shipped = weights.find_weights
    weights.find_weights = lambda name: args.weights if name == "builtin" else shipped(name)
    return cli.main(argv[split + 1 :])


if __name__ == "__main__":
    sys.exit(main())
