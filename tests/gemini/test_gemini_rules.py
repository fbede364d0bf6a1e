"""Google's Veo rules end to end (issue 13): the client's choices on the simulator, the
simulator's refusals in Google's words, a retired model, and the 2-day retention."""

from __future__ import annotations

import asyncio
import base64
import calendar
import json
import time

import httpx
import pytest
from gemini_helpers import KEY, submits

import veo_magic as veo
from tests.images import jpeg_bytes, png_bytes
from tests.support import assert_clip
from veo_magic.catalog.models import parse_model
from veo_magic.notebook.job_view import final_html, final_text
from veo_magic.relays.http import Relay
from veo_magic.relays.protocols.gemini import RETENTION_SECONDS, GeminiAdapter
from veo_magic.requests.request import VideoRequest

SUBMIT = "/v1beta/models/{model}:predictLongRunning"
IMAGE = {"bytesBase64Encoded": base64.b64encode(png_bytes()).decode(), "mimeType": "image/png"}
LAST = {"bytesBase64Encoded": base64.b64encode(jpeg_bytes()).decode(), "mimeType": "image/jpeg"}
REFS = [{"image": IMAGE, "referenceType": "ASSET"}]


def test_1080p_on_gemini_with_the_length_left_to_the_rule(gemini_client, google):
    job = gemini_client().generate("a lighthouse at dusk", resolution="1080p", landscape=True)
    assert submits(google)[0].json["parameters"] == {
        "sampleCount": 1,
        "durationSeconds": 8,
        "aspectRatio": "16:9",
        "resolution": "1080p",
    }
    assert_clip(job.videos[0], 1920, 1080, 8)
    assert "seconds 8: 1080p needs seconds=8" in job.record["notes"]
    assert job.estimated_cost == pytest.approx(3.20)  # 8 s x $0.40 at 1080p
    # The view's summary line and the sidecar say what was chosen, and when Google's copy goes.
    html, text = final_html(job), final_text(job)
    assert "1080p needs seconds=8" in html and "Google deletes its copy after" in html
    assert "resolution: 1080p" in text and "remote copy: Google deletes its copy" in text
    sidecar = json.loads(job.videos[0].with_suffix(".json").read_text())
    assert sidecar["request"]["notes"] == job.record["notes"]
    expires = calendar.timegm(time.strptime(sidecar["remote_expires_at"], "%Y-%m-%dT%H:%M:%SZ"))
    assert expires == pytest.approx(job.created_at + RETENTION_SECONDS, abs=2)


def test_a_client_that_skips_the_rules_is_refused_by_the_simulator(google):
    """A request built by hand (no ``build`` checks) meets Google's own answer."""
    unchecked = VideoRequest(
        prompt="a lighthouse",
        protocol="gemini",
        spec=parse_model("veo-3.1-generate-preview"),
        seconds=6,
        options={"resolution": "1080p"},
    )

    async def submit() -> list:
        async with (
            httpx.AsyncClient(base_url=google.base_url, headers={"x-goog-api-key": KEY}) as http,
            httpx.AsyncClient() as public,
        ):
            return [e async for e in GeminiAdapter(Relay(http, public)).run(unchecked)]

    before = google.accepted_creates
    with pytest.raises(veo.VeoAPIError) as info:
        asyncio.run(submit())
    assert info.value.status_code == 400 and info.value.code == "INVALID_ARGUMENT"
    assert info.value.detail == "1080p is not supported for a duration of 6 seconds."
    assert google.accepted_creates == before


@pytest.mark.parametrize(
    ("model", "instance", "parameters", "message"),
    [
        (
            "veo-3.1-generate-preview",
            {},
            {"durationSeconds": 6, "resolution": "1080p"},
            "1080p is not supported for a duration of 6 seconds.",
        ),
        (
            "veo-3.1-fast-generate-preview",
            {},
            {"durationSeconds": 4, "resolution": "4k"},
            "4k is not supported for a duration of 4 seconds.",
        ),
        (
            "veo-3.1-generate-preview",
            {},
            {"durationSeconds": 5},
            "The number value for `durationSeconds` is out of bound. Please provide a value "
            "between 4 and 8, inclusive.",
        ),
        (
            "veo-3.1-generate-preview",
            {},
            {"durationSeconds": "8"},
            "The value type for `durationSeconds` needs to be a number.",
        ),
        (
            "veo-3.1-generate-preview",
            {},
            {"personGeneration": "allow_adult"},
            "allow_adult for personGeneration is currently not supported.",
        ),
        (
            "veo-3.1-generate-preview",
            {"image": IMAGE},
            {"personGeneration": "allow_all"},
            "allow_all for personGeneration is currently not supported.",
        ),
        (
            "veo-3.1-generate-preview",
            {},
            {"personGeneration": "dont_allow"},
            "dont_allow for personGeneration is currently not supported.",
        ),
        (
            "veo-3.1-generate-preview",
            {"image": IMAGE, "lastFrame": LAST},
            {"durationSeconds": 6},
            "Your use case is currently not supported.",
        ),
        (
            "veo-3.1-generate-preview",
            {"referenceImages": REFS},
            {"durationSeconds": 4},
            "Your use case is currently not supported.",
        ),
        (
            "veo-3.1-generate-preview",
            {"referenceImages": REFS},
            {"negativePrompt": "fog"},
            "Negative prompt is not supported in your use case.",
        ),
        (
            "veo-3.1-lite-generate-preview",
            {"referenceImages": REFS},
            {},
            "`referenceImages` isn't supported by this model.",
        ),
        (
            "veo-3.1-lite-generate-preview",
            {},
            {"resolution": "4k"},
            "Your use case is currently not supported.",
        ),
        (
            "veo-3.1-generate-preview",
            {},
            {"sampleCount": 2},
            "sampleCount 2 is out of bound for this model. Please provide a value between 1 and 1, "
            "inclusive.",
        ),
        (
            "veo-3.1-generate-preview",
            {},
            {"enhancePrompt": True},
            "`enhancePrompt` isn't supported by this model.",
        ),
        (
            "veo-2.0-generate-001",
            {},
            {"resolution": "720p"},
            "`resolution` isn't supported by this model.",
        ),
        (
            "veo-3.1-generate-preview",
            {"prompt": "x" * 4097},
            {},
            "The input token count (1025) exceeds the maximum number of tokens allowed (1024).",
        ),
    ],
)
def test_the_simulator_answers_as_google_does(google, model, instance, parameters, message):
    before = google.accepted_creates
    body = {"instances": [{"prompt": "x", **instance}], "parameters": parameters}
    answer = httpx.post(
        google.base_url + SUBMIT.format(model=model), json=body, headers={"x-goog-api-key": KEY}
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}
    }
    assert google.accepted_creates == before


def test_the_simulator_takes_what_google_takes(google):
    """The same inputs within the rules are accepted (and so charged)."""
    headers = {"x-goog-api-key": KEY}
    cases = [
        ("veo-3.1-generate-preview", {"image": IMAGE}, {"personGeneration": "allow_adult"}),
        ("veo-3.1-lite-generate-preview", {}, {"resolution": "1080p", "durationSeconds": 8}),
        ("veo-2.0-generate-001", {}, {"sampleCount": 2, "durationSeconds": 5}),
    ]
    for model, instance, parameters in cases:
        body = {"instances": [{"prompt": "x", **instance}], "parameters": parameters}
        answer = httpx.post(
            google.base_url + SUBMIT.format(model=model), json=body, headers=headers
        )
        assert answer.status_code == 200, answer.text


def test_a_retired_model_ends_the_job_saying_so_without_a_retry(gemini_client, google):
    google.set_scenario("retired")
    job = gemini_client().submit("a lighthouse at dusk")
    with pytest.raises(veo.VeoGenerationError) as info:
        job.wait(timeout=30)
    assert job.status == "failed" and job.recovery is None and job.task_id is None
    assert "Google retired veo-3.1-generate-preview on the Gemini API on 2026-10-22" in job.error
    assert "is no longer available" in job.error and "gemini-omni-1.1-flash" in job.error
    assert "check the base URL" not in job.error  # Google's own words are quoted, not our hint
    assert job.next_step(lambda ref: f"resume {ref}") == "" and "resume it" not in str(info.value)
    assert len(submits(google)) == 1  # a 404 is never sent again


def test_resume_of_a_gemini_job_older_than_two_days_says_why(gemini_client, google):
    client = gemini_client()
    job = client.generate("a lighthouse at dusk")
    client.journal.update(job.id, created_at=time.time() - 3 * 86400)
    google.requests.clear()
    with pytest.raises(veo.VeoInputError) as info:
        gemini_client().resume(job.id)
    assert info.value.field == "task_id"
    assert "Google keeps a generated clip for 2 days only" in str(info.value)
    assert job.videos[0].name in str(info.value)  # where the clip was saved
    with pytest.raises(veo.VeoInputError, match="2 days only"):
        gemini_client().resume(job.task_id)  # by Google's operation name, the same
    assert google.requests == []  # nothing was asked of Google
