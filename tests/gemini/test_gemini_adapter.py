"""GeminiAdapter against httpx.MockTransport: what it sends, how it reads operations (§3)."""

from __future__ import annotations

import base64

import httpx
import pytest
from gemini_helpers import BASE, INSTANT, KEY, collect, make_relay

from tests.images import jpeg_bytes, png_bytes
from veo_magic._events import Failed, Progress, Submitted, VideoReady
from veo_magic._exceptions import VeoAPIError, VeoInputError, VeoTaskUncertainError
from veo_magic.relays.protocols import adapter_for
from veo_magic.relays.protocols.gemini import (
    ESTIMATE_CAP,
    GeminiAdapter,
    estimated_percent,
    file_id,
    operation_path,
    read_operation,
    submit_body,
    submit_path,
)
from veo_magic.relays.protocols.polling import Pacing
from veo_magic.requests.request import VideoRequest

NAME = "models/veo-3.1-generate-preview/operations/abc123xyz"
URI = f"{BASE}/v1beta/files/f00dcafe1:download?alt=media"
RESPONSE_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse"
FILTER_REASON = "We encountered an issue with the audio for your prompt. You have not been charged."


def build(**kwargs):
    kwargs.setdefault("protocol", "gemini")
    return VideoRequest.build(kwargs.pop("prompt", "a lighthouse at dusk"), **kwargs)


def done(*uris: str, **extra) -> dict:
    samples = [{"video": {"uri": u}} for u in uris]
    result = {"generatedSamples": samples} if samples else {}
    result.update(extra)
    return {
        "name": NAME,
        "done": True,
        "response": {
            "@type": RESPONSE_TYPE,
            "generateVideoResponse": result,
        },
    }


class FakeGoogle:
    """Answers the submit with ``submitted`` and each poll with the next of ``polls``."""

    def __init__(self, polls: list[dict | httpx.Response], submitted: dict | None = None) -> None:
        self.submitted = {"name": NAME} if submitted is None else submitted
        self.polls = list(polls)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.submitted if request.method == "POST" else self.polls.pop(0)
        return answer if isinstance(answer, httpx.Response) else httpx.Response(200, json=answer)


async def run(fake: FakeGoogle, request=None, **kwargs) -> list:
    return await collect(GeminiAdapter(make_relay(fake), pacing=INSTANT).run(request, **kwargs))


def test_registered_under_its_name():
    assert adapter_for("gemini") is GeminiAdapter and GeminiAdapter.name == "gemini"


# -- the submit body ----------------------------------------------------------------------------


def test_text_only_sends_what_was_asked():
    assert submit_body(build()) == {
        "instances": [{"prompt": "a lighthouse at dusk"}],
        "parameters": {"sampleCount": 1, "durationSeconds": 8},
    }
    assert (
        submit_path(build().wire_model)
        == "/v1beta/models/veo-3.1-generate-preview:predictLongRunning"
    )


def test_every_parameter_under_googles_names():
    body = submit_body(
        build(
            orientation="portrait",
            resolution="1080p",
            seconds=8,  # Google makes 1080p at 8 s only
            first_frame=png_bytes(),  # an image takes allow_adult (text takes allow_all)
            negative_prompt="fog",
            person_generation="allow_adult",
        )
    )
    assert body["parameters"] == {
        "sampleCount": 1,
        "durationSeconds": 8,
        "aspectRatio": "9:16",
        "resolution": "1080p",
        "negativePrompt": "fog",
        "personGeneration": "allow_adult",
    }
    assert isinstance(body["parameters"]["durationSeconds"], int)


def test_frames_go_inline_as_base64_with_their_type():
    first, last = png_bytes(), jpeg_bytes()
    instance = submit_body(build(first_frame=first, last_frame=last))["instances"][0]
    assert instance["image"] == {
        "bytesBase64Encoded": base64.b64encode(first).decode(),
        "mimeType": "image/png",
    }
    assert instance["lastFrame"]["mimeType"] == "image/jpeg"
    assert base64.b64decode(instance["lastFrame"]["bytesBase64Encoded"]) == last


def test_references_are_assets():
    refs = [png_bytes(color=(i * 60, 0, 0)) for i in range(3)]
    instance = submit_body(build(references=refs))["instances"][0]
    assert [r["referenceType"] for r in instance["referenceImages"]] == ["ASSET"] * 3
    assert (
        base64.b64decode(instance["referenceImages"][2]["image"]["bytesBase64Encoded"]) == refs[2]
    )
    assert "image" not in instance and "lastFrame" not in instance


def test_extension_sends_the_video_uri_at_720p_without_a_length():
    body = submit_body(build(prompt="the storm rolls in", extend=URI))
    assert body == {
        "instances": [{"prompt": "the storm rolls in", "video": {"uri": URI}}],
        "parameters": {"sampleCount": 1, "resolution": "720p"},
    }


def test_operation_path_keeps_the_name():
    assert operation_path(NAME) == f"/v1beta/{NAME}"


# -- reading operations -------------------------------------------------------------------------


def test_a_running_operation_is_just_its_name():
    assert not read_operation({"name": NAME}).done
    assert not read_operation({"name": NAME, "done": False}).done
    assert not read_operation(None).done and not read_operation("<html>").done


def test_samples_filter_and_error_are_read():
    assert read_operation(done(URI, URI + "2")).uris == (URI, URI + "2")
    filtered = read_operation(
        done(raiMediaFilteredCount=1, raiMediaFilteredReasons=[FILTER_REASON])
    )
    assert (filtered.uris, filtered.filtered_count, filtered.filtered_reasons) == (
        (),
        1,
        (FILTER_REASON,),
    )
    error = read_operation({"name": NAME, "done": True, "error": {"code": 13, "message": "boom"}})
    assert (error.error, error.error_code) == ("boom", "13")


def test_estimate_rises_never_decreases_and_stays_below_done():
    values = [estimated_percent(t, 90.0) for t in range(0, 2000, 5)]
    assert values == sorted(values) and values[0] == 0.0
    assert max(values) <= ESTIMATE_CAP < 100
    assert 70 < estimated_percent(90.0, 90.0) < 90


def test_file_id_is_read_like_google_genai_reads_it():
    assert file_id(URI) == "f00dcafe1"
    assert file_id("https://cdn.test/clip.mp4") is None


# -- the whole run ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_submit_poll_and_ready_with_the_key_in_a_header_only():
    fake = FakeGoogle([{"name": NAME}, done(URI)])
    events = await run(fake, build())
    assert events[0] == Submitted(NAME, model="veo-3.1-generate-preview")
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress and all(p.percent is not None and p.percent < 100 for p in progress)
    assert "estimate" in progress[0].message
    assert events[-1] == VideoReady(0, URI, authenticated=True)
    submit, *polls = fake.requests
    assert submit.url.path == "/v1beta/models/veo-3.1-generate-preview:predictLongRunning"
    assert [str(p.url) for p in polls] == [f"{BASE}/v1beta/{NAME}"] * 2
    for request in fake.requests:
        assert request.headers["x-goog-api-key"] == KEY
        assert "authorization" not in request.headers
        assert KEY not in str(request.url) and "key" not in request.url.params


@pytest.mark.anyio
async def test_two_samples_are_two_clips():
    two = build(model="veo2", n=2)  # Veo 2 makes up to 2 a request; Veo 3.x makes 1
    events = await run(FakeGoogle([done(URI, URI.replace("f00dcafe1", "beef2"))]), two)
    ready = [e for e in events if isinstance(e, VideoReady)]
    assert [r.index for r in ready] == [0, 1] and all(r.authenticated for r in ready)


@pytest.mark.anyio
async def test_a_uri_on_another_host_is_fetched_through_the_configured_base():
    """The API behind a proxy (or the simulator) hands out Google's URIs: fetch them as
    google-genai does, through the base, so the key never goes anywhere else."""
    fake = FakeGoogle([done(URI)])
    relay = make_relay(fake, base_url="http://proxy.test/gemini")
    events = await collect(GeminiAdapter(relay, pacing=INSTANT).run(build()))
    assert events[-1] == VideoReady(
        0, "http://proxy.test/gemini/v1beta/files/f00dcafe1:download?alt=media", authenticated=True
    )
    assert (
        fake.requests[0].url.path
        == "/gemini/v1beta/models/veo-3.1-generate-preview:predictLongRunning"
    )


@pytest.mark.anyio
async def test_a_foreign_link_that_is_not_a_google_file_goes_without_the_key():
    events = await run(FakeGoogle([done("https://cdn.test/clip.mp4")]), build())
    assert events[-1] == VideoReady(0, "https://cdn.test/clip.mp4", authenticated=False)


@pytest.mark.anyio
async def test_filtered_operation_fails_quoting_the_reasons_and_count():
    fake = FakeGoogle([done(raiMediaFilteredCount=2, raiMediaFilteredReasons=[FILTER_REASON])])
    events = await run(fake, build(model="veo2", n=2))
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.task_id == NAME
    assert FILTER_REASON in failed.message and "raiMediaFilteredCount=2" in failed.message
    assert not any(isinstance(e, VideoReady) for e in events)


@pytest.mark.anyio
async def test_operation_error_fails_with_message_and_status():
    error = {"code": 3, "message": "Unsupported aspect ratio.", "status": "INVALID_ARGUMENT"}
    events = await run(FakeGoogle([{"name": NAME, "done": True, "error": error}]), build())
    assert events[-1] == Failed(
        "Google reported an error (INVALID_ARGUMENT): Unsupported aspect ratio.",
        task_id=NAME,
        code="INVALID_ARGUMENT",
    )


@pytest.mark.anyio
async def test_done_with_nothing_fails_saying_so():
    events = await run(FakeGoogle([done()]), build())
    assert isinstance(events[-1], Failed) and "no video and no reason" in events[-1].message


@pytest.mark.anyio
async def test_quota_error_is_an_api_error_in_googles_words():
    body = {
        "error": {
            "code": 429,
            "message": "You exceeded your current quota.",
            "status": "RESOURCE_EXHAUSTED",
        }
    }
    fake = FakeGoogle([], submitted=httpx.Response(429, json=body))
    with pytest.raises(VeoAPIError) as info:
        await run(fake, build())
    assert info.value.status_code == 429 and "exceeded your current quota" in str(info.value)
    assert KEY not in str(info.value)


@pytest.mark.anyio
async def test_an_answer_without_a_name_is_uncertain():
    with pytest.raises(VeoTaskUncertainError, match="no operation name"):
        await run(FakeGoogle([], submitted={"done": False}), build())


@pytest.mark.anyio
async def test_resume_follows_the_operation_without_submitting():
    fake = FakeGoogle([done(URI)])
    events = await run(fake, None, task_id=NAME)
    assert [r.method for r in fake.requests] == ["GET"]
    assert events[0] == Submitted(NAME, model="veo-3.1-generate-preview")
    assert isinstance(events[-1], VideoReady)


@pytest.mark.anyio
async def test_resume_refuses_what_is_not_an_operation_name():
    fake = FakeGoogle([])
    with pytest.raises(VeoInputError, match="not a Gemini operation name"):
        await run(fake, None, task_id="3fa2c1d0e9b8")
    assert fake.requests == []


@pytest.mark.anyio
async def test_the_poll_schedule_uses_the_configured_interval():
    slept: list[float] = []
    fake = FakeGoogle([{"name": NAME}] * 3 + [done(URI)])
    relay = make_relay(fake)

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    relay.sleep = sleep  # type: ignore[method-assign]
    await collect(GeminiAdapter(relay, pacing=Pacing(1.0, 10.0)).run(build()))
    assert len(slept) == 4 and all(1.0 <= s <= 10.0 for s in slept)
