"""Colour adjustments on ab (core.adjust) and the writer's export parameters (JPEG quality, TIFF
compression), on images made here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from colorsphere_gui.core.adjust import Adjustment
from colorsphere_gui.core.color import rgb_to_lab
from colorsphere_gui.core.errors import ImageWriteError
from colorsphere_gui.core.photo import Photo, read_photo
from colorsphere_gui.core.upsample import merge_to_rgb
from colorsphere_gui.core.writer import write_photo


def scan_l(h: int = 48, w: int = 64) -> np.ndarray:
    rng = np.random.default_rng(7)
    return (np.tile(np.linspace(15, 90, w, dtype=np.float32), (h, 1)) + rng.normal(0, 2, (h, w))).astype(
        np.float32
    )


def model_ab() -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.uniform(-30, 30, (8, 8, 2)).astype(np.float32)


def test_strength_alone_is_bit_identical_to_the_plain_merge() -> None:
    l_full, ab = scan_l(), model_ab()
    for strength in (0.0, 0.5, 1.0, 1.7):
        out_a, out_b = np.empty((*l_full.shape, 3), np.uint8), np.empty((*l_full.shape, 3), np.uint8)
        Adjustment(strength).merge(l_full, ab, out_a)
        merge_to_rgb(l_full, ab, strength, out_b)
        assert np.array_equal(out_a, out_b)


def test_warmth_moves_colour_towards_yellow_or_blue_and_keeps_the_scans_luminance() -> None:
    l_full, ab = scan_l(), model_ab()
    base = rgb_to_lab(Adjustment().merge(l_full, ab))
    warm = rgb_to_lab(Adjustment(warmth=0.8).merge(l_full, ab))
    cool = rgb_to_lab(Adjustment(warmth=-0.8).merge(l_full, ab))
    assert warm[..., 2].mean() > base[..., 2].mean() + 10 > cool[..., 2].mean() + 20
    mid = (l_full > 30) & (l_full < 80)  # away from the gamut's clipping at black and white
    for lab in (warm, cool):
        assert np.abs(lab[..., 0] - l_full)[mid].mean() < 1.5


def test_warmth_at_strength_zero_tones_the_grey_original_like_sepia() -> None:
    lab = rgb_to_lab(Adjustment(strength=0.0, warmth=0.6).merge(scan_l(), model_ab()))
    a, b = lab[..., 1], lab[..., 2]
    hue = np.degrees(np.arctan2(b, a)) % 360
    assert b.mean() > 8 and np.ptp(hue[b > 4]) < 25, "one warm hue over the whole picture"


def test_saturation_scales_all_chroma_and_minus_one_is_grey() -> None:
    ab = model_ab()
    assert np.allclose(Adjustment(saturation=0.5).apply(ab), ab * 1.5)
    assert np.allclose(Adjustment(warmth=0.5, saturation=-1.0).apply(ab), 0.0)
    rgb = Adjustment(saturation=-1.0).merge(scan_l(), ab)
    assert np.abs(rgb - rgb.mean(axis=2, keepdims=True)).max() < 1e-3


def test_out_of_range_adjustments_are_refused_with_the_ranges() -> None:
    with pytest.raises(ValueError, match="warmth 1.5 .-1..1."):
        Adjustment(warmth=1.5)


def source_photo(tmp_path: Path) -> Photo:
    rng = np.random.default_rng(1)
    pixels = (np.tile(np.linspace(20, 230, 160), (120, 1)) + rng.normal(0, 12, (120, 160))).clip(0, 255)
    Image.fromarray(pixels.astype(np.uint8), mode="L").save(tmp_path / "scan.png")
    return read_photo(tmp_path / "scan.png")


def colour_of(photo: Photo) -> np.ndarray:
    return merge_to_rgb(photo.luminance(), model_ab())


def test_jpeg_quality_is_the_users_choice(tmp_path: Path) -> None:
    photo = source_photo(tmp_path)
    rgb = colour_of(photo)
    low = write_photo(rgb, photo, tmp_path / "low.jpg", "jpg", jpeg_quality=50)
    high = write_photo(rgb, photo, tmp_path / "high.jpg", "jpg", jpeg_quality=100)
    assert high.stat().st_size > 1.5 * low.stat().st_size
    error = [np.abs(np.asarray(Image.open(p), np.float32) / 255 - rgb).mean() for p in (low, high)]
    assert error[1] < error[0]


def test_tiff_deflate_is_lossless_and_smaller(tmp_path: Path) -> None:
    photo = source_photo(tmp_path)
    rgb = colour_of(photo)
    plain = write_photo(rgb, photo, tmp_path / "plain.tif", "tiff")
    packed = write_photo(rgb, photo, tmp_path / "packed.tif", "tiff", tiff_compression="deflate")
    with tifffile.TiffFile(packed) as tif:
        assert tif.pages.first.compression == tifffile.COMPRESSION.ADOBE_DEFLATE
    assert np.array_equal(tifffile.imread(plain), tifffile.imread(packed))
    assert packed.stat().st_size < plain.stat().st_size


@pytest.mark.parametrize("options", [{"jpeg_quality": 0}, {"jpeg_quality": 101}, {"tiff_compression": "lzw"}])
def test_bad_export_options_are_refused_before_anything_is_written(tmp_path: Path, options: dict) -> None:
    photo = source_photo(tmp_path)
    with pytest.raises(ImageWriteError, match="JPEG quality must be 1-100"):
        write_photo(colour_of(photo), photo, tmp_path / "out.tif", "tiff", **options)
    assert not (tmp_path / "out.tif").exists()
