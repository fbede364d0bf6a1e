"""What the reliability tests share: the distinctive key, the ledger of what reached the
simulator, and how a test runs a child process and resumes what it left."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from veo_magic.simulator import LoggedRequest, Simulator

# Distinctive, so a search for it (or its sk-less core) finds nothing but real leaks.
KEY = "sk-RELIAB1LITY-q7W3xK9zP4-leakcheck"
CORE = KEY[3:]
PROTOCOLS = ("chat", "videos", "create")


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


CREATE_PATHS = {
    "chat": "/v1/chat/completions",
    "videos": "/v1/videos",
    "create": "/v1/video/create",
}


def child_env() -> dict[str, str]:
    """This process's environment for a child: no VEO_* setting but the key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEO_")}
    return {**env, "VEO_API_KEY": KEY}


def resume_command(sim: Simulator, key: str, out: Path) -> list[str]:
    """``veo-magic resume KEY`` (a job, a task or a storyboard) in a new process, against ``sim``."""
    cli = [sys.executable, "-m", "veo_magic.cli"]
    return [*cli, "resume", key, "--base-url", sim.base_url + "/v1", "--out-dir", str(out)]
