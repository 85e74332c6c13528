"""Finding, downloading, verifying and importing weight files.

Files live in two folders: the bundled one (shipped with the app, read-only in an installed copy) and
a per-user one (downloads and imports). Every failure is a WeightsError in one line that names the file
or URL and the command that fixes it, because the CLI prints it as is and the GUI shows it in a dialog.
Downloads resume (a `.part` file and an HTTP Range request), are verified against the registry's
SHA-256 and appear under their final name only when complete, so a cancelled or broken transfer never
looks like an installed model.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path

import platformdirs
import torch
from torch import nn

from .. import __version__
from ..core.errors import WeightsError
from .registry import MODELS, ModelSpec, get_spec, identify

ProgressCallback = Callable[[int, int | None], None]

CHUNK = 1 << 16
TIMEOUT_S = 30.0
MAX_LISTED_PROBLEMS = 8
_OPTIONAL_KEY_SUFFIX = ".num_batches_tracked"  # BatchNorm's counter: absent from older releases


class DownloadCancelled(WeightsError):
    """The user cancelled a download; the `.part` file is kept so the next attempt resumes."""


@dataclass(frozen=True)
class ModelStatus:
    """What `models list` and the GUI's model menu show; size is the file's if installed."""

    name: str
    display_name: str
    installed: bool
    path: Path | None
    size: int | None
    licence: str
    citation: str


@dataclass(frozen=True)
class ImportResult:
    """Where the file was installed, and whether it is the official release (else `warning` says so)."""

    path: Path
    official: bool
    warning: str | None


def bundled_models_dir() -> Path:
    """The folder of weights shipped with the app: the repo's models/ or the frozen bundle's copy."""
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        return Path(sys._MEIPASS) / "models"
    return Path(__file__).resolve().parents[2] / "models"


def user_data_dir() -> Path:
    """The user's ColorSphere folder; COLORSPHERE_HOME moves it (portable installs, tests)."""
    home = os.environ.get("COLORSPHERE_HOME")
    return Path(home) if home else Path(platformdirs.user_data_dir("ColorSphere", appauthor=False))


def user_models_dir() -> Path:
    """Where downloads and imports go."""
    return user_data_dir() / "models"


def search_dirs() -> list[Path]:
    """Folders searched for weights, first match wins: shipped files cannot be shadowed by accident."""
    return [bundled_models_dir(), user_models_dir()]


def find_weights(name: str) -> Path | None:
    """Path of the installed weights of `name`, or None."""
    file_name = get_spec(name).file_name
    return next((d / file_name for d in search_dirs() if (d / file_name).is_file()), None)


def model_status(name: str) -> ModelStatus:
    spec = get_spec(name)
    path = find_weights(name)
    return ModelStatus(
        name=spec.name,
        display_name=spec.display_name,
        installed=path is not None,
        path=path,
        size=path.stat().st_size if path else spec.size,
        licence=spec.licence,
        citation=spec.citation,
    )


def list_models() -> list[ModelStatus]:
    return [model_status(name) for name in MODELS]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _fix_hint(spec: ModelSpec) -> str:
    if spec.url is None:
        return f"reinstall ColorSphere or run `colorsphere models import {spec.name} FILE`"
    return f"run `colorsphere models download {spec.name}` or `colorsphere models import {spec.name} FILE`"


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
    return " ".join(text.split())


def _expected_shapes(spec: ModelSpec) -> dict[str, tuple[int, ...]]:
    # Built on the meta device: shapes only, no memory and no random initialisation.
    with torch.device("meta"):
        model = spec.factory()
    return {key: tuple(t.shape) for key, t in model.state_dict().items()}


def check_state_dict(name: str, state_dict: Mapping[str, object]) -> list[str]:
    """Human-readable reasons why `state_dict` does not fit `name` (empty when it loads strictly).

    The list is capped: a file of another architecture mismatches on every key, and the first few
    are enough to tell the user what is wrong.
    """
    expected = _expected_shapes(get_spec(name))
    wrong: list[str] = []
    unexpected: list[str] = []
    for key, value in state_dict.items():
        if key not in expected:
            unexpected.append(f"unexpected {key}")
        elif not isinstance(value, torch.Tensor):
            wrong.append(f"{key} is a {type(value).__name__}, not a tensor")
        elif tuple(value.shape) != expected[key]:
            wrong.append(f"{key} has shape {tuple(value.shape)}, expected {expected[key]}")
    missing = [
        f"missing {key}"
        for key in expected
        if key not in state_dict and not key.endswith(_OPTIONAL_KEY_SUFFIX)
    ]
    problems = wrong + missing + unexpected  # shape errors first: they say the most about the file
    if len(problems) > MAX_LISTED_PROBLEMS:
        more = len(problems) - MAX_LISTED_PROBLEMS
        problems = problems[:MAX_LISTED_PROBLEMS] + [f"... and {more} more"]
    return problems


def _read_state_dict(path: Path, fix: str) -> dict[str, object]:
    """torch.load restricted to tensors and plain containers, so a weights file cannot run code."""
    try:
        state_dict = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # torch's own text suggests weights_only=False, which is exactly what must not be done here.
        raise WeightsError(
            f"{path} is not a plain PyTorch state_dict (corrupt, or it holds objects that would run "
            f"code, which is refused); {fix}"
        ) from exc
    except Exception as exc:  # truncated or foreign files: torch raises RuntimeError, OSError, ...
        reason = _one_line(exc).split(". ")[0][:200]
        raise WeightsError(f"{path} is not a readable PyTorch weights file ({reason}); {fix}") from exc
    if not isinstance(state_dict, Mapping):
        raise WeightsError(f"{path} holds a {type(state_dict).__name__}, not a state_dict of tensors; {fix}")
    return dict(state_dict)


def _refusal(name: str, path: Path, state_dict: Mapping[str, object], problems: list[str], fix: str) -> str:
    other = identify(state_dict)
    looks_like = (
        f"; this looks like {other} weights (`colorsphere models import {other} {path}`)"
        if other and other != name
        else ""
    )
    return f"{path} does not fit model {name}: {'; '.join(problems)}{looks_like}; {fix}"


def load_model(name: str, device: str | torch.device = "cpu") -> nn.Module:
    """The network `name` with its weights, in eval mode and float32, on `device`.

    The network is built on the meta device and the file's tensors are assigned into it, which skips
    a random initialisation that would be thrown away (about a second per Zhang network on a CPU).
    """
    spec = get_spec(name)
    path = find_weights(name)
    if path is None:
        folders = ", ".join(str(d) for d in search_dirs())
        raise WeightsError(
            f"weights of {name} not found: no {spec.file_name} in {folders}; {_fix_hint(spec)}"
        )
    fix = f"replace it: {_fix_hint(spec)}"
    state_dict = _read_state_dict(path, fix)
    problems = check_state_dict(name, state_dict)
    if problems:
        raise WeightsError(_refusal(name, path, state_dict, problems, fix))
    with torch.device("meta"):
        model = spec.factory()
    model.load_state_dict(state_dict, strict=True, assign=True)
    if any(t.is_meta for t in (*model.parameters(), *model.buffers())):
        # A non-persistent buffer is not in the file, so it stayed empty: build the slow way.
        model = spec.factory()
        model.load_state_dict(state_dict, strict=True)
    return model.to(device=device, dtype=torch.float32).eval()


def _fsync_dir(folder: Path) -> None:
    if os.name == "posix":  # directories cannot be opened for fsync on Windows
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _publish(tmp: Path, dest: Path) -> None:
    """Give a fully written and synced file its final name in one step, so readers never see half."""
    os.replace(tmp, dest)
    _fsync_dir(dest.parent)


class _RangeRefused(Exception):
    """The server cannot continue the `.part` file from where it ends."""


def _network_error(name: str, url: str, reason: str) -> WeightsError:
    return WeightsError(
        f"cannot download {name} from {url}: {reason}; check the connection and run "
        f"`colorsphere models download {name}` again (it resumes), or fetch the file another way and "
        f"run `colorsphere models import {name} FILE`"
    )


def _total_from(headers: Mapping[str, str], offset: int, partial: bool) -> int | None:
    content_range = headers.get("Content-Range", "")
    if partial and "/" in content_range and not content_range.endswith("*"):
        return int(content_range.rsplit("/", 1)[1])
    length = headers.get("Content-Length")
    return offset + int(length) if length else None


def _fetch(
    name: str,
    url: str,
    part: Path,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
) -> None:
    """Append the rest of `url` to `part` (or start it over when the server ignores Range)."""
    offset = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": f"ColorSphere/{__version__}"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT_S) as resp:
            partial = resp.status == 206
            if partial and not resp.headers.get("Content-Range", "").startswith(f"bytes {offset}-"):
                raise _RangeRefused
            if not partial:
                offset = 0
            total = _total_from(resp.headers, offset, partial)
            done = offset
            with open(part, "ab" if partial else "wb") as f:
                while True:
                    if cancel is not None and cancel.is_set():
                        raise DownloadCancelled(
                            f"download of {name} cancelled; {part} is kept and "
                            f"`colorsphere models download {name}` resumes it"
                        )
                    if progress is not None:
                        progress(done, total)
                    chunk = resp.read(CHUNK)
                    if not chunk:
                        break
                    f.write(chunk)
                    done += len(chunk)
                f.flush()
                os.fsync(f.fileno())
    except urllib.error.HTTPError as exc:
        if exc.code == 416:
            raise _RangeRefused from exc
        raise _network_error(name, url, f"HTTP {exc.code} {_one_line(exc)}") from exc
    except (urllib.error.URLError, HTTPException, TimeoutError, ConnectionError) as exc:
        raise _network_error(name, url, _one_line(exc)) from exc
    except OSError as exc:  # what is left is local: the folder is not writable or the disk is full
        raise WeightsError(
            f"cannot write {part}: {_one_line(exc)}; free some space or set COLORSPHERE_HOME to a "
            "writable folder"
        ) from exc
    if total is not None and done < total:
        # http.client returns a short body silently when the server hangs up early.
        raise _network_error(name, url, f"connection closed after {done} of {total} bytes")


def download(
    name: str,
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    url: str | None = None,
) -> Path:
    """Fetch the weights of `name` into the user folder and return their path.

    progress(done, total) is called as bytes arrive (total is None when the server does not say);
    setting `cancel` stops the transfer with DownloadCancelled. An installed file with the right hash
    is returned without a transfer. `url` replaces the registry's address (a mirror); the hash checked
    is still the registry's.
    """
    spec = get_spec(name)
    url = url or spec.url
    if url is None:
        raise WeightsError(
            f"model {name} ({spec.file_name}) ships with ColorSphere and has no download address; "
            f"reinstall ColorSphere or run `colorsphere models import {name} FILE`"
        )
    folder = user_models_dir()
    dest = folder / spec.file_name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WeightsError(
            f"cannot create {folder}: {_one_line(exc)}; set COLORSPHERE_HOME to a writable folder"
        ) from exc
    if dest.is_file() and spec.hash_matches(sha256_file(dest)):
        return dest
    part = dest.with_name(dest.name + ".part")
    try:
        _fetch(name, url, part, progress, cancel)
    except _RangeRefused:
        # The server cannot continue the part file (it may already be whole); start over once.
        part.unlink(missing_ok=True)
        try:
            _fetch(name, url, part, progress, cancel)
        except _RangeRefused:
            raise _network_error(name, url, "the server refused the transfer (HTTP 416)") from None
    digest = sha256_file(part)
    if spec.sha256 is not None and not spec.hash_matches(digest):
        part.unlink()
        raise WeightsError(
            f"{spec.file_name} downloaded from {url} has SHA-256 {digest}, expected {spec.sha256}; "
            f"it was deleted: run `colorsphere models download {name}` again, or import a file you "
            f"trust with `colorsphere models import {name} FILE`"
        )
    _publish(part, dest)
    return dest


def import_weights(name: str, file: str | os.PathLike[str]) -> ImportResult:
    """Install a weights file the user already has (offline machines, mirrors, fine-tuned copies).

    The file must load strictly into the network; one with a different hash from the official
    release is accepted with a warning, since fine-tuned weights are a legitimate reason to import.
    The source is copied, never moved or overwritten.
    """
    spec = get_spec(name)
    src = Path(file)
    fix = "check the file" + (f", or run `colorsphere models download {name}`" if spec.url else "")
    if not src.is_file():
        raise WeightsError(f"{src} does not exist or is not a file; {fix}")
    state_dict = _read_state_dict(src, fix)
    problems = check_state_dict(name, state_dict)
    if problems:
        raise WeightsError(_refusal(name, src, state_dict, problems, fix))

    folder = user_models_dir()
    dest = folder / spec.file_name
    if dest.exists() and dest.resolve() == src.resolve():
        digest = sha256_file(src)
    else:
        digest = _copy_atomically(src, dest)
    official = spec.hash_matches(digest)
    warning = None
    if not official:
        expected = spec.sha256 or "not published"
        warning = (
            f"{src} is not the official {name} release (SHA-256 {digest}, official {expected}); "
            "it was imported because its layers fit, but its colours may differ from the published model"
        )
    return ImportResult(path=dest, official=official, warning=warning)


def _copy_atomically(src: Path, dest: Path) -> str:
    """Copy `src` to `dest` through a synced temporary file in the same folder; returns the SHA-256."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=dest.name, suffix=".tmp")
    except OSError as exc:
        raise WeightsError(
            f"cannot write into {dest.parent}: {_one_line(exc)}; set COLORSPHERE_HOME to a writable folder"
        ) from exc
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with open(fd, "wb") as out, open(src, "rb") as inp:
            while block := inp.read(1 << 20):
                digest.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        _publish(tmp, dest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WeightsError(
            f"cannot copy {src} to {dest}: {_one_line(exc)}; free some space or set COLORSPHERE_HOME "
            "to a writable folder"
        ) from exc
    return digest.hexdigest()
