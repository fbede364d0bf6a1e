"""Storyboard fixtures: one simulator for the package, clients of it on every protocol, and a
uniquely named prompt per test (the simulator is shared, so tasks are found by their text)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import stamina

from veo_magic import Client
from veo_magic.simulator import Simulator

RELAY_KEY = "sk-storyboard-0123456789"
GOOGLE_KEY = "AIza-storyboard-0123456789"


@pytest.fixture(scope="session")
def sim() -> Iterator[Simulator]:
    with Simulator(generation_seconds=0.5) as simulator:
        yield simulator


@pytest.fixture
def relay(sim: Simulator) -> Iterator[Simulator]:
    sim.set_scenario(None)
    sim.set_dialect(None)
    yield sim
    sim.set_scenario(None)


@pytest.fixture(autouse=True)
def fast_retries() -> Iterator[None]:
    stamina.set_testing(True, attempts=3)
    yield
    stamina.set_testing(False)


@pytest.fixture
def make_client(relay: Simulator, tmp_path) -> Iterator:
    """``make_client(protocol)``: a client of the simulator speaking ``protocol``."""
    clients: list[Client] = []

    def make(protocol: str = "videos", **options) -> Client:
        options.setdefault("poll_interval", (0.05, 0.3))
        options.setdefault("output_dir", tmp_path / "out")
        gemini = protocol == "gemini"
        client = Client(
            base_url=relay.base_url + ("" if gemini else "/v1"),
            api_key=GOOGLE_KEY if gemini else RELAY_KEY,
            protocol=protocol,
            **options,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def tag() -> str:
    """A word no other test's prompt has."""
    return uuid.uuid4().hex[:8]
