"""What the reliability tests share: the distinctive key, the ledger of what reached the
simulator, and the clip check."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from veo_magic._download import is_mp4
from veo_magic.simulator import LoggedRequest, Simulator

# Distinctive, so a search for it (or its sk-less core) finds nothing but real leaks.
KEY = "sk-RELIAB1LITY-q7W3xK9zP4-leakcheck"
CORE = KEY[3:]
PROTOCOLS = ("chat", "videos", "create")
# How long the simulator holds a hung request: past every client timeout set below.
HANG_SECONDS = 2.0
SHORT_TIMEOUT = 0.5


@dataclass
class Ledger:
    """What reached the simulator since the ledger was opened."""

    sim: Simulator
    first_request: int
    first_creates: int

    @property
    def creates(self) -> int:
        """Accepted creates: tasks a real relay would have charged for."""
        return self.sim.accepted_creates - self.first_creates

    @property
    def requests(self) -> list[LoggedRequest]:
        return list(self.sim.requests[self.first_request :])

    def sent(self, method: str, path_start: str = "/") -> list[LoggedRequest]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_start)]


def assert_clip(path: Path, out_dir: Path) -> dict:
    """A verified MP4 inside ``out_dir`` with its sidecar; returns the sidecar."""
    assert path.exists() and path.suffix == ".mp4", path
    assert path.resolve().is_relative_to(out_dir.resolve())
    with path.open("rb") as f:
        assert is_mp4(f.read(12))
    return json.loads(path.with_suffix(".json").read_text())


CREATE_PATHS = {
    "chat": "/v1/chat/completions",
    "videos": "/v1/videos",
    "create": "/v1/video/create",
}
