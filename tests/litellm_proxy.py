"""Starting LiteLLM's proxy (1.108.7, in its own environment ``.deps/litellm``) for a test area:
the gateway tests (tests/gateway) and the Interactions passthrough (tests/interactions).

``running_litellm(config, folder, **env)`` writes the config, starts the proxy on a free loopback
port, waits until ``/health/liveliness`` answers (never ``/health``, which sends a billable
create to every deployment) and stops it afterwards; tests skip, saying so, where it is missing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import free_port

REPO = Path(__file__).resolve().parents[1]
LITELLM = REPO / ".deps/litellm/bin/litellm"
STARTUP_SECONDS = 90.0


def litellm_environment(**extra: str) -> dict[str, str]:
    """This process's environment without LiteLLM's or Google's settings, plus what every run
    needs: the local cost map (else it fetches prices from GitHub at import), no telemetry, no
    ``load_dotenv()`` of the working directory, loopback not proxied; then ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LITELLM", "DATABASE_URL", "GEMINI_", "GOOGLE_API_KEY"))
    }
    env.update(
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        LITELLM_TELEMETRY_DISABLED="true",
        LITELLM_DONT_SHOW_FEEDBACK_BOX="True",
        LITELLM_MODE="PRODUCTION",
        DISABLE_SCHEMA_UPDATE="True",
        NO_PROXY="127.0.0.1,localhost",
        **extra,
    )
    return env


@contextlib.contextmanager
def running_litellm(config: str, folder: Path, env: dict[str, str]) -> Iterator[tuple[str, Path]]:
    """``(base_url, log)`` of a ready proxy serving ``config`` (YAML text), stopped on exit."""
    if not LITELLM.exists():
        pytest.skip(
            f"LiteLLM's proxy is not installed at {LITELLM.relative_to(REPO)}: "
            "`make test-deps` installs litellm[proxy]==1.108.7 there"
        )
    (folder / "config.yaml").write_text(config)
    port = free_port()
    log = folder / "litellm.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(LITELLM), "--config", "config.yaml", "--host", "127.0.0.1", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"LiteLLM exited at startup:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base_url}/health/liveliness", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(
                    f"LiteLLM not ready after {STARTUP_SECONDS:g} s:\n{log.read_text()[-3000:]}"
                )
            time.sleep(0.1)
        yield base_url, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
