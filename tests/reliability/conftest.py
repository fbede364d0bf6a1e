"""Fixtures for the reliability guarantees: the shared simulator and its clients
(tests/conftest.py) with a distinctive key, and a ledger of what reached the simulator during
one test.

Every test that creates counts ``sim.accepted_creates`` (what a real relay would charge for);
every bad-input test checks ``len(sim.requests)`` did not move.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from stamina.instrumentation import RetryDetails, get_on_retry_hooks, set_on_retry_hooks

from tests.reliability.support import KEY, Ledger
from veo_magic.simulator import Simulator


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No VEO_* setting of the machine running the tests leaks into them."""
    for name in [n for n in os.environ if n.startswith("VEO_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def api_key() -> str:
    return KEY


@pytest.fixture
def retries() -> Iterator[list[RetryDetails]]:
    """Every retry stamina schedules during the test: its cause and the wait it chose."""
    seen: list[RetryDetails] = []
    saved = get_on_retry_hooks()
    set_on_retry_hooks([*saved, seen.append])
    yield seen
    set_on_retry_hooks(saved)


@pytest.fixture
def ledger(relay: Simulator) -> Ledger:
    return Ledger(relay, len(relay.requests), relay.accepted_creates)


@pytest.fixture(scope="module")
def slow_sim() -> Iterator[Simulator]:
    """Generations long enough to kill a process in the middle of one."""
    with Simulator(generation_seconds=1.5) as simulator:
        yield simulator
