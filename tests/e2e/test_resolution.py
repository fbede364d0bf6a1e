"""Resolution on the relays end to end (issue 13): a 4K model name on videos and chat, a model
the relay's upstream retired."""

from __future__ import annotations

import pytest

import veo_magic as veo
from tests.support import assert_saved_clip


@pytest.fixture(autouse=True)
def _fresh_log(relay):
    relay.requests.clear()  # what a test reads is what it sent


def creates(relay, path: str) -> list:
    return [r for r in relay.requests if r.method == "POST" and r.path == path]


def test_a_4k_name_on_videos(make_client, relay):
    job = make_client("videos").generate("a red fox in snow", model="veo_3_1", resolution="4k")
    assert job.status == "succeeded"
    assert_saved_clip(job.videos[0])
    (create,) = creates(relay, "/v1/videos")
    assert create.json["model"] == "veo_3_1-4K" and create.json["seconds"] == "8"
    assert job.record["resolution"] == "4k" and job.model == "veo_3_1-4K"
    assert "seconds 8: 4k needs seconds=8" in job.record["notes"]
    assert job.estimated_cost == 0.50  # a relay's per-clip price: twice its tier for 4K


def test_a_4k_name_given_as_is_on_chat(make_client, relay):
    job = make_client("chat").generate("a red fox in snow", model="veo3.1-4k")
    assert job.status == "succeeded" and job.record["resolution"] == "4k"
    assert creates(relay, "/v1/chat/completions")[0].json["model"] == "veo3.1-4k"


def test_no_route_fails_before_anything_is_sent(make_client, relay):
    client = make_client("chat")
    before = len(relay.requests)
    with pytest.raises(veo.VeoInputError, match="no relay sells a 1080p name"):
        client.submit("a red fox", resolution="1080p")
    assert len(relay.requests) == before and client.jobs() == []


def test_a_retired_upstream_ends_the_job_saying_so(make_client, relay):
    job = make_client("videos").submit("a red fox [[sim:retired]]")
    with pytest.raises(veo.VeoGenerationError):
        job.wait(timeout=30)
    assert job.recovery is None and "is no longer served" in job.error
    assert "is no longer available" in job.error and "Vertex AI" in job.error
    assert len(creates(relay, "/v1/videos")) == 1
