"""Hint mode's click-to-preview latency on a 12-megapixel scan, against the plain preview, in one run.

    .venv/bin/python -m benchmarks.hint_latency                   # built-in model, 4000x3000, 7 repeats
    .venv/bin/python -m benchmarks.hint_latency --size 6000x4000 --repeat 5 --model siggraph17

The real main window (offscreen), the real engine and model. The scan is opened and colorized once;
then two things are timed alternately, each from the moment the GUI thread gets the input to the
moment the view holds the new screen-sized 'after' image (CompareView.after_shown(PREVIEW)):
- reference: Recolorize (F5) in a window whose photo has no points: network at its working size +
  the screen-sized merge, which is what the app did before hints existed;
- click: a left click on the photo in a second window in hint mode, which adds a point (1, 2, ...
  up to --repeat points) and colorizes again with all of them.
Between measurements the full-resolution render and the chooser's likely colours are let finish, so
runs do not overlap. Prints medians of wall time and of the process's CPU time (all threads), the
ratios click / reference, and the issue's bar (0.5 s) with the machine's load average: on a shared
machine the wall times say more about the other processes than about ColorSphere, the ratio does not.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from benchmarks.photos import make_scans  # noqa: E402

BAR_S = 0.5
PREVIEW_SIDE = 2560  # a 1440p screen's long side: what the window's first preview uses there
TIMEOUT_S = 60.0


def wait_until(app: QApplication, done, timeout: float = TIMEOUT_S) -> None:
    end = time.perf_counter() + timeout
    while not done():
        if time.perf_counter() > end:
            raise SystemExit("timed out waiting for the window")
        app.processEvents()
        time.sleep(0.001)


def time_until_preview(app: QApplication, window, act) -> tuple[float, float]:
    """Wall seconds from act() (on the GUI thread) to the new preview in the view, and the CPU seconds
    the process spent meanwhile (all threads); then wait until the window is idle again."""
    shown: list[tuple[float, float]] = []

    def slot(level: str) -> None:
        if level == "preview":
            shown.append((time.perf_counter(), time.process_time()))

    window.view.after_shown.connect(slot)
    start, cpu = time.perf_counter(), time.process_time()
    act()
    wait_until(app, lambda: bool(shown))
    window.view.after_shown.disconnect(slot)
    wait_until(app, lambda: not window.tracker.busy())
    return shown[0][0] - start, shown[0][1] - cpu


def click(window, x: float, y: float) -> None:
    """A left click at a point given as fractions of the photo as shown, as the window system sends it
    (fractions of the view could fall beside the photo, where a click places no point)."""
    view = window.view
    shown = view.image_rect(view.panes()[0])
    pos = QPoint(round(shown.left() + shown.width() * x), round(shown.top() + shown.height() * y))
    for kind in (QMouseEvent.Type.MouseButtonPress, QMouseEvent.Type.MouseButtonRelease):
        event = QMouseEvent(
            kind,
            pos,
            view.mapToGlobal(pos),
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.LeftButton
            if kind == QMouseEvent.Type.MouseButtonPress
            else Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(view, event)


def open_window(app: QApplication, settings_file: Path, model: str, scan: Path):
    """A main window of its own (settings, model, loaded photo) with the scan colorized and idle."""
    from colorsphere_gui.ui.main_window import MainWindow

    settings = QSettings(str(settings_file), QSettings.Format.IniFormat)
    settings.setValue("colorize/model", model)
    settings.setValue("colorize/device", "cpu")
    MainWindow._preview_side = lambda self: PREVIEW_SIDE  # the offscreen screen is 800x600
    window = MainWindow(settings=settings)
    window.resize(1400, 900)
    window.show()
    colorized: list[int] = []
    window.colorized.connect(colorized.append)
    window.open_paths([scan])
    wait_until(app, lambda: bool(colorized))
    wait_until(app, lambda: not window.tracker.busy())
    if window.model() != model:
        raise SystemExit(f"the model {model} is not installed")
    return window


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="4000x3000", help="scan size WxH (default 12 megapixels)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--model", default="builtin")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))

    work = Path(tempfile.mkdtemp(prefix="colorsphere-hint-latency-"))
    os.environ["COLORSPHERE_HOME"] = str(work / "home")  # saved points stay in this run's folder
    (scan,) = make_scans(work / "scans", 1, width, height)

    app = QApplication.instance() or QApplication(sys.argv)
    plain = open_window(app, work / "plain.ini", args.model, scan)  # opened first: it never has points
    hinting = open_window(app, work / "hinting.ini", args.model, scan)
    hinting.hint_mode.act_mode.setChecked(True)
    hinting.view.set_divider(0.02)  # a click on the divider drags it instead of placing a point

    reference, clicks = [], []
    for i in range(args.repeat):
        reference.append(time_until_preview(app, plain, plain.recolorize))
        x, y = 0.2 + 0.6 * ((i * 0.37) % 1.0), 0.25 + 0.5 * ((i * 0.61) % 1.0)
        clicks.append(time_until_preview(app, hinting, lambda x=x, y=y: click(hinting, x, y)))
    points = len(hinting.hint_mode.points())
    for window in (plain, hinting):
        window.hide()  # not close(): it would ask whether to quit without saving the result

    ref, hint = statistics.median(t for t, _ in reference), statistics.median(t for t, _ in clicks)
    ref_cpu, hint_cpu = statistics.median(c for _, c in reference), statistics.median(c for _, c in clicks)
    print(
        f"## Hint click to preview: {width}x{height} scan, model {args.model}, CPU ({os.cpu_count()} cores)"
    )
    print()
    print(f"preview side {PREVIEW_SIDE} px; {args.repeat} repeats each, alternating; medians")
    print()
    print("| | median wall s | min s | max s | median CPU s (all threads) |")
    print("|---|---:|---:|---:|---:|")
    for label, runs, wall, cpu in (
        ("reference: Recolorize to preview", reference, ref, ref_cpu),
        (f"click in hint mode to preview (1..{points} points)", clicks, hint, hint_cpu),
    ):
        walls = [t for t, _ in runs]
        print(f"| {label} | {wall:.3f} | {min(walls):.3f} | {max(walls):.3f} | {cpu:.3f} |")
    print()
    print(f"ratio click / reference: {hint / ref:.2f} (wall), {hint_cpu / ref_cpu:.2f} (CPU)")
    print(
        f"bar: {BAR_S} s from click to preview -> {'met' if hint <= BAR_S else 'NOT met'} on this machine "
        f"now (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
