"""Work per photo is bounded: very thin or very long scans reach the network at a capped size (issue 18).

A 1 x 3000 px strip used to be scaled so that its short side was 224, a network input of 224 x 672,000
that drove memory to 24 GB. The assertions are on the network's input shape, never on time.
"""

from __future__ import annotations

import numpy as np
import pytest

from colorsphere_gui import engine
from colorsphere_gui.core.photo import Photo
from colorsphere_gui.models.registry import MODELS, get_spec

THIN = [(1, 3000), (3000, 1), (2, 5000), (5000, 2)]


@pytest.mark.parametrize(("height", "width"), [*THIN, (3000, 4000), (224, 224 * 4), (10, 100_000)])
@pytest.mark.parametrize("name", list(MODELS))
def test_network_input_never_exceeds_the_models_bound(name: str, height: int, width: int) -> None:
    spec = get_spec(name)
    w, h = engine.network_size(spec, width, height)
    longest = spec.input_size * (spec.max_aspect if spec.keep_aspect else 1)
    assert 1 <= min(w, h) <= spec.input_size and max(w, h) <= longest
    if spec.keep_aspect and max(w, h) > 1 and min(w, h) > 1:  # the photo's shape is kept
        assert abs(w / h - width / height) / (width / height) < 0.05


def test_ordinary_photos_keep_their_working_size() -> None:
    spec = get_spec("builtin")
    assert engine.network_size(spec, 4000, 3000) == (299, 224)
    assert engine.network_size(spec, 224 * 4, 224) == (224 * 4, 224)  # a 4:1 panorama is not shrunk


@pytest.fixture(scope="module")
def builtin() -> engine.Colorizer:
    return engine.Colorizer("builtin", "cpu")


@pytest.mark.parametrize(("height", "width"), THIN)
def test_thin_scans_colorize_at_full_size_with_a_capped_network_input(
    builtin: engine.Colorizer, monkeypatch: pytest.MonkeyPatch, height: int, width: int
) -> None:
    spec = builtin.spec
    shapes: list[tuple[int, ...]] = []
    run = builtin._run

    def spy(net, device, batch):  # noqa: ANN001, ANN202 - checks what the network is given, then runs it
        shapes.append(batch.shape)
        # checked before running, so that a regression fails here instead of exhausting the memory
        assert max(batch.shape[1:]) <= spec.input_size * spec.max_aspect, batch.shape
        assert min(batch.shape[1:]) <= spec.input_size, batch.shape
        return run(net, device, batch)

    monkeypatch.setattr(builtin, "_run", spy)
    ramp = np.linspace(0, 255, height * width).reshape(height, width).astype(np.uint8)
    rgb = builtin.colorize(Photo(path=None, pixels=ramp))

    assert rgb.shape == (height, width, 3) and np.isfinite(rgb).all()
    assert len(shapes) == 1
