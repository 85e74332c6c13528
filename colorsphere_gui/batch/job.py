"""What a batch is made of: a source and where it goes, the settings, one file's result, the summary.

Plain data shared by the driver (discovery, record, report) and every runner (local threads, Ray).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from colorsphere_gui.core.hints import Hint
from colorsphere_gui.models.registry import MODELS

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_STOPPED = 0, 1, 2, 130


def shown(text: str | os.PathLike) -> str:
    """text as it can be printed and stored as UTF-8: bytes of a non-UTF-8 file name become \\xNN."""
    return os.fsencode(text).decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class Job:
    """One source file and where its result goes, relative to the output folder (before the suffix of
    the output format is applied and before collisions are resolved)."""

    source: Path
    relative: Path
    explicit: bool  # named on the command line (always colorized) rather than found in a folder


@dataclass
class Task:
    """A Job as the driver planned it: the record's key for the source and the final output name.

    `key` is the source's path relative to the output folder and `output_rel` the output's, both with
    "/" separators, so that neither depends on the working directory or on how -o was spelled.
    `digest` (the source's content hash) is filled in by BatchJob.screen.
    """

    index: int
    job: Job
    key: str
    output: Path
    output_rel: str
    container: str  # "PNG", "JPEG", "TIFF" or "WEBP": what the writer is asked for
    base: str = ""  # output_rel before a collision was resolved ("photo.png" for "photo (2).png")
    digest: str = ""
    hints: tuple[Hint, ...] = ()  # from the --hints folder, read by BatchJob.screen
    hints_file: Path | None = None

    @property
    def source(self) -> Path:
        return self.job.source


@dataclass
class FileResult:
    source: Path
    output: Path | None
    status: str  # done | skipped | failed (the report also has waiting: not reached by any run yet)
    message: str = ""
    stop_batch: bool = False  # the failure will repeat for every later file (disk full)

    def __post_init__(self) -> None:
        self.message = shown(self.message)


@dataclass
class BatchSettings:
    model: str
    fmt: str | None = None
    include_colour: bool = False
    strength: float = 1.0
    overwrite: bool = False  # replace files in the output folder that ColorSphere did not write
    resume: bool = True  # skip photos whose output is up to date; False colorizes everything again
    hints_dir: Path | None = None  # <photo file name>.hints.json files laid out like the inputs

    def key(self, container: str, hints: str = "") -> str:
        """What makes an output up to date, besides the source's content. The container, not --format:
        `--format png` on a PNG scan gives the same file as no --format at all. `hints`: the digest of
        the photo's hints (core.hints.hints_digest), so that changed hints redo the photo; a photo
        without hints keeps the key it always had."""
        key: dict[str, object] = {"model": self.model, "strength": self.strength, "container": container}
        if hints:
            key["hints"] = hints
        spec = MODELS.get(self.model)
        if spec is not None and spec.revision:  # new colours from the same model name redo its outputs
            key["revision"] = spec.revision
        return json.dumps(key, sort_keys=True)


@dataclass
class BatchSummary:
    results: list[FileResult] = field(default_factory=list)
    cancelled: bool = False  # stopped by the user (Cancel, Ctrl-C, SIGTERM)
    stopped_reason: str = ""  # stopped by a fault every later file would repeat (disk full)
    report: Path | None = None

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def exit_code(self) -> int:
        """0 all done, 1 some files failed (or a fault stopped the batch), 130 stopped by the user."""
        if self.cancelled:
            return EXIT_STOPPED
        return EXIT_FAILED if self.count("failed") or self.stopped_reason else EXIT_OK
