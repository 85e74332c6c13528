"""Turns a Photo into colour: device choice, the network at its working size, the full-size merge.

Every front end (CLI, GUI, batch, benchmarks) goes through `Colorizer`, so that a photo comes out the
same whichever door it came in by. The luminance of the scan is never re-estimated: the output's L is
the input's L; only ab comes from the network.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from colorsphere_gui.core.color import luminance
from colorsphere_gui.core.errors import DeviceError
from colorsphere_gui.core.photo import Photo
from colorsphere_gui.core.upsample import merge_to_rgb
from colorsphere_gui.models.registry import DEFAULT_MODEL, ModelSpec, get_spec
from colorsphere_gui.models.weights import load_model

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


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
    """Size (w, h) of the network's input: Zhang's nets take a fixed square, ours keeps the aspect."""
    if not spec.keep_aspect:
        return spec.input_size, spec.input_size
    scale = spec.input_size / min(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def network_input(rgb8: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """L of the photo resized as Zhang et al. do it: PIL's antialiased bicubic on 8-bit RGB, then Lab."""
    small = np.asarray(Image.fromarray(rgb8).resize(size, resample=Image.Resampling.BICUBIC))
    return luminance(small)


def _is_gpu_failure(exc: BaseException) -> bool:
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and any(k in text for k in ("CUDA", "cuDNN", "MPS", "out of memory"))


@dataclass
class Prediction:
    """The network's colour for one photo, kept small so that strength changes need no new inference."""

    ab: np.ndarray  # h x w x 2 float32, Lab units, at the network's output size
    device: str


class Colorizer:
    """One model on one device; falls back to the CPU for a photo when the GPU fails on it."""

    def __init__(
        self, model: str = DEFAULT_MODEL, device: str = "auto", warn: Callable[[str], None] | None = None
    ) -> None:
        self.spec = get_spec(model)
        self.device = resolve_device(device)
        self._warn = warn or (lambda msg: warnings.warn(msg, stacklevel=2))
        self._warned_fallback = False
        self._net = load_model(self.spec.name, device=str(self.device))
        self._cpu_net: torch.nn.Module | None = self._net if self.device.type == "cpu" else None

    @property
    def device_description(self) -> str:
        return describe_device(self.device)

    def predict(self, photo: Photo) -> Prediction:
        """Run the network on the photo's luminance at the model's working size."""
        name = photo.path.name if photo.path else "photo"
        return self.predict_rgb8(photo.rgb8(), name)

    def predict_rgb8(self, rgb8: np.ndarray, name: str = "photo") -> Prediction:
        """The same, from an 8-bit RGB rendering (grey tiled to three channels); `name` is for warnings."""
        l_small = network_input(rgb8, network_size(self.spec, rgb8.shape[1], rgb8.shape[0]))
        try:
            return Prediction(self._run(self._net, self.device, l_small), self.device_description)
        except (RuntimeError, torch.cuda.OutOfMemoryError) as exc:
            if self.device.type == "cpu" or not _is_gpu_failure(exc):
                raise
            self._fallback_warning(name, exc)
            return Prediction(self._run(self._cpu(), torch.device("cpu"), l_small), "CPU (GPU failed)")

    def colorize(self, photo: Photo, strength: float = 1.0) -> np.ndarray:
        """RGB float32 in [0, 1] at the photo's full resolution."""
        return merge_to_rgb(photo.luminance(), self.predict(photo).ab, strength)

    def _run(self, net: torch.nn.Module, device: torch.device, l_small: np.ndarray) -> np.ndarray:
        """ab at the network's input size: a smaller output (ECCV16's quarter size) is first upsampled
        bilinearly to it, exactly as Zhang et al.'s pipeline does before its own resize to full size."""
        tensor = torch.from_numpy(l_small)[None, None].to(device)
        with torch.inference_mode():
            if device.type == "cuda" and self.spec.fp16_safe:
                with torch.autocast("cuda", dtype=torch.float16):
                    ab = net(tensor)
            else:
                ab = net(tensor)
            ab = ab.float()
            if ab.shape[-2:] != tensor.shape[-2:]:
                ab = F.interpolate(ab, size=tensor.shape[-2:], mode="bilinear", align_corners=False)
        return ab[0].permute(1, 2, 0).cpu().numpy()

    def _cpu(self) -> torch.nn.Module:
        if self._cpu_net is None:
            self._cpu_net = load_model(self.spec.name, device="cpu")
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
