"""Very large scans: ColorSphere's own size limit, a clear message with the fix, and a way through.

Pillow warned (DecompressionBombWarning) from 89 Mpx and refused from 179 Mpx with no way through.
The tests shrink both limits instead of making a real huge image.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from colorsphere_gui.core.errors import ImageReadError
from colorsphere_gui.core.photo import MAX_MEGAPIXELS_ENV, read_photo
from tests import fixtures_images as fx


@pytest.fixture
def scan(tmp_path: Path) -> Path:
    """A 200 x 100 px (0.02 Mpx) photo."""
    return fx.save_png(tmp_path / "scan.png", fx.grey_ramp(100, 200))


@pytest.fixture
def tiff_pillow_cannot_open(tmp_path: Path) -> Path:
    """16-bit grey with alpha, read by tifffile: its size is checked on a path of its own."""
    path = tmp_path / "la16.tif"
    grey = fx.grey_ramp(100, 200, depth=16)
    tifffile.imwrite(path, np.dstack([grey, grey]), photometric="minisblack", extrasamples=["unassalpha"])
    return path


@pytest.mark.parametrize("kind", ["scan", "tiff_pillow_cannot_open"])
def test_over_the_limit_is_refused_with_the_fix(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    path = request.getfixturevalue(kind)
    monkeypatch.setenv(MAX_MEGAPIXELS_ENV, "0.01")
    with pytest.raises(ImageReadError) as err:
        read_photo(path)
    message = str(err.value)
    assert str(path) in message and "200 x 100 pixels" in message
    assert f"{MAX_MEGAPIXELS_ENV}=1 " in message  # the value that lets this file through


@pytest.mark.parametrize("kind", ["scan", "tiff_pillow_cannot_open"])
def test_raising_the_limit_lets_the_scan_through(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    path = request.getfixturevalue(kind)
    monkeypatch.setenv(MAX_MEGAPIXELS_ENV, "0.03")
    assert read_photo(path).size == (200, 100)
    monkeypatch.setenv(MAX_MEGAPIXELS_ENV, "0")  # no limit at all
    assert read_photo(path).size == (200, 100)


def test_pillows_own_limit_neither_warns_nor_refuses(scan: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Within ColorSphere's limit, a photo over Pillow's (here shrunk to 5,000 px) opens silently."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 5_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a DecompressionBombWarning would fail the read
        photo = read_photo(scan)
    assert photo.size == (200, 100)


def test_a_limit_that_is_not_a_number_is_named(scan: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_MEGAPIXELS_ENV, "lots")
    with pytest.raises(ImageReadError, match=f"{MAX_MEGAPIXELS_ENV}='lots' is not a number"):
        read_photo(scan)
