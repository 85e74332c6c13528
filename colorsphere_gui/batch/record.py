"""The job record: what ColorSphere wrote into an output folder, in one small SQLite file there.

SQLite (the standard library's) rather than a JSON file rewritten whole: each file's bookkeeping is
one short transaction whose cost does not grow with the folder, WAL journaling lets a reader look
while a batch writes, and a kill at any moment leaves the last committed state. Every path is stored
relative to the output folder, as the exact bytes of the name (a file name that is not UTF-8 is
stored and compared as it is, and only escaped when shown).

Tables:
  sources  one row per source ever seen here: its latest status, message, content hash, settings
  outputs  one row per file ColorSphere finished here: which source and settings made it, its size
           and modification time (so that a file changed since is not taken for ours)
  pending  an output about to be renamed into place: recorded before the rename, so that after a
           kill the next run adopts the file if it is there and complete, or removes the temp file
  names    the output name each source was given per base name, so collisions resolve the same way
           on every run
  tones    photos classified as already in colour, by content hash, so a re-run need not decode them
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from colorsphere_gui.core.errors import ColorSphereError, DiskFullError

from .job import BatchSettings, shown
from .naming import container_of_output

RECORD_NAME = ".colorsphere-record.sqlite"
LEGACY_MANIFEST_NAME = ".colorsphere-manifest.json"
SCHEMA_VERSION = 1
# Bump when core.monochrome changes what counts as a colour photo: skips remembered under an older rule
# are classified again (the tinted-print rule of issue 18 is rule 2).
TONE_RULE = 2

_SCHEMA = """
CREATE TABLE sources(key BLOB PRIMARY KEY, output BLOB, status TEXT NOT NULL, message TEXT NOT NULL,
                     digest TEXT, settings TEXT, updated TEXT NOT NULL);
CREATE TABLE outputs(path BLOB PRIMARY KEY, source_key BLOB, digest TEXT NOT NULL, settings TEXT NOT NULL,
                     size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, updated TEXT NOT NULL);
CREATE TABLE pending(path BLOB PRIMARY KEY, tmp BLOB NOT NULL, source_key BLOB, digest TEXT NOT NULL,
                     settings TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL);
CREATE TABLE names(source_key BLOB NOT NULL, base BLOB NOT NULL, output BLOB NOT NULL,
                   folded BLOB NOT NULL, PRIMARY KEY(source_key, base));
CREATE INDEX names_by_output ON names(folded);
CREATE TABLE tones(digest TEXT PRIMARY KEY, rule INTEGER NOT NULL, reason TEXT NOT NULL);
"""


def _b(text: str) -> bytes:
    """A relative path as the exact bytes of its name (surrogate escapes of non-UTF-8 names included)."""
    return os.fsencode(text)


def _s(blob: bytes | None) -> str:
    return os.fsdecode(blob) if blob is not None else ""


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class RecordError(ColorSphereError):
    """The record could not be read or written (its message names the file and the fix)."""


@dataclass(frozen=True)
class OutputEntry:
    path: str
    source_key: str
    digest: str
    settings: str
    size: int
    mtime_ns: int

    def matches(self, stat: os.stat_result) -> bool:
        """The file on disk is still the one recorded (not replaced or edited since)."""
        return (stat.st_size, stat.st_mtime_ns) == (self.size, self.mtime_ns)


@dataclass(frozen=True)
class SourceRow:
    key: str
    output: str
    status: str
    message: str
    digest: str
    settings: str
    updated: str


def _verify(db: sqlite3.Connection) -> None:
    """Set db up, or raise sqlite3.DatabaseError unless it is a sound record or an empty new file."""
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")  # the pending row must be on disk before the rename is
    check = db.execute("PRAGMA integrity_check(1)").fetchone()
    if check is None or check[0] != "ok":
        raise sqlite3.DatabaseError(f"integrity check: {check[0] if check else 'no answer'}")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version == 0:
        if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise sqlite3.DatabaseError("not a ColorSphere record")
        db.executescript(f"BEGIN; {_SCHEMA} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;")
    elif version != SCHEMA_VERSION:
        raise RecordError(
            "the job record was written by a newer ColorSphere; update ColorSphere or choose another "
            "output folder"
        )


def _sqlite_error(path: Path, exc: sqlite3.Error) -> ColorSphereError:
    if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "full" in str(exc):
        return DiskFullError(
            f"{shown(path)}: disk full while updating the job record; free space and run again"
        )
    if "readonly" in str(exc) or "read-only" in str(exc):
        return RecordError(f"{shown(path)}: the job record is read-only; choose a folder you can write to")
    return RecordError(f"{shown(path)}: the job record could not be updated ({exc}); run again")


class Record:
    """One output folder's record. Thread-safe: the read and write threads both consult and record."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.created = not path.exists() or path.stat().st_size == 0  # nothing recorded here before
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        try:
            _verify(self._db)
        except BaseException:
            self._db.close()
            raise

    @classmethod
    def open(cls, outdir: Path, note: Callable[[str], None]) -> Record:
        """The folder's record; a damaged one is moved aside, reported through note, and a new one made
        (the caller rebuilds it from what can be verified)."""
        path = outdir / RECORD_NAME
        try:
            return cls(path)
        except sqlite3.OperationalError as exc:  # cannot open, read-only, I/O error: not damage
            raise _sqlite_error(path, exc) from exc
        except sqlite3.DatabaseError as exc:
            aside = path.with_name(f"{RECORD_NAME}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
            for suffix in ("", "-wal", "-shm"):
                side = Path(f"{path}{suffix}")
                if side.exists():
                    os.replace(side, Path(f"{aside}{suffix}"))
            note(
                f"{shown(path)}: the job record is damaged ({exc}); moved aside as {aside.name} "
                "and rebuilt from the last report and the files that can be verified"
            )
            record = cls(path)
            record.rebuilt = True
            return record

    rebuilt = False  # made anew in place of a damaged record

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextlib.contextmanager
    def _txn(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise _sqlite_error(self.path, exc) from exc

    def _one(self, sql: str, *args: object) -> tuple | None:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchone()
            except sqlite3.Error as exc:
                raise _sqlite_error(self.path, exc) from exc

    # ----- lookups -----
    def output(self, rel: str) -> OutputEntry | None:
        row = self._one(
            "SELECT source_key, digest, settings, size, mtime_ns FROM outputs WHERE path=?", _b(rel)
        )
        return OutputEntry(rel, _s(row[0]), *row[1:]) if row else None

    def pending(self) -> list[tuple[OutputEntry, str]]:
        """Outputs recorded as about to be renamed into place, with their temporary names."""
        with self._lock:
            rows = self._db.execute(
                "SELECT path, tmp, source_key, digest, settings, size, mtime_ns FROM pending"
            ).fetchall()
        return [(OutputEntry(_s(r[0]), _s(r[2]), *r[3:]), _s(r[1])) for r in rows]

    def name_for(self, key: str, base: str) -> str | None:
        row = self._one("SELECT output FROM names WHERE source_key=? AND base=?", _b(key), _b(base))
        return _s(row[0]) if row else None

    def claimed_by_other(self, output: str, key: str) -> bool:
        """Whether the record gives this output name to another source (names compare case-insensitively)."""
        if self._one(
            "SELECT 1 FROM names WHERE folded=? AND source_key<>? LIMIT 1", _b(output.casefold()), _b(key)
        ):
            return True
        row = self._one("SELECT source_key FROM outputs WHERE path=?", _b(output))
        return bool(row and row[0] and _s(row[0]) != key)

    def tone(self, digest: str) -> str | None:
        row = self._one("SELECT reason FROM tones WHERE digest=? AND rule=?", digest, TONE_RULE)
        return row[0] if row else None

    def sources(self) -> Iterator[SourceRow]:
        """Every source ever seen here, in key order, read in pages (a big folder is never all in memory)."""
        last = b""
        while True:
            with self._lock:
                rows = self._db.execute(
                    "SELECT key, output, status, message, digest, settings, updated FROM sources "
                    "WHERE key>? ORDER BY key LIMIT 1000",
                    (last,),
                ).fetchall()
            if not rows:
                return
            for r in rows:
                yield SourceRow(_s(r[0]), _s(r[1]), r[2], r[3], r[4] or "", r[5] or "", r[6])
            last = rows[-1][0]

    def is_empty(self) -> bool:
        return not (self._one("SELECT 1 FROM sources LIMIT 1") or self._one("SELECT 1 FROM outputs LIMIT 1"))

    # ----- changes: one transaction each -----
    def remember_names(self, names: list[tuple[str, str, str]]) -> None:
        """(source key, base name, output name) for every planned source."""
        with self._txn() as db:
            db.executemany(
                "INSERT OR REPLACE INTO names(source_key, base, output, folded) VALUES (?,?,?,?)",
                [(_b(k), _b(b), _b(o), _b(o.casefold())) for k, b, o in names],
            )

    def set_pending(self, entry: OutputEntry, tmp: str) -> None:
        with self._txn() as db:
            db.execute(
                "INSERT OR REPLACE INTO pending VALUES (?,?,?,?,?,?,?)",
                (
                    _b(entry.path),
                    _b(tmp),
                    _b(entry.source_key),
                    entry.digest,
                    entry.settings,
                    entry.size,
                    entry.mtime_ns,
                ),
            )

    def set_done(self, entry: OutputEntry) -> None:
        """The output is in place: it becomes ours, and its pending row (if any) goes."""
        with self._txn() as db:
            db.execute(
                "INSERT OR REPLACE INTO outputs VALUES (?,?,?,?,?,?,?)",
                (
                    _b(entry.path),
                    _b(entry.source_key),
                    entry.digest,
                    entry.settings,
                    entry.size,
                    entry.mtime_ns,
                    now(),
                ),
            )
            db.execute("DELETE FROM pending WHERE path=?", (_b(entry.path),))

    def drop_pending(self, rel: str) -> None:
        with self._txn() as db:
            db.execute("DELETE FROM pending WHERE path=?", (_b(rel),))

    def set_tone(self, digest: str, reason: str) -> None:
        with self._txn() as db:
            db.execute("INSERT OR REPLACE INTO tones VALUES (?,?,?)", (digest, TONE_RULE, reason))

    def set_source(self, row: SourceRow) -> None:
        with self._txn() as db:
            db.execute(
                "INSERT OR REPLACE INTO sources VALUES (?,?,?,?,?,?,?)",
                (
                    _b(row.key),
                    _b(row.output) if row.output else None,
                    row.status,
                    shown(row.message),
                    row.digest,
                    row.settings,
                    row.updated or now(),
                ),
            )


def legacy_settings(old: str, output: str) -> str:
    """The settings key of a JSON-manifest entry ({"model", "fmt", "strength"}) in today's form."""
    values = json.loads(old)
    return BatchSettings(model=values["model"], strength=values["strength"]).key(container_of_output(output))
