"""Finding the photos of a batch: files named directly, and every supported image under each folder.

Hidden files and folders (names starting with "."; macOS `._name` AppleDouble files, `.DS_Store`,
`.Trashes`) are the system's, not the user's photos: they are passed over without counting as
failures. What cannot be searched (a folder without read permission, a symbolic link to a folder,
which is not followed so that a link loop or a link into the output cannot make a batch endless) is
reported through `note`, never passed over in silence.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from colorsphere_gui.core.errors import UsageError
from colorsphere_gui.core.photo import SUPPORTED_EXTENSIONS

from .job import Job, shown


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def _hidden(name: str) -> bool:
    return name.startswith(".")


def _walk(folder: Path, recursive: bool, note: Callable[[str], None], prune: Path) -> Iterable[Path]:
    """Supported, visible files under folder in a stable order (sorted by name at each level); the
    folder `prune` (the output folder) is not entered."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        note(f"{shown(folder)}: cannot be searched ({exc.strerror}); its photos are not in this batch")
        return
    subfolders = []
    for entry in entries:
        if _hidden(entry.name):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                subfolders.append(Path(entry.path))
            elif entry.is_symlink() and entry.is_dir():
                note(
                    f"{shown(entry.path)}: a link to a folder, not followed; "
                    "name the folder it points to if its photos belong in this batch"
                )
            elif Path(entry.name).suffix.lower() in SUPPORTED_EXTENSIONS and entry.is_file():
                yield Path(entry.path)
        except OSError as exc:
            note(f"{shown(entry.path)}: cannot be read ({exc.strerror}); it is not in this batch")
    if recursive:
        for sub in subfolders:
            if sub.resolve() != prune:
                yield from _walk(sub, recursive, note, prune)


def discover(
    inputs: Iterable[Path],
    outdir: Path,
    recursive: bool = True,
    note: Callable[[str], None] | None = None,
) -> list[Job]:
    """Files named directly, plus every supported image under each folder (recursively).

    An output folder inside a source folder is never read back as input; an output folder equal to a
    source folder, or one that holds a source folder, is refused before anything is written.
    """
    note = note or (lambda message: None)
    out = outdir.resolve()
    jobs: list[Job] = []
    seen: set[Path] = set()  # a photo reached twice (named and inside a named folder) is one job

    def add(job: Job) -> None:
        where = job.source.parent.resolve() / job.source.name
        if where not in seen:
            seen.add(where)
            jobs.append(job)

    for item in inputs:
        if not item.exists():
            raise UsageError(f"{shown(item)}: no such file or folder; check the path")
        if item.is_dir():
            folder = item.resolve()
            if folder == out:
                raise UsageError(
                    f"{shown(item)}: the output folder is the source folder; choose another output "
                    "folder so that no source can be overwritten"
                )
            if _inside(folder, out):
                raise UsageError(
                    f"{shown(outdir)}: the output folder contains the source folder {shown(item)}; "
                    "choose an output folder outside it, so that results and scans stay apart"
                )
            for path in _walk(item, recursive, note, out):
                if not _inside(path.resolve(), out):
                    add(Job(path, path.relative_to(item), explicit=False))
        else:
            add(Job(item, Path(item.name), explicit=True))
    return jobs
