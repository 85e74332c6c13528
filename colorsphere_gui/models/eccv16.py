"""ECCV16: Zhang, Isola, Efros, "Colorful Image Colorization" (2016).

Module names and layer positions follow the official release so that its weights file loads with
strict=True; the network predicts a distribution over 313 quantised ab bins and decodes it with a 1x1
convolution whose weights are the bin centres (the published "mean" decoding).
"""

from __future__ import annotations

import torch
from torch import nn

from .zhang_base import ZhangBase, conv_relu_block, encoder_block

AB_BINS = 313


class ECCV16(ZhangBase):
    """L in [0, 100], N x 1 x H x W -> ab in Lab units at a quarter of the input resolution.

    The reference upsamples x4 at the end; that is left to the caller, which resizes ab to the photo's
    full size in one step instead of two.
    """

    def __init__(self) -> None:
        super().__init__()
        self.model1 = encoder_block(1, (64, 64), last_stride=2)
        self.model2 = encoder_block(64, (128, 128), last_stride=2)
        self.model3 = encoder_block(128, (256, 256, 256), last_stride=2)
        self.model4 = encoder_block(256, (512, 512, 512))
        self.model5 = encoder_block(512, (512, 512, 512), dilation=2)
        self.model6 = encoder_block(512, (512, 512, 512), dilation=2)
        self.model7 = encoder_block(512, (512, 512, 512))
        self.model8 = nn.Sequential(
            nn.ConvTranspose2d(512, 256, kernel_size=4, stride=2, padding=1),
            nn.ReLU(inplace=True),
            *conv_relu_block(256, (256, 256)),
            nn.Conv2d(256, AB_BINS, kernel_size=1),
        )
        self.model_out = nn.Conv2d(AB_BINS, 2, kernel_size=1, bias=False)

    def _logits(self, l: torch.Tensor) -> torch.Tensor:
        x = self.normalize_l(l)
        for stage in (self.model1, self.model2, self.model3, self.model4, self.model5, self.model6):
            x = stage(x)
        return self.model8(self.model7(x))

    def forward(self, l: torch.Tensor) -> torch.Tensor:
        return self.unnormalize_ab(self.model_out(torch.softmax(self._logits(l), dim=1)))

    def distribution(
        self, l: torch.Tensor, ab_hint: torch.Tensor | None = None, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(probabilities N x 313 x h/4 x w/4, bins 313 x 2 in Lab units). The network takes no hints
        (they are ignored); the bin centres are the decoding layer's weights, as the release sets them."""
        bins = self.unnormalize_ab(self.model_out.weight[:, :, 0, 0].t())
        return torch.softmax(self._logits(l), dim=1), bins
