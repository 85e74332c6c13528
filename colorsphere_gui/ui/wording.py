"""The core's messages in the window's words.

The engine, the weights code and the batch runner are shared with the command line, so their messages
name its flags and sub-commands ("use --overwrite", "run `colorsphere models download eccv16`"). A
window user cannot type those: each known hint is rewritten to the button or menu that does the same,
and an operating-system error number is dropped in favour of its text.
"""

from __future__ import annotations

import re

_MODELS_CMD = r"`colorsphere models (?:download|import) [^`]*`"

# (pattern, replacement), applied in order; the longer, more specific hints come first.
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (
            r"run `colorsphere models download [^`]*` again \(it resumes\), or fetch the file another way "
            r"and run `colorsphere models import [^`]*`",
            "press Download again (it resumes), or fetch the file another way and use Import file…",
        ),
        (
            r"run `colorsphere models download [^`]*` or `colorsphere models import [^`]*`",
            "use Download or Import file… in the Model panel",
        ),
        (r"`colorsphere models download [^`]*` resumes it", "Download resumes it"),
        (
            r"\(`colorsphere models import (\S+) [^`]*`\)",
            r"(choose \1 in the Model panel and use Import file…)",
        ),
        (r"run `colorsphere models import [^`]*`", "use Import file… in the Model panel"),
        (_MODELS_CMD, "the Model panel's Download or Import file…"),
        (r"\s*\(see `colorsphere models list`\)", ""),
        (
            r"use --include-colou?r to recolorize",
            "untick “Skip photos that are already in colour” to recolorize",
        ),
        (r"or use --overwrite", "or choose another destination"),
        (r"choose another -o folder", "choose another destination folder"),
        (r"use --device cpu or auto", "choose CPU or Auto under Device"),
        (r"set COLORSPHERE_HOME to a writable folder", "make that folder writable"),
        (
            r"\[Errno -[23]\] (?:Name or service not known|Temporary failure in name resolution)",
            "the server could not be found (is the computer online?)",
        ),
        (r"\[Errno -?\d+\]\s*", ""),
        (r"\[WinError -?\d+\]\s*", ""),
        (r"<urlopen error (.*?)>", r"\1"),
        # Paths inside the source repository mean nothing to someone who installed the app.
        (r";\s*training data: docs/MODEL_CARD\.md", ""),
        (r"\s*See docs/MODEL_CARD\.md\.?", ""),
        (r"\s*\(docs/MODEL_CARD\.md[^)]*\)", ""),
    )
)


def gui_words(text: str) -> str:
    """`text` with command-line hints replaced by what to press in the window."""
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text


def breakable(text: str, every: int = 24) -> str:
    """`text` with invisible break points in long unbroken runs (paths, archival file names).

    A word-wrapped label is as wide as its longest word, so a 60-character file name would push the
    side panel past the window; a zero-width space after each separator (and inside runs that have
    none) lets it wrap instead, and looks the same.
    """
    zwsp = "\u200b"

    def split(match: re.Match[str]) -> str:
        word = re.sub(r"([/\\_\-.])", r"\1" + zwsp, match.group(0))
        return re.sub(rf"([^{zwsp}/\\_\-.]{{{every}}})(?=[^{zwsp}])", r"\1" + zwsp, word)

    return re.sub(rf"[^\s<>]{{{every},}}", split, text)
