"""Stain and hue-hit rates (issue 15): checked against a pixel-by-pixel count written out here."""

from __future__ import annotations

import math

import numpy as np

from colorsphere_gui.core import metrics
from colorsphere_gui.core.color import lab_to_rgb, rgb_to_lab
from colorsphere_gui.evaluation import Scores, resize_longer_side


def by_hand(pairs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[float, float]:
    """Stain and hue-hit rates from the issue's definitions, one pixel at a time, pooled."""
    neutral = stained = coloured = hits = 0
    for out, true in pairs:
        for (ao, bo), (at, bt) in zip(out.reshape(-1, 2).tolist(), true.reshape(-1, 2).tolist(), strict=True):
            c_true, c_out = math.sqrt(at * at + bt * bt), math.sqrt(ao * ao + bo * bo)
            if c_true < 6:
                neutral += 1
                stained += c_out >= 15
            elif c_true >= 15:
                coloured += 1
                gap = abs(math.degrees(math.atan2(bo, ao)) - math.degrees(math.atan2(bt, at))) % 360
                hits += c_out >= 2 and min(gap, 360 - gap) <= 45
    return 100 * stained / neutral, 100 * hits / coloured


def polar(chroma: float, degrees: float) -> list[float]:
    return [chroma * math.cos(math.radians(degrees)), chroma * math.sin(math.radians(degrees))]


def random_ab(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    chroma = rng.choice([0.0, 3.0, 5.9, 6.0, 10.0, 14.9, 15.0, 30.0, 80.0], size=shape)
    hue = rng.uniform(-math.pi, math.pi, size=shape)
    return np.stack([chroma * np.cos(hue), chroma * np.sin(hue)], axis=-1).astype(np.float32)


def test_rates_match_a_pixel_by_pixel_count_pooled_over_photos_of_different_sizes() -> None:
    rng = np.random.default_rng(3)
    pairs = [(random_ab(rng, shape), random_ab(rng, shape)) for shape in [(20, 30), (7, 9)]]
    counts = metrics.FaultCounts()
    for out, true in pairs:
        counts.add(out, true)
    stain, hue = by_hand(pairs)
    assert math.isclose(counts.stain_rate(), stain, abs_tol=1e-9)
    assert math.isclose(counts.hue_hit_rate(), hue, abs_tol=1e-9)
    assert 0 < counts.stain_rate() < 100 and 0 < counts.hue_hit_rate() < 100


def test_hue_is_compared_around_the_circle_and_grey_output_has_no_hue() -> None:
    true = np.array([[polar(30, 170)] * 3])
    # 30 degrees off across the +-180 seam, 70 degrees off, the right hue at no chroma
    out = np.array([[polar(20, -160), polar(20, 100), polar(1, 170)]])
    counts = metrics.FaultCounts()
    counts.add(out, true)
    assert math.isclose(counts.hue_hit_rate(), 100 / 3)
    assert math.isnan(counts.stain_rate())  # no neutral pixel in the original


def test_a_red_glow_on_a_grey_wall_is_a_stain_in_rgb_photos() -> None:
    """Through the evaluation's own path: RGB photos, Lab conversion, a quarter of the wall stained."""
    wall = np.full((40, 40, 3), 0.6, dtype=np.float32)
    lab = rgb_to_lab(wall)
    lab[:20, :20, 1] = 40.0  # a red glow over a quarter of the output
    out = np.clip(lab_to_rgb(lab), 0, 1)
    scores = Scores()
    scores.add(out, wall, rgb_to_lab(out)[..., 1:], rgb_to_lab(wall)[..., 1:])
    glow = np.hypot(*np.moveaxis(rgb_to_lab(out)[..., 1:], -1, 0)) >= 15
    assert math.isclose(scores.faults.stain_rate(), 100 * glow.mean())
    assert 20 < scores.faults.stain_rate() < 30


def test_resize_longer_side_keeps_the_aspect() -> None:
    photo = np.zeros((321, 481, 3), dtype=np.uint8)
    assert resize_longer_side(photo, 512).shape == (round(321 * 512 / 481), 512, 3)
    tall = np.zeros((768, 512, 3), dtype=np.uint8)
    assert resize_longer_side(tall, 512).shape == (512, round(512 * 512 / 768), 3)
