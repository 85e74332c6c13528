"""classify_tone: grey and toned scans are monochrome, colour photos are colour, dominant hue or not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from colorsphere_gui.core.color import lab_to_rgb
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


def tinted(lum: np.ndarray, hues: np.ndarray, chroma: float) -> np.ndarray:
    """8-bit RGB of L (HxW, 0-100) tinted with hue (degrees, per pixel) at a chroma that peaks in the
    mid-tones, as toning does, and fades towards black and white."""
    c = chroma * np.sin(np.pi * lum / 100.0)
    rad = np.radians(hues)
    lab = np.dstack([lum, c * np.cos(rad), c * np.sin(rad)]).astype(np.float32)
    return np.round(np.clip(lab_to_rgb(lab), 0, 1) * 255).astype(np.uint8)


def ramp_l(height: int = 120, width: int = 160) -> np.ndarray:
    return np.tile(np.linspace(5.0, 95.0, width, dtype=np.float32), (height, 1))


@pytest.mark.parametrize(
    ("hue", "chroma"),
    [(70, 20), (15, 18), (250, 25), (265, 12), (160, 20), (140, 8), (200, 15), (320, 8)],
    ids=["sepia", "red-brown", "blue-toned", "pale-blue", "green-toned", "faint-green", "cyan", "purple"],
)
def test_a_tint_of_any_hue_tied_to_luminance_is_toned(tmp_path: Path, hue: float, chroma: float) -> None:
    """A blue-toned gym or a green-toned station print is monochrome like a sepia one (issue 18)."""
    lum = ramp_l()
    pixels = tinted(lum, np.full_like(lum, hue), chroma)
    path = fx.save_jpeg(tmp_path / "tinted.jpg", pixels, quality=90)
    report = classify_tone(read_photo(path))
    assert report.kind == "toned", report.reason


def test_a_split_toned_print_is_toned() -> None:
    """Hue that changes with L (cool shadows, warm highlights) is still a function of tone alone."""
    lum = ramp_l()
    assert kind(tinted(lum, np.where(lum < 50, 260.0, 75.0), 10.0)) == "toned"


def test_sky_and_sea_of_equal_brightness_are_colour_though_all_blue() -> None:
    """Two blues side by side at equal L: one dominant hue, but colour not predicted by tone."""
    lum = ramp_l()
    rows = np.arange(lum.shape[0])[:, None]
    hues = np.where(rows < lum.shape[0] // 2, 255.0, 215.0) * np.ones_like(lum)
    report = classify_tone(Photo(path=None, pixels=tinted(lum, hues, 20.0)))
    assert report.kind == "colour", report.reason


def test_small_objects_of_another_colour_make_a_one_hued_photo_colour() -> None:
    """A fridge door in warm light with a red magnet and a green drawing: 2 % of the pixels."""
    lum = ramp_l()
    pixels = tinted(lum, np.full_like(lum, 80.0), 15.0)
    toned_alone = kind(pixels)
    pixels[10:26, 20:36] = (200, 30, 30)
    pixels[40:52, 100:112] = (30, 160, 40)
    assert toned_alone == "toned" and kind(pixels) == "colour"


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
