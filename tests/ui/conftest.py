"""GUI test set-up: offscreen Qt (set before any Qt import), a throwaway settings file, fakes for the
network and the weights catalog, and no real dialog ever shown."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from .fakes import FakeCatalog, Network  # noqa: E402

REAL_QUESTION = QMessageBox.question  # taken before any test stands in for it: for tests that press Enter


@dataclass
class Questions:
    """QMessageBox.question stand-in: records what was asked and answers `answer`."""

    asked: list[str] = field(default_factory=list)
    answer: QMessageBox.StandardButton = QMessageBox.StandardButton.Yes


@pytest.fixture(autouse=True)
def questions(monkeypatch: pytest.MonkeyPatch) -> Questions:
    q = Questions()

    def question(parent, title, text, *args, **kwargs):
        q.asked.append(f"{title}: {text}")
        return q.answer

    monkeypatch.setattr(QMessageBox, "question", question)
    return q


@pytest.fixture
def network() -> Network:
    return Network()


@pytest.fixture
def catalog() -> FakeCatalog:
    return FakeCatalog()


@pytest.fixture
def qsettings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, qsettings, network, catalog):
    from colorsphere_gui.ui.main_window import MainWindow

    win = MainWindow(settings=qsettings, colorizer_factory=network.factory, catalog=catalog)
    qtbot.addWidget(win)
    win.resize(1100, 760)
    win.show()
    yield win
    if network.gate is not None:
        network.gate.set()
    win.tracker.cancel_all()
    win.tracker.wait_all()
