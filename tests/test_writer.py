"""write_photo: container, depth, alpha and metadata carried over; atomic; never over the source."""

from __future__ import annotations

import errno
import os
import struct
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image, IptcImagePlugin
from PIL.PngImagePlugin import PngInfo

from colorsphere_gui.core import color, writer
from colorsphere_gui.core import exif as exiftags
from colorsphere_gui.core.errors import DiskFullError, ImageWriteError
from colorsphere_gui.core.photo import read_photo
from colorsphere_gui.core.writer import MetadataWarning, write_photo
from tests import fixtures_images as fx


def as_rgb(p) -> np.ndarray:
    f = p.to_float()
    return np.repeat(f[..., None], 3, axis=2) if p.is_grey else f


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob(".*.part")]


def exif_of(path: Path) -> tuple[dict, dict]:
    """IFD0 and the EXIF sub-IFD, as any Pillow-based viewer reads them."""
    with Image.open(path) as im:
        exif = im.getexif()
        return dict(exif), exif.get_ifd(0x8769)


def test_16bit_grey_tiff_round_trip_keeps_depth_dpi_and_l(tmp_path: Path) -> None:
    src = read_photo(fx.save_tiff16(tmp_path / "in" / "scan.tif", fx.grey_ramp(50, 70, 16), dpi=1200))
    out = write_photo(as_rgb(src), src, tmp_path / "out" / "scan.tif")
    back = read_photo(out)
    assert back.pixels.dtype == np.uint16 and back.pixels.shape == (50, 70, 3)
    assert back.meta.dpi == (1200.0, 1200.0) and back.meta.format == "TIFF"
    assert np.abs(back.luminance() - src.luminance()).max() < 0.002  # 16-bit precision, not 8-bit


def test_16bit_rgb_tiff_round_trip_is_exact_and_keeps_icc(tmp_path: Path) -> None:
    icc = fx.srgb_icc()
    src = read_photo(fx.save_tiff16(tmp_path / "scan.tif", fx.colour_scene(40, 64, 16), dpi=600, icc=icc))
    back = read_photo(write_photo(src.to_float(), src, tmp_path / "out" / "scan.tif"))
    assert np.array_equal(back.pixels, src.pixels)
    assert back.meta.icc == icc and back.meta.dpi == (600.0, 600.0)


@pytest.mark.parametrize("fmt", ["jpg", "png", "tiff", "webp"])
def test_exif_survives_with_orientation_reset(tmp_path: Path, fmt: str) -> None:
    src = read_photo(fx.save_rotated_jpeg(tmp_path / "rot.jpg", fx.colour_scene(40, 64), 6))
    out = write_photo(src.to_float(), src, tmp_path / "out" / "rot", fmt)
    with Image.open(out) as im:
        assert im.size == (64, 40)  # upright pixels, no rotation left to apply
    ifd0, sub = exif_of(out)
    assert ifd0[274] == 1
    assert ifd0[315].encode("latin-1") == fx.ARTIST.encode()  # UTF-8 bytes intact, not "Zo? M?ller"
    assert ifd0[270] == fx.CAPTION
    assert sub[36867] == fx.DATE_ORIGINAL


def test_tiff_output_exif_is_readable_by_tifffile(tmp_path: Path) -> None:
    src = read_photo(fx.save_rotated_jpeg(tmp_path / "rot.jpg", fx.colour_scene(40, 64), 8))
    out = write_photo(src.to_float(), src, tmp_path / "rot.tif", "tiff")
    with tifffile.TiffFile(out) as tif:
        tags = tif.pages.first.tags
        assert tif.byteorder == "<" and tags["Artist"].value == fx.ARTIST
        assert tags["ExifTag"].value["DateTimeOriginal"] == fx.DATE_ORIGINAL
        assert tags["Orientation"].value == 1


@pytest.mark.parametrize("fmt", ["jpg", "png", "tiff", "webp"])
def test_icc_profile_is_kept(tmp_path: Path, fmt: str) -> None:
    icc = fx.srgb_icc()
    src = read_photo(fx.save_jpeg(tmp_path / "icc.jpg", fx.colour_scene(20, 30), icc_profile=icc))
    out = write_photo(src.to_float(), src, tmp_path / "out" / "icc", fmt)
    assert read_photo(out).meta.icc == icc


def test_jpeg_to_jpeg_by_default_at_quality_95_444(tmp_path: Path) -> None:
    src = read_photo(fx.save_jpeg(tmp_path / "a.jpg", fx.colour_scene(32, 48)))
    out = write_photo(src.to_float(), src, tmp_path / "out" / "a.jpg")
    with Image.open(out) as im:
        assert im.format == "JPEG" and im.layer[0][1:3] == im.layer[1][1:3]  # no chroma subsampling


@pytest.mark.parametrize("fmt", ["png", "tiff", "webp"])
def test_alpha_is_reattached(tmp_path: Path, fmt: str) -> None:
    grey, alpha = fx.grey_ramp(20, 30), np.tile(np.arange(30, dtype=np.uint8) * 8, (20, 1))
    src = read_photo(fx.save_png(tmp_path / "la.png", np.dstack([grey, alpha]), "LA"))
    back = read_photo(write_photo(as_rgb(src), src, tmp_path / "out" / "la", fmt))
    assert np.array_equal(back.alpha, alpha)


def test_16bit_rgba_png_round_trip(tmp_path: Path) -> None:
    rgb, alpha = fx.colour_scene(20, 30, 16), np.full((20, 30), 30000, np.uint16)
    src = read_photo(fx.save_png16_rgb(tmp_path / "a.png", rgb, alpha))
    back = read_photo(write_photo(src.to_float(), src, tmp_path / "out" / "a.png"))
    assert np.array_equal(back.pixels, rgb) and np.array_equal(back.alpha, alpha)


def test_what_jpeg_cannot_hold_is_dropped_with_a_warning(tmp_path: Path) -> None:
    rgb, alpha = fx.colour_scene(20, 30, 16), np.full((20, 30), 30000, np.uint16)
    src = read_photo(fx.save_png16_rgb(tmp_path / "a.png", rgb, alpha))
    with pytest.warns(MetadataWarning) as caught:
        out = write_photo(src.to_float(), src, tmp_path / "a.jpg", "jpg")
    messages = " ".join(str(w.message) for w in caught)
    assert "16-bit source written as 8-bit JPEG" in messages and "alpha" in messages
    assert read_photo(out).pixels.dtype == np.uint8


def test_png_metadata_chunks(tmp_path: Path) -> None:
    info = PngInfo()
    info.add_itxt("Description", "Pier 17, looking north")
    info.add_itxt("XML:com.adobe.xmp", '<x:xmpmeta tiff:Orientation="6">Pier</x:xmpmeta>')
    icc = fx.srgb_icc()
    grey16 = fx.grey_ramp(20, 30, 16)
    src = read_photo(fx.save_png(tmp_path / "a.png", grey16, pnginfo=info, icc_profile=icc, dpi=(300, 300)))
    out = write_photo(as_rgb(src), src, tmp_path / "out" / "a.png")
    with Image.open(out) as im:
        im.load()  # verifies every chunk's CRC
        assert im.text["Description"] == "Pier 17, looking north"
        assert im.info["icc_profile"] == icc
    back = read_photo(out)
    assert back.meta.dpi == (300.0, 300.0) and back.pixels.dtype == np.uint16
    assert back.meta.xmp == b'<x:xmpmeta tiff:Orientation="1">Pier</x:xmpmeta>'  # viewers must not rotate


def test_iptc_survives_jpeg_and_tiff(tmp_path: Path) -> None:
    iptc = b"\x1c\x02\x78\x00\x0dCaption \xc3\xa9t\xc3\xa9"  # dataset 2:120 (caption), 13 bytes UTF-8
    src_path = tmp_path / "iptc.jpg"
    Image.fromarray(fx.colour_scene(20, 30)).save(src_path, extra=writer._photoshop_app13(iptc))
    src = read_photo(src_path)
    assert src.meta.iptc == iptc
    for fmt in ("jpg", "tiff"):
        out = write_photo(src.to_float(), src, tmp_path / "out" / "iptc", fmt)
        assert read_photo(out).meta.iptc == iptc
        with Image.open(out) as im:
            assert IptcImagePlugin.getiptcinfo(im)[(2, 120)] == b"Caption \xc3\xa9t\xc3\xa9"


def test_bmp_becomes_png_and_the_path_says_so(tmp_path: Path) -> None:
    bmp = tmp_path / "scan.bmp"
    Image.fromarray(fx.colour_scene(20, 30)).save(bmp, dpi=(150, 150))
    src = read_photo(bmp)
    out = write_photo(src.to_float(), src, tmp_path / "out" / "scan.bmp")
    assert out == tmp_path / "out" / "scan.png" and read_photo(out).meta.dpi == (150.0, 150.0)
    assert writer.output_path(tmp_path / "x.jpeg", "JPEG").suffix == ".jpeg"


def test_grey_icc_profile_is_not_put_on_colour_pixels(tmp_path: Path) -> None:
    src = read_photo(fx.save_jpeg(tmp_path / "g.jpg", fx.grey_ramp(20, 30)))
    icc = bytearray(fx.srgb_icc())
    icc[16:20] = b"GRAY"  # what the writer checks: the profile's colour space
    src.meta.icc = bytes(icc)
    with pytest.warns(MetadataWarning, match="GRAY ICC profile"):
        out = write_photo(as_rgb(src), src, tmp_path / "out.jpg")
    assert read_photo(out).meta.icc is None


def test_never_writes_onto_the_source(tmp_path: Path) -> None:
    path = fx.save_jpeg(tmp_path / "scan.jpg", fx.colour_scene(20, 30))
    before = path.read_bytes()
    src = read_photo(path)
    for dest in (path, tmp_path / "." / "scan.jpg"):
        with pytest.raises(ImageWriteError, match="source photo"):
            write_photo(src.to_float(), src, dest, overwrite=True)
    link = tmp_path / "link.jpg"
    link.symlink_to(path)
    with pytest.raises(ImageWriteError, match="source photo"):
        write_photo(src.to_float(), src, link, overwrite=True)
    assert path.read_bytes() == before


def test_existing_file_needs_overwrite(tmp_path: Path) -> None:
    src = read_photo(fx.save_jpeg(tmp_path / "scan.jpg", fx.colour_scene(20, 30)))
    dest = tmp_path / "out" / "scan.jpg"
    dest.parent.mkdir()
    dest.write_bytes(b"someone else's file")
    with pytest.raises(ImageWriteError, match="already exists"):
        write_photo(src.to_float(), src, dest)
    assert dest.read_bytes() == b"someone else's file"
    assert write_photo(src.to_float(), src, dest, overwrite=True) == dest
    assert read_photo(dest).pixels.shape == (20, 30, 3)


def test_creates_missing_folders_and_leaves_no_temp_files(tmp_path: Path) -> None:
    src = read_photo(fx.save_tiff16(tmp_path / "s.tif", fx.grey_ramp(10, 12, 16)))
    out = write_photo(as_rgb(src), src, tmp_path / "a" / "b" / "Ünïcode 写真" / "s.tif")
    assert out.is_file() and leftovers(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="umask is POSIX")
def test_output_permissions_follow_the_umask(tmp_path: Path) -> None:
    src = read_photo(fx.save_jpeg(tmp_path / "s.jpg", fx.grey_ramp(10, 12)))
    old = os.umask(0o022)
    try:
        out = write_photo(as_rgb(src), src, tmp_path / "o.jpg")
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644


def test_disk_full_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = read_photo(fx.save_jpeg(tmp_path / "s.jpg", fx.colour_scene(20, 30)))
    dest = tmp_path / "out" / "s.jpg"
    dest.parent.mkdir()
    dest.write_bytes(b"previous result")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writer.os, "fsync", full)
    with pytest.raises(DiskFullError, match="disk full: free space on"):
        write_photo(src.to_float(), src, dest, overwrite=True)
    assert dest.read_bytes() == b"previous result" and leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "failure",
    [OSError(errno.ENOSPC, "No space left on device"), OSError("5400 requested and 1024 written")],
    ids=["errno", "numpy-short-write"],
)
def test_disk_full_while_tifffile_writes_pixels_is_disk_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: OSError
) -> None:
    """tifffile writes pixel data with NumPy's tofile, which reports a full disk as a short write
    without an errno (seen on a 256 KB tmpfs); either way it is a DiskFullError, so a batch stops."""
    src = read_photo(fx.save_tiff16(tmp_path / "s.tif", fx.colour_scene(30, 60, depth=16)))

    def fills_the_disk(self: tifffile.FileHandle, data: np.ndarray, dtype: object = None) -> int:
        self._fh.write(b"\0" * 1024)  # part of the pixels got onto the disk
        raise failure

    monkeypatch.setattr(tifffile.FileHandle, "write_array", fills_the_disk)
    with pytest.raises(DiskFullError, match="disk full: free space on"):
        write_photo(src.to_float(), src, tmp_path / "out" / "s.tif")
    assert not (tmp_path / "out" / "s.tif").exists() and leftovers(tmp_path) == []


def test_other_errors_without_errno_are_not_taken_for_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = read_photo(fx.save_tiff16(tmp_path / "s.tif", fx.colour_scene(30, 60, depth=16)))

    def fails(self: tifffile.FileHandle, data: np.ndarray, dtype: object = None) -> int:
        raise OSError("the network share went away")

    monkeypatch.setattr(tifffile.FileHandle, "write_array", fails)
    with pytest.raises(ImageWriteError, match="network share went away") as err:
        write_photo(src.to_float(), src, tmp_path / "out" / "s.tif")
    assert not isinstance(err.value, DiskFullError)


def test_encoder_failure_is_an_image_write_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = read_photo(fx.save_jpeg(tmp_path / "s.jpg", fx.colour_scene(20, 30)))

    def broken(fh, parts) -> None:
        fh.write(b"half a file")
        raise ValueError("encoder refused")

    monkeypatch.setitem(writer._ENCODERS, "PNG", broken)
    with pytest.raises(ImageWriteError, match="encoder refused"):
        write_photo(src.to_float(), src, tmp_path / "o.png", "png")
    assert not (tmp_path / "o.png").exists() and leftovers(tmp_path) == []


def test_read_only_folder_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = read_photo(fx.save_jpeg(tmp_path / "s.jpg", fx.colour_scene(20, 30)))
    real_open = open

    def read_only(path, mode="r", *args, **kwargs):
        if "x" in mode:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", read_only)
    with pytest.raises(ImageWriteError, match="folder is read-only: choose another destination"):
        write_photo(src.to_float(), src, tmp_path / "o.jpg")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_folder_for_real(tmp_path: Path) -> None:
    src = read_photo(fx.save_jpeg(tmp_path / "s.jpg", fx.colour_scene(20, 30)))
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(ImageWriteError, match="read-only"):
            write_photo(src.to_float(), src, locked / "o.jpg")
        with pytest.raises(ImageWriteError, match="read-only"):
            write_photo(src.to_float(), src, locked / "sub" / "o.jpg")
    finally:
        locked.chmod(0o755)


def test_bad_requests(tmp_path: Path) -> None:
    src = read_photo(fx.save_jpeg(tmp_path / "s.jpg", fx.colour_scene(20, 30)))
    with pytest.raises(ImageWriteError, match="unknown output format"):
        write_photo(src.to_float(), src, tmp_path / "o.gif", "gif")
    with pytest.raises(ValueError):
        write_photo(np.zeros((10, 10, 3), np.float32), src, tmp_path / "o.jpg")


def test_values_are_rounded_and_clipped(tmp_path: Path) -> None:
    src = read_photo(fx.save_png(tmp_path / "s.png", fx.grey_ramp(4, 4)))
    rgb = np.full((4, 4, 3), 0.5, np.float32)
    rgb[0, 0] = (-0.2, 1.3, np.nan)
    back = read_photo(write_photo(rgb, src, tmp_path / "o.png"))
    assert tuple(back.pixels[0, 0]) == (0, 255, 0) and back.pixels[1, 1, 0] == 128
    np.testing.assert_allclose(color.luminance(back.to_float())[1:], color.luminance(rgb[1:]), atol=0.3)


def test_exif_entries_keep_their_types_through_every_hop(tmp_path: Path) -> None:
    """JPEG -> TIFF -> JPEG: UNDEFINED stays UNDEFINED, GPS stays, the stale thumbnail IFD goes."""
    o = ">"
    block = exiftags.ExifBlock(
        o,
        ifd0={315: exiftags.Entry(315, 2, 12, "Zoë Müller\0".encode())},
        exif={
            36867: exiftags.Entry(36867, 2, 20, fx.DATE_ORIGINAL.encode() + b"\0"),
            37510: exiftags.Entry(37510, 7, 15, b"ASCII\0\0\0caption"),
        },
        gps={
            1: exiftags.Entry(1, 2, 2, b"N\0"),
            2: exiftags.Entry(2, 5, 3, struct.pack(o + "6I", 51, 1, 30, 1, 0, 1)),
        },
    )
    src = read_photo(fx.save_jpeg(tmp_path / "a.jpg", fx.colour_scene(20, 30), exif=exiftags.build(block)))
    tif = write_photo(src.to_float(), src, tmp_path / "b.tif", "tiff")
    mid = read_photo(tif)
    jpg = write_photo(mid.to_float(), mid, tmp_path / "c.jpg")
    final = exiftags.parse(read_photo(jpg).meta.exif)
    assert final.ifd0[315].value == "Zoë Müller\0".encode()
    assert final.exif[37510] == exiftags.Entry(37510, 7, 15, b"ASCII\0\0\0caption")
    assert final.exif[36867].type == 2 and final.gps[1].value == b"N\0"
    assert final.gps[2].numbers(final.order) == (51, 1, 30, 1, 0, 1)


def test_damaged_source_exif_is_dropped_with_a_warning(tmp_path: Path) -> None:
    src = read_photo(fx.save_jpeg(tmp_path / "a.jpg", fx.colour_scene(20, 30)))
    src.meta.exif = b"Exif\0\0MM\0*\xff\xff\xff\xff"
    with pytest.warns(MetadataWarning, match="EXIF is damaged"):
        out = write_photo(src.to_float(), src, tmp_path / "b.jpg")
    block = exiftags.parse(read_photo(out).meta.exif)  # only what ColorSphere itself records is left
    assert list(block.ifd0) == [exiftags.SOFTWARE] and not block.exif and not block.gps
