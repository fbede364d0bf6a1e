"""Our fixtures keep the recorded structure (vercel/ai's ``video-response-format`` answers,
2026-08-28; fixtures/SOURCE.md), and the simulator answers in that same structure."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from interactions_helpers import sse_events, video_body

from veo_magic.relays.download import is_mp4

FIXTURES = Path(__file__).with_name("fixtures")
# Key order of the recording, level by level.
RECORDED_KEYS = [
    "status",
    "usage",
    "created",
    "updated",
    "service_tier",
    "steps",
    "object",
    "model",
]
RECORDED_USAGE = [
    "total_tokens",
    "total_input_tokens",
    "input_tokens_by_modality",
    "total_cached_tokens",
    "total_output_tokens",
    "output_tokens_by_modality",
    "total_tool_use_tokens",
    "total_thought_tokens",
]
RECORDED_EVENTS = [
    ("interaction.created", ["interaction", "event_type"]),
    ("interaction.status_update", ["interaction_id", "status", "event_type"]),
    ("step.start", ["event_type", "index", "step"]),
    ("step.delta", ["event_type", "index", "delta"]),
    ("step.stop", ["event_type", "index"]),
    ("interaction.completed", ["interaction", "event_type"]),
]


def test_the_json_fixture_follows_the_recording():
    body = json.loads((FIXTURES / "video-response-format.json").read_text())
    assert list(body) == RECORDED_KEYS
    assert list(body["usage"]) == [*RECORDED_USAGE, "raw_prompt_token"]
    assert body["steps"][0] == {"type": "thought"}
    (item,) = body["steps"][1]["content"]
    assert list(item) == ["data", "mime_type", "type"]
    clip = base64.b64decode(item["data"])
    assert is_mp4(clip[:12]) and len(clip) < 100  # truncated, as recorded: no playable MP4


def test_the_chunks_fixture_follows_the_recording():
    lines = (FIXTURES / "video-response-format.chunks.txt").read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert [(e["event_type"], list(e)) for e in events] == RECORDED_EVENTS
    assert list(events[-1]["interaction"]) == [
        "id", "status", "usage", "created", "updated", "service_tier", "object", "model",
    ]  # fmt: skip
    assert list(events[-1]["interaction"]["usage"]) == RECORDED_USAGE


def test_the_simulator_answers_in_the_recorded_structure(api):
    done = api.post("interactions", json=video_body(background=False)).json()
    assert [k for k in done if k in RECORDED_KEYS] == RECORDED_KEYS
    assert list(done["usage"]) == RECORDED_USAGE
    events = sse_events(api.get(f"interactions/{done['id']}", params={"stream": "true"}).text)
    for event, (name, keys) in zip(events, RECORDED_EVENTS, strict=True):
        assert event["event_type"] == name
        assert [k for k in event if k != "event_id"] == keys
