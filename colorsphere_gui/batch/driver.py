"""One job description, several runners: everything about a batch that is not colorizing.

BatchJob is made on the driver (the CLI process, the GUI's worker thread, Ray's driver) and decides,
with the same code for every runner: which sources there are, what each output is called (collisions
resolved), which sources are up to date or already known to be in colour, which existing files may be
replaced, and what is recorded and reported. A runner only turns "colorize this source into this
temporary file" into work and hands the file back through `commit`, which records it as pending,
renames it into place and records it as done. Session and Runner (below) are the contract a runner
follows.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from stat import S_ISREG
from typing import Protocol

from filelock import FileLock, Timeout
from PIL import Image

from colorsphere_gui.core.errors import ColorSphereError, DiskFullError, UsageError
from colorsphere_gui.core.hints import hints_digest, load_hints, sidecar_name
from colorsphere_gui.core.monochrome import ToneReport, classify_tone
from colorsphere_gui.core.photo import Photo
from colorsphere_gui.core.provenance import SOFTWARE
from colorsphere_gui.core.writer import fsync_folder, temp_name

from . import naming
from .job import BatchSettings, BatchSummary, FileResult, Job, Task, shown
from .record import LEGACY_MANIFEST_NAME, RECORD_NAME, OutputEntry, Record, SourceRow, legacy_settings, now
from .report import REPORT_NAME, read_report, write_report

LOCK_NAME = ".colorsphere-record.lock"
EXIF_SOFTWARE = 0x0131
# Temporary names of the writer and of commit: hidden, a 12-digit hex token, ".part" (+ the suffix).
_PART = re.compile(r"^\..+\.[0-9a-f]{12}\.part(\.[A-Za-z0-9]+)?$")
_LEGACY_PARTS = (f".{LEGACY_MANIFEST_NAME}.part", ".colorsphere-report.csv.part")
_PROBE = ".colorsphere-probe-"
WAITING = "not reached yet: the batch stopped before this photo; run the same batch again to go on"


class SetupError(ColorSphereError):
    """The colorizer itself could not be made (weights missing, no such device): every photo would fail
    the same way, so the batch stops and the front end reports a set-up error, not a file's failure."""


def file_digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=20)
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def rename_into_place(temp: Path, final: Path) -> None:
    """The one moment an output appears under its final name (a test hook can stop the process here)."""
    os.replace(temp, final)
    fsync_folder(final.parent)


def made_by_colorsphere(path: Path) -> bool:
    """Whether the file's own Software tag (EXIF, TIFF, PNG text; core/provenance.py) names ColorSphere."""
    try:
        with Image.open(path) as im:
            software = im.info.get("Software") or im.getexif().get(EXIF_SOFTWARE) or ""
    except Exception:  # any file Pillow cannot read is simply not known to be ours
        return False
    return str(software).startswith(SOFTWARE.split()[0])


def _read_only(exc: OSError) -> bool:
    return exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)


class BatchJob:
    """A batch's description and bookkeeping, made on the driver; use as a context manager (it holds
    the output folder's lock and record from __enter__ to __exit__). Thread-safe."""

    def __init__(
        self,
        jobs: list[Job],
        outdir: Path,
        settings: BatchSettings,
        note: Callable[[str], None] | None = None,
    ) -> None:
        self.jobs, self.outdir, self.settings = jobs, outdir, settings
        self.note = note or (lambda message: None)
        self.tasks: list[Task] = []
        self.record: Record | None = None
        self._lock: FileLock | None = None

    # ----- opening: lock, record, recovery, names -----
    def __enter__(self) -> BatchJob:
        try:
            self._open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> None:
        out = self.outdir
        try:
            out.mkdir(parents=True, exist_ok=True)
            probe = out / f"{_PROBE}{secrets.token_hex(6)}"
            probe.touch(exist_ok=False)
            probe.unlink()
        except OSError as exc:
            why = "it is read-only" if _read_only(exc) else exc.strerror
            raise UsageError(
                f"{shown(out)}: cannot write into the output folder ({why}); choose a folder you can write to"
            ) from exc
        self._lock = FileLock(out / LOCK_NAME, timeout=0)
        try:
            self._lock.acquire()
        except Timeout:
            self._lock = None
            raise UsageError(
                f"{shown(out)}: another ColorSphere batch is writing into this folder; wait until it has "
                "finished, or choose another output folder"
            ) from None
        self.record = Record.open(out, self.note)
        legacy = out / LEGACY_MANIFEST_NAME
        if self.record.created and not legacy.exists() and (out / REPORT_NAME).exists():
            self.note(f"{shown(out / RECORD_NAME)}: the job record is missing; rebuilt from the last report")
            self.record.rebuilt = True
        if self.record.rebuilt:
            self._rebuild()
        if legacy.exists():
            self._migrate(legacy)
        self._recover_pending()
        record = self.record
        self.tasks = naming.plan(self.jobs, out, self.settings.fmt, record.name_for, record.claimed_by_other)
        record.remember_names([(t.key, t.base, t.output_rel) for t in self.tasks])
        record.add_waiting([t.key for t in self.tasks], WAITING)
        self._clean_parts()

    def close(self) -> None:
        if self.record is not None:
            self.record.close()
            self.record = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _recover_pending(self) -> None:
        """Outputs a killed run was renaming: adopted when the file is there and is the one recorded,
        else their temporary file is removed and the photo is simply done again."""
        for entry, tmp in self.record.pending():
            try:
                adopt = entry.matches((self.outdir / entry.path).stat())
            except OSError:
                adopt = False
            if adopt:
                self.record.set_done(entry)
                self.record.set_source(
                    SourceRow(entry.source_key, entry.path, "done", "", entry.digest, entry.settings, now())
                )
            else:
                (self.outdir / tmp).unlink(missing_ok=True)
                self.record.drop_pending(entry.path)

    def _clean_parts(self, left_by: str = "an interrupted earlier run") -> None:
        """Hidden temporary files that killed runs, or workers killed in this one, left anywhere in the
        output folder (no other run can be writing there: the lock is held). Links to folders are not
        followed."""
        removed = 0
        for folder, _, files in os.walk(self.outdir):
            for name in files:
                if _PART.match(name) or name in _LEGACY_PARTS or name.startswith(_PROBE):
                    path = os.path.join(folder, name)
                    with contextlib.suppress(OSError):
                        if not os.path.islink(path):
                            os.unlink(path)
                            removed += 1
        if removed:
            self.note(f"removed {removed} temporary file(s) left by {left_by}")

    def _migrate(self, legacy: Path) -> None:
        """The JSON manifest of earlier versions: its finished outputs, where the file on disk is still
        the one it describes (same size and modification time), become records."""
        migrated = 0
        try:
            entries = json.loads(legacy.read_text(encoding="utf-8", errors="surrogateescape"))
            items = list(entries.items()) if isinstance(entries, dict) else []
        except (OSError, ValueError):
            items = []
        out = self.outdir.resolve()
        for _, entry in items:
            try:
                found = self._legacy_output(Path(entry["output"]), entry["size"], entry["mtime"])
                if found is None:
                    continue
                stat = found.stat()
                rel = found.relative_to(out).as_posix()
                settings = legacy_settings(entry["settings"], rel)
                self.record.set_done(
                    OutputEntry(rel, "", entry["source"], settings, stat.st_size, stat.st_mtime_ns)
                )
                migrated += 1
            except (KeyError, TypeError, ValueError, OSError):
                continue
        legacy.replace(legacy.with_name(f"{LEGACY_MANIFEST_NAME}.migrated"))
        self.note(
            f"{shown(legacy)}: an earlier version's manifest; {migrated} finished photo(s) carried "
            "into the job record"
        )

    def _legacy_output(self, typed: Path, size: int, mtime: int) -> Path | None:
        """The output a manifest entry names, typed relative to an unknown working directory: the
        path as it stands, or its shortest tail that is a file in the output folder of that size and time."""
        out = self.outdir.resolve()
        candidates = [typed] if typed.is_absolute() else [Path.cwd() / typed]
        parts = typed.parts
        candidates += [out.joinpath(*parts[i:]) for i in range(len(parts) - 1, -1, -1) if parts[i:]]
        for path in candidates:
            try:
                stat = path.stat()
                resolved = path.resolve()
                resolved.relative_to(out)
            except (OSError, ValueError):
                continue
            if (stat.st_size, stat.st_mtime_ns) == (size, mtime):
                return resolved
        return None

    def _rebuild(self) -> None:
        """A new record after a damaged one, from the last report: every source comes back with its
        status, and an output reported done that is still there is ours again (with the reported source
        hash and settings, so it counts as up to date only while its source is unchanged)."""
        for row in read_report(self.outdir):
            key, output, status = row.get("source", ""), row.get("output", ""), row.get("status", "")
            digest, message = row.get("source_blake2b", ""), row.get("message", "")
            if not key or not status or "source_blake2b" not in row:  # none, or an earlier version's
                continue
            settings = ""
            with contextlib.suppress(ValueError, KeyError):
                reported = BatchSettings(model=row["model"], strength=float(row["strength"]))
                settings = reported.key(naming.container_of_output(output))
            if status == "done":
                try:
                    stat = (self.outdir / output).stat() if output and settings else None
                except OSError:
                    stat = None
                if stat is None:
                    status, output = "failed", ""
                    message = "its output was missing when the job record was rebuilt; run again"
                else:
                    entry = OutputEntry(output, key, digest, settings, stat.st_size, stat.st_mtime_ns)
                    self.record.set_done(entry)
            self.record.set_source(
                SourceRow(key, output, status, message, digest, settings, row.get("updated", ""))
            )

    # ----- deciding, per task (any thread) -----
    def settings_key(self, task: Task) -> str:
        return self.settings.key(task.container, hints_digest(task.hints))

    def read_hints(self, task: Task) -> None:
        """task.hints from `<photo file name>.hints.json` in the hints folder, laid out like the inputs
        (a photo named directly: beside its name). No file: no hints. The points are checked against
        the photo's size once it is decoded (runner)."""
        if self.settings.hints_dir is None:
            return
        rel = task.job.relative
        path = self.settings.hints_dir / rel.parent / sidecar_name(rel.name)
        if path.is_file():
            task.hints, task.hints_file = tuple(load_hints(path, None, None)), path

    def screen(self, task: Task) -> FileResult | None:
        """Before decoding: hashes the source (task.digest), reads its hints, and returns the result when
        the photo needs no work (up to date, known to be in colour) or must not be written (its output is
        someone else's); None when it is to be colorized. Raises what `failure` turns into a report line."""
        if not S_ISREG(os.stat(task.source).st_mode):  # a named pipe or device would block the read
            return FileResult(
                task.source, None, "failed", f"{shown(task.source)}: not a regular file; name a photo file"
            )
        task.digest = file_digest(task.source)
        self.read_hints(task)
        settings, record = self.settings, self.record
        if settings.resume:
            entry = record.output(task.output_rel)
            if entry and entry.digest == task.digest and entry.settings == self.settings_key(task):
                try:
                    if entry.matches(task.output.stat()):
                        return FileResult(task.source, task.output, "done", "up to date; not rewritten")
                except OSError:
                    pass
            may_skip = not task.job.explicit and not settings.include_colour
            if may_skip and (reason := record.tone(task.digest)):
                return FileResult(task.source, None, "skipped", reason)
        try:
            stat = task.output.stat()
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return FileResult(task.source, None, "failed", self._in_the_way(task))
        if os.path.samefile(task.output, task.source):
            return FileResult(
                task.source,
                None,
                "failed",
                f"{shown(task.output)}: this is the source photo, which is never overwritten; "
                "choose another output folder",
            )
        if settings.overwrite:
            return None
        entry = record.output(task.output_rel)
        if entry is not None and entry.matches(stat):
            return None
        if entry is None and record.rebuilt and made_by_colorsphere(task.output):
            return None  # the record that knew it is lost, but the file says who made it
        why = "was changed since ColorSphere wrote it" if entry else "was not written by ColorSphere"
        return FileResult(
            task.source,
            None,
            "failed",
            f"{shown(task.output)} already exists and {why}; move it away or use --overwrite",
        )

    def _in_the_way(self, task: Task) -> str:
        """The message for an output whose folder is taken by a file of the same name (out/sub is a file
        where the source's subfolder sub/ must be mirrored)."""
        blocker = next((p for p in task.output.parents if p.exists() and not p.is_dir()), task.output.parent)
        return (
            f"{shown(blocker)} is a file, so the folder for {shown(task.output)} cannot be made there; "
            "move that file away or choose another output folder"
        )

    def needs_tone(self, task: Task) -> bool:
        """Whether a colour photo would be skipped: only those found in a folder, without --include-colour."""
        return not task.job.explicit and not self.settings.include_colour

    def judge_tone(self, task: Task, tone: ToneReport) -> FileResult | None:
        """The skip for a photo classify_tone found to be in colour (remembered by content), else None."""
        if not self.needs_tone(task) or tone.kind != "colour":
            return None
        reason = f"already in colour ({tone.reason}); use --include-colour to recolorize"
        self.record.set_tone(task.digest, reason)
        return FileResult(task.source, None, "skipped", reason)

    def classify(self, task: Task, photo: Photo) -> FileResult | None:
        """After decoding, where the photo is at hand: judge_tone of classify_tone (only when needed)."""
        return self.judge_tone(task, classify_tone(photo)) if self.needs_tone(task) else None

    def temp_for(self, task: Task) -> Path:
        """A unique hidden name beside the output, with its suffix (the writer keeps a matching one)."""
        out = task.output
        return out.with_name(temp_name(out.stem, out.suffix))

    def commit(self, task: Task, temp: Path, notes: Iterable[str] = ()) -> FileResult:
        """temp holds the finished output: record it as pending, rename it into place, record it as done.
        A kill between any two steps leaves a state the next run recognises (see _recover_pending)."""
        stat = temp.stat()
        entry = OutputEntry(
            task.output_rel, task.key, task.digest, self.settings_key(task), stat.st_size, stat.st_mtime_ns
        )
        self.record.set_pending(entry, os.path.relpath(temp, self.outdir))
        rename_into_place(temp, task.output)
        self.record.set_done(entry)
        return FileResult(task.source, task.output, "done", "; ".join(notes))

    def discard(self, temp: Path) -> None:
        temp.unlink(missing_ok=True)

    def failure(self, task: Task, exc: BaseException) -> FileResult:
        """The report line for an exception a user can act on; a set-up error, or anything else (a bug),
        propagates."""
        source = task.source
        if isinstance(exc, SetupError):
            raise exc
        if isinstance(exc, DiskFullError):
            return FileResult(source, None, "failed", str(exc), stop_batch=True)
        if isinstance(exc, ColorSphereError):
            return FileResult(source, None, "failed", str(exc))
        if isinstance(exc, OSError):
            if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
                return FileResult(
                    source,
                    None,
                    "failed",
                    f"disk full while writing {shown(task.output)}; free space or choose another destination",
                    stop_batch=True,
                )
            return FileResult(source, None, "failed", f"{shown(source)}: {exc.strerror or exc}")
        if isinstance(exc, MemoryError):
            return FileResult(
                source,
                None,
                "failed",
                f"{shown(source)}: not enough memory for this image; close other programs and retry",
            )
        raise exc

    # ----- recording, on the driver -----
    def record_result(self, task: Task, result: FileResult) -> None:
        """The source's row in the record: one transaction."""
        self.record.set_source(
            SourceRow(
                task.key,
                task.output_rel if result.status == "done" else "",
                result.status,
                result.message,
                task.digest,
                self.settings_key(task),
                now(),
            )
        )

    def finish(self, summary: BatchSummary) -> None:
        """The report, exported from the whole record; a failure to write it becomes the summary's
        stopped_reason (one line) rather than an exception, so the lock is still released cleanly.
        Before it, the folder is swept again: a worker killed while encoding (a Ray node lost, a stop)
        leaves its writer's own temporary file, whose name only that worker knew."""
        self._clean_parts("a worker stopped while writing")
        try:
            summary.report = write_report(self.record, self.outdir)
        except ColorSphereError as exc:
            summary.stopped_reason = summary.stopped_reason or str(exc)


HANDLED = (ColorSphereError, OSError, MemoryError)


class Session:
    """What a runner is given: the job (its tasks, screen/classify/commit/failure), the stop signals,
    and `deliver`, to be called on the driver exactly once per task the runner took on."""

    def __init__(
        self,
        job: BatchJob,
        on_result: Callable[[FileResult, int, int], None],
        cancel: threading.Event,
    ) -> None:
        self.job, self.on_result, self.cancel = job, on_result, cancel
        self.stopped = threading.Event()  # a fault every later file would repeat (disk full)
        self.summary = BatchSummary()

    @property
    def halted(self) -> bool:
        """Take on no new task: the user stopped the batch, or a fault stopped it."""
        return self.cancel.is_set() or self.stopped.is_set()

    def deliver(self, task: Task, result: FileResult) -> None:
        self.summary.results.append(result)
        try:
            self.job.record_result(task, result)
        except ColorSphereError as exc:
            result = FileResult(result.source, result.output, result.status, result.message, stop_batch=True)
            self.summary.stopped_reason = str(exc)
            self.stopped.set()
        self.on_result(result, task.index, len(self.job.tasks))
        if result.status == "failed" and result.stop_batch:
            self.summary.stopped_reason = self.summary.stopped_reason or result.message
            self.stopped.set()


class Runner(Protocol):
    """Turns the session's tasks into work (local threads, Ray actors) and delivers each result."""

    def run(self, session: Session) -> None: ...


def run_batch(
    jobs: list[Job],
    outdir: Path,
    settings: BatchSettings,
    runner: Runner,
    on_result: Callable[[FileResult, int, int], None] | None = None,
    cancel: threading.Event | None = None,
    note: Callable[[str], None] | None = None,
) -> BatchSummary:
    """The whole batch on one runner: open (lock, record, names), run, and always finish (report)."""
    cancel = cancel or threading.Event()
    with BatchJob(jobs, outdir, settings, note) as job:
        session = Session(job, on_result or (lambda r, i, n: None), cancel)
        try:
            runner.run(session)
        finally:
            session.summary.cancelled = cancel.is_set() and len(session.summary.results) < len(job.tasks)
            job.finish(session.summary)
    return session.summary
