"""A photo as read from disk: pixels at native precision, upright, with the metadata an archive keeps.

Scans arrive as 8- or 16-bit greyscale or RGB in JPEG, PNG, TIFF, BMP or WebP, sometimes rotated by an
EXIF tag, sometimes in CMYK or palette form. Everything downstream (the network, the L/ab merge, the
writer) wants one shape: HxW grey or HxWx3 RGB, uint8 or uint16, orientation applied, and the metadata
kept aside so that the colorized file can carry it again. Pillow decodes most of it; it truncates 16-bit
RGB to 8 bits, so those pixels come from tifffile (TIFF) or OpenCV (PNG, and TIFF codecs tifffile lacks
without imagecodecs), while Pillow still reads the metadata.
"""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np
import tifffile
from PIL import Image, ImageCms, ImageFile, UnidentifiedImageError

from colorsphere_gui.core import color, exif
from colorsphere_gui.core.errors import ImageReadError

SUPPORTED_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".bmp", ".webp"})

# The JPEG opener returns "MPO" for camera JPEGs with extra preview frames; they are JPEGs to the user.
_PIL_FORMATS = ("JPEG", "PNG", "TIFF", "BMP", "WEBP")
# The largest photo opened without being asked: Pillow's own decompression-bomb limit (which warned
# from 89 Mpx and refused from 179 Mpx, with no way through) is replaced by this one, which a user with
# the memory for a larger scan can raise (README, "Very large scans").
MAX_MEGAPIXELS_ENV = "COLORSPHERE_MAX_MEGAPIXELS"
DEFAULT_MAX_MEGAPIXELS = 180
# Rows per strip in luminance(): about 4 Mpx of float32 temporaries at a time whatever the image size.
_STRIP_PIXELS = 1 << 22
_ORIENT = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.swapaxes(0, 1),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: np.rot90(a, 2).swapaxes(0, 1),
    8: lambda a: np.rot90(a, 1),
}


@dataclass
class PhotoMeta:
    """What the source file said about itself, kept so that the output can say it again.

    `exif` is a standalone EXIF block ("Exif\\0\\0" + TIFF structure), byte for byte as stored for JPEG,
    PNG and WebP; for a TIFF, its descriptive tags. Its orientation tag still says how the file was
    rotated: the pixels are already upright and the writer resets the tag to 1. `text` holds PNG text
    chunks, `iptc` the IPTC-IIM stream of a JPEG (Photoshop APP13) or TIFF (tag 33723).
    """

    format: str = "PNG"
    bit_depth: int = 0  # 0: taken from the pixels when the Photo is made
    mode: str = ""
    icc: bytes | None = None
    exif: bytes | None = None
    dpi: tuple[float, float] | None = None
    xmp: bytes | None = None
    iptc: bytes | None = None
    text: dict[str, str] = field(default_factory=dict)
    page_count: int = 1
    warnings: list[str] = field(default_factory=list)


@dataclass
class Photo:
    """Pixels (HxW grey or HxWx3 RGB, uint8 or uint16), optional alpha of the same dtype, metadata."""

    path: Path | None
    pixels: np.ndarray
    alpha: np.ndarray | None = None
    meta: PhotoMeta = field(default_factory=PhotoMeta)

    def __post_init__(self) -> None:
        p = self.pixels
        if p.dtype not in (np.uint8, np.uint16) or not (p.ndim == 2 or (p.ndim == 3 and p.shape[2] == 3)):
            raise ValueError(f"pixels must be HxW or HxWx3 uint8/uint16, got {p.shape} {p.dtype}")
        if self.alpha is not None and (self.alpha.shape != p.shape[:2] or self.alpha.dtype != p.dtype):
            raise ValueError("alpha must be HxW with the same dtype as pixels")
        if not self.meta.bit_depth:
            self.meta.bit_depth = 8 * p.itemsize
            self.meta.mode = self.meta.mode or ("L" if p.ndim == 2 else "RGB")

    @property
    def is_grey(self) -> bool:
        return self.pixels.ndim == 2

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), the order Pillow and Qt use."""
        return self.pixels.shape[1], self.pixels.shape[0]

    @property
    def max_value(self) -> int:
        return int(np.iinfo(self.pixels.dtype).max)

    def to_float(self) -> np.ndarray:
        """Pixels as float32 in [0, 1], same layout (HxW or HxWx3)."""
        out = self.pixels.astype(np.float32)
        out /= np.float32(self.max_value)
        return out

    def luminance(self) -> np.ndarray:
        """CIE L (float32 HxW, [0, 100]) at full resolution and precision: the L the output keeps.

        Computed in horizontal strips so that a 100-Mpx scan needs only the HxW result plus a few
        megapixels of temporaries, not three full-size float copies.
        """
        h, w = self.pixels.shape[:2]
        out = np.empty((h, w), dtype=np.float32)
        rows = max(1, _STRIP_PIXELS // max(w, 1))
        for y in range(0, h, rows):
            out[y : y + rows] = color.luminance(self.pixels[y : y + rows])
        return out

    @cached_property
    def grey_pixels(self) -> np.ndarray | None:
        """HxW pixels when every pixel is neutral grey, also in an RGB file (scanners often save grey
        that way), else None. Lab L of R = G = B is the L of that grey level, so L, the network input
        and the merge can work on one channel instead of three."""
        p = self.pixels
        if p.ndim == 2:
            return p
        if np.array_equal(p[..., 0], p[..., 1]) and np.array_equal(p[..., 0], p[..., 2]):
            return np.ascontiguousarray(p[..., 0])
        return None

    def rgb8(self) -> np.ndarray:
        """uint8 HxWx3 rendering (grey repeated on three channels), rounded, not truncated, from 16 bits."""
        p = self.pixels
        if p.dtype == np.uint16:
            p = ((p.astype(np.uint32) + 128) // 257).astype(np.uint8)
        return np.repeat(p[:, :, None], 3, axis=2) if p.ndim == 2 else np.ascontiguousarray(p)


def read_photo(path: Path | str) -> Photo:
    """Read a photo; every failure becomes an ImageReadError naming the file and what to do.

    Decoders raise a wide, undocumented range of exceptions on damaged files (OSError, SyntaxError,
    struct.error, IndexError, ...), so anything escaping them is turned into "damaged" here.
    """
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size == 0:
            raise ImageReadError(f"{path}: the file is empty; copy or export it again")
        return _read(path)
    except ImageReadError:
        raise
    except FileNotFoundError as e:
        raise ImageReadError(f"{path}: file not found; check the name and the folder") from e
    except IsADirectoryError as e:
        raise ImageReadError(f"{path}: is a folder, not a photo; choose an image file") from e
    except PermissionError as e:
        raise ImageReadError(f"{path}: permission denied; make the file readable or copy it elsewhere") from e
    except UnidentifiedImageError as e:
        raise ImageReadError(
            f"{path}: not a supported image (JPEG, PNG, TIFF, BMP or WebP); check that it is a photo "
            "and convert it if needed"
        ) from e
    except MemoryError as e:
        raise ImageReadError(
            f"{path}: not enough memory to open it; close other programs or scale it down"
        ) from e
    except Exception as e:  # see docstring
        detail = " ".join(str(e).split()) or type(e).__name__
        raise ImageReadError(
            f"{path}: the file is damaged or incomplete ({detail}); copy, export or scan it again"
        ) from e


def _read(path: Path) -> Photo:
    """Pillow opens and describes the file; 16-bit pixels it would truncate come from elsewhere."""
    # Pillow's default, but other code (training loaders) may flip this process-wide switch: an archive
    # tool must refuse a truncated scan rather than pad it with grey.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    Image.MAX_IMAGE_PIXELS = None  # the size limit is ColorSphere's own: _check_size
    try:
        im = Image.open(path, formats=_PIL_FORMATS)
    except UnidentifiedImageError:
        with path.open("rb") as f:
            if f.read(4) not in (b"II*\0", b"MM\0*"):
                raise
        return _read_tiff_without_pillow(path)  # layouts Pillow has no mode for, e.g. 16-bit grey+alpha
    with im:
        _check_size(path, *im.size)
        fmt = "JPEG" if im.format == "MPO" else im.format
        meta = PhotoMeta(format=fmt, mode=im.mode, page_count=getattr(im, "n_frames", 1))
        _note_pages(meta)
        if fmt == "TIFF":
            orientation = _read_tiff_metadata(path, meta)
        else:
            _read_metadata(im, meta)
            orientation = _orientation(im, meta)
        sixteen = _sixteen_bit_layout(path, im, fmt)
        if sixteen is None:
            pixels, alpha = _pillow_pixels(path, im, meta)
        else:
            meta.mode = sixteen
            pixels, alpha = _split_alpha(_decode_native(path, fmt), sixteen)
    return _upright(path, pixels, alpha, meta, orientation)


def max_megapixels() -> float | None:
    """The size limit in megapixels: COLORSPHERE_MAX_MEGAPIXELS when set (0: no limit), else the default.

    Decoding needs the whole image in memory several times over (source, colour result, encoder), so
    a damaged or hostile header claiming gigapixels must not be believed without being asked.
    """
    raw = os.environ.get(MAX_MEGAPIXELS_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_MEGAPIXELS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also NaN
        raise ImageReadError(
            f"{MAX_MEGAPIXELS_ENV}={raw!r} is not a number of megapixels: set it to, say, 400 (0: no limit)"
        )
    return value or None


def _check_size(path: Path, width: int, height: int) -> None:
    limit = max_megapixels()
    megapixels = width * height / 1e6
    if limit is not None and megapixels > limit:
        raise ImageReadError(
            f"{path}: {width} x {height} pixels ({megapixels:.0f} Mpx) is over the {limit:g}-megapixel limit "
            f"that keeps a damaged or huge file from exhausting the memory; to open it anyway, set the "
            f"environment variable {MAX_MEGAPIXELS_ENV}={int(megapixels) + 1} (or more) before starting "
            "ColorSphere, or scale the scan down"
        )


def _note_pages(meta: PhotoMeta) -> None:
    if meta.page_count > 1:
        if meta.format == "TIFF":
            note = "multi-page TIFF: only the first page is used"
        else:
            note = f"animated {meta.format}: only the first frame is used"
        meta.warnings.append(f"{note} ({meta.page_count} in the file)")


def _upright(
    path: Path, pixels: np.ndarray, alpha: np.ndarray | None, meta: PhotoMeta, orientation: int
) -> Photo:
    """Apply EXIF orientation the way ImageOps.exif_transpose does, on arrays of any depth."""
    if orientation in _ORIENT:
        pixels = np.ascontiguousarray(_ORIENT[orientation](pixels))
        alpha = None if alpha is None else np.ascontiguousarray(_ORIENT[orientation](alpha))
        if orientation >= 5 and meta.dpi:  # a quarter turn swaps the axes a 600 x 1200 dpi scan was made on
            meta.dpi = meta.dpi[::-1]
    meta.bit_depth = 8 * pixels.itemsize
    return Photo(path=path, pixels=pixels, alpha=alpha, meta=meta)


def _read_metadata(im: Image.Image, meta: PhotoMeta) -> None:
    """JPEG, PNG, BMP and WebP metadata as Pillow exposes it; EXIF kept as the raw block."""
    info = im.info
    meta.icc = info.get("icc_profile") or None
    meta.dpi = _dpi(info.get("dpi"))
    xmp = info.get("xmp")
    meta.xmp = xmp.encode() if isinstance(xmp, str) else (xmp or None)
    meta.exif = info.get("exif") or None
    if meta.exif is None and "Raw profile type exif" in info:  # ImageMagick's PNG text form
        try:
            meta.exif = bytes.fromhex("".join(info["Raw profile type exif"].split("\n")[3:]))
        except ValueError:
            meta.warnings.append("EXIF text chunk is damaged and was dropped")
    if meta.format == "JPEG":
        meta.iptc = info.get("photoshop", {}).get(0x0404) or None
    if meta.format == "PNG":
        meta.text = {
            k: str(v)
            for k, v in im.text.items()
            if k != "XML:com.adobe.xmp" and not k.startswith("Raw profile type")
        }


def _orientation(im: Image.Image, meta: PhotoMeta) -> int:
    """Pillow's reading (EXIF tag, else XMP tiff:Orientation), as exif_transpose uses it."""
    try:
        return int(im.getexif().get(exif.ORIENTATION, 1))
    except Exception:  # any decoder error in a damaged EXIF block must not cost the pixels
        meta.warnings.append("EXIF block is damaged and was dropped")
        meta.exif = None
        return 1


def _read_tiff_metadata(path: Path, meta: PhotoMeta) -> int:
    """ICC, XMP, IPTC, resolution and EXIF from the raw IFD0 of a TIFF; returns its orientation.

    Read from the file's own entries rather than through Pillow so that tag types and non-ASCII text
    survive (see core/exif.py), and so that TIFFs Pillow cannot open still keep their metadata.
    """
    try:
        block = exif.read_tiff(path)
        tags, order = block.ifd0, block.order
        meta.icc, meta.xmp, meta.iptc = (tags[t].value if t in tags else None for t in (34675, 700, 33723))
        if 282 in tags and 283 in tags:
            unit = tags[296].numbers(order)[0] if 296 in tags else 2
            if unit in (2, 3):
                x, y = (_ratio(tags[t].numbers(order)) * (2.54 if unit == 3 else 1) for t in (282, 283))
                meta.dpi = _dpi((x, y))
        orientation = tags[exif.ORIENTATION].numbers(order)[0] if exif.ORIENTATION in tags else 1
    except (ValueError, OSError, KeyError, struct.error):  # KeyError: a tag stored with a wrong type
        meta.warnings.append("TIFF tags could not all be read (BigTIFF or damaged); some metadata is dropped")
        return 1
    for tag in exif.TIFF_LAYOUT_TAGS & set(tags):
        del tags[tag]
    meta.exif = exif.build(block) if tags or block.exif or block.gps else None
    return orientation


def _ratio(pair: tuple) -> float:
    return pair[0] / pair[1] if pair[1] else 0.0


def _dpi(value: object) -> tuple[float, float] | None:
    """Snap 299.9994 (PNG stores dots per metre) back to 300 so the output does not drift."""
    if not isinstance(value, tuple) or len(value) != 2 or not all(v and v > 0 for v in value):
        return None

    def snap(v: float) -> float:
        return float(round(v)) if abs(v - round(v)) < 0.03 else round(float(v), 2)

    return snap(value[0]), snap(value[1])


def _sixteen_bit_layout(path: Path, im: Image.Image, fmt: str) -> str | None:
    """For a 16-bit file Pillow would truncate, its layout ("L;16", "LA;16", "RGB;16", "RGBA;16")."""
    if fmt == "PNG":
        with path.open("rb") as f:
            head = f.read(26)
        depth, colour_type = head[24], head[25]
        if depth == 16 and colour_type in (2, 4, 6):
            return {2: "RGB;16", 4: "LA;16", 6: "RGBA;16"}[colour_type]
    elif fmt == "TIFF":
        bits = im.tag_v2.get(258, (8,))
        if max(bits) > 8:
            with tifffile.TiffFile(path) as tif:
                return _tiff_layout(tif.pages.first, path)
    return None


def _tiff_layout(page: tifffile.TiffPage, path: Path) -> str:
    """Layout name (L, LA, RGB or RGBA, plus ";16" at 16 bits); other TIFF kinds are refused by name."""
    grey = page.photometric in (tifffile.PHOTOMETRIC.MINISBLACK, tifffile.PHOTOMETRIC.MINISWHITE)
    if page.dtype not in (np.uint8, np.uint16) or not (grey or page.photometric == tifffile.PHOTOMETRIC.RGB):
        raise ImageReadError(
            f"{path}: {page.bitspersample}-bit {page.photometric.name} TIFF is not supported; "
            "save it as 8- or 16-bit greyscale or RGB"
        )
    base = ("L" if grey else "RGB") + ("A" if page.extrasamples else "")
    return f"{base};16" if page.dtype == np.uint16 else base


def _decode_native(path: Path, fmt: str) -> np.ndarray:
    """First page/frame at its own depth, channels last in RGB order."""
    if fmt == "TIFF":
        with tifffile.TiffFile(path) as tif:
            page = tif.pages.first
            codecs = tifffile.TIFF.DECOMPRESSORS, tifffile.TIFF.UNPREDICTORS
            if page.compression in codecs[0] and page.predictor in codecs[1]:
                arr = page.asarray()
                if page.planarconfig == tifffile.PLANARCONFIG.SEPARATE and arr.ndim == 3:
                    arr = np.moveaxis(arr, 0, -1)
                if page.photometric == tifffile.PHOTOMETRIC.MINISWHITE:
                    arr = np.iinfo(arr.dtype).max - arr
                return np.ascontiguousarray(arr)
    # OpenCV's libtiff/libpng decode everything else; np.fromfile keeps non-ASCII paths working on Windows.
    arr = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None or arr.dtype not in (np.uint8, np.uint16):
        raise ImageReadError(f"{path}: the image data could not be decoded; re-export the file")
    if arr.ndim == 3:
        arr = cv2.cvtColor(arr, cv2.COLOR_BGRA2RGBA if arr.shape[2] == 4 else cv2.COLOR_BGR2RGB)
    return arr


def _split_alpha(arr: np.ndarray, layout: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Pixels and alpha from a decoded array; OpenCV hands grey+alpha back as RGBA."""
    arr = arr.reshape(arr.shape[0], arr.shape[1], -1)
    has_alpha = layout.startswith(("LA", "RGBA"))
    alpha = np.ascontiguousarray(arr[:, :, -1]) if has_alpha else None
    if layout.startswith("L"):
        return np.ascontiguousarray(arr[:, :, 0]), alpha
    return np.ascontiguousarray(arr[:, :, :3]), alpha


def _pillow_pixels(path: Path, im: Image.Image, meta: PhotoMeta) -> tuple[np.ndarray, np.ndarray | None]:
    mode = im.mode
    if mode == "P":
        im = _from_palette(im)
    elif mode == "CMYK":
        im = _from_cmyk(im, meta)
    elif "transparency" in im.info and mode in ("L", "RGB", "I;16"):
        if mode == "I;16":  # a single transparent grey level; Pillow cannot convert I;16 to LA
            grey = np.array(im).astype(np.uint16)
            return grey, np.where(grey == im.info["transparency"], 0, 65535).astype(np.uint16)
        im = im.convert("LA" if mode == "L" else "RGBA")
    elif mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        arr = np.array(im)
        if arr.min() < 0 or arr.max() > 65535:
            raise ImageReadError(f"{path}: 32-bit integer image is not supported; save it as 16-bit")
        return arr.astype(np.uint16), None
    elif mode in ("1", "La", "RGBa", "RGBX", "YCbCr", "PA"):
        im = im.convert({"1": "L", "La": "LA", "RGBX": "RGB", "YCbCr": "RGB"}.get(mode, "RGBA"))
    elif mode not in ("L", "LA", "RGB", "RGBA"):
        raise ImageReadError(f"{path}: colour mode {mode} is not supported; save it as greyscale or RGB")
    arr = np.array(im)  # a writable copy; np.asarray would be read-only
    if im.mode == "LA":
        return np.ascontiguousarray(arr[:, :, 0]), np.ascontiguousarray(arr[:, :, 1])
    if im.mode == "RGBA":
        return np.ascontiguousarray(arr[:, :, :3]), np.ascontiguousarray(arr[:, :, 3])
    return arr, None


def _from_palette(im: Image.Image) -> Image.Image:
    """Palette to L/LA when every palette entry is grey (grey stays one channel), else RGB/RGBA."""
    palette = np.array(im.getpalette("RGB") or [], dtype=np.uint8).reshape(-1, 3)
    grey = bool(len(palette)) and bool((palette == palette[:, :1]).all())
    alpha = "transparency" in im.info
    return im.convert(("LA" if alpha else "L") if grey else ("RGBA" if alpha else "RGB"))


def _from_cmyk(im: Image.Image, meta: PhotoMeta) -> Image.Image:
    """CMYK to RGB through the file's own profile when it has one; the CMYK profile cannot describe RGB."""
    icc, meta.icc = meta.icc, None
    if icc is None:
        meta.warnings.append("CMYK converted to RGB without a profile; colours are approximate")
        return im.convert("RGB")
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        rgb = ImageCms.profileToProfile(im, profile, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except ImageCms.PyCMSError:
        meta.warnings.append("CMYK converted to RGB; its ICC profile is unusable and was dropped")
        return im.convert("RGB")
    meta.warnings.append("CMYK converted to sRGB with its ICC profile; the CMYK profile is dropped")
    return rgb


def _read_tiff_without_pillow(path: Path) -> Photo:
    """TIFF layouts Pillow cannot open: pixels from tifffile, metadata from the raw tags."""
    with tifffile.TiffFile(path) as tif:
        page = tif.pages.first
        _check_size(path, page.imagewidth, page.imagelength)
        layout = _tiff_layout(page, path)
        meta = PhotoMeta(format="TIFF", mode=layout, page_count=len(tif.pages))
    _note_pages(meta)
    orientation = _read_tiff_metadata(path, meta)
    pixels, alpha = _split_alpha(_decode_native(path, "TIFF"), layout)
    return _upright(path, pixels, alpha, meta, orientation)
