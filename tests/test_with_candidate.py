"""tools/with_candidate.py: a candidate built-in weights file is scored in place of the shipped one."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from colorsphere_gui.models import registry, weights
from tests.test_evaluate_cli import table_rows, write_photos
from tools import with_candidate


@pytest.fixture
def restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tool rebinds the weights lookup and the fade for its process; undo both after each test."""
    monkeypatch.setattr(weights, "find_weights", weights.find_weights)
    monkeypatch.setattr(registry, "BUILTIN_FADE", registry.BUILTIN_FADE)


def colourless_candidate(folder: Path) -> Path:
    """The shipped file with both heads zeroed: every bin equally likely, so the colour is grey."""
    state = torch.load(weights.find_weights("builtin"), weights_only=True)
    for key in [k for k in state if ".head." in k]:
        state[key] = torch.zeros_like(state[key])
    folder.mkdir()
    torch.save(state, folder / "colorsphere-builtin-test.pth")
    return folder / "colorsphere-builtin-test.pth"


def spread(tmp_path: Path, capsys: pytest.CaptureFixture[str], *tool_args: str) -> float:
    assert with_candidate.main([*tool_args, "--", "evaluate", str(tmp_path / "photos"), "--size", "64"]) == 0
    return float(table_rows(capsys.readouterr().out)["builtin"][6])


@pytest.mark.usefixtures("restored")
def test_the_candidate_and_not_the_shipped_file_makes_the_colour(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_photos(tmp_path / "photos")
    candidate = colourless_candidate(tmp_path / "cand")
    shipped = weights.find_weights("builtin")
    assert spread(tmp_path, capsys, str(shipped), "--fade", "off") > 0.05
    assert spread(tmp_path, capsys, str(candidate), "--fade", "off") < 0.01


@pytest.mark.usefixtures("restored")
@pytest.mark.parametrize("fade", ["0.5", "a,b", "0.5,0.8,1"])
def test_a_malformed_fade_names_the_setting_and_the_fix(
    fade: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        with_candidate.main([str(weights.find_weights("builtin")), "--fade", fade, "--", "models"])
    assert f"--fade {fade}: give 'off' or two numbers such as 0.5,0.8" in capsys.readouterr().err


@pytest.mark.usefixtures("restored")
def test_a_missing_candidate_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        with_candidate.main([str(tmp_path / "nope.pth"), "--", "models"])
    fix = "nope.pth: no such weights file; export one with tools/export_builtin.py"
    assert fix in capsys.readouterr().err
