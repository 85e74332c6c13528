"""Progress of a batch for a text front end: a live bar on a terminal, plain lines in a log.

A log file or pipe gets no carriage returns: one line every `every` seconds (and a last one), with
done of total, the rate and the time left, which is what someone reading the log of an overnight run
needs.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from tqdm import tqdm


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


class LineProgress:
    """tqdm's update/close/write, as plain lines at most every `every` seconds."""

    def __init__(self, total: int, stream: TextIO, every: float = 10.0, unit: str = "photo") -> None:
        self.total, self.stream, self.every, self.unit = total, stream, every, unit
        self.n = 0
        self.start = self.last = time.monotonic()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = self.n / elapsed
        left = ""
        if rate and self.n < self.total:
            left = f", about {_duration((self.total - self.n) / rate)} left"
        return f"{self.n} of {self.total} {self.unit}s, {rate:.2f} {self.unit}s/s{left}"

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.write(self.line())

    def write(self, message: str) -> None:
        print(message, file=self.stream, flush=True)

    def close(self) -> None:
        if self.n:
            self.write(self.line())


def progress_for(total: int, stream: TextIO | None = None, every: float = 10.0) -> tqdm | LineProgress:
    """A tqdm bar when stream is a terminal, else LineProgress."""
    stream = stream or sys.stderr
    if stream.isatty():
        return tqdm(total=total, unit="photo", file=stream, dynamic_ncols=True)
    return LineProgress(total, stream, every)
