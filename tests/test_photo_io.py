"""read_photo: native depth, orientation, modes and metadata of every kind of scan an archive holds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image, ImageOps

from colorsphere_gui.core import color, photo
from colorsphere_gui.core.errors import ImageReadError
from colorsphere_gui.core.photo import SUPPORTED_EXTENSIONS, Photo, read_photo
from tests import fixtures_images as fx


def test_16bit_grey_tiff_keeps_depth_dpi_and_full_precision_l(tmp_path: Path) -> None:
    grey = fx.grey_ramp(50, 70, depth=16)
    p = read_photo(fx.save_tiff16(tmp_path / "scan.tif", grey, dpi=1200))
    assert p.is_grey and p.pixels.dtype == np.uint16 and np.array_equal(p.pixels, grey)
    assert (p.meta.format, p.meta.bit_depth, p.meta.dpi) == ("TIFF", 16, (1200.0, 1200.0))
    l_full = p.luminance()
    assert l_full.dtype == np.float32 and l_full.shape == grey.shape
    np.testing.assert_allclose(l_full, color.gray_to_l(grey / 65535.0), atol=1e-4)
    assert len(np.unique(l_full)) > 256  # finer than any 8-bit rendering could give


def test_16bit_rgb_tiff_keeps_every_bit_icc_and_dpi(tmp_path: Path) -> None:
    rgb = fx.colour_scene(40, 64, depth=16)
    icc = fx.srgb_icc()
    p = read_photo(fx.save_tiff16(tmp_path / "scan.tif", rgb, dpi=600, icc=icc))
    assert np.array_equal(p.pixels, rgb) and p.meta.mode == "RGB;16"
    assert p.meta.icc == icc and p.meta.dpi == (600.0, 600.0)
    np.testing.assert_allclose(p.luminance(), color.luminance(rgb / np.float32(65535)), atol=1e-4)


def test_16bit_tiff_in_a_codec_tifffile_lacks_is_read_through_opencv(tmp_path: Path) -> None:
    grey = fx.grey_ramp(30, 40, depth=16)
    path = tmp_path / "lzw.tif"
    Image.fromarray(grey).save(path, compression="tiff_lzw", dpi=(300, 300))
    p = read_photo(path)
    assert np.array_equal(p.pixels, grey) and p.meta.dpi == (300.0, 300.0)


def test_planar_and_grey_alpha_16bit_tiffs(tmp_path: Path) -> None:
    rgb = fx.colour_scene(20, 30, depth=16)
    planar = tmp_path / "planar.tif"
    tifffile.imwrite(planar, np.moveaxis(rgb, -1, 0), photometric="rgb", planarconfig="separate")
    assert np.array_equal(read_photo(planar).pixels, rgb)

    grey, alpha = fx.grey_ramp(20, 30, 16), np.full((20, 30), 40000, np.uint16)
    la = tmp_path / "la.tif"  # Pillow has no mode for this layout
    tifffile.imwrite(la, np.dstack([grey, alpha]), photometric="minisblack", extrasamples=["unassalpha"])
    p = read_photo(la)
    assert np.array_equal(p.pixels, grey) and np.array_equal(p.alpha, alpha) and p.meta.mode == "LA;16"


def test_multipage_tiff_reads_the_first_page_and_says_so(tmp_path: Path) -> None:
    pages = np.stack([fx.grey_ramp(20, 30), 255 - fx.grey_ramp(20, 30)])
    path = tmp_path / "pages.tif"
    tifffile.imwrite(path, pages, photometric="minisblack")
    p = read_photo(path)
    assert np.array_equal(p.pixels, pages[0]) and p.meta.page_count == 2
    assert any("multi-page TIFF: only the first page is used" in w for w in p.meta.warnings)


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_is_applied_and_exif_kept(tmp_path: Path, orientation: int) -> None:
    upright = fx.colour_scene(40, 64)
    path = fx.save_rotated_jpeg(tmp_path / "rotated.jpg", upright, orientation)
    p = read_photo(path)
    with Image.open(path) as im:
        assert np.array_equal(p.pixels, np.asarray(ImageOps.exif_transpose(im)))
    assert np.abs(p.pixels.astype(int) - upright).mean() < 6  # upright, up to JPEG loss
    exif = Image.Exif()
    exif.load(p.meta.exif)
    assert exif[274] == orientation  # as stored; the writer resets it
    assert exif[315].encode("latin-1") == fx.ARTIST.encode()
    assert exif.get_ifd(0x8769)[36867] == fx.DATE_ORIGINAL


def test_orientation_applies_to_16bit_pixels(tmp_path: Path) -> None:
    upright = fx.colour_scene(20, 36, depth=16)
    path = tmp_path / "rot.tif"
    tags = [(274, "H", 1, 6, True)]
    tifffile.imwrite(path, np.rot90(upright, 1), photometric="rgb", resolution=(300, 600), extratags=tags)
    p = read_photo(path)
    assert np.array_equal(p.pixels, upright) and p.meta.dpi == (600.0, 300.0)


def test_16bit_pngs_keep_all_bits(tmp_path: Path) -> None:
    grey = fx.grey_ramp(30, 40, 16)
    p = read_photo(fx.save_png(tmp_path / "g16.png", grey))
    assert p.is_grey and np.array_equal(p.pixels, grey) and p.meta.bit_depth == 16

    rgb, alpha = fx.colour_scene(30, 40, 16), np.linspace(0, 65535, 30 * 40).astype(np.uint16).reshape(30, 40)
    p = read_photo(fx.save_png16_rgb(tmp_path / "rgb16.png", rgb))
    assert np.array_equal(p.pixels, rgb) and p.alpha is None and p.meta.mode == "RGB;16"
    p = read_photo(fx.save_png16_rgb(tmp_path / "rgba16.png", rgb, alpha))
    assert np.array_equal(p.pixels, rgb) and np.array_equal(p.alpha, alpha)


def test_la_and_rgba_pngs_keep_alpha(tmp_path: Path) -> None:
    grey, alpha = fx.grey_ramp(20, 30), np.tile(np.arange(30, dtype=np.uint8) * 8, (20, 1))
    p = read_photo(fx.save_png(tmp_path / "la.png", np.dstack([grey, alpha]), "LA"))
    assert p.is_grey and np.array_equal(p.pixels, grey) and np.array_equal(p.alpha, alpha)

    rgb = fx.colour_scene(20, 30)
    p = read_photo(fx.save_png(tmp_path / "rgba.png", np.dstack([rgb, alpha]), "RGBA"))
    assert np.array_equal(p.pixels, rgb) and np.array_equal(p.alpha, alpha)


def test_palette_pngs(tmp_path: Path) -> None:
    grey = read_photo(fx.save_palette_png(tmp_path / "grey.png", grey_palette=True))
    assert grey.is_grey and grey.alpha is None and grey.meta.mode == "P"
    colour = read_photo(fx.save_palette_png(tmp_path / "colour.png", grey_palette=False, transparent_index=0))
    assert not colour.is_grey and colour.alpha is not None
    assert set(np.unique(colour.alpha)) == {0, 255}


def test_cmyk_jpeg_becomes_rgb_and_drops_its_profile(tmp_path: Path) -> None:
    rgb = fx.colour_scene(40, 60)
    p = read_photo(fx.save_cmyk_jpeg(tmp_path / "cmyk.jpg", rgb))
    assert p.pixels.shape == rgb.shape and np.abs(p.pixels.astype(int) - rgb).mean() < 4
    assert p.meta.mode == "CMYK" and any("CMYK" in w for w in p.meta.warnings)

    path = tmp_path / "cmyk_icc.jpg"  # an RGB profile on CMYK data: unusable, must not reach the output
    Image.fromarray(rgb).convert("CMYK").save(path, "JPEG", icc_profile=fx.srgb_icc())
    p = read_photo(path)
    assert p.meta.icc is None and any("profile" in w for w in p.meta.warnings)


def test_jpeg_icc_grey_jpeg_bmp_and_webp(tmp_path: Path) -> None:
    icc = fx.srgb_icc()
    p = read_photo(fx.save_jpeg(tmp_path / "icc.jpg", fx.colour_scene(20, 30), icc_profile=icc))
    assert p.meta.icc == icc and p.meta.format == "JPEG" and p.pixels.dtype == np.uint8

    assert read_photo(fx.save_jpeg(tmp_path / "grey.jpg", fx.grey_ramp(20, 30))).is_grey

    rgb = fx.colour_scene(20, 30)
    bmp = tmp_path / "scan.bmp"
    Image.fromarray(rgb).save(bmp, dpi=(200, 200))
    p = read_photo(bmp)
    assert np.array_equal(p.pixels, rgb) and p.meta.format == "BMP" and p.meta.dpi == (200.0, 200.0)

    webp = tmp_path / "scan.webp"
    Image.fromarray(rgb).save(webp, lossless=True, icc_profile=icc)
    p = read_photo(webp)
    assert np.array_equal(p.pixels, rgb) and p.meta.format == "WEBP" and p.meta.icc == icc


def test_png_text_and_xmp_are_kept_apart(tmp_path: Path) -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_itxt("Description", "Pier 17, looking north")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>caption</x:xmpmeta>")
    p = read_photo(fx.save_png(tmp_path / "text.png", fx.grey_ramp(10, 10), pnginfo=info))
    assert p.meta.text == {"Description": "Pier 17, looking north"}
    assert p.meta.xmp == b"<x:xmpmeta>caption</x:xmpmeta>"


def test_unicode_names_in_subfolders(tmp_path: Path) -> None:
    path = fx.save_tiff16(tmp_path / "Ärchiv" / "写真 1931" / "Straße №5.tif", fx.grey_ramp(10, 12, 16))
    assert read_photo(path).path == path
    png16 = fx.save_png16_rgb(tmp_path / "Ärchiv" / "ёлка.png", fx.colour_scene(10, 12, 16))
    assert read_photo(png16).pixels.dtype == np.uint16  # the OpenCV path, too


@pytest.mark.parametrize(
    ("name", "make", "says"),
    [
        ("missing.jpg", lambda p: None, "not found"),
        ("empty.jpg", lambda p: p.write_bytes(b""), "empty"),
        ("notes.jpg", lambda p: p.write_text("scanned 12 March, box 4\n"), "not a supported image"),
        ("anim.gif", lambda p: Image.new("L", (4, 4)).save(p), "not a supported image"),
        ("folder.png", lambda p: p.mkdir(), "folder"),
    ],
)
def test_unreadable_files_raise_image_read_error_naming_them(tmp_path: Path, name, make, says) -> None:
    path = tmp_path / name
    make(path)
    with pytest.raises(ImageReadError) as err:
        read_photo(path)
    message = str(err.value)
    assert name in message and says in message and "\n" not in message


@pytest.mark.parametrize("kind", ["jpg", "png", "tif"])
def test_truncated_files_are_refused(tmp_path: Path, kind: str) -> None:
    rgb = fx.colour_scene(60, 80, depth=16 if kind == "tif" else 8)
    whole = {
        "jpg": lambda p: fx.save_jpeg(p, rgb),
        "png": lambda p: fx.save_png(p, rgb),
        "tif": lambda p: fx.save_tiff16(p, rgb),
    }[kind](tmp_path / f"whole.{kind}")
    cut = fx.truncated_copy(whole, tmp_path / f"cut.{kind}", keep=0.6)
    with pytest.raises(ImageReadError, match="cut"):
        read_photo(cut)


def test_permission_denied_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = fx.save_jpeg(tmp_path / "locked.jpg", fx.grey_ramp(8, 8))

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(photo.Image, "open", denied)  # root ignores chmod, so simulate
    with pytest.raises(ImageReadError, match="locked.jpg: permission denied"):
        read_photo(path)


def test_truncated_images_stay_refused_even_if_someone_flipped_pillows_switch(tmp_path: Path) -> None:
    from PIL import ImageFile

    cut = fx.truncated_copy(fx.save_jpeg(tmp_path / "a.jpg", fx.colour_scene(60, 80)), tmp_path / "b.jpg")
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        with pytest.raises(ImageReadError):
            read_photo(cut)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False


def test_photo_views(monkeypatch: pytest.MonkeyPatch) -> None:
    grey16 = fx.grey_ramp(30, 20, 16)
    p = Photo(path=None, pixels=grey16)
    assert (p.size, p.is_grey, p.meta.bit_depth, p.max_value) == ((20, 30), True, 16, 65535)
    f = p.to_float()
    assert f.dtype == np.float32 and f.shape == (30, 20) and f.max() <= 1.0
    rgb8 = p.rgb8()
    assert rgb8.shape == (30, 20, 3) and rgb8.dtype == np.uint8
    np.testing.assert_array_equal(rgb8[..., 0], np.round(grey16 / 257.0).astype(np.uint8))

    whole = Photo(path=None, pixels=fx.colour_scene(30, 20)).luminance()
    monkeypatch.setattr(photo, "_STRIP_PIXELS", 50)  # several strips, the last one partial
    np.testing.assert_array_equal(Photo(path=None, pixels=fx.colour_scene(30, 20)).luminance(), whole)

    with pytest.raises(ValueError):
        Photo(path=None, pixels=np.zeros((4, 4, 2), np.uint8))


def test_supported_extensions() -> None:
    assert {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"} <= SUPPORTED_EXTENSIONS
