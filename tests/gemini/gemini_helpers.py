"""Helpers for the gemini tests: the test key, an MP4 probe, a relay on httpx.MockTransport."""

from __future__ import annotations

import re
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import imageio_ffmpeg

from veo_magic._http import Relay
from veo_magic.protocols.polling import Pacing

KEY = "AIza-test-0123456789abcdef"
BASE = "https://generativelanguage.googleapis.com"


def probe(path: Path) -> dict[str, Any]:
    """Size and length of an MP4, from ffmpeg's own report."""
    report = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
        capture_output=True,
        text=True,
        check=False,
    ).stderr
    video = re.search(r"Video: (\w+).*?, (\d{2,5})x(\d{2,5})", report)
    duration = re.search(r"Duration: (\d+):(\d+):([\d.]+)", report)
    assert video and duration, report
    hours, minutes, seconds = duration.groups()
    return {
        "codec": video[1],
        "width": int(video[2]),
        "height": int(video[3]),
        "seconds": int(hours) * 3600 + int(minutes) * 60 + float(seconds),
    }


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
