"""An archive folder through `colorsphere colorize`: every kind of scan, three broken files, a re-run."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from colorsphere_gui import cli
from colorsphere_gui.batch import MANIFEST_NAME, REPORT_NAME
from colorsphere_gui.core.color import luminance
from colorsphere_gui.core.errors import DiskFullError
from tests import fixtures_images as fx


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def report(outdir: Path) -> dict[str, tuple[str, str]]:
    import csv

    with (outdir / REPORT_NAME).open(encoding="utf-8") as f:
        return {Path(r["source"]).name: (r["status"], r["message"]) for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str], int]:
    root = tmp_path_factory.mktemp("batch")
    src = fx.archive_folder(root)
    before = digests(src)
    out = root / "restored"
    code = cli.main(["colorize", str(src), "-o", str(out), "--device", "cpu"])
    return src, out, before, code


def test_archive_batch_statuses(first_run) -> None:
    src, out, before, code = first_run
    rows = report(out)
    assert code == 1
    assert rows["colour.jpg"][0] == "skipped" and "colour" in rows["colour.jpg"][1]
    assert rows["sepia.jpg"][0] == "done"
    for broken in ("truncated.jpg", "empty.jpg", "notes.jpg"):
        status, message = rows[broken]
        assert status == "failed" and broken in message
        assert not (out / broken).exists()
    done = [name for name, (status, _) in rows.items() if status == "done"]
    expected = ["plate.tif", "rotated.jpg", "icc.jpg", "la.png", "palette.png", "sepia.jpg", "cmyk.jpg"]
    assert sorted(done) == sorted([*expected, "Zoë 1931.jpg"])
    assert digests(src) == before, "sources must stay byte-identical"
    assert not list(out.rglob("*.part")), "no temporary file may be left"


def test_outputs_keep_structure_depth_orientation_and_metadata(first_run) -> None:
    src, out, _, _ = first_run
    tif = tifffile.imread(out / "tiff16" / "plate.tif")
    assert tif.dtype == np.uint16 and tif.shape == (48, 64, 3)
    source_l = luminance(tifffile.imread(src / "tiff16" / "plate.tif"))
    assert np.abs(luminance(tif) - source_l).max() < 0.05, "16-bit luminance must survive the merge"
    with Image.open(out / "tiff16" / "plate.tif") as im:
        assert round(float(im.info["dpi"][0])) == 600
    with Image.open(out / "rotated.jpg") as im:
        assert im.size == (56, 40) and im.getexif().get(0x0112, 1) == 1
        # Pillow reads EXIF ASCII as Latin-1; the bytes are the source's UTF-8.
        assert im.getexif().get(0x013B).encode("latin-1") == fx.ARTIST.encode("utf-8")
    with Image.open(out / "icc.jpg") as im, Image.open(src / "icc.jpg") as source:
        assert im.info.get("icc_profile") == source.info["icc_profile"]
    with Image.open(out / "alpha" / "la.png") as im:
        assert im.mode == "RGBA" and np.asarray(im)[..., 3].min() == 200
    assert (out / "Grand-mère" / "Zoë 1931.jpg").exists()
    rgb = np.asarray(Image.open(out / "sepia.jpg").convert("RGB")).astype(np.float32)
    assert np.ptp(rgb[..., 0] - rgb[..., 2]) > 5, "the output must carry colour"


def test_rerun_skips_everything_up_to_date_without_rewriting(first_run) -> None:
    src, out, _, _ = first_run
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != REPORT_NAME}
    code = cli.main(["colorize", str(src), "-o", str(out), "--device", "cpu"])
    assert code == 1  # the three broken files still fail
    rows = report(out)
    assert rows["plate.tif"] == ("done", "up to date; not rewritten")
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items() if not p.name.startswith(MANIFEST_NAME))


def test_output_equal_to_source_is_refused_with_nothing_written(tmp_path: Path) -> None:
    src = fx.archive_folder(tmp_path)
    before = digests(src)
    assert cli.main(["colorize", str(src), "-o", str(src)]) == 2
    assert digests(src) == before


def test_output_inside_source_is_not_read_back(tmp_path: Path) -> None:
    src = tmp_path / "src"
    fx.save_jpeg(src / "a.jpg", fx.grey_ramp(30, 40))
    out = src / "colorized"
    assert cli.main(["colorize", str(src), "-o", str(out), "--device", "cpu"]) == 0
    assert cli.main(["colorize", str(src), "-o", str(out), "--device", "cpu"]) == 0
    assert not (out / "colorized").exists()
    assert report(out) == {"a.jpg": ("done", "up to date; not rewritten")}


def test_explicit_colour_file_is_colorized_and_same_extension_kept(tmp_path: Path) -> None:
    photo = fx.save_png(tmp_path / "colour.png", fx.colour_scene(40, 50))
    out = tmp_path / "out"
    assert cli.main(["colorize", str(photo), "-o", str(out), "--device", "cpu", "--format", "tiff"]) == 0
    assert (out / "colour.tif").exists()


def test_existing_file_not_written_by_colorsphere_is_never_overwritten(tmp_path: Path) -> None:
    photo = fx.save_jpeg(tmp_path / "src" / "a.jpg", fx.grey_ramp(30, 40))
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.jpg").write_bytes(b"the user's own file")
    assert cli.main(["colorize", str(photo), "-o", str(out), "--device", "cpu"]) == 1
    assert (out / "a.jpg").read_bytes() == b"the user's own file"
    assert "--overwrite" in report(out)["a.jpg"][1]


def test_disk_full_stops_the_batch_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    for i in range(3):
        fx.save_jpeg(src / f"{i}.jpg", fx.grey_ramp(30, 40))

    def full(*args, **kwargs):
        raise DiskFullError(f"disk full writing {args[2]}: free space or choose another destination")

    monkeypatch.setattr("colorsphere_gui.batch.runner.write_photo", full)
    out = tmp_path / "out"
    assert cli.main(["colorize", str(src), "-o", str(out), "--device", "cpu"]) == 1
    rows = report(out)
    assert list(rows) == ["0.jpg"] and rows["0.jpg"][0] == "failed" and "disk full" in rows["0.jpg"][1]


def test_usage_errors_exit_2_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["colorize", str(tmp_path / "missing.jpg"), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert "missing.jpg" in err and len(err.splitlines()) == 1
    assert cli.main(["colorize", str(tmp_path), "-o", str(tmp_path / "o")]) == 2
    assert "no supported photos" in capsys.readouterr().err
    photo = fx.save_jpeg(tmp_path / "a.jpg", fx.grey_ramp(20, 30))
    assert cli.main(["colorize", str(photo), "-o", str(tmp_path / "o"), "--model", "eccv16"]) == 2
    err = capsys.readouterr().err
    assert "colorization_release_v2-9b330a0b.pth" in err and "colorsphere models import" in err


def test_models_list_shows_builtin_installed(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["models", "list"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "installed" in lines["builtin"] and "missing" in lines["siggraph17"]


def test_record_keeps_settings_and_colour_skips(first_run) -> None:
    _, out, _, _ = first_run
    with sqlite3.connect(out / MANIFEST_NAME) as db:
        settings = [json.loads(s) for (s,) in db.execute("SELECT settings FROM outputs")]
        skips = [reason for (reason,) in db.execute("SELECT reason FROM tones")]
    assert len(settings) == 8 and all(s["model"] == "builtin" for s in settings)
    assert skips == [report(out)["colour.jpg"][1]]


def test_redo_colorizes_up_to_date_photos_again(tmp_path: Path) -> None:
    photo = fx.save_jpeg(tmp_path / "src" / "a.jpg", fx.grey_ramp(30, 40))
    out = tmp_path / "out"
    assert cli.main(["colorize", str(photo), "-o", str(out), "--device", "cpu"]) == 0
    stamp = (out / "a.jpg").stat().st_mtime_ns
    assert cli.main(["colorize", str(photo), "-o", str(out), "--device", "cpu", "--redo"]) == 0
    assert report(out)["a.jpg"] == ("done", "")
    assert (out / "a.jpg").stat().st_mtime_ns != stamp


def test_rerun_with_nothing_to_do_neither_decodes_nor_makes_the_colorizer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from colorsphere_gui.batch import BatchRunner, BatchSettings, OnDemand, discover
    from colorsphere_gui.engine import Colorizer

    src = tmp_path / "src"
    fx.save_jpeg(src / "a.jpg", fx.grey_ramp(30, 40))
    fx.save_jpeg(src / "b.jpg", fx.colour_scene(30, 40))
    out = tmp_path / "out"
    made: list[str] = []

    def make() -> Colorizer:
        made.append("made")
        return Colorizer(device="cpu")

    def run() -> list[str]:
        runner = BatchRunner(OnDemand(make).colorize, BatchSettings(model="builtin"))
        return [r.status for r in runner.run(discover([src], out), out).results]

    assert run() == ["done", "skipped"] and made == ["made"]

    def no_decoding(path: Path) -> None:
        raise AssertionError(f"{path} decoded again")

    monkeypatch.setattr("colorsphere_gui.batch.runner.read_photo", no_decoding)
    assert run() == ["done", "skipped"] and made == ["made"]  # nothing decoded, no model loaded


def test_setup_error_stops_the_batch_as_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "src"
    for name in ("a.jpg", "b.jpg"):
        fx.save_jpeg(src / name, fx.grey_ramp(30, 40))
    out = tmp_path / "out"
    assert cli.main(["colorize", str(src), "-o", str(out), "--model", "siggraph17"]) == 2
    err = capsys.readouterr().err
    assert "siggraph17-df00044c.pth" in err and "failed:" not in err
    assert not [p for p in out.rglob("*.jpg")]


def test_cli_and_batch_import_without_torch() -> None:
    """The start-up of a re-run is Python, NumPy, Pillow and OpenCV only; torch comes with the model."""
    import subprocess
    import sys

    code = "import sys, colorsphere_gui.cli, colorsphere_gui.batch; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
