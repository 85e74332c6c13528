"""Fault walk: `colorsphere colorize` abused the way users do, and the batch's promises checked each time.

    python tools/fault_walk.py [--stub] [--ray] [--only NAME ...] [--keep]

Each scenario makes small photos under a scratch folder, runs the real command line in a child process
(collisions, odd shapes and names, kill -9 and SIGTERM at the moment an output appears, Ctrl-C three
times, concurrent batches, a damaged record, a read-only folder, re-runs from elsewhere and with -o
spelled differently, several runs that must all show in the report), and checks what the README
promises: no traceback, the documented exit status, sources unchanged, no temporary file left after
the next run, every source in colorsphere-report.csv with the right status, outputs that decode and
come from the right source. `--stub` uses the test stub instead of the network (tests/batch_child.py):
the same bookkeeping in a fraction of the time; `--ray` runs every command with `--ray local`.
Exit status 0 when every check passed.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
REPORT = "colorsphere-report.csv"
# What may stay in an output folder besides outputs and the report.
BOOKKEEPING = (".colorsphere-record.sqlite", ".colorsphere-record.lock")
FAILURES: list[str] = []
STUB = False
RAY: list[str] = []  # ["--ray", "local"]: every run on a local Ray instance (issue 17's runner)


# ----- photos -----
def pattern(kind: int, h: int = 96, w: int = 128) -> np.ndarray:
    """Grey photos that are told apart by correlation with their output's luminance."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    shapes = [x / w, y / h, ((x // 16 + y // 16) % 2) * 0.6 + 0.2, np.hypot(x - w / 2, y - h / 2) / w]
    shapes.append(np.sin(x / 5) * 0.4 + 0.5)
    shapes.append(np.cos(y / 7) * 0.4 + 0.5)
    base = shapes[kind % len(shapes)]
    return (np.clip(base, 0, 1) * 200 + 20).astype(np.uint8)


def save(
    path: Path, kind: int, size: tuple[int, int] = (96, 128), tint: tuple[float, ...] | None = None
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    grey = pattern(kind, *size)
    if tint is None:
        Image.fromarray(grey).save(path)
    else:
        rgb = np.clip(grey[..., None].astype(np.float32) * np.array(tint), 0, 255).astype(np.uint8)
        Image.fromarray(rgb).save(path)
    return path


def colour_photo(path: Path) -> Path:
    rng = np.random.default_rng(1)
    blocks = rng.integers(0, 255, (6, 8, 3), dtype=np.uint8)
    Image.fromarray(blocks).resize((128, 96), Image.NEAREST).save(path)
    return path


def luminance(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("L"), np.float32)


def same_picture(output: Path, source: Path) -> bool:
    a, b = luminance(output), luminance(source)
    if a.shape != b.shape:
        return False
    if a.std() < 1e-3 or b.std() < 1e-3:
        return abs(a.mean() - b.mean()) < 20
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1]) > 0.9


# ----- the command line in a child -----
def command(*args: str | Path) -> list[str]:
    py = sys.executable
    if STUB:
        marker = Path(tempfile.gettempdir()) / f"fw-marker-{os.getpid()}"
        return [py, "-m", "tests.batch_child", "none", str(marker), "--", "colorize", *map(str, args), *RAY]
    return [py, "-m", "colorsphere_gui", "colorize", *map(str, args), *RAY]


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT)
    e.pop("COLORSPHERE_MAX_MEGAPIXELS", None)
    return e


class Child:
    """A colorize run in a child process, its stderr kept."""

    def __init__(self, *args: str | Path, cwd: Path | None = None) -> None:
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            command(*args), cwd=cwd or ROOT, env=env(), stdout=self.err, stderr=self.err
        )

    def wait(self, timeout: float = 300) -> tuple[int, str]:
        rc = self.proc.wait(timeout)
        self.err.seek(0)
        return rc, self.err.read().decode("utf-8", "replace")


def cli(*args: str | Path, cwd: Path | None = None) -> tuple[int, str]:
    return Child(*args, cwd=cwd).wait()


def wait_for(test: Callable[[], bool], child: Child, timeout: float = 120) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if test():
            return True
        if child.proc.poll() is not None:
            return test()
        time.sleep(0.01)
    return False


def visible_outputs(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".") and p.name != REPORT]


def temporaries(out: Path) -> list[Path]:
    return [
        p
        for p in out.rglob("*")
        if p.is_file() and p.name.startswith(".") and not p.name.startswith(BOOKKEEPING)
    ]


# ----- checks -----
def fingerprint(root: Path) -> dict[bytes, tuple[str, int]]:
    found = {}
    for folder, _, files in os.walk(os.fsencode(root)):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                found[path] = (hashlib.sha256(f.read()).hexdigest(), os.stat(path).st_mtime_ns)
    return found


def shown(path: str | Path) -> str:
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def unshown(text: str) -> Path:
    """The path a report cell names (its \\xNN escapes back to the bytes of a non-UTF-8 name)."""
    raw = re.sub(rb"\\x([0-9a-f]{2})", lambda m: bytes([int(m[1], 16)]), text.encode("utf-8"))
    return Path(os.fsdecode(raw))


def report(out: Path) -> dict[str, dict[str, str]]:
    try:
        with (out / REPORT).open(encoding="utf-8", newline="") as f:
            rows = [{k: unescape(v) for k, v in r.items()} for r in csv.DictReader(f)]
    except OSError:
        return {}
    return {r["source"]: r for r in rows}


def unescape(cell: str) -> str:
    """A cell as written before the report's formula escape (a leading ' before = + - @)."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@") else cell


def key(source: Path, out: Path) -> str:
    return shown(os.path.relpath(source.resolve(), out.resolve()))


class Scenario:
    def __init__(self, name: str, base: Path) -> None:
        self.name, self.base = name, base / name
        self.src, self.out = self.base / "src", self.base / "out"
        self.src.mkdir(parents=True)
        self.before: dict = {}

    def fail(self, what: str) -> None:
        FAILURES.append(f"{self.name}: {what}")
        print(f"  FAIL {what}", flush=True)

    def expect(self, ok: bool, what: str) -> None:
        if not ok:
            self.fail(what)

    def freeze(self) -> None:
        self.before = fingerprint(self.src)

    def run(self, *args: str | Path, rc: int | set[int] | None = 0, cwd: Path | None = None) -> str:
        code, err = cli(*args, cwd=cwd)
        return self.judge(code, err, rc, " ".join(map(shown, args)))

    def judge(self, code: int, err: str, rc: int | set[int] | None, what: str = "") -> str:
        wanted = {rc} if isinstance(rc, int) else rc
        print(f"  rc={code} {what[-100:]}", flush=True)
        self.expect(wanted is None or code in wanted, f"exit status {code}, expected {wanted}: {err[-600:]}")
        for bad in ("Traceback", "terminate called", "Fatal Python error", "Aborted", "core dumped"):
            self.expect(bad not in err, f"{bad!r} on stderr:\n{err[-2000:]}")
        self.expect(fingerprint(self.src) == self.before, "a source changed")
        return err

    def clean(self, out: Path | None = None) -> None:
        out = out or self.out
        self.expect(not temporaries(out), f"temporary files left: {[shown(p) for p in temporaries(out)]}")

    def statuses(self, expected: dict[Path, str], out: Path | None = None) -> dict[str, dict[str, str]]:
        """Every expected source in the report with its status, and no row for anything else; each done
        row's output exists, decodes, comes from that source and is no other row's output."""
        out = out or self.out
        rows = report(out)
        want = {key(p, out): s for p, s in expected.items()}
        for k, status in want.items():
            got = rows.get(k, {}).get("status")
            self.expect(got == status, f"{k}: status {got!r}, expected {status!r} ({rows.get(k)})")
        self.expect(set(rows) == set(want), f"report rows {sorted(set(rows) ^ set(want))} unexpected/missing")
        outputs = [r["output"] for r in rows.values() if r["status"] == "done"]
        self.expect(len(outputs) == len(set(outputs)), f"two done rows share an output: {outputs}")
        for k, r in rows.items():
            if r["status"] != "done":
                continue
            output, source = out / unshown(r["output"]), out / unshown(k)
            try:
                self.expect(same_picture(output, source), f"{r['output']} does not hold {k}")
            except OSError as exc:
                self.fail(f"{r['output']} ({k}) cannot be read: {exc}")
        return rows


# ----- scenarios -----
def collisions(s: Scenario) -> None:
    a, b = save(s.src / "A" / "photo.png", 0), save(s.src / "B" / "photo.png", 1)
    scan_png, scan_bmp = save(s.src / "C" / "scan.png", 2), save(s.src / "C" / "scan.bmp", 3)
    j, p, t = save(s.src / "D" / "a.jpg", 4), save(s.src / "D" / "a.png", 5), save(s.src / "D" / "a.tif", 0)
    s.freeze()
    s.run(a, b, "-o", s.out)
    s.statuses({a: "done", b: "done"})
    s.run(b, a, "-o", s.out)  # the other order: same names, nothing rewritten
    s.statuses({a: "done", b: "done"})
    out2 = s.base / "out2"
    s.run(s.src / "C", "-o", out2)
    rows = s.statuses({scan_png: "done", scan_bmp: "done"}, out2)
    s.expect(rows.get(key(scan_png, out2), {}).get("output") == "scan.png", "scan.png did not keep its name")
    out3 = s.base / "out3"
    s.run(s.src / "D", "-o", out3, "--format", "png")
    s.statuses({j: "done", p: "done", t: "done"}, out3)
    s.run(s.src / "D", "-o", out3)  # no --format: each in its own format
    s.run(s.src / "D", "-o", out3, "--format", "jpg")
    s.run(s.src / "D", "-o", out3, "--format", "png")
    rows = s.statuses({j: "done", p: "done", t: "done"}, out3)
    s.expect(all("up to date" in r["message"] for r in rows.values()), "switching --format back redid work")
    names = sorted(p.name for p in visible_outputs(out3))
    # a.jpg/a.png/a.tif in their own formats, (2) and (3) as PNG and as JPEG: a.jpg is a.jpg both times
    s.expect(len(names) == 7, f"seven distinct outputs expected, got {names}")
    for o in (s.out, out2, out3):
        s.clean(o)


def thin(s: Scenario) -> None:
    line, column = save(s.src / "line.png", 0, (1, 3000)), save(s.src / "column.png", 1, (3000, 1))
    dot, tiny = save(s.src / "dot.png", 2, (1, 1)), save(s.src / "tiny.png", 3, (2, 3))
    strip = save(s.src / "strip.png", 4, (3, 4000))
    s.freeze()
    err = s.run(s.src, "-o", s.out, rc={0, 1})
    rows = report(s.out)
    for p in (line, column, dot, tiny, strip):
        r = rows.get(key(p, s.out), {})
        ok = r.get("status") == "done" or (r.get("status") == "failed" and p.name in r.get("message", ""))
        s.expect(ok, f"{p.name}: {r}")
    s.expect("MemoryError" not in err, "memory error")
    huge = s.src / "huge.png"
    Image.new("L", (15000, 14000), 128).save(huge)  # 210 Mpx: over the default limit
    s.freeze()
    s.run(s.src, "-o", s.out, rc=1)
    r = report(s.out).get(key(huge, s.out), {})
    ok = (
        r.get("status") == "failed"
        and "huge.png" in r["message"]
        and "COLORSPHERE_MAX_MEGAPIXELS" in r["message"]
    )
    s.expect(ok, f"huge scan: {r}")
    s.run(s.src, "-o", s.out, rc=1)
    s.clean()


def disk_full(s: Scenario) -> None:
    rng = np.random.default_rng(0)
    photos = []
    for i in range(6):  # noise: outputs that do not compress
        photos.append(s.src / f"n{i}.png")
        Image.fromarray(rng.integers(0, 255, (60, 80), dtype=np.uint8)).save(photos[-1])
    s.freeze()
    small = s.base / "small"
    small.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(small)]).returncode:
        print("  no tmpfs: skipped")
        return
    try:
        out = small / "out"
        err = s.run(s.src, "-o", out, rc=1)
        s.clean(out)
        if report(out):
            s.expect(set(report(out)) == {key(p, out) for p in photos}, "not every source in the report")
        else:  # the record's journal took the last bytes: the run must say so
            s.expect("no report was written" in err, f"no report and no word of it: {err}")
        big = s.base / "big"
        shutil.copytree(out, big / "out")  # the same folder once space is freed (same depth: same keys)
    finally:
        subprocess.run(["umount", str(small)])
    s.run(s.src, "-o", big / "out")
    s.statuses({p: "done" for p in photos}, big / "out")
    s.clean(big / "out")


def non_utf8(s: Scenario) -> None:
    folder = Path(os.fsdecode(bytes(s.src) + b"/d\xe9p\xf4t"))
    photo = save(Path(os.fsdecode(os.fsencode(folder) + b"/caf\xe9 \xff.png")), 0)
    plain = save(s.src / "plain.png", 1)
    long = save(s.src / ("é" * 120 + ".png"), 2)  # 244 bytes: the temporary names must still fit
    formula = save(s.src / "=cmd()|' calc'!A1.png", 3)  # a spreadsheet must show it as text
    every = {photo: "done", plain: "done", long: "done", formula: "done"}
    s.freeze()
    s.run(s.src, "-o", s.out)
    s.statuses(every)
    raw = (s.out / REPORT).read_text(encoding="utf-8")
    s.expect(",=cmd()" not in raw and ",'=cmd()" in raw, "a formula cell went out unescaped")
    s.run(s.src, "-o", s.out)
    rows = s.statuses(every)
    s.expect(all("up to date" in r["message"] for r in rows.values()), f"re-run redid work: {rows}")
    s.clean()


def kill_after_output(s: Scenario) -> None:
    photos = [save(s.src / f"p{i}.png", i) for i in range(6)]
    s.freeze()
    child = Child(s.src, "-o", s.out)
    appeared = wait_for(lambda: bool(visible_outputs(s.out)) if s.out.exists() else False, child)
    child.proc.kill()
    child.wait()
    s.expect(appeared, "no output appeared before the run ended")
    s.run(s.src, "-o", s.out)
    s.statuses({p: "done" for p in photos})
    s.clean()
    # and killed while an output is still a temporary file
    out = s.base / "out-b"
    child = Child(s.src, "-o", out)
    seen = wait_for(
        lambda: bool(temporaries(out)) and not visible_outputs(out) if out.exists() else False, child
    )
    child.proc.kill()
    child.wait()
    print(f"  killed with a temporary file present: {seen}")
    s.run(s.src, "-o", out)
    s.statuses({p: "done" for p in photos}, out)
    s.clean(out)


def elsewhere(s: Scenario) -> None:
    photos = [save(s.src / f"p{i}.png", i) for i in range(3)]
    s.freeze()
    s.run("src", "-o", "out", cwd=s.base)
    mtimes = {p: p.stat().st_mtime_ns for p in visible_outputs(s.out)}
    other = s.base / "elsewhere"
    other.mkdir()
    for spelled, cwd in (
        (str(s.out) + "/", Path("/")),
        ("../out/", other),
        ("./out/../out", s.base),
        (os.path.relpath(s.out, other), other),
    ):
        src = os.path.relpath(s.src, cwd)
        s.run(src, "-o", spelled, cwd=cwd)
        rows = s.statuses({p: "done" for p in photos})
        s.expect(all("up to date" in r["message"] for r in rows.values()), f"-o {spelled} from {cwd}: redone")
    s.expect(mtimes == {p: p.stat().st_mtime_ns for p in visible_outputs(s.out)}, "outputs rewritten")
    link = s.base / "link-to-out"
    link.symlink_to(s.out)
    s.run(s.src, "-o", link)
    s.statuses({p: "done" for p in photos})
    s.clean()


def concurrent(s: Scenario) -> None:
    photos = [save(s.src / f"p{i}.png", i, (200, 300)) for i in range(12)]
    other = [save(s.base / "src2" / f"q{i}.png", i + 1) for i in range(3)]
    s.freeze()
    first = Child(s.src, "-o", s.out)
    wait_for(lambda: (s.out / ".colorsphere-record.sqlite").exists(), first)
    second = Child(s.base / "src2", "-o", s.out)
    rc2, err2 = second.wait()
    overlapped = first.proc.poll() is None
    rc1, err1 = first.wait()
    print(f"  the second ended while the first was running: {overlapped}")
    s.judge(rc1, err1, 0, "first")
    s.judge(rc2, err2, 2 if overlapped else {0, 2}, "second")
    if rc2 == 2:
        s.expect(len(err2.strip().splitlines()) == 1, f"second run said more than one line: {err2}")
    s.statuses({p: "done" for p in photos + (other if rc2 == 0 else [])})
    s.run(s.base / "src2", "-o", s.out)  # the refused one again: now it runs
    s.statuses({**{p: "done" for p in photos}, **{p: "done" for p in other}})
    # two started at the same instant
    out = s.base / "out-b"
    a, b = Child(s.src, "-o", out), Child(s.src, "-o", out)
    (ra, ea), (rb, eb) = a.wait(), b.wait()
    s.judge(ra, ea, {0, 2}, "a")
    s.judge(rb, eb, {0, 2}, "b")
    s.expect(sorted([ra, rb]) == [0, 2], f"one should run, one refuse: {ra} {rb}")
    s.statuses({p: "done" for p in photos}, out)
    s.clean()
    s.clean(out)


def damaged(s: Scenario) -> None:
    photos = [save(s.src / f"p{i}.png", i) for i in range(3)]
    s.freeze()
    s.run(s.src, "-o", s.out)
    record = s.out / ".colorsphere-record.sqlite"
    for how in ("garbage", "truncated", "empty", "wal garbage", "header only", "report too"):
        print(f"  -- {how}")
        data = record.read_bytes()
        if how == "garbage":
            record.write_bytes(os.urandom(5000))
        elif how == "truncated":
            record.write_bytes(data[:1500])
        elif how == "empty":
            record.write_bytes(b"")
        elif how == "wal garbage":
            Path(f"{record}-wal").write_bytes(os.urandom(9000))
        elif how == "header only":
            record.write_bytes(data[:100] + os.urandom(len(data) - 100))
        else:
            record.write_bytes(os.urandom(3000))
            (s.out / REPORT).write_bytes(os.urandom(300))
        s.run(s.src, "-o", s.out)
        s.statuses({p: "done" for p in photos})
        s.clean()


def sigterm_mid_write(s: Scenario) -> None:
    photos = [save(s.src / f"p{i}.png", i, (200, 300)) for i in range(6)]
    s.freeze()
    child = Child(s.src, "-o", s.out)
    seen = wait_for(lambda: bool(temporaries(s.out)) if s.out.exists() else False, child)
    child.proc.send_signal(signal.SIGTERM)
    rc, err = child.wait()
    print(f"  temporary file seen before SIGTERM: {seen}")
    s.judge(rc, err, 130 if seen else {0, 130}, "SIGTERM")
    s.clean()
    rows = report(s.out)
    s.expect(set(rows) == {key(p, s.out) for p in photos}, f"not every source in the report: {sorted(rows)}")
    for r in rows.values():
        s.expect(r["status"] in ("done", "waiting"), f"row after SIGTERM: {r}")
    s.run(s.src, "-o", s.out)
    s.statuses({p: "done" for p in photos})
    s.clean()


def ctrl_c_three_times(s: Scenario) -> None:
    photos = [save(s.src / f"p{i}.png", i, (200, 300)) for i in range(6)]
    s.freeze()
    child = Child(s.src, "-o", s.out)
    seen = wait_for(
        lambda: bool(visible_outputs(s.out) or temporaries(s.out)) if s.out.exists() else False, child
    )
    for _ in range(3):
        child.proc.send_signal(signal.SIGINT)
        time.sleep(0.05)
    rc, err = child.wait()
    s.judge(rc, err, 130 if seen else {0, 130}, "Ctrl-C x3")
    s.clean()
    s.run(s.src, "-o", s.out)
    s.statuses({p: "done" for p in photos})
    s.clean()
    # Ctrl-C while the model loads, before any photo
    out = s.base / "out-b"
    child = Child(s.src, "-o", out)
    wait_for(lambda: out.exists(), child)
    for _ in range(3):
        child.proc.send_signal(signal.SIGINT)
        time.sleep(0.02)
    rc, err = child.wait()
    s.judge(rc, err, {0, 130}, "Ctrl-C x3 early")
    s.clean(out)


def read_only(s: Scenario) -> None:
    photos = [save(s.src / f"p{i}.png", i) for i in range(2)]
    s.freeze()
    s.run(s.src, "-o", s.out)
    save(s.src / "new.png", 3)
    s.freeze()
    subprocess.run(["chattr", "+i", str(s.out)], check=True)
    try:
        err = s.run(s.src, "-o", s.out, rc=2)
        s.expect(len(err.strip().splitlines()) == 1 and str(s.out) in err, f"not one line naming it: {err}")
        # a read-only folder below the output folder: that one photo fails, the rest is done
    finally:
        subprocess.run(["chattr", "-i", str(s.out)], check=True)
    sub_src = save(s.src / "sub" / "deep.png", 4)
    (s.out / "sub").mkdir()
    s.freeze()
    subprocess.run(["chattr", "+i", str(s.out / "sub")], check=True)
    try:
        s.run(s.src, "-o", s.out, rc=1)
        s.statuses({**{p: "done" for p in photos}, s.src / "new.png": "done", sub_src: "failed"})
    finally:
        subprocess.run(["chattr", "-i", str(s.out / "sub")], check=True)
    # the record itself read-only
    record = s.out / ".colorsphere-record.sqlite"
    subprocess.run(["chattr", "+i", str(record)], check=True)
    try:
        s.run(s.src, "-o", s.out, rc={1, 2})
    finally:
        subprocess.run(["chattr", "-i", str(record)], check=True)
    s.run(s.src, "-o", s.out)
    s.statuses({**{p: "done" for p in photos}, s.src / "new.png": "done", sub_src: "done"})
    s.clean()


def several_runs(s: Scenario) -> None:
    first = [save(s.src / f"p{i}.png", i) for i in range(2)]
    s.freeze()
    s.run(s.src, "-o", s.out)
    s.statuses({p: "done" for p in first})
    added = [save(s.src / "more" / f"m{i}.jpg", i + 2) for i in range(2)]
    bad = s.src / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    colour = colour_photo(s.src / "colour.png")
    s.freeze()
    s.run(s.src, "-o", s.out, rc=1)
    everything = {**{p: "done" for p in first + added}, bad: "failed", colour: "skipped"}
    s.statuses(everything)
    s.run(s.src, "-o", s.out, "--format", "tiff", rc=1)
    s.statuses(everything)
    s.run(first[0], "-o", s.out)  # one file named: the report still lists all
    s.statuses({**everything, first[0]: "done"})
    bad.unlink()
    s.freeze()
    s.run(s.src, "-o", s.out)
    rows = report(s.out)
    s.expect(key(bad, s.out) in rows, "a source seen before vanished from the report")
    s.clean()


def macos_and_toned(s: Scenario) -> None:
    photo = save(s.src / "photo.png", 0)
    (s.src / "._photo.png").write_bytes(b"\x00\x05\x16\x07AppleDouble junk")
    (s.src / ".DS_Store").write_bytes(b"Bud1 junk")
    (s.src / "__MACOSX").mkdir()
    (s.src / "__MACOSX" / "._photo.png").write_bytes(b"\x00\x05\x16\x07junk")
    toned = {
        "sepia": (1.0, 0.85, 0.65),
        "blue": (0.75, 0.9, 1.1),
        "green": (0.8, 1.05, 0.85),
        "selenium": (1.0, 0.9, 0.95),
    }
    tinted = [save(s.src / f"{n}.jpg", i, tint=t) for i, (n, t) in enumerate(toned.items())]
    colour = colour_photo(s.src / "colour.png")
    s.freeze()
    err = s.run(s.src, "-o", s.out)
    s.statuses({photo: "done", colour: "skipped", **{p: "done" for p in tinted}})
    s.expect("._photo" not in err, f"AppleDouble file mentioned: {err}")
    s.clean()


def ray_processes() -> int:
    """Ray's own daemons running on this machine (a local instance's raylet and GCS server)."""
    found = subprocess.run(["pgrep", "-c", "-f", "raylet|gcs_server"], capture_output=True, text=True)
    return int(found.stdout.strip() or 0)


def ray_gone(s: Scenario, before: int) -> None:
    """No Ray process outlives a --ray local run, also a killed or stopped one (given a minute)."""
    end = time.monotonic() + 60
    while ray_processes() > before and time.monotonic() < end:
        time.sleep(1)
    s.expect(ray_processes() <= before, f"{ray_processes() - before} Ray process(es) left running")


def odd_inputs(s: Scenario) -> None:
    photo = save(s.src / "sub" / "p.png", 0)
    fine = save(s.src / "q.png", 1)
    empty = s.src / "empty.jpg"
    empty.write_bytes(b"")
    cut = s.src / "cut.jpg"
    Image.fromarray(pattern(2)).save(cut)
    cut.write_bytes(cut.read_bytes()[:300])
    pipe = s.base / "pipe.png"
    os.mkfifo(pipe)
    s.freeze()
    err = s.run(s.src, "-o", s.base, rc=2)  # the output folder holds the source folder
    s.expect(len(err.strip().splitlines()) == 1, f"not one line: {err}")
    s.out.mkdir()
    (s.out / "sub").write_bytes(b"the user's file")  # where the subfolder sub/ must go
    code, err = Child(pipe, s.src, "-o", s.out).wait(timeout=120)
    s.judge(code, err, 1, "a named pipe, a file in the way, an empty and a cut file")
    rows = s.statuses({photo: "failed", fine: "done", empty: "failed", cut: "failed", pipe: "failed"})
    s.expect("move that file away" in rows.get(key(photo, s.out), {}).get("message", ""), "no fix named")
    s.expect((s.out / "sub").read_bytes() == b"the user's file", "the user's file changed")
    s.clean()


SCENARIOS = {
    f.__name__: f
    for f in (
        collisions,
        thin,
        disk_full,
        non_utf8,
        kill_after_output,
        elsewhere,
        concurrent,
        damaged,
        sigterm_mid_write,
        ctrl_c_three_times,
        read_only,
        several_runs,
        macos_and_toned,
        odd_inputs,
    )
}


def main() -> int:
    global STUB, RAY
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stub", action="store_true", help="the test stub instead of the network")
    parser.add_argument("--ray", action="store_true", help="every run with --ray local (slow: use --only)")
    parser.add_argument("--only", nargs="+", choices=list(SCENARIOS), help="run only these scenarios")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    STUB = args.stub
    RAY = ["--ray", "local"] if args.ray else []
    base = Path(tempfile.mkdtemp(prefix="colorsphere-fault-walk-"))
    ray_before = ray_processes()
    try:
        for name in args.only or SCENARIOS:
            print(f"== {name}", flush=True)
            before = len(FAILURES)
            scenario = Scenario(name, base)
            SCENARIOS[name](scenario)
            if RAY:
                ray_gone(scenario, ray_before)
            print(f"   {'PASS' if len(FAILURES) == before else 'FAIL'}", flush=True)
    finally:
        if args.keep:
            print(f"scratch folder: {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    print(f"{len(FAILURES)} failed check(s)")
    for f in FAILURES:
        print(f" - {f[:400]}")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
