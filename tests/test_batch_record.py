"""The batch's bookkeeping under faults: collisions, kills, signals, concurrent runs, damaged records,
odd names. The colorizer is the stub of tests/batch_stub.py, so every test checks the record, names,
report and exit status, not the network."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorsphere_gui import cli
from colorsphere_gui.batch import LEGACY_MANIFEST_NAME, RECORD_NAME, REPORT_NAME, file_digest
from tests import fixtures_images as fx
from tests.batch_child import StubColorizer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def stub_engine(monkeypatch: pytest.MonkeyPatch) -> list[StubColorizer]:
    """The CLI's colorizer is the stub; the list holds every one made (their .calls count photos)."""
    made: list[StubColorizer] = []

    def make(*args: object, **kwargs: object) -> StubColorizer:
        made.append(StubColorizer())
        return made[-1]

    monkeypatch.setitem(sys.modules, "colorsphere_gui.engine", types.SimpleNamespace(Colorizer=make))
    return made


def calls(made: list[StubColorizer]) -> int:
    return sum(c.calls for c in made)


def grey(path: Path, seed: int = 0, size: tuple[int, int] = (30, 40)) -> Path:
    pixels = np.roll(fx.grey_ramp(*size), seed * 7, axis=1)
    return fx.save_png(path, pixels) if path.suffix == ".png" else _save(path, pixels)


def _save(path: Path, pixels: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def rows(out: Path) -> list[dict[str, str]]:
    with (out / REPORT_NAME).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def by_source(out: Path) -> dict[str, dict[str, str]]:
    return {r["source"]: r for r in rows(out)}


def run(*args: str | Path) -> int:
    return cli.main(["colorize", *map(str, args)])


def source_of(output: Path) -> np.ndarray:
    """The stub writes the source's grey into the red channel: which source an output came from."""
    return np.asarray(Image.open(output).convert("RGB"))[..., 0]


def parts(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if ".part" in p.name]


# ----- names -----
def test_colliding_sources_get_distinct_names_that_stay_the_same_on_every_run(
    tmp_path: Path, stub_engine: list[StubColorizer]
) -> None:
    a, b = grey(tmp_path / "A" / "photo.png", 1), grey(tmp_path / "B" / "photo.png", 2)
    scans = tmp_path / "scans"
    grey(scans / "scan.bmp", 3)
    grey(scans / "scan.png", 4)
    out = tmp_path / "out"
    assert run(a, b, scans, "-o", out) == 0
    expected = {
        "photo.png": a,
        "photo (2).png": b,
        "scan.png": scans / "scan.png",
        "scan (2).png": scans / "scan.bmp",
    }
    for name, source in expected.items():
        assert np.array_equal(source_of(out / name), np.asarray(Image.open(source))), name
    done = [r["output"] for r in rows(out) if r["status"] == "done"]
    assert sorted(done) == sorted(expected)

    assert run(scans, b, a, "-o", out) == 0  # another order: the same names, nothing redone
    assert calls(stub_engine) == 4
    assert {r["output"]: r["message"] for r in rows(out)} == dict.fromkeys(
        expected, "up to date; not rewritten"
    )

    c = grey(tmp_path / "C" / "photo.png", 5)
    assert run(c, "-o", out) == 0  # alone, a new source still does not take an earlier source's name
    assert (out / "photo (3).png").exists() and calls(stub_engine) == 5
    assert np.array_equal(source_of(out / "photo.png"), np.asarray(Image.open(a)))


def test_format_mix_and_switching_format_back_keeps_every_entry(
    tmp_path: Path, stub_engine: list[StubColorizer]
) -> None:
    src = tmp_path / "src"
    grey(src / "a.jpg", 1)
    grey(src / "a.png", 2)
    out = tmp_path / "out"
    assert run(src, "-o", out, "--format", "png") == 0
    assert {r["output"] for r in rows(out)} == {"a.png", "a (2).png"}
    assert np.array_equal(source_of(out / "a.png"), np.asarray(Image.open(src / "a.png")))
    assert run(src, "-o", out) == 0
    assert (out / "a.jpg").exists() and calls(stub_engine) == 3
    for fmt in (["--format", "png"], [], ["--format", "png"]):
        assert run(src, "-o", out, *fmt) == 0
    assert calls(stub_engine) == 3, "switching --format back and forth must find every earlier output"


# ----- record: location independence, report, odd names -----
def test_rerun_from_another_folder_and_another_spelling_of_the_output_finds_finished_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stub_engine: list[StubColorizer]
) -> None:
    grey(tmp_path / "scans" / "a.png", 1)
    grey(tmp_path / "scans" / "sub" / "b.png", 2)
    monkeypatch.chdir(tmp_path)
    assert run("scans", "-o", "./out") == 0
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert run("../scans", "-o", "../out/") == 0
    assert run(tmp_path / "scans", "-o", tmp_path / "out") == 0
    assert calls(stub_engine) == 2
    assert {r["source"] for r in rows(tmp_path / "out")} == {"../scans/a.png", "../scans/sub/b.png"}


def test_new_colours_from_the_same_model_redo_its_outputs_and_a_new_file_alone_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stub_engine: list[StubColorizer]
) -> None:
    """The built-in model's revision names its look: a release whose colours differ redoes a folder made
    by the one before; a file that only gained parts unused without hints (a new name) keeps it."""
    from dataclasses import replace

    from colorsphere_gui.models import registry

    grey(tmp_path / "scans" / "a.png")
    spec = registry.MODELS["builtin"]
    assert run(tmp_path / "scans", "-o", tmp_path / "out") == 0
    monkeypatch.setitem(registry.MODELS, "builtin", replace(spec, file_name="renamed.pth"))
    assert run(tmp_path / "scans", "-o", tmp_path / "out") == 0
    assert calls(stub_engine) == 1, "a new weights file with the same colours redid the photo"
    monkeypatch.setitem(registry.MODELS, "builtin", replace(spec, revision=spec.revision + "-next"))
    assert run(tmp_path / "scans", "-o", tmp_path / "out") == 0
    assert calls(stub_engine) == 2, "new colours from the same model name kept the old output"


def test_report_lists_every_source_of_every_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    grey(tmp_path / "one" / "a.png", 1)
    (tmp_path / "one" / "broken.png").write_bytes(b"not a png")
    grey(tmp_path / "two" / "b.png", 2)
    fx.save_jpeg(tmp_path / "two" / "colour.jpg", fx.colour_scene(30, 40))
    single = grey(tmp_path / "c.png", 3)
    assert run(tmp_path / "one", "-o", out) == 1
    assert run(tmp_path / "two", "-o", out) == 0
    assert run(single, "-o", out) == 0
    statuses = {Path(k).name: r["status"] for k, r in by_source(out).items()}
    assert statuses == {
        "a.png": "done",
        "broken.png": "failed",
        "b.png": "done",
        "colour.jpg": "skipped",
        "c.png": "done",
    }
    row = by_source(out)["../one/a.png"]
    assert row["model"] == "builtin" and row["source_blake2b"] == file_digest(tmp_path / "one" / "a.png")


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes only on Linux")
def test_file_name_that_is_not_utf8_is_recorded_and_reported(tmp_path: Path, stub_engine) -> None:
    src = tmp_path / "src"
    src.mkdir()
    name = os.fsdecode(b"caf\xe9 \xff.png")
    grey(src / name, 1)
    out = tmp_path / "out"
    assert run(src, "-o", out) == 0
    assert (out / name).exists()
    assert run(src, "-o", out) == 0 and calls(stub_engine) == 1
    (row,) = rows(out)
    assert row["source"] == "../src/caf\\xe9 \\xff.png" and row["status"] == "done"


def test_report_cells_that_a_spreadsheet_would_run_are_escaped(tmp_path: Path) -> None:
    src = tmp_path / "src"
    grey(src / "=HYPERLINK(1).png", 1)
    grey(src / "@sum.png", 2)
    out = tmp_path / "out"
    assert run(src, "-o", out) == 0
    assert sorted(r["output"] for r in rows(out)) == ["'=HYPERLINK(1).png", "'@sum.png"]


def test_a_name_near_the_file_systems_limit_is_written_and_no_temporary_is_left(
    tmp_path: Path, stub_engine: list[StubColorizer]
) -> None:
    """Found by the fault walk: the hidden temporary names add about 40 bytes to the output's name, so a
    scan named with 240 bytes failed with "File name too long" on every run."""
    src, out = tmp_path / "src", tmp_path / "out"
    names = ["a" * 240 + ".png", "é" * 120 + ".png"]  # 244 and 244 bytes
    for i, name in enumerate(names):
        grey(src / name, i)
    assert run(src, "-o", out) == 0
    assert sorted(p.name for p in out.iterdir() if p.name in names) == sorted(names)
    assert all(r["status"] == "done" for r in rows(out)) and not parts(out)
    assert run(src, "-o", out) == 0 and calls(stub_engine) == 2


# ----- crashes and kills -----
def child(hold: str, marker: Path, *args: str | Path, **kwargs: object) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "tests.batch_child",
        hold,
        str(marker),
        "--",
        "colorize",
        *map(str, args),
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
    )


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"child ended first ({proc.returncode}): {proc.communicate()[1]}")
        assert time.monotonic() < end, "the child never reached the moment to stop it"
        time.sleep(0.05)


def three_photos(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    for i, name in enumerate(("a.png", "b.png", "c.png")):
        grey(src / name, i)
    return src


@pytest.mark.parametrize("moment", ["before-rename", "after-rename"])
def test_kill_9_while_an_output_is_renamed_into_place_is_recovered_by_the_next_run(
    tmp_path: Path, moment: str, stub_engine: list[StubColorizer]
) -> None:
    src, out, marker = three_photos(tmp_path), tmp_path / "out", tmp_path / "marker"
    proc = child(moment, marker, src, "-o", out)
    wait_for(marker, proc)
    proc.kill()
    proc.wait()
    assert (out / "a.png").exists() == (moment == "after-rename")
    assert run(src, "-o", out) == 0
    report = by_source(out)
    assert [report[f"../src/{n}"]["status"] for n in ("a.png", "b.png", "c.png")] == ["done"] * 3
    adopted = moment == "after-rename"
    assert (report["../src/a.png"]["message"] == "up to date; not rewritten") == adopted
    assert calls(stub_engine) == (2 if adopted else 3)
    assert not parts(out)


def test_stale_temporary_files_of_earlier_runs_are_removed_and_nothing_else(tmp_path: Path) -> None:
    src, out = three_photos(tmp_path), tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    stale = [
        out / ".a.0123456789ab.part.png",
        out / "..a.png.0123456789ab.part",
        out / ".colorsphere-report.csv.part",
        out / "sub" / ".old.0123456789ab.part.jpg",  # a folder this run writes nothing into
    ]
    for path in stale:
        path.write_bytes(b"half a file")
    keep = out / ".my-notes.part"
    keep.write_text("the user's", encoding="utf-8")
    assert run(src, "-o", out) == 0
    assert not any(p.exists() for p in stale) and keep.exists()


def test_a_temporary_file_a_worker_left_during_the_run_is_removed_at_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Ray worker killed while encoding leaves its writer's own temporary file, whose name the driver
    never learns; the sweep at the start of a run has already passed by then."""
    src, out = three_photos(tmp_path), tmp_path / "out"
    stray = out / "..a.0123456789ab.part.png.ba9876543210.part"

    class KilledMidWrite(StubColorizer):
        def predict_inputs(self, inputs, names):  # noqa: ANN001, ANN202
            stray.write_bytes(b"half a file")
            return super().predict_inputs(inputs, names)

    engine = types.SimpleNamespace(Colorizer=lambda *args, **kwargs: KilledMidWrite())
    monkeypatch.setitem(sys.modules, "colorsphere_gui.engine", engine)
    assert run(src, "-o", out) == 0
    assert not stray.exists()
    assert "removed 1 temporary file(s) left by a worker stopped while writing" in capsys.readouterr().err


def test_damaged_record_is_reported_moved_aside_and_rebuilt_from_what_can_be_verified(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stub_engine: list[StubColorizer]
) -> None:
    src, out = three_photos(tmp_path), tmp_path / "out"
    assert run(src, "-o", out) == 0
    (src / "c.png").write_bytes((src / "a.png").read_bytes())  # changed since: cannot be verified
    (out / RECORD_NAME).write_bytes(os.urandom(5000))
    capsys.readouterr()
    assert run(src, "-o", out) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if "record is damaged" in line]
    assert len(err) == 1 and "moved aside" in err[0]
    assert list(out.glob(f"{RECORD_NAME}.damaged-*"))
    messages = {Path(k).name: r["message"] for k, r in by_source(out).items()}
    assert messages["a.png"] == messages["b.png"] == "up to date; not rewritten"
    assert messages["c.png"] == "" and calls(stub_engine) == 4  # changed source: colorized again


def test_manifest_of_an_earlier_version_is_migrated(tmp_path: Path, stub_engine: list[StubColorizer]) -> None:
    src, out = three_photos(tmp_path), tmp_path / "out"
    assert run(src, "-o", out) == 0
    os.remove(out / RECORD_NAME)
    os.remove(out / "c.png")
    legacy = {}
    for name in ("a.png", "b.png"):
        stat = (out / name).stat()
        legacy[name] = {
            "output": str(Path("out") / name),  # typed relative to the working folder of that run
            "source": file_digest(src / name),
            "settings": json.dumps({"model": "builtin", "fmt": None, "strength": 1.0}, sort_keys=True),
            "size": stat.st_size,
            "mtime": stat.st_mtime_ns,
        }
    legacy["colour.jpg"] = {"source": "0" * 40, "skipped": "already in colour"}
    (out / LEGACY_MANIFEST_NAME).write_text(json.dumps(legacy), encoding="utf-8")
    assert run(src, "-o", out) == 0
    assert calls(stub_engine) == 4, "a and b are up to date, c (not in the manifest) is redone"
    assert not (out / LEGACY_MANIFEST_NAME).exists() and (out / f"{LEGACY_MANIFEST_NAME}.migrated").exists()


def test_an_output_changed_since_colorsphere_wrote_it_is_not_replaced(tmp_path: Path) -> None:
    src, out = three_photos(tmp_path), tmp_path / "out"
    assert run(src, "-o", out) == 0
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(out / "a.png")  # the user retouched it
    assert run(src, "-o", out, "--redo") == 1
    assert "changed since ColorSphere wrote it" in by_source(out)["../src/a.png"]["message"]
    assert np.asarray(Image.open(out / "a.png")).shape == (5, 5)


# ----- concurrency and signals -----
def test_a_second_batch_into_the_same_folder_is_refused_and_the_first_finishes(tmp_path: Path) -> None:
    src, out, marker = three_photos(tmp_path), tmp_path / "out", tmp_path / "marker"
    first = child("network", marker, src, "-o", out)
    wait_for(marker, first)
    second = child("none", tmp_path / "unused", src, "-o", out)
    _, err = second.communicate(timeout=120)
    assert second.returncode == 2
    assert err.strip().count("\n") == 0 and "another ColorSphere batch" in err
    Path(f"{marker}.go").touch()
    assert first.wait(timeout=120) == 0
    assert [r["status"] for r in rows(out)] == ["done"] * 3


@pytest.mark.parametrize("signals", [[signal.SIGTERM], [signal.SIGINT] * 3])
def test_sigterm_or_repeated_ctrl_c_mid_write_stop_cleanly_with_status_130(
    tmp_path: Path, signals: list[signal.Signals]
) -> None:
    src, out, marker = three_photos(tmp_path), tmp_path / "out", tmp_path / "marker"
    proc = child("write", marker, src, "-o", out)
    wait_for(marker, proc)
    for sig in signals:
        proc.send_signal(sig)
        time.sleep(0.1)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "stopped by the user" in err
    assert not parts(out), "no partial file may be left"
    report = rows(out)
    done = [r for r in report if r["status"] == "done"]
    assert 0 < len(done) < 3 and len(report) == 3, "every source is listed, also those not reached"
    waiting = report[len(done) :]
    assert all(r["status"] == "waiting" and "run the same batch again" in r["message"] for r in waiting)
    assert all((out / r["output"]).exists() for r in done), "the write in flight was finished"
    assert run(src, "-o", out) == 0 and len(rows(out)) == 3


def test_stop_handler_writes_without_tqdm_so_a_ctrl_c_inside_it_cannot_nest_an_import(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """The fault walk's Ctrl-C x3 during start-up: the first handler went through tqdm.write, whose first
    use imports multiprocessing; the next Ctrl-C, handled inside that import, died in importlib."""
    import threading

    def no_tqdm(*args: object, **kwargs: object) -> None:
        raise AssertionError("a signal handler must not take tqdm's lock or import")

    monkeypatch.setattr(cli.tqdm, "write", no_tqdm)
    cancel = threading.Event()
    with cli._stop_on_signals(cancel):
        for _ in range(3):
            signal.raise_signal(signal.SIGINT)
    assert cancel.is_set()
    err = capfd.readouterr().err
    assert err.count("stopping after the photos in progress") == 1 and err.count("still stopping") == 2


@pytest.fixture
def ctrl_c_live() -> Iterator[None]:
    """Ctrl-C as at a terminal: a test process started in the background by a script inherits SIGINT
    ignored (POSIX), which would hide what these tests look for; the inherited handlers come back after."""
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    for sig, handler in before.items():
        signal.signal(sig, handler)


@pytest.mark.usefixtures("ctrl_c_live")
def test_ctrl_c_after_the_batch_or_while_saying_stopped_never_ends_in_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fault walk's Ctrl-C x3: the last press came after the batch, while its summary was printed
    (status -2 from an uncaught KeyboardInterrupt), or while "stopped by the user" was being said."""
    from colorsphere_gui.batch import discovery

    src, out = three_photos(tmp_path), tmp_path / "out"
    say = cli._say

    def ctrl_c_while(words: str) -> object:
        def saying(message: str) -> None:
            if words in message:
                signal.raise_signal(signal.SIGINT)
            say(message)

        return saying

    monkeypatch.setattr(cli, "_say", ctrl_c_while("report:"))
    assert run(src, "-o", out) == 0, "a finished batch stays finished"
    assert [r["status"] for r in rows(out)] == ["done"] * 3

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(discovery, "_walk", interrupted)
    monkeypatch.setattr(cli, "_say", ctrl_c_while("stopped by the user"))
    assert run(src, "-o", tmp_path / "out2") == 130
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.usefixtures("ctrl_c_live")
def test_the_console_command_ignores_ctrl_c_once_its_status_is_decided(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A third Ctrl-C that lands during the interpreter's shutdown died of SIGINT (-2) with a traceback
    from an atexit callback; called as a library (argv given), the handlers stay as they were."""
    from colorsphere_gui import app

    src = three_photos(tmp_path)
    monkeypatch.setattr(sys, "argv", ["colorsphere", "colorize", str(src), "-o", str(tmp_path / "out")])
    try:
        assert app.main() == 0
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    assert app.main(["colorize", str(src), "-o", str(tmp_path / "out")]) == 0
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def _make_read_only(folder: Path) -> None:
    """chmod for a user; for root, who writes through permissions, the immutable attribute."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False).returncode:
        pytest.skip("running as root without chattr: no way to make a folder read-only for this test")


def _make_writable(folder: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True, check=False)
    folder.chmod(0o755)


def test_read_only_output_folder_exits_2_with_one_line(tmp_path: Path) -> None:
    src, out = three_photos(tmp_path), tmp_path / "out"
    out.mkdir()
    _make_read_only(out)
    try:
        proc = child("none", tmp_path / "unused", src, "-o", out)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, err
        assert err.strip().count("\n") == 0 and "read-only" in err and str(out) in err
        assert not list(out.iterdir())
    finally:
        _make_writable(out)


# ----- discovery and the smaller faults -----
def test_junk_and_links_are_passed_over_with_a_word_not_counted_as_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "src"
    grey(src / "a.png", 1)
    (src / "._a.png").write_bytes(b"\x00\x05\x16\x07AppleDouble")
    (src / ".DS_Store").write_bytes(b"junk")
    grey(tmp_path / "elsewhere" / "b.png", 2)
    (src / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    out = tmp_path / "out"
    assert run(src, "-o", out) == 0
    err = capsys.readouterr().err
    assert "linked" in err and "not followed" in err
    assert [r["source"] for r in rows(out)] == ["../src/a.png"]


def test_output_folder_holding_the_source_is_refused_with_its_own_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grey(tmp_path / "archive" / "scans" / "a.png", 1)
    assert run(tmp_path / "archive" / "scans", "-o", tmp_path / "archive") == 2
    err = capsys.readouterr().err
    assert "contains the source folder" in err and "no supported photos" not in err


def test_disk_full_while_the_report_is_written_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno

    from colorsphere_gui.batch import report

    real_open = open

    def full(path, mode="r", *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if REPORT_NAME in str(path) and "x" in mode:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(report, "open", full, raising=False)
    src, out = three_photos(tmp_path), tmp_path / "out"
    assert run(src, "-o", out) == 1
    err = capsys.readouterr().err
    assert "disk full while writing the report" in err and "Traceback" not in err
    assert not parts(out) and (out / "a.png").exists()


def test_log_progress_is_plain_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, out = three_photos(tmp_path), tmp_path / "out"
    assert run(src, "-o", out) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and "3 of 3 photos" in err


def test_a_folder_that_cannot_be_searched_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from colorsphere_gui.batch import discovery

    src = tmp_path / "src"
    grey(src / "a.png", 1)
    grey(src / "locked" / "b.png", 2)
    scandir = os.scandir

    def refuse(path):  # noqa: ANN001, ANN202 - root reads every folder, so the refusal is simulated
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return scandir(path)

    monkeypatch.setattr(discovery.os, "scandir", refuse)
    out = tmp_path / "out"
    assert run(src, "-o", out) == 0
    err = capsys.readouterr().err
    assert "locked: cannot be searched (Permission denied)" in err
    assert [r["source"] for r in rows(out)] == ["../src/a.png"]


def test_disk_full_while_the_record_is_written_stops_the_batch_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    from colorsphere_gui.batch.record import Record

    def full(self, *args):  # noqa: ANN001, ANN002, ANN202
        with self._txn() as db:
            db.execute("SELECT 1")
            raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Record, "set_pending", full)
    src, out = three_photos(tmp_path), tmp_path / "out"
    assert run(src, "-o", out) == 1
    err = capsys.readouterr().err
    assert "disk full while updating the job record" in err and "Traceback" not in err
    assert not parts(out) and not (out / "a.png").exists()
    statuses = [r["status"] for r in rows(out)]
    assert statuses == ["failed", "waiting", "waiting"], "the photos not reached are listed"


def test_a_photo_reached_twice_is_one_job_and_one_row(
    tmp_path: Path, stub_engine: list[StubColorizer]
) -> None:
    src = tmp_path / "src"
    photo = grey(src / "a.png", 1)
    out = tmp_path / "out"
    assert run(photo, src, tmp_path / "src" / ".." / "src" / "a.png", "-o", out) == 0
    assert [r["source"] for r in rows(out)] == ["../src/a.png"] and calls(stub_engine) == 1


def test_a_deleted_record_is_rebuilt_from_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stub_engine: list[StubColorizer]
) -> None:
    src, out = three_photos(tmp_path), tmp_path / "out"
    assert run(src, "-o", out) == 0
    (out / RECORD_NAME).unlink()
    assert run(src, "-o", out) == 0
    assert "job record is missing" in capsys.readouterr().err
    assert calls(stub_engine) == 3 and {r["message"] for r in rows(out)} == {"up to date; not rewritten"}


def test_with_record_and_report_both_lost_outputs_that_name_colorsphere_are_redone_not_refused(
    tmp_path: Path, stub_engine: list[StubColorizer]
) -> None:
    src, out = three_photos(tmp_path), tmp_path / "out"
    assert run(src, "-o", out) == 0
    (out / REPORT_NAME).unlink()
    (out / RECORD_NAME).write_bytes(b"\x00garbage" * 100)
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(out / "c.png")  # not ours: no Software tag
    assert run(src, "-o", out) == 1
    statuses = {Path(r["source"]).name: r["status"] for r in rows(out)}
    assert statuses == {"a.png": "done", "b.png": "done", "c.png": "failed"}
    assert calls(stub_engine) == 5 and np.asarray(Image.open(out / "c.png")).shape == (4, 4)


def test_a_damaged_record_that_cannot_be_moved_aside_or_opened_is_one_line_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by the fault walk: a damaged record that is also immutable ended in a PermissionError
    traceback; a folder in the record's place said only "run again", which cannot help."""
    src, out = three_photos(tmp_path), tmp_path / "out"
    assert run(src, "-o", out) == 0
    record = out / RECORD_NAME
    record.write_bytes(b"\x00garbage" * 100)
    _make_read_only(record)
    try:
        assert run(src, "-o", out) == 2
    finally:
        _make_writable(record)
    err = capsys.readouterr().err
    assert "Traceback" not in err and "cannot be moved aside" in err and "move or delete it" in err
    record.unlink()
    record.mkdir()
    assert run(src, "-o", out) == 2
    err = capsys.readouterr().err
    assert "cannot be opened" in err and "move away whatever has its name" in err


def test_a_file_where_an_output_subfolder_must_go_is_named_with_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by the fault walk: out/sub being a file failed src/sub/p.png with "Not a directory", naming
    the source (which is fine) and no way out; the other photos are still done."""
    src, out = tmp_path / "src", tmp_path / "out"
    grey(src / "sub" / "p.png")
    grey(src / "q.png", 1)
    out.mkdir()
    (out / "sub").write_bytes(b"a file of the user's")
    assert run(src, "-o", out) == 1
    report = by_source(out)
    message = report["../src/sub/p.png"]["message"]
    assert report["../src/sub/p.png"]["status"] == "failed" and report["../src/q.png"]["status"] == "done"
    assert f"{out / 'sub'} is a file" in message and "move that file away" in message
    assert (out / "sub").read_bytes() == b"a file of the user's"
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_given_as_a_photo_fails_its_row_instead_of_blocking_the_batch(tmp_path: Path) -> None:
    """Found by the fault walk: a FIFO named pipe.png on the command line was opened to read its first
    bytes, which waits for a writer forever; neither Ctrl-C nor SIGTERM could end that wait."""
    src, out = three_photos(tmp_path), tmp_path / "out"
    pipe = tmp_path / "pipe.png"
    os.mkfifo(pipe)
    proc = child("none", tmp_path / "unused", pipe, src / "a.png", "-o", out)
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 1 and "Traceback" not in err
    report = by_source(out)
    assert (
        report["../pipe.png"]["status"] == "failed"
        and "not a regular file" in report["../pipe.png"]["message"]
    )
    assert report["../src/a.png"]["status"] == "done"


def test_sigterm_while_looking_for_photos_is_a_stop_by_the_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from colorsphere_gui.batch import discovery

    src, out = three_photos(tmp_path), tmp_path / "out"
    walk = discovery._walk

    def terminated(*args):  # noqa: ANN002, ANN202
        os.kill(os.getpid(), signal.SIGTERM)
        yield from walk(*args)

    monkeypatch.setattr(discovery, "_walk", terminated)
    assert run(src, "-o", out) == 130
    assert "stopped by the user" in capsys.readouterr().err and not out.exists()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
