"""The Ray runner: a batch's photos colorized by Ray actors across a cluster (`colorize --ray ADDRESS`).

Only the runner differs from a laptop's batch. Discovery, output names, skip rules, the job record and
the report are BatchJob's, on the driver (this process), by the same code as the plain run. Each actor
loads the network once and turns "colorize this source into that temporary file" into a file on the
shared storage; the driver then commits each result as it arrives (records it, renames it into place).
Pixels never travel through Ray: every node reads and writes the shared mount itself, so the object
store carries only tasks and short results, and a huge scan costs the driver nothing.

Faults are Ray's to handle: an actor whose process dies is restarted (on another node if its node is
gone) and the photos it held are retried there (max_restarts, max_task_retries); a photo whose worker
dies on every try becomes a failed row. Temporary names are chosen on the driver, so whatever a dead
worker left behind is removed by the driver.

Imported only when --ray is given: the app and the plain batch never import Ray.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import ray
from ray.exceptions import GetTimeoutError, RayActorError, RayError

from colorsphere_gui.core.errors import ColorSphereError, UsageError
from colorsphere_gui.core.monochrome import ToneReport, classify_tone
from colorsphere_gui.core.photo import read_photo
from colorsphere_gui.core.provenance import Provenance
from colorsphere_gui.core.writer import output_dtype

from .driver import HANDLED, BatchJob, Session, SetupError, run_batch
from .job import BatchSettings, BatchSummary, FileResult, Job, Task, shown
from .runner import _lean as lean
from .runner import encode_temp

ADDRESS_HELP = (
    "local (a Ray instance on this machine for this run), auto (the running cluster) or ray://HOST:PORT"
)
# Results are a few hundred bytes and pixels never go through the object store: keep it small, so that a
# local instance on a laptop does not take a large share of its memory.
OBJECT_STORE_BYTES = 256 * 2**20
# Tries of one photo after its worker process died (killed, out of memory, a crash in a decoder).
TASK_RETRIES = 2
# At most this many CPUs (threads, photos in flight) per GPU actor, for decoding and encoding.
MAX_CPUS_PER_GPU_ACTOR = 16
# Driver threads hashing sources ahead of the actors, and how many tasks they may be ahead.
SCREEN_THREADS, SCREEN_AHEAD = 4, 64
READY_TIMEOUT_S = 300.0  # loading the model on every actor, and scheduling them
POLL_S = 0.5  # how often the driver looks at Ctrl-C and its cancel flag while photos are in flight
_HOST_PORT = re.compile(r"^(ray://)?[\w.\-\[\]:]+:\d+$")


def check_address(address: str) -> str:
    """The address as ray.init takes it; a usage error (exit 2) for anything else."""
    if address in ("local", "auto") or _HOST_PORT.match(address):
        return address
    raise UsageError(f"--ray {address}: not a Ray address; use {ADDRESS_HELP}")


@dataclass(frozen=True)
class ActorShape:
    """How many model actors the cluster takes, and what each holds."""

    count: int
    num_cpus: int
    num_gpus: int
    concurrency: int  # photos one actor works on at once (threads)

    @classmethod
    def for_cluster(cls, nodes: list[dict[str, float]], device: str) -> ActorShape:
        """From the resources of each live node: one actor per GPU where the device allows GPUs, with an
        equal share of its node's CPUs for decoding and encoding photos beside the network (a photo's
        codecs take several times the GPU's time for it); else one single-threaded actor per CPU, which
        on a small machine matches the plain run's two lanes."""
        gpu_nodes = [n for n in nodes if n.get("GPU", 0) >= 1] if device in ("auto", "cuda") else []
        if gpu_nodes:
            count = sum(int(n["GPU"]) for n in gpu_nodes)
            share = min(int(n.get("CPU", 1)) // int(n["GPU"]) for n in gpu_nodes)
            per = max(1, min(MAX_CPUS_PER_GPU_ACTOR, share))
            return cls(count, per, 1, per)
        return cls(max(1, sum(int(n.get("CPU", 0)) for n in nodes)), 1, 0, 1)


@dataclass
class Outcome:
    """What a worker sends back for one photo, for the driver to turn into its result: a temporary file
    to commit (with the writer's notes), a colour photo's tone, or an exception a user can act on (they
    pickle, so job.failure words it exactly as in the plain run)."""

    notes: list[str] = field(default_factory=list)
    tone: ToneReport | None = None
    error: BaseException | None = None


def unseen(path: Path | str, node: str) -> str:
    return (
        f"{shown(path)}: not visible on Ray node {node}; the sources and the output folder must be on a "
        "shared mount that every node sees at the same path (see docs/SCALING.md)"
    )


class PhotoWorker:
    """A Ray actor: one model loaded once; photos read, colorized and written to temporary files.

    A set-up error (weights missing, no such device) is kept and reported by `describe`, so that the
    driver stops with the colorizer's own message rather than Ray's account of a dead actor.
    """

    def __init__(self, model: str, device: str, strength: float, outdir: str, threads: int) -> None:
        import torch

        torch.set_num_threads(threads)
        self.strength, self.outdir, self.error, self.colorizer = strength, outdir, "", None
        self.provenance = Provenance(model, strength)
        self.node = ray.util.get_node_ip_address()
        try:
            from colorsphere_gui.engine import Colorizer

            self.colorizer = Colorizer(model, device, warn=lambda message: None)
        except ColorSphereError as exc:
            self.error = str(exc)

    def describe(self, paths: list[str]) -> tuple[str, str, str, list[str]]:
        """(this actor's node, its device, its set-up error or "", those of `paths` its node cannot see)."""
        device = self.colorizer.device_description if self.colorizer else "no model"
        return self.node, device, self.error, [p for p in paths if not os.path.exists(p)]

    def colorize(self, task: Task, temp: str, needs_tone: bool) -> Outcome:
        """One photo into `temp`, which is removed first: an earlier try may have died writing it."""
        temp_path = Path(temp)
        temp_path.unlink(missing_ok=True)
        for path in (task.source, self.outdir):  # not visible: the writer would make a local folder
            if not os.path.exists(path):
                return Outcome(error=UsageError(unseen(path, self.node)))
        try:
            photo = read_photo(task.source)
            if needs_tone and (tone := classify_tone(photo)).kind == "colour":
                return Outcome(tone=tone)
            photo = lean(photo)
            ab = self.colorizer.predict(photo).ab
            dtype = output_dtype(photo, task.container.lower())
            pixels = self.colorizer.render(photo, ab, self.strength, dtype)
            return Outcome(notes=encode_temp(task, photo, pixels, temp_path, self.provenance))
        except HANDLED as exc:
            temp_path.unlink(missing_ok=True)
            return Outcome(error=exc)


@dataclass
class _InFlight:
    task: Task
    temp: Path
    actor: int


class _Screening:
    """Tasks screened (hashed, checked against the record) a little ahead, on a few driver threads:
    hashing reads every source once on the driver, and on network storage that is waiting, not CPU."""

    def __init__(self, job: BatchJob, ahead: int) -> None:
        self.job, self.ahead = job, ahead
        self.tasks = iter(job.tasks)
        self.queue: deque[tuple[Task, Future]] = deque()
        self.pool = ThreadPoolExecutor(SCREEN_THREADS, thread_name_prefix="colorsphere-screen")

    def _screen(self, task: Task) -> FileResult | None:
        try:
            return self.job.screen(task)
        except HANDLED as exc:
            return self.job.failure(task, exc)

    def next(self) -> tuple[Task, FileResult | None] | None:
        """The next task with its screening result (None: it is to be colorized); None when done."""
        while len(self.queue) < self.ahead and (task := next(self.tasks, None)) is not None:
            self.queue.append((task, self.pool.submit(self._screen, task)))
        if not self.queue:
            return None
        task, pending = self.queue.popleft()
        return task, pending.result()

    def close(self) -> None:
        for _, pending in self.queue:
            pending.cancel()
        self.pool.shutdown(wait=True)


class RayRunner:
    """A Runner (see driver.run_batch) whose photos go to Ray actors. `connect` is called when the first
    photo needs colorizing: a re-run over a finished folder never starts Ray."""

    def __init__(
        self,
        model: str,
        device: str,
        note: Callable[[str], None] | None = None,
        connect: Callable[[], None] = lambda: None,
    ) -> None:
        self.model, self.device = model, device
        self.note = note or (lambda message: None)
        self.connect = connect
        self.actors: list = []
        self.shape = ActorShape(0, 0, 0, 0)

    def run(self, session: Session) -> None:
        screening = _Screening(session.job, SCREEN_AHEAD)
        try:
            first = _next_work(session, screening)
            if first is None:
                return
            self.connect()
            self._start(session, first)
            _Dispatch(self, session, first, screening).go()
        finally:
            screening.close()
            self._release()

    def _release(self) -> None:
        """The actors end with the run, so their CPUs and GPUs are free for the next job at once."""
        for actor in self.actors:
            ray.kill(actor, no_restart=True)
        self.actors = []

    def _start(self, session: Session, first: Task) -> None:
        """One actor per GPU (or CPU) of the cluster, each with the model loaded and the paths in sight."""
        nodes = [n["Resources"] for n in ray.nodes() if n.get("Alive")]
        shape = ActorShape.for_cluster(nodes, self.device)
        options = {
            "num_cpus": shape.num_cpus,
            "num_gpus": shape.num_gpus,
            "max_concurrency": shape.concurrency,
            "max_restarts": -1,  # a worker process that dies is started again, on another node if need be
            "max_task_retries": TASK_RETRIES,
        }
        actor = ray.remote(PhotoWorker).options(**options)
        device = "cuda" if shape.num_gpus and self.device == "auto" else self.device
        job = session.job
        self.shape = shape
        self.actors = [
            actor.remote(self.model, device, job.settings.strength, str(job.outdir), shape.num_cpus)
            for _ in range(shape.count)
        ]
        paths = [str(job.outdir), str(first.source)]
        try:
            described = ray.get([a.describe.remote(paths) for a in self.actors], timeout=READY_TIMEOUT_S)
        except GetTimeoutError:
            raise SetupError(
                f"Ray could not start {shape.count} model worker(s) with {shape.num_cpus} CPU(s) and "
                f"{shape.num_gpus} GPU(s) each within {READY_TIMEOUT_S:.0f} s; check the cluster's "
                "resources (`ray status`)"
            ) from None
        except RayActorError as exc:  # the actor could not even be made: ColorSphere missing on a node
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SetupError(
                f"a Ray model worker could not start ({first_line}); install the same ColorSphere with "
                "its [cluster] extra on every node (docs/SCALING.md)"
            ) from None
        for node, _, error, missing in described:
            if error:
                raise SetupError(f"on Ray node {node}: {error}")
            if missing:
                raise SetupError(unseen(missing[0], node))
        nodes = {node for node, _, _, _ in described}
        devices = sorted({device for _, device, _, _ in described})
        where = f"{len(described)} Ray worker(s) on {len(nodes)} node(s)"
        self.note(f"model {self.model} on {where}: {', '.join(devices)}")


def _next_work(session: Session, screening: _Screening) -> Task | None:
    """The next task to colorize; those that need no work are delivered on the way."""
    while not session.halted and (item := screening.next()) is not None:
        task, result = item
        if result is None:
            return task
        session.deliver(task, result)
    return None


class _Dispatch:
    """Photos handed to whichever actor has a free slot, results committed on the driver as they come.

    An actor holds at most `concurrency` photos, so a huge scan occupies one slot while the others go
    on; a new photo is sent before the finished one is committed, so actors do not wait for the record.
    """

    def __init__(self, runner: RayRunner, session: Session, first: Task, screening: _Screening) -> None:
        self.runner, self.session, self.job, self.screening = runner, session, session.job, screening
        self.waiting: Task | None = first
        self.exhausted = False
        self.load = [0] * len(runner.actors)
        self.flying: dict[ray.ObjectRef, _InFlight] = {}

    def go(self) -> None:
        try:
            self._loop()
        except KeyboardInterrupt:
            self.session.cancel.set()
            self._drain()
        finally:
            if self.flying:
                self._abandon()

    def _loop(self) -> None:
        told = False
        while self.flying or not (self.exhausted or self.session.halted):
            self._fill()
            if not self.flying:
                return
            if self.session.halted and not told:
                told = True
                self.runner.note(f"stopping: {len(self.flying)} photo(s) in progress finish first")
            done, rest = ray.wait(list(self.flying), num_returns=1, timeout=POLL_S)
            if done and rest:  # every other result already in: one pass over the refs, not one each
                done += ray.wait(rest, num_returns=len(rest), timeout=0)[0]
            flights = [(self.flying.pop(ref), ref) for ref in done]
            for flight, _ in flights:
                self.load[flight.actor] -= 1
            self._fill()  # new photos go out before the finished ones are committed
            for flight, ref in flights:
                self._settle(flight, ref)

    def _fill(self) -> None:
        slots = self.runner.shape.concurrency
        while not self.session.halted and not self.exhausted:
            actor = min(range(len(self.load)), key=self.load.__getitem__)
            if self.load[actor] >= slots:
                return
            task, self.waiting = self.waiting or _next_work(self.session, self.screening), None
            if task is None:
                self.exhausted = not self.session.halted
                return
            temp = self.job.temp_for(task)
            ref = self.runner.actors[actor].colorize.remote(task, str(temp), self.job.needs_tone(task))
            self.flying[ref] = _InFlight(task, temp, actor)
            self.load[actor] += 1

    def _settle(self, flight: _InFlight, ref: ray.ObjectRef) -> None:
        """Commit the photo's temporary file, or deliver why there is none."""
        task, job = flight.task, self.job
        try:
            outcome: Outcome = ray.get(ref)
            if outcome.error is not None:
                raise outcome.error
            if outcome.tone is not None:
                result = job.judge_tone(task, outcome.tone)
            else:
                result = job.commit(task, flight.temp, outcome.notes)
        except RayActorError as exc:
            job.discard(flight.temp)
            result = FileResult(task.source, None, "failed", died(task, exc))
        except HANDLED as exc:
            job.discard(flight.temp)
            result = job.failure(task, exc)
        self.session.deliver(task, result)

    def _drain(self) -> None:
        """After Ctrl-C: the photos in flight are finished and committed; Ctrl-C again abandons them."""
        if self.flying:
            self.runner.note(
                f"stopping: {len(self.flying)} photo(s) in progress finish first "
                "(Ctrl-C again to stop at once)"
            )
        try:
            self._loop()
        except KeyboardInterrupt:
            pass

    def _abandon(self) -> None:
        """Stop every actor at once and remove the temporary files of the photos they held."""
        self.runner._release()
        for flight in self.flying.values():
            self.job.discard(flight.temp)
        self.flying.clear()


def died(task: Task, exc: RayError) -> str:
    return (
        f"{shown(task.source)}: the Ray worker colorizing it died on each of {TASK_RETRIES + 1} tries "
        f"(out of memory, a crashed decoder or a lost node); nothing was written ({type(exc).__name__})"
    )


def run_on_ray(
    address: str,
    model: str,
    device: str,
    jobs: list[Job],
    outdir: Path,
    settings: BatchSettings,
    on_result: Callable[[FileResult, int, int], None] | None = None,
    cancel: threading.Event | None = None,
    note: Callable[[str], None] | None = None,
) -> BatchSummary:
    """The batch of `jobs` as run_batch runs it, with its photos colorized on the Ray cluster at
    `address`. Ray is joined (or started) only once a photo needs colorizing, so a re-run over a
    finished folder costs what it costs without Ray."""
    check_address(address)  # a typing error is reported before the output folder is touched
    with contextlib.ExitStack() as stack:
        runner = RayRunner(model, device, note, lambda: stack.enter_context(connect(address)))
        return run_batch(jobs, outdir, settings, runner, on_result, cancel, note)


@contextmanager
def connect(address: str) -> Iterator[None]:
    """Ray for one run: `local` starts an instance on this machine and stops it, with every process it
    started, when the run ends; any other address joins a running cluster and leaves it running.

    ray.init installs its own SIGTERM handler (exit at once); the caller's is put back, so that SIGTERM
    stops a batch as cleanly as Ctrl-C."""
    address = check_address(address)
    options: dict = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR}
    if address == "local":
        options["object_store_memory"] = OBJECT_STORE_BYTES
    main = threading.current_thread() is threading.main_thread()
    sigterm = signal.getsignal(signal.SIGTERM) if main else None
    try:
        ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise UsageError(f"--ray {address}: could not connect to Ray ({exc}); check the address") from exc
    finally:
        if main:
            signal.signal(signal.SIGTERM, sigterm)
    started = psutil.Process().children(recursive=True) if address == "local" else []
    try:
        yield
    finally:
        if address == "local":
            started = _ours(started + psutil.Process().children(recursive=True))
        ray.shutdown()
        _gone(started)


def _ours(processes: list[psutil.Process]) -> list[psutil.Process]:
    return list({p.pid: p for p in processes}.values())


def _gone(processes: list[psutil.Process]) -> None:
    """Wait for the local instance's processes to end after ray.shutdown, and end any that linger."""
    _, alive = psutil.wait_procs(processes, timeout=10)
    for process in alive:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=5)
