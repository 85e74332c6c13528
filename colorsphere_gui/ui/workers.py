"""Long work off the GUI thread: one QThread per task, with napari-style signals.

A Task wraps a plain function `fn(ctx)`. The function reports progress and intermediate results through
`ctx` and checks for cancellation between steps: network inference cannot be interrupted, so Cancel
means "stop after the current step", and no step leaves a half-written file behind.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from colorsphere_gui.core.errors import ColorSphereError

log = logging.getLogger(__name__)

# (model, device, warn) -> an object with predict(photo) -> Prediction(ab, device) and colorize(photo, s)
ColorizerFactory = Callable[[str, str, Callable[[str], None]], Any]


class Cancelled(Exception):
    """Raised inside a task at the first step boundary after the user pressed Cancel."""


class TaskContext:
    """What a task function may touch: cancellation, progress and intermediate results."""

    def __init__(self, task: Task) -> None:
        self._task = task
        self.cancel_event = threading.Event()

    def check(self) -> None:
        if self.cancel_event.is_set():
            raise Cancelled

    def step(self, label: str, fraction: float = -1.0) -> None:
        """Start a step: stop here if cancelled, else tell the GUI (fraction < 0: unknown)."""
        self.check()
        self._task.progress.emit(label, fraction)

    def emit(self, kind: str, payload: object = None) -> None:
        self._task.stage.emit(kind, payload)


class Task(QThread):
    """One function on its own thread; exactly one of result/error/cancelled, then QThread.finished."""

    progress = Signal(str, float)
    stage = Signal(str, object)
    result = Signal(object)
    error = Signal(str)
    cancelled = Signal()

    def __init__(
        self, label: str, fn: Callable[[TaskContext], object], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.label = label
        self._fn = fn
        self.ctx = TaskContext(self)

    def cancel(self) -> None:
        self.ctx.cancel_event.set()

    def run(self) -> None:
        try:
            value = self._fn(self.ctx)
        except Cancelled:
            self.cancelled.emit()
        except ColorSphereError as exc:
            self.error.emit(str(exc))
        except MemoryError:
            self.error.emit(f"{self.label}: not enough memory; close other programs or use smaller scans")
        except Exception as exc:  # noqa: BLE001 - a worker must report, never take the app down
            log.exception("%s failed", self.label)
            self.error.emit(f"{self.label} failed unexpectedly: {exc}")
        else:
            self.result.emit(value)


class TaskTracker(QObject):
    """Every running task of the window, so that closing can ask, cancel and wait for all of them."""

    idle = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: list[Task] = []

    def start(self, task: Task) -> Task:
        self._tasks.append(task)
        task.finished.connect(lambda: self._finished(task))
        task.start()
        return task

    def busy(self) -> bool:
        return bool(self._tasks)

    def labels(self) -> list[str]:
        return [t.label for t in self._tasks]

    def cancel_all(self) -> None:
        for task in self._tasks:
            task.cancel()

    def wait_all(self) -> None:
        """Block until every thread has returned (used only at exit, after cancel_all)."""
        for task in list(self._tasks):
            task.wait()

    def _finished(self, task: Task) -> None:
        if task in self._tasks:
            self._tasks.remove(task)
            task.deleteLater()
        if not self._tasks:
            self.idle.emit()


class _Notices(QObject):
    message = Signal(str)


def default_colorizer_factory(model: str, device: str, warn: Callable[[str], None]) -> Any:
    """The real engine; imported here so that the window can appear before torch has loaded."""
    from colorsphere_gui.engine import Colorizer

    return Colorizer(model, device, warn=warn)


class ColorizerPool:
    """Keeps the last network loaded so that the next photo does not reload its weights.

    Only one network is kept: two Zhang nets are about 250 MB, and a model switch is rare. Creation
    happens on a worker thread (it reads the weights), hence the lock. The engine's warnings (a GPU that
    failed and fell back to the CPU) arrive on worker threads and leave through `notices.message`.
    """

    def __init__(self, factory: ColorizerFactory | None = None) -> None:
        self.factory = factory or default_colorizer_factory
        self.notices = _Notices()
        self._lock = threading.Lock()
        self._key: tuple[str, str] | None = None
        self._colorizer: Any = None

    def get(self, model: str, device: str) -> Any:
        with self._lock:
            if self._key != (model, device):
                self._colorizer, self._key = None, None  # free the old network before loading the next
                self._colorizer = self.factory(model, device, self.notices.message.emit)
                self._key = (model, device)
            return self._colorizer

    def create(self, model: str, device: str) -> Any:
        """A colorizer outside the cache, for comparing every model without evicting the current one."""
        return self.factory(model, device, self.notices.message.emit)
