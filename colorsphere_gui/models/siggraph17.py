"""SIGGRAPH17: Zhang, Zhu et al., "Real-Time User-Guided Image Colorization with Learned Deep Priors" (2017).

Module names and layer positions follow the official release so that its weights file loads with
strict=True. Hints enter as the official code builds them: ab in Lab units (divided by 110 here) and a
0/1 mask, concatenated with L. The classification head (model_class) does not feed the colour; it
gives the per-pixel ab distribution from which likely colours at a point are proposed, as in the
official demo.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .zhang_base import ZhangBase, encoder_block

HINT_CLASSES = 529
SIDE_MULTIPLE = 8  # three 2x subsamplings, undone by three 2x transposed convolutions


def _conv(cin: int, cout: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=3, padding=1)


def _up(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, kernel_size=4, stride=2, padding=1))


def _decoder_block(channels: int, convs: int) -> nn.Sequential:
    """ReLU (of the skip sum) + [conv, ReLU] * convs + BatchNorm: the official layer order."""
    layers: list[nn.Module] = [nn.ReLU(inplace=True)]
    for _ in range(convs):
        layers += [_conv(channels, channels), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers, nn.BatchNorm2d(channels))


class SIGGRAPH17(ZhangBase):
    """L in [0, 100] (N x 1 x H x W), optional ab hints (Lab units) and hint mask -> ab at full size."""

    def __init__(self) -> None:
        super().__init__()
        self.model1 = encoder_block(4, (64, 64))
        self.model2 = encoder_block(64, (128, 128))
        self.model3 = encoder_block(128, (256, 256, 256))
        self.model4 = encoder_block(256, (512, 512, 512))
        self.model5 = encoder_block(512, (512, 512, 512), dilation=2)
        self.model6 = encoder_block(512, (512, 512, 512), dilation=2)
        self.model7 = encoder_block(512, (512, 512, 512))
        self.model8up = _up(512, 256)
        self.model3short8 = nn.Sequential(_conv(256, 256))
        self.model8 = _decoder_block(256, 2)
        self.model9up = _up(256, 128)
        self.model2short9 = nn.Sequential(_conv(128, 128))
        self.model9 = _decoder_block(128, 1)
        self.model10up = _up(128, 128)
        self.model1short10 = nn.Sequential(_conv(64, 128))
        self.model10 = nn.Sequential(nn.ReLU(inplace=True), _conv(128, 128), nn.LeakyReLU(0.2))
        self.model_class = nn.Sequential(nn.Conv2d(256, HINT_CLASSES, kernel_size=1))
        self.model_out = nn.Sequential(nn.Conv2d(128, 2, kernel_size=1), nn.Tanh())

    def _padded_input(
        self, l: torch.Tensor, ab_hint: torch.Tensor | None, mask: torch.Tensor | None
    ) -> torch.Tensor:
        if ab_hint is None:
            ab_hint = l.new_zeros(l.shape[0], 2, *l.shape[2:])
        if mask is None:
            mask = torch.zeros_like(l)
        h, w = l.shape[-2:]
        pad = (0, -w % SIDE_MULTIPLE, 0, -h % SIDE_MULTIPLE)
        if any(pad):
            l = F.pad(l, pad, mode="replicate")
            ab_hint = F.pad(ab_hint, pad)
            mask = F.pad(mask, pad)
        return torch.cat((self.normalize_l(l), self.normalize_ab(ab_hint), mask), dim=1)

    def _trunk(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(conv1, conv2, conv8): the skips the last stages need and the stride-4 features."""
        conv1 = self.model1(x)
        conv2 = self.model2(conv1[:, :, ::2, ::2])
        conv3 = self.model3(conv2[:, :, ::2, ::2])
        x = self.model4(conv3[:, :, ::2, ::2])
        x = self.model7(self.model6(self.model5(x)))
        return conv1, conv2, self.model8(self.model8up(x) + self.model3short8(conv3))

    def distribution(
        self, l: torch.Tensor, ab_hint: torch.Tensor | None = None, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(probabilities N x 529 x h/4 x w/4, bins 529 x 2 in Lab units): the softmax of the official
        classification head (model_class, on the stride-4 features), over the 23 x 23 grid of 10-unit ab
        bins of the official demo (ideepcolor's pts_grid)."""
        h, w = l.shape[-2:]
        _, _, conv8 = self._trunk(self._padded_input(l, ab_hint, mask))
        probs = torch.softmax(self.model_class(conv8), dim=1)[..., : -(-h // 4), : -(-w // 4)]
        axis = torch.arange(-110.0, 111.0, 10.0)
        a, b = torch.meshgrid(axis, axis, indexing="ij")
        return probs, torch.stack([a.reshape(-1), b.reshape(-1)], dim=1)

    def forward(
        self, l: torch.Tensor, ab_hint: torch.Tensor | None = None, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Any H x W is accepted, unlike the reference.

        The network subsamples three times by slicing and upsamples three times by transposed
        convolution, so a side that is not a multiple of 8 comes back a different size and the skip
        additions fail. The input is padded on the bottom/right to the next multiple of 8 and the
        output cropped back: L with its edge values (replicate works for any size, even below the pad,
        and adds no false edges), hints and mask with zeros, which means "no hint there". Sizes that
        are already multiples of 8 are not padded, so they give exactly the reference's numbers.
        """
        h, w = l.shape[-2:]
        conv1, conv2, x = self._trunk(self._padded_input(l, ab_hint, mask))
        x = self.model9(self.model9up(x) + self.model2short9(conv2))
        x = self.model10(self.model10up(x) + self.model1short10(conv1))
        return self.unnormalize_ab(self.model_out(x))[..., :h, :w]
