"""The functions that workers run: reading, colorizing, rendering, saving, comparing, batch.

They hold no widgets and touch Qt only to build QImages, so each reads as the plain sequence of steps
it performs; `ctx.step` marks where Cancel may stop it. Everything here runs off the GUI thread.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtGui import QImage

from colorsphere_gui.batch import BatchRunner, BatchSettings, BatchSummary, discover
from colorsphere_gui.core.adjust import Adjustment
from colorsphere_gui.core.color import grey_from_l
from colorsphere_gui.core.errors import ColorSphereError
from colorsphere_gui.core.hints import Hint
from colorsphere_gui.core.metrics import delta_e, mse, psnr, ssim
from colorsphere_gui.core.monochrome import classify_tone
from colorsphere_gui.core.photo import SUPPORTED_EXTENSIONS, Photo, read_photo
from colorsphere_gui.core.provenance import Provenance
from colorsphere_gui.core.upsample import merge_to_rgb, resize_columns
from colorsphere_gui.core.writer import JPEG_QUALITY, MetadataWarning, write_photo
from colorsphere_gui.engine import pixels8

from .hint_store import HintStore
from .imaging import THUMB_SIDE, fitted_size, float_to_rgb8, shrink, to_qimage
from .workers import ColorizerPool, TaskContext

Job = Callable[[TaskContext], object]
SAVE_SUFFIXES = ("png", "jpg", "jpeg", "tif", "tiff")
BAND_ROWS = 256  # rows per cancellable band of a full-resolution render (about 0.1 s on 24 Mpx)


@dataclass(eq=False)
class LoadedPhoto:
    """A photo ready for the screen: its L at full and screen size, and the 'before' images.

    l_preview is l_full itself when the photo already fits the screen, so no second merge is done.
    """

    photo: Photo
    l_full: np.ndarray
    l_preview: np.ndarray
    l_thumb: np.ndarray
    before_preview: QImage
    before_full: QImage
    before_thumb: QImage
    is_colour: bool
    tone: str

    @property
    def has_preview(self) -> bool:
        return self.l_preview is not self.l_full

    def describe(self) -> str:
        w, h = self.photo.size
        meta = self.photo.meta
        kind = "colour" if self.is_colour else "black and white"
        return f"{w} × {h} px · {meta.bit_depth}-bit {meta.format} · {kind}"


@dataclass(frozen=True, eq=False)
class Colorized:
    """Stage payload: the network's ab for one model, the device that actually ran it, and the hint
    points it follows (a result for points since edited is stale)."""

    model: str
    ab: np.ndarray
    device: str
    hints: tuple[Hint, ...] = ()


def load_photo(path: Path, preview_side: int) -> LoadedPhoto:
    photo = read_photo(path)
    w, h = photo.size
    l_full = photo.luminance()
    full8 = pixels8(photo)  # one channel for grey, even saved as RGB: a third of the work
    preview_size = fitted_size(w, h, preview_side)
    l_preview = shrink(l_full, preview_size) if preview_size != (w, h) else l_full
    preview8 = shrink(full8, preview_size)
    thumb_size = fitted_size(*preview_size, THUMB_SIDE)
    tone = classify_tone(photo)
    return LoadedPhoto(
        photo=photo,
        l_full=l_full,
        l_preview=l_preview,
        l_thumb=shrink(l_preview, thumb_size),
        before_preview=to_qimage(preview8),
        before_full=to_qimage(full8),
        before_thumb=to_qimage(shrink(preview8, thumb_size)),
        is_colour=tone.kind == "colour",
        tone=tone.reason,
    )


def render(l_channel: np.ndarray, ab: np.ndarray, adjustment: Adjustment) -> QImage:
    """Rounded straight into 8 bits, as the batch writes them: what is shown is what is saved."""
    out = np.empty((*l_channel.shape, 3), np.uint8)
    return to_qimage(adjustment.merge(l_channel, ab, out))


def render_full(ctx: TaskContext, l_full: np.ndarray, ab: np.ndarray, adjustment: Adjustment) -> QImage:
    """render() at full resolution in bands, with a Cancel check between bands.

    A 24-megapixel merge takes seconds; a new slider position must not wait for it. Resizing ab to the
    full height first (at the network's width: small) makes each band an ordinary merge_to_rgb call
    with the same result, because the bilinear resize is separable. It also never holds a full-size
    float image, only the 8-bit result.
    """
    height, width = l_full.shape
    ab = ab if adjustment.neutral else adjustment.apply(ab)
    strength = adjustment.strength if adjustment.neutral else 1.0
    tall = np.ascontiguousarray(resize_columns(ab.transpose(1, 0, 2), height).transpose(1, 0, 2))
    out = np.empty((height, width, 3), np.uint8)
    for top in range(0, height, BAND_ROWS):
        ctx.check()
        rows = slice(top, top + BAND_ROWS)
        merge_to_rgb(l_full[rows], tall[rows], strength, out[rows])
    return to_qimage(out)


@dataclass
class DisplayRequest:
    """Bring one photo on screen: whatever is already known (loaded pixels, ab) is not redone."""

    path: Path
    model: str
    device: str
    adjustment: Adjustment
    preview_side: int
    loaded: LoadedPhoto | None = None
    ab: np.ndarray | None = None
    colorize: bool = True  # False while the model is missing: the photo is still shown
    hints: tuple[Hint, ...] | None = ()  # None: not known yet, the photo's saved points are read


def known_hints(
    ctx: TaskContext, path: Path, size: tuple[int, int], hints: tuple[Hint, ...] | None
) -> tuple[Hint, ...]:
    """`hints`, or the points saved for the photo when they are not known yet (sent as a "hints" stage)."""
    if hints is not None:
        return hints
    saved = HintStore().read(path, size)
    ctx.emit("hints", saved)
    return saved.hints


def display_job(pool: ColorizerPool, req: DisplayRequest) -> Job:
    """Stages: loaded, hints (when not known), predicted, thumb, preview (screen size, first), full."""

    def run(ctx: TaskContext) -> None:
        loaded = req.loaded
        if loaded is None:
            ctx.step(f"Reading {req.path.name}")
            loaded = load_photo(req.path, req.preview_side)
            ctx.emit("loaded", loaded)
        hints = known_hints(ctx, req.path, loaded.photo.size, req.hints)
        ab = req.ab
        if ab is None and not req.colorize:
            return
        if ab is None:
            ctx.step("Loading the model")
            colorizer = pool.get(req.model, req.device)
            ctx.step(f"Colorizing {req.path.name}")
            prediction = colorizer.predict(loaded.photo, hints=hints)
            ab = prediction.ab
            ctx.emit("predicted", Colorized(req.model, ab, prediction.device, hints))
        ctx.emit("thumb", render(loaded.l_thumb, ab, req.adjustment))  # the strip follows every slider
        if loaded.has_preview:
            ctx.step("Preview")
            ctx.emit("preview", render(loaded.l_preview, ab, req.adjustment))
        ctx.step("Full resolution")
        ctx.emit("full", render_full(ctx, loaded.l_full, ab, req.adjustment))

    return run


def predict_job(
    pool: ColorizerPool,
    path: Path,
    model: str,
    device: str,
    adjustment: Adjustment,
    hints: tuple[Hint, ...] | None,
) -> Job:
    """Colorize a photo that is not on screen: only its ab and a thumbnail are kept."""

    def run(ctx: TaskContext) -> None:
        ctx.step(f"Reading {path.name}")
        photo = read_photo(path)
        l_thumb = shrink(photo.luminance(), fitted_size(*photo.size, THUMB_SIDE))
        ctx.emit("scan_thumb", grey_thumb(l_thumb))
        points = known_hints(ctx, path, photo.size, hints)
        ctx.step("Loading the model")
        colorizer = pool.get(model, device)
        ctx.step(f"Colorizing {path.name}")
        prediction = colorizer.predict(photo, hints=points)
        ctx.emit("predicted", Colorized(model, prediction.ab, prediction.device, points))
        ctx.emit("thumb", render(l_thumb, prediction.ab, adjustment))

    return run


def grey_thumb(l_thumb: np.ndarray) -> QImage:
    return to_qimage(float_to_rgb8(np.clip(l_thumb / 100.0, 0.0, 1.0)))


def scan_thumbs_job(photos: list[tuple[int, Path]]) -> Job:
    """The scan's own thumbnail for each waiting photo, so that the strip shows every photo at once
    instead of blank squares until each one's turn to colorize comes. A photo that cannot be read is
    passed over here: its colorizing reports why."""

    def run(ctx: TaskContext) -> None:
        for entry_id, path in photos:
            ctx.check()
            try:
                photo = read_photo(path)
            except (ColorSphereError, OSError, MemoryError):
                continue
            l_thumb = shrink(photo.luminance(), fitted_size(*photo.size, THUMB_SIDE))
            ctx.emit("scan_thumb", (entry_id, grey_thumb(l_thumb)))

    return run


def save_format(dest: Path) -> str | None:
    """The format the user picked by naming the file; the writer would otherwise keep the source's."""
    suffix = dest.suffix.lower().lstrip(".")
    return suffix if suffix in SAVE_SUFFIXES else None


@dataclass(frozen=True, eq=False)
class SaveItem:
    source: Path
    dest: Path
    ab: np.ndarray
    loaded: LoadedPhoto | None  # reused when the photo is on screen, else it is read again
    adjustment: Adjustment = Adjustment()  # each photo's own strength, warmth and saturation
    model: str | None = None  # the model that made `ab`, recorded in the file (core/provenance.py)


@dataclass(frozen=True)
class WriteOptions:
    """The export options the writer takes (the rest of the user's options decide names, not bytes)."""

    jpeg_quality: int = JPEG_QUALITY
    tiff_compression: str | None = None


def save_job(items: list[SaveItem], options: WriteOptions = WriteOptions()) -> Job:
    """Writes each result through the archival writer; Cancel stops between files, never inside one.

    What the container cannot keep (16 bits in JPEG, alpha) comes back as "warning" stages. Each file
    records the model and strength it was made with (core/provenance.py).
    """

    def run(ctx: TaskContext) -> list[Path]:
        written = []
        for i, item in enumerate(items):
            ctx.step(f"Saving {item.dest.name}", i / len(items))
            if item.loaded is not None:
                photo, l_full = item.loaded.photo, item.loaded.l_full
            else:
                photo = read_photo(item.source)
                l_full = photo.luminance()
            rgb = item.adjustment.merge(l_full, item.ab)
            ctx.check()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", MetadataWarning)
                written.append(
                    write_photo(
                        rgb,
                        photo,
                        item.dest,
                        save_format(item.dest),
                        overwrite=True,
                        jpeg_quality=options.jpeg_quality,
                        tiff_compression=options.tiff_compression,
                        provenance=Provenance(item.model, item.adjustment.strength),
                    )
                )
            for warning in caught:
                ctx.emit("warning", str(warning.message))
            ctx.emit("saved", written[-1])
        return written

    return run


@dataclass(frozen=True)
class Score:
    model: str
    label: str
    psnr: float = 0.0
    mse: float = 0.0
    ssim: float = 0.0
    delta_e: float = 0.0  # mean CIE76 difference to the reference
    error: str = ""
    result: QImage | None = None  # the model's colorization, at the dialog's size
    difference: QImage | None = None  # its per-pixel difference to the reference, as a heat map


COMPARE_SIDE = 480  # longest side of the images the compare dialog shows
DELTA_E_SCALE = 50.0  # ΔE shown at full heat: a clearly different hue


def greyscale(photo: Photo, l_full: np.ndarray) -> Photo:
    """The colour photo as a black-and-white scan of it would be: same L, no chroma, same depth."""
    grey = grey_from_l(l_full)
    pixels = np.round(grey * photo.max_value).astype(photo.pixels.dtype)
    return Photo(path=photo.path, pixels=pixels)


def read_reference(path: Path, size: tuple[int, int]) -> np.ndarray:
    """A colour photo of the same picture as the scan, as float RGB at the scan's size (w, h).

    Refused when it has no colour or another shape: scores against it would mean nothing.
    """
    photo = read_photo(path)
    if classify_tone(photo).kind == "grey":
        raise ColorSphereError(f"{path.name} has no colour: choose a colour photo of the same picture")
    (w, h), (rw, rh) = size, photo.size
    if abs(rw / rh - w / h) > 0.03 * (w / h):
        raise ColorSphereError(
            f"{path.name} is {rw} × {rh} and the scan {w} × {h}: crop the reference to the same framing"
        )
    rgb = photo.to_float()
    return rgb if (rw, rh) == (w, h) else cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)


def heat_map(difference: np.ndarray) -> np.ndarray:
    """ΔE as an 8-bit colour map (black: same colour, yellow-white: ΔE 50 or more)."""
    scaled = np.clip(difference * (255.0 / DELTA_E_SCALE), 0, 255).astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(scaled, cv2.COLORMAP_INFERNO), cv2.COLOR_BGR2RGB)


def compare_job(
    pool: ColorizerPool,
    loaded: LoadedPhoto,
    models: list[tuple[str, str]],
    device: str,
    reference: Path | None = None,
) -> Job:
    """Colorize with each model and score the result against colour that is known to be right.

    Without a reference the photo must be in colour: it is turned black and white and its own colours
    are the answer. With one, the photo is a grey scan and the reference a colour photo of the same
    picture (a print, an earlier colour copy). Stages: "reference" (its image), then one "score" per model.
    """

    def run(ctx: TaskContext) -> None:
        w, h = loaded.photo.size
        side = fitted_size(w, h, COMPARE_SIDE)
        if reference is None:
            ctx.step("Converting to black and white", 0.0)
            scan = greyscale(loaded.photo, loaded.l_full)
            truth = loaded.photo.to_float()
        else:
            ctx.step(f"Reading {reference.name}", 0.0)
            scan = loaded.photo
            truth = read_reference(reference, (w, h))
        ctx.emit("reference", to_qimage(float_to_rgb8(shrink(truth, side))))
        l_scan = scan.luminance()
        for i, (name, label) in enumerate(models):
            ctx.step(f"Colorizing with {label}", i / len(models))
            try:
                ab = pool.create(name, device).predict(scan).ab
            except ColorSphereError as exc:
                ctx.emit("score", Score(name, label, error=str(exc)))
                continue
            rgb = merge_to_rgb(l_scan, ab)
            difference = delta_e(rgb, truth)
            ctx.emit(
                "score",
                Score(
                    name,
                    label,
                    psnr(rgb, truth),
                    mse(rgb, truth),
                    ssim(rgb, truth),
                    float(difference.mean()),
                    result=to_qimage(float_to_rgb8(shrink(rgb, side))),
                    difference=to_qimage(heat_map(shrink(difference, side))),
                ),
            )

    return run


@dataclass
class Found:
    """What opening some files and folders found."""

    photos: list[Path]
    ignored: list[Path]  # named, but not photos ColorSphere can open
    results: list[Path]  # ColorSphere's own earlier results found in the folders: not opened again


def is_earlier_result(path: Path, stems: set[str], name_suffixes: Iterable[str]) -> bool:
    """`path` is a colour version saved beside its scan: its name is a scan's name plus a suffix
    ("-colour") and that scan is in the same folder. Re-opening the folder must not colorize it again
    (and Save All would then write "-colour-colour")."""
    return any(s and path.stem.endswith(s) and path.stem[: -len(s)] in stems for s in name_suffixes)


def expand_paths(paths: Iterable[Path], name_suffixes: Iterable[str] = ()) -> Found:
    """Photos named or found (recursively) in folders; files named directly are always opened."""
    found = Found([], [], [])
    suffixes = tuple(name_suffixes)
    for path in paths:
        if path.is_dir():
            candidates = [
                p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS
            ]
            stems: dict[Path, set[str]] = {}
            for p in candidates:
                stems.setdefault(p.parent, set()).add(p.stem)
            for p in candidates:
                earlier = is_earlier_result(p, stems[p.parent], suffixes)
                (found.results if earlier else found.photos).append(p)
        elif path.is_file() and path.suffix.lower() in SUPPORTED_EXTENSIONS:
            found.photos.append(path)
        else:
            found.ignored.append(path)
    return found


def expand_job(paths: list[Path], name_suffixes: Iterable[str] = ()) -> Job:
    suffixes = tuple(name_suffixes)

    def run(ctx: TaskContext) -> Found:
        ctx.step("Looking for photos")
        return expand_paths(paths, suffixes)

    return run


def paste_job(image: QImage, dest: Path) -> Job:
    """A pasted image becomes a PNG in the session's temporary folder, so it has a path like any photo."""

    def run(ctx: TaskContext) -> Path:
        ctx.step("Reading the clipboard")
        if not image.save(str(dest), "PNG"):
            raise ColorSphereError(f"could not store the pasted image in {dest.parent}; check free space")
        return dest

    return run


@dataclass(frozen=True)
class BatchRequest:
    source: Path
    dest: Path
    model: str
    device: str
    settings: BatchSettings
    subfolders: bool
    only: frozenset[Path] | None = None  # "Retry failed only": these sources, nothing else


def batch_job(pool: ColorizerPool, req: BatchRequest) -> Job:
    """The CLI's batch engine, with per-file results forwarded as stages ("jobs", then "result"), and
    each photo colorized with the points the user placed on it (saved by hint mode)."""

    def run(ctx: TaskContext) -> BatchSummary:
        def note(text: str) -> None:  # an unreadable folder, a damaged record: shown in the dialog
            ctx.emit("note", text)

        ctx.step("Looking for photos")
        jobs = discover([req.source], req.dest, recursive=req.subfolders, note=note)
        if req.only is not None:
            jobs = [job for job in jobs if job.source in req.only]
        ctx.emit("jobs", jobs)
        store, settings = HintStore(), req.settings
        with tempfile.TemporaryDirectory(prefix="colorsphere-hints-") as hints_dir:
            if store.has_any():  # else no photo is hashed twice
                ctx.step("Looking for hint points")
                if store.lay_out(((job.source, job.relative) for job in jobs), Path(hints_dir)):
                    settings = replace(settings, hints_dir=Path(hints_dir))
            ctx.step("Loading the model")
            colorizer = pool.get(req.model, req.device)
            ctx.step("Colorizing")
            runner = BatchRunner(
                colorizer.colorize,
                settings,
                on_result=lambda result, i, n: ctx.emit("result", (result, i, n)),
                cancel=ctx.cancel_event,
                note=note,
            )
            return runner.run(jobs, req.dest)

    return run
