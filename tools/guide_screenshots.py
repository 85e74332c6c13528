"""Take the screenshots of docs/USER_GUIDE.md from the real app, on a virtual screen.

    xvfb-run -s "-screen 0 1280x800x24" python tools/guide_screenshots.py SCANS REFERENCE OUT

SCANS is a folder of black-and-white photos (the guide's are grey copies of Kodak test images),
REFERENCE a colour photo of the same picture as SCANS' parrots scan, OUT the folder for the PNGs
(docs/guide). Settings go to a throwaway folder, so the user's own are never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QPoint, QSettings, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

SCREEN = (1280, 800)


def save(image: QImage, path: Path) -> None:
    """PNG in 256 colours: a fifth of the size, the interface still crisp. pngquant (if installed)
    chooses the palette far better than Pillow's median cut, which bands the photos' skies and skin."""
    tmp = path.with_suffix(".full.png")
    image.save(str(tmp))
    pngquant = shutil.which("pngquant")
    if pngquant:
        command = [pngquant, "--force", "--speed", "1", "--output", str(path), "256", str(tmp)]
        subprocess.run(command, check=True)
    else:
        with Image.open(tmp) as im:
            im.convert("RGB").quantize(256, dither=Image.Dither.FLOYDSTEINBERG).save(path, optimize=True)
    tmp.unlink()
    print(f"{path.name}: {path.stat().st_size // 1024} KB", flush=True)


def wait(app: QApplication, done: Callable[[], bool], timeout: float = 300.0) -> None:
    end = time.monotonic() + timeout
    while not done():
        if time.monotonic() > end:
            raise TimeoutError("the app did not get there in time")
        app.processEvents()
        time.sleep(0.02)


def settle(app: QApplication, seconds: float = 0.4) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def screen(app: QApplication) -> QImage:
    return app.primaryScreen().grabWindow(0).toImage()


def main(scans: Path, reference: Path, out: Path) -> None:
    from colorsphere_gui.ui.export_options import ExportOptionsDialog
    from colorsphere_gui.ui.launch import make_application
    from colorsphere_gui.ui.main_window import MainWindow
    from colorsphere_gui.ui.photos import State

    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="colorsphere-guide-"))
    app = make_application()
    settings = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.setGeometry(0, 0, *SCREEN)
    window.show()
    settle(app, 1.0)
    save(screen(app), out / "first-launch.png")

    photos = sorted(scans.iterdir())
    window.open_paths([scans])
    wait(app, lambda: len(window.entries) == len(photos))
    wait(app, lambda: all(e.state(e.model) is State.DONE for e in window.entries))
    wait(app, lambda: not window.tracker.busy())
    window.show_entry(window.entries[1])  # the lighthouse
    wait(app, lambda: window.view.has_after() and not window.tracker.busy())
    window.view.set_divider(0.45)
    settle(app)
    save(screen(app), out / "main-window.png")

    file_menu = window.menuBar().actions()[0].menu()
    file_menu.popup(window.menuBar().mapToGlobal(QPoint(0, window.menuBar().height())))
    settle(app)
    save(screen(app), out / "file-menu.png")
    file_menu.close()

    entry = window.entries[2]
    rect = window.strip.visualItemRect(window.strip.item_of(entry.id))
    menu = window.strip.context_menu_for(entry.id)
    menu.popup(window.strip.viewport().mapToGlobal(rect.center()))
    settle(app)
    save(screen(app), out / "strip-menu.png")
    menu.close()

    portrait = next(e for e in window.entries if e.name.startswith("portrait"))
    window.show_entry(portrait)
    wait(app, lambda: window.view.has_after() and not window.tracker.busy())
    window.adjust_panel.warmth.setValue(35)
    window.adjust_panel.saturation.setValue(15)
    wait(app, lambda: not window.tracker.busy())
    window.act_side.trigger()
    settle(app)
    save(screen(app), out / "adjust-side-by-side.png")
    window.act_side.trigger()

    dialog = ExportOptionsDialog(window.export, window)
    dialog.show()
    settle(app)
    save(dialog.grab().toImage(), out / "export-options.png")
    dialog.close()

    box, restored = work / "box", work / "restored"
    shutil.copytree(scans, box)
    (box / "damaged-scan-1951.jpg").write_bytes(b"\xff\xd8\xff\xe0 half a JPEG, the rest was lost")
    window.open_batch()
    batch = window.batch_dialog
    batch.move(60, 40)
    batch.source.setText(str(box))
    batch.dest.setText(str(restored))
    finished: list[object] = []
    batch.batch_finished.connect(finished.append)
    batch.start()
    wait(app, lambda: bool(finished))
    batch.files.setCurrentItem(batch.files.topLevelItem(1))
    settle(app)
    save(batch.grab().toImage(), out / "batch.png")
    batch.close()

    parrots = next(e for e in window.entries if e.name.startswith("parrots"))
    window.show_entry(parrots)
    wait(app, lambda: window.loaded is not None and not window.tracker.busy())
    window.compare_with_original()
    compare = window.compare_dialog
    compare.set_reference(reference)
    wait(app, lambda: not compare.running())
    settle(app)
    save(compare.grab().toImage(), out / "compare.png")
    compare.close()

    window._quit_confirmed = True  # noqa: SLF001 - the results are the guide's pictures, not to be saved
    QTimer.singleShot(0, window.close)
    wait(app, lambda: not window.isVisible())
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
