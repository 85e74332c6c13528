"""`colorsphere colorize --hints DIR`: hints files laid out like the inputs, photos without one colorized
automatically, the report counting each photo's hints, changed hints redoing that photo."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorsphere_gui import cli
from colorsphere_gui.batch import REPORT_NAME
from colorsphere_gui.core.hints import Hint, save_hints
from colorsphere_gui.core.photo import read_photo
from colorsphere_gui.models import weights
from tests.zhang_reference import reference_net, save_weights, structured_images

RED = "#c03020"


def report(outdir: Path) -> dict[str, tuple[str, str]]:
    with (outdir / REPORT_NAME).open(encoding="utf-8") as f:
        return {Path(r["source"]).name: (r["status"], r["message"]) for r in csv.DictReader(f)}


def grey_png(path: Path, seed: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    l = structured_images(1, 48, 64, seed)[0]
    Image.fromarray(np.clip(l * 2.55, 0, 255).astype(np.uint8), "L").save(path)
    return path


def engine_result(photo: Path, hints: list[Hint]) -> np.ndarray:
    """What the engine makes of the photo with these hints, as the batch writes it (8 bits)."""
    from colorsphere_gui.engine import Colorizer

    return np.rint(Colorizer("eccv16", "cpu").colorize(read_photo(photo), hints=hints) * 255)


def written(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    weights.import_weights("eccv16", save_weights(reference_net("eccv16", seed=2), tmp_path / "e.pth"))
    src, hints = tmp_path / "scans", tmp_path / "hints"
    grey_png(src / "sub" / "a.png", 1)
    grey_png(src / "b.png", 2)
    return src, hints, tmp_path / "out"


def colorize(*args: str) -> int:
    return cli.main(["colorize", *args, "--model", "eccv16", "--device", "cpu"])


def test_hints_folder_laid_out_like_the_inputs(setup: tuple[Path, Path, Path]) -> None:
    src, hints, out = setup
    point = Hint(20, 15, RED, 6)
    save_hints((hints / "sub").mkdir(parents=True) or hints / "sub" / "a.png.hints.json", [point])
    assert colorize(str(src), "-o", str(out), "--hints", str(hints)) == 0
    rows = report(out)
    assert rows["a.png"] == ("done", "1 hint used")
    assert rows["b.png"] == ("done", "")  # no hints file: colorized automatically
    assert np.abs(written(out / "sub" / "a.png") - engine_result(src / "sub" / "a.png", [point])).max() <= 1
    assert np.abs(written(out / "sub" / "a.png") - engine_result(src / "sub" / "a.png", [])).mean() > 1

    assert colorize(str(src), "-o", str(out), "--hints", str(hints)) == 0  # nothing changed: nothing redone
    assert {name: status for name, (status, _) in report(out).items()} == {"a.png": "done", "b.png": "done"}
    assert all("up to date" in message for _, message in report(out).values())

    moved = Hint(40, 30, "#2050c0", 3)
    save_hints(hints / "sub" / "a.png.hints.json", [point, moved])  # changed hints redo that photo alone
    assert colorize(str(src), "-o", str(out), "--hints", str(hints)) == 0
    rows = report(out)
    assert rows["a.png"] == ("done", "2 hints used")
    assert "up to date" in rows["b.png"][1]
    expected = engine_result(src / "sub" / "a.png", [point, moved])
    assert np.abs(written(out / "sub" / "a.png") - expected).max() <= 1


def test_photo_named_directly_finds_its_hints_beside_its_name(setup: tuple[Path, Path, Path]) -> None:
    src, hints, out = setup
    hints.mkdir()
    save_hints(hints / "b.png.hints.json", [Hint(5, 5, RED)])
    assert colorize(str(src / "b.png"), "-o", str(out), "--hints", str(hints)) == 0
    assert report(out)["b.png"] == ("done", "1 hint used")


def test_a_bad_hints_file_fails_its_photo_alone(setup: tuple[Path, Path, Path]) -> None:
    src, hints, out = setup
    hints.mkdir()
    (hints / "b.png.hints.json").write_text('{"points": [{"x": 500, "y": 5, "color": "#c03020"}]}')
    assert colorize(str(src), "-o", str(out), "--hints", str(hints)) == 1
    rows = report(out)
    status, message = rows["b.png"]
    assert status == "failed" and "b.png.hints.json" in message and "outside the photo (64 x 48" in message
    assert rows["a.png"][0] == "done"
    assert not (out / "b.png").exists()


def test_missing_hints_folder_is_a_usage_error(setup: tuple[Path, Path, Path], capsys) -> None:
    src, hints, out = setup
    assert colorize(str(src), "-o", str(out), "--hints", str(hints / "nope")) == 2
    assert "no such folder" in capsys.readouterr().err
