"""Start the desktop app: `colorsphere` (empty window) and `colorsphere PHOTO...` (open and colorize)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from colorsphere_gui import __version__

from .icons import app_icon
from .main_window import MainWindow
from .settings import APPLICATION, ORGANIZATION
from .theme import apply_theme


def make_application() -> QApplication:
    """The QApplication with ColorSphere's identity (QSettings location, window icon, desktop file)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    # Fractional scaling (125 %, 150 %) as the desktop asks, instead of rounding to whole factors.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("colorsphere")
    app.setWindowIcon(app_icon())
    apply_theme(app)
    return app


def run_gui(paths: list[str]) -> int:
    """Show the main window, open `paths` (files or folders) and colorize the first; returns the exit code."""
    app = make_application()
    window = MainWindow()
    window.show()
    # Take the keyboard at once, also on a desktop (or a bare X server) that does not focus new windows.
    window.raise_()
    window.activateWindow()
    if paths:
        window.open_paths(paths)
    code = app.exec()
    # The window waits for its workers before it closes; this covers a quit that bypassed it.
    window.tracker.cancel_all()
    window.tracker.wait_all()
    return code


def open_and_close_window() -> None:
    """For `--self-test`: build, show and close the main window, leaving the user's settings alone."""
    app = make_application()
    with tempfile.TemporaryDirectory(prefix="colorsphere-selftest-") as folder:
        settings = QSettings(str(Path(folder) / "selftest.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings)
        window.show()
        app.processEvents()
        if not window.isVisible():
            raise RuntimeError("the main window did not appear")
        window.close()
        app.processEvents()
        del settings


if __name__ == "__main__":
    raise SystemExit(run_gui(sys.argv[1:]))
