"""Make a colorization honour its hints: spread each hint's correction over the object it was placed on.

A network that takes hints follows them only approximately, and ECCV16 takes none; so after the network,
each hint's residual (its a, b minus the output's mean a, b over the hint's patch) is added back, with
a strength that falls off with a distance d from the patch: exp(-(d / SPREAD)^2), nearly whole across
the object the hint is on and soon nothing beyond it. On the patch itself the correction is exactly
the residual. d adds up three things, each a sign that a pixel belongs to
another object than the one the hint was placed on:
- the geodesic distance in L: a path's length plus EDGE_COST for every unit of L it crosses, L
  smoothed first (SMOOTH) and gradients up to TEXTURE per grid pixel free, so that grain and fine
  texture cost nothing while an outline of 25 units of L costs more than the reach;
- RANGE_COST per unit of L between the pixel and the patch (a sky darker than the hat beside it);
- COLOR_COST per unit of ab between the network's own colour there and at the patch (what the network
  already sees as a different thing: blue sky beside a white hat, even where their greys match).
Where several hints reach a pixel, their residuals are blended with weights exp(-(d - d_nearest) / MIX):
the nearest hint decides, hints not much farther are averaged in (no seam between two hints on one
object), and the strength is that of the nearest.

Why local, and not a photo-wide cast correction: a long reach with a mild edge cost scores a little
more PSNR on randomly placed simulated hints, but tints walls and skies with the colour of the hats
placed on them; a user places a hint on one object and expects that object to change
(docs/MODEL_CARD.md, "Colour hints", where each term was measured and looked at).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import cv2
import numpy as np
from scipy import ndimage
from skimage.graph import MCP_Geometric

SPREAD = 300.0  # working-size pixels: how far a correction reaches within a smooth region
EDGE_COST = 25.0  # pixels of path per unit of smoothed L crossed (beyond TEXTURE)
SMOOTH = 2.0  # Gaussian sigma, in grid pixels, of the smoothing of L before its gradient is taken
TEXTURE = 1.5  # units of L per grid pixel: gradients up to this are grain or texture and cost nothing
RANGE_COST = 4.0  # pixels per unit of L between a pixel and the hint's patch
COLOR_COST = 8.0  # pixels per unit of ab between the network's colour at a pixel and at the patch
MIX = 16.0  # pixels: how much farther than the nearest hint another one may be and still count
WORK_SIDE = 160  # geodesic distances are computed on a grid whose shorter side is at most this (speed)
KEPT_MAPS = 64  # geodesic maps kept: a click in hint mode recomputes only the new point's

_lock = threading.Lock()
_maps: OrderedDict[tuple[str, tuple[tuple[int, int], ...]], np.ndarray] = OrderedDict()


def _path_costs(l: np.ndarray, step: int) -> np.ndarray:
    """Cost of entering each grid pixel, in working-size pixels: its length plus the edge it crosses."""
    gy, gx = np.gradient(ndimage.gaussian_filter(l.astype(np.float32), SMOOTH))
    return step + EDGE_COST * np.maximum(np.hypot(gx, gy) - TEXTURE, 0.0)


def honour_hints(l: np.ndarray, ab: np.ndarray, hint_ab: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """ab (H x W x 2, Lab units) corrected so that each hint patch gets its hint's colour.

    l: H x W in [0, 100]; hint_ab: 2 x H x W; mask: 1 x H x W (hint_tensors' layout, same size as ab).
    """
    labels, count = ndimage.label(mask[0] > 0)
    if count == 0:
        return ab
    h, w = l.shape
    step = max(1, int(np.ceil(min(h, w) / WORK_SIDE)))
    grid = np.ascontiguousarray(l[::step, ::step], dtype=np.float32)
    settings = repr((grid.shape, step, EDGE_COST, SMOOTH, TEXTURE)).encode()
    key = hashlib.blake2b(grid.tobytes() + settings, digest_size=16).hexdigest()
    costs = None
    residuals, distances = [], []
    for k, where in enumerate(ndimage.find_objects(labels), start=1):
        inside = labels == k
        patch = inside[where]
        target = hint_ab[:, where[0], where[1]][:, patch].mean(axis=1)
        current = ab[where][patch].mean(axis=0)
        residuals.append((target - current).astype(np.float32))
        rows, cols = np.nonzero(inside)
        starts = sorted({(r // step, c // step) for r, c in zip(rows, cols, strict=True)})
        with _lock:
            geodesic = _maps.get((key, tuple(starts)))
        if geodesic is None:
            costs = _path_costs(grid, step) if costs is None else costs
            found, _ = MCP_Geometric(costs).find_costs(starts)
            geodesic = _keep((key, tuple(starts)), found.astype(np.float32))
        distance = _upsample(geodesic, (h, w)) + RANGE_COST * np.abs(l - l[inside].mean())
        distance += COLOR_COST * np.hypot(ab[..., 0] - current[0], ab[..., 1] - current[1])
        distance[inside] = 0.0
        distances.append(distance)
    stack = np.stack(distances)
    nearest = stack.min(axis=0)
    mix = np.exp(-(stack - nearest) / MIX)
    mix /= mix.sum(axis=0)
    correction = np.tensordot(np.moveaxis(mix, 0, -1), np.stack(residuals), axes=1)
    correction *= np.exp(-np.square(nearest / SPREAD))[..., None]
    for k in range(count):  # the patch itself gets exactly its hint's colour
        correction[labels == k + 1] = residuals[k]
    return (ab + correction).astype(np.float32)


def _keep(key: tuple[str, tuple[tuple[int, int], ...]], geodesic: np.ndarray) -> np.ndarray:
    """Remember a point's geodesic map: it depends only on the photo's L and the point, and hint mode
    colorizes again with every point after each click."""
    with _lock:
        _maps[key] = geodesic
        while len(_maps) > KEPT_MAPS:
            _maps.popitem(last=False)
    return geodesic


def _upsample(small: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if small.shape == size:
        return small
    return cv2.resize(small, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
