"""Fixtures for the gemini protocol: the simulator's Google routes, clients with a Google key."""

from __future__ import annotations

from typing import Any

import pytest
import stamina
from gemini_helpers import KEY

from veo_magic import Client
from veo_magic.simulator import Simulator


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def fast_retries():
    stamina.set_testing(True, attempts=3)
    yield
    stamina.set_testing(False)


@pytest.fixture(scope="session")
def gemini_sim():
    """One simulator for the module's tests; ``google`` resets its scenario around each test."""
    with Simulator(generation_seconds=0.8) as simulator:
        yield simulator


@pytest.fixture
def google(gemini_sim):
    gemini_sim.set_scenario(None)
    gemini_sim.requests.clear()
    yield gemini_sim
    gemini_sim.set_scenario(None)


@pytest.fixture
def gemini_client(google, tmp_path):
    clients: list[Client] = []

    def make(**kwargs: Any) -> Client:
        kwargs.setdefault("poll_interval", (0.05, 0.3))
        client = Client(
            base_url=google.base_url,
            api_key=KEY,
            protocol="gemini",
            output_dir=tmp_path / "out",
            **kwargs,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
