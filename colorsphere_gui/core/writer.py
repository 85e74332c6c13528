"""Writing a colorized photo next to (never over) its source, at its depth, with its metadata, atomically.

An archive cares about three things here: the original is never touched, a crash or a full disk never
leaves a half-written file under the final name, and what the scan said about itself (capture date,
photographer, caption, ICC profile, resolution) is still there in the colour version.

Containers: the source's by default. BMP sources become PNG (BMP carries no EXIF, XMP or reliable
ICC, and PNG is as lossless); WebP stays WebP, written lossless so that no new generation loss is added.
JPEG is written at quality 95 with 4:4:4 chroma: colour is the whole point of the output, and 4:2:0
would halve its resolution once more on top of the network's low-resolution ab. Huffman tables are
not optimised: that second pass would make files about 7% smaller with the same pixels, but it triples
the encoder's time, the largest CPU cost of a batch after the network (docs/PERFORMANCE.md).
TIFF is written uncompressed by tifffile at 8 or 16 bits: what scanners produce and every reader opens
(deflate with a predictor halves the size but encodes at under 10 MB/s on one core).
PNG pixels are encoded by OpenCV (Pillow cannot write 16-bit RGB) and the metadata chunks are added here.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import struct
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np
import tifffile
from PIL import Image

from colorsphere_gui.core import exif as exiftags
from colorsphere_gui.core.errors import DiskFullError, ImageWriteError
from colorsphere_gui.core.photo import Photo, PhotoMeta
from colorsphere_gui.core.provenance import Provenance, stamp_xmp

JPEG_QUALITY = 95
_FORMAT_NAMES = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "tif": "TIFF", "tiff": "TIFF", "webp": "WEBP"}
_SUFFIXES = {
    "PNG": (".png",),
    "JPEG": (".jpg", ".jpeg", ".jpe"),
    "TIFF": (".tif", ".tiff"),
    "WEBP": (".webp",),
}
_SIXTEEN_BIT = ("PNG", "TIFF")
# zlib level per bit depth: the low byte of 16-bit scans is grain that no level compresses, so a high
# level only costs time there.
_PNG_LEVEL = {8: 6, 16: 3}
_JPEG_SEGMENT = 65533  # payload bytes of one JPEG marker segment; extended XMP is not written
# EXIF IFD0 tags a TIFF output does not take from the source's EXIF: tifffile writes these itself
# (layout, resolution) or refuses them, and the placeholders below must stay unique.
_TIFF_OWN_TAGS = exiftags.TIFF_LAYOUT_TAGS | tifffile.TIFF.TAG_FILTERED | {282, 283, 296, 34664, 34852}
_SHORT_WRITE = re.compile(r"\d+ requested and \d+ written")
_XMP_ORIENTATION = (
    (re.compile(rb'tiff:Orientation="[0-9]"'), b'tiff:Orientation="1"'),
    (re.compile(rb"<tiff:Orientation>[0-9]</tiff:Orientation>"), b"<tiff:Orientation>1</tiff:Orientation>"),
)


class MetadataWarning(UserWarning):
    """Something the source carried could not go into the output (alpha in JPEG, 16 bits in JPEG...)."""


def output_format(source: Photo, fmt: str | None = None) -> str:
    """Container for the output: "PNG", "JPEG", "TIFF" or "WEBP" (fmt overrides the source's)."""
    if fmt is not None:
        try:
            return _FORMAT_NAMES[fmt.lower().lstrip(".")]
        except KeyError:
            raise ImageWriteError(f"unknown output format {fmt!r}: use png, jpg, tiff or webp") from None
    return source.meta.format if source.meta.format in _SUFFIXES else "PNG"


def output_path(dest: Path | str, container: str) -> Path:
    """dest with a suffix that matches the container (a.bmp -> a.png; a.jpeg stays a.jpeg)."""
    dest = Path(dest)
    return dest if dest.suffix.lower() in _SUFFIXES[container] else dest.with_suffix(_SUFFIXES[container][0])


def output_dtype(source: Photo, fmt: str | None = None) -> type[np.unsignedinteger]:
    """The integer type write_photo stores for this source and format: uint16 only where both the
    source and the container have 16 bits. Merging straight into it skips a float32 image."""
    sixteen = source.pixels.dtype == np.uint16 and output_format(source, fmt) in _SIXTEEN_BIT
    return np.uint16 if sixteen else np.uint8


def write_photo(
    rgb: np.ndarray,
    source: Photo,
    dest: Path | str,
    fmt: str | None = None,
    *,
    overwrite: bool = False,
    provenance: Provenance | None = None,
) -> Path:
    """Write rgb (HxWx3 at full resolution) with source's depth, alpha and metadata, and a record of
    how it was made (core/provenance.py; without `provenance`, the software alone).

    rgb is float32 in [0, 1], or already rounded to uint8/uint16 (see output_dtype). Returns the path
    written, whose suffix may differ from dest's (see output_path). Losses the
    container forces (alpha or 16 bits in JPEG, a grey ICC profile on colour pixels) are reported as
    MetadataWarning; failures as ImageWriteError naming the file and the fix.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[:2] != source.pixels.shape[:2]:
        raise ValueError(f"rgb must be HxWx3 at the source size {source.pixels.shape[:2]}, got {rgb.shape}")
    container = output_format(source, fmt)
    dest = output_path(dest, container)
    meta = source.meta
    _check_destination(dest, source, overwrite)

    sixteen = source.pixels.dtype == np.uint16
    if sixteen and container not in _SIXTEEN_BIT:
        _warn(dest, f"16-bit source written as 8-bit {container}")
        sixteen = False
    pixels = _to_depth(rgb, np.uint16 if sixteen else np.uint8)
    alpha = source.alpha
    if alpha is not None and container == "JPEG":
        _warn(dest, "JPEG has no transparency: the alpha channel is dropped")
        alpha = None
    elif alpha is not None and alpha.dtype != pixels.dtype:  # 16-bit alpha into 8-bit WebP
        alpha = ((alpha.astype(np.uint32) + 128) // 257).astype(np.uint8)
    icc = meta.icc
    if icc is not None and icc[16:20] != b"RGB ":
        _warn(
            dest,
            f"the source's {icc[16:20].decode('latin-1').strip()} ICC profile cannot describe colour "
            "pixels and is dropped (output is untagged sRGB)",
        )
        icc = None
    provenance = provenance or Provenance()
    parts = _Parts(
        pixels,
        alpha,
        meta,
        icc,
        _output_exif(meta.exif, *source.size, dest, provenance.software),
        _output_xmp(meta.xmp, provenance),
        meta.iptc,
        dest,
        provenance.software,
    )
    if container == "JPEG":
        _fit_jpeg_segments(parts)
    encoder = _ENCODERS[container]
    _atomic_write(dest, lambda fh: encoder(fh, parts))
    return dest


@dataclass
class _Parts:
    """Everything an encoder needs, already converted for the output."""

    pixels: np.ndarray
    alpha: np.ndarray | None
    meta: PhotoMeta
    icc: bytes | None
    exif: exiftags.ExifBlock | None
    xmp: bytes | None
    iptc: bytes | None
    dest: Path
    software: str

    def pillow_image(self) -> Image.Image:
        return Image.fromarray(self.pixels if self.alpha is None else np.dstack([self.pixels, self.alpha]))


def _warn(dest: Path, what: str) -> None:
    warnings.warn(f"{dest}: {what}", MetadataWarning, stacklevel=3)


def _to_depth(rgb: np.ndarray, dtype: type[np.unsignedinteger]) -> np.ndarray:
    if rgb.dtype == dtype:
        return rgb
    if rgb.dtype == np.uint16:  # to 8 bits, rounded as Photo.rgb8 does
        return ((rgb.astype(np.uint32) + 128) // 257).astype(np.uint8)
    if rgb.dtype == np.uint8:
        return rgb.astype(np.uint16) * np.uint16(257)
    return _quantise(rgb, dtype)


def _quantise(rgb: np.ndarray, dtype: type[np.unsignedinteger]) -> np.ndarray:
    """Round (not truncate) to the output depth, in strips so that temporaries stay small."""
    top = np.iinfo(dtype).max
    out = np.empty(rgb.shape, dtype=dtype)
    rows = max(1, (1 << 22) // max(rgb.shape[1], 1))
    for y in range(0, rgb.shape[0], rows):
        strip = np.nan_to_num(rgb[y : y + rows], nan=0.0).astype(np.float32)
        np.clip(strip, 0.0, 1.0, out=strip)
        strip *= top
        out[y : y + rows] = np.rint(strip)
    return out


def _check_destination(dest: Path, source: Photo, overwrite: bool) -> None:
    if (
        source.path is not None
        and dest.exists()
        and source.path.exists()
        and os.path.samefile(dest, source.path)
    ):
        raise ImageWriteError(
            f"{dest}: this is the source photo, which is never overwritten; choose another "
            "output folder or name"
        )
    if dest.is_dir():
        raise ImageWriteError(f"{dest}: is a folder; choose a file name")
    if dest.exists() and not overwrite:
        raise ImageWriteError(f"{dest}: already exists; choose another name or allow overwriting")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _os_error(dest, e, "could not create the folder") from e


def _os_error(dest: Path, e: OSError, doing: str = "could not write") -> ImageWriteError:
    if e.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)) or _is_short_write(e):
        return DiskFullError(f"{dest}: disk full: free space on {dest.parent} or choose another destination")
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ImageWriteError(f"{dest}: folder is read-only: choose another destination")
    return ImageWriteError(f"{dest}: {doing} ({e.strerror or e}); check the destination folder")


def _is_short_write(e: OSError) -> bool:
    """NumPy's tofile (tifffile writes pixel data with it) reports a full disk as "N requested and M
    written" with no errno; on a regular file, a write cut short means the space (or quota) ran out."""
    return e.errno is None and _SHORT_WRITE.search(str(e)) is not None


def _atomic_write(dest: Path, encode: Callable[[BinaryIO], None]) -> None:
    """Encode into a hidden temp file beside dest, fsync, rename over dest; remove the temp on any failure.

    open(..., "x") creates the file exclusively with mode 0o666 less the umask, as for any new file
    (mkstemp's 0o600 would make outputs on a shared archive drive unreadable to colleagues).
    """
    tmp = dest.parent / f".{dest.name}.{secrets.token_hex(6)}.part"
    try:
        fh = open(tmp, "x+b")  # closed below, before the rename
    except OSError as e:
        raise _os_error(dest, e) from e
    try:
        with fh:
            encode(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise _os_error(dest, e) from e
        if isinstance(e, Exception) and not isinstance(e, ImageWriteError):
            # encoders (Pillow, tifffile, OpenCV) raise undocumented types on data they refuse
            raise ImageWriteError(
                f"{dest}: could not encode the image ({e}); try another output format"
            ) from e
        raise
    _fsync_folder(dest.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; Windows has no directory handles to sync)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass  # some network file systems refuse fsync on folders; the data itself is synced
    finally:
        os.close(fd)


def _output_exif(raw: bytes | None, width: int, height: int, dest: Path, software: str) -> exiftags.ExifBlock:
    """The source's EXIF for upright pixels: orientation 1, the output's pixel dimensions, and the
    software that made it (a new block when the source had none)."""
    block = exiftags.ExifBlock()
    if raw:
        try:
            block = exiftags.parse(raw)
        except (ValueError, struct.error):
            _warn(dest, "the source's EXIF is damaged and is dropped")
    o = block.order
    block.ifd0[exiftags.SOFTWARE] = exiftags.text_entry(exiftags.SOFTWARE, software)
    if exiftags.ORIENTATION in block.ifd0:
        block.ifd0[exiftags.ORIENTATION] = exiftags.number_entry(exiftags.ORIENTATION, 1, o)
    for tag, value in ((40962, width), (40963, height)):  # PixelXDimension, PixelYDimension
        if tag in block.exif:
            block.exif[tag] = exiftags.number_entry(tag, value, o, exiftags.LONG)
    return block


def _output_xmp(xmp: bytes | None, provenance: Provenance) -> bytes:
    """The source's XMP with the provenance added. XMP may repeat the orientation; left as it was,
    viewers would rotate the upright pixels again."""
    for pattern, upright in _XMP_ORIENTATION:
        xmp = pattern.sub(upright, xmp) if xmp else xmp
    return stamp_xmp(xmp, provenance)


def _fit_jpeg_segments(p: _Parts) -> None:
    """EXIF, XMP and IPTC each get one JPEG segment (64 KB); what does not fit is dropped, not fatal."""
    if p.exif is not None and len(exiftags.build(p.exif)) > _JPEG_SEGMENT - 2:
        _warn(p.dest, "EXIF is too large for a JPEG segment (maker notes?) and is dropped")
        p.exif = None
    if p.xmp is not None and len(p.xmp) > _JPEG_SEGMENT - 31:
        _warn(p.dest, "XMP is too large for one JPEG segment and is dropped")
        p.xmp = None
    if p.iptc is not None and len(p.iptc) > _JPEG_SEGMENT - 28:
        _warn(p.dest, "IPTC is too large for one JPEG segment and is dropped")
        p.iptc = None


def _encode_jpeg(fh: BinaryIO, p: _Parts) -> None:
    extra = _photoshop_app13(p.iptc) if p.iptc else b""
    p.pillow_image().save(
        fh, "JPEG", quality=JPEG_QUALITY, subsampling=0, **_pillow_meta(p), extra=extra
    )


def _encode_webp(fh: BinaryIO, p: _Parts) -> None:
    p.pillow_image().save(fh, "WEBP", lossless=True, **_pillow_meta(p))


def _pillow_meta(p: _Parts) -> dict:
    opts: dict = {}
    if p.icc:
        opts["icc_profile"] = p.icc
    if p.exif is not None:
        opts["exif"] = exiftags.build(p.exif)
    if p.xmp:
        opts["xmp"] = p.xmp
    if p.meta.dpi:
        opts["dpi"] = p.meta.dpi
    return opts


def _photoshop_app13(iptc: bytes) -> bytes:
    """APP13 segment holding IPTC-IIM as Photoshop image resource 0x0404, where readers look for it."""
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\0\0" + struct.pack(">I", len(iptc)) + iptc
    if len(iptc) % 2:
        resource += b"\0"
    body = b"Photoshop 3.0\0" + resource
    return b"\xff\xed" + struct.pack(">H", len(body) + 2) + body


def _encode_png(fh: BinaryIO, p: _Parts) -> None:
    data = p.pixels if p.alpha is None else np.dstack([p.pixels, p.alpha])
    bgr = cv2.cvtColor(data, cv2.COLOR_RGBA2BGRA if p.alpha is not None else cv2.COLOR_RGB2BGR)
    level = _PNG_LEVEL[8 * data.itemsize]
    ok, encoded = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, level])
    if not ok:
        raise ImageWriteError(f"{p.dest}: OpenCV could not encode the PNG; try TIFF")
    png = encoded.tobytes()
    ihdr_end = 8 + 8 + 13 + 4  # signature, IHDR length+type, IHDR data, CRC
    fh.write(png[:ihdr_end])
    for kind, body in _png_chunks(p):
        fh.write(struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body)))
    fh.write(png[ihdr_end:])


def _png_chunks(p: _Parts) -> list[tuple[bytes, bytes]]:
    """Metadata chunks, all placed before IDAT as the PNG specification requires of iCCP, pHYs and eXIf."""
    chunks = []
    if p.icc:
        chunks.append((b"iCCP", b"ICC profile\0\0" + zlib.compress(p.icc)))
    if p.meta.dpi:
        x, y = (round(v / 0.0254) for v in p.meta.dpi)
        chunks.append((b"pHYs", struct.pack(">IIB", x, y, 1)))
    if p.exif is not None:
        chunks.append((b"eXIf", exiftags.build(p.exif)[6:]))  # the chunk has no "Exif\0\0" prefix
    texts = dict(p.meta.text)
    texts["Software"] = p.software
    if p.xmp:
        texts["XML:com.adobe.xmp"] = p.xmp.decode("utf-8", "replace")
    for key, text in texts.items():
        keyword = key.encode("latin-1", "replace")[:79]
        chunks.append((b"iTXt", keyword + b"\0\0\0\0\0" + text.encode("utf-8")))
    return chunks


def _encode_tiff(fh: BinaryIO, p: _Parts) -> None:
    data = p.pixels if p.alpha is None else np.dstack([p.pixels, p.alpha])
    tags: list[tuple] = [
        (code, kind, None, blob, True)
        for code, blob, kind in ((34675, p.icc, 7), (700, p.xmp, 1), (33723, p.iptc, 7))
        if blob
    ]
    subs: dict[int, dict[int, exiftags.Entry]] = {}
    if p.exif is not None:
        # little-endian like nearly every TIFF, whatever order the source's EXIF was in; entries go in
        # as packed bytes with their own type
        block = exiftags.with_order(p.exif, "<")
        tags += [
            (e.tag, e.type, None, e.value, True) for e in block.ifd0.values() if e.tag not in _TIFF_OWN_TAGS
        ]
        subs = {
            code: ifd
            for code, ifd in ((exiftags.EXIF_POINTER, block.exif), (exiftags.GPS_POINTER, block.gps))
            if ifd
        }
        # tifffile refuses to write the sub-IFD pointers; a placeholder one code lower sorts into the
        # same place in IFD0 and is renamed once the sub-IFD is appended
        tags += [(code - 1, exiftags.LONG, 1, 0, True) for code in subs]
    resolution = {"resolution": p.meta.dpi, "resolutionunit": "INCH"} if p.meta.dpi else {}
    tifffile.imwrite(
        fh,
        data,
        byteorder="<",
        photometric="rgb",
        extrasamples=["unassalpha"] if p.alpha is not None else None,
        metadata=None,
        software=False,
        extratags=tags,
        **resolution,
    )
    if subs:
        _append_sub_ifds(fh, subs, p.dest)


def _append_sub_ifds(fh: BinaryIO, subs: dict[int, dict[int, exiftags.Entry]], dest: Path) -> None:
    """Append the EXIF/GPS IFDs after tifffile's output and point IFD0's placeholders at them.

    tifffile writes no EXIF sub-IFD, and Pillow cannot write 16-bit RGB and loses the sub-IFD even at
    8 bits; the capture date lives there, which an archive cannot lose.
    """
    fh.seek(0)
    with tifffile.TiffFile(fh) as tif:
        if tif.is_bigtiff:
            _warn(dest, "EXIF sub-IFDs are not written to a BigTIFF (over 4 GB); IFD0 tags are kept")
            return
        entries = {code: tif.pages.first.tags[code - 1].offset for code in subs}
    for code, ifd in subs.items():
        at = fh.seek(0, os.SEEK_END)
        if at % 2:  # IFDs start on a word boundary
            at += fh.write(b"\0")
        fh.write(exiftags.ifd_bytes(ifd, at, "<"))
        fh.seek(entries[code])
        fh.write(struct.pack("<HHII", code, exiftags.LONG, 1, at))


_ENCODERS = {"PNG": _encode_png, "JPEG": _encode_jpeg, "TIFF": _encode_tiff, "WEBP": _encode_webp}
