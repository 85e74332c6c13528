"""`colorsphere --self-test`: proves an installed or frozen ColorSphere works, without a display or network.

It colorizes a photo generated in memory with the built-in model, checks the result, opens and closes
the main window offscreen, and prints the device used; the exit status says whether all of it worked.
"""

from __future__ import annotations

import os
import sys

import numpy as np


def synthetic_scan(height: int = 384, width: int = 512) -> np.ndarray:
    """A grey test card: a sky-like gradient, a darker ground and a round object, as 8-bit grey."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    grey = 200.0 - 80.0 * y / height
    grey[y > height * 0.6] = 90.0 + 20.0 * np.sin(x[y > height * 0.6] / 9.0)
    grey[(x - width * 0.3) ** 2 + (y - height * 0.45) ** 2 < (height * 0.12) ** 2] = 160.0
    return np.clip(grey, 0, 255).astype(np.uint8)


def check_colorization() -> str:
    """Colorize the test card with the default model; returns the device description."""
    from colorsphere_gui.core.color import gray_to_l, rgb_to_lab
    from colorsphere_gui.core.upsample import merge_to_rgb
    from colorsphere_gui.engine import Colorizer

    grey = synthetic_scan()
    colorizer = Colorizer(device="auto")
    prediction = colorizer.predict_rgb8(np.repeat(grey[..., None], 3, axis=2), "self-test card")
    l_full = gray_to_l(grey.astype(np.float32) / 255.0)
    rgb = merge_to_rgb(l_full, prediction.ab)
    if rgb.shape != grey.shape + (3,) or not np.isfinite(rgb).all():
        raise RuntimeError(f"colorized image has shape {rgb.shape} or non-finite values")
    lab = rgb_to_lab(rgb)
    if np.abs(lab[..., 0] - l_full).mean() > 1.0:
        raise RuntimeError("colorized image lost the original luminance")
    chroma = float(np.hypot(lab[..., 1], lab[..., 2]).mean())
    if chroma < 2.0:
        raise RuntimeError(f"colorized image has almost no colour (mean chroma {chroma:.2f})")
    return f"{prediction.device}, model {colorizer.spec.name}, mean chroma {chroma:.1f}"


def check_window() -> None:
    """Open and close the main window on the offscreen platform."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from colorsphere_gui.ui.launch import open_and_close_window

    open_and_close_window()


def run_self_test() -> int:
    try:
        device = check_colorization()
        print(f"colorization: ok ({device})")
        check_window()
        print("main window: ok")
    except Exception as exc:  # noqa: BLE001 - the self-test reports any failure as its result
        print(f"self-test FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print("self-test passed")
    return 0
