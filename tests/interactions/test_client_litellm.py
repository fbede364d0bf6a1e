"""``protocol="interactions"`` through LiteLLM's proxy (1.108.7, a gateway no one here wrote) to
the simulator's Interactions routes: the config README's gateway section gives, run for real.

What LiteLLM does with it (its ``proxy/google_endpoints/endpoints.py`` and
``llms/gemini/interactions/``): the create goes through the router by the body's ``model`` to
the deployment's ``api_base`` and ``api_key``; ``GET /v1beta/interactions/{id}`` carries no
model, so the upstream comes from the environment (``GEMINI_API_BASE``, ``GEMINI_API_KEY``) and
the query (``?stream=true``) is dropped: the proxy answers JSON, and veo_magic polls.
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

import veo_magic as veo
from tests.support import assert_clip, free_port
from veo_magic.simulator import Simulator

pytestmark = pytest.mark.gateway

REPO = Path(__file__).resolve().parents[2]
LITELLM = REPO / ".deps/litellm/bin/litellm"
if not LITELLM.exists():  # a worktree shares the main checkout's test dependencies
    LITELLM = Path("/work/main/.deps/litellm/bin/litellm")
MASTER_KEY = "sk-gateway-master-omni-41d2"
UPSTREAM_KEY = "AIza-upstream-omni-9c3e"
# The config README's gateway section shows (the model named as Google names it).
CONFIG = """\
model_list:
  - model_name: gemini-omni-1.2-flash
    litellm_params:
      model: gemini/gemini-omni-1.2-flash
      api_base: {upstream}
      api_key: {upstream_key}
router_settings:
  num_retries: 0
  disable_cooldowns: true
general_settings:
  master_key: {master_key}
"""


@pytest.fixture(scope="module")
def omni_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Simulator]]:
    if not LITELLM.exists():
        pytest.skip("LiteLLM's proxy is not installed: `make test-deps` installs it in .deps/")
    upstream = Simulator(generation_seconds=0.6).start()
    folder = tmp_path_factory.mktemp("litellm-omni")
    config = folder / "config.yaml"
    config.write_text(
        CONFIG.format(upstream=upstream.base_url, upstream_key=UPSTREAM_KEY, master_key=MASTER_KEY)
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LITELLM", "DATABASE_URL"))}
    env.update(
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        LITELLM_TELEMETRY_DISABLED="true",
        LITELLM_DONT_SHOW_FEEDBACK_BOX="True",
        LITELLM_MODE="PRODUCTION",
        DISABLE_SCHEMA_UPDATE="True",
        NO_PROXY="127.0.0.1,localhost",
        # get / cancel carry no model: LiteLLM finds Google through these.
        GEMINI_API_BASE=upstream.base_url,
        GEMINI_API_KEY=UPSTREAM_KEY,
    )
    port = free_port()
    log = folder / "litellm.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(LITELLM), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"LiteLLM exited at startup:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base_url}/health/liveliness", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"LiteLLM not ready after 90 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield base_url, upstream
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        upstream.stop()


@pytest.fixture
def through(omni_gateway, tmp_path):
    base_url, upstream = omni_gateway
    upstream.requests.clear()
    clients = []

    def make(**options):
        client = veo.Client(
            base_url=base_url,
            api_key=MASTER_KEY,
            protocol="interactions",
            output_dir=tmp_path / "out",
            poll_interval=(0.05, 0.3),
            **options,
        )
        clients.append(client)
        return client

    yield make, upstream
    for client in clients:
        client.close()


def _creates(upstream):
    return [r for r in upstream.requests if r.method == "POST" and r.path == "/v1beta/interactions"]


def test_text_through_litellm(through):
    make, upstream = through
    job = make().generate("a kite seen through a gateway", seconds=3, resolution="360p")
    assert job.status == "succeeded", job.error
    assert_clip(job.videos[0], 640, 360, 3)
    (create,) = _creates(upstream)
    assert create.json["model"] == "gemini-omni-1.2-flash"  # LiteLLM strips its gemini/ prefix
    assert create.json["background"] is True
    # LiteLLM sends its own key upstream, never the student's.
    assert create.headers.get("x-goog-api-key") == "<redacted>"
    gets = [r for r in upstream.requests if r.method == "GET"]
    assert gets and all(r.query == {} for r in gets)  # the proxy drops ?stream=true: polled


def test_options_through_litellm(through):
    make, upstream = through
    job = make().generate(
        "a portrait kite", orientation="portrait", seconds=4, seed=11, resolution="360p"
    )
    assert job.status == "succeeded", job.error
    assert_clip(job.videos[0], 360, 640, 4)
    (create,) = _creates(upstream)
    assert create.json["response_format"] == {
        "type": "video",
        "aspect_ratio": "9:16",
        "duration": "4s",
        "resolution": "360p",
    }
    assert create.json["generation_config"]["seed"] == 11


def test_filtered_through_litellm(through):
    make, upstream = through
    job = make().submit("[[sim:filtered]] a kite", seconds=3, resolution="360p")
    with pytest.raises(veo.VeoGenerationError):
        job.wait(timeout=60)
    assert "withheld by Google's safety filter" in job.error and job.recovery is None
    assert len(_creates(upstream)) == 1
