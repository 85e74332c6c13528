"""Icons: the app's own (drawn as SVG, so sharp at any scale) and action icons.

Action icons come from the desktop's theme when it has one and fall back to Qt's built-in standard
icons, so that a bare system (or a frozen bundle) still shows a complete toolbar.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QLinearGradient, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QStyle

SP = QStyle.StandardPixmap

# action -> (freedesktop theme name, Qt standard pixmap)
_ACTIONS = {
    "open": ("document-open", SP.SP_DialogOpenButton),
    "paste": ("edit-paste", SP.SP_FileDialogContentsView),
    "save": ("document-save", SP.SP_DialogSaveButton),
    "save-all": ("document-save-as", SP.SP_DriveFDIcon),
    "batch": ("folder-open", SP.SP_DirOpenIcon),
    "cancel": ("process-stop", SP.SP_BrowserStop),
    "recolorize": ("view-refresh", SP.SP_BrowserReload),
    "fit": ("zoom-fit-best", SP.SP_TitleBarMaxButton),
    "actual": ("zoom-original", SP.SP_TitleBarNormalButton),
    "info": ("help-about", SP.SP_MessageBoxInformation),
    "folder": ("folder", SP.SP_DirIcon),
    "download": ("go-down", SP.SP_ArrowDown),
    "import": ("document-import", SP.SP_FileIcon),
    "next": ("go-next", SP.SP_ArrowForward),
    "previous": ("go-previous", SP.SP_ArrowBack),
}


def resources_dir() -> Path:
    """The repo's resources/ or, in a frozen bundle, the copy next to the executable's data."""
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        return Path(sys._MEIPASS) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def app_icon() -> QIcon:
    icon = QIcon()
    for name in ("colorsphere.svg", "colorsphere.png"):
        path = resources_dir() / name
        if path.is_file():
            icon.addFile(str(path))
    return icon


def action_icon(name: str) -> QIcon:
    if name in _DRAWN:
        return _drawn(name)
    theme, standard = _ACTIONS[name]
    return QIcon.fromTheme(theme, QApplication.style().standardIcon(standard))


# Layouts of the before/after view, which no icon theme has: panels of grey ("before") and colour.
_DRAWN = {"side": ("grey", "colour"), "original": ("grey",)}


def _drawn(name: str) -> QIcon:
    icon = QIcon()
    panels = _DRAWN[name]
    for side in (20, 40):  # 1x and 2x
        pixmap = QPixmap(side, side)
        pixmap.fill(Qt.GlobalColor.transparent)
        p = QPainter(pixmap)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.scale(side / 20, side / 20)
        width = (17 - 2 * (len(panels) - 1)) / len(panels)
        for i, kind in enumerate(panels):
            rect = QRectF(1.5 + i * (width + 2), 4.5, width, 11)
            fill = QLinearGradient(rect.topLeft(), rect.bottomRight())
            top, bottom = ("#e6e6e6", "#5a5a5a") if kind == "grey" else ("#f2a03d", "#2f7de1")
            fill.setColorAt(0, QColor(top))
            fill.setColorAt(1, QColor(bottom))
            p.setBrush(fill)
            p.setPen(QPen(QColor("#3c4048"), 1.2))
            p.drawRoundedRect(rect, 1.5, 1.5)
        p.end()
        icon.addPixmap(pixmap)
    return icon
