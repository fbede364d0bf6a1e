"""What the reliability tests share: the distinctive key, the ledger of what reached the
simulator, and how a test runs a child process and resumes what it left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import veo_magic as veo
from tests.support import wait_until
from veo_magic.jobs.journal import Journal
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


def kill_half_way(
    script: str,
    args: list[str],
    out: Path,
    task_row: Callable[[Journal, str], dict[str, Any] | None],
    *,
    timeout: float = 20,
) -> tuple[str, dict[str, Any]]:
    """Run ``script`` in a child (it prints an id, then waits for its work); SIGKILL it once
    ``task_row(journal, id)`` has the relay's task id. Returns the id and that journal row."""
    child = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        key = child.stdout.readline().strip()
        assert key, child.stderr.read()
        journal = Journal(out)
        row = wait_until(
            lambda: (r := task_row(journal, key)) and r["task_id"] and r, timeout=timeout
        )
        journal.close()
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        child.stdout.close()
        child.stderr.close()
    return key, row


def resume_in_cli(sim: Simulator, key: str, out: Path, *, timeout: float) -> tuple[str, str]:
    """``veo-magic resume KEY`` run to its end; its stdout's last line and its stderr."""
    done = subprocess.run(
        resume_command(sim, key, out),
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1], done.stderr


@contextmanager
def resuming_client(sim: Simulator, out: Path) -> Iterator[veo.Client]:
    """A new process's ``Client`` on the same output dir, as a user resumes from Python;
    closed on the way out."""
    client = veo.Client(
        base_url=sim.base_url + "/v1", api_key=KEY, output_dir=out, poll_interval=(0.05, 0.3)
    )
    try:
        yield client
    finally:
        client.close()
