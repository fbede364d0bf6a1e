"""protocol="interactions" end to end: a Client with a Google key against the simulator's
Interactions routes (Gemini Omni), every scenario of issue 17 and the requests each one sends."""

from __future__ import annotations

import base64
import json
import time

import pytest

import veo_magic as veo
from tests.images import write_png
from tests.support import assert_clip, wait_until

CREATE = "/v1beta/interactions"


def _interactions(relay):
    return [
        r for r in relay.requests if r.path.startswith(("/v1beta/interactions", "/v1beta/files"))
    ]


def _creates(relay):
    return [r for r in relay.requests if r.method == "POST" and r.path == CREATE]


@pytest.fixture
def omni(make_client, relay):
    relay.requests.clear()  # the session's simulator: only this test's requests are counted

    def make(**options):
        return make_client("interactions", **options)

    return make


def test_text_to_video_by_the_event_stream(omni, relay, api_key):
    client = omni()
    job = client.generate("a red kite over a beach [[sim:normal]]", seconds=3, resolution="360p")
    assert job.status == "succeeded" and job.progress == 100.0
    assert job.relay_model == "gemini-omni-1.2-flash"  # the protocol's default model
    assert_clip(job.videos[0], 640, 360, 3)  # 16:9, Google's default shape
    (create,) = _creates(relay)
    assert create.json == {
        "model": "gemini-omni-1.2-flash",
        "input": "a red kite over a beach [[sim:normal]]",
        "background": True,
        "store": True,
        "response_modalities": ["video"],
        "response_format": {
            "type": "video",
            "aspect_ratio": "16:9",
            "duration": "3s",
            "resolution": "360p",
        },
        "generation_config": {"video_config": {"task": "text_to_video"}},
    }
    followed = [r for r in _interactions(relay) if r.method == "GET"]
    # Followed by the stream alone: no poll was needed.
    assert [r.query for r in followed] == [{"stream": "true"}]
    for request in relay.requests:
        assert "key" not in request.query and "authorization" not in request.headers
        assert api_key not in json.dumps(request.json or {})
    assert all(r.headers.get("x-goog-api-key") == "<redacted>" for r in _interactions(relay))
    sidecar = json.loads(job.videos[0].with_suffix(".json").read_text())
    assert sidecar["protocol"] == "interactions" and sidecar["task_id"] == job.task_id
    assert job.video_urls == [f"{relay.base_url}/v1beta/interactions/{job.task_id}"]


def test_options_first_last_frame_and_seed(omni, relay, tmp_path):
    first = write_png(tmp_path / "a.png")
    last = write_png(tmp_path / "b.png", color=(0, 0, 255))
    job = omni().generate(
        "the sky turns blue",
        model="gemini-omni-1.1-flash",
        orientation="portrait",
        seconds=4,
        seed=7,
        first_frame=first,
        last_frame=last,
    )
    assert job.status == "succeeded"
    assert_clip(job.videos[0], 720, 1280, 4)
    (create,) = _creates(relay)
    text, one, two = create.json["input"]
    assert text == {"type": "text", "text": "the sky turns blue"}
    assert one["type"] == "image" and one["mime_type"] == "image/png"
    assert base64.b64decode(one["data"]) == first.read_bytes()
    assert base64.b64decode(two["data"]) == last.read_bytes()
    assert create.json["response_format"] == {
        "type": "video",
        "aspect_ratio": "9:16",
        "duration": "4s",
    }
    assert create.json["generation_config"] == {
        "seed": 7,
        "video_config": {"task": "image_to_video"},
    }


def test_references_go_with_reference_to_video(omni, relay, tmp_path):
    refs = [write_png(tmp_path / f"r{i}.png") for i in range(2)]
    job = omni().generate("a toy robot walks", references=refs, seconds=3, resolution="360p")
    assert job.status == "succeeded"
    (create,) = _creates(relay)
    assert [p["type"] for p in create.json["input"]] == ["text", "image", "image"]
    assert create.json["generation_config"]["video_config"] == {"task": "reference_to_video"}


def test_polled_when_the_stream_is_off(omni, relay):
    from veo_magic.relays.protocols.interactions import InteractionsAdapter

    client = omni()
    original = InteractionsAdapter.__init__

    def no_stream(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.stream = False

    InteractionsAdapter.__init__ = no_stream
    try:
        job = client.generate("polled kite", seconds=3, resolution="360p")
    finally:
        InteractionsAdapter.__init__ = original
    assert job.status == "succeeded"
    gets = [r for r in _interactions(relay) if r.method == "GET"]
    assert gets and all("stream" not in r.query for r in gets)


def test_uri_delivery_reads_the_file_until_active(omni, relay):
    job = omni().generate("[[sim:uri_delivery]] a kite", seconds=3, resolution="360p")
    assert job.status == "succeeded", job.error
    assert_clip(job.videos[0], 640, 360, 3)
    files = [r for r in relay.requests if r.path.startswith("/v1beta/files/")]
    reads = [r for r in files if not r.path.endswith(":download")]
    downloads = [r for r in files if r.path.endswith(":download")]
    assert len(reads) >= 2  # PROCESSING on the first read, then ACTIVE
    assert [d.query for d in downloads] == [{"alt": "media"}]
    assert all(r.headers.get("x-goog-api-key") == "<redacted>" for r in files)


@pytest.mark.parametrize(
    ("scenario", "words"),
    [
        ("filtered", "withheld by Google's safety filter"),
        ("refuse", "failed"),
        ("failed", "Video generation failed due to an internal error"),
        ("incomplete", "stopped the interaction before it finished"),
    ],
)
def test_endings_without_a_clip(omni, relay, scenario, words):
    started = time.monotonic()
    job = omni().submit(f"[[sim:{scenario}]] a kite", seconds=3, resolution="360p")
    with pytest.raises(veo.VeoGenerationError):
        job.wait(timeout=30)
    assert job.status == "failed" and words in job.error, job.error
    assert job.task_id in job.error
    assert job.recovery is None  # asking again gets the same answer: no resume offered
    assert time.monotonic() - started < 10
    assert len(_creates(relay)) == 1


def test_hard_quota_is_not_retried(omni, relay):
    job = omni().submit("[[sim:quota]] a kite", seconds=3)
    with pytest.raises(veo.VeoError):
        job.wait(timeout=30)
    assert job.status == "failed" and "429" in job.error and "waiting will not help" in job.error
    assert len(_creates(relay)) == 1


def test_cancel_tells_google(api_key, out_dir):
    from veo_magic.simulator import Simulator

    with Simulator(generation_seconds=60) as google:  # long enough for any loaded machine
        client = veo.Client(
            base_url=google.base_url, api_key=api_key, protocol="interactions", output_dir=out_dir
        )
        try:
            job = client.submit("a slow kite", seconds=3)
            wait_until(lambda: job.task_id, timeout=20)
            job.cancel()
            wait_until(job.done, timeout=20)
            assert job.status == "cancelled"
            path = f"/v1beta/interactions/{job.task_id}/cancel"
            wait_until(lambda: any(r.path == path and r.method == "POST" for r in google.requests))
            assert google._state.interactions[job.task_id].cancelled is not None
        finally:
            client.close()


def test_the_interaction_id_is_journalled_at_once(omni, relay, out_dir):
    first = omni()
    job = first.submit("[[sim:slow]] a kite to resume", seconds=3, resolution="360p")
    wait_until(lambda: job.task_id, timeout=10)
    task_id = job.task_id
    job.cancel()  # this process stops following it (and tells Google); a new one resumes
    wait_until(job.done, timeout=10)
    fresh = omni()
    row = fresh.journal.get(job.id)
    assert row["task_id"] == task_id  # journalled the moment the create answered


def test_resume_follows_an_interaction_by_id(omni, relay, api_key):
    import httpx

    answer = httpx.post(
        f"{relay.base_url}{CREATE}",
        headers={"x-goog-api-key": api_key},
        json={
            "model": "gemini-omni-1.2-flash",
            "input": "made elsewhere",
            "background": True,
            "response_format": {"type": "video", "duration": "3s", "resolution": "360p"},
        },
    )
    interaction_id = answer.json()["id"]
    job = omni().resume(interaction_id).wait(timeout=30)
    assert job.status == "succeeded" and job.task_id == interaction_id
    assert_clip(job.videos[0], 640, 360, 3)


def test_an_omni_id_on_the_gemini_protocol_says_use_interactions(make_client):
    client = make_client("gemini")
    with pytest.raises(veo.VeoInputError, match="use protocol interactions"):
        client.submit("a kite", model="gemini-omni-1.2-flash")
