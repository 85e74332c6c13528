"""What ColorSphere knows about each network, in one place.

A ModelSpec holds everything the rest of the app needs without loading weights: where the file comes
from and how to verify it, how to build the network, what size it wants, whether half precision is safe,
and how to recognise its weights by their keys (as spandrel does), so that an imported file of the wrong
architecture can be named instead of merely refused. Adding a model is one entry in MODELS.

Importing this module does not import torch (the networks are imported by their factories): the CLI
reads the model names at start-up, and a re-run with nothing to colorize must not pay torch's import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core.errors import WeightsError

if TYPE_CHECKING:
    from torch import nn

StateDict = Mapping[str, object]


@dataclass(frozen=True)
class ModelSpec:
    """Facts about one network.

    sha256 is the full digest, or only its leading hex digits where that is all the publisher gives
    (torch.hub names files `<name>-<sha256 prefix>.pth`); verification is a prefix match either way.
    factory builds the network in eval mode with untrained weights; weights.load_model fills it.
    input_size is the side the network is run at: L is resized to input_size x input_size, or, with
    keep_aspect, so that its shorter side is input_size (networks that accept any shape), but never
    longer than max_aspect x input_size: a forward pass needs memory in proportion to its area, and a
    1 x 3000 px strip scaled to a short side of 224 would be 224 x 672,000 (24 GB). Beyond that aspect
    the whole photo is scaled down instead, keeping its shape, so the network's input stays bounded.
    takes_hints: the network's forward takes SIGGRAPH17's hint inputs, `net(l, ab_hint, mask)`
    (core/hints.py builds them); other networks get hints only through the edge-aware correction
    after the network (core/hint_spread.py).
    has_distribution: the network has `distribution(l, ab_hint, mask)` giving its per-pixel ab
    probabilities, from which the engine proposes likely colours at a point.
    revision names what the model's colours look like: a batch redoes outputs made by another revision
    (new weights or decoding that change the colours), and keeps them when only its file changed (a hint
    branch added, which leaves the output without hints as it was). Empty for the official models.
    """

    name: str
    display_name: str
    file_name: str
    url: str | None
    sha256: str | None
    size: int | None
    licence: str
    citation: str
    factory: Callable[[], nn.Module]
    input_size: int
    fp16_safe: bool
    detect: Callable[[StateDict], bool]
    keep_aspect: bool = False
    max_aspect: float = 4.0
    takes_hints: bool = False
    has_distribution: bool = False
    revision: str = ""

    def hash_matches(self, digest: str) -> bool:
        """True when `digest` (full hex SHA-256) is the official release's."""
        return self.sha256 is not None and digest.lower().startswith(self.sha256.lower())


def has_shapes(signature: Mapping[str, tuple[int, ...]]) -> Callable[[StateDict], bool]:
    """A detect function: the state_dict holds these keys with these shapes.

    A few distinctive tensors (first and last layers) are enough to tell architectures apart, and
    checking them needs no network to be built.
    """

    def detect(state_dict: StateDict) -> bool:
        return all(
            tuple(getattr(state_dict.get(key), "shape", ())) == shape for key, shape in signature.items()
        )

    return detect


def _eccv16() -> nn.Module:
    from .eccv16 import ECCV16

    return ECCV16().eval()


def _siggraph17() -> nn.Module:
    from .siggraph17 import SIGGRAPH17

    return SIGGRAPH17().eval()


def _builtin() -> nn.Module:
    from .builtin import BuiltinEnsemble, Fade

    fade = Fade(*BUILTIN_FADE) if BUILTIN_FADE else None
    return BuiltinEnsemble(BUILTIN_ENCODERS, fade=fade).eval()


# The shipped weights, written by tools/export_builtin.py (which prints these four facts).
BUILTIN_FILE = "colorsphere-builtin-8496f2bc.pth"
BUILTIN_SHA256 = "8496f2bc05e17666fe46ac278cf077b318b79bbc8884592654cf2c57ccd69544"
BUILTIN_SIZE = 17453703
BUILTIN_ENCODERS = ("mobilenet_v2", "efficientnet_lite0")
# Fade unsure colour towards grey: (entropy kept in full, entropy greyed); None is off. On: blind judges
# preferred it to the plain ensemble in 29 of 30 archival photos; it halves the stain rate and lowers
# the colour spread (docs/MODEL_CARD.md, "Stains" and "Blind judging").
BUILTIN_FADE: tuple[float, float] | None = (0.5, 0.8)
# The colour-making weights (the networks fine-tuned on train2, 8496f2bc; before them f5174052) and the
# fade: see ModelSpec.revision.
BUILTIN_REVISION = "8496f2bc" + (f"-fade{BUILTIN_FADE[0]}-{BUILTIN_FADE[1]}" if BUILTIN_FADE else "")

MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="builtin",
            display_name="ColorSphere built-in — MobileNetV2 + EfficientNet-Lite0 U-Nets (offline)",
            file_name=BUILTIN_FILE,
            url=None,
            sha256=BUILTIN_SHA256,
            size=BUILTIN_SIZE,
            licence="BSD-2-Clause (weights trained by ColorSphere; training data: docs/MODEL_CARD.md)",
            citation="ColorSphere built-in colorizer (2026): the mean of two U-Nets on ImageNet-pretrained "
            "MobileNetV2 (Sandler et al., CVPR 2018) and EfficientNet-Lite0 (Tan & Le, ICML 2019) encoders, "
            "trained with class-rebalanced ab classification after Zhang et al., ECCV 2016. "
            "See docs/MODEL_CARD.md.",
            factory=_builtin,
            input_size=224,  # measured against 128 and 176 (docs/MODEL_CARD.md)
            keep_aspect=True,
            takes_hints=True,
            has_distribution=True,
            revision=BUILTIN_REVISION,
            fp16_safe=True,
            detect=has_shapes({"members.0.head.weight": (529, 96, 1, 1), "members.0.ab_bins": (529, 2)}),
        ),
        ModelSpec(
            name="eccv16",
            display_name="ECCV16 — Colorful Image Colorization (Zhang et al. 2016)",
            file_name="colorization_release_v2-9b330a0b.pth",
            url="https://colorizers.s3.us-east-2.amazonaws.com/colorization_release_v2-9b330a0b.pth",
            sha256="9b330a0b",
            size=None,
            licence="BSD-2-Clause",
            citation='Richard Zhang, Phillip Isola, Alexei A. Efros. "Colorful Image Colorization". '
            "ECCV 2016.",
            factory=_eccv16,
            input_size=256,
            has_distribution=True,
            # Not validated in half precision against the official weights: stay in float32.
            fp16_safe=False,
            detect=has_shapes(
                {
                    "model1.0.weight": (64, 1, 3, 3),
                    "model8.6.weight": (313, 256, 1, 1),
                    "model_out.weight": (2, 313, 1, 1),
                }
            ),
        ),
        ModelSpec(
            name="siggraph17",
            display_name="SIGGRAPH17 — Real-Time User-Guided Image Colorization (Zhang et al. 2017)",
            file_name="siggraph17-df00044c.pth",
            url="https://colorizers.s3.us-east-2.amazonaws.com/siggraph17-df00044c.pth",
            sha256="df00044c0a4d7c3edcecf6f75437ce346a66e7a42612d9b968e1a7e17dbc6f66",
            size=136787426,
            licence="BSD-2-Clause",
            citation="Richard Zhang, Jun-Yan Zhu, Phillip Isola, Xinyang Geng, Angela S. Lin, Tianhe Yu, "
            'Alexei A. Efros. "Real-Time User-Guided Image Colorization with Learned Deep Priors". '
            "ACM Transactions on Graphics (SIGGRAPH) 2017.",
            factory=_siggraph17,
            input_size=256,
            fp16_safe=False,
            takes_hints=True,
            has_distribution=True,
            detect=has_shapes(
                {
                    "model1.0.weight": (64, 4, 3, 3),
                    "model_class.0.weight": (529, 256, 1, 1),
                    "model_out.0.weight": (2, 128, 1, 1),
                }
            ),
        ),
    )
}

DEFAULT_MODEL = "builtin" if "builtin" in MODELS else "eccv16"


def get_spec(name: str) -> ModelSpec:
    """The spec of `name`; an unknown name is a user error that lists the names that would work."""
    try:
        return MODELS[name]
    except KeyError:
        raise WeightsError(
            f"unknown model {name!r}; known models: {', '.join(MODELS)} (see `colorsphere models list`)"
        ) from None


def identify(state_dict: StateDict) -> str | None:
    """Name of the registered architecture these weights belong to, or None if none fits."""
    return next((spec.name for spec in MODELS.values() if spec.detect(state_dict)), None)
