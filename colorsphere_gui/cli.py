"""Headless command line: `colorsphere colorize|models|evaluate ...`; no logic of its own.

Every failure a user can fix comes out as one line on stderr and an exit status: 0 all done, 1 some
files failed, 2 a usage or set-up error (nothing was colorized).
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from tqdm import tqdm

from colorsphere_gui import __version__
from colorsphere_gui.core.errors import ColorSphereError
from colorsphere_gui.models.registry import DEFAULT_MODEL, MODELS

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
COMMANDS = ("colorize", "models", "evaluate")


def _say(message: str) -> None:
    tqdm.write(message, file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="colorsphere", description="Bring colour back to black-and-white photos."
    )
    parser.add_argument("--version", action="version", version=f"ColorSphere {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    col = sub.add_parser("colorize", help="colorize photos and folders of photos")
    col.add_argument(
        "inputs", nargs="+", type=Path, help="photos or folders (folders are searched recursively)"
    )
    col.add_argument("-o", "--output", type=Path, required=True, help="output folder (structure is kept)")
    col.add_argument("--model", default=DEFAULT_MODEL, choices=list(MODELS), help=f"default: {DEFAULT_MODEL}")
    col.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    col.add_argument(
        "--format",
        dest="fmt",
        choices=["png", "jpg", "tiff"],
        help="output format (default: the same as each input)",
    )
    col.add_argument(
        "--include-colour",
        "--include-color",
        action="store_true",
        help="also recolorize photos found in folders that are already in colour",
    )
    col.add_argument("--strength", type=float, default=1.0, help="colour strength, 0 (grey) to 2 (default 1)")
    col.add_argument(
        "--redo", action="store_true", help="colorize again photos whose output is already up to date"
    )
    col.add_argument(
        "--overwrite",
        action="store_true",
        help="replace existing files in the output folder that ColorSphere did not write",
    )

    mod = sub.add_parser("models", help="list, download or import model weights")
    msub = mod.add_subparsers(dest="models_command", required=True)
    msub.add_parser("list", help="each model with its state, size and path")
    dl = msub.add_parser("download", help="download official weights (resumable, hash-checked)")
    dl.add_argument("name", choices=[n for n, s in MODELS.items() if s.url])
    imp = msub.add_parser("import", help="install a weights file you already have")
    imp.add_argument("name", choices=list(MODELS))
    imp.add_argument("file", type=Path)

    ev = sub.add_parser("evaluate", help="grey-then-colorize colour photos and score each model against them")
    ev.add_argument("folder", type=Path, help="folder of colour photos (searched recursively)")
    ev.add_argument("--model", dest="models", action="append", help="model to score (repeatable)")
    ev.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    ev.add_argument("--limit", type=int, default=0, help="use only the first N photos")
    ev.add_argument(
        "--hints",
        help="score hint following instead: hint counts such as 0,1,2,5,10,20 (simulated from the originals)",
    )
    ev.add_argument("--side", type=int, default=512, help="with --hints: photos resized to this longer side")
    return parser


def cmd_colorize(args: argparse.Namespace) -> int:
    from colorsphere_gui.batch import BatchRunner, BatchSettings, OnDemand, Stages, discover

    if not 0.0 <= args.strength <= 2.0:
        raise ColorSphereError(f"--strength {args.strength} is out of range: use a value from 0 to 2")
    jobs = discover(args.inputs, args.output)
    if not jobs:
        names = ", ".join(str(p) for p in args.inputs)
        _say(f"no supported photos found in {names} (JPEG, PNG, TIFF, BMP, WebP)")
        return EXIT_USAGE

    def make_colorizer() -> Stages:  # engine.Colorizer, imported only once a photo needs it
        from colorsphere_gui.engine import Colorizer

        colorizer = Colorizer(args.model, args.device, warn=_say)
        _say(f"model {args.model} on {colorizer.device_description}")
        return colorizer

    settings = BatchSettings(
        model=args.model,
        fmt=args.fmt,
        include_colour=args.include_colour,
        strength=args.strength,
        overwrite=args.overwrite,
        resume=not args.redo,
    )
    bar = tqdm(total=len(jobs), unit="photo", file=sys.stderr, dynamic_ncols=True)

    def on_result(result, index: int, total: int) -> None:  # noqa: ANN001 - FileResult
        bar.update(1)
        if result.status == "failed":
            _say(f"failed: {result.message}")

    runner = BatchRunner(OnDemand(make_colorizer).colorize, settings, on_result, threading.Event())
    try:
        summary = runner.run(jobs, args.output)
    except KeyboardInterrupt:
        _say("cancelled; finished files are kept, no partial file was left")
        return EXIT_FAILED
    finally:
        bar.close()
    _say(
        f"{summary.count('done')} done, {summary.count('skipped')} skipped, "
        f"{summary.count('failed')} failed; report: {args.output / 'colorsphere-report.csv'}"
    )
    if summary.stopped_reason:
        _say(f"stopped: {summary.stopped_reason}")
    return summary.exit_code


def cmd_models(args: argparse.Namespace) -> int:
    from colorsphere_gui.models import weights

    if args.models_command == "list":
        for m in weights.list_models():
            size = f"{m.size / 1e6:.1f} MB" if m.size else "-"
            state = "installed" if m.installed else "missing"
            print(f"{m.name:<12} {state:<10} {size:>9}  {m.path or '-'}")
        return EXIT_OK
    if args.models_command == "download":
        bar = tqdm(unit="B", unit_scale=True, file=sys.stderr, desc=args.name)

        def progress(done: int, total: int | None) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        path = weights.download(args.name, progress=progress)
        bar.close()
        print(f"{args.name}: installed {path}")
        return EXIT_OK
    result = weights.import_weights(args.name, args.file)
    if result.warning:
        _say(f"warning: {result.warning}")
    print(f"{args.name}: installed {result.path}")
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from colorsphere_gui.evaluation import evaluate_models, format_table

    models = args.models or [DEFAULT_MODEL]
    if args.hints:
        return _evaluate_hints(args, models)
    table = evaluate_models(args.folder, models, device=args.device, limit=args.limit, log=_say)
    print(format_table(table))
    return EXIT_OK


def _evaluate_hints(args: argparse.Namespace, models: list[str]) -> int:
    from colorsphere_gui.hint_evaluation import evaluate_hints, format_hint_table

    try:
        counts = [int(n) for n in args.hints.split(",")]
    except ValueError:
        raise ColorSphereError(
            f"--hints {args.hints!r}: give hint counts separated by commas, e.g. 0,1,10"
        ) from None
    if any(n < 0 for n in counts):
        raise ColorSphereError(f"--hints {args.hints!r}: hint counts cannot be negative")
    for model in models:
        photos, rows, grey = evaluate_hints(
            args.folder, model, counts, device=args.device, limit=args.limit, side=args.side, log=_say
        )
        print(format_hint_table(model, photos, args.side, rows, grey))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = {"colorize": cmd_colorize, "models": cmd_models, "evaluate": cmd_evaluate}[args.command]
    try:
        return handler(args)
    except ColorSphereError as exc:
        _say(f"error: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _say("cancelled")
        return EXIT_USAGE
