"""Training: the two-phase schedule, resuming, and weight averaging, on a tiny synthetic data folder."""

from __future__ import annotations

from pathlib import Path

import cv2
import efficientnet_lite_pytorch
import numpy as np
import pytest
import torch

from colorsphere_gui.models.builtin import BuiltinColorizer, BuiltinEnsemble
from colorsphere_gui.training import members, train
from colorsphere_gui.training.average import average_states, encoder_of
from colorsphere_gui.training.data import build_pack, is_validation
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


def photo_folder(root: Path, name: str, count: int, seed: int) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for file in photo_names(False, count):
        rgb = np.roll(colour_scene(150, 170), int(rng.integers(0, 60)), axis=1)
        cv2.imwrite(str(folder / file), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return root


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
        [str(data), "--run", str(run_dir), "--cache", str(run_dir / "cache"),
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


def test_a_resumed_run_ends_with_the_weights_of_an_uninterrupted_one(
    data_folder: Path, encoder_weights: Path, tmp_path: Path
) -> None:
    steps = ("--steps", "4", "--frozen-encoder-steps", "1")
    whole = run(data_folder, encoder_weights, tmp_path / "whole", *steps, "--keep-steps", "2")
    halfway = run(data_folder, encoder_weights, tmp_path / "parts", *steps, "--stop-after", "2")
    resumed = run(data_folder, encoder_weights, tmp_path / "parts", *steps)
    kept = torch.load(tmp_path / "whole" / "checkpoint-2.pt", weights_only=True)["model"]
    assert not torch.equal(halfway["head.weight"], resumed["head.weight"])
    for key in whole:
        assert torch.equal(kept[key], halfway[key]), key
        assert torch.equal(whole[key], resumed[key]), key


def test_averaging_checkpoints_gives_the_mean_network(tmp_path: Path) -> None:
    states = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        state = BuiltinColorizer().state_dict()
        state["up4.body.1.num_batches_tracked"].fill_(seed)
        torch.save({"model": state, "step": seed}, tmp_path / f"c{seed}.pt")
        states.append(state)
    mean = average_states([tmp_path / "c1.pt", tmp_path / "c2.pt"])
    expected = (states[0]["head.weight"] + states[1]["head.weight"]) / 2
    assert torch.allclose(mean["head.weight"], expected, atol=1e-7)
    assert not torch.equal(mean["head.weight"], states[0]["head.weight"])
    assert mean["up4.body.1.num_batches_tracked"].item() == 2
    BuiltinColorizer().load_state_dict(mean)


def test_averaging_refuses_checkpoints_of_different_networks(tmp_path: Path) -> None:
    state = BuiltinColorizer().state_dict()
    torch.save({"model": state}, tmp_path / "a.pt")
    torch.save({"model": {k: v for k, v in state.items() if k != "head.bias"}}, tmp_path / "b.pt")
    with pytest.raises(SystemExit, match="different network"):
        average_states([tmp_path / "a.pt", tmp_path / "b.pt"])


def test_a_lite0_run_records_its_encoder_and_averaging_keeps_it(data_folder: Path, tmp_path: Path) -> None:
    torch.manual_seed(1)
    weights = tmp_path / "lite0.pth"
    torch.save(efficientnet_lite_pytorch.EfficientNet.from_name("efficientnet-lite0").state_dict(), weights)
    run(data_folder, weights, tmp_path / "lite", "--steps", "2", "--encoder", "efficientnet_lite0")
    lite = tmp_path / "lite" / "checkpoint.pt"
    saved = torch.load(lite, weights_only=False)
    assert saved["encoder"] == "efficientnet_lite0"
    BuiltinColorizer(encoder="efficientnet_lite0").load_state_dict(saved["model"])
    assert encoder_of([lite, lite]) == "efficientnet_lite0"
    torch.save({"model": BuiltinColorizer().state_dict()}, tmp_path / "old.pt")
    assert encoder_of([tmp_path / "old.pt"]) == "mobilenet_v2"
    with pytest.raises(SystemExit, match="different encoders"):
        encoder_of([lite, tmp_path / "old.pt"])


@pytest.fixture
def shipped(tmp_path: Path) -> tuple[BuiltinEnsemble, Path]:
    """An ensemble saved as export_builtin.py saves the shipped weights (float16 parameters)."""
    torch.manual_seed(3)
    model = BuiltinEnsemble(("mobilenet_v2", "efficientnet_lite0"))
    weights = tmp_path / "shipped.pth"
    torch.save({k: v.half() if v.is_floating_point() else v for k, v in model.state_dict().items()}, weights)
    return model, weights


def test_a_second_data_folder_is_sampled_by_its_sub_folder_shares(
    tmp_path: Path, shipped: tuple[BuiltinEnsemble, Path]
) -> None:
    first = photo_folder(tmp_path / "train", "scenes", 3, 0)
    second = photo_folder(tmp_path / "train2", "rooms", 2, 1)
    cache = tmp_path / "cache"
    args = [str(first), str(second), "--cache", str(cache), "--init", f"{shipped[1]}:0", "--steps", "1",
            "--batch", "2", "--threads", "1"]
    train.main([*args, "--run", str(tmp_path / "ok"), "--folder-shares", "scenes=0.5,rooms=0.5"])
    assert (tmp_path / "ok" / "checkpoint.pt").exists()
    assert len(np.load(cache / "train2_pack.npz")["train"]) == 2
    assert len(np.load(cache / "train_pack.npz")["train"]) == 3
    with pytest.raises(ValueError, match="houses"):
        train.main([*args, "--run", str(tmp_path / "bad"), "--folder-shares", "scenes=0.5,houses=0.5"])


def test_a_run_can_start_from_a_member_of_shipped_weights(
    data_folder: Path, tmp_path: Path, shipped: tuple[BuiltinEnsemble, Path]
) -> None:
    """Fine-tuning the shipped ensemble further: the run starts exactly at the chosen member."""
    model, weights = shipped
    args = ["--cache", str(tmp_path / "cache"), "--batch", "2", "--threads", "1", "--steps", "1"]
    still = tmp_path / "still"
    train.main([str(data_folder), "--run", str(still), "--init", f"{weights}:1", "--lr", "0", *args])
    saved = torch.load(still / "checkpoint.pt", weights_only=False)
    assert saved["encoder"] == "efficientnet_lite0"
    start = model.members[1].state_dict()
    encoder_key = next(k for k in start if k.startswith("features.") and k.endswith("weight"))
    for key in ("head.weight", encoder_key, "hints.down4.0.weight"):
        assert torch.equal(saved["model"][key], start[key].half().float()), key
    train.main([str(data_folder), "--run", str(tmp_path / "moved"), "--init", f"{weights}:1", *args])
    moved = torch.load(tmp_path / "moved" / "checkpoint.pt", weights_only=False)["model"]
    assert not torch.equal(moved["head.weight"], saved["model"]["head.weight"])


def test_a_run_needs_imagenet_or_shipped_weights_to_start_from(data_folder: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="--encoder-weights"):
        train.main([str(data_folder), "--run", str(tmp_path / "r"), "--cache", str(tmp_path / "c")])


def test_a_member_written_as_a_checkpoint_averages_with_its_fine_tuned_self(
    tmp_path: Path, shipped: tuple[BuiltinEnsemble, Path]
) -> None:
    model, weights = shipped
    members.main([str(weights), "1", str(tmp_path / "start.pt")])
    start = torch.load(tmp_path / "start.pt", weights_only=False)
    assert encoder_of([tmp_path / "start.pt"]) == "efficientnet_lite0"
    tuned = {k: v + 1 if v.is_floating_point() else v for k, v in start["model"].items()}
    torch.save({"model": tuned, "encoder": "efficientnet_lite0"}, tmp_path / "tuned.pt")
    mean = average_states([tmp_path / "start.pt", tmp_path / "tuned.pt"])
    expected = model.members[1].state_dict()["head.weight"].half().float() + 0.5
    assert torch.allclose(mean["head.weight"], expected)


def test_a_pack_whose_writing_fails_leaves_nothing_a_later_run_would_load(
    data_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(file, **arrays) -> None:  # noqa: ANN001, ANN003
        file.write(b"PK half a pack")
        raise OSError(28, "No space left on device")

    cache = tmp_path / "cache"
    monkeypatch.setattr(np, "savez", disk_full)
    with pytest.raises(OSError, match="No space"):
        build_pack(data_folder / "scenes", cache / "scenes_pack.npz")
    assert list(cache.iterdir()) == []
    monkeypatch.undo()
    train_set, val_set = build_pack(data_folder / "scenes", cache / "scenes_pack.npz")
    assert (len(train_set), len(val_set)) == (6, 2)
    assert [p.name for p in cache.iterdir()] == ["scenes_pack.npz"]
