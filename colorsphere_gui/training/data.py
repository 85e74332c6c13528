"""Training images packed into one uint8 array, so that an epoch costs no JPEG decoding.

The photos in shared/data/train are small (shorter side <= 144 px), so the whole set fits in about
1.5 GB as 144x144 centre crops; the pack is built once and reused by every run and resume.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import cv2
import numpy as np

PACK_SIDE = 144
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


def list_images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


def is_validation(path: Path, fraction: float = 0.02) -> bool:
    """Stable split by file name, independent of file order and of the machine."""
    digest = hashlib.sha1(path.name.encode()).digest()
    return digest[0] / 256.0 < fraction


def square_crop(rgb: np.ndarray, side: int) -> np.ndarray:
    """Resize so the shorter side is `side`, then take the centre square."""
    h, w = rgb.shape[:2]
    scale = side / min(h, w)
    nh, nw = max(side, round(h * scale)), max(side, round(w * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    rgb = cv2.resize(rgb, (nw, nh), interpolation=interp)
    top, left = (nh - side) // 2, (nw - side) // 2
    return rgb[top : top + side, left : left + side]


def train_groups(data_dir: Path) -> np.ndarray:
    """Sub-folder name of every training photo, in the order build_pack stores them."""
    paths = [p for p in list_images(data_dir) if not is_validation(p)]
    return np.array([p.relative_to(data_dir).parts[0] for p in paths])


def sampling_probabilities(groups: np.ndarray, shares: dict[str, float]) -> np.ndarray:
    """Per-photo probabilities that give each sub-folder its share of the batches (others: none)."""
    probs = np.zeros(len(groups), dtype=np.float64)
    for name, share in shares.items():
        members = groups == name
        if not members.any():
            raise ValueError(f"no training photos in sub-folder {name!r}")
        probs[members] = share / members.sum()
    return probs / probs.sum()


def build_pack(data_dir: Path, out: Path) -> tuple[np.ndarray, np.ndarray]:
    """Decode every training photo once; returns (train, val) arrays and saves them to `out`."""
    if out.exists():
        packed = np.load(out)
        return packed["train"], packed["val"]
    train, val = [], []
    for path in list_images(data_dir):
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            continue
        rgb = square_crop(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), PACK_SIDE)
        (val if is_validation(path) else train).append(rgb)
    if not train:
        raise SystemExit(f"no readable training photos in {data_dir}: give a folder of colour photos")
    out.parent.mkdir(parents=True, exist_ok=True)
    # A small folder may hold no photo the split holds out; the other folders' then validate alone.
    tr = np.stack(train)
    va = np.stack(val) if val else np.empty((0, *tr.shape[1:]), dtype=np.uint8)
    # Written aside and renamed, so that runs started side by side never read a half-written pack.
    part = out.with_name(f"{out.name}.{os.getpid()}.part")
    try:
        with part.open("wb") as f:
            np.savez(f, train=tr, val=va)
        os.replace(part, out)
    finally:
        part.unlink(missing_ok=True)
    return tr, va
