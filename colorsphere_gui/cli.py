"""Headless command line: `colorsphere colorize|models|evaluate ...`; no logic of its own.

Every failure a user can fix comes out as one line on stderr and an exit status: 0 all done, 1 some
files failed, 2 a usage or set-up error (nothing was colorized), 130 stopped by the user (Ctrl-C or
SIGTERM; finished files are kept and the report is written).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from colorsphere_gui import __version__
from colorsphere_gui.core.errors import ColorSphereError
from colorsphere_gui.models.registry import DEFAULT_MODEL, MODELS

if TYPE_CHECKING:  # the batch is imported only when a command needs it
    from colorsphere_gui.batch import BatchSummary

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_STOPPED = 0, 1, 2, 130
COMMANDS = ("colorize", "models", "evaluate")
HINT_SIDE = 512  # evaluate --hints: the longer side photos are scored at, as issue 16 measures
EXIT_HELP = """exit status:
  0    every photo done (or up to date, or skipped as already in colour)
  1    some photos failed (each is named on stderr and in the report), or a full disk stopped the batch
  2    usage or set-up error: nothing was colorized (bad path, missing model, output folder read-only
       or in use by another batch)
  130  stopped by the user (Ctrl-C or SIGTERM): finished photos are kept, no partial file is left,
       the report is written; run the same command again to go on"""
COLORIZE_HELP = """Colorize photos and folders of photos into an output folder, keeping the folder structure.
The output folder keeps a job record (.colorsphere-record.sqlite) and a report (colorsphere-report.csv)
of every photo ever processed there: a re-run skips what is up to date. Two photos that would get the
same output name (A/photo.png and B/photo.png; scan.png beside scan.bmp) are written as photo.png and
"photo (2).png", the same way on every run."""


def _say(message: str) -> None:
    tqdm.write(message, file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="colorsphere",
        description="Bring colour back to black-and-white photos.",
        epilog=EXIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ColorSphere {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    col = sub.add_parser(
        "colorize",
        help="colorize photos and folders of photos",
        description=COLORIZE_HELP,
        epilog=EXIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
        "--ray",
        metavar="ADDRESS",
        help="colorize on Ray workers: local (this machine), auto (the running cluster) or ray://HOST:PORT; "
        "needs pip install 'colorsphere[cluster]' and storage every node sees (docs/SCALING.md)",
    )
    col.add_argument(
        "--overwrite",
        action="store_true",
        help="replace existing files in the output folder that ColorSphere did not write",
    )
    col.add_argument(
        "--hints",
        dest="hints_dir",
        metavar="DIR",
        type=Path,
        help="colour hints: DIR holds <photo file name>.hints.json files laid out like the inputs (a photo "
        "named directly: beside its name); photos without one are colorized automatically",
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
        "--size",
        type=int,
        default=0,
        help="resize each photo so its longer side is N px (default: as is; with --hints: 512)",
    )
    ev.add_argument(
        "--hints",
        help="score hint following instead: hint counts such as 0,1,2,5,10,20 (simulated from the originals)",
    )
    return parser


@contextlib.contextmanager
def _stop_on_signals(cancel: threading.Event) -> Iterator[None]:
    """Ctrl-C and SIGTERM ask the batch to stop after the photos in progress; pressing again only says
    so again. Cutting a write or the network short would gain a second and risk a partial file.

    The handler only sets the event and writes its line with one os.write: Python runs it between any
    two bytecodes of the main thread, and a second Ctrl-C can arrive inside the first handler, so going
    through tqdm (a lock made, and multiprocessing imported, on first use) could nest an import in
    itself and die with a traceback."""
    clear = "\r\x1b[K" if sys.stderr.isatty() else ""  # over a live progress bar

    def stop(signum: int, frame: object) -> None:
        again = cancel.is_set()
        cancel.set()
        line = (
            "still stopping: finishing the photos in progress"
            if again
            else "stopping after the photos in progress; finished files are kept"
        )
        with contextlib.suppress(OSError, ValueError):
            os.write(sys.stderr.fileno(), f"{clear}{line}\n".encode())

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _on_ray(args: argparse.Namespace, jobs: list, settings, on_result, cancel: threading.Event):  # noqa: ANN001
    """The same batch with its photos colorized by Ray workers (batch/ray_runner.py, issue 17)."""
    try:
        from colorsphere_gui.batch.ray_runner import run_on_ray
    except ModuleNotFoundError as exc:
        raise ColorSphereError(f"--ray needs {exc.name}: pip install 'colorsphere[cluster]'") from None
    return run_on_ray(
        args.ray, args.model, args.device, jobs, args.output, settings, on_result, cancel, _say
    )


def cmd_colorize(args: argparse.Namespace) -> int:
    from colorsphere_gui.batch import BatchRunner, BatchSettings, OnDemand, Stages, discover
    from colorsphere_gui.batch.progress import progress_for

    if not 0.0 <= args.strength <= 2.0:
        raise ColorSphereError(f"--strength {args.strength} is out of range: use a value from 0 to 2")
    if args.hints_dir is not None and not args.hints_dir.is_dir():
        raise ColorSphereError(
            f"--hints {args.hints_dir}: no such folder; give the folder of .hints.json files"
        )
    if args.hints_dir is not None and args.ray:
        raise ColorSphereError(
            "--hints cannot be combined with --ray yet: run the hinted photos without --ray"
        )
    jobs = discover(args.inputs, args.output, note=_say)
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
        hints_dir=args.hints_dir,
    )
    bar = progress_for(len(jobs))

    def on_result(result, index: int, total: int) -> None:  # noqa: ANN001 - FileResult
        bar.update(1)
        if result.status == "failed":
            _say(f"failed: {result.message}")

    cancel = threading.Event()
    runner = BatchRunner(OnDemand(make_colorizer).colorize, settings, on_result, cancel, note=_say)
    with _stop_on_signals(cancel):  # also over the last lines: a late Ctrl-C must not cut them off
        try:
            if args.ray:
                summary = _on_ray(args, jobs, settings, on_result, cancel)
            else:
                summary = runner.run(jobs, args.output)
        finally:
            bar.close()
        _tell(summary)
    return summary.exit_code


def _tell(summary: BatchSummary) -> None:
    counts = (
        f"{summary.count('done')} done, {summary.count('skipped')} skipped, {summary.count('failed')} failed"
    )
    report = f"report: {summary.report}" if summary.report else "no report was written"
    if summary.cancelled:
        _say(f"stopped by the user: {counts}; finished files are kept, no partial file was left; {report}")
    else:
        _say(f"{counts}; {report}")
    if summary.stopped_reason:
        _say(f"stopped: {summary.stopped_reason}")


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
    if args.size < 0:
        raise ColorSphereError(f"--size {args.size} is negative: give the longer side in pixels, or 0")
    if args.hints:
        return _evaluate_hints(args, models)
    table = evaluate_models(
        args.folder, models, device=args.device, limit=args.limit, log=_say, size=args.size
    )
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
    side = args.size or HINT_SIDE
    for model in models:
        photos, rows, grey = evaluate_hints(
            args.folder, model, counts, device=args.device, limit=args.limit, side=side, log=_say
        )
        print(format_hint_table(model, photos, side, rows, grey))
    return EXIT_OK


@contextlib.contextmanager
def _sigterm_as_ctrl_c() -> Iterator[None]:
    """SIGTERM outside a batch's run (while looking for photos, loading, downloading) ends the command
    the way Ctrl-C does: one line and status 130, not a silent death."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def ignore_stop_signals() -> None:
    """Once the command's exit status is decided, a Ctrl-C pressed again (the third of three) must not
    land in the interpreter's shutdown (thread joins, atexit) as a traceback and a death by SIGINT."""
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = {"colorize": cmd_colorize, "models": cmd_models, "evaluate": cmd_evaluate}[args.command]
    try:
        with _sigterm_as_ctrl_c():
            return handler(args)
    except ColorSphereError as exc:
        _say(f"error: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        with _signals_ignored():  # Ctrl-C pressed again must not cut this line off with a traceback
            _say("stopped by the user")
        return EXIT_STOPPED
