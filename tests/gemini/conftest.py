"""Fixtures for the gemini protocol: the simulator's Google routes, clients with a Google key."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest
from gemini_helpers import KEY

from veo_magic import Client
from veo_magic.simulator import Simulator


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def api_key() -> str:
    return KEY


@pytest.fixture
def google(relay: Simulator) -> Simulator:
    """The session simulator, its request log emptied: what a test reads is what it sent."""
    relay.requests.clear()
    return relay


@pytest.fixture
def gemini_client(google: Simulator, make_client: Callable[..., Client]) -> Callable[..., Client]:
    """``gemini_client(**options)``: a client of ``google`` on the gemini protocol."""
    return partial(make_client, "gemini")
