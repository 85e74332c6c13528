"""Zhang et al.'s demo pipeline over a folder: the reference ColorSphere is timed against.

    python benchmarks/reference_pipeline.py WEIGHTS.pth SOURCE_DIR OUTPUT_DIR [eccv16|siggraph17]

Exactly the steps of colorizers' demo_release.py, per photo: util.load_img, util.preprocess_img at
256x256, the network, util.postprocess_tens; the result is saved as a JPEG at quality 95 with Pillow
(the demo shows it with matplotlib instead), so that both sides end with a JPEG encode. The network is
built and loaded the way colorizers does it for pretrained weights (constructor, then load_state_dict).
It is kept free of ColorSphere imports so that its start-up is the reference's own.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    weights, source, dest = Path(argv[0]), Path(argv[1]), Path(argv[2])
    model = argv[3] if len(argv) > 3 else "eccv16"
    import colorizers
    import numpy as np
    import torch
    from colorizers import util
    from PIL import Image

    net = {"eccv16": colorizers.eccv16, "siggraph17": colorizers.siggraph17}[model](pretrained=False)
    net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    net.eval()
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.jp*g")):
        img = util.load_img(str(path))
        tens_l_orig, tens_l_rs = util.preprocess_img(img, HW=(256, 256))
        with torch.no_grad():
            out_ab = net(tens_l_rs)
        rgb = util.postprocess_tens(tens_l_orig, out_ab)
        Image.fromarray((rgb * 255).round().astype(np.uint8)).save(dest / path.name, quality=95)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
