"""The status bar: messages in the window's words, shortened at a word, never cut through one.

QStatusBar clips a message that does not fit at whatever pixel the space ends, often mid-word
("Saved 3 files in /home/ann/Scans/Fam"); here the message is shortened to the last whole word that
fits, with an ellipsis, and the full text is the tooltip. Every call of showMessage goes through it,
so the window's many messages need no change.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QStatusBar, QWidget

from .wording import gui_words

ELLIPSIS = "…"
SPACING = 24  # the bar's margins and the gap before its permanent widgets
LONG_WORD = 20  # characters: a "word" this long is a file name or a path


def shorten_at_word(text: str, fits) -> str:
    """The longest prefix of `text` ending at a whole word for which fits(prefix + '…') holds, or ''
    when not even the first word fits."""
    if fits(text):
        return text
    words = text.split(" ")
    while len(words) > 1:
        words.pop()
        candidate = " ".join(words).rstrip(",;:·-") + ELLIPSIS
        if fits(candidate):
            return candidate
    return ""


class WordStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self._until = 0.0  # monotonic time the message clears at; 0: it stays
        self._permanent: list[QWidget] = []
        self.messageChanged.connect(self._changed)

    def addPermanentWidget(self, widget: QWidget, stretch: int = 0) -> None:  # noqa: N802 - Qt's name
        self._permanent.append(widget)
        super().addPermanentWidget(widget, stretch)

    def showMessage(self, text: str, timeout: int = 0) -> None:  # noqa: N802
        self._full = gui_words(text.replace("\n", " "))
        self._until = time.monotonic() + timeout / 1000 if timeout > 0 else 0.0
        super().showMessage(self._fitted(), timeout)
        self.setToolTip(self._full)

    def currentMessage(self) -> str:  # noqa: N802
        """The whole message shown now (it may be displayed shortened)."""
        return self._full if super().currentMessage() else ""

    def message_width(self) -> int:
        """Pixels left for a message beside the permanent widgets."""
        taken = sum(w.sizeHint().width() + 6 for w in self._permanent if not w.isHidden())
        return max(0, self.width() - taken - SPACING)

    def _fitted(self) -> str:
        """Whole words when they fit. A message naming a file keeps its start and end around an
        ellipsis instead ('Colorizing Familienarch…Koenig.tif…'), as file browsers shorten names: cut at
        a word, it would lose the name altogether."""
        metrics, room = self.fontMetrics(), self.message_width()
        if any(len(word) >= LONG_WORD for word in self._full.split()):
            return metrics.elidedText(self._full, Qt.TextElideMode.ElideMiddle, room)
        shortened = shorten_at_word(self._full, lambda t: metrics.horizontalAdvance(t) <= room)
        return shortened or metrics.elidedText(self._full, Qt.TextElideMode.ElideMiddle, room)

    def _changed(self, text: str) -> None:
        if not text:
            self._full = ""
            self.setToolTip("")

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if super().currentMessage() and self._full:
            left_ms = round((self._until - time.monotonic()) * 1000) if self._until else 0
            if self._until and left_ms <= 0:
                return
            self.blockSignals(True)
            super().showMessage(self._fitted(), left_ms)
            self.blockSignals(False)
