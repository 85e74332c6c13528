"""`colorsphere --self-test` (what the installer runs on the frozen app) passes on a healthy install."""

from __future__ import annotations

import pytest

from colorsphere_gui import app


def test_self_test_passes_and_reports_the_device(capsys: pytest.CaptureFixture[str]) -> None:
    assert app.main(["--self-test"]) == 0
    out = capsys.readouterr().out
    assert "colorization: ok (CPU" in out and "main window: ok" in out


def test_self_test_fails_with_a_reason_when_weights_are_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("colorsphere_gui.models.weights.find_weights", lambda name: None)
    assert app.main(["--self-test"]) == 1
    assert "self-test FAILED" in capsys.readouterr().err
