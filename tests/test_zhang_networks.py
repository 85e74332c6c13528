"""Our ECCV16/SIGGRAPH17 against Zhang et al.'s reference code, tensor for tensor.

The official weights are not fetched (no network in tests). Instead the reference is built with a seeded
random initialisation and its BatchNorm statistics are calibrated on synthetic photos, so that the
outputs carry real spatial structure; its state_dict is then loaded into ours with strict=True, which
is exactly what loading the official file does.
"""

from __future__ import annotations

import random

import colorizers
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from colorsphere_gui.core.errors import WeightsError
from colorsphere_gui.models import registry, weights
from colorsphere_gui.models.eccv16 import ECCV16
from colorsphere_gui.models.siggraph17 import SIGGRAPH17
from tests.zhang_reference import reference_net, structured_images


@pytest.fixture(scope="module")
def ref_eccv16() -> nn.Module:
    return reference_net("eccv16", seed=0)


@pytest.fixture(scope="module")
def ref_siggraph17() -> nn.Module:
    return reference_net("siggraph17", seed=1)


@pytest.fixture(scope="module")
def ours_eccv16(ref_eccv16: nn.Module) -> ECCV16:
    model = ECCV16().eval()
    model.load_state_dict(ref_eccv16.state_dict(), strict=True)
    return model


@pytest.fixture(scope="module")
def ours_siggraph17(ref_siggraph17: nn.Module) -> SIGGRAPH17:
    model = SIGGRAPH17().eval()
    model.load_state_dict(ref_siggraph17.state_dict(), strict=True)
    return model


def shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


@pytest.mark.parametrize(
    ("ours", "reference"), [(ECCV16, colorizers.eccv16), (SIGGRAPH17, colorizers.siggraph17)]
)
def test_state_dict_keys_and_shapes_are_the_official_ones(ours, reference) -> None:
    with torch.device("meta"):
        assert shapes(ours()) == shapes(reference(pretrained=False))


@torch.no_grad()
def test_eccv16_equals_reference(ours_eccv16: ECCV16, ref_eccv16: nn.Module) -> None:
    l = torch.from_numpy(structured_images(2, 96, 128))[:, None]
    expected = ref_eccv16(l)
    ab = ours_eccv16(l)
    assert ab.shape == (2, 2, 24, 32)  # a quarter of the input, upsampled by the caller
    assert expected.std(dim=(2, 3)).min() > 5  # real spatial structure, not a constant
    upsampled = F.interpolate(ab, scale_factor=4, mode="bilinear", align_corners=False)
    assert (upsampled - expected).abs().max() < 1e-4


@torch.no_grad()
def test_siggraph17_equals_reference_exactly(ours_siggraph17: SIGGRAPH17, ref_siggraph17: nn.Module) -> None:
    l = torch.from_numpy(structured_images(2, 64, 96))[:, None]
    hint = torch.zeros(2, 2, 64, 96)
    mask = torch.zeros(2, 1, 64, 96)
    hint[:, 0, 10:14, 20:24], hint[:, 1, 40:44, 60:64] = 60.0, -50.0
    mask[:, :, 10:14, 20:24] = mask[:, :, 40:44, 60:64] = 1.0

    expected = ref_siggraph17(l)
    assert expected.std(dim=(2, 3)).min() > 1
    assert torch.equal(ours_siggraph17(l), expected)
    assert torch.equal(ours_siggraph17(l, hint, mask), ref_siggraph17(l, hint, mask))


@torch.no_grad()
def test_siggraph17_any_size_is_padded_and_cropped(
    ours_siggraph17: SIGGRAPH17, ref_siggraph17: nn.Module
) -> None:
    l = torch.from_numpy(structured_images(1, 50, 67))[:, None]
    hint = torch.full((1, 2, 50, 67), 30.0)
    mask = torch.zeros(1, 1, 50, 67)
    mask[..., 5:9, 5:9] = 1.0
    with pytest.raises(RuntimeError):
        ref_siggraph17(l)  # upstream fails on sides that are not multiples of 8

    padded = ref_siggraph17(
        F.pad(l, (0, 5, 0, 6), mode="replicate"), F.pad(hint, (0, 5, 0, 6)), F.pad(mask, (0, 5, 0, 6))
    )
    assert torch.equal(ours_siggraph17(l, hint, mask), padded[..., :50, :67])

    ab = ours_siggraph17(torch.from_numpy(structured_images(1, 250, 333))[:, None])
    assert ab.shape == (1, 2, 250, 333)
    assert torch.isfinite(ab).all() and ab.std() > 1


def install(name: str, state_dict: dict[str, torch.Tensor]) -> None:
    path = weights.user_models_dir() / registry.get_spec(name).file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state_dict, path)


@torch.no_grad()
def test_load_model_strict_and_old_batchnorm_format(ours_eccv16: ECCV16) -> None:
    # The official releases predate BatchNorm's num_batches_tracked; such files must load too.
    state = {k: v for k, v in ours_eccv16.state_dict().items() if not k.endswith("num_batches_tracked")}
    install("eccv16", state)
    model = weights.load_model("eccv16")
    assert not model.training
    l = torch.from_numpy(structured_images(1, 64, 64))[:, None]
    assert torch.equal(model(l), ours_eccv16(l))


def test_missing_weights_name_file_folders_and_fix() -> None:
    with pytest.raises(WeightsError) as err:
        weights.load_model("siggraph17")
    message = str(err.value)
    assert "\n" not in message
    assert "siggraph17-df00044c.pth" in message
    assert str(weights.user_models_dir()) in message and str(weights.bundled_models_dir()) in message
    assert "colorsphere models download siggraph17" in message
    assert "colorsphere models import siggraph17" in message


def test_wrong_architecture_is_refused_and_named(ours_siggraph17: SIGGRAPH17) -> None:
    state = ours_siggraph17.state_dict()
    assert registry.identify(state) == "siggraph17"
    install("eccv16", state)
    with pytest.raises(WeightsError) as err:
        weights.load_model("eccv16")
    message = str(err.value)
    assert "colorization_release_v2-9b330a0b.pth" in message
    assert "model1.0.weight has shape (64, 4, 3, 3), expected (64, 1, 3, 3)" in message
    assert "looks like siggraph17" in message
    assert "more" in message  # the list of mismatches is capped


@pytest.mark.parametrize("damage", ["truncated", "random"])
def test_damaged_file_is_refused(ours_eccv16: ECCV16, damage: str) -> None:
    install("eccv16", ours_eccv16.state_dict())
    path = weights.find_weights("eccv16")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncated" else random.Random(0).randbytes(4096))
    with pytest.raises(WeightsError) as err:
        weights.load_model("eccv16")
    assert str(path) in str(err.value) and "colorsphere models download eccv16" in str(err.value)


def test_detection_tells_the_architectures_apart(ours_eccv16: ECCV16) -> None:
    assert registry.identify(ours_eccv16.state_dict()) == "eccv16"
    assert registry.identify({}) is None
    assert weights.check_state_dict("eccv16", ours_eccv16.state_dict()) == []


def test_unknown_model_lists_known_names() -> None:
    with pytest.raises(WeightsError, match="eccv16, siggraph17"):
        registry.get_spec("nope")
    assert registry.DEFAULT_MODEL in registry.MODELS
