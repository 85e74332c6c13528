"""The `colorsphere` entry point: --help names the app's own options; no display means one clear line.

Run as a subprocess with an emptied environment, as on a server reached over ssh: Qt used to abort
there ("could not connect to display") with a core dump instead of saying how to work headless.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def colorsphere(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`colorsphere ARGS` with nothing of this session's environment but PATH and the package."""
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "colorsphere_gui", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="Windows and macOS always have a display")
@pytest.mark.parametrize("args", [(), ("scan.png",)], ids=["window", "window-with-photo"])
def test_no_display_says_how_to_run_headless(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = colorsphere(*args, tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and result.stdout == ""
    assert "colorsphere colorize" in lines[0] and "QT_QPA_PLATFORM=offscreen" in lines[0]


def test_a_platform_chosen_by_the_user_is_left_to_qt() -> None:
    from colorsphere_gui import app

    with pytest.MonkeyPatch.context() as mp:
        for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
            mp.delenv(name, raising=False)
        mp.setattr(sys, "platform", "linux")
        assert not app.has_display()
        mp.setenv("QT_QPA_PLATFORM", "offscreen")
        assert app.has_display()
        mp.delenv("QT_QPA_PLATFORM")
        mp.setenv("WAYLAND_DISPLAY", "wayland-0")
        assert app.has_display()


def test_help_lists_the_apps_own_options(tmp_path: Path) -> None:
    result = colorsphere("--help", tmp_path=tmp_path)
    assert result.returncode == 0
    assert "--self-test" in result.stdout and "colorize" in result.stdout
