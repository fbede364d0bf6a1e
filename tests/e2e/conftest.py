"""End-to-end fixtures: the shared simulator and clients (tests/conftest.py) with this key."""

from __future__ import annotations

import pytest

KEY = "sk-e2e-secret-0123456789"


@pytest.fixture
def api_key() -> str:
    return KEY
