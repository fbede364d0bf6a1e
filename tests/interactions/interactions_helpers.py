"""What the Interactions tests share: the key, a create body, polling, reading an event stream."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.support import wait_until

KEY = "sim-google-key-3f9a1c"
REVISION = {"Api-Revision": "2026-05-20"}  # LiteLLM sends it; google-genai's REST calls do not
# A clip's event stream, in order, as Google's is recorded (vercel/ai video-response-format.chunks.txt)
EVENTS = [
    "interaction.created",
    "interaction.status_update",
    "step.start",
    "step.delta",
    "step.stop",
    "interaction.completed",
]


def video_body(prompt: str = "a red kite over a beach", **fields: Any) -> dict[str, Any]:
    """A create body as vercel/ai and google-genai build it for one Omni clip."""
    fmt = {"type": "video", "aspect_ratio": "16:9", "duration": "3s", "resolution": "360p"}
    fmt.update(fields.pop("video", {}))
    return {
        "model": fields.pop("model", "gemini-omni-1.2-flash"),
        "input": prompt,
        "response_modalities": ["video"],
        "response_format": fmt,
        "background": True,
        **fields,
    }


def finished(api: httpx.Client, interaction_id: str) -> dict[str, Any]:
    """``GET`` the interaction until it is no longer ``in_progress``."""

    def done() -> dict[str, Any] | None:
        answer = api.get(f"interactions/{interaction_id}")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        return body if body["status"] != "in_progress" else None

    return wait_until(done, timeout=30, interval=0.05)


def sse_events(text: str) -> list[dict[str, Any]]:
    """The JSON of every ``data:`` line, checked against its ``event:`` line."""
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        event = json.loads(lines["data"])
        assert lines["event"] == event["event_type"]
        events.append(event)
    return events
