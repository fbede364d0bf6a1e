"""Fixtures for the Interactions API (Gemini Omni): the session simulator's Google routes and
plain httpx calls with a Google key, as Google's own clients send it (``x-goog-api-key``)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from interactions_helpers import KEY

from veo_magic.simulator import Simulator


@pytest.fixture
def google(relay: Simulator) -> Simulator:
    """The session simulator, its request log emptied."""
    relay.requests.clear()
    return relay


@pytest.fixture
def api(google: Simulator) -> Iterator[httpx.Client]:
    """An httpx client of ``google``'s ``/v1beta`` with the key in ``x-goog-api-key``."""
    with httpx.Client(
        base_url=f"{google.base_url}/v1beta", headers={"x-goog-api-key": KEY}, timeout=20
    ) as client:
        yield client
