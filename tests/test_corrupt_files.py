"""Damaged files either read (damage in a harmless place) or fail as ImageReadError naming the file.

Never any other exception: a batch over a damaged archive must report and go on, not crash.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from colorsphere_gui.core.errors import ImageReadError
from colorsphere_gui.core.photo import Photo, read_photo
from tests import fixtures_images as fx


def _valid_files() -> dict[str, bytes]:
    """A small valid file per decoding path: Pillow JPEG/PNG/TIFF, tifffile 16-bit TIFF, OpenCV PNG."""
    rgb = fx.colour_scene(24, 32)
    exif = fx.exif_block(orientation=6).tobytes()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        tif8 = folder / "b.tif"
        Image.fromarray(rgb).save(tif8, exif=exif, dpi=(200, 200))
        paths = [
            fx.save_jpeg(folder / "a.jpg", rgb, exif=exif, icc_profile=fx.srgb_icc()),
            fx.save_png(folder / "a.png", rgb, exif=exif, dpi=(300, 300)),
            fx.save_tiff16(folder / "a.tif", fx.colour_scene(24, 32, 16), icc=fx.srgb_icc()),
            fx.save_png16_rgb(folder / "b.png", fx.colour_scene(24, 32, 16)),
            tif8,
        ]
        return {p.name: p.read_bytes() for p in paths}


VALID = _valid_files()
# Pillow warns about each damaged TIFF tag it skips; that is the point of these tests, not noise to show.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL")
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _check(data: bytes, name: str, folder: Path) -> None:
    path = folder / f"damaged_{name}"
    path.write_bytes(data)
    try:
        photo = read_photo(path)
    except ImageReadError as e:
        assert path.name in str(e) and "\n" not in str(e)
    else:
        assert isinstance(photo, Photo) and photo.pixels.size > 0


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("damaged")


@SETTINGS
@given(name=st.sampled_from(sorted(VALID)), keep=st.floats(0.0, 1.0))
def test_truncated_files(folder: Path, name: str, keep: float) -> None:
    data = VALID[name]
    _check(data[: int(len(data) * keep)], name, folder)


@SETTINGS
@given(
    name=st.sampled_from(sorted(VALID)),
    hits=st.lists(
        st.tuples(st.floats(0.0, 1.0, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8
    ),
)
def test_files_with_random_bytes_overwritten(folder: Path, name: str, hits: list[tuple[float, int]]) -> None:
    data = bytearray(VALID[name])
    for where, value in hits:
        data[int(where * len(data))] = value
    _check(bytes(data), name, folder)


@SETTINGS
@given(
    name=st.sampled_from(sorted(VALID)), start=st.floats(0.0, 1.0), junk=st.binary(min_size=1, max_size=64)
)
def test_files_with_junk_spliced_in(folder: Path, name: str, start: float, junk: bytes) -> None:
    data = VALID[name]
    at = int(start * len(data))
    _check(data[:at] + junk + data[at + len(junk) :], name, folder)


def test_damaged_headers_are_reported(folder: Path) -> None:
    for name, data in VALID.items():
        path = folder / f"header_{name}"
        path.write_bytes(bytes(np.frombuffer(data[:16], np.uint8) ^ 0x5A) + data[16:])
        with pytest.raises(ImageReadError, match=f"header_{name}"):
            read_photo(path)
