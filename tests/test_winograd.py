"""Winograd convolution equals direct convolution up to float32 rounding, at any size."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from colorsphere_gui.winograd import MIN_CHANNELS, WinogradConv3x3, convert


@pytest.mark.parametrize("dilation", [1, 2])
@pytest.mark.parametrize(("n", "h", "w"), [(1, 32, 32), (2, 16, 24), (1, 13, 7), (3, 5, 30)])
def test_equals_direct_convolution(dilation: int, n: int, h: int, w: int) -> None:
    torch.manual_seed(0)
    conv = nn.Conv2d(48, MIN_CHANNELS, 3, padding=dilation, dilation=dilation).eval()
    x = torch.randn(n, 48, h, w)
    with torch.inference_mode():
        expected, ours = conv(x), WinogradConv3x3(conv)(x)
    assert ours.shape == expected.shape
    assert (ours - expected).abs().max() <= 1e-5 * expected.abs().max()


def test_only_wide_same_size_3x3_layers_are_converted() -> None:
    net = nn.Sequential(
        nn.Conv2d(8, MIN_CHANNELS, 3, padding=1),
        nn.Conv2d(8, 8, 3, padding=1),  # narrow
        nn.Conv2d(8, MIN_CHANNELS, 3, stride=2, padding=1),
        nn.Sequential(nn.Conv2d(8, MIN_CHANNELS, 3, padding=2, dilation=2), nn.ReLU()),
        nn.Conv2d(8, MIN_CHANNELS, 1),
    )
    convert(net)
    kinds = [type(m).__name__ for m in (net[0], net[1], net[2], net[3][0], net[4])]
    assert kinds == ["WinogradConv3x3", "Conv2d", "Conv2d", "WinogradConv3x3", "Conv2d"]
