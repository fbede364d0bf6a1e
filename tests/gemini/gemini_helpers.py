"""Helpers for the gemini tests: the test key, a relay on httpx.MockTransport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from veo_magic.relays.http import Relay
from veo_magic.relays.protocols.polling import Pacing

KEY = "AIza-test-0123456789abcdef"
BASE = "https://generativelanguage.googleapis.com"


# Polls back to back: these tests count requests, not seconds.
INSTANT = Pacing(0.0, 0.0)


def make_relay(
    handler: Callable[[httpx.Request], httpx.Response], *, base_url: str = BASE
) -> Relay:
    """A ``Relay`` whose requests go to ``handler``, with the key header the client sets."""
    transport = httpx.MockTransport(handler)
    return Relay(
        httpx.AsyncClient(transport=transport, base_url=base_url, headers={"x-goog-api-key": KEY}),
        httpx.AsyncClient(transport=transport),
    )


async def collect(events: AsyncIterator[Any]) -> list[Any]:
    return [event async for event in events]


def submits(sim: Any) -> list:
    """The requests that reached the simulator's Google routes as a POST (a submit, an extend)."""
    return [r for r in sim.requests if r.method == "POST" and r.path.startswith("/v1beta/")]
