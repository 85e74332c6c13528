"""Worker functions of hint mode: the model's likely colours at a point (off the GUI thread)."""

from __future__ import annotations

from colorsphere_gui.core.hints import Hint

from .jobs import Job, LoadedPhoto
from .workers import ColorizerPool, TaskContext

SUGGESTIONS = 6  # as many as the official tool's palette shows at a glance


def likely_colours_job(
    pool: ColorizerPool, loaded: LoadedPhoto, model: str, device: str, hint: Hint, others: tuple[Hint, ...]
) -> Job:
    """The colours the model finds likely at `hint`'s point given the other points, best first (#rrggbb)."""

    def run(ctx: TaskContext) -> list[str]:
        ctx.step("Loading the model")
        colorizer = pool.get(model, device)
        ctx.step("Finding likely colours")
        found = colorizer.likely_colours(loaded.photo, hint.x, hint.y, others, count=SUGGESTIONS)
        return [s.color for s in found]

    return run
