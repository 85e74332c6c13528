"""Synthetic grey "scans" with the structure that matters to the codecs and the merge.

Flat noise would make JPEG (and the reference's decode/encode) unrealistically slow and a flat grey
unrealistically fast; these have what a scanned print has: smooth tonal gradients, large shapes with
anti-aliased edges, mid-frequency texture, vignetting and film grain. Seeded, so every run and every
machine times the same pixels.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

JPEG_QUALITY = 92  # a typical scanner/archive setting


def synthetic_scan(width: int, height: int, seed: int) -> np.ndarray:
    """uint8 HxW grey image."""
    rng = np.random.default_rng(seed)
    small = (max(8, width // 8), max(8, height // 8))
    y, x = np.mgrid[0 : small[1], 0 : small[0]].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    base = 110 + 60 * ((x * np.cos(angle) + y * np.sin(angle)) / max(small) - 0.5)
    canvas = np.ascontiguousarray(base, dtype=np.float32)
    for _ in range(int(rng.integers(12, 24))):  # objects: ellipses and boxes of flat-ish tone
        centre = (int(rng.integers(0, small[0])), int(rng.integers(0, small[1])))
        tone = float(rng.uniform(20, 235))
        if rng.random() < 0.5:
            axes = (int(rng.integers(5, small[0] // 4)), int(rng.integers(5, small[1] // 4)))
            cv2.ellipse(canvas, centre, axes, float(rng.uniform(0, 180)), 0, 360, tone, -1, cv2.LINE_AA)
        else:
            extent = (int(rng.integers(5, small[0] // 3)), int(rng.integers(5, small[1] // 3)))
            corner = (centre[0] + extent[0], centre[1] + extent[1])
            cv2.rectangle(canvas, centre, corner, tone, -1, cv2.LINE_AA)
    texture = cv2.GaussianBlur(rng.normal(0, 12, (small[1], small[0])).astype(np.float32), (0, 0), 1.5)
    canvas += texture
    full = cv2.resize(canvas, (width, height), interpolation=cv2.INTER_CUBIC)
    yy, xx = np.ogrid[0:height, 0:width]
    r2 = ((xx - width / 2) / width) ** 2 + ((yy - height / 2) / height) ** 2
    full *= (1.0 - 0.5 * r2).astype(np.float32)  # vignetting
    full += rng.normal(0, 3.0, (height, width)).astype(np.float32)  # grain
    return np.clip(full, 0, 255).astype(np.uint8)


def make_scans(folder: Path, count: int, width: int, height: int) -> list[Path]:
    """`count` grey JPEGs in `folder`, named scan_00.jpg, scan_01.jpg, ..."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"scan_{i:02d}.jpg"
        Image.fromarray(synthetic_scan(width, height, seed=i), "L").save(path, quality=JPEG_QUALITY)
        paths.append(path)
    return paths
