"""About and per-model licence/citation dialogs.

Archives publish what they restore, so the model behind a colorization and how to cite it must be
one click away and copyable, not buried in a README.
"""

from __future__ import annotations

import html

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from colorsphere_gui import __version__
from colorsphere_gui.models.weights import ModelStatus

from .icons import app_icon
from .wording import gui_words


def model_html(status: ModelStatus) -> str:
    state = f"installed ({html.escape(str(status.path))})" if status.installed else "not installed"
    return (
        f"<h3>{html.escape(status.display_name)}</h3>"
        f"<p><b>Licence:</b> {html.escape(gui_words(status.licence))}<br><b>Weights:</b> {state}</p>"
        f"<p><b>Cite as:</b><br>{html.escape(gui_words(status.citation))}</p>"
    )


class _TextDialog(QDialog):
    def __init__(self, title: str, body: str, parent: QWidget | None, copy_text: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setWindowIcon(app_icon())
        self.resize(560, 440)
        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        header.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setHtml(body)
        self.browser.setAccessibleName(title)
        header.addWidget(self.browser, 1)
        layout.addLayout(header)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        if copy_text:
            copy = QPushButton("Copy citation")
            copy.setAccessibleName("Copy citation to the clipboard")
            copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(copy_text))
            buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)


def model_info_dialog(status: ModelStatus, parent: QWidget | None) -> QDialog:
    dialog = _TextDialog(
        f"{status.display_name.split(' — ')[0]}: licence and citation",
        model_html(status),
        parent,
        copy_text=gui_words(status.citation),
    )
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return dialog


def about_dialog(statuses: list[ModelStatus], parent: QWidget | None) -> QDialog:
    models = "".join(model_html(s) for s in statuses)
    body = (
        f"<h2>ColorSphere {__version__}</h2>"
        "<p>Brings colour back to black-and-white photographs. The scan's own luminance is kept "
        "pixel for pixel; only colour is added, and originals are never overwritten.</p>"
        "<p>ColorSphere is BSD-2-Clause licensed. Built with Qt for Python (PySide6 "
        f"{html.escape(pyside_version)}, LGPL-3.0) and PyTorch.</p>"
        f"<hr><h2>Models</h2>{models}"
    )
    dialog = _TextDialog("About ColorSphere", body, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return dialog


VIEW_KEYS = (
    ("Left / Right", "Move the divider (with Shift: in larger steps)"),
    ("Home / End", "Divider to the left / right edge"),
    ("Hold O", "Show the original while held"),
    ("+ / − or mouse wheel", "Zoom (the wheel zooms around the cursor)"),
    ("0 / 1", "Fit to window / 100 %"),
    ("Ctrl+arrows or drag", "Pan"),
    ("Double-click", "Switch between fit and 100 %"),
)


def shortcuts_dialog(actions: list[tuple[str, str]], parent: QWidget | None) -> QDialog:
    """`actions` are (shortcut, what it does) of the window's menus; the view's own keys are added."""
    rows = "".join(
        f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>"
        for k, v in list(actions) + [("", "")] + list(VIEW_KEYS)
    )
    body = f"<h2>Keyboard shortcuts</h2><table cellspacing='6'>{rows}</table>"
    dialog = _TextDialog("Keyboard shortcuts", body, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return dialog
