"""The local runner: the batch as a pipeline of threads on this machine.

A read thread hashes, decodes and checks the next photos; the calling thread runs the network; a write
thread encodes the previous result into a temporary file, which the job then commits into place. On a
2-core machine the codecs then run beside the network instead of in turn with it. When `colorize` is
the colorize method of a Stages object (the CLI and the GUI pass engine.Colorizer's), its stages are
used: the network input is made on the read thread, the network takes photos in pairs (engine.Colorizer
runs them side by side), and the full-resolution merge runs on the write thread. Results are delivered
in job order, on the calling thread.
"""

from __future__ import annotations

import threading
import warnings
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from colorsphere_gui.core.errors import ColorSphereError
from colorsphere_gui.core.hints import validate
from colorsphere_gui.core.photo import Photo, read_photo
from colorsphere_gui.core.provenance import Provenance
from colorsphere_gui.core.writer import MetadataWarning, output_dtype, write_photo

from .driver import HANDLED, Session, SetupError, run_batch
from .job import BatchSettings, BatchSummary, FileResult, Job, Task, shown


@runtime_checkable
class Stages(Protocol):
    """A colorizer split into the steps that LocalRunner overlaps (engine.Colorizer is one).

    `prepare` runs on the read thread, `predict_inputs` on the calling thread (up to `batch_size`
    photos of one input size at once), `render` on the write thread, straight into the output's
    integer depth. Photos with hints (`colorize --hints`) also need `prepare_hints(photo, hints)` on
    the read thread and `predict_inputs(inputs, names, hint_inputs)`, as engine.Colorizer has them.
    """

    batch_size: int

    def prepare(self, photo: Photo) -> np.ndarray: ...

    def predict_inputs(self, inputs: Sequence[np.ndarray], names: Sequence[str]) -> Sequence[Any]: ...

    def render(
        self, photo: Photo, ab: np.ndarray, strength: float, dtype: type[np.generic]
    ) -> np.ndarray: ...


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

    def prepare_hints(self, photo: Photo, hints: Sequence[Any]) -> Any:
        return self._get().prepare_hints(photo, hints)

    def predict_inputs(
        self, inputs: Sequence[np.ndarray], names: Sequence[str], *hints: Any
    ) -> Sequence[Any]:
        return self._get().predict_inputs(inputs, names, *hints)

    def render(self, photo: Photo, ab: np.ndarray, strength: float, dtype: type[np.generic]) -> np.ndarray:
        return self._get().render(photo, ab, strength, dtype)

    def colorize(self, photo: Photo, strength: float, **hints: Any) -> object:
        return self._get().colorize(photo, strength, **hints)


def stages_of(colorize: Callable[[Photo, float], object]) -> Stages | None:
    """The Stages behind `colorize` when it is such an object's own colorize method, else None."""
    owner = getattr(colorize, "__self__", None)
    return owner if getattr(colorize, "__name__", "") == "colorize" and isinstance(owner, Stages) else None


@dataclass
class _Admitted:
    """A photo that passed every check before colorizing, with what the network and the writer need."""

    task: Task
    photo: Photo
    net_input: np.ndarray | None
    hint_input: Any = None  # stages.prepare_hints of the task's hints, None for none


def _lean(photo: Photo) -> Photo:
    """A grey scan saved as RGB travels on as its one channel: a third of the memory while it waits in
    the pipeline, the same output (Lab L of R = G = B is the L of that grey; the metadata is kept)."""
    grey = photo.grey_pixels
    if grey is None or photo.is_grey:
        return photo
    return Photo(path=photo.path, pixels=grey, alpha=photo.alpha, meta=photo.meta)


def encode_temp(
    task: Task, photo: Photo, pixels: np.ndarray, temp: Path, provenance: Provenance
) -> list[str]:
    """The output encoded into `temp`, with the record of how it was made; what the writer could not
    keep (alpha in JPEG...), as notes naming the output rather than the temporary file. Used by every
    runner, on this machine or on a Ray node."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MetadataWarning)
        write_photo(pixels, photo, temp, task.container.lower(), provenance=provenance)
    # catch_warnings is process-wide: keep only the writer's own, not another thread's
    return photo.meta.warnings + [
        str(w.message).replace(str(temp), str(task.output))
        for w in caught
        if issubclass(w.category, MetadataWarning)
    ]


def write_output(session: Session, task: Task, photo: Photo, pixels: np.ndarray) -> FileResult:
    """Encode into a temporary name beside the output, then commit it (pending, rename, done); what the
    writer could not keep becomes the result's message."""
    job = session.job
    temp = job.temp_for(task)
    try:
        settings = job.settings
        notes = encode_temp(task, photo, pixels, temp, Provenance(settings.model, settings.strength))
        used = [f"{len(task.hints)} hint{'s' * (len(task.hints) != 1)} used"] if task.hints else []
        return job.commit(task, temp, used + notes)
    except ColorSphereError as exc:
        job.discard(temp)
        raise type(exc)(str(exc).replace(str(temp), str(task.output))) from exc
    except BaseException:
        job.discard(temp)
        raise


class LocalRunner:
    """Runs a session's tasks through a colorize function on this machine (see the module docstring)."""

    def __init__(self, colorize: Callable[[Photo, float], object]) -> None:
        self.colorize = colorize
        self.stages = stages_of(colorize)

    def run(self, session: Session) -> None:
        _Pipeline(self, session).go()


class _Pipeline:
    """One LocalRunner.run: the queues between the threads."""

    def __init__(self, runner: LocalRunner, session: Session) -> None:
        self.runner, self.session, self.job = runner, session, session.job
        self.tasks = session.job.tasks
        self.strength = session.job.settings.strength
        self.reads: deque[tuple[Task, Future]] = deque()
        self.writes: deque[tuple[Task, Future]] = deque()
        self.next_task = 0

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
                for _, pending in self.reads:
                    pending.cancel()
                self._collect_writes(limit=0)  # a write in flight is finished and recorded, never cut

    def _loop(self) -> None:
        session = self.session
        while not session.halted:
            self._read_ahead()
            if not self.reads:
                return
            task, pending = self.reads.popleft()
            first = pending.result()
            if session.halted:
                return
            if isinstance(first, FileResult):
                self._collect_writes(limit=0)  # earlier files are reported first
                session.deliver(task, first)
                continue
            batch = [first]
            # Waiting for the next read (a tenth of the network's time) beats running the network short.
            while len(batch) < self.batch and self.reads:
                item = self.reads[0][1].result()
                if not isinstance(item, _Admitted) or item.net_input.shape != first.net_input.shape:
                    break
                batch.append(item)
                self.reads.popleft()
            self._read_ahead()  # the next batch is read while this one is in the network
            self._colorize(batch)

    def _read_ahead(self) -> None:
        """Keep the read thread one batch ahead: enough to fill the next batch, little memory."""
        while self.next_task < len(self.tasks) and len(self.reads) < self.batch and not self.session.halted:
            task = self.tasks[self.next_task]
            self.reads.append((task, self.reader.submit(self._admit, task)))
            self.next_task += 1

    def _admit(self, task: Task) -> FileResult | _Admitted:
        """Read thread: everything that decides whether a photo is colorized, then its network input."""
        try:
            if (result := self.job.screen(task)) is not None:
                return result
            photo = read_photo(task.source)
            if (result := self.job.classify(task, photo)) is not None:
                return result
            stages, photo = self.runner.stages, _lean(photo)
            if task.hints:
                validate(task.hints, *photo.size, source=f"hints file {shown(task.hints_file)}")
            hint_input = stages.prepare_hints(photo, task.hints) if stages and task.hints else None
            return _Admitted(task, photo, stages.prepare(photo) if stages else None, hint_input)
        except HANDLED as exc:
            return self.job.failure(task, exc)

    def _colorize(self, batch: list[_Admitted]) -> None:
        """Calling thread: the network (or the whole colorize function), then hand over to the writer."""
        for item, render in zip(batch, self._renders(batch), strict=True):
            self._collect_writes(limit=self.batch - 1)
            if isinstance(render, FileResult):
                self._collect_writes(limit=0)
                self.session.deliver(item.task, render)
            else:
                self.writes.append((item.task, self.writer.submit(self._write, item, render)))

    def _renders(self, batch: list[_Admitted]) -> list[Callable[[], np.ndarray] | FileResult]:
        """For each photo, what the writer calls for its pixels, or why it failed."""
        stages, strength = self.runner.stages, self.strength
        if stages is None:
            renders: list[Callable[[], np.ndarray] | FileResult] = []
            for item in batch:
                try:
                    hints = {"hints": item.task.hints} if item.task.hints else {}
                    renders.append(partial(np.asarray, self.runner.colorize(item.photo, strength, **hints)))
                except HANDLED as exc:
                    renders.append(self.job.failure(item.task, exc))
            return renders
        try:
            names = [item.task.source.name for item in batch]
            hinted = [item.hint_input for item in batch]
            extra = (hinted,) if any(h is not None for h in hinted) else ()
            predictions = stages.predict_inputs([item.net_input for item in batch], names, *extra)
        except HANDLED as exc:
            return [self.job.failure(item.task, exc) for item in batch]
        return [
            partial(
                stages.render,
                item.photo,
                p.ab,
                strength,
                output_dtype(item.photo, item.task.container.lower()),
            )
            for item, p in zip(batch, predictions, strict=True)
        ]

    def _write(self, item: _Admitted, render: Callable[[], np.ndarray]) -> FileResult | None:
        """Write thread: merge, encode, commit. None when a fault has stopped the batch meanwhile."""
        if self.session.stopped.is_set():
            return None
        try:
            return write_output(self.session, item.task, item.photo, render())
        except HANDLED as exc:
            result = self.job.failure(item.task, exc)
            if result.stop_batch:
                self.session.stopped.set()
            return result

    def _collect_writes(self, limit: int) -> None:
        """Deliver finished writes in order, waiting until at most `limit` are still pending."""
        while self.writes and (len(self.writes) > limit or self.writes[0][1].done()):
            task, pending = self.writes.popleft()
            result = pending.result()
            if result is not None:
                self.session.deliver(task, result)


class BatchRunner:
    """The local batch in one call, as the CLI and the GUI use it: run_batch on a LocalRunner."""

    def __init__(
        self,
        colorize: Callable[[Photo, float], object],
        settings: BatchSettings,
        on_result: Callable[[FileResult, int, int], None] | None = None,
        cancel: threading.Event | None = None,
        note: Callable[[str], None] | None = None,
    ) -> None:
        self.colorize, self.settings = colorize, settings
        self.on_result, self.note = on_result, note
        self.cancel = cancel or threading.Event()

    def run(self, jobs: list[Job], outdir: Path) -> BatchSummary:
        return run_batch(
            jobs, outdir, self.settings, LocalRunner(self.colorize), self.on_result, self.cancel, self.note
        )
