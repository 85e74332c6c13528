"""Shared input/output scaling of Zhang et al.'s networks.

Both networks were trained on L centred at 50 and scaled by 100, and on ab scaled by 110; keeping the
constants in one place is what makes the official weights produce the published colours.
"""

from __future__ import annotations

import torch
from torch import nn

L_CENTRE = 50.0
L_SCALE = 100.0
AB_SCALE = 110.0


class ZhangBase(nn.Module):
    """Base of the ECCV16 and SIGGRAPH17 networks: L and ab in Lab units outside, scaled units inside."""

    @staticmethod
    def normalize_l(l: torch.Tensor) -> torch.Tensor:
        return (l - L_CENTRE) / L_SCALE

    @staticmethod
    def normalize_ab(ab: torch.Tensor) -> torch.Tensor:
        return ab / AB_SCALE

    @staticmethod
    def unnormalize_ab(ab: torch.Tensor) -> torch.Tensor:
        return ab * AB_SCALE


def conv_relu_block(
    cin: int, widths: tuple[int, ...], *, dilation: int = 1, last_stride: int = 1
) -> list[nn.Module]:
    """3x3 convolutions each followed by ReLU; the layer order fixes the official state_dict indices."""
    layers: list[nn.Module] = []
    for i, cout in enumerate(widths):
        stride = last_stride if i == len(widths) - 1 else 1
        layers += [
            nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation),
            nn.ReLU(inplace=True),
        ]
        cin = cout
    return layers


def encoder_block(
    cin: int, widths: tuple[int, ...], *, dilation: int = 1, last_stride: int = 1
) -> nn.Sequential:
    """Convolutions + ReLU closed by BatchNorm, as every encoder stage of both networks is."""
    layers = conv_relu_block(cin, widths, dilation=dilation, last_stride=last_stride)
    return nn.Sequential(*layers, nn.BatchNorm2d(widths[-1]))
