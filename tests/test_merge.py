"""The full-resolution merge: torch's bilinear ab, the scan's own L, straight into the writer's depth."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from colorsphere_gui.core import upsample
from colorsphere_gui.core.color import luminance
from colorsphere_gui.core.upsample import merge_pixels, merge_to_rgb


def _ab(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 30, (h, w, 2)).astype(np.float32)


@pytest.mark.parametrize(("height", "width"), [(333, 250), (64, 64), (1100, 37), (5, 7)])
def test_ab_is_torch_bilinear_upsampling(height: int, width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upsample, "STRIP_ROWS", 100)  # several strips, with a short last one
    ab = _ab(64, 64)
    tensor = torch.from_numpy(ab).permute(2, 0, 1)[None]
    expected = F.interpolate(tensor, size=(height, width), mode="bilinear", align_corners=False)
    resizer = upsample._RowResizer(upsample.resize_columns(ab, width), height)
    strips = [resizer.rows(top, min(top + 100, height)) for top in range(0, height, 100)]
    ours = np.stack([np.concatenate([s[c] for s in strips]) for c in (0, 1)])
    np.testing.assert_allclose(ours, expected[0].numpy(), atol=1e-3)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("grey", [True, False])
def test_merge_from_pixels_equals_merge_from_l(dtype: type, grey: bool) -> None:
    rng = np.random.default_rng(1)
    top = np.iinfo(dtype).max
    pixels = rng.integers(0, top + 1, (600, 90) if grey else (600, 90, 3), dtype=dtype)
    ab = _ab(32, 24)
    np.testing.assert_array_equal(merge_pixels(pixels, ab, 0.7), merge_to_rgb(luminance(pixels), ab, 0.7))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_integer_output_is_the_rounded_float_result(dtype: type) -> None:
    pixels = np.random.default_rng(2).integers(0, 256, (700, 50), dtype=np.uint8)
    ab = _ab(40, 40) * 2  # out of gamut in places: the integer result must saturate, not wrap
    as_float = merge_pixels(pixels, ab)
    as_int = merge_pixels(pixels, ab, out=np.empty((*pixels.shape, 3), dtype))
    expected = np.rint(as_float * np.iinfo(dtype).max)
    assert np.abs(as_int - expected).max() <= 1  # float32 rounding differs only at the last level
    assert np.mean(as_int != expected) < 0.01


def test_wrong_out_buffer_is_refused() -> None:
    with pytest.raises(ValueError, match="out must be"):
        merge_to_rgb(np.zeros((10, 10), np.float32), _ab(4, 4), out=np.empty((10, 10, 3), np.int32))
