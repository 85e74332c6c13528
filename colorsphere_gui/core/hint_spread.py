"""Make a colorization honour its hints: spread each hint's residual along the photo's luminance.

A network that takes hints follows them only approximately, and ECCV16 takes none; so after the network,
each hint's residual (its a, b minus the output's mean a, b over the hint's patch) is added back,
weighted by exp(-d / SPREAD) where d is the geodesic distance from the patch: a path's length in
pixels plus EDGE_COST for every unit of L it crosses. The correction therefore fills the hinted
object and stops at its luminance edges, and is exactly the residual on the patch itself. Where
several hints reach a pixel, the nearest dominates (the residuals are averaged with weights w^4) and
the correction's strength is that of the strongest.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.graph import MCP_Geometric

SPREAD = 24.0  # pixels at the network's working size
EDGE_COST = 1.5  # pixels of path length per unit of L crossed
WORK_SIDE = 160  # distances are computed on a grid whose shorter side is at most this (speed)


def _geodesic_costs(l: np.ndarray) -> np.ndarray:
    gy, gx = np.gradient(l.astype(np.float32))
    return 1.0 + EDGE_COST * np.hypot(gx, gy)


def honour_hints(
    l: np.ndarray, ab: np.ndarray, hint_ab: np.ndarray, mask: np.ndarray, spread: float = SPREAD
) -> np.ndarray:
    """ab (H x W x 2, Lab units) corrected so that each hint patch gets its hint's colour.

    l: H x W in [0, 100]; hint_ab: 2 x H x W; mask: 1 x H x W (hint_tensors' layout, same size as ab).
    """
    labels, count = ndimage.label(mask[0] > 0)
    if count == 0:
        return ab
    h, w = l.shape
    step = max(1, int(np.ceil(min(h, w) / WORK_SIDE)))
    costs = _geodesic_costs(l[::step, ::step])
    residuals, weights = [], []
    for k, where in enumerate(ndimage.find_objects(labels), start=1):
        patch = labels[where] == k
        target = hint_ab[:, where[0], where[1]][:, patch].mean(axis=1)
        current = ab[where][patch].mean(axis=0)
        residuals.append(target - current)
        rows, cols = np.nonzero(labels == k)
        starts = sorted({(r // step, c // step) for r, c in zip(rows, cols, strict=True)})
        distance, _ = MCP_Geometric(costs).find_costs(starts)
        weight = np.exp(-distance * step / spread).astype(np.float32)
        weights.append(_upsample(weight, (h, w)))
    stack = np.stack(weights)
    strength = stack.max(axis=0)
    for k in range(count):  # the patch itself gets its own hint in full
        stack[k][labels == k + 1] = 1.0
        strength[labels == k + 1] = 1.0
    sharp = stack**4
    mix = (
        np.tensordot(np.moveaxis(sharp, 0, -1), np.stack(residuals), axes=1)
        / np.maximum(sharp.sum(axis=0), 1e-12)[..., None]
    )
    for k in range(count):
        mix[labels == k + 1] = residuals[k]
    return (ab + strength[..., None] * mix).astype(np.float32)


def _upsample(small: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if small.shape == size:
        return small
    import cv2

    return cv2.resize(small, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
