"""Image files built in code for the I/O tests: every kind of scan an archive holds, no data files.

Plain functions (not pytest fixtures) so that any test module can import them. Pixel content is
smooth and structured, like a photo, so that JPEG round trips stay close and classifications are
meaningful.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import tifffile
from PIL import Image, ImageCms

ARTIST = "Zoë Müller"  # non-ASCII on purpose: archives hold names in every script
DATE_ORIGINAL = "1931:12:15 10:30:00"
CAPTION = "Riverfront, December 1931"


def grey_ramp(height: int, width: int, depth: int = 8) -> np.ndarray:
    """A diagonal ramp with a soft disc: every level used, no flat areas, uint8 or uint16."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = x / max(width - 1, 1) * 0.7 + y / max(height - 1, 1) * 0.3
    disc = np.exp(-(((x - width * 0.6) ** 2 + (y - height * 0.4) ** 2) / (0.05 * width * height + 1)))
    value = np.clip(0.05 + 0.8 * ramp + 0.15 * disc, 0.0, 1.0)
    top = 65535 if depth == 16 else 255
    return np.round(value * top).astype(np.uint16 if depth == 16 else np.uint8)


def colour_scene(height: int, width: int, depth: int = 8) -> np.ndarray:
    """Red, green and blue objects of the same brightness on a varied background: clearly colour."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.stack([x / width, y / height, 1.0 - x / width], axis=2) * 0.5 + 0.25
    for cx, colour in ((0.25, (0.85, 0.15, 0.1)), (0.5, (0.1, 0.7, 0.2)), (0.75, (0.15, 0.25, 0.9))):
        inside = (x - cx * width) ** 2 + (y - 0.5 * height) ** 2 < (0.12 * min(height, width)) ** 2
        rgb[inside] = colour
    top = 65535 if depth == 16 else 255
    return np.round(rgb * top).astype(np.uint16 if depth == 16 else np.uint8)


def green_landscape(height: int, width: int) -> np.ndarray:
    """Mostly foliage in many greens with some sky and earth: a dominant hue, still a colour photo."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    texture = cv2.GaussianBlur(rng.random((height, width)).astype(np.float32), (0, 0), 3)
    texture = (texture - texture.min()) / (np.ptp(texture) + 1e-6)
    rgb = np.empty((height, width, 3), np.float32)
    rgb[..., 0] = 0.15 + 0.35 * texture
    rgb[..., 1] = 0.35 + 0.45 * (1 - texture)
    rgb[..., 2] = 0.1 + 0.15 * texture
    sky = y < height * 0.15
    rgb[sky] = np.stack([0.55 + 0 * x[sky], 0.7 + 0 * x[sky], 0.95 + 0 * x[sky]], axis=1)
    earth = y > height * 0.9
    rgb[earth] = (0.45, 0.3, 0.15)
    return np.round(rgb * 255).astype(np.uint8)


def toned(grey: np.ndarray, tone: str) -> np.ndarray:
    """RGB of a toned print: each grey level mapped to one colour of the toning curve.

    Sepia fades to paper white in the highlights and to dark brown in the shadows; a cyanotype has
    Prussian-blue shadows and mid-tones.
    """
    g = grey.astype(np.float32) / np.iinfo(grey.dtype).max
    if tone == "sepia":
        dark, light = np.array([0.25, 0.14, 0.06]), np.array([0.98, 0.94, 0.85])
    elif tone == "cyanotype":
        dark, light = np.array([0.02, 0.12, 0.35]), np.array([0.85, 0.92, 0.98])
    else:
        raise ValueError(tone)
    rgb = dark + (light - dark) * g[..., None] ** 0.9
    return np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def exif_block(orientation: int | None = None) -> Image.Exif:
    """EXIF with artist (IFD0), capture date (EXIF sub-IFD) and a caption (ImageDescription)."""
    exif = Image.Exif()
    exif[315] = ARTIST.encode()  # bytes: Pillow would write a str as ASCII with '?'
    exif[270] = CAPTION
    if orientation is not None:
        exif[274] = orientation
    exif.get_ifd(0x8769)[36867] = DATE_ORIGINAL
    return exif


def save_tiff16(path: Path, pixels: np.ndarray, dpi: float = 600.0, icc: bytes | None = None) -> Path:
    """16-bit TIFF through tifffile (Pillow cannot write 16-bit RGB), with resolution and ICC."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tags = [(34675, 7, len(icc), icc, True)] if icc else []
    tifffile.imwrite(
        path,
        pixels,
        photometric="rgb" if pixels.ndim == 3 else "minisblack",
        resolution=(dpi, dpi),
        resolutionunit="INCH",
        extratags=tags,
        metadata=None,
    )
    return path


def save_jpeg(path: Path, pixels: np.ndarray, **options: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, "JPEG", **{"quality": 95, **options})
    return path


def save_rotated_jpeg(path: Path, upright: np.ndarray, orientation: int = 6) -> Path:
    """A JPEG whose stored pixels are turned so that EXIF `orientation` makes them upright again."""
    stored = {6: np.rot90(upright, 1), 8: np.rot90(upright, -1), 3: np.rot90(upright, 2)}[orientation]
    return save_jpeg(
        path, np.ascontiguousarray(stored), exif=exif_block(orientation).tobytes(), dpi=(300, 300)
    )


def save_cmyk_jpeg(path: Path, rgb: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).convert("CMYK").save(path, "JPEG", quality=95)
    return path


def save_png(path: Path, pixels: np.ndarray, mode: str | None = None, **options: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(pixels) if mode is None else Image.fromarray(pixels, mode)
    image.save(path, "PNG", **options)
    return path


def save_png16_rgb(path: Path, rgb16: np.ndarray, alpha16: np.ndarray | None = None) -> Path:
    """16-bit RGB(A) PNG through OpenCV, the only writer at hand that keeps all 16 bits."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = rgb16 if alpha16 is None else np.dstack([rgb16, alpha16])
    code = cv2.COLOR_RGB2BGR if alpha16 is None else cv2.COLOR_RGBA2BGRA
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(data, code))
    assert ok
    path.write_bytes(encoded.tobytes())
    return path


def save_palette_png(path: Path, grey_palette: bool, transparent_index: int | None = None) -> Path:
    """An 8-bit palette PNG, either all greys or a few colours, optionally with a transparent entry."""
    index = (grey_ramp(40, 60) // 16).astype(np.uint8)  # 16 palette entries
    levels = np.linspace(0, 255, 16).astype(np.uint8)
    if grey_palette:
        palette = np.repeat(levels[:, None], 3, axis=1)
    else:
        palette = np.stack([levels, levels[::-1], np.full(16, 128, np.uint8)], axis=1)
    image = Image.fromarray(index, "P")
    image.putpalette(palette.ravel().tolist())
    options = {"transparency": transparent_index} if transparent_index is not None else {}
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "PNG", **options)
    return path


def truncated_copy(source: Path, dest: Path, keep: float = 0.6) -> Path:
    data = source.read_bytes()
    dest.write_bytes(data[: int(len(data) * keep)])
    return dest


def archive_folder(root: Path) -> Path:
    """The issue's archive: valid scans of every kind plus a colour photo and three broken files."""
    src = root / "scans"
    save_tiff16(src / "tiff16" / "plate.tif", grey_ramp(48, 64, depth=16), dpi=600.0)
    save_rotated_jpeg(src / "rotated.jpg", grey_ramp(40, 56), orientation=6)
    grey_rgb = np.repeat(grey_ramp(40, 60)[..., None], 3, axis=2)
    save_jpeg(src / "icc.jpg", grey_rgb, icc_profile=srgb_icc())
    la = np.dstack([grey_ramp(32, 48), np.full((32, 48), 200, np.uint8)])
    save_png(src / "alpha" / "la.png", la, mode="LA")
    save_palette_png(src / "palette.png", grey_palette=True)
    save_jpeg(src / "sepia.jpg", toned(grey_ramp(48, 64), "sepia"))
    save_cmyk_jpeg(src / "cmyk.jpg", grey_rgb)
    save_jpeg(src / "colour.jpg", colour_scene(48, 64))
    save_jpeg(src / "Grand-mère" / "Zoë 1931.jpg", grey_ramp(36, 52))
    truncated_copy(save_jpeg(root / "whole.jpg", grey_ramp(200, 300)), src / "truncated.jpg")
    (src / "empty.jpg").write_bytes(b"")
    (src / "notes.jpg").write_text("not a photo", encoding="utf-8")
    return src
