"""The CSV report: an export of the whole record, every source ever seen in the output folder.

Written at the end of every run, also a stopped one, so it always answers "what happened to each of my
scans" across runs, not only the last. A spreadsheet runs a cell that starts with = + - @ (or a tab or
carriage return) as a formula; such cells get a leading apostrophe, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from colorsphere_gui.core.errors import DiskFullError, ImageWriteError

from .job import shown
from .record import Record, SourceRow

REPORT_NAME = "colorsphere-report.csv"
COLUMNS = ["source", "output", "status", "message", "model", "strength", "source_blake2b", "updated"]
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA) else text


def unescape_cell(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA) else text


def _cells(row: SourceRow) -> list[str]:
    settings = json.loads(row.settings) if row.settings else {}
    cells = [
        row.key,
        row.output,
        row.status,
        row.message,
        str(settings.get("model", "")),
        str(settings.get("strength", "")),
        row.digest,
        row.updated,
    ]
    return [escape_cell(shown(c)) for c in cells]


def write_report(record: Record, outdir: Path) -> Path:
    """Export the record to outdir/colorsphere-report.csv, atomically (a unique hidden temp name, fsync,
    rename). A full disk or a read-only folder comes back as one ColorSphereError line."""
    dest = outdir / REPORT_NAME
    tmp = outdir / f".{REPORT_NAME}.{secrets.token_hex(6)}.part"
    try:
        with open(tmp, "x", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(COLUMNS)
            for row in record.sources():
                writer.writerow(_cells(row))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            raise DiskFullError(
                f"{shown(dest)}: disk full while writing the report; free space and run again "
                "(finished photos are kept and recorded)"
            ) from exc
        raise ImageWriteError(f"{shown(dest)}: could not write the report ({exc.strerror or exc})") from exc
    return dest


def read_report(outdir: Path) -> Iterator[dict[str, str]]:
    """The rows of an earlier report, unescaped; nothing if there is none or it cannot be read."""
    try:
        with open(outdir / REPORT_NAME, encoding="utf-8", errors="surrogateescape", newline="") as f:
            for row in csv.DictReader(f):
                yield {k: unescape_cell(v or "") for k, v in row.items() if k}
    except (OSError, csv.Error):
        return
