"""What tests in every area share: the clip checks, a free port, waiting for a condition, a
notebook of code cells, and the shared simulator's timing.

The fixtures built on these (simulators, clients, stamina's testing mode) are in
``tests/conftest.py``.
"""

from __future__ import annotations

import json
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from veo_magic.media.probe import ClipInfo, probe
from veo_magic.relays.download import is_mp4

T = TypeVar("T")

# LiteLLM 1.108.7's answer to GET /v1/models with one Veo deployment, as captured (the
# simulator's litellm_models dialect answers the same).
LITELLM_MODELS = {
    "data": [
        {
            "id": "veo-3.1",
            "object": "model",
            "created": 1677610602,
            "owned_by": "openai",
            "mode": "video_generation",
            "max_input_tokens": 1024,
        }
    ],
    "object": "list",
}

# How long the session simulator holds a hung request: past every short client timeout below.
HANG_SECONDS = 2.0
# The client timeout of tests whose point is a timeout.
SHORT_TIMEOUT = 0.5


def assert_clip(
    clip: Path | bytes,
    width: int | None = None,
    height: int | None = None,
    seconds: float | None = None,
) -> ClipInfo:
    """A clip every browser plays (an MP4 of H.264 in yuv420p with AAC sound), of the given
    size and length (within 0.5 s) where they are given. Returns what the probe read."""
    if isinstance(clip, bytes):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "clip.mp4"
            path.write_bytes(clip)
            return assert_clip(path, width, height, seconds)
    with clip.open("rb") as f:
        assert is_mp4(f.read(12)), f"{clip} is not an MP4 (no ftyp box)"
    info = probe(clip)
    assert (info.video_codec, info.audio_codec, info.pixel_format) == ("h264", "aac", "yuv420p")
    if width is not None or height is not None:
        assert (info.width, info.height) == (width, height), info
    if seconds is not None:
        assert abs(info.seconds - seconds) <= 0.5, info
    return info


def assert_saved_clip(path: Path, out_dir: Path | None = None, **shape: Any) -> dict[str, Any]:
    """A downloaded clip: ``assert_clip`` holds for it (with ``shape``), it lies in ``out_dir``
    when given, and its sidecar names it. Returns the sidecar."""
    assert path.exists() and path.suffix == ".mp4", path
    if out_dir is not None:
        assert path.resolve().is_relative_to(out_dir.resolve()), path
    assert_clip(path, **shape)
    sidecar = json.loads(path.with_suffix(".json").read_text())
    assert sidecar["file"] == path.name
    return sidecar


def code_notebook(cells: list[str]) -> Any:
    """An nbformat notebook of ``cells`` as code cells, for the ``python3`` kernel."""
    import nbformat  # the notebook tests' dependency, not every test's

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def make_mp4(
    path: Path, seconds: float = 1.0, size: str = "160x90", *, source: str = "testsrc"
) -> Path:
    """A tiny real H.264 clip (lavfi's ``source``: a test pattern, no sound) made with
    imageio-ffmpeg's ffmpeg."""
    import subprocess

    from imageio_ffmpeg import get_ffmpeg_exe

    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi", "-i",
         f"{source}=size={size}:rate=10", "-t", str(seconds), "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path


def free_port() -> int:
    """A loopback port nothing listens on now, for a server that must be told its port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], T], timeout: float = 15.0, interval: float = 0.03) -> T:
    """The first truthy value of ``check()``, polled every ``interval`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
