"""`colorsphere evaluate` with the built-in model: the fault columns, and photos scored at one size."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from colorsphere_gui import cli


def write_photos(folder: Path) -> None:
    """A blue sky over a grey wall, and a red roof: both faults have pixels to be counted on."""
    folder.mkdir()
    scene = np.full((90, 120, 3), 128, np.uint8)  # BGR grey wall
    scene[:40] = (200, 150, 90)  # blue sky
    cv2.imwrite(str(folder / "sky.png"), scene)
    roof = np.full((150, 100, 3), 120, np.uint8)
    roof[:60, :, :] = (40, 40, 190)
    cv2.imwrite(str(folder / "roof.png"), roof)


def table_rows(printed: str) -> dict[str, list[str]]:
    rows = [line.strip("|").split("|") for line in printed.splitlines() if line.startswith("| ")]
    return {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rows}


def test_evaluate_reports_stain_and_hue_hit_rates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_photos(tmp_path / "photos")
    assert cli.main(["evaluate", str(tmp_path / "photos"), "--size", "64"]) == cli.EXIT_OK
    printed = capsys.readouterr().out
    rows = table_rows(printed)
    assert rows["model"][-2:] == ["stain rate %", "hue hits %"]
    assert rows["grey baseline"][-2:] == ["0.0", "0.0"]  # grey has no colour: no stain, no hue
    stain, hue = (float(x) for x in rows["builtin"][-2:])
    assert 0.0 <= stain <= 100.0 and 0.0 <= hue <= 100.0
    assert "2 photos; stain and hue-hit rates pooled over all pixels of all photos" in printed


def test_a_negative_size_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_photos(tmp_path / "photos")
    assert cli.main(["evaluate", str(tmp_path / "photos"), "--size", "-5"]) == cli.EXIT_USAGE
    assert "--size -5" in capsys.readouterr().err
