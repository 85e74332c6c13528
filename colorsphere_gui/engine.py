"""Turns a Photo into colour: device choice, the network at its working size, the full-size merge.

Every front end (CLI, GUI, batch, benchmarks) goes through `Colorizer`, so that a photo comes out the
same whichever door it came in by. The luminance of the scan is never re-estimated: the output's L is
the input's L; only ab comes from the network.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from colorsphere_gui import winograd
from colorsphere_gui.core.color import luminance
from colorsphere_gui.core.errors import DeviceError
from colorsphere_gui.core.hint_spread import honour_hints
from colorsphere_gui.core.hints import (
    Hint,
    Suggestion,
    ab_to_hex,
    distribution_modes,
    hint_tensors,
    network_point,
)
from colorsphere_gui.core.photo import Photo
from colorsphere_gui.core.upsample import merge_pixels
from colorsphere_gui.models.registry import DEFAULT_MODEL, ModelSpec, get_spec
from colorsphere_gui.models.weights import load_model

T = TypeVar("T")
HintArrays = tuple[np.ndarray, np.ndarray]  # (ab 2 x h x w in Lab units, mask 1 x h x w) at the network size
DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
# Photos that predict_inputs takes at once in a batch job: two lanes on a CPU (see _Lanes), or two
# photos per forward pass on a GPU, where the CPU stages around the network are the bottleneck anyway.
BATCH_SIZE = 2


def resolve_device(choice: str = "auto") -> torch.device:
    """`auto` prefers CUDA, then Apple's MPS, then the CPU; an explicit choice must exist."""
    if choice not in DEVICE_CHOICES:
        raise DeviceError(f"unknown device '{choice}': choose one of {', '.join(DEVICE_CHOICES)}")
    cuda, mps = torch.cuda.is_available(), torch.backends.mps.is_available()
    if choice == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    if choice == "cuda" and not cuda:
        raise DeviceError("no CUDA GPU is available (or its driver is not loaded): use --device cpu or auto")
    if choice == "mps" and not mps:
        raise DeviceError("Apple MPS is not available on this machine: use --device cpu or auto")
    return torch.device(choice)


def describe_device(device: torch.device) -> str:
    """What a user should read in a status bar: the GPU's name, or the CPU with its thread count."""
    if device.type == "cuda":
        return f"GPU: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "GPU: Apple MPS"
    return f"CPU ({torch.get_num_threads()} threads)"


def network_size(spec: ModelSpec, width: int, height: int) -> tuple[int, int]:
    """Size (w, h) of the network's input: Zhang's nets take a fixed square, ours keeps the aspect, with
    the long side capped (see ModelSpec.max_aspect) so that a thin strip costs no more than a panorama."""
    if not spec.keep_aspect:
        return spec.input_size, spec.input_size
    longest = spec.input_size * spec.max_aspect
    scale = min(spec.input_size / min(width, height), longest / max(width, height))
    return max(1, min(round(width * scale), int(longest))), max(1, min(round(height * scale), int(longest)))


def network_input(pixels8: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """L of the photo resized as Zhang et al. do it: PIL's antialiased bicubic on 8-bit pixels, then Lab.

    Grey (HxW) pixels are resized as one channel: PIL filters every channel with the same integer
    weights, so the result equals Zhang's three identical channels at a third of the cost.
    """
    small = np.asarray(Image.fromarray(pixels8).resize(size, resample=Image.Resampling.BICUBIC))
    return luminance(small)


def pixels8(photo: Photo) -> np.ndarray:
    """The photo at 8 bits, grey kept single-channel; 16 bits are rounded as Photo.rgb8 rounds them."""
    p = photo.grey_pixels
    if p is None:
        return photo.rgb8()
    return ((p.astype(np.uint32) + 128) // 257).astype(np.uint8) if p.dtype == np.uint16 else p


def _merge_source(photo: Photo) -> np.ndarray:
    """The pixels L is taken from: one channel where the photo is grey, whatever its file layout."""
    grey = photo.grey_pixels
    return photo.pixels if grey is None else grey


def _is_gpu_failure(exc: BaseException) -> bool:
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and any(k in text for k in ("CUDA", "cuDNN", "MPS", "out of memory"))


def _load(name: str, device: torch.device) -> torch.nn.Module:
    """The network on the device; on a CPU, its wide 3x3 layers as Winograd convolutions (winograd.py)."""
    net = load_model(name, device=str(device))
    return winograd.convert(net) if device.type == "cpu" else net


class _Lanes:
    """Threads that each run a whole forward pass on their own share of the CPU cores.

    On 2 cores, one forward pass on both cores stalls whenever a batch job's read or write thread takes
    a core: every layer's parallel region waits for its slowest thread. Two single-threaded passes side
    by side lose only what the other threads actually use, and need no barrier at all (measured in
    docs/PERFORMANCE.md: ECCV16 0.385 s per photo against 0.413 s on an idle machine, more under load).
    """

    def __init__(self, count: int) -> None:
        threads = max(1, (os.cpu_count() or 1) // count)
        self._pool = ThreadPoolExecutor(count, thread_name_prefix="colorsphere-lane")
        all_started = threading.Barrier(count)  # so that each task below runs on its own thread
        previous = torch.get_num_threads()

        def claim() -> None:
            torch.get_num_threads()  # torch sets a thread's count on its first use: let it happen now
            torch.set_num_threads(threads)
            all_started.wait()

        for started in [self._pool.submit(claim) for _ in range(count)]:
            started.result()
        # set_num_threads also set the default for threads yet to start: give the others theirs back
        torch.set_num_threads(previous)

    def map(self, calls: Iterable[Callable[[], T]]) -> list[T]:
        """Run the calls, as many at once as there are lanes; results in order."""
        return list(self._pool.map(lambda call: call(), calls))


@dataclass
class Prediction:
    """The network's colour for one photo, kept small so that strength changes need no new inference."""

    ab: np.ndarray  # h x w x 2 float32, Lab units, at the network's output size
    device: str
    hints: int = 0  # how many hints the colour follows (set by predict / predict_rgb8)


class Colorizer:
    """One model on one device; falls back to the CPU for a photo when the GPU fails on it."""

    def __init__(
        self, model: str = DEFAULT_MODEL, device: str = "auto", warn: Callable[[str], None] | None = None
    ) -> None:
        self.spec = get_spec(model)
        self.device = resolve_device(device)
        self._warn = warn or (lambda msg: warnings.warn(msg, stacklevel=2))
        self._warned_fallback = False
        self._net = _load(self.spec.name, self.device)
        self._cpu_net: torch.nn.Module | None = self._net if self.device.type == "cpu" else None
        self.batch_size = BATCH_SIZE
        self._lanes: _Lanes | None = None

    @property
    def device_description(self) -> str:
        return describe_device(self.device)

    def prepare(self, photo: Photo) -> np.ndarray:
        """The network's input for the photo (L at the working size): cheap, so that a batch job can
        make the next one on another thread while the network is busy."""
        small = pixels8(photo)
        return network_input(small, network_size(self.spec, small.shape[1], small.shape[0]))

    def prepare_hints(self, photo: Photo, hints: Sequence[Hint]) -> HintArrays | None:
        """The hints as the network takes them at its working size (None for no hints)."""
        if not hints:
            return None
        w, h = photo.size
        return hint_tensors(hints, (w, h), network_size(self.spec, w, h))

    def predict(self, photo: Photo, hints: Sequence[Hint] = ()) -> Prediction:
        """Run the network on the photo's luminance at the model's working size, following `hints`
        (points in the photo's pixels after EXIF orientation; see core/hints.py)."""
        name = photo.path.name if photo.path else "photo"
        prediction = self.predict_inputs([self.prepare(photo)], [name], [self.prepare_hints(photo, hints)])[0]
        prediction.hints = len(hints)
        return prediction

    def predict_rgb8(self, rgb8: np.ndarray, name: str = "photo", hints: Sequence[Hint] = ()) -> Prediction:
        """The same, from an 8-bit rendering (RGB, or grey as HxW); `name` is for warnings."""
        size = network_size(self.spec, rgb8.shape[1], rgb8.shape[0])
        arrays = hint_tensors(hints, (rgb8.shape[1], rgb8.shape[0]), size) if hints else None
        prediction = self.predict_inputs([network_input(rgb8, size)], [name], [arrays])[0]
        prediction.hints = len(hints)
        return prediction

    def predict_inputs(
        self,
        inputs: Sequence[np.ndarray],
        names: Sequence[str],
        hints: Sequence[HintArrays | None] | None = None,
    ) -> list[Prediction]:
        """Predictions for prepared inputs: side by side on CPU lanes, else those of one size sharing a
        forward pass; `names` are for warnings; `hints`: `prepare_hints` of each input (or None)."""
        hints = list(hints) if hints is not None else [None] * len(inputs)
        if self.device.type == "cpu" and len(inputs) > 1:
            if self._lanes is None:
                self._lanes = _Lanes(BATCH_SIZE)
            calls = [
                partial(self._predict_group, [x], name, [hint])
                for x, name, hint in zip(inputs, names, hints, strict=True)
            ]
            return [predictions[0] for predictions in self._lanes.map(calls)]
        groups: dict[tuple[object, ...], list[int]] = {}
        for i, l_small in enumerate(inputs):
            groups.setdefault((*l_small.shape, hints[i] is None), []).append(i)
        results: list[Prediction] = [None] * len(inputs)  # type: ignore[list-item]
        for members in groups.values():
            predictions = self._predict_group(
                [inputs[i] for i in members], names[members[0]], [hints[i] for i in members]
            )
            for i, prediction in zip(members, predictions, strict=True):
                results[i] = prediction
        return results

    def _predict_group(
        self, inputs: Sequence[np.ndarray], name: str, hints: Sequence[HintArrays | None]
    ) -> list[Prediction]:
        """One forward pass over inputs of one size (all with hints, or all without)."""
        stacked = None if hints[0] is None else tuple(np.stack(parts) for parts in zip(*hints, strict=True))
        ab, device = self._run_with_fallback(np.stack(inputs), name, stacked)
        out = []
        for row, hint in enumerate(hints):
            if hint is None:
                out.append(Prediction(ab[row], device))
                continue
            out.append(Prediction(honour_hints(inputs[row], ab[row], *hint), device))
        return out

    def likely_colours(
        self, photo: Photo, x: float, y: float, hints: Sequence[Hint] = (), count: int = 5
    ) -> list[Suggestion]:
        """The colours the model finds likely at photo pixel (x, y) given the other hints: the main
        modes of its predicted ab distribution there, most probable first (empty for a model without
        one). Costs about one forward pass at the working size."""
        if not self.spec.has_distribution:
            return []
        l_small = self.prepare(photo)
        arrays = self.prepare_hints(photo, hints)
        l = torch.from_numpy(l_small)[None, None].to(self.device)
        with torch.inference_mode():
            if arrays is not None and self.spec.takes_hints:
                ab, mask = (torch.from_numpy(a)[None].to(self.device) for a in arrays)
                probs, bins = self._net.distribution(l, ab, mask)
            else:
                probs, bins = self._net.distribution(l)
        w, h = photo.size
        col, row = network_point(Hint(x, y, "#000000"), (w, h), (l_small.shape[1], l_small.shape[0]))
        ph, pw = probs.shape[-2:]
        cell = probs[
            0, :, min(ph - 1, row * ph // l_small.shape[0]), min(pw - 1, col * pw // l_small.shape[1])
        ]
        lightness = float(l_small[row, col])
        return [
            Suggestion(a, b, share, ab_to_hex(lightness, a, b))
            for a, b, share in distribution_modes(cell.float().cpu().numpy(), bins.cpu().numpy(), count)
        ]

    def render(
        self, photo: Photo, ab: np.ndarray, strength: float = 1.0, dtype: type[np.generic] = np.float32
    ) -> np.ndarray:
        """The photo's own L with ab at full resolution: float32 in [0, 1], or already rounded to
        uint8/uint16, which is what the writer stores (a quarter or half of float32's memory)."""
        out = np.empty((*photo.pixels.shape[:2], 3), dtype=dtype)
        return merge_pixels(_merge_source(photo), ab, strength, out)

    def colorize(self, photo: Photo, strength: float = 1.0, hints: Sequence[Hint] = ()) -> np.ndarray:
        """RGB float32 in [0, 1] at the photo's full resolution."""
        return self.render(photo, self.predict(photo, hints).ab, strength)

    def preview(
        self,
        photo: Photo,
        max_side: int = 1600,
        strength: float = 1.0,
        prediction: Prediction | None = None,
        hints: Sequence[Hint] = (),
    ) -> tuple[np.ndarray, Prediction]:
        """A screen-sized colour version (uint8 RGB, longer side at most max_side) and the prediction,
        so that a viewer shows colour in well under a second and keeps the prediction for the full-size
        render. The network sees exactly what it sees for the full result (its input is made from the
        full-resolution pixels), so the colours do not shift when the full render replaces the preview;
        only L is taken from a downscaled copy. `hints` are used only when no prediction is given."""
        if prediction is None:
            prediction = self.predict(photo, hints)
        h, w = photo.pixels.shape[:2]
        scale = min(1.0, max_side / max(h, w))
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        pixels = _merge_source(photo)
        small = pixels if scale == 1.0 else cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
        out = np.empty((size[1], size[0], 3), dtype=np.uint8)
        return merge_pixels(small, prediction.ab, strength, out), prediction

    def _run_with_fallback(
        self, batch: np.ndarray, name: str, hints: HintArrays | None = None
    ) -> tuple[np.ndarray, str]:
        extra = () if hints is None else (hints,)  # _run(net, device, batch) stays the plain call
        try:
            return self._run(self._net, self.device, batch, *extra), self.device_description
        except (RuntimeError, torch.cuda.OutOfMemoryError) as exc:
            if self.device.type == "cpu" or not _is_gpu_failure(exc):
                raise
            self._fallback_warning(name, exc)
            return self._run(self._cpu(), torch.device("cpu"), batch, *extra), "CPU (GPU failed)"

    def _run(
        self, net: torch.nn.Module, device: torch.device, batch: np.ndarray, hints: HintArrays | None = None
    ) -> np.ndarray:
        """ab (N x h x w x 2) at the network's input size: a smaller output (ECCV16's quarter size) is
        first upsampled bilinearly to it, exactly as Zhang et al.'s pipeline does before its own resize
        to full size. Hints (N x 2 x h x w, N x 1 x h x w) go into networks that take them."""
        tensor = torch.from_numpy(batch)[:, None].to(device)
        args: tuple[torch.Tensor, ...] = (tensor,)
        if hints is not None and self.spec.takes_hints:
            args = (tensor, *(torch.from_numpy(a).to(device) for a in hints))
        with torch.inference_mode():
            if device.type == "cuda" and self.spec.fp16_safe:
                with torch.autocast("cuda", dtype=torch.float16):
                    ab = net(*args)
            else:
                ab = net(*args)
            ab = ab.float()
            if ab.shape[-2:] != tensor.shape[-2:]:
                ab = F.interpolate(ab, size=tensor.shape[-2:], mode="bilinear", align_corners=False)
        return ab.permute(0, 2, 3, 1).cpu().numpy()

    def _cpu(self) -> torch.nn.Module:
        if self._cpu_net is None:
            self._cpu_net = _load(self.spec.name, torch.device("cpu"))
        return self._cpu_net

    def _fallback_warning(self, name: str, exc: BaseException) -> None:
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        if not self._warned_fallback:
            self._warned_fallback = True
            first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self._warn(
                f"{self.device.type.upper()} failed on {name} ({first_line}); "
                "colorizing on the CPU instead for the photos that fail"
            )
