"""The training run's two-phase schedule (decoder first, then everything), on a tiny synthetic data folder."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from colorsphere_gui.models.builtin import BuiltinColorizer
from colorsphere_gui.training import train
from colorsphere_gui.training.data import is_validation
from tests.fixtures_images import colour_scene


def photo_names(held_out: bool, count: int) -> list[str]:
    """File names the stable split puts on the wanted side (it hashes names, not pixels)."""
    names = (f"photo_{i:04d}.png" for i in range(10_000))
    return [n for n in names if is_validation(Path(n)) == held_out][:count]


@pytest.fixture
def data_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "train" / "scenes"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in photo_names(False, 6) + photo_names(True, 2):
        rgb = np.roll(colour_scene(150, 170), int(rng.integers(0, 60)), axis=1)
        cv2.imwrite(str(folder / name), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return tmp_path / "train"


@pytest.fixture
def encoder_weights(tmp_path: Path) -> Path:
    """A torchvision-style MobileNetV2 state dict (random, not ImageNet: only the keys matter here)."""
    torch.manual_seed(1)
    features = BuiltinColorizer().features.state_dict()
    path = tmp_path / "mobilenet_v2.pth"
    torch.save({f"features.{k}": v for k, v in features.items()}, path)
    return path


def run(data: Path, weights: Path, run_dir: Path, *extra: str) -> dict[str, torch.Tensor]:
    train.main(
        [str(data), "--run", str(run_dir), "--pack", str(run_dir / "pack.npz"),
         "--encoder-weights", str(weights), "--batch", "2", "--threads", "1", *extra]
    )
    return torch.load(run_dir / "checkpoint.pt", weights_only=False)["model"]


def test_a_frozen_encoder_keeps_its_weights_and_statistics_while_the_decoder_learns(
    data_folder: Path, encoder_weights: Path, tmp_path: Path
) -> None:
    start = torch.load(encoder_weights, weights_only=True)
    model = run(data_folder, encoder_weights, tmp_path / "run", "--steps", "3", "--frozen-encoder-steps", "3")
    for key, value in start.items():
        assert torch.equal(model[key], value), key
    torch.manual_seed(0)  # train.main's seed: this is the decoder the run started from
    initial = BuiltinColorizer().state_dict()
    assert not torch.equal(model["head.bias"], initial["head.bias"])


def test_after_the_frozen_steps_the_encoder_is_fine_tuned(
    data_folder: Path, encoder_weights: Path, tmp_path: Path
) -> None:
    start = torch.load(encoder_weights, weights_only=True)
    model = run(
        data_folder, encoder_weights, tmp_path / "run",
        "--steps", "3", "--frozen-encoder-steps", "1", "--encoder-lr-scale", "0.1",
    )
    key = "features.0.0.weight"
    assert not torch.equal(model[key], start[key])
