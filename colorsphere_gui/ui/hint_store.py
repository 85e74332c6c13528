"""A photo's hints kept between sessions: one file per photo, named by the photo's content.

Keyed by a digest of the file's bytes rather than its path: a scan that is moved or renamed keeps its
hints, and another scan saved under the same name does not inherit them. The files use the sidecar
format of core/hints.py, so one can be copied out by hand and imported elsewhere. No Qt here: the
digest and the read run on worker threads, next to the photo's own read.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from colorsphere_gui.batch import file_digest
from colorsphere_gui.core.hints import SIDECAR_SUFFIX, Hint, HintsError, load_hints, save_hints, sidecar_name
from colorsphere_gui.models.weights import user_data_dir


def content_key(path: Path) -> str:
    """The digest that names a photo's saved hints: the batch record's digest of the file's bytes."""
    return file_digest(Path(path))


@dataclass(frozen=True)
class SavedHints:
    """What the store holds for one photo; `problem` says why a saved file could not be used."""

    key: str
    hints: tuple[Hint, ...] = ()
    problem: str = ""


class HintStore:
    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder

    @property
    def folder(self) -> Path:
        """Resolved on use, so that COLORSPHERE_HOME set after start-up (tests) is honoured."""
        return self._folder if self._folder is not None else user_data_dir() / "hints"

    def path(self, key: str) -> Path:
        return self.folder / f"{key}{SIDECAR_SUFFIX}"

    def read(self, photo: Path, size: tuple[int, int]) -> SavedHints:
        """The hints saved for this photo's content (none if never saved). A damaged saved file is
        reported, not raised: the photo must still open."""
        key = content_key(photo)
        path = self.path(key)
        if not path.is_file():
            return SavedHints(key)
        try:
            return SavedHints(key, tuple(load_hints(path, *size)))
        except HintsError as exc:
            return SavedHints(key, (), f"The saved hints of {photo.name} could not be used ({exc}).")

    def has_any(self) -> bool:
        return self.folder.is_dir() and any(self.folder.glob(f"*{SIDECAR_SUFFIX}"))

    def lay_out(self, photos: Iterable[tuple[Path, Path]], folder: Path) -> int:
        """The saved points of each (source, path relative to the batch's inputs) as the batch's hints
        folder wants them: `folder / relative's folder / <photo file name>.hints.json`. A damaged saved
        file is copied as it is, so that the batch reports that photo's failure rather than colorizing it
        without its points. Returns how many photos have a file there."""
        laid = 0
        for source, relative in photos:
            saved = self.path(content_key(source))
            if saved.is_file():
                dest = folder / relative.parent / sidecar_name(relative.name)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(saved, dest)
                laid += 1
        return laid

    def write(self, key: str, hints: Sequence[Hint]) -> None:
        """Keep the photo's hints; none left removes its file. Raises HintsError when it cannot write."""
        path = self.path(key)
        if not hints:
            path.unlink(missing_ok=True)
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HintsError(f"cannot create {self.folder} to keep the hints: {exc}") from None
        save_hints(path, hints)
