"""The `colorsphere` entry point: the window by default, the headless CLI for its sub-commands.

`colorsphere` opens the window, `colorsphere PHOTO...` opens it with those photos, and
`colorsphere colorize|models|evaluate ...` never touches Qt, so it runs on servers without a display.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    from colorsphere_gui import cli

    if args and (args[0] in cli.COMMANDS or args[0] in ("-h", "--help", "--version")):
        return cli.main(args)
    if args and args[0] == "--self-test":
        from colorsphere_gui.selftest import run_self_test

        return run_self_test()
    from colorsphere_gui.ui.launch import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
