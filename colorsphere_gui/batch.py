"""Folder jobs: discovery, per-file status, the CSV report, resume, cancellation.

A batch of thousands of scans runs overnight, so one bad file must never stop it, a re-run must skip
what is already done, and the report must be readable at any moment (it is rewritten atomically after
every file). Sources are only ever read.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import os
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from colorsphere_gui.core.errors import ColorSphereError, DiskFullError, UsageError
from colorsphere_gui.core.monochrome import classify_tone
from colorsphere_gui.core.photo import SUPPORTED_EXTENSIONS, Photo, read_photo
from colorsphere_gui.core.writer import MetadataWarning, output_dtype, output_format, output_path, write_photo

REPORT_NAME = "colorsphere-report.csv"
MANIFEST_NAME = ".colorsphere-manifest.json"


@dataclass(frozen=True)
class Job:
    """One source file and where its result goes, relative to the output folder."""

    source: Path
    relative: Path
    explicit: bool  # named on the command line (always colorized) rather than found in a folder


@dataclass
class FileResult:
    source: Path
    output: Path | None
    status: str  # done | skipped | failed
    message: str = ""
    stop_batch: bool = False  # the failure will repeat for every later file (disk full)


@dataclass
class BatchSettings:
    model: str
    fmt: str | None = None
    include_colour: bool = False
    strength: float = 1.0
    overwrite: bool = False  # replace files in the output folder that ColorSphere did not write
    resume: bool = True  # skip photos whose output is up to date; False colorizes everything again

    def key(self) -> str:
        """What makes an output up to date, besides the source's content."""
        return json.dumps({"model": self.model, "fmt": self.fmt, "strength": self.strength}, sort_keys=True)


@dataclass
class BatchSummary:
    results: list[FileResult] = field(default_factory=list)
    cancelled: bool = False
    stopped_reason: str = ""

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def exit_code(self) -> int:
        return 1 if self.count("failed") or self.stopped_reason else 0


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def discover(inputs: Iterable[Path], outdir: Path, recursive: bool = True) -> list[Job]:
    """Files named directly, plus every supported image under each folder (recursively).

    An output folder inside a source folder is never read back as input; an output folder equal to
    a source folder is refused before anything is written.
    """
    jobs: list[Job] = []
    for item in inputs:
        if not item.exists():
            raise UsageError(f"{item}: no such file or folder; check the path")
        if item.is_dir():
            if item.resolve() == outdir.resolve():
                raise UsageError(
                    f"{item}: the output folder is the source folder; choose another -o folder "
                    "so that no source can be overwritten"
                )
            for path in sorted(item.rglob("*") if recursive else item.glob("*")):
                if (
                    path.is_file()
                    and path.suffix.lower() in SUPPORTED_EXTENSIONS
                    and not _inside(path, outdir)
                ):
                    jobs.append(Job(path, path.relative_to(item), explicit=False))
        else:
            jobs.append(Job(item, Path(item.name), explicit=True))
    return jobs


def file_digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=20)
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.part")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Manifest:
    """What ColorSphere wrote into an output folder, keyed by source: a re-run skips what is current, and
    only files listed here may be replaced without --overwrite."""

    def __init__(self, outdir: Path) -> None:
        self.path = outdir / MANIFEST_NAME
        self._lock = threading.Lock()  # the read thread consults it while the write thread records
        try:
            self.entries: dict[str, dict] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.entries = {}

    def current_output(self, job: Job, digest: str, settings: BatchSettings) -> Path | None:
        """The output written earlier for this source, if source, settings and output are unchanged."""
        with self._lock:
            entry = self.entries.get(str(job.relative))
        if not entry or entry.get("source") != digest or entry.get("settings") != settings.key():
            return None
        output = Path(entry["output"])
        try:
            stat = output.stat()
        except OSError:
            return None
        return output if (stat.st_size, stat.st_mtime_ns) == (entry["size"], entry["mtime"]) else None

    def skip_reason(self, job: Job, digest: str) -> str | None:
        """Why this source was skipped as a colour photo before, if its content is unchanged."""
        with self._lock:
            entry = self.entries.get(str(job.relative))
        return entry.get("skipped") if entry and entry.get("source") == digest else None

    def owns(self, output: Path) -> bool:
        with self._lock:
            return any(e.get("output") == str(output) for e in self.entries.values())

    def record(self, job: Job, output: Path, digest: str, settings: BatchSettings) -> None:
        stat = output.stat()
        self._put(
            job,
            {
                "output": str(output),
                "source": digest,
                "settings": settings.key(),
                "size": stat.st_size,
                "mtime": stat.st_mtime_ns,
            },
        )

    def record_skip(self, job: Job, digest: str, reason: str) -> None:
        """A colour photo is classified once: a re-run skips it without decoding it again."""
        self._put(job, {"source": digest, "skipped": reason})

    def _put(self, job: Job, entry: dict) -> None:
        # Held while writing too: the read and write threads both record, and the file must never go back.
        with self._lock:
            self.entries[str(job.relative)] = entry
            _atomic_text(self.path, json.dumps(self.entries, indent=1, ensure_ascii=False))


def write_report(outdir: Path, results: list[FileResult]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["source", "output", "status", "message"])
    for r in results:
        writer.writerow([str(r.source), str(r.output) if r.output else "", r.status, r.message])
    _atomic_text(outdir / REPORT_NAME, buf.getvalue())


@runtime_checkable
class Stages(Protocol):
    """A colorizer split into the steps that BatchRunner overlaps (engine.Colorizer is one).

    `prepare` runs on the read thread, `predict_inputs` on the calling thread (up to `batch_size`
    photos of one input size at once), `render` on the write thread, straight into the output's
    integer depth.
    """

    batch_size: int

    def prepare(self, photo: Photo) -> np.ndarray: ...

    def predict_inputs(self, inputs: Sequence[np.ndarray], names: Sequence[str]) -> Sequence[Any]: ...

    def render(
        self, photo: Photo, ab: np.ndarray, strength: float, dtype: type[np.generic]
    ) -> np.ndarray: ...


class SetupError(ColorSphereError):
    """The colorizer itself could not be made (weights missing, no such device): every photo would fail
    the same way, so the batch stops and the front end reports a set-up error, not a file's failure."""


class OnDemand:
    """Stages made on their first use.

    A re-run over a folder that is already done colorizes nothing, and then importing torch and loading
    a model would be most of its time; with OnDemand it only hashes and skips. Made once, from whichever
    thread first needs it.
    """

    def __init__(self, make: Callable[[], Stages]) -> None:
        self._make = make
        self._stages: Stages | None = None
        self._lock = threading.Lock()

    @property
    def batch_size(self) -> int:
        return self._stages.batch_size if self._stages is not None else 1

    def _get(self) -> Stages:
        with self._lock:
            if self._stages is None:
                try:
                    self._stages = self._make()
                except ColorSphereError as exc:
                    raise SetupError(str(exc)) from exc
            return self._stages

    def prepare(self, photo: Photo) -> np.ndarray:
        return self._get().prepare(photo)

    def predict_inputs(self, inputs: Sequence[np.ndarray], names: Sequence[str]) -> Sequence[Any]:
        return self._get().predict_inputs(inputs, names)

    def render(self, photo: Photo, ab: np.ndarray, strength: float, dtype: type[np.generic]) -> np.ndarray:
        return self._get().render(photo, ab, strength, dtype)

    def colorize(self, photo: Photo, strength: float) -> object:
        return self._get().colorize(photo, strength)


def stages_of(colorize: Callable[[Photo, float], object]) -> Stages | None:
    """The Stages behind `colorize` when it is such an object's own colorize method, else None."""
    owner = getattr(colorize, "__self__", None)
    return owner if getattr(colorize, "__name__", "") == "colorize" and isinstance(owner, Stages) else None


@dataclass
class _Admitted:
    """A photo that passed every check before colorizing, with what the network and the writer need."""

    index: int
    job: Job
    photo: Photo
    out: Path
    digest: str
    net_input: np.ndarray | None


def _lean(photo: Photo) -> Photo:
    """A grey scan saved as RGB travels on as its one channel: a third of the memory while it waits in
    the pipeline, the same output (Lab L of R = G = B is the L of that grey; the metadata is kept)."""
    grey = photo.grey_pixels
    if grey is None or photo.is_grey:
        return photo
    return Photo(path=photo.path, pixels=grey, alpha=photo.alpha, meta=photo.meta)


def _failure(job: Job, exc: BaseException, target: Path) -> FileResult:
    """The report line for an exception a user can act on; a set-up error, or anything else (a bug),
    propagates."""
    if isinstance(exc, SetupError):
        raise exc
    if isinstance(exc, DiskFullError):
        return FileResult(job.source, None, "failed", str(exc), stop_batch=True)
    if isinstance(exc, ColorSphereError):
        return FileResult(job.source, None, "failed", str(exc))
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return FileResult(
                job.source,
                None,
                "failed",
                f"disk full while writing {target}; free space or choose another destination",
                stop_batch=True,
            )
        return FileResult(job.source, None, "failed", f"{job.source}: {exc.strerror or exc}")
    if isinstance(exc, MemoryError):
        return FileResult(
            job.source,
            None,
            "failed",
            f"{job.source}: not enough memory for this image; close other programs and retry",
        )
    raise exc


_HANDLED = (ColorSphereError, OSError, MemoryError)


class BatchRunner:
    """Runs jobs through a colorize function, as a pipeline of three threads with bounded queues.

    A read thread hashes, decodes and checks the next photos; the calling thread runs the network; a
    write thread encodes the previous result. On a 2-core machine the codecs then run beside the
    network instead of in turn with it. When `colorize` is the colorize method of a Stages object (the
    CLI and the GUI pass engine.Colorizer's), its stages are used instead: the network input is made on
    the read thread, the network takes photos in pairs (engine.Colorizer runs them side by side), and
    the full-resolution merge runs on the write thread. Results, report and manifest still come in job
    order, on the calling thread.
    """

    def __init__(
        self,
        colorize: Callable[[Photo, float], object],
        settings: BatchSettings,
        on_result: Callable[[FileResult, int, int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.colorize = colorize
        self.stages = stages_of(colorize)
        self.settings = settings
        self.on_result = on_result or (lambda r, i, n: None)
        self.cancel = cancel or threading.Event()

    def run(self, jobs: list[Job], outdir: Path) -> BatchSummary:
        try:
            outdir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(
                f"{outdir}: cannot create the output folder ({exc.strerror}); "
                "choose a folder you can write to"
            ) from exc
        run = _Run(self, jobs, outdir)
        write_report(outdir, run.summary.results)
        run.go()
        return run.summary


class _Run:
    """One BatchRunner.run: the queues between the threads and the results delivered so far."""

    def __init__(self, runner: BatchRunner, jobs: list[Job], outdir: Path) -> None:
        self.runner, self.jobs, self.outdir = runner, jobs, outdir
        self.settings = runner.settings
        self.manifest = Manifest(outdir)
        self.summary = BatchSummary()
        self.reads: deque[tuple[int, Job, Future]] = deque()
        self.writes: deque[tuple[int, Future]] = deque()
        self.stopped = threading.Event()  # a failure that every later file would repeat (disk full)
        self.next_job = 0

    @property
    def batch(self) -> int:
        """Photos per network call; OnDemand stages know theirs only once made."""
        return self.runner.stages.batch_size if self.runner.stages else 1

    def go(self) -> None:
        with (
            ThreadPoolExecutor(1, thread_name_prefix="colorsphere-read") as self.reader,
            ThreadPoolExecutor(1, thread_name_prefix="colorsphere-write") as self.writer,
        ):
            try:
                self._loop()
            finally:
                for _, _, pending in self.reads:
                    pending.cancel()
                self._collect_writes(limit=0)

    def _loop(self) -> None:
        while not self.stopped.is_set():
            self._read_ahead()
            if not self.reads:
                return
            if self.runner.cancel.is_set():
                self.summary.cancelled = True
                return
            index, job, pending = self.reads.popleft()
            first = pending.result()
            if isinstance(first, FileResult):
                self._collect_writes(limit=0)  # earlier files are reported first
                self._deliver(index, first)
                continue
            batch = [first]
            # Waiting for the next read (a tenth of the network's time) beats running the network short.
            while len(batch) < self.batch and self.reads:
                item = self.reads[0][2].result()
                if not isinstance(item, _Admitted) or item.net_input.shape != first.net_input.shape:
                    break
                batch.append(item)
                self.reads.popleft()
            self._read_ahead()  # the next batch is read while this one is in the network
            self._colorize(batch)

    def _read_ahead(self) -> None:
        """Keep the read thread one batch ahead: enough to fill the next batch, little memory."""
        while self.next_job < len(self.jobs) and len(self.reads) < self.batch:
            job = self.jobs[self.next_job]
            self.reads.append((self.next_job, job, self.reader.submit(self._admit, self.next_job, job)))
            self.next_job += 1

    def _admit(self, index: int, job: Job) -> FileResult | _Admitted:
        """Read thread: everything that decides whether a photo is colorized, then its network input."""
        out: Path | None = None
        try:
            digest = file_digest(job.source)
            settings = self.settings
            current = self.manifest.current_output(job, digest, settings) if settings.resume else None
            if current is not None:
                return FileResult(job.source, current, "done", "up to date; not rewritten")
            may_skip = not job.explicit and not settings.include_colour
            if may_skip and settings.resume and (reason := self.manifest.skip_reason(job, digest)):
                return FileResult(job.source, None, "skipped", reason)
            photo = read_photo(job.source)
            if may_skip:
                tone = classify_tone(photo)
                if tone.kind == "colour":
                    reason = f"already in colour ({tone.reason}); use --include-colour to recolorize"
                    self.manifest.record_skip(job, digest, reason)
                    return FileResult(job.source, None, "skipped", reason)
            out = output_path(self.outdir / job.relative, output_format(photo, self.settings.fmt))
            if out.exists() and not (self.settings.overwrite or self.manifest.owns(out)):
                return FileResult(
                    job.source,
                    None,
                    "failed",
                    f"{out} already exists and was not written by ColorSphere; "
                    "move it away or use --overwrite",
                )
            stages, photo = self.runner.stages, _lean(photo)
            return _Admitted(index, job, photo, out, digest, stages.prepare(photo) if stages else None)
        except _HANDLED as exc:
            return _failure(job, exc, out or self.outdir)

    def _colorize(self, batch: list[_Admitted]) -> None:
        """Calling thread: the network (or the whole colorize function), then hand over to the writer."""
        for item, render in zip(batch, self._renders(batch), strict=True):
            self._collect_writes(limit=self.batch - 1)
            if isinstance(render, FileResult):
                self._collect_writes(limit=0)
                self._deliver(item.index, render)
            else:
                self.writes.append((item.index, self.writer.submit(self._write, item, render)))

    def _renders(self, batch: list[_Admitted]) -> list[Callable[[], np.ndarray] | FileResult]:
        """For each photo, what the writer calls for its pixels, or why it failed."""
        stages, strength = self.runner.stages, self.settings.strength
        if stages is None:
            renders: list[Callable[[], np.ndarray] | FileResult] = []
            for item in batch:
                try:
                    renders.append(partial(np.asarray, self.runner.colorize(item.photo, strength)))
                except _HANDLED as exc:
                    renders.append(_failure(item.job, exc, item.out))
            return renders
        try:
            names = [item.job.source.name for item in batch]
            predictions = stages.predict_inputs([item.net_input for item in batch], names)
        except _HANDLED as exc:
            return [_failure(item.job, exc, item.out) for item in batch]
        return [
            partial(stages.render, item.photo, p.ab, strength, output_dtype(item.photo, self.settings.fmt))
            for item, p in zip(batch, predictions, strict=True)
        ]

    def _write(self, item: _Admitted, render: Callable[[], np.ndarray]) -> FileResult | None:
        """Write thread: merge, encode, record. None when an earlier write has stopped the batch."""
        if self.stopped.is_set():
            return None
        job = item.job
        try:
            pixels = render()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", MetadataWarning)
                written = write_photo(pixels, item.photo, item.out, self.settings.fmt, overwrite=True)
            self.manifest.record(job, written, item.digest, self.settings)
            # catch_warnings is process-wide: keep only the writer's own, not another thread's
            notes = item.photo.meta.warnings + [
                str(w.message) for w in caught if issubclass(w.category, MetadataWarning)
            ]
            return FileResult(job.source, written, "done", "; ".join(notes))
        except _HANDLED as exc:
            result = _failure(job, exc, item.out)
            if result.stop_batch:
                self.stopped.set()
            return result

    def _collect_writes(self, limit: int) -> None:
        """Report finished writes in order, waiting until at most `limit` are still pending."""
        while self.writes and (len(self.writes) > limit or self.writes[0][1].done()):
            index, pending = self.writes.popleft()
            result = pending.result()
            if result is not None:
                self._deliver(index, result)

    def _deliver(self, index: int, result: FileResult) -> None:
        self.summary.results.append(result)
        write_report(self.outdir, self.summary.results)
        self.runner.on_result(result, index, len(self.jobs))
        if result.status == "failed" and result.stop_batch:
            self.summary.stopped_reason = result.message
            self.stopped.set()
