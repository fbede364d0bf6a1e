"""A gateway no one here wrote: LiteLLM's proxy, in front of the simulator speaking Google's API.

One LiteLLM process serves the whole session (it takes about 8 s to start). It runs from its own
environment, ``.deps/litellm`` (``make test-deps`` installs ``litellm[proxy]==1.108.7`` there, so
its pins never touch the project's venv), and the tests skip, saying so, where it is missing.

The upstream is the simulator in its TLS mode: LiteLLM fetches Gemini's file links exactly as
written, so they must be ``https://`` on the simulator's own host; LiteLLM trusts the simulator's
throwaway CA through ``SSL_CERT_FILE`` (it ignores ``REQUESTS_CA_BUNDLE``). Its config is the one
the README recommends: ``num_retries: 0`` (by default LiteLLM re-sends a failed create, up to
three upstream tasks from one request) and no cooldowns (one failure must not 429 the next test).
A second model, ``classroom-veo``, has a budget of its own, which LiteLLM enforces in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.litellm_proxy import litellm_environment, running_litellm
from tests.support import HANG_SECONDS
from veo_magic import Client
from veo_magic.simulator import LoggedRequest, Simulator

MASTER_KEY = "sk-gateway-master-5f1c9e"  # what a teacher holds; students get virtual keys
UPSTREAM_KEY = "sk-upstream-google-7a2d"  # what LiteLLM sends Google (x-goog-api-key)
BUDGET_MODEL = "classroom-veo"  # an admin's own name, with a budget
BUDGET_USD = 1.5  # one 8 s clip at $0.25/s is $2.00: the first passes, the next is refused
CONFIG = """\
model_list:
  - model_name: veo-3.1
    litellm_params:
      model: gemini/veo-3.1-generate-preview
      api_base: {upstream}
      api_key: {upstream_key}
  - model_name: {budget_model}
    litellm_params:
      model: gemini/veo-3.1-generate-preview
      api_base: {upstream}
      api_key: {upstream_key}
      max_budget: {budget}
      budget_duration: 1d
    model_info:
      output_cost_per_second: 0.25
router_settings:
  num_retries: 0
  disable_cooldowns: true
general_settings:
  master_key: {master_key}
"""


@dataclass
class Gateway:
    """A running LiteLLM proxy and the simulator behind it."""

    base_url: str  # http://127.0.0.1:PORT (no /v1)
    upstream: Simulator
    log: Path

    def creates(self) -> list[LoggedRequest]:
        """Every ``predictLongRunning`` that reached the upstream (accepted or not)."""
        return [
            r
            for r in self.upstream.requests
            if r.method == "POST" and r.path.endswith(":predictLongRunning")
        ]


@pytest.fixture(scope="session")
def upstream() -> Iterator[Simulator]:
    """The simulator over TLS, standing in for generativelanguage.googleapis.com."""
    try:
        simulator = Simulator(generation_seconds=1.0, hang_seconds=HANG_SECONDS, tls=True).start()
    except RuntimeError as exc:
        pytest.skip(f"the simulator's TLS mode cannot start: {exc}")
    yield simulator
    simulator.stop()


@pytest.fixture(scope="session")
def litellm(upstream: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """LiteLLM's proxy on a free loopback port, ready; it trusts the simulator's CA."""
    config = CONFIG.format(
        upstream=upstream.base_url,
        upstream_key=UPSTREAM_KEY,
        budget_model=BUDGET_MODEL,
        budget=BUDGET_USD,
        master_key=MASTER_KEY,
    )
    env = litellm_environment(SSL_CERT_FILE=str(upstream.ca_file))
    with running_litellm(config, tmp_path_factory.mktemp("litellm"), env) as (base_url, log):
        yield Gateway(base_url, upstream, log)


@pytest.fixture
def gateway(litellm: Gateway) -> Iterator[Gateway]:
    """The session's LiteLLM, its upstream back to normal before and after the test."""
    litellm.upstream.set_scenario(None)
    yield litellm
    litellm.upstream.set_scenario(None)


@pytest.fixture
def through(gateway: Gateway, tmp_path: Path) -> Iterator[Callable[..., Client]]:
    """``through(protocol="videos", **options)``: a client of LiteLLM, as a student sets it up
    (VEO_BASE_URL, VEO_API_KEY), polling briskly; closed after the test."""
    clients: list[Client] = []

    def make(protocol: str = "videos", **options: Any) -> Client:
        options.setdefault("poll_interval", (0.05, 0.3))
        options.setdefault("output_dir", tmp_path / "out")
        client = Client(
            base_url=f"{gateway.base_url}/v1", api_key=MASTER_KEY, protocol=protocol, **options
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
