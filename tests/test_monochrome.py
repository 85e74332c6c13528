"""classify_tone: grey and toned scans are monochrome, colour photos are colour, dominant hue or not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from colorsphere_gui.core.monochrome import classify_tone
from colorsphere_gui.core.photo import Photo, read_photo
from tests import fixtures_images as fx


def kind(pixels: np.ndarray, alpha: np.ndarray | None = None) -> str:
    return classify_tone(Photo(path=None, pixels=pixels, alpha=alpha)).kind


def test_single_channel_and_equal_channels_are_grey() -> None:
    grey = fx.grey_ramp(60, 80)
    assert kind(grey) == "grey"
    report = classify_tone(Photo(path=None, pixels=np.repeat(grey[..., None], 3, axis=2)))
    assert report.kind == "grey" and report.is_monochrome and "R = G = B" in report.reason


def test_grey_saved_as_rgb_jpeg_with_scanner_noise_is_grey(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    rgb = np.repeat(fx.grey_ramp(120, 160)[..., None], 3, axis=2).astype(np.int16)
    rgb += rng.integers(-2, 3, rgb.shape, dtype=np.int16)  # independent noise per channel
    path = fx.save_jpeg(tmp_path / "scan.jpg", np.clip(rgb, 0, 255).astype(np.uint8), quality=75)
    assert classify_tone(read_photo(path)).kind == "grey"


@pytest.mark.parametrize("tone", ["sepia", "cyanotype"])
def test_toned_prints_are_toned(tmp_path: Path, tone: str) -> None:
    path = fx.save_jpeg(tmp_path / f"{tone}.jpg", fx.toned(fx.grey_ramp(200, 300), tone), quality=85)
    report = classify_tone(read_photo(path))
    assert report.kind == "toned" and report.is_monochrome, report.reason


def test_sixteen_bit_sepia_is_toned() -> None:
    sepia16 = fx.toned(fx.grey_ramp(100, 150), "sepia").astype(np.uint16) * 257
    assert kind(sepia16) == "toned"


def test_colour_photos_are_colour_even_with_a_dominant_hue() -> None:
    report = classify_tone(Photo(path=None, pixels=fx.colour_scene(120, 160)))
    assert report.kind == "colour" and not report.is_monochrome and "hue" in report.reason
    assert kind(fx.green_landscape(120, 160)) == "colour"


def test_pale_blue_is_not_taken_for_a_cyanotype() -> None:
    """Ice, snow and sky photos are pale blue; only a strong Prussian blue reads as cyanotype."""
    sky = fx.toned(fx.grey_ramp(100, 150), "cyanotype").astype(np.float32)
    pale = np.round(sky * 0.25 + sky.mean(axis=2, keepdims=True) * 0.75).astype(np.uint8)
    assert kind(pale) == "colour"


def test_transparent_pixels_are_ignored() -> None:
    sepia = fx.toned(fx.grey_ramp(60, 80), "sepia")
    junk = fx.colour_scene(60, 80)
    alpha = np.full((60, 80), 255, np.uint8)
    alpha[:, 40:] = 0
    sepia[:, 40:] = junk[:, 40:]  # colour only where nothing shows
    assert kind(sepia, alpha) == "toned"
    assert kind(sepia) == "colour"


def test_large_photo_is_classified_on_a_small_copy() -> None:
    big = fx.toned(fx.grey_ramp(3000, 2000), "sepia")
    assert kind(big) == "toned"
