"""What the reliability tests share: the distinctive key and the ledger of what reached the
simulator."""

from __future__ import annotations

from dataclasses import dataclass

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
