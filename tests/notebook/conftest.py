"""Notebook-front fixtures: a clean environment, a kernel-less IPython shell, fake widget comms."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import support

VEO_ENV = (
    "VEO_BASE_URL",
    "VEO_API_KEY",
    "VEO_PROTOCOL",
    "VEO_MODEL",
    "VEO_BUDGET_USD",
    "VEO_OUTPUT_DIR",
    "VEO_EMBED_MAX_MB",
    "VSCODE_PID",
    "VSCODE_CWD",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No relay configured (so the built-in simulator answers), short jobs, a fresh cwd."""
    for name in VEO_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VEO_SIM_SECONDS", "0.5")
    monkeypatch.chdir(tmp_path)
    from veo_magic.notebook import session

    monkeypatch.setattr(session, "_current", None)
    yield tmp_path
    from veo_magic.jobs.runner import running_jobs

    for job in running_jobs():
        job.cancel()


@pytest.fixture
def ip():
    """IPython's test shell with the extension loaded (no kernel)."""
    from IPython.testing.globalipapp import get_ipython

    shell = get_ipython()
    shell.run_line_magic("load_ext", "veo_magic")
    yield shell
    shell.run_line_magic("unload_ext", "veo_magic")


@pytest.fixture
def sent(monkeypatch):
    """Every comm message widgets send, as a list (no kernel needed)."""
    import ipywidgets

    messages: list[dict] = []

    def send(self, msg, buffers=None):
        messages.append({"model": self.model_id, **msg})

    monkeypatch.setattr(ipywidgets.Widget, "_send", send)
    return messages


@pytest.fixture
def make_mp4():
    return support.make_mp4


@pytest.fixture
def mp4(tmp_path) -> Path:
    """A 2 s clip under ./veo_outputs (the cwd is tmp_path)."""
    return support.make_mp4(tmp_path / "veo_outputs" / "clip.mp4", seconds=2.0)
