"""`colorize --ray`: the plain batch's outputs, statuses and guarantees, with the photos done by Ray actors.

Bounded in time on a 2-core machine: one `--ray local` run of the awkward archive through the real CLI
(in a child process, so that its Ray processes can be found and counted afterwards), and a module-wide
local Ray instance (2 CPUs) for the runner's faults: a worker process killed mid-run, a stop, a path a
worker cannot see. Every Ray process started here carries a marker in its environment, so the tests
check that none is left without mistaking another program's Ray for ours.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorsphere_gui import cli
from colorsphere_gui.batch import REPORT_NAME, BatchSettings, FileResult, discover, run_batch
from tests import fixtures_images as fx

ray = pytest.importorskip("ray", reason="the [cluster] extra (Ray) is not installed")
psutil = pytest.importorskip("psutil")

from colorsphere_gui.batch import ray_runner  # noqa: E402  (needs Ray)

ROOT = Path(__file__).resolve().parents[1]
MARK = "COLORSPHERE_RAY_TEST"


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def report(outdir: Path) -> dict[str, tuple[str, str]]:
    with (outdir / REPORT_NAME).open(encoding="utf-8") as f:
        return {Path(r["source"]).name: (r["status"], r["message"]) for r in csv.DictReader(f)}


def marked(mark: str) -> list[psutil.Process]:
    """Live processes whose environment carries this test's marker (Ray's, started from here)."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.pid != os.getpid() and process.environ().get(MARK) == mark:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def outputs(folder: Path) -> dict[str, np.ndarray]:
    """Every photo written under folder, decoded to 8-bit RGB (a partial file would fail to decode)."""
    found = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.name.startswith(".") and p.name != REPORT_NAME:
            with Image.open(p) as im:
                im.load()
                found[str(p.relative_to(folder))] = np.asarray(im.convert("RGB"), dtype=np.float32)
    return found


def colorize(args: list[str], mark: str) -> subprocess.CompletedProcess:
    """`colorsphere colorize ARGS` in a child process whose Ray processes carry `mark`."""
    env = {**os.environ, MARK: mark, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    command = [sys.executable, "-m", "colorsphere_gui", "colorize", *args, "--device", "cpu"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


# ----- the CLI, end to end, against the plain run -----


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("ray-archive")
    src = fx.archive_folder(root)
    before = digests(src)
    plain = root / "plain"
    plain_code = cli.main(["colorize", str(src), "-o", str(plain), "--device", "cpu"])
    mark = uuid.uuid4().hex
    on_ray = root / "ray"
    run = colorize([str(src), "-o", str(on_ray), "--ray", "local"], mark)
    return {
        "src": src, "before": before, "plain": plain, "plain_code": plain_code, "ray": on_ray, "run": run,
        "mark": mark,
    }


def test_ray_local_matches_the_plain_run(archive: dict) -> None:
    run = archive["run"]
    assert run.returncode == archive["plain_code"] == 1, run.stderr  # the three broken files fail
    assert "Ray worker(s)" in run.stderr
    assert report(archive["ray"]) == report(archive["plain"])
    plain, on_ray = outputs(archive["plain"]), outputs(archive["ray"])
    assert sorted(on_ray) == sorted(plain) and len(plain) == 8
    for name, pixels in plain.items():
        assert on_ray[name].shape == pixels.shape
        assert np.abs(on_ray[name] - pixels).mean() <= 0.5, name
    assert digests(archive["src"]) == archive["before"], "sources must stay byte-identical"
    assert not list(archive["ray"].rglob("*.part*")), "no temporary file may be left"
    made = {name: how_made(archive["plain"] / name) for name in plain}
    assert any(made.values()), "the plain run records how each output was made"
    assert {name: how_made(archive["ray"] / name) for name in plain} == made


def how_made(path: Path) -> list[bytes]:
    """The provenance lines the writer stamped into a file's XMP ("colorized with the builtin ...")."""
    return re.findall(rb"colorized with the [^<\"]*", path.read_bytes())


def test_ray_local_leaves_no_ray_process(archive: dict) -> None:
    assert archive["run"].returncode == 1
    assert marked(archive["mark"]) == []


def test_bad_address_is_a_usage_error(tmp_path: Path) -> None:
    photo = fx.save_jpeg(tmp_path / "a.jpg", fx.grey_ramp(20, 30))
    assert cli.main(["colorize", str(photo), "-o", str(tmp_path / "o"), "--ray", "cluster please"]) == 2
    assert not (tmp_path / "o" / "a.jpg").exists()


def test_plain_batch_and_app_never_import_ray() -> None:
    code = (
        "import sys; import colorsphere_gui.cli, colorsphere_gui.batch, colorsphere_gui.app; "
        "from colorsphere_gui.batch import runner, driver; "
        "sys.exit('ray' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    assert subprocess.run([sys.executable, "-c", code], env=env, timeout=120).returncode == 0


def test_one_actor_per_gpu_with_its_share_of_the_node_cpus_else_one_per_cpu() -> None:
    shape, made = ray_runner.ActorShape.for_cluster, ray_runner.ActorShape
    nodes = [{"CPU": 8.0}, {"CPU": 96.0, "GPU": 8.0}, {"CPU": 32.0, "GPU": 4.0}]
    assert shape(nodes, "auto") == made(count=12, num_cpus=8, num_gpus=1, concurrency=8)
    assert shape(nodes, "cpu") == made(count=136, num_cpus=1, num_gpus=0, concurrency=1)
    assert shape([{"CPU": 2.0}], "auto") == made(count=2, num_cpus=1, num_gpus=0, concurrency=1)


# ----- the runner's faults, on one local Ray instance for the module -----


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory: pytest.TempPathFactory):
    mark = uuid.uuid4().hex
    saved = {k: os.environ.get(k) for k in (MARK, "COLORSPHERE_HOME")}
    os.environ[MARK] = mark  # inherited by every process of the instance
    os.environ["COLORSPHERE_HOME"] = str(tmp_path_factory.mktemp("ray-home"))
    try:
        with ray_runner.connect("local"):
            yield mark
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert marked(mark) == [], "the local Ray instance left processes behind"


def scans(folder: Path, count: int) -> Path:
    for i in range(count):
        fx.save_jpeg(folder / f"scan {i:02d}.jpg", np.roll(fx.grey_ramp(48, 64), 3 * i, axis=1))
    return folder


def ray_batch(src: Path, out: Path, on_result=None, cancel: threading.Event | None = None):  # noqa: ANN001
    runner = ray_runner.RayRunner("builtin", "cpu")
    return run_batch(discover([src], out), out, BatchSettings(model="builtin"), runner, on_result, cancel)


def test_rerun_on_ray_rewrites_nothing(archive: dict, local_ray: str) -> None:
    out = archive["ray"]
    photos = [p for p in out.rglob("*") if p.suffix in {".jpg", ".png", ".tif"}]
    stamps = {p: p.stat().st_mtime_ns for p in photos}
    summary = ray_batch(archive["src"], out)
    assert summary.exit_code == 1  # the three broken files are tried again, and fail again
    assert summary.count("done") == 8 and summary.count("failed") == 3
    assert report(out)["plate.tif"] == ("done", "up to date; not rewritten")
    assert len(stamps) == 8 and all(p.stat().st_mtime_ns == t for p, t in stamps.items())
    assert digests(archive["src"]) == archive["before"]


def test_killed_worker_loses_no_photo_and_leaves_no_partial_file(local_ray: str, tmp_path: Path) -> None:
    src = scans(tmp_path / "src", 24)
    before = digests(src)
    out = tmp_path / "out"
    killed: list[int] = []

    def kill_one_worker(result: FileResult, index: int, total: int) -> None:
        if killed:
            return
        workers = [p for p in marked(local_ray) if "PhotoWorker" in " ".join(p.cmdline())]
        assert workers, "no model actor process found"
        killed.append(workers[0].pid)
        os.kill(workers[0].pid, signal.SIGKILL)  # busy with its next photo: each actor always holds one

    summary = ray_batch(src, out, kill_one_worker)
    assert killed
    assert [r.status for r in summary.results].count("done") == 24, [r.message for r in summary.results]
    assert summary.exit_code == 0
    rows = report(out)
    assert len(rows) == 24 and {status for status, _ in rows.values()} == {"done"}
    assert len(outputs(out)) == 24, "every photo written and decodable"
    assert not list(out.rglob("*.part*"))
    assert digests(src) == before


def test_stop_keeps_finished_photos_and_a_rerun_resumes(local_ray: str, tmp_path: Path) -> None:
    src = scans(tmp_path / "src", 10)
    out = tmp_path / "out"
    cancel = threading.Event()
    summary = ray_batch(src, out, lambda r, i, n: cancel.set(), cancel)
    assert summary.cancelled and summary.exit_code == 130
    first = summary.count("done")
    assert 1 <= first < 10
    assert not list(out.rglob("*.part*"))
    assert len(outputs(out)) == first
    again = ray_batch(src, out)
    messages = [r.message for r in again.results]
    assert again.count("done") == 10 and messages.count("up to date; not rewritten") == first


def test_worker_that_cannot_see_a_path_names_it_and_the_shared_mount(local_ray: str, tmp_path: Path) -> None:
    """A worker on a node without the shared mount is simulated by a source that is gone when the worker
    looks for it (after the driver has screened it)."""
    src = scans(tmp_path / "src", 2)
    out = tmp_path / "out"
    gone = src / "scan 01.jpg"
    real_needs_tone = ray_runner.BatchJob.needs_tone

    def vanish(self, task):  # noqa: ANN001 - after the driver screened it, before the worker reads it
        if task.source == gone and gone.exists():
            gone.unlink()
        return real_needs_tone(self, task)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ray_runner.BatchJob, "needs_tone", vanish)
        summary = ray_batch(src, out)
    failed = [r for r in summary.results if r.status == "failed"]
    assert len(failed) == 1 and str(gone) in failed[0].message and "shared mount" in failed[0].message
    assert not list(out.rglob("*.part*"))
