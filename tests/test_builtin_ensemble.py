"""The built-in ensemble: members on different encoders, their colour averaged, refined once."""

from __future__ import annotations

from pathlib import Path

import torch

from colorsphere_gui.models.builtin import BuiltinColorizer, BuiltinEnsemble, refine
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
