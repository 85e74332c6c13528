"""The built-in ensemble: members on different encoders, their colour averaged, refined once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from colorsphere_gui.models.builtin import BuiltinColorizer, BuiltinEnsemble, Fade, refine, to_input_size
from tools.export_builtin import load_ensemble


def seeded(encoder: str, seed: int) -> BuiltinColorizer:
    torch.manual_seed(seed)
    model = BuiltinColorizer(temperature=0.5, encoder=encoder)
    with torch.no_grad():
        model.head.bias.normal_(0, 2)  # a confident, far-from-grey head, so that members differ clearly
    return model.eval()


def test_an_ensemble_of_one_network_colours_exactly_as_that_network() -> None:
    single = seeded("efficientnet_lite0", 1)
    ensemble = BuiltinEnsemble(("efficientnet_lite0",)).eval()
    ensemble.members[0].load_state_dict(single.state_dict())
    l = torch.rand(1, 1, 70, 90) * 100
    with torch.no_grad():
        torch.testing.assert_close(ensemble(l), single(l))


def test_the_ensemble_refines_the_mean_colour_of_its_members() -> None:
    a, b = seeded("mobilenet_v2", 1), seeded("efficientnet_lite0", 2)
    ensemble = BuiltinEnsemble(("mobilenet_v2", "efficientnet_lite0")).eval()
    ensemble.members[0].load_state_dict(a.state_dict())
    ensemble.members[1].load_state_dict(b.state_dict())
    l = torch.rand(2, 1, 64, 100) * 100
    with torch.no_grad():
        got = ensemble(l)
        coarse_a, coarse_b = a.coarse_ab(l), b.coarse_ab(l)
        expected = refine(l, (coarse_a + coarse_b) / 2)
    assert got.shape == (2, 2, 64, 100)
    assert (coarse_a - coarse_b).abs().mean() > 1.0
    torch.testing.assert_close(got, expected)


def test_export_builds_each_member_for_the_encoder_its_checkpoint_names(tmp_path: Path) -> None:
    a, b = seeded("mobilenet_v2", 1), seeded("efficientnet_lite0", 2)
    torch.save({"model": a.state_dict()}, tmp_path / "old.pt")  # before checkpoints named their encoder
    torch.save({"model": b.state_dict(), "encoder": "efficientnet_lite0"}, tmp_path / "lite.pt")
    model = load_ensemble([tmp_path / "old.pt", tmp_path / "lite.pt"])
    assert [m.encoder_name for m in model.members] == ["mobilenet_v2", "efficientnet_lite0"]
    assert torch.equal(model.members[0].head.weight, a.head.weight)
    assert torch.equal(model.members[1].features[0].conv_stem.weight, b.features[0].conv_stem.weight)


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_fade_keeps_peaked_colour_and_greys_flat_distributions() -> None:
    """Keep factors computed here, with numpy, from the entropy of the members' mean distribution."""
    rng = np.random.default_rng(0)
    sharpness = np.linspace(0, 12, 40).reshape(1, 1, 5, 8)  # flat (0) to peaked (12) pixel by pixel
    logits = [rng.normal(size=(1, 529, 5, 8)) * sharpness for _ in range(2)]
    prob = np.mean([softmax(x) for x in logits], axis=0)
    entropy = -(prob * np.log(prob)).sum(axis=1, keepdims=True) / np.log(529)
    full, grey = np.quantile(entropy, [0.25, 0.75])
    expected = np.clip((grey - entropy) / (grey - full), 0, 1)
    got = Fade(float(full), float(grey)).keep([torch.from_numpy(x).float() for x in logits])
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-4)
    assert expected.min() == 0 and expected.max() == 1


def test_the_ensemble_fades_its_mean_colour_before_refining_it() -> None:
    a, b = seeded("mobilenet_v2", 1), seeded("efficientnet_lite0", 2)
    l = torch.rand(1, 1, 64, 96) * 100
    with torch.no_grad():
        logits = [m.padded_logits(l) for m in (a, b)]
        coarse = (a.decode(logits[0], a.temperature) + b.decode(logits[1], b.temperature)) / 2
    fade = Fade(0.0, 1.0)  # this untrained pair's entropy lies inside (0, 1): every pixel partly faded
    plain = BuiltinEnsemble(("mobilenet_v2", "efficientnet_lite0")).eval()
    faded = BuiltinEnsemble(("mobilenet_v2", "efficientnet_lite0"), fade=fade).eval()
    for ensemble in (plain, faded):
        ensemble.members[0].load_state_dict(a.state_dict())
        ensemble.members[1].load_state_dict(b.state_dict())
    with torch.no_grad():
        got = faded(l)
        assert got.abs().mean() < 0.5 * plain(l).abs().mean()
        torch.testing.assert_close(got, refine(l, to_input_size(coarse * fade.keep(logits), l)))
