"""The `colorsphere` entry point: the window by default, the headless CLI for its sub-commands.

`colorsphere` opens the window, `colorsphere PHOTO...` opens it with those photos, and
`colorsphere colorize|models|evaluate ...` never touches Qt, so it runs on servers without a display.
"""

from __future__ import annotations

import os
import sys

EXIT_NO_DISPLAY = 2  # a set-up error, as the CLI counts them
APP_HELP = """
the app:
  colorsphere [PHOTO|FOLDER ...]  open the window (with these photos)
  colorsphere --self-test         check an installation: colorize a test card and open the window
                                  offscreen; exit status 0 when all of it works
"""
NO_DISPLAY = (
    "colorsphere: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are not set); "
    "to colorize without one, run `colorsphere colorize PHOTOS -o OUTPUT` (see colorsphere --help), "
    "or start the app with QT_QPA_PLATFORM=offscreen"
)


def has_display() -> bool:
    """False only where Qt would abort for want of a screen: a Linux/BSD session with no X11 or Wayland
    display and no platform chosen by QT_QPA_PLATFORM (offscreen, vnc, eglfs...). Windows and macOS
    always have one for a logged-in user."""
    if sys.platform in ("win32", "darwin") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    from colorsphere_gui import cli

    if args and args[0] in ("-h", "--help"):
        print(cli.build_parser().format_help() + APP_HELP)
        return 0
    if args and (args[0] in cli.COMMANDS or args[0] == "--version"):
        return cli.main(args)
    if args and args[0] == "--self-test":
        from colorsphere_gui.selftest import run_self_test

        return run_self_test()
    if not has_display():
        print(NO_DISPLAY, file=sys.stderr)
        return EXIT_NO_DISPLAY
    from colorsphere_gui.ui.launch import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
