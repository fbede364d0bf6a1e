"""Fixtures every area shares: the relay simulator, clients of it, stamina's testing mode.

Fixtures that only one area needs live beside it; an area overrides ``api_key`` to send its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import stamina

from tests.support import HANG_SECONDS
from veo_magic import Client
from veo_magic.simulator import Simulator


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "retry_mode(attempts=5, waits=False): stamina's testing mode for one test; "
        "waits=True runs the real retry policy, with its waits",
    )


@pytest.fixture(autouse=True)
def retry_mode(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test: retries happen (5 attempts) but never wait, unless its ``retry_mode`` mark
    says otherwise. The previous mode is restored after the test, whatever it did."""
    mark = request.node.get_closest_marker("retry_mode")
    options = {"attempts": 5, "waits": False, **(mark.kwargs if mark else {})}
    with stamina.set_testing(not options["waits"], attempts=options["attempts"]):
        yield


@pytest.fixture
def clean_prices(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Default prices: no ``VEO_PRICES``, no ``set_price`` left from another test."""
    from veo_magic.catalog.models import reset_prices

    monkeypatch.delenv("VEO_PRICES", raising=False)
    reset_prices()
    yield
    reset_prices()


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    """A fresh relay simulator on a free loopback port, with fast (0.6 s) generations."""
    with Simulator(generation_seconds=0.6) as sim:
        yield sim


@pytest.fixture(scope="session")
def sim() -> Iterator[Simulator]:
    """One simulator for the session; tests select faults per request with ``[[sim:NAME]]``."""
    with Simulator(generation_seconds=0.6, hang_seconds=HANG_SECONDS) as simulator:
        yield simulator


@pytest.fixture
def relay(sim: Simulator) -> Iterator[Simulator]:
    """The session simulator with no server-wide scenario, dialect or narrowed model list,
    before and after."""
    _server_wide_defaults(sim)
    yield sim
    _server_wide_defaults(sim)


def _server_wide_defaults(sim: Simulator) -> None:
    sim.set_scenario(None)
    sim.set_dialect(None)
    sim.set_models(None)


@pytest.fixture
def api_key() -> str:
    """The key clients of ``relay`` send."""
    return "sk-test-0123456789abcdef"


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "out"


@pytest.fixture
def make_client(relay: Simulator, out_dir: Path, api_key: str) -> Iterator[Callable[..., Client]]:
    """``make_client(protocol, **options)``: a client of ``relay`` that polls briskly, closed
    after the test."""
    clients: list[Client] = []

    def make(protocol: str, **options: Any) -> Client:
        options.setdefault("poll_interval", (0.05, 0.3))
        options.setdefault("output_dir", out_dir)
        # Google's routes sit at the root; the OpenAI-style ones under /v1.
        options.setdefault("base_url", relay.base_url + ("" if protocol == "gemini" else "/v1"))
        client = Client(api_key=api_key, protocol=protocol, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
