"""The engine reproduces Zhang et al.'s demo pipeline, picks devices, and survives a failing GPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from colorsphere_gui import engine
from colorsphere_gui.core.errors import DeviceError, WeightsError
from colorsphere_gui.core.photo import Photo, read_photo
from colorsphere_gui.models import weights
from tests.zhang_reference import reference_net, save_weights, structured_images


def reference_pipeline(net: torch.nn.Module, path: Path) -> np.ndarray:
    """Zhang et al.'s demo: colorizers.util.load_img / preprocess_img / postprocess_tens."""
    from colorizers import util

    img = util.load_img(str(path))
    tens_l_orig, tens_l_rs = util.preprocess_img(img, HW=(256, 256))
    with torch.no_grad():
        return util.postprocess_tens(tens_l_orig, net(tens_l_rs))


def photo_file(tmp_path: Path, height: int, width: int, seed: int, grey: bool) -> Path:
    l = structured_images(1, height, width, seed)[0]
    g = np.clip(l * 2.55, 0, 255).astype(np.uint8)
    if grey:
        img = Image.fromarray(g, "L")
    else:
        rgb = np.stack([g, np.roll(g, 7, axis=1), 255 - g], axis=2)
        img = Image.fromarray(rgb, "RGB")
    path = tmp_path / f"photo_{seed}.png"
    img.save(path)
    return path


@pytest.mark.parametrize("name", ["eccv16", "siggraph17"])
@pytest.mark.parametrize(("height", "width", "grey"), [(333, 250, True), (240, 400, False)])
def test_pipeline_matches_zhang_demo(tmp_path: Path, name: str, height: int, width: int, grey: bool) -> None:
    ref = reference_net(name, seed=3)
    weights.import_weights(name, save_weights(ref, tmp_path / f"{name}.pth"))
    path = photo_file(tmp_path, height, width, seed=5, grey=grey)

    expected = reference_pipeline(ref, path)
    colorizer = engine.Colorizer(name, "cpu")
    ours = colorizer.colorize(read_photo(path))

    assert ours.shape == expected.shape == (height, width, 3)
    diff = np.abs(np.rint(ours * 255.0) - np.rint(expected * 255.0))
    # The product's bar is a mean below 1.5 and a 99th percentile below 8 levels; float32 against
    # scikit-image's float64 leaves a few pixels one level apart (more where a random net is sharp).
    assert diff.mean() < 0.1
    assert np.percentile(diff, 99) <= 1
    # The comparison means something only if the colour varies across the image.
    chroma = np.ptp(expected[..., 0] - expected[..., 1])
    assert chroma > 0.2


def test_auto_device_is_cpu_without_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert engine.resolve_device("auto").type == "cpu"
    with pytest.raises(DeviceError, match="--device cpu"):
        engine.resolve_device("cuda")
    with pytest.raises(DeviceError, match="unknown device"):
        engine.resolve_device("tpu")


def test_auto_device_prefers_cuda_then_mps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert engine.resolve_device("auto").type == "mps"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert engine.resolve_device("auto").type == "cuda"


class OutOfMemoryNet(torch.nn.Module):
    """Stands in for a network on a GPU that has run out of memory."""

    calls = 0

    def forward(self, l: torch.Tensor) -> torch.Tensor:
        OutOfMemoryNet.calls += 1
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")


def test_gpu_out_of_memory_falls_back_to_cpu_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = reference_net("eccv16", seed=1)
    weights.import_weights("eccv16", save_weights(ref, tmp_path / "e.pth"))
    real_load = weights.load_model
    # The "meta" device stands in for a GPU: tensors move there without CUDA being present.
    monkeypatch.setattr(engine, "resolve_device", lambda choice: torch.device("meta"))
    monkeypatch.setattr(
        engine, "load_model", lambda name, device: OutOfMemoryNet() if device == "meta" else real_load(name)
    )
    messages: list[str] = []
    colorizer = engine.Colorizer("eccv16", "cuda", warn=messages.append)
    photos = [read_photo(photo_file(tmp_path, 64, 96, seed=s, grey=True)) for s in (1, 2)]
    results = [colorizer.predict(p) for p in photos]

    assert all(r.device == "CPU (GPU failed)" for r in results)
    assert all(np.isfinite(r.ab).all() and r.ab.shape == (256, 256, 2) for r in results)
    assert OutOfMemoryNet.calls == 2
    assert len(messages) == 1 and "photo_1.png" in messages[0] and "CPU" in messages[0]


def test_missing_weights_say_how_to_fix() -> None:
    with pytest.raises(WeightsError) as err:
        engine.Colorizer("siggraph17", "cpu")
    text = str(err.value)
    assert "siggraph17-df00044c.pth" in text and "colorsphere models" in text
    assert "\n" not in text


def test_strength_scales_colour_and_keeps_luminance(tmp_path: Path) -> None:
    ref = reference_net("eccv16", seed=2)
    weights.import_weights("eccv16", save_weights(ref, tmp_path / "e.pth"))
    photo = read_photo(photo_file(tmp_path, 120, 160, seed=4, grey=True))
    colorizer = engine.Colorizer("eccv16", "cpu")
    full, half, none = (colorizer.colorize(photo, s) for s in (1.0, 0.5, 0.0))
    from colorsphere_gui.core.color import rgb_to_lab

    lab_full, lab_half, lab_none = (rgb_to_lab(x) for x in (full, half, none))
    chroma = [float(np.hypot(x[..., 1], x[..., 2]).mean()) for x in (lab_full, lab_half, lab_none)]
    assert chroma[0] > chroma[1] > chroma[2] and chroma[2] < 0.5
    assert np.abs(lab_none[..., 0] - photo.luminance()).max() < 0.5


def test_network_size_keeps_aspect_only_when_the_model_wants_it() -> None:
    from colorsphere_gui.models.registry import get_spec

    assert engine.network_size(get_spec("eccv16"), 4000, 3000) == (256, 256)
    spec = get_spec("builtin")
    w, h = engine.network_size(spec, 4000, 3000)
    assert spec.keep_aspect and h == spec.input_size and abs(w / h - 4 / 3) < 0.01


def test_photo_without_path_can_be_colorized(tmp_path: Path) -> None:
    ref = reference_net("eccv16", seed=2)
    weights.import_weights("eccv16", save_weights(ref, tmp_path / "e.pth"))
    pixels = (structured_images(1, 50, 70, 9)[0] * 2.55).astype(np.uint8)
    out = engine.Colorizer("eccv16", "cpu").colorize(Photo(path=None, pixels=pixels))
    assert out.shape == (50, 70, 3) and out.dtype == np.float32


def test_photos_predicted_together_each_get_their_own_prediction(tmp_path: Path) -> None:
    ref = reference_net("eccv16", seed=2)
    weights.import_weights("eccv16", save_weights(ref, tmp_path / "e.pth"))
    colorizer = engine.Colorizer("eccv16", "cpu")
    photos = [read_photo(photo_file(tmp_path, 90 + 10 * s, 120, seed=s, grey=True)) for s in (1, 2)]
    inputs = [colorizer.prepare(p) for p in photos]
    together = colorizer.predict_inputs(inputs, ["a", "b"])
    for photo, shared in zip(photos, together, strict=True):
        np.testing.assert_allclose(shared.ab, colorizer.predict(photo).ab, atol=1e-3)
    assert np.abs(together[0].ab - together[1].ab).mean() > 0.1


def test_preview_is_screen_sized_and_keeps_the_full_results_colour(tmp_path: Path) -> None:
    ref = reference_net("eccv16", seed=2)
    weights.import_weights("eccv16", save_weights(ref, tmp_path / "e.pth"))
    colorizer = engine.Colorizer("eccv16", "cpu")
    photo = read_photo(photo_file(tmp_path, 300, 450, seed=4, grey=True))
    small, prediction = colorizer.preview(photo, max_side=150)
    assert small.shape == (100, 150, 3) and small.dtype == np.uint8
    full = colorizer.render(photo, prediction.ab, dtype=np.uint8)
    assert np.abs(full - np.rint(colorizer.colorize(photo) * 255)).max() <= 1  # float32 rounding
    shrunk = full.reshape(100, 3, 150, 3, 3).mean(axis=(1, 3))
    assert np.abs(shrunk - small).mean() < 3


def test_grey_saved_as_rgb_colorizes_exactly_like_grey(tmp_path: Path) -> None:
    ref = reference_net("eccv16", seed=2)
    weights.import_weights("eccv16", save_weights(ref, tmp_path / "e.pth"))
    grey = read_photo(photo_file(tmp_path, 120, 90, seed=6, grey=True))
    as_rgb = Photo(path=None, pixels=np.repeat(grey.pixels[..., None], 3, axis=2))
    assert as_rgb.grey_pixels is not None and np.array_equal(as_rgb.grey_pixels, grey.pixels)
    colorizer = engine.Colorizer("eccv16", "cpu")
    np.testing.assert_allclose(colorizer.colorize(as_rgb), colorizer.colorize(grey), atol=1e-5)
    tinted = as_rgb.pixels.copy()
    tinted[0, 0, 2] ^= 1
    assert Photo(path=None, pixels=tinted).grey_pixels is None
