"""Fixtures for the reliability guarantees: the real simulator over loopback, clients pointed at
it with small timeouts, and a ledger of what reached the simulator during one test.

Every test that creates counts ``sim.accepted_creates`` (what a real relay would charge for);
every bad-input test checks ``len(sim.requests)`` did not move.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import stamina
from stamina.instrumentation import RetryDetails, get_on_retry_hooks, set_on_retry_hooks

from tests.reliability.support import HANG_SECONDS, KEY, Ledger
from veo_magic import Client
from veo_magic.simulator import Simulator


@pytest.fixture(scope="session")
def sim() -> Iterator[Simulator]:
    """One simulator for the package; tests select faults per request with ``[[sim:NAME]]``."""
    with Simulator(generation_seconds=0.6, hang_seconds=HANG_SECONDS) as simulator:
        yield simulator


@pytest.fixture
def relay(sim: Simulator) -> Iterator[Simulator]:
    """The session simulator with no server-wide scenario or dialect, before and after."""
    sim.set_scenario(None)
    sim.set_dialect(None)
    yield sim
    sim.set_scenario(None)
    sim.set_dialect(None)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No VEO_* setting of the machine running the tests leaks into them."""
    for name in [n for n in os.environ if n.startswith("VEO_")]:
        monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def no_retry_waits() -> Iterator[None]:
    """Retries happen (5 attempts) but never sleep; tests about waiting ask for ``real_waits``."""
    stamina.set_testing(True, attempts=5)
    yield
    stamina.set_testing(False)


@pytest.fixture
def real_waits(no_retry_waits: None) -> None:
    """stamina waits for real: for the tests that check ``Retry-After`` is honoured."""
    stamina.set_testing(False)


@pytest.fixture
def retries() -> Iterator[list[RetryDetails]]:
    """Every retry stamina schedules during the test: its cause and the wait it chose."""
    seen: list[RetryDetails] = []
    saved = get_on_retry_hooks()
    set_on_retry_hooks([*saved, seen.append])
    yield seen
    set_on_retry_hooks(saved)


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "out"


@pytest.fixture
def make_client(relay: Simulator, out_dir: Path) -> Iterator:
    """``make_client(protocol, **options)``: a client of ``relay`` with short timeouts."""
    clients: list[Client] = []

    def make(protocol: str = "videos", **options) -> Client:
        options.setdefault("poll_interval", (0.05, 0.3))
        options.setdefault("output_dir", out_dir)
        options.setdefault("base_url", relay.base_url + "/v1")
        client = Client(api_key=KEY, protocol=protocol, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def ledger(relay: Simulator) -> Ledger:
    return Ledger(relay, len(relay.requests), relay.accepted_creates)
