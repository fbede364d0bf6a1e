"""Fixtures for the protocol tests: anyio on asyncio, retries that never sleep."""

from __future__ import annotations

import pytest
import stamina


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def no_retry_waits():
    """Retries happen once and never sleep."""
    with stamina.set_testing(True):
        yield
