"""Finding, downloading and importing weights, against a local HTTP server and tiny test networks."""

from __future__ import annotations

import hashlib
import http.server
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
import torch
from torch import nn

from colorsphere_gui.core.errors import WeightsError
from colorsphere_gui.models import registry, weights
from colorsphere_gui.models.registry import ModelSpec, has_shapes

PAYLOAD = bytes(range(256)) * 1200  # 300 KiB: several read chunks
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


def tiny_net() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Conv2d(4, 2, 1)).eval()


def other_net() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 8, 5)).eval()


def spec_for(name: str, factory, detect_key_shape: tuple[int, ...], **changes) -> ModelSpec:
    base = ModelSpec(
        name=name,
        display_name=f"Test network {name}",
        file_name=f"{name}-weights.pth",
        url=None,
        sha256=None,
        size=None,
        licence="MIT",
        citation="none",
        factory=factory,
        input_size=32,
        fp16_safe=True,
        detect=has_shapes({"0.weight": detect_key_shape}),
    )
    return replace(base, **changes)


@pytest.fixture
def register(monkeypatch: pytest.MonkeyPatch):
    """Register test-only specs for the duration of one test."""

    def add(spec: ModelSpec) -> ModelSpec:
        monkeypatch.setitem(registry.MODELS, spec.name, spec)
        return spec

    return add


@dataclass
class ServerState:
    url: str = ""
    payload: bytes = PAYLOAD
    status: int = 200
    honour_range: bool = True
    drop_next: bool = False
    ranges: list[str | None] = field(default_factory=list)


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        state: ServerState = self.server.state
        requested = self.headers.get("Range")
        state.ranges.append(requested)
        if state.status != 200:
            self.send_error(state.status)
            return
        data, start = state.payload, 0
        if requested and state.honour_range:
            start = int(requested.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if state.drop_next:  # hang up half-way, as a flaky connection does
            state.drop_next = False
            body = body[: len(body) // 2]
            self.close_connection = True
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[ServerState]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.state = ServerState(url=f"http://127.0.0.1:{httpd.server_address[1]}/w.pth")
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd.state
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def fake(register, server: ServerState) -> ModelSpec:
    return register(spec_for("fake", tiny_net, (4, 1, 3, 3), url=server.url, sha256=PAYLOAD_SHA))


def final_and_part(spec: ModelSpec) -> tuple[Path, Path]:
    dest = weights.user_models_dir() / spec.file_name
    return dest, dest.with_name(dest.name + ".part")


def test_download_verifies_and_reports_progress(fake: ModelSpec, colorsphere_home: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    path = weights.download("fake", progress=lambda done, total: seen.append((done, total)))
    assert path == colorsphere_home / "models" / fake.file_name
    assert path.read_bytes() == PAYLOAD
    assert seen[0] == (0, len(PAYLOAD)) and seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert not final_and_part(fake)[1].exists()


def test_download_resumes_after_a_dropped_connection(fake: ModelSpec, server: ServerState) -> None:
    server.drop_next = True
    with pytest.raises(WeightsError) as err:
        weights.download("fake")
    assert "\n" not in str(err.value) and server.url in str(err.value)
    dest, part = final_and_part(fake)
    half = part.stat().st_size
    assert 0 < half < len(PAYLOAD) and not dest.exists()

    assert weights.download("fake").read_bytes() == PAYLOAD
    assert server.ranges == [None, f"bytes={half}-"]


def test_download_restarts_when_the_server_ignores_range(fake: ModelSpec, server: ServerState) -> None:
    server.drop_next, server.honour_range = True, False
    with pytest.raises(WeightsError):
        weights.download("fake")
    assert weights.download("fake").read_bytes() == PAYLOAD


def test_complete_part_file_is_refetched_after_416(fake: ModelSpec, server: ServerState) -> None:
    dest, part = final_and_part(fake)
    part.parent.mkdir(parents=True)
    part.write_bytes(PAYLOAD)
    assert weights.download("fake").read_bytes() == PAYLOAD
    assert server.ranges == [f"bytes={len(PAYLOAD)}-", None]


def test_cancel_keeps_the_part_file_and_never_a_final_file(fake: ModelSpec) -> None:
    cancel = threading.Event()

    def progress(done: int, total: int | None) -> None:
        if done > 0:
            cancel.set()

    with pytest.raises(weights.DownloadCancelled):
        weights.download("fake", progress=progress, cancel=cancel)
    dest, part = final_and_part(fake)
    assert part.stat().st_size > 0 and not dest.exists()
    assert weights.download("fake").read_bytes() == PAYLOAD


def test_hash_mismatch_deletes_the_download(register, server: ServerState) -> None:
    spec = register(spec_for("fake", tiny_net, (4, 1, 3, 3), url=server.url, sha256="0" * 64))
    with pytest.raises(WeightsError, match="SHA-256") as err:
        weights.download("fake")
    assert server.url in str(err.value)
    dest, part = final_and_part(spec)
    assert not dest.exists() and not part.exists()


def test_prefix_hash_and_installed_file_skip_the_transfer(register, server: ServerState) -> None:
    register(spec_for("fake", tiny_net, (4, 1, 3, 3), url=server.url, sha256=PAYLOAD_SHA[:8]))
    weights.download("fake")
    weights.download("fake")
    assert server.ranges == [None]


def test_server_error_is_one_line_naming_the_url(fake: ModelSpec, server: ServerState) -> None:
    server.status = 500
    with pytest.raises(WeightsError) as err:
        weights.download("fake")
    message = str(err.value)
    assert "\n" not in message and server.url in message and "HTTP 500" in message


def test_unreachable_server_suggests_import(register) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/w.pth"  # nothing listens there any more
    register(spec_for("fake", tiny_net, (4, 1, 3, 3), url=url))
    with pytest.raises(WeightsError) as err:
        weights.download("fake")
    message = str(err.value)
    assert "\n" not in message and url in message and "colorsphere models import fake" in message


def test_bundled_model_has_nothing_to_download(register) -> None:
    register(spec_for("fake", tiny_net, (4, 1, 3, 3)))
    with pytest.raises(WeightsError, match="ships with ColorSphere"):
        weights.download("fake")


def saved(tmp_path: Path, net: nn.Module, name: str = "mine.pth") -> Path:
    torch.manual_seed(3)
    path = tmp_path / name
    torch.save(net.state_dict(), path)
    return path


def test_import_accepts_unofficial_weights_with_a_warning(register, tmp_path: Path) -> None:
    spec = register(spec_for("tiny", tiny_net, (4, 1, 3, 3), sha256="f" * 64))
    src = saved(tmp_path, tiny_net())
    before = src.read_bytes()
    assert not weights.model_status("tiny").installed

    result = weights.import_weights("tiny", src)
    assert result.path == weights.user_models_dir() / spec.file_name
    assert not result.official and "not the official" in result.warning
    assert src.read_bytes() == before and result.path.read_bytes() == before
    assert weights.model_status("tiny").installed
    assert [s.name for s in weights.list_models()][-1] == "tiny"
    model = weights.load_model("tiny")
    assert torch.equal(model[0].weight, torch.load(src, weights_only=True)["0.weight"])


def test_import_of_the_official_file_has_no_warning(register, tmp_path: Path) -> None:
    src = saved(tmp_path, tiny_net())
    register(spec_for("tiny", tiny_net, (4, 1, 3, 3), sha256=hashlib.sha256(src.read_bytes()).hexdigest()))
    result = weights.import_weights("tiny", src)
    assert result.official and result.warning is None


def test_import_refuses_another_architecture_naming_it(register, tmp_path: Path) -> None:
    register(spec_for("tiny", tiny_net, (4, 1, 3, 3)))
    register(spec_for("other", other_net, (8, 3, 5, 5)))
    src = saved(tmp_path, other_net())
    with pytest.raises(WeightsError) as err:
        weights.import_weights("tiny", src)
    message = str(err.value)
    assert str(src) in message and "0.weight has shape (8, 3, 5, 5), expected (4, 1, 3, 3)" in message
    assert "missing 1.running_mean" in message and "looks like other" in message
    assert not weights.user_models_dir().exists() or not any(weights.user_models_dir().iterdir())


def test_import_of_the_installed_file_itself_leaves_it_alone(register, tmp_path: Path) -> None:
    spec = register(spec_for("tiny", tiny_net, (4, 1, 3, 3)))
    folder = weights.user_models_dir()
    folder.mkdir(parents=True)
    src = saved(folder, tiny_net(), spec.file_name)
    before = src.read_bytes()
    assert weights.import_weights("tiny", src).path == src
    assert src.read_bytes() == before and [p.name for p in folder.iterdir()] == [spec.file_name]


def test_import_of_a_missing_file(register, tmp_path: Path) -> None:
    register(spec_for("tiny", tiny_net, (4, 1, 3, 3)))
    with pytest.raises(WeightsError, match="does not exist"):
        weights.import_weights("tiny", tmp_path / "nope.pth")


def test_mismatch_list_is_capped(register) -> None:
    register(spec_for("tiny", tiny_net, (4, 1, 3, 3)))
    problems = weights.check_state_dict("tiny", {f"extra{i}": torch.zeros(1) for i in range(50)})
    assert len(problems) == weights.MAX_LISTED_PROBLEMS + 1 and problems[-1].endswith("more")


def test_bundled_folder_wins_and_follows_a_frozen_app(
    register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = register(spec_for("tiny", tiny_net, (4, 1, 3, 3)))
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    bundled = weights.bundled_models_dir()
    assert bundled == tmp_path / "bundle" / "models"
    for folder in (bundled, weights.user_models_dir()):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / spec.file_name).write_bytes(b"x")
    assert weights.find_weights("tiny") == bundled / spec.file_name
