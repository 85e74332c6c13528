"""A photo's hints kept between sessions: one file per photo, named by the photo's content.

Keyed by a digest of the file's bytes rather than its path: a scan that is moved or renamed keeps its
hints, and another scan saved under the same name does not inherit them. The files use the sidecar
format of core/hints.py, so one can be copied out by hand and imported elsewhere. No Qt here: the
digest and the read run on worker threads, next to the photo's own read.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from colorsphere_gui.core.hints import SIDECAR_SUFFIX, Hint, HintsError, load_hints, save_hints
from colorsphere_gui.core.photo import Photo
from colorsphere_gui.models.weights import user_data_dir

CHUNK = 1 << 20


def content_key(path: Path) -> str:
    """The digest that names a photo's saved hints (BLAKE2b-160 of its bytes, as the batch record's)."""
    h = hashlib.blake2b(digest_size=20)
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


class HintedColorizer(Protocol):
    def colorize(self, photo: Photo, strength: float = 1.0, hints: Sequence[Hint] = ()) -> Any: ...


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

    def lookup(self, photo: Path) -> tuple[Hint, ...]:
        """The saved hints of a photo that is not open (the batch): points were checked against the
        photo when they were placed, and the engine checks them again against the pixels it reads."""
        path = self.path(content_key(photo))
        return tuple(load_hints(path, math.inf, math.inf)) if path.is_file() else ()

    def has_any(self) -> bool:
        return self.folder.is_dir() and any(self.folder.glob(f"*{SIDECAR_SUFFIX}"))

    def colorize_with(self, colorizer: HintedColorizer) -> Callable[[Photo, float], Any]:
        """For a batch: `colorizer.colorize` with each photo's saved points. With none saved at all it is
        the colorizer's own method, which the batch splits into overlapping read, network and write
        stages; with points, each photo goes through one colorize call."""
        if not self.has_any():
            return colorizer.colorize

        def colorize(photo: Photo, strength: float) -> Any:
            hints = self.lookup(photo.path) if photo.path is not None else ()
            return colorizer.colorize(photo, strength, hints=hints)

        return colorize

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
