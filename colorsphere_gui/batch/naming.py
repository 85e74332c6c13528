"""Output names, decided before any work: the container of each output and distinct names when two
sources would land on one file.

Two sources that map to one output name (A/photo.png and B/photo.png named together; scan.png beside
scan.bmp, whose output is a PNG; any mix with --format) get distinct names: a source already named so
keeps the name (scan.png), else the first in the order of their record keys; the next become
`photo (2).png`, `photo (3).png`. The choice is
kept in the record, so a re-run gives every source the same name again, also when a source is added.
Names are compared case-insensitively, as macOS and Windows folders do.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from colorsphere_gui.core.writer import output_format, output_path

from .job import Job, Task

# What read_photo reports as the format, told from the first bytes: the output's container depends on
# it (BMP becomes PNG), and it must be known before anything is decoded.
_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"II+\x00", "TIFF"),
    (b"MM\x00+", "TIFF"),
    (b"BM", "BMP"),
)
_BY_SUFFIX = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".png": "PNG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".bmp": "BMP",
    ".webp": "WEBP",
}


class _Format:
    """Just enough of a Photo for writer.output_format: its meta.format."""

    def __init__(self, fmt: str) -> None:
        self.meta = self
        self.format = fmt


def source_format(path: Path) -> str:
    """The source's format from its first bytes, else from its suffix (a broken file fails later, when
    it is read, with the reader's message)."""
    try:
        with path.open("rb") as f:
            head = f.read(12)
    except OSError:
        head = b""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    for magic, fmt in _MAGIC:
        if head.startswith(magic):
            return fmt
    return _BY_SUFFIX.get(path.suffix.lower(), "PNG")


def container_for(path: Path, fmt: str | None) -> str:
    return output_format(_Format(source_format(path)), fmt)  # type: ignore[arg-type]


def container_of_output(name: str) -> str:
    """The container an output name stands for (its suffix)."""
    fmt = _BY_SUFFIX.get(PurePosixPath(name).suffix.lower(), "PNG")
    return "PNG" if fmt == "BMP" else fmt


def record_key(path: Path, outdir: Path) -> str:
    """The source's path relative to the output folder ("../scans/a.jpg"): the same from any working
    directory and for any spelling of -o, and still right when both folders move together."""
    rel = os.path.relpath(path.parent.resolve() / path.name, outdir.resolve())
    return PurePosixPath(*Path(rel).parts).as_posix()


def folded(rel: str) -> str:
    return rel.casefold()


def numbered(base: str, n: int) -> str:
    """photo.png -> photo (n).png"""
    p = PurePosixPath(base)
    return str(p.with_name(f"{p.stem} ({n}){p.suffix}")) if n > 1 else base


def plan(
    jobs: list[Job],
    outdir: Path,
    fmt: str | None,
    remembered: Callable[[str, str], str | None],
    claimed_by_other: Callable[[str, str], bool],
) -> list[Task]:
    """Tasks with distinct outputs. remembered(key, base) is the name the record gave this source for
    this base name before; claimed_by_other(output, key) says whether the record gives it to another
    source. Jobs named twice (the same file through two inputs) are kept once."""
    seen: set[str] = set()
    tasks: list[Task] = []
    for job in jobs:
        key = record_key(job.source, outdir)
        if key in seen:
            continue
        seen.add(key)
        container = container_for(job.source, fmt)
        base = PurePosixPath(*output_path(job.relative, container).parts).as_posix()
        tasks.append(Task(len(tasks), job, key, outdir / base, base, container, base=base))
    taken: set[str] = set()
    named: set[int] = set()
    # Names the record already gave keep priority, so that a new source never takes an old one's name.
    for task in tasks:
        name = remembered(task.key, task.base)
        if name is not None and folded(name) not in taken:
            taken.add(folded(name))
            named.add(task.index)
            task.output_rel, task.output = name, outdir / name
    # A source whose own name is the output name (scan.png beside scan.bmp) keeps it.
    for task in sorted(tasks, key=lambda t: (t.base != t.job.relative.as_posix(), t.key)):
        if task.index in named:
            continue
        n = 1
        while folded(numbered(task.base, n)) in taken or claimed_by_other(numbered(task.base, n), task.key):
            n += 1
        name = numbered(task.base, n)
        taken.add(folded(name))
        task.output_rel, task.output = name, outdir / name
    return tasks
