"""`colorsphere colorize` in a child process with the stub colorizer, for tests that kill or signal it.

    python -m tests.batch_child HOLD MARKER -- colorize ...

HOLD says where the child stops and waits (after creating the file MARKER) so that the test can kill or
signal it at that exact moment:
  none           run straight through
  network        inside the network, until the file MARKER.go exists
  before-rename  with the output complete under its temporary name, recorded as pending (sleeps)
  after-rename   just after the output appeared under its final name, before it is recorded done
  write          at the start of writing an output; then the write goes on after 2 s
"""

from __future__ import annotations

import sys
import time
import types
from pathlib import Path

from tests.batch_stub import StubStages


class StubColorizer(StubStages):
    device_description = "the test stub"

    def __init__(self, model: str = "builtin", device: str = "auto", warn: object = None) -> None:
        super().__init__()


def _hold(marker: Path, then_wait: float) -> None:
    marker.touch()
    time.sleep(then_wait)


def main() -> int:
    hold, marker = sys.argv[1], Path(sys.argv[2])
    argv = sys.argv[sys.argv.index("--") + 1 :]
    sys.modules["colorsphere_gui.engine"] = types.SimpleNamespace(Colorizer=StubColorizer)  # no torch
    from colorsphere_gui import cli
    from colorsphere_gui.batch import driver, runner

    if hold == "network":
        predict = StubColorizer.predict_inputs

        def held(self, inputs, names):  # noqa: ANN001, ANN202
            marker.touch()
            while not Path(f"{marker}.go").exists():
                time.sleep(0.05)
            return predict(self, inputs, names)

        StubColorizer.predict_inputs = held
    elif hold in ("before-rename", "after-rename"):
        rename = driver.rename_into_place

        def held_rename(temp: Path, final: Path) -> None:
            if hold == "after-rename":
                rename(temp, final)
            _hold(marker, 600)

        driver.rename_into_place = held_rename
    elif hold == "write":
        write = runner.write_photo

        def held_write(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            if not marker.exists():
                _hold(marker, 2.0)
            return write(*args, **kwargs)

        runner.write_photo = held_write
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
