"""The README's hint-mode screenshot: a greyed Kodak photo, a few hints, the colour chooser open.

    xvfb-run -s "-screen 0 1400x900x24" .venv/bin/python tools/hints_screenshot.py \
        ../shared/data/eval/kodak24/kodim03.png docs/guide/hints.png

Each hint's colour is the mean of the colour original's 5 x 5 patch at the point, as a user who knows
the true colours would give it. The window uses the installed built-in model and a throwaway settings
file and data folder, so the user's own recent colours and saved hints are neither shown nor changed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

# kodim03 (the hats), as a user steers it: a point on each hat, then where colour crossed into what
# has the same grey (the big hat's brim, the orange hat's shadowed side, the board, three on the sky)
POINTS = (
    (230, 130), (360, 210), (500, 260), (600, 300), (645, 345),
    (130, 250), (390, 300), (330, 420), (620, 80), (420, 120), (200, 40),
)  # fmt: skip
BLUE_HAT = (645, 345)
WINDOW = (1280, 820)
MAX_BYTES = 290_000  # the User Guide ships it: tests/ui/test_gaps.py keeps each picture under 300 kB


def patch_colour(rgb: np.ndarray, x: int, y: int) -> str:
    mean = rgb[y - 2 : y + 3, x - 2 : x + 3].reshape(-1, 3).mean(axis=0)
    return "#" + "".join(f"{round(v):02x}" for v in mean)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photo", type=Path, help="a colour photo (greyed here)")
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="colorsphere-shot-"))
    os.environ["COLORSPHERE_HOME"] = str(work / "home")
    colour = np.asarray(Image.open(args.photo).convert("RGB"))
    grey = work / args.photo.name
    Image.fromarray(colour).convert("L").save(grey)

    from PySide6.QtCore import QEvent, QSettings, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from colorsphere_gui.ui.colour_chooser import RecentColours
    from colorsphere_gui.ui.hint_overlay import screen_points
    from colorsphere_gui.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)

    def settle(until=lambda: True, timeout: float = 120.0) -> None:
        end = time.monotonic() + timeout
        while (window.tracker.busy() or not until()) and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def click(x: int, y: int) -> None:
        pos = screen_points(window.view, x, y)[0].toPoint()
        for kind, buttons in (
            (QEvent.Type.MouseButtonPress, Qt.MouseButton.LeftButton),
            (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton),
        ):
            event = QMouseEvent(
                kind,
                pos,
                window.view.mapToGlobal(pos),
                Qt.MouseButton.LeftButton,
                buttons,
                Qt.KeyboardModifier.NoModifier,
            )
            QApplication.sendEvent(window.view, event)
        settle()

    settings = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.resize(*WINDOW)
    window.show()
    colorized: list[int] = []
    window.colorized.connect(colorized.append)
    window.open_paths([grey])
    settle(lambda: bool(colorized))
    window.hint_mode.act_mode.setChecked(True)
    window.view.set_divider(0.22)  # first: a click on the divider drags it instead of placing a point
    recent = RecentColours(settings)
    for x, y in POINTS:
        recent.add(patch_colour(colour, x, y))  # a new point takes the last colour chosen
        click(x, y)
        window.hint_mode.chooser.hide()  # as a user closes it before clicking where it lay
    click(*BLUE_HAT)  # select the blue hat's point: the chooser opens beside it, over the wall
    settle(lambda: bool(window.hint_mode.chooser.likely.buttons), timeout=60)
    window.view.setFocus()
    app.processEvents()
    image = window.grab().toImage()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    image.save(str(args.out))
    for bits in (6, 5):  # fewer levels per channel until it fits: 6 bits look the same, palettes do not
        if args.out.stat().st_size <= MAX_BYTES:
            break
        step = 1 << (8 - bits)
        rgb = np.asarray(Image.open(args.out).convert("RGB")) // step * step + step // 2
        Image.fromarray(rgb.astype(np.uint8)).save(args.out, optimize=True)
    print(f"{args.out}: {args.out.stat().st_size // 1000} kB, {len(window.hint_mode.points())} hints")
    window.hide()  # not close(): it would ask whether to quit without saving the result
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
