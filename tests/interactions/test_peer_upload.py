"""Conformance: google-genai's own ``files.upload`` (the resumable upload no one here wrote)
puts a clip on the simulator's Files API, and a turn that names its uri edits it.

That is the path a stateless edit of a clip over 20 MB takes (``InteractionsAdapter._upload``):
if the SDK and the simulator agree on the protocol's headers, offsets and answers, and our
adapter sends what the SDK sends (``test_editing.py`` checks the headers), the three agree.
"""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.support import assert_clip

genai = pytest.importorskip("google.genai")
from google.genai import types  # noqa: E402


def _clip(api: httpx.Client) -> bytes:
    """A short Omni clip from the simulator, inline."""
    body = {
        "model": "gemini-omni-1.2-flash",
        "input": "a lighthouse at dusk",
        "response_format": {"type": "video", "duration": "3s", "resolution": "360p"},
    }
    answer = api.post("interactions", json=body, timeout=60).json()
    (video,) = [c for s in answer["steps"] for c in s.get("content", []) if c["type"] == "video"]
    return base64.b64decode(video["data"])


def test_the_sdk_uploads_a_clip_and_a_turn_edits_it_by_uri(google, api, tmp_path):
    parent = tmp_path / "parent.mp4"
    parent.write_bytes(_clip(api))
    sdk = genai.Client(api_key="test-key", http_options=types.HttpOptions(base_url=google.base_url))
    uploaded = sdk.files.upload(file=parent, config={"mime_type": "video/mp4"})
    assert uploaded.size_bytes == parent.stat().st_size
    assert uploaded.state == types.FileState.PROCESSING  # as Google answers a fresh video
    edit = {
        "model": "gemini-omni-1.2-flash",
        "input": [
            {"type": "text", "text": "make it night"},
            {"type": "video", "mime_type": "video/mp4", "uri": uploaded.uri},
        ],
        "response_format": {"type": "video", "duration": "3s", "resolution": "360p"},
        "generation_config": {"video_config": {"task": "edit"}},
    }
    early = api.post("interactions", json=edit, timeout=60)
    assert early.status_code == 400 and "ACTIVE" in early.json()["error"]["message"]
    assert sdk.files.get(name=uploaded.name).state == types.FileState.PROCESSING
    assert sdk.files.get(name=uploaded.name).state == types.FileState.ACTIVE
    answer = api.post("interactions", json=edit, timeout=60)
    assert answer.status_code == 200, answer.text
    (video,) = [
        c for s in answer.json()["steps"] for c in s.get("content", []) if c["type"] == "video"
    ]
    out = tmp_path / "edit.mp4"
    out.write_bytes(base64.b64decode(video["data"]))
    assert_clip(out, 640, 360, 3)
    chunks = [r for r in google.requests if r.path == "/upload/v1beta/files"]
    assert [r.headers.get("x-goog-upload-command") for r in chunks] == ["start", "upload, finalize"]


def test_an_http_uri_that_is_no_file_is_refused(api):
    edit = {
        "model": "gemini-omni-1.2-flash",
        "input": [
            {"type": "text", "text": "make it night"},
            {"type": "video", "mime_type": "video/mp4", "uri": "https://example.com/clip.mp4"},
        ],
        "generation_config": {"video_config": {"task": "edit"}},
    }
    refused = api.post("interactions", json=edit)
    assert refused.status_code == 400 and "HTTP video input" in refused.text
