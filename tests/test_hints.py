"""Colour hints: the sidecar format and its validation, the tensors a network gets, the modes of a
distribution, and the edge-aware pass that makes any colorization honour its hints."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from colorsphere_gui.core.color import rgb_to_lab
from colorsphere_gui.core.errors import ColorSphereError
from colorsphere_gui.core.hint_spread import honour_hints
from colorsphere_gui.core.hints import (
    Hint,
    HintsError,
    distribution_modes,
    hex_to_ab,
    hint_tensors,
    hints_digest,
    load_hints,
    parse_hints,
    save_hints,
    sidecar_path,
)


def test_sidecar_round_trip_keeps_points_and_optional_size(tmp_path: Path) -> None:
    hints = [Hint(120, 80, "#a05030", 5), Hint(3.5, 7, "#00FF00")]
    path = sidecar_path(tmp_path / "scan 1.tif")
    assert path.name == "scan 1.tif.hints.json"
    save_hints(path, hints)
    data = json.loads(path.read_text())
    assert data == {
        "points": [{"x": 120, "y": 80, "color": "#a05030", "size": 5}, {"x": 3.5, "y": 7, "color": "#00ff00"}]
    }
    back = load_hints(path, 200, 100)
    assert [(h.x, h.y, h.color.lower(), h.size) for h in back] == [
        (120, 80, "#a05030", 5),
        (3.5, 7, "#00ff00", None),
    ]
    assert sidecar_path(Path("in/a.jpg"), Path("hints")) == Path("hints/a.jpg.hints.json")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "not valid JSON"),
        ('{"dots": []}', 'no list of "points"'),
        ('{"points": [{"x": 1, "color": "#000000"}]}', "point 1 lacks y"),
        ('{"points": [{"x": 1, "y": 1, "color": "#000000", "colour": 1}]}', "unknown keys colour"),
        ('{"points": [{"x": 250, "y": 1, "color": "#000000"}]}', "outside the photo (200 x 100"),
        ('{"points": [{"x": 1, "y": -1, "color": "#000000"}]}', "outside the photo"),
        ('{"points": [{"x": 1, "y": 1, "color": "red"}]}', "not of the form"),
        ('{"points": [{"x": 1, "y": 1, "color": "#12345"}]}', "not of the form"),
        ('{"points": [{"x": "1", "y": 1, "color": "#123456"}]}', "'x' must be a number"),
        ('{"points": [{"x": 1, "y": 1, "color": "#123456", "size": 0}]}', "'size' must be"),
        ('{"points": [7]}', "point 1 is not an object"),
    ],
)
def test_bad_files_get_a_message_naming_the_file_and_the_fix(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "p.jpg.hints.json"
    path.write_text(text)
    with pytest.raises(HintsError) as err:
        load_hints(path, 200, 100)
    assert isinstance(err.value, ColorSphereError)
    assert expected in str(err.value)
    assert str(path) in str(err.value)


def test_unreadable_file_is_a_hints_error(tmp_path: Path) -> None:
    with pytest.raises(HintsError, match="cannot read"):
        load_hints(tmp_path / "missing.hints.json", 10, 10)


def test_colour_becomes_its_lab_chroma() -> None:
    a, b = hex_to_ab("#a05030")
    lab = rgb_to_lab(np.array([[[0xA0, 0x50, 0x30]]], dtype=np.float32) / 255)[0, 0]
    assert (a, b) == pytest.approx((lab[1], lab[2]), abs=1e-4)
    assert a > 20 and b > 20  # a warm brown
    assert hex_to_ab("#808080") == pytest.approx((0, 0), abs=0.01)


def test_digest_ignores_order_and_sees_every_change() -> None:
    one, two = Hint(1, 2, "#102030"), Hint(5, 6, "#405060", 3)
    assert hints_digest([one, two]) == hints_digest([two, one])
    assert hints_digest([one, two]) != hints_digest([one, Hint(5, 6, "#405061", 3)])
    assert hints_digest([]) == ""


def test_tensors_are_siggraph17_layout_at_the_network_size() -> None:
    # photo 400 x 200 -> network 200 x 100: scale 1/2; a 5-px hint becomes a 2..3 px patch
    ab, mask = hint_tensors(
        [Hint(100, 50, "#a05030", 6), Hint(399, 199, "#2040c0", 1)], (400, 200), (200, 100)
    )
    assert ab.shape == (2, 100, 200) and mask.shape == (1, 100, 200)
    assert set(np.unique(mask)) == {0.0, 1.0}
    rows, cols = np.nonzero(mask[0])
    first = (rows < 90) & (cols < 190)
    assert rows[first].min() <= 25 <= rows[first].max() and cols[first].min() <= 50 <= cols[first].max()
    assert first.sum() == 9  # 6 px * 1/2 = 3 x 3
    np.testing.assert_allclose(ab[:, 25, 50], hex_to_ab("#a05030"), atol=1e-5)
    assert mask[0, 99, 199] == 1 and (~first).sum() == 1  # the edge point stays inside, one pixel
    assert np.all(ab[:, mask[0] == 0] == 0)


def test_modes_of_a_two_peaked_distribution_best_first() -> None:
    axis = np.arange(-110, 111, 10.0)
    a, b = np.meshgrid(axis, axis, indexing="ij")
    bins = np.stack([a.ravel(), b.ravel()], axis=1)
    probs = np.exp(-((bins[:, 0] - 40) ** 2 + (bins[:, 1] - 30) ** 2) / 200) * 2.0
    probs += np.exp(-((bins[:, 0] + 20) ** 2 + (bins[:, 1] + 50) ** 2) / 200)
    probs /= probs.sum()
    modes = distribution_modes(probs, bins, count=5)
    assert len(modes) == 2
    (a1, b1, s1), (a2, b2, s2) = modes
    assert (a1, b1) == pytest.approx((40, 30), abs=2)
    assert (a2, b2) == pytest.approx((-20, -50), abs=2)
    assert s1 > s2 > 0.2


def test_modes_on_eccv16s_in_gamut_bins() -> None:
    rng = np.random.default_rng(0)
    bins = rng.choice(np.arange(-110, 111, 10.0), size=(313, 2))
    probs = np.zeros(313)
    probs[7] = 1.0
    modes = distribution_modes(probs, bins, count=3)
    assert modes[0][:2] == pytest.approx(tuple(bins[7]))


def two_regions(h: int = 60, w: int = 80) -> np.ndarray:
    """L with a dark left half and a bright right half: one strong edge down the middle."""
    l = np.full((h, w), 30.0, dtype=np.float32)
    l[:, w // 2 :] = 80.0
    return l


def test_spread_fills_the_hinted_region_fading_and_stops_at_its_edge() -> None:
    l = two_regions()
    ab = np.zeros((60, 80, 2), dtype=np.float32)
    ab[..., 0] = 5.0
    hint_ab, mask = hint_tensors([Hint(10, 30, "#c03020", 3)], (80, 60), (80, 60))
    out = honour_hints(l, ab, hint_ab, mask)
    target = np.array(hex_to_ab("#c03020"))

    def moved(x: int) -> float:
        return np.hypot(*(out[30, x] - ab[30, x])) / np.hypot(*(target - ab[30, x]))

    np.testing.assert_allclose(out[29:32, 9:12].reshape(-1, 2).mean(0), target, atol=0.5)
    assert 1.0 > moved(20) > moved(35) > 0.4  # within the hinted (dark) half: fading with distance
    assert moved(45) < 0.1  # across the luminance edge, the network's colour stays


def test_a_pixel_far_from_every_hint_keeps_the_network_colour() -> None:
    l = np.full((40, 1200), 50.0, dtype=np.float32)
    ab = np.zeros((40, 1200, 2), dtype=np.float32)
    hints = [Hint(5, 20, "#c03020", 1), Hint(5, 30, "#c04020", 1)]
    hint_ab, mask = hint_tensors(hints, (1200, 40), (1200, 40))
    out = honour_hints(l, ab, hint_ab, mask)
    assert np.hypot(*out[20, 1195]) < 0.05 * np.hypot(*hints[0].ab)


def correction_at(out: np.ndarray, ab: np.ndarray, y: int, x: int) -> float:
    return float(np.hypot(*(out[y, x] - ab[y, x])))


def test_what_the_network_colours_differently_is_not_tinted_though_its_grey_matches() -> None:
    """A hat and the sky behind it can have the same grey; the network's own colours still tell them
    apart, and the hat's hint stays on the hat."""
    l = np.full((60, 80), 60.0, dtype=np.float32)
    ab = np.zeros((60, 80, 2), dtype=np.float32)
    ab[:, 40:] = (-5.0, -30.0)  # the right half: what the network sees as sky
    hint_ab, mask = hint_tensors([Hint(30, 30, "#c03020", 1)], (80, 60), (80, 60))
    out = honour_hints(l, ab, hint_ab, mask)
    assert correction_at(out, ab, 30, 50) < 0.5 * correction_at(out, ab, 30, 10)  # both 20 px away


def test_a_much_darker_region_reached_without_an_outline_is_tinted_less() -> None:
    ramp = np.tile(np.linspace(80.0, 20.0, 300, dtype=np.float32), (40, 1))  # 0.2 L a pixel: no edge
    flat = np.full((40, 300), 80.0, dtype=np.float32)
    ab = np.zeros((40, 300, 2), dtype=np.float32)
    hint_ab, mask = hint_tensors([Hint(5, 20, "#c03020", 1)], (300, 40), (300, 40))
    on_ramp = correction_at(honour_hints(ramp, ab, hint_ab, mask), ab, 20, 250)
    on_flat = correction_at(honour_hints(flat, ab, hint_ab, mask), ab, 20, 250)
    assert on_ramp < 0.5 * on_flat


def test_between_two_hints_the_luminance_edge_decides_whose_colour_a_pixel_takes() -> None:
    red, blue = Hint(10, 30, "#c03020", 1), Hint(70, 30, "#2050c0", 1)
    ab = np.zeros((60, 80, 2), dtype=np.float32)
    hint_ab, mask = hint_tensors([red, blue], (80, 60), (80, 60))
    edge = np.full((60, 80), 20.0, dtype=np.float32)
    edge[:, 45:] = 90.0  # x = 42 lies on red's side of the edge, though nearer to blue
    flat = np.full((60, 80), 50.0, dtype=np.float32)

    def nearer_to_red(l: np.ndarray) -> bool:
        pixel = honour_hints(l, ab, hint_ab, mask)[30, 42]
        return np.hypot(*(pixel - red.ab)) < np.hypot(*(pixel - blue.ab))

    assert nearer_to_red(edge) and not nearer_to_red(flat)


def test_spread_without_hints_changes_nothing() -> None:
    ab = np.random.default_rng(0).normal(0, 10, (20, 30, 2)).astype(np.float32)
    out = honour_hints(
        two_regions(20, 30), ab, np.zeros((2, 20, 30), np.float32), np.zeros((1, 20, 30), np.float32)
    )
    assert out is ab


def test_spread_honours_two_hints_with_different_colours() -> None:
    l = np.full((50, 50), 50.0, dtype=np.float32)
    ab = np.zeros((50, 50, 2), dtype=np.float32)
    hints = [Hint(10, 10, "#c03020", 1), Hint(40, 40, "#2050c0", 1)]
    hint_ab, mask = hint_tensors(hints, (50, 50), (50, 50))
    out = honour_hints(l, ab, hint_ab, mask)
    for h in hints:
        np.testing.assert_allclose(out[int(h.y), int(h.x)], h.ab, atol=0.5)


def test_parse_accepts_what_validation_accepts() -> None:
    text = json.dumps({"points": [{"x": 0, "y": 0, "color": "#ABCDEF", "size": 2.5}]})
    assert parse_hints(text, 1, 1)[0].size == 2.5


def test_a_second_pass_over_the_same_photo_reuses_its_maps_and_gives_the_same_colour() -> None:
    """Hint mode colorizes again with every point after each click; the points' geodesic maps are kept
    between passes, and keeping them must change nothing."""
    from colorsphere_gui.core import hint_spread

    hint_spread._maps.clear()
    l = two_regions()
    ab = np.random.default_rng(1).normal(0, 8, (60, 80, 2)).astype(np.float32)
    hints = [Hint(10, 30, "#c03020", 3), Hint(60, 20, "#2050c0", 3)]
    first = honour_hints(l, ab, *hint_tensors(hints, (80, 60), (80, 60)))
    kept = len(hint_spread._maps)
    assert kept == 2
    again = honour_hints(l, ab, *hint_tensors(hints, (80, 60), (80, 60)))
    np.testing.assert_array_equal(first, again)
    assert len(hint_spread._maps) == kept  # nothing computed anew
    honour_hints(l + 5.0, ab, *hint_tensors(hints, (80, 60), (80, 60)))
    assert len(hint_spread._maps) == kept + 2  # another photo's L: its own maps
