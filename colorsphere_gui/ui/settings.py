"""What the window remembers between sessions, behind typed accessors.

QSettings stores everything as strings in some back ends (INI files), so every read states its type
here once rather than at each call site. Tests pass their own QSettings on a temporary INI file.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "ColorSphere"
APPLICATION = "ColorSphere"
MAX_RECENT = 10


class Settings:
    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings(ORGANIZATION, APPLICATION)

    def _str(self, key: str, default: str = "") -> str:
        value = self.store.value(key, default)
        return str(value) if value is not None else default

    def _bytes(self, key: str) -> QByteArray | None:
        value = self.store.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @property
    def model(self) -> str:
        return self._str("colorize/model")

    @model.setter
    def model(self, name: str) -> None:
        self.store.setValue("colorize/model", name)

    @property
    def device(self) -> str:
        return self._str("colorize/device", "auto")

    @device.setter
    def device(self, choice: str) -> None:
        self.store.setValue("colorize/device", choice)

    @property
    def compare_mode(self) -> str:
        return self._str("view/mode", "split")

    @compare_mode.setter
    def compare_mode(self, mode: str) -> None:
        self.store.setValue("view/mode", mode)

    def folder(self, role: str, fallback: Path | None = None) -> str:
        """Last folder used for `role` (open, save, weights, batch-...), else `fallback`, else home."""
        folder = self._str(f"folders/{role}")
        if folder and Path(folder).is_dir():
            return folder
        return str(fallback or Path.home())

    def saved_folder(self, role: str) -> str:
        """The folder last chosen for `role`, even one that does not exist yet (a batch destination is
        created by the batch); "" when none was ever chosen."""
        return self._str(f"folders/{role}")

    def set_folder(self, role: str, folder: Path | str) -> None:
        self.store.setValue(f"folders/{role}", str(folder))

    def recent_files(self) -> list[str]:
        value = self.store.value("recent/files", [])
        items = [value] if isinstance(value, str) else list(value or [])
        return [str(p) for p in items if str(p)]

    def add_recent(self, path: Path) -> None:
        items = [str(path)] + [p for p in self.recent_files() if p != str(path)]
        self.store.setValue("recent/files", items[:MAX_RECENT])

    def clear_recent(self) -> None:
        self.store.remove("recent/files")

    def geometry(self, name: str) -> QByteArray | None:
        return self._bytes(f"window/{name}")

    def set_geometry(self, name: str, data: QByteArray) -> None:
        self.store.setValue(f"window/{name}", data)

    def sync(self) -> None:
        self.store.sync()
