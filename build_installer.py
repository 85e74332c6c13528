"""Build ColorSphere's double-click installer for the platform this runs on.

    python build_installer.py [--onefile] [--with-official-weights] [--skip-self-test]

1. PyInstaller makes a one-folder bundle `dist/ColorSphere/` (or one executable with --onefile) holding
   Python, CPU PyTorch, the Qt modules ColorSphere uses, the built-in weights and the icons.
2. The frozen `ColorSphere --self-test` runs headless; a bundle that fails it is not wrapped.
3. The bundle is wrapped: Linux, a .tar.gz with a .desktop file, the icon and install.sh (user menu,
   no root); Windows, an Inno Setup installer when ISCC is on PATH (the .iss script is written always);
   macOS, ColorSphere.app and a .dmg.
Needs the `build` extra: pip install -e ".[build]".
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DIST = ROOT / "dist"
BUILD = ROOT / "build"
NAME = "ColorSphere"
LIMIT_BYTES = int(1.5 * 1024**3)

# Modules that would otherwise be pulled in through optional imports and only add weight.
EXCLUDES = [
    "tkinter",
    "matplotlib",
    "IPython",
    "pandas",
    "colorizers",
    "pytest",
    "pytestqt",
    "hypothesis",
    "colorsphere_gui.training",
    "colorsphere_gui.batch.ray_runner",  # the cluster runner (the [cluster] extra) is not in the app
    "ray",
    "pyarrow",
    "grpc",
    "torch.utils.tensorboard",
    "tensorboard",
    "torchvision",
    "sympy.testing",
    "PySide6.QtNetwork",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtSql",
    "PySide6.QtTest",
    "PySide6.QtOpenGL",
    "PySide6.QtDBus",
    "PySide6.QtXml",
    "PySide6.QtConcurrent",
    "PySide6.QtPrintSupport",
]

LINUX_INSTALL = """#!/bin/sh
# Installs ColorSphere for this user: the program under ~/.local/opt, a menu entry and an icon.
set -e
here="$(cd "$(dirname "$0")" && pwd)"
dest="${XDG_DATA_HOME:-$HOME/.local/share}"
opt="$HOME/.local/opt/ColorSphere"
mkdir -p "$opt" "$dest/applications" "$dest/icons/hicolor/256x256/apps" "$HOME/.local/bin"
cp -R "$here/ColorSphere/." "$opt/"
cp "$here/colorsphere.png" "$dest/icons/hicolor/256x256/apps/colorsphere.png"
sed "s|^Exec=.*|Exec=$opt/ColorSphere %F|" "$here/colorsphere.desktop" \\
    > "$dest/applications/colorsphere.desktop"
ln -sf "$opt/ColorSphere" "$HOME/.local/bin/colorsphere"
command -v update-desktop-database >/dev/null && update-desktop-database "$dest/applications" || true
echo "ColorSphere installed: find it in your applications menu, or run 'colorsphere'."
"""


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def weights_to_bundle(with_official: bool) -> list[Path]:
    """The built-in weights always; the official ones when asked for and installed in the user folder."""
    from colorsphere_gui.models import weights
    from colorsphere_gui.models.registry import MODELS

    files = []
    for name, spec in MODELS.items():
        path = weights.find_weights(name)
        if spec.url is None:
            if path is None:
                raise SystemExit(f"built-in weights {spec.file_name} are missing from models/: cannot bundle")
            files.append(path)
        elif with_official:
            if path is None:
                print(f"note: {name} is not installed; run `colorsphere models download {name}` to bundle it")
            else:
                files.append(path)
    return files


def data_files() -> list[tuple[Path, str]]:
    """Documents the app opens itself (Help ▸ User Guide and its screenshots), as (source, bundle folder)."""
    return [(ROOT / "docs" / "USER_GUIDE.md", "docs"), (ROOT / "docs" / "guide", "docs/guide")]


def run_pyinstaller(onefile: bool, weight_files: list[Path]) -> Path:
    sep = os.pathsep
    args = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--name",
        NAME,
        "--distpath",
        str(DIST),
        "--workpath",
        str(BUILD),
        "--specpath",
        str(BUILD),
        "--onefile" if onefile else "--onedir",
        "--add-data",
        f"{ROOT / 'resources'}{sep}resources",
        *(arg for src, dest in data_files() for arg in ("--add-data", f"{src}{sep}{dest}")),
        "--icon",
        str(ROOT / "resources" / "colorsphere.png"),  # PyInstaller converts it per platform
        "--collect-submodules",
        "colorsphere_gui",
    ]
    if platform.system() != "Linux":
        args.append("--windowed")  # a GUI app on Windows and macOS; Linux keeps stdout for the CLI
    for f in weight_files:
        args += ["--add-data", f"{f}{sep}models"]
    for mod in EXCLUDES:
        args += ["--exclude-module", mod]
    args.append(str(ROOT / "colorsphere_gui" / "__main__.py"))
    subprocess.run(args, check=True, cwd=ROOT)
    return DIST / (NAME + (".exe" if os.name == "nt" else "")) if onefile else DIST / NAME


def executable(bundle: Path) -> Path:
    if bundle.is_file():
        return bundle
    if platform.system() == "Darwin" and (DIST / f"{NAME}.app").exists():
        return DIST / f"{NAME}.app" / "Contents" / "MacOS" / NAME
    return bundle / (NAME + (".exe" if os.name == "nt" else ""))


def self_test(exe: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "COLORSPHERE_HOME": str(BUILD / "selftest-home")}
    result = subprocess.run([str(exe), "--self-test"], env=env, capture_output=True, text=True, timeout=600)
    print(result.stdout.strip())
    if result.returncode != 0:
        raise SystemExit(f"frozen self-test failed ({result.returncode}):\n{result.stderr.strip()}")


def wrap_linux(bundle: Path) -> Path:
    staging = BUILD / "linux-package"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    shutil.copy2(ROOT / "resources" / "colorsphere.desktop", staging / "colorsphere.desktop")
    shutil.copy2(ROOT / "resources" / "colorsphere.png", staging / "colorsphere.png")
    install = staging / "install.sh"
    install.write_text(LINUX_INSTALL, encoding="utf-8")
    install.chmod(0o755)
    archive = DIST / f"{NAME}-{version()}-linux-{platform.machine()}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(bundle, arcname=f"{NAME}/{bundle.name}" if bundle.is_file() else f"{NAME}/{NAME}")
        for f in staging.iterdir():
            tar.add(f, arcname=f"{NAME}/{f.name}")
    return archive


def inno_script(bundle: Path) -> str:
    source = bundle if bundle.is_dir() else bundle.parent
    return f"""[Setup]
AppName={NAME}
AppVersion={version()}
DefaultDirName={{autopf}}\\{NAME}
DefaultGroupName={NAME}
PrivilegesRequired=lowest
OutputDir={DIST}
OutputBaseFilename={NAME}-{version()}-setup
Compression=lzma2
SolidCompression=yes

[Files]
Source: "{source}\\*"; DestDir: "{{app}}"; Flags: recursesubdirs

[Icons]
Name: "{{group}}\\{NAME}"; Filename: "{{app}}\\{NAME}.exe"
Name: "{{userdesktop}}\\{NAME}"; Filename: "{{app}}\\{NAME}.exe"
"""


def wrap_windows(bundle: Path) -> Path:
    iss = BUILD / f"{NAME}.iss"
    iss.write_text(inno_script(bundle), encoding="utf-8")
    iscc = shutil.which("ISCC") or shutil.which("iscc")
    if iscc is None:
        print(f"Inno Setup (ISCC) not found: wrote {iss}; install Inno Setup and run ISCC on it")
        return iss
    subprocess.run([iscc, str(iss)], check=True)
    return DIST / f"{NAME}-{version()}-setup.exe"


def wrap_macos() -> Path:
    app = DIST / f"{NAME}.app"
    dmg = DIST / f"{NAME}-{version()}.dmg"
    subprocess.run(
        ["hdiutil", "create", "-volname", NAME, "-srcfolder", str(app), "-ov", "-format", "UDZO", str(dmg)],
        check=True,
    )
    return dmg


def version() -> str:
    from colorsphere_gui import __version__

    return __version__


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--onefile", action="store_true", help="one executable instead of a folder")
    parser.add_argument(
        "--with-official-weights",
        action="store_true",
        help="also bundle ECCV16/SIGGRAPH17 weights found in the user folder",
    )
    parser.add_argument("--skip-self-test", action="store_true")
    args = parser.parse_args()

    bundle = run_pyinstaller(args.onefile, weights_to_bundle(args.with_official_weights))
    size = bundle.stat().st_size if bundle.is_file() else folder_size(bundle)
    print(f"bundle: {bundle} ({size / 1024**2:.0f} MiB unpacked)")
    if size > LIMIT_BYTES:
        print(f"warning: bundle is larger than {LIMIT_BYTES / 1024**3:.1f} GiB")
    if not args.skip_self_test:
        self_test(executable(bundle))
    system = platform.system()
    if system == "Linux":
        package = wrap_linux(bundle)
    elif system == "Windows":
        package = wrap_windows(bundle)
    else:
        package = wrap_macos()
    print(f"package: {package}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
