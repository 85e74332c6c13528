"""ColorSphere's own colorizer: a U-Net on an ImageNet-pretrained encoder (MobileNetV2 or EfficientNet-Lite0).

The decoder classifies each pixel's ab into a 23x23 grid of 10-unit bins (as Zhang et al. do, which
keeps rare saturated colours alive instead of regressing to brown) and decodes the distribution with an
annealed mean whose temperature is stored in the weights file, so that the tuned vividness travels with
the model. The call contract is the one every ColorSphere network shares: L in [0, 100] in, ab in Lab
units out.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from .efficientnet_lite import efficientnet_lite0_features, lite0_feature_state

AB_STEP = 10.0
AB_RANGE = 110.0
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# (expansion t, channels c, repeats n, first stride s): torchvision's MobileNetV2 table, so that its
# ImageNet weights load key for key.
MOBILENET_V2_SETTINGS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
INPUT_MULTIPLE = 32
REFINE_RADIUS = 8  # guided-filter window at the network's input size (the registry's input_size)
REFINE_EPS = 1e-3  # (0.03 in L/100 units)^2: weaker luminance edges than this do not split colour


def ab_grid() -> torch.Tensor:
    """Centres of the ab bins, K x 2, row-major over (a, b)."""
    axis = torch.arange(-AB_RANGE, AB_RANGE + 1e-3, AB_STEP)
    a, b = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([a.reshape(-1), b.reshape(-1)], dim=1)


def _conv_bn_relu6(cin: int, cout: int, kernel: int = 3, stride: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU6(inplace=True),
    )


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = cin * expand
        self.use_residual = stride == 1 and cin == cout
        layers: list[nn.Module] = []
        if expand != 1:
            layers.append(_conv_bn_relu6(cin, hidden, kernel=1))
        layers += [
            _conv_bn_relu6(hidden, hidden, stride=stride, groups=hidden),
            nn.Conv2d(hidden, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_residual else self.conv(x)


def mobilenet_v2_features() -> nn.Sequential:
    """MobileNetV2's feature stack without its final 1x1 expansion to 1280 channels."""
    layers: list[nn.Module] = [_conv_bn_relu6(3, 32, stride=2)]
    cin = 32
    for t, c, n, s in MOBILENET_V2_SETTINGS:
        for i in range(n):
            layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
            cin = c
    return nn.Sequential(*layers)


class UpBlock(nn.Module):
    """Upsample x2, concatenate the encoder's skip, two 3x3 convolutions."""

    def __init__(self, cin: int, cskip: int, cout: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin + cskip, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.body(torch.cat([x, skip], dim=1))


def mobilenet_v2_feature_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """torchvision's `features.N...` keys without the prefix; the classifier is dropped."""
    return {k[len("features.") :]: v for k, v in state.items() if k.startswith("features.")}


class Encoder(NamedTuple):
    """What the U-Net needs to know of a pretrained encoder: which of its layers feed the skips (outputs
    at strides 4, 8 and 16), their widths, the input scaling its ImageNet weights were trained on, and
    how the keys of the published weights file map onto `build()`'s layers."""

    build: Callable[[], nn.Sequential]
    feature_state: Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]]
    skip_layers: tuple[int, int, int]
    skip_channels: tuple[int, int, int]
    mean: tuple[float, float, float]
    std: tuple[float, float, float]


ENCODERS = {
    "mobilenet_v2": Encoder(
        mobilenet_v2_features,
        mobilenet_v2_feature_state,
        (3, 6, 13),
        (24, 32, 96),
        IMAGENET_MEAN,
        IMAGENET_STD,
    ),
    "efficientnet_lite0": Encoder(
        efficientnet_lite0_features,
        lite0_feature_state,
        (3, 5, 11),
        (24, 40, 112),
        (127 / 255,) * 3,
        (128 / 255,) * 3,
    ),
}


def _plain_conv(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride, 1, bias=False)


def _zero_conv(cin: int, cout: int) -> nn.Conv2d:
    conv = nn.Conv2d(cin, cout, 1, bias=False)
    nn.init.zeros_(conv.weight)
    return conv


class HintBranch(nn.Module):
    """Colour hints (ab / 110 and the mask, SIGGRAPH17's input layout) -> features added to the U-Net's
    skips at strides 4, 8, 16 and 32.

    No biases and no normalisation, so that an empty hint map gives exactly zero features (the network
    without hints is the network without this branch), and the 1x1 projections start at zero (as
    ControlNet's "zero convolutions" do), so that adding the branch to trained weights changes nothing
    until it has learnt something. The deep strides let one hint spread over a whole object.
    """

    def __init__(self, skip_channels: tuple[int, int, int], deep_channels: int = 320) -> None:
        super().__init__()
        c4, c8, c16 = skip_channels
        relu = partial(nn.ReLU, inplace=True)
        self.down4 = nn.Sequential(
            _plain_conv(3, 32, 2), relu(), _plain_conv(32, 48, 2), relu(), _plain_conv(48, 48), relu()
        )
        self.down8 = nn.Sequential(_plain_conv(48, 64, 2), relu(), _plain_conv(64, 64), relu())
        self.down16 = nn.Sequential(_plain_conv(64, 96, 2), relu(), _plain_conv(96, 96), relu())
        self.down32 = nn.Sequential(_plain_conv(96, 128, 2), relu(), _plain_conv(128, 128), relu())
        self.to4, self.to8 = _zero_conv(48, c4), _zero_conv(64, c8)
        self.to16, self.to32 = _zero_conv(96, c16), _zero_conv(128, deep_channels)

    def forward(self, hint: torch.Tensor) -> tuple[torch.Tensor, ...]:
        h4 = self.down4(hint)
        h8 = self.down8(h4)
        h16 = self.down16(h8)
        h32 = self.down32(h16)
        return self.to4(h4), self.to8(h8), self.to16(h16), self.to32(h32)


def hint_input(ab_hint: torch.Tensor | None, mask: torch.Tensor | None) -> torch.Tensor | None:
    """SIGGRAPH17's hint layout for the hint branch: ab in Lab units scaled by 1/110, the 0/1 mask."""
    if ab_hint is None or mask is None:
        return None
    return torch.cat([ab_hint / AB_RANGE, mask], dim=1)


class BuiltinColorizer(nn.Module):
    def __init__(self, temperature: float = 0.38, encoder: str = "mobilenet_v2") -> None:
        super().__init__()
        spec = ENCODERS[encoder]
        self.encoder_name = encoder
        self.skip_layers = spec.skip_layers
        self.features = spec.build()
        c4, c8, c16 = spec.skip_channels
        self.up16 = UpBlock(320, c16, 160)
        self.up8 = UpBlock(160, c8, 96)
        self.up4 = UpBlock(96, c4, 96)
        bins = ab_grid()
        self.head = nn.Conv2d(96, bins.shape[0], 1)
        self.hints = HintBranch(spec.skip_channels)
        self.register_buffer("ab_bins", bins)
        self.register_buffer("temperature", torch.tensor(float(temperature)))
        self.register_buffer("in_mean", torch.tensor(spec.mean).view(1, 3, 1, 1))
        self.register_buffer("in_std", torch.tensor(spec.std).view(1, 3, 1, 1))

    def logits(self, l: torch.Tensor, hint: torch.Tensor | None = None) -> torch.Tensor:
        """Per-pixel bin scores at 1/4 resolution; the input sides must be multiples of 32. `hint`:
        `hint_input`'s N x 3 x H x W layout, or None for none (the branch is then skipped: an empty
        hint map would add exact zeros)."""
        x = (l / 100.0 - self.in_mean) / self.in_std
        skips = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.skip_layers:
                skips.append(x)
        s4, s8, s16 = skips
        if hint is not None:
            h4, h8, h16, h32 = self.hints(hint)
            s4, s8, s16, x = s4 + h4, s8 + h8, s16 + h16, x + h32
        x = self.up16(x, s16)
        x = self.up8(x, s8)
        x = self.up4(x, s4)
        return self.head(x)

    def decode(self, logits: torch.Tensor, temperature: torch.Tensor | float) -> torch.Tensor:
        """Annealed mean: T=1 is the distribution's mean (safe, dull), T->0 its mode (vivid, blotchy)."""
        prob = torch.softmax(logits.float() / temperature, dim=1)
        return torch.einsum("nkhw,kc->nchw", prob, self.ab_bins.to(prob.dtype))

    def padded_logits(self, l: torch.Tensor, hint: torch.Tensor | None = None) -> torch.Tensor:
        """Bin scores for any input size: L padded with its edge values, hints with zeros (none)."""
        h, w = l.shape[-2:]
        pad = (0, -w % INPUT_MULTIPLE, 0, -h % INPUT_MULTIPLE)
        if any(pad):
            l = F.pad(l, pad, mode="replicate")
            hint = None if hint is None else F.pad(hint, pad)
        return self.logits(l, hint)

    def coarse_ab(self, l: torch.Tensor, hint: torch.Tensor | None = None) -> torch.Tensor:
        """Decoded ab upsampled to the input's size, before refinement."""
        return to_input_size(self.decode(self.padded_logits(l, hint), self.temperature), l)

    def forward(
        self, l: torch.Tensor, ab_hint: torch.Tensor | None = None, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """ab at the input's size, refined so that colour edges follow the photo's own edges."""
        return refine(l, self.coarse_ab(l, hint_input(ab_hint, mask)))


def to_input_size(x: torch.Tensor, l: torch.Tensor) -> torch.Tensor:
    """A map at a quarter of the padded input's size, upsampled and cropped to L's size."""
    h, w = l.shape[-2:]
    size = (x.shape[-2] * 4, x.shape[-1] * 4)
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)[..., :h, :w]


class Fade(NamedTuple):
    """Where the network is unsure, grey instead of a guess.

    An annealed mean over a flat distribution is a blend of unrelated colours, which comes out as a
    sepia or pink wash on walls, skies and backgrounds (issue 15's "stains"). The flatness of the
    members' mean distribution (its entropy over log K) says where that happens: chroma is kept in full
    up to `full`, faded linearly to none at `grey`.
    """

    full: float
    grey: float

    def keep(self, logits: list[torch.Tensor]) -> torch.Tensor:
        prob = torch.stack([torch.softmax(x.float(), dim=1) for x in logits]).mean(dim=0)
        entropy = -(prob * prob.clamp_min(1e-12).log()).sum(dim=1, keepdim=True) / math.log(prob.shape[1])
        return ((self.grey - entropy) / (self.grey - self.full)).clamp(0.0, 1.0)


class BuiltinEnsemble(nn.Module):
    """The mean colour of U-Nets on different pretrained encoders, refined once.

    Networks that learnt from different ImageNet features err in different places, so averaging their
    colour cancels part of each one's mistakes: on the evaluation photos the hue came out right more
    often than with either network alone (docs/MODEL_CARD.md, "Why two encoders"). With a `fade`, the
    colour of pixels the members are unsure of is faded towards grey before refinement.
    """

    def __init__(self, encoders: tuple[str, ...], fade: Fade | None = None) -> None:
        super().__init__()
        self.members = nn.ModuleList(BuiltinColorizer(encoder=name) for name in encoders)
        self.fade = fade

    def forward(
        self, l: torch.Tensor, ab_hint: torch.Tensor | None = None, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """L in [0, 100] and optional hints (SIGGRAPH17's ab-in-Lab-units and 0/1 mask) -> ab."""
        hint = hint_input(ab_hint, mask)
        logits = [member.padded_logits(l, hint) for member in self.members]
        ab = torch.stack([m.decode(x, m.temperature) for m, x in zip(self.members, logits, strict=True)])
        ab = ab.mean(dim=0)
        if self.fade is not None:
            ab = ab * self.fade.keep(logits)
        return refine(l, to_input_size(ab, l))

    def distribution(
        self, l: torch.Tensor, ab_hint: torch.Tensor | None = None, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(probabilities N x K x h/4 x w/4 over the ab bins, the bins K x 2): the members' mean
        distribution at temperature 1, the model's own belief before decoding."""
        hint = hint_input(ab_hint, mask)
        h, w = l.shape[-2:]
        probs = torch.stack(
            [torch.softmax(m.padded_logits(l, hint).float(), dim=1) for m in self.members]
        ).mean(dim=0)
        return probs[..., : -(-h // 4), : -(-w // 4)], self.members[0].ab_bins


def refine(l: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """Snap the colour to the photo's luminance edges (see `guided_filter`)."""
    return guided_filter(l / 100.0, ab, REFINE_RADIUS, REFINE_EPS) if REFINE_RADIUS else ab


def _box(x: torch.Tensor, radius: int) -> torch.Tensor:
    return F.avg_pool2d(x, 2 * radius + 1, stride=1, padding=radius, count_include_pad=False)


def guided_filter(guide: torch.Tensor, src: torch.Tensor, radius: int, eps: float) -> torch.Tensor:
    """He et al.'s guided filter: src made locally linear in the guide (L), per channel.

    The network's colour is predicted at a quarter of its input size; filtering it with the photo's
    luminance as guide snaps colour edges to luminance edges (no bleeding across a jaw line or a roof
    edge) and evens out blotches inside regions of similar tone.
    """
    mean_i = _box(guide, radius)
    var_i = _box(guide * guide, radius) - mean_i * mean_i
    mean_p = _box(src, radius)
    cov_ip = _box(guide * src, radius) - mean_i * mean_p
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return _box(a, radius) * guide + _box(b, radius)


def load_imagenet_encoder(model: BuiltinColorizer, imagenet_state: dict[str, torch.Tensor]) -> None:
    """Copy ImageNet weights into the encoder (classifier and last 1x1 layer unused): torchvision's
    MobileNetV2 file, or the EfficientNet-Lite0 package's file."""
    wanted = model.features.state_dict()
    renamed = ENCODERS[model.encoder_name].feature_state(imagenet_state)
    encoder = {k: v for k, v in renamed.items() if k in wanted}
    missing = sorted(set(wanted) - set(encoder))
    if missing:
        raise ValueError(
            f"these ImageNet weights lack {len(missing)} {model.encoder_name} encoder keys, "
            f"e.g. {missing[:3]}"
        )
    model.features.load_state_dict(encoder, strict=True)
