"""Contact sheets: every photo with a result lands on a sheet, beside its input, each sheet small."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

from tools.contact_sheet import main


def test_sheets_hold_every_photo_beside_its_result_and_stay_under_the_size_limit(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    before, after = tmp_path / "bw" / "set", tmp_path / "out" / "set"
    before.mkdir(parents=True)
    after.mkdir(parents=True)
    for i in range(7):
        noise = rng.integers(0, 256, (120 + 10 * i, 160), dtype=np.uint8)  # noise: hard to compress
        cv2.imwrite(str(before / f"photo{i}.jpg"), noise)
        red = np.zeros((120 + 10 * i, 160, 3), np.uint8)
        red[..., 2] = 230
        cv2.imwrite(str(after / f"photo{i}.png"), red)  # the result in another format
    limit = 60_000
    assert (
        main(
            [
                str(tmp_path / "bw"),
                str(tmp_path / "out"),
                str(tmp_path / "sheets" / "bw"),
                "--per-sheet",
                "3",
                "--height",
                "100",
                "--width",
                "700",
                "--max-bytes",
                str(limit),
            ]
        )
        == 0
    )
    sheets = sorted((tmp_path / "sheets").iterdir())
    assert [p.name for p in sheets] == [f"bw-{i:02d}.jpg" for i in range(1, math.ceil(7 / 3) + 1)]
    panel_area = [100 * round(160 * 100 / (120 + 10 * i)) for i in range(7)]  # each at height 100
    for n, sheet in enumerate(sheets):
        area = sum(panel_area[3 * n : 3 * n + 3])
        assert sheet.stat().st_size <= limit
        bgr = cv2.imread(str(sheet)).astype(int)
        red = (bgr[..., 2] > 180) & (bgr[..., 1] < 60) & (bgr[..., 0] < 60)
        grey_noise = (np.ptp(bgr, axis=2) < 20) & (bgr.sum(axis=2) < 600)
        assert 0.9 * area < red.sum() < 1.05 * area  # each result panel
        assert grey_noise.sum() > 0.5 * area  # and each input panel beside it
