"""Per-stage timings of one photo, in-process, for ColorSphere and for Zhang et al.'s pipeline.

Each stage is timed on its own, after one warm-up pass (oneDNN picks its kernels and the lookup tables
are built on first use), and the median of the repeats is kept. In a batch the stages overlap across
threads, so their sum is an upper bound on the time per photo, not the time itself.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

STAGES = ("decode", "preprocess", "network", "merge", "encode")


def _median_times(steps: Callable[[], dict[str, float]], repeats: int) -> dict[str, float]:
    steps()  # warm-up
    runs = [steps() for _ in range(repeats)]
    return {name: statistics.median(run[name] for run in runs) for name in runs[0]}


class _Clock:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}

    def __call__(self, name: str, fn: Callable[[], object]) -> object:
        start = time.perf_counter()
        result = fn()
        self.times[name] = time.perf_counter() - start
        return result


def colorsphere_stages(path: Path, model: str, out_dir: Path, repeats: int = 3) -> dict[str, float]:
    """decode, preprocess (network input), network, merge (L and ab to the output's 8 bits), encode."""
    from colorsphere_gui.core.photo import read_photo
    from colorsphere_gui.core.writer import output_dtype, write_photo
    from colorsphere_gui.engine import Colorizer

    colorizer = Colorizer(model, "cpu")
    dest = out_dir / f"stages-{model}.jpg"

    def steps() -> dict[str, float]:
        clock = _Clock()
        photo = clock("decode", lambda: read_photo(path))
        net_input = clock("preprocess", lambda: colorizer.prepare(photo))
        prediction = clock("network", lambda: colorizer.predict_inputs([net_input], [path.name])[0])
        dtype = output_dtype(photo)
        pixels = clock("merge", lambda: colorizer.render(photo, prediction.ab, 1.0, dtype))
        clock("encode", lambda: write_photo(pixels, photo, dest, overwrite=True))
        return clock.times

    return _median_times(steps, repeats)


def reference_stages(path: Path, weights: Path, out_dir: Path, repeats: int = 3) -> dict[str, float]:
    """The same stages in Zhang et al.'s pipeline (benchmarks/reference_pipeline.py)."""
    import colorizers
    import torch
    from colorizers import util
    from PIL import Image

    net = colorizers.eccv16(pretrained=False)
    net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    net.eval()
    dest = out_dir / "stages-reference.jpg"

    def steps() -> dict[str, float]:
        clock = _Clock()
        img = clock("decode", lambda: util.load_img(str(path)))
        l_orig, l_rs = clock("preprocess", lambda: util.preprocess_img(img, HW=(256, 256)))
        with torch.no_grad():
            ab = clock("network", lambda: net(l_rs))
        rgb = clock("merge", lambda: util.postprocess_tens(l_orig, ab))
        clock(
            "encode",
            lambda: Image.fromarray((rgb * 255).round().astype(np.uint8)).save(dest, quality=95),
        )
        return clock.times

    return _median_times(steps, repeats)


def batch_network(model: str, repeats: int = 3) -> float:
    """Seconds per photo of the network alone as a batch runs it: two photos side by side."""
    from colorsphere_gui.engine import Colorizer

    colorizer = Colorizer(model, "cpu")
    size = colorizer.spec.input_size
    inputs = [np.random.default_rng(i).uniform(0, 100, (size, size)).astype(np.float32) for i in range(2)]

    def steps() -> dict[str, float]:
        clock = _Clock()
        clock("pair", lambda: colorizer.predict_inputs(inputs, ["a", "b"]))
        return clock.times

    return _median_times(steps, repeats)["pair"] / 2


def builtin_latency(path: Path, repeats: int = 3) -> float:
    """Issue 3's figure for the built-in model on a decoded photo: network input, network at the
    working size, L and the full-resolution merge (into 8 bits, as shown and as saved)."""
    from colorsphere_gui.core.photo import read_photo
    from colorsphere_gui.engine import Colorizer

    colorizer = Colorizer("builtin", "cpu")
    photo = read_photo(path)

    def steps() -> dict[str, float]:
        clock = _Clock()
        clock("latency", lambda: colorizer.render(photo, colorizer.predict(photo).ab, 1.0, np.uint8))
        return clock.times

    return _median_times(steps, repeats)["latency"]


def preview_latency(path: Path, max_side: int = 1600, repeats: int = 3) -> float:
    """Issue 7's GUI figure: from the file to a screen-sized colour preview with the built-in model."""
    from colorsphere_gui.core.photo import read_photo
    from colorsphere_gui.engine import Colorizer

    colorizer = Colorizer("builtin", "cpu")

    def steps() -> dict[str, float]:
        clock = _Clock()
        clock("preview", lambda: colorizer.preview(read_photo(path), max_side))
        return clock.times

    return _median_times(steps, repeats)["preview"]
