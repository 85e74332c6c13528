"""Blind pairs: the judges' files hide the key, sides are balanced, and scoring counts what the judge said."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

from tools.blind_pairs import PairsError, main, make_pairs, read_key, tally, wilson

RED, BLUE, GREY = (0, 0, 220), (220, 0, 0), (128, 128, 128)  # BGR, as cv2 writes them


def results(folder: Path, colour: tuple[int, int, int], names: list[str]) -> Path:
    folder.mkdir(parents=True)
    for i, name in enumerate(names):
        cv2.imwrite(str(folder / f"{name}.png"), np.full((40 + 4 * i, 60, 3), colour, np.uint8))
    return folder


@pytest.fixture
def made(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    names = [f"family_photo_{i}" for i in range(10)]
    new = results(tmp_path / "new", RED, names)
    old = results(tmp_path / "old", BLUE, names + ["only_in_old"])
    grey = results(tmp_path / "grey", GREY, names)
    out, key = tmp_path / "pairs", tmp_path / "key.csv"
    make_pairs(new, old, out, key, ("newmodel", "shipped"), grey=grey, seed=5, height=60)
    return out, key, names


def panel_is_red(image: Path, panel: int) -> bool:
    """Whether panel `panel` (0 = grey input, 1 = A, 2 = B) of a pair image is the red one."""
    rgb = cv2.imread(str(image))[:, :, ::-1].astype(int)
    row = rgb[rgb.shape[0] - 5]
    cols = np.flatnonzero(np.abs(row - 255).sum(axis=1) > 30)  # not the white background
    runs = np.split(cols, np.flatnonzero(np.diff(cols) > 1) + 1)
    r, _, b = row[runs[panel][len(runs[panel]) // 2]]
    return r > b


def test_the_judges_files_name_neither_photo_nor_model(made: tuple[Path, Path, list[str]]) -> None:
    out, key, names = made
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted([f"pair{i:03d}.jpg" for i in range(1, 11)] + ["pairs.csv", "pairs.md"])
    for listing in ("pairs.csv", "pairs.md"):
        text = (out / listing).read_text()
        assert "pair001" in text
        for secret in ["newmodel", "shipped", "family_photo", "key.csv"]:
            assert secret not in text
    assert not key.is_relative_to(out)


def test_sides_are_balanced_and_the_key_says_which_panel_is_which(made: tuple[Path, Path, list[str]]) -> None:
    out, key_file, names = made
    key, mode = read_key(key_file)
    assert mode == "prefer" and sorted(r.photo for r in key.values()) == names
    red_left = 0
    for pair, row in key.items():
        red_a = panel_is_red(out / f"{pair}.jpg", 1)
        assert red_a != panel_is_red(out / f"{pair}.jpg", 2)
        assert row.left == ("newmodel" if red_a else "shipped")
        red_left += red_a
    assert red_left == len(key) // 2
    assert [key[p].photo for p in sorted(key)] != names  # the order is shuffled too


def test_the_key_may_not_sit_among_the_pairs(tmp_path: Path) -> None:
    a, b = results(tmp_path / "a", RED, ["x"]), results(tmp_path / "b", BLUE, ["x"])
    with pytest.raises(PairsError, match="must not be inside"):
        make_pairs(a, b, tmp_path / "pairs", tmp_path / "pairs" / "key.csv", ("a", "b"))


def test_score_counts_a_judge_who_sees_only_the_pictures(
    made: tuple[Path, Path, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The judge prefers red in the first six pairs, calls the next two ties and leaves two blank."""
    out, key_file, _ = made
    verdicts = tmp_path / "verdicts.csv"
    with open(verdicts, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["pair", "image", "verdict"])
        for i in range(1, 11):
            pair = f"pair{i:03d}"
            red_a = panel_is_red(out / f"{pair}.jpg", 1)
            verdict = ("A" if red_a else "b") if i <= 6 else "tie" if i <= 8 else ""
            writer.writerow([pair, f"{pair}.jpg", verdict])
    assert main(["score", str(verdicts), "--key", str(key_file)]) == 0
    printed = capsys.readouterr().out
    lo, hi = wilson(6, 6)
    assert "8 of 10 pairs judged: 6 decided, 2 ties" in printed
    assert (
        f"newmodel: preferred in 6 of 6 decided pairs, 100.0 % (95 % Wilson interval {100 * lo:.1f}-"
        in printed
    )
    assert "shipped: preferred in 0 of 6 decided pairs" in printed
    t = tally(read_key(key_file)[0], {"pair001": "tie"})
    assert (t.wins, t.ties) == ((0, 0), 1)


def test_wilson_interval_matches_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    for k, n in [(0, 10), (7, 10), (48, 55), (30, 30)]:
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert wilson(k, n) == pytest.approx((ci.low, ci.high), abs=2e-3)


def test_real_mode_asks_which_is_the_original(tmp_path: Path) -> None:
    colour = tmp_path / "eval"
    colour.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        cv2.imwrite(str(colour / f"p{i}.jpg"), rng.integers(0, 255, (30, 50, 3), dtype=np.uint8))
    assert main(["grey", str(colour), str(tmp_path / "work"), "--size", "40"]) == 0
    grey = cv2.imread(str(tmp_path / "work" / "grey" / "p0.png"))
    assert grey.shape == (24, 40, 3) and np.ptp(grey.astype(int), axis=2).max() == 0
    out = tmp_path / "pairs"
    assert (
        main(
            [
                "make",
                str(tmp_path / "work" / "original"),
                str(tmp_path / "work" / "grey"),
                "--labels",
                "original,ours",
                "--mode",
                "real",
                "--out",
                str(out),
                "--key",
                str(tmp_path / "key.csv"),
            ]
        )
        == 0
    )
    assert "Which one is the original?" in (out / "pairs.md").read_text()
    assert read_key(tmp_path / "key.csv")[1] == "real"
