"""Make a colorization honour its hints: spread each hint's residual along the photo's luminance.

A network that takes hints follows them only approximately, and ECCV16 takes none; so after the network,
each hint's residual (its a, b minus the output's mean a, b over the hint's patch) is added back,
weighted by exp(-d / SPREAD) where d is the geodesic distance from the patch: a path's length in
pixels plus EDGE_COST for every unit of L it crosses. The correction therefore reaches farthest
within the hinted object (luminance edges lengthen the path), and is exactly the residual on the
patch itself. Where
several hints reach a pixel, their residuals are blended with weights exp(-(d_k - d_min) / MIX): the
nearest counts most, hints not much farther are averaged in (which evens out one patch's deviation
from its object's colour and leaves no seam between two hints' regions), and the correction's
strength is that of the nearest.

The constants were measured (docs/MODEL_CARD.md, "Colour hints"): a long reach and a mild edge cost
score best, because most of a network's error near a hint is a cast shared by the whole object or
photo; the edge cost decides mostly which hint's correction a pixel takes.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.graph import MCP_Geometric

SPREAD = 500.0  # pixels at the network's working size: how far a correction reaches
MIX = 32.0  # pixels: how much farther than the nearest hint another one may be and still count
EDGE_COST = 0.15  # pixels of path length per unit of L crossed
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
    residuals, distances = [], []
    for k, where in enumerate(ndimage.find_objects(labels), start=1):
        patch = labels[where] == k
        target = hint_ab[:, where[0], where[1]][:, patch].mean(axis=1)
        current = ab[where][patch].mean(axis=0)
        residuals.append(target - current)
        rows, cols = np.nonzero(labels == k)
        starts = sorted({(r // step, c // step) for r, c in zip(rows, cols, strict=True)})
        distance, _ = MCP_Geometric(costs).find_costs(starts)
        distances.append(_upsample(distance.astype(np.float32) * step, (h, w)))
    stack = np.stack(distances)
    for k in range(count):  # the patch itself is at distance 0 from its own hint
        stack[k][labels == k + 1] = 0.0
    nearest = stack.min(axis=0)
    mix = np.exp(-(stack - nearest) / MIX)
    mix /= mix.sum(axis=0)
    correction = np.tensordot(np.moveaxis(mix, 0, -1), np.stack(residuals).astype(np.float32), axes=1)
    for k in range(count):
        correction[labels == k + 1] = residuals[k]
    strength = np.exp(-nearest / spread)
    return (ab + strength[..., None] * correction).astype(np.float32)


def _upsample(small: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if small.shape == size:
        return small
    import cv2

    return cv2.resize(small, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
