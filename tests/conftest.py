"""Shared test set-up: the package is importable without installing it, and no test touches the
user's real data folder."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True)
def colorsphere_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """COLORSPHERE_HOME in a fresh temporary folder, so downloads and imports stay inside the test."""
    home = tmp_path / "colorsphere_home"
    monkeypatch.setenv("COLORSPHERE_HOME", str(home))
    return home
