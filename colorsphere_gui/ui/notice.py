"""An inline, non-modal message bar above the photo.

A batch of damaged files or a missing model must not bury the user under dialogs: the bar shows the
latest problem (with how many came before it), offers the actions that fix it, and stays out of the
way otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from .wording import breakable, gui_words

STYLES = {
    "error": "background:#fbe3e1; color:#5c1a14; border:1px solid #e3a39c;",
    "warning": "background:#fff3d6; color:#5a4300; border:1px solid #e6c66f;",
    "info": "background:#e2eefc; color:#163a66; border:1px solid #9dbfe8;",
}


class NoticeBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notice")
        self.setAccessibleName("Notice")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self._text = QLabel()
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self._text, 1)
        self._actions = QHBoxLayout()
        layout.addLayout(self._actions)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.setAccessibleName("Dismiss notice")
        close.clicked.connect(self.dismiss)
        layout.addWidget(close)
        self._earlier = 0
        self._latest = ""
        self.hide()

    def show_message(
        self, text: str, level: str = "error", actions: tuple[tuple[str, Callable[[], None]], ...] = ()
    ) -> None:
        text = gui_words(text)
        showing = not self.isHidden()
        repeated = showing and text == self._latest
        self._earlier = self._earlier + (0 if repeated else 1) if showing else 0
        self._latest = text
        plural = "s" if self._earlier > 1 else ""
        more = f"\n({self._earlier} earlier message{plural} replaced by this one)" if self._earlier else ""
        self._text.setText(breakable(text) + more)
        self.setStyleSheet(f"#notice {{{STYLES[level]} border-radius:4px;}} QLabel {{border:none;}}")
        while self._actions.count():
            widget = self._actions.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        for label, callback in actions:
            button = QPushButton(label)
            button.clicked.connect(lambda _checked=False, act=callback: act())  # not clicked's bool
            button.clicked.connect(self.dismiss)
            self._actions.addWidget(button)
        self.show()

    def text(self) -> str:
        """What the bar says, as read (without the invisible break points)."""
        return self._text.text().replace("\u200b", "")

    def buttons(self) -> list[str]:
        """The labels of the buttons the bar offers now."""
        return [
            w.text()
            for i in range(self._actions.count())
            if isinstance(w := self._actions.itemAt(i).widget(), QPushButton)
        ]

    def dismiss(self) -> None:
        self._earlier = 0
        self.hide()
