"""Storyboard fixtures: the shared simulator and its clients come from tests/conftest.py; the
simulator is shared, so each test's prompts carry a word of their own (tasks are found by text)."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def tag() -> str:
    """A word no other test's prompt has."""
    return uuid.uuid4().hex[:8]
