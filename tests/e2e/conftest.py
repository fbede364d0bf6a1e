"""End-to-end fixtures: the real simulator over loopback and clients pointed at it."""

from __future__ import annotations

import pytest
import stamina

from veo_magic import Client
from veo_magic.simulator import Simulator

KEY = "sk-e2e-secret-0123456789"


@pytest.fixture(scope="session")
def sim():
    """One simulator for the session; tests reset its scenario and read its request log."""
    with Simulator(generation_seconds=0.8) as simulator:
        yield simulator


@pytest.fixture
def relay(sim):
    sim.set_scenario(None)
    start = len(sim.requests)
    creates = sim.accepted_creates
    yield sim
    sim.set_scenario(None)
    del start, creates


@pytest.fixture(autouse=True)
def fast_retries():
    stamina.set_testing(True, attempts=5)
    yield
    stamina.set_testing(False)


@pytest.fixture
def make_client(relay, tmp_path):
    clients = []

    def make(protocol: str = "chat", **kwargs) -> Client:
        kwargs.setdefault("poll_interval", (0.05, 0.3))
        client = Client(
            base_url=relay.base_url + "/v1",
            api_key=KEY,
            protocol=protocol,
            output_dir=tmp_path / "out",
            **kwargs,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
