"""Zhang et al.'s own networks (PyPI rz-colorization) with seeded weights whose outputs vary.

Random initialisation alone gives near-constant colour, which would let a wrong pipeline pass; so the
BatchNorm statistics are calibrated on structured images first, as a trained network's would be.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch


def structured_images(n: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    """n x H x W float32 L-like images in [0, 100]: gradients, stripes and discs, never constant."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    out = np.empty((n, height, width), dtype=np.float32)
    for i in range(n):
        img = 50 + 30 * np.sin(x / rng.uniform(5, 30) + rng.uniform(0, 6)) * np.cos(y / rng.uniform(5, 30))
        cy, cx, r = rng.uniform(0, height), rng.uniform(0, width), rng.uniform(10, 60)
        img[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.uniform(5, 95)
        out[i] = np.clip(img + rng.normal(0, 3, img.shape), 0, 100)
    return out


def calibrated(net: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Seeded weights, BatchNorm statistics measured on structured images, then eval mode."""
    torch.manual_seed(seed)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batches
    net.train()
    with torch.no_grad():
        for batch in np.array_split(structured_images(6, 128, 128, seed), 3):
            net(torch.from_numpy(batch)[:, None])
    return net.eval()


def reference_net(name: str, seed: int = 0) -> torch.nn.Module:
    import colorizers

    torch.manual_seed(seed)
    net = {"eccv16": colorizers.eccv16, "siggraph17": colorizers.siggraph17}[name](pretrained=False)
    with torch.no_grad():
        # Random init gives a flat softmax and near-zero ab; sharpen it as trained weights are.
        if name == "eccv16":
            net.model_out.weight.uniform_(-1, 1)
            net.model8[6].weight.mul_(100)
        else:
            net.model_out[0].weight.mul_(20)
    return calibrated(net, seed)


def save_weights(net: torch.nn.Module, path: Path) -> Path:
    torch.save(net.state_dict(), path)
    return path
