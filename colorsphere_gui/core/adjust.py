"""Colour adjustments of a result: strength, warm/cool and saturation, all on the network's ab.

They act on ab at the network's size (a few hundred kB), before it is upsampled and merged with the
scan's own L, so a slider move costs a merge and never a network run, the luminance of the scan is left
untouched, and the screen, Save and Save All apply exactly the same numbers.

Order matters and is chosen for what a user can do with it: strength scales the model's colour first;
warmth then shifts every pixel along the blue-yellow axis (so at strength 0 it tones the black-and-white
original, like a sepia or cyanotype print); saturation last scales all chroma, the tone included.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from colorsphere_gui.core.upsample import merge_to_rgb

# ab shift at warmth +1: mostly towards yellow (b), a little towards red (a), as a warmer light does.
WARM_SHIFT = np.array([4.0, 20.0], dtype=np.float32)


@dataclass(frozen=True)
class Adjustment:
    strength: float = 1.0  # 0 = the grey original, 1 = the model's colour, 2 = twice as strong
    warmth: float = 0.0  # -1 cool (blue) .. +1 warm (yellow-red)
    saturation: float = 0.0  # -1 no colour .. +1 twice the chroma

    def __post_init__(self) -> None:
        if not (0.0 <= self.strength <= 2.0 and abs(self.warmth) <= 1.0 and abs(self.saturation) <= 1.0):
            raise ValueError(
                f"adjustment out of range: strength {self.strength} (0..2), warmth {self.warmth} (-1..1), "
                f"saturation {self.saturation} (-1..1)"
            )

    @property
    def neutral(self) -> bool:
        """Only strength is set: the plain merge already does it."""
        return self.warmth == 0.0 and self.saturation == 0.0

    def apply(self, ab: np.ndarray) -> np.ndarray:
        """ab (HxWx2) with strength, warmth and saturation applied; float32, the input is not changed."""
        out = ab.astype(np.float32) * np.float32(self.strength)
        if self.warmth:
            out += WARM_SHIFT * np.float32(self.warmth)
        if self.saturation:
            out *= np.float32(1.0 + self.saturation)
        return out

    def merge(self, l_channel: np.ndarray, ab: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """merge_to_rgb with this adjustment: bit-identical to the plain merge when only strength is set."""
        if self.neutral:
            return merge_to_rgb(l_channel, ab, self.strength, out)
        return merge_to_rgb(l_channel, self.apply(ab), 1.0, out)
