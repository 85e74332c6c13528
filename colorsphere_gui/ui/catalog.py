"""What the window asks of models/ and of the machine, behind one small object.

The window takes a catalog as a constructor argument so that tests can stand in a fake one (no
weights, no network, no GPU) while the real app reads the registry and the weights folders.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from colorsphere_gui.models import weights
from colorsphere_gui.models.registry import DEFAULT_MODEL, MODELS
from colorsphere_gui.models.weights import ImportResult, ModelStatus

from .workers import Cancelled

Progress = Callable[[int, int | None], None]


class ModelCatalog:
    default_model = DEFAULT_MODEL

    def statuses(self) -> list[ModelStatus]:
        return weights.list_models()

    def status(self, name: str) -> ModelStatus:
        return weights.model_status(name)

    def can_download(self, name: str) -> bool:
        return MODELS[name].url is not None

    def download_size(self, name: str) -> int | None:
        """Bytes to download: the registry's figure, else the network's tensors (a weights file is its
        tensors plus a few kB), so that every model says what it costs before the user commits."""
        spec = MODELS[name]
        if spec.size is not None:
            return spec.size
        import torch

        with torch.device("meta"):  # shapes only: no memory, no initialisation
            network = spec.factory()
        return sum(t.numel() * t.element_size() for t in network.state_dict().values())

    def download(self, name: str, progress: Progress, cancel: threading.Event) -> Path:
        """Raises Cancelled (not an error to show) when `cancel` stops it; the part file resumes later."""
        try:
            return weights.download(name, progress=progress, cancel=cancel)
        except weights.DownloadCancelled:
            raise Cancelled from None

    def import_file(self, name: str, file: Path) -> ImportResult:
        return weights.import_weights(name, file)

    def gpu_backend(self) -> str | None:
        """The engine's name for this machine's GPU ("cuda", "mps"), or None when there is none."""
        import torch

        if torch.cuda.is_available():
            return "cuda"
        if torch.backends.mps.is_available():
            return "mps"
        return None

    def gpu_name(self) -> str:
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
        return "Apple GPU (MPS)" if torch.backends.mps.is_available() else ""


def short_name(status: ModelStatus) -> str:
    """'ECCV16' from 'ECCV16 — Colorful Image Colorization (...)': the long title goes in the tooltip."""
    return status.display_name.split(" — ")[0]
