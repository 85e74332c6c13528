"""Hints inside the networks: SIGGRAPH17 takes them as the official code builds them, the built-in model's
hint branch changes nothing until trained, each model's distribution is the one its colour comes from,
and the engine passes hints through and proposes likely colours."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from colorsphere_gui import engine
from colorsphere_gui.core.hint_spread import honour_hints
from colorsphere_gui.core.hints import Hint, hex_to_ab, hint_tensors
from colorsphere_gui.core.photo import read_photo
from colorsphere_gui.models import weights
from colorsphere_gui.models.builtin import BuiltinColorizer, BuiltinEnsemble
from colorsphere_gui.models.eccv16 import ECCV16
from colorsphere_gui.models.registry import MODELS
from colorsphere_gui.models.siggraph17 import SIGGRAPH17
from tests.zhang_reference import reference_net, save_weights, structured_images

HINTS = [Hint(20, 12, "#c03020", 4), Hint(70, 40, "#2050c0", 2), Hint(5, 45, "#30a040")]


def grey_photo(tmp_path: Path, height: int = 48, width: int = 96) -> Path:
    l = structured_images(1, height, width, seed=4)[0]
    path = tmp_path / "grey.png"
    Image.fromarray(np.clip(l * 2.55, 0, 255).astype(np.uint8), "L").save(path)
    return path


def test_registry_says_which_models_take_hints() -> None:
    assert MODELS["siggraph17"].takes_hints and MODELS["builtin"].takes_hints
    assert not MODELS["eccv16"].takes_hints
    assert all(spec.has_distribution for spec in MODELS.values())


@torch.no_grad()
def test_siggraph17_takes_hint_tensors_exactly_as_the_official_code() -> None:
    ref = reference_net("siggraph17", seed=1)
    ours = SIGGRAPH17().eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    l = torch.from_numpy(structured_images(1, 64, 96))[:, None]
    ab, mask = (torch.from_numpy(a)[None] for a in hint_tensors(HINTS, (96, 64), (96, 64)))
    captured = {}
    # colorizers computes conv8_3 but not the class head; the official training code applies
    # model_class to conv8_3, so that is what the distribution must be
    ref.model8.register_forward_hook(lambda m, i, o: captured.setdefault("conv8", o))
    expected = ref(l, ab, mask)
    assert torch.equal(ours(l, ab, mask), expected)
    assert not torch.equal(expected, ref(l))  # the hints do change the colour
    probs, bins = ours.distribution(l, ab, mask)
    torch.testing.assert_close(probs, torch.softmax(ref.model_class(captured["conv8"]), dim=1))
    assert bins.shape == (529, 2) and bins[0].tolist() == [-110, -110] and bins[-1].tolist() == [110, 110]


@torch.no_grad()
def test_eccv16_distribution_decodes_to_its_colour() -> None:
    ref = reference_net("eccv16", seed=0)
    ours = ECCV16().eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    l = torch.from_numpy(structured_images(1, 64, 64))[:, None]
    probs, bins = ours.distribution(l)
    torch.testing.assert_close(torch.einsum("nkhw,kc->nchw", probs, bins), ours(l), atol=1e-3, rtol=0)


def seeded(encoder: str, seed: int) -> BuiltinColorizer:
    torch.manual_seed(seed)
    model = BuiltinColorizer(temperature=0.5, encoder=encoder)
    with torch.no_grad():
        model.head.bias.normal_(0, 2)
    return model.eval()


@torch.no_grad()
@pytest.mark.parametrize("encoder", ["mobilenet_v2", "efficientnet_lite0"])
def test_untrained_hint_branch_leaves_the_output_bit_for_bit_unchanged(encoder: str) -> None:
    model = seeded(encoder, 1)
    l = torch.rand(1, 1, 70, 90) * 100
    ab, mask = (torch.from_numpy(a)[None] for a in hint_tensors(HINTS, (90, 70), (90, 70)))
    assert torch.equal(model(l, ab, mask), model(l))


@torch.no_grad()
def test_trained_hint_branch_sees_hints_and_an_empty_map_is_no_hints() -> None:
    model = seeded("mobilenet_v2", 2)
    for p in model.hints.parameters():
        p.normal_(0, 0.2)  # as if trained: the projections are no longer zero
    l = torch.rand(1, 1, 64, 96) * 100
    ab, mask = (torch.from_numpy(a)[None] for a in hint_tensors(HINTS, (96, 64), (96, 64)))
    assert not torch.equal(model(l, ab, mask), model(l))
    assert torch.equal(model(l, torch.zeros_like(ab), torch.zeros_like(mask)), model(l))


@torch.no_grad()
def test_ensemble_distribution_is_the_members_mean_and_decodes_to_their_colour() -> None:
    a, b = seeded("mobilenet_v2", 1), seeded("efficientnet_lite0", 2)
    ensemble = BuiltinEnsemble(("mobilenet_v2", "efficientnet_lite0")).eval()
    ensemble.members[0].load_state_dict(a.state_dict())
    ensemble.members[1].load_state_dict(b.state_dict())
    l = torch.rand(1, 1, 64, 96) * 100
    probs, bins = ensemble.distribution(l)
    assert probs.shape == (1, 529, 16, 24)
    torch.testing.assert_close(probs.sum(dim=1), torch.ones(1, 16, 24))
    expected = (torch.softmax(a.logits(l), 1) + torch.softmax(b.logits(l), 1)) / 2
    torch.testing.assert_close(probs, expected)


def test_engine_passes_hints_to_siggraph17_and_honours_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = reference_net("siggraph17", seed=3)
    weights.import_weights("siggraph17", save_weights(ref, tmp_path / "s.pth"))
    photo = read_photo(grey_photo(tmp_path, 48, 96))
    colorizer = engine.Colorizer("siggraph17", "cpu")
    hints = [Hint(20, 12, "#c03020", 4), Hint(70, 40, "#2050c0", 8)]
    prediction = colorizer.predict(photo, hints)
    assert prediction.hints == 2 and prediction.ab.shape == (256, 256, 2)

    l_small = colorizer.prepare(photo)
    hint_ab, mask = hint_tensors(hints, (96, 48), (256, 256))
    with torch.no_grad():
        raw = ref(
            torch.from_numpy(l_small)[None, None],
            torch.from_numpy(hint_ab)[None],
            torch.from_numpy(mask)[None],
        )
    monkeypatch.setattr(engine, "honour_hints", lambda l, ab, *hint: ab)
    network = colorizer.predict(photo, hints).ab
    # the network's colour is the official code's (Winograd convolutions on the CPU: 0.05 of 110)...
    np.testing.assert_allclose(network, raw[0].permute(1, 2, 0).numpy(), atol=0.05)
    # ...and what the user gets is that colour made to honour the hints
    np.testing.assert_allclose(prediction.ab, honour_hints(l_small, network, hint_ab, mask), atol=1e-4)

    from scipy import ndimage

    labels, count = ndimage.label(mask[0] > 0)
    assert count == 2
    for k, hint in enumerate(hints, start=1):  # each hinted patch carries its hint's chroma exactly
        np.testing.assert_allclose(prediction.ab[labels == k].mean(axis=0), hex_to_ab(hint.color), atol=0.5)


def test_eccv16_follows_hints_through_the_spread_only(tmp_path: Path) -> None:
    ref = reference_net("eccv16", seed=3)
    weights.import_weights("eccv16", save_weights(ref, tmp_path / "e.pth"))
    photo = read_photo(grey_photo(tmp_path))
    colorizer = engine.Colorizer("eccv16", "cpu")
    plain = colorizer.predict(photo).ab
    hinted = colorizer.predict(photo, HINTS[:1]).ab
    hint_ab, mask = colorizer.prepare_hints(photo, HINTS[:1])
    np.testing.assert_allclose(
        hinted, honour_hints(colorizer.prepare(photo), plain, hint_ab, mask), atol=1e-4
    )
    suggestions = colorizer.likely_colours(photo, 30, 20)
    assert 1 <= len(suggestions) <= 5
    assert suggestions == sorted(suggestions, key=lambda s: -s.share)
    assert all(s.color.startswith("#") and len(s.color) == 7 for s in suggestions)


def test_likely_colours_follow_the_distribution_at_the_point(tmp_path: Path) -> None:
    ref = reference_net("siggraph17", seed=3)
    weights.import_weights("siggraph17", save_weights(ref, tmp_path / "s.pth"))
    photo = read_photo(grey_photo(tmp_path))
    colorizer = engine.Colorizer("siggraph17", "cpu")
    suggestions = colorizer.likely_colours(photo, 48, 24, count=3)
    assert 1 <= len(suggestions) <= 3
    l_small = colorizer.prepare(photo)
    with torch.inference_mode():  # as the engine runs it (its Winograd layers need it)
        probs, bins = colorizer._net.distribution(torch.from_numpy(l_small)[None, None])
    cell = probs[0, :, 128 // 4, 128 // 4]
    best = bins[int(cell.argmax())]
    assert np.hypot(suggestions[0].a - float(best[0]), suggestions[0].b - float(best[1])) <= 15
