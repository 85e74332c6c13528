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
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from colorsphere_gui.core.errors import ColorSphereError, DiskFullError, UsageError
from colorsphere_gui.core.monochrome import classify_tone
from colorsphere_gui.core.photo import SUPPORTED_EXTENSIONS, Photo, read_photo
from colorsphere_gui.core.writer import MetadataWarning, output_format, output_path, write_photo

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
    overwrite: bool = False

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


def discover(inputs: Iterable[Path], outdir: Path) -> list[Job]:
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
            for path in sorted(item.rglob("*")):
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
        try:
            self.entries: dict[str, dict] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.entries = {}

    def current_output(self, job: Job, digest: str, settings: BatchSettings) -> Path | None:
        """The output written earlier for this source, if source, settings and output are unchanged."""
        entry = self.entries.get(str(job.relative))
        if not entry or entry.get("source") != digest or entry.get("settings") != settings.key():
            return None
        output = Path(entry["output"])
        try:
            stat = output.stat()
        except OSError:
            return None
        return output if (stat.st_size, stat.st_mtime_ns) == (entry["size"], entry["mtime"]) else None

    def owns(self, output: Path) -> bool:
        return any(e.get("output") == str(output) for e in self.entries.values())

    def record(self, job: Job, output: Path, digest: str, settings: BatchSettings) -> None:
        stat = output.stat()
        self.entries[str(job.relative)] = {
            "output": str(output),
            "source": digest,
            "settings": settings.key(),
            "size": stat.st_size,
            "mtime": stat.st_mtime_ns,
        }
        _atomic_text(self.path, json.dumps(self.entries, indent=1, ensure_ascii=False))


def write_report(outdir: Path, results: list[FileResult]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["source", "output", "status", "message"])
    for r in results:
        writer.writerow([str(r.source), str(r.output) if r.output else "", r.status, r.message])
    _atomic_text(outdir / REPORT_NAME, buf.getvalue())


class BatchRunner:
    """Runs jobs through a colorize function; reads the next photo while the current one is colorized."""

    def __init__(
        self,
        colorize: Callable[[Photo, float], object],
        settings: BatchSettings,
        on_result: Callable[[FileResult, int, int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.colorize = colorize
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
        manifest = Manifest(outdir)
        summary = BatchSummary()
        write_report(outdir, summary.results)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="colorsphere-read") as pool:
            for i, (job, pending) in enumerate(self._read_ahead(pool, jobs)):
                if self.cancel.is_set():
                    summary.cancelled = True
                    pending.cancel()
                    break
                result = self._one(job, pending, outdir, manifest)
                summary.results.append(result)
                write_report(outdir, summary.results)
                self.on_result(result, i, len(jobs))
                if result.status == "failed" and result.stop_batch:
                    summary.stopped_reason = result.message
                    break
        return summary

    def _read_ahead(self, pool: ThreadPoolExecutor, jobs: list[Job]) -> Iterator[tuple[Job, Future]]:
        futures = [pool.submit(read_photo, jobs[0].source)] if jobs else []
        for i, job in enumerate(jobs):
            if i + 1 < len(jobs):
                futures.append(pool.submit(read_photo, jobs[i + 1].source))
            yield job, futures[i]
            futures[i] = None  # type: ignore[call-overload]

    def _one(self, job: Job, pending: Future, outdir: Path, manifest: Manifest) -> FileResult:
        out: Path | None = None
        try:
            digest = file_digest(job.source)
            current = manifest.current_output(job, digest, self.settings)
            if current is not None:
                return FileResult(job.source, current, "done", "up to date; not rewritten")
            photo = pending.result()
            if not job.explicit and not self.settings.include_colour:
                tone = classify_tone(photo)
                if tone.kind == "colour":
                    return FileResult(
                        job.source,
                        None,
                        "skipped",
                        f"already in colour ({tone.reason}); use --include-colour to recolorize",
                    )
            out = output_path(outdir / job.relative, output_format(photo, self.settings.fmt))
            if out.exists() and not (self.settings.overwrite or manifest.owns(out)):
                return FileResult(
                    job.source,
                    None,
                    "failed",
                    f"{out} already exists and was not written by ColorSphere; "
                    "move it away or use --overwrite",
                )
            rgb = self.colorize(photo, self.settings.strength)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", MetadataWarning)
                written = write_photo(rgb, photo, out, self.settings.fmt, overwrite=True)
            manifest.record(job, written, digest, self.settings)
            notes = photo.meta.warnings + [str(w.message) for w in caught]
            return FileResult(job.source, written, "done", "; ".join(notes))
        except DiskFullError as exc:
            return FileResult(job.source, None, "failed", str(exc), stop_batch=True)
        except ColorSphereError as exc:
            return FileResult(job.source, None, "failed", str(exc))
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                return FileResult(
                    job.source,
                    None,
                    "failed",
                    f"disk full while writing {out or outdir}; free space or choose another destination",
                    stop_batch=True,
                )
            return FileResult(job.source, None, "failed", f"{job.source}: {exc.strerror or exc}")
        except MemoryError:
            return FileResult(
                job.source,
                None,
                "failed",
                f"{job.source}: not enough memory for this image; close other programs and retry",
            )
