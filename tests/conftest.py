"""Shared fixtures. Keep this file small: fixtures that only one area needs live beside it."""

from __future__ import annotations

import pytest

from veo_magic.simulator import Simulator


@pytest.fixture
def simulator():
    """A fresh relay simulator on a free loopback port, with fast (0.6 s) generations."""
    with Simulator(generation_seconds=0.6) as sim:
        yield sim


@pytest.fixture(scope="session")
def shared_sim():
    """One simulator for the whole session, for tests that only read and never set a scenario."""
    with Simulator(generation_seconds=0.6) as sim:
        yield sim
