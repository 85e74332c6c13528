"""Help ▸ User Guide: docs/USER_GUIDE.md shown in a window of the app, with its screenshots.

The guide is Markdown so that it reads well on the project's web page too; Qt renders that subset
(headings, lists, tables, images) itself, so no browser or network is needed. It is found in the
source tree and in the PyInstaller bundle, where build_installer.py puts docs/ beside the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QImage, QPixmap, QTextCursor, QTextDocument, QTextImageFormat
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from .icons import app_icon

GUIDE_NAME = "USER_GUIDE.md"
IMAGE_WIDTH = 780  # screenshots are 1280 px wide: shown smaller, they fit the window without scrolling


def guide_path() -> Path | None:
    """The shipped guide: in a PyInstaller bundle (sys._MEIPASS/docs) or in the source tree."""
    roots = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        roots.append(Path(bundle))
    roots.append(Path(__file__).resolve().parents[2])
    return next((r / "docs" / GUIDE_NAME for r in roots if (r / "docs" / GUIDE_NAME).is_file()), None)


def fit_images(document: QTextDocument, width: int) -> None:
    """Scale every image wider than `width` down to it (Markdown has no image size of its own)."""
    wide: list[tuple[int, int, QTextImageFormat]] = []
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().isImageFormat():
                image_format = fragment.charFormat().toImageFormat()
                image = document.resource(QTextDocument.ResourceType.ImageResource, QUrl(image_format.name()))
                if isinstance(image, (QImage, QPixmap)) and image.width() > width:
                    image_format.setWidth(width)
                    image_format.setHeight(image.height() * width / image.width())
                    wide.append((fragment.position(), fragment.length(), image_format))
            it += 1
        block = block.next()
    cursor = QTextCursor(document)
    for position, length, image_format in wide:  # changed after the walk: formats may split fragments
        cursor.setPosition(position)
        cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
        cursor.setCharFormat(image_format)


class UserGuide(QDialog):
    """A plain reader: the guide's links to other pages open in the system browser."""

    def __init__(self, path: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("ColorSphere User Guide")
        self.setWindowIcon(app_icon())
        self.resize(860, 720)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setAccessibleName("User guide")
        self.browser.setOpenLinks(False)  # anchors scroll here; other links leave for the browser
        self.browser.anchorClicked.connect(self._link)
        if path is None:
            self.browser.setMarkdown(
                "# The user guide is missing\n\nThis copy of ColorSphere was installed without "
                f"`docs/{GUIDE_NAME}`. Reinstall ColorSphere, or read the guide on the project's page."
            )
        else:
            self.browser.setSearchPaths([str(path.parent)])  # the guide's images are relative to it
            self.browser.setMarkdown(path.read_text(encoding="utf-8"))
            fit_images(self.browser.document(), IMAGE_WIDTH)
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)

    def _link(self, url: QUrl) -> None:
        if url.scheme() in ("", "file") and url.hasFragment() and not url.path():
            self.browser.scrollToAnchor(url.fragment())
        else:
            QDesktopServices.openUrl(url)


def show_user_guide(parent: QWidget | None = None) -> UserGuide:
    guide = UserGuide(guide_path(), parent)
    guide.show()
    return guide
