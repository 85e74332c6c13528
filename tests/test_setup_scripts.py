"""The set-up scripts on a fresh machine: tools/qt_system_deps.sh and tools/bootstrap.sh.

A developer's machine has every package, so these run the scripts against stubs on PATH instead: a
`dpkg` that says what is installed, an `apt-get` and a `sudo` that record how they were called, an `id`
that says who runs them, a `python3` whose venv module is missing. Nothing is installed for real.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QT_DEPS = ROOT / "tools" / "qt_system_deps.sh"
BOOTSTRAP = ROOT / "tools" / "bootstrap.sh"
BASH = shutil.which("bash") or "/bin/bash"
ENV = shutil.which("env") or "/usr/bin/env"

pytestmark = pytest.mark.skipif(os.name != "posix", reason="bash scripts for Linux")


def listed_packages() -> list[str]:
    """The packages the script checks, read from its own `pkgs=(...)` array."""
    body = re.search(r"pkgs=\(([^)]*)\)", QT_DEPS.read_text())
    assert body, "qt_system_deps.sh has no pkgs=(...) list"
    return body[1].split()


def stub(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture
def machine(tmp_path: Path) -> Path:
    """A PATH folder holding only stubs and `env`; each stub appends a line to calls.log."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    log.touch()
    installed = tmp_path / "installed"
    installed.touch()
    # dpkg -s PKG: installed only when listed in the "installed" file (empty: nothing is)
    stub(
        bin_dir,
        "dpkg",
        '[ "$1" = -s ] || exit 1\n'
        f'while read -r p; do [ "$p" = "$2" ] && exit 0; done < "{installed}"\nexit 1\n',
    )
    stub(bin_dir, "apt-get", f'echo "apt-get DEBIAN_FRONTEND=${{DEBIAN_FRONTEND:-unset}} $*" >> "{log}"\n')
    stub(bin_dir, "sudo", f'echo "sudo $*" >> "{log}"\nexec "$@"\n')
    os.symlink(ENV, bin_dir / "env")
    return bin_dir


def run_qt_deps(bin_dir: Path, uid: int) -> subprocess.CompletedProcess[str]:
    stub(bin_dir, "id", f'[ "$1" = -u ] && echo {uid}\n')
    return subprocess.run(
        [BASH, str(QT_DEPS)], env={"PATH": str(bin_dir)}, capture_output=True, text=True, timeout=60
    )


def calls(bin_dir: Path) -> list[str]:
    return (bin_dir.parent / "calls.log").read_text().splitlines()


@pytest.mark.parametrize("uid", [0, 1000], ids=["root", "user-with-sudo"])
def test_missing_packages_are_installed_noninteractively(machine: Path, uid: int) -> None:
    result = run_qt_deps(machine, uid)
    assert result.returncode == 0, result.stderr
    apt = [c for c in calls(machine) if c.startswith("apt-get")]
    assert apt == [
        "apt-get DEBIAN_FRONTEND=noninteractive update -qq",
        "apt-get DEBIAN_FRONTEND=noninteractive install -y -qq " + " ".join(listed_packages()),
    ]
    sudo = [c for c in calls(machine) if c.startswith("sudo")]
    if uid == 0:
        assert sudo == []  # root needs no sudo, and may not have it
    else:
        assert sudo == [
            "sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq",
            "sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq " + " ".join(listed_packages()),
        ]


def test_only_what_is_missing_is_installed(machine: Path) -> None:
    have = listed_packages()[1::2]
    (machine.parent / "installed").write_text("\n".join(have) + "\n")
    assert run_qt_deps(machine, 0).returncode == 0
    install = calls(machine)[-1].split(" install -y -qq ")[1].split()
    assert install == [p for p in listed_packages() if p not in have]


def test_nothing_runs_when_everything_is_installed(machine: Path) -> None:
    (machine.parent / "installed").write_text("\n".join(listed_packages()) + "\n")
    assert run_qt_deps(machine, 1000).returncode == 0
    assert calls(machine) == []


def test_without_apt_get_it_names_the_packages_and_goes_on(machine: Path) -> None:
    (machine / "apt-get").unlink()
    result = run_qt_deps(machine, 0)
    assert result.returncode == 0 and calls(machine) == []
    assert "libxcb-cursor0" in result.stderr


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The two files bootstrap.sh reads, in a folder of their own."""
    root = tmp_path / "checkout"
    (root / "tools").mkdir(parents=True)
    shutil.copy(BOOTSTRAP, root / "tools" / "bootstrap.sh")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def python_without_venv(bin_dir: Path) -> Path:
    """What Debian's python3 does without python3-venv: a .venv with an interpreter but no pip."""
    stub(
        bin_dir,
        "python3",
        'if [ "$1 $2" = "-m venv" ]; then\n'
        '  for last; do :; done\n'
        '  mkdir -p "$last/bin"\n'
        '  printf "#!/bin/sh\\necho No module named pip >&2\\nexit 1\\n" > "$last/bin/python"\n'
        '  chmod +x "$last/bin/python"\n'
        "  echo 'ensurepip is not available' >&2\n"
        "  exit 1\n"
        "fi\nexit 0\n",
    )
    return bin_dir / "python3"


def test_bootstrap_without_the_venv_module_says_what_to_install_every_time(
    machine: Path, checkout: Path
) -> None:
    """The first run fails clearly; so does the second, instead of "No module named pip" from a
    half-made .venv, which used to be left behind for every later run to stumble on."""
    python = python_without_venv(machine)
    for _ in range(2):
        result = subprocess.run(
            [BASH, str(checkout / "tools" / "bootstrap.sh")],
            env={"PATH": f"{machine}:/usr/bin:/bin", "PYTHON": str(python)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1
        assert "python3-venv" in result.stderr and "No module named pip" not in result.stderr


def test_bootstrap_without_python_says_so(machine: Path, checkout: Path) -> None:
    result = subprocess.run(
        [BASH, str(checkout / "tools" / "bootstrap.sh")],
        env={"PATH": str(machine), "PYTHON": "python3.99-absent"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "install Python 3.10 or newer" in result.stderr
