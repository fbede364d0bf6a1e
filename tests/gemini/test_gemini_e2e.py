"""protocol="gemini" end to end: a Client with a Google key against the simulator's routes."""

from __future__ import annotations

import asyncio
import base64
import json

import httpx
import pytest
from gemini_helpers import KEY, submits

import veo_magic as veo
from tests.images import jpeg_bytes, write_png
from tests.support import assert_clip
from veo_magic.cli import main as cli_main
from veo_magic.relays.http import Relay
from veo_magic.relays.protocols.gemini import GeminiAdapter
from veo_magic.requests.request import VideoRequest

SUBMIT = "/v1beta/models/veo-3.1-generate-preview:predictLongRunning"


def test_text_to_video(gemini_client, google):
    job = gemini_client().generate("a lighthouse at dusk")
    assert job.status == "succeeded" and job.progress == 100.0
    assert job.task_id.startswith("models/veo-3.1-generate-preview/operations/")
    assert job.relay_model == "veo-3.1-generate-preview"
    assert_clip(job.videos[0], 1280, 720, 8)  # Google's default: 16:9 at 720p
    (submit,) = submits(google)
    assert submit.path == SUBMIT
    assert submit.json == {
        "instances": [{"prompt": "a lighthouse at dusk"}],
        "parameters": {"sampleCount": 1, "durationSeconds": 8},
    }
    for request in google.requests:
        assert "key" not in request.query and "authorization" not in request.headers
        assert KEY not in json.dumps(request.json or {})
    on_google = [r for r in google.requests if r.path.startswith("/v1beta/")]
    assert all(r.headers["x-goog-api-key"] == "<redacted>" for r in on_google)
    # The download: the file route with the key, then Google's redirect to another host without it.
    download = [r for r in google.requests if r.path.endswith(":download")]
    assert [(r.query, r.status) for r in download] == [({"alt": "media"}, 302)]
    (fetched,) = [r for r in google.requests if r.path.startswith("/files/")]
    assert (
        fetched.headers["host"].startswith("localhost:") and "x-goog-api-key" not in fetched.headers
    )
    sidecar = json.loads(job.videos[0].with_suffix(".json").read_text())
    assert sidecar["protocol"] == "gemini" and sidecar["source_url"] == job.video_urls[0]


def test_first_frame(gemini_client, google, tmp_path):
    first = write_png(tmp_path / "start.png")
    job = gemini_client().generate("the lamp lights up", first_frame=first, orientation="portrait")
    assert_clip(job.videos[0], 720, 1280, 8)
    (submit,) = submits(google)
    image = submit.json["instances"][0]["image"]
    assert image["mimeType"] == "image/png"
    assert base64.b64decode(image["bytesBase64Encoded"]) == first.read_bytes()
    assert submit.json["parameters"]["aspectRatio"] == "9:16"


def test_first_and_last_frame(gemini_client, google, tmp_path):
    first = write_png(tmp_path / "a.png")
    job = gemini_client().generate("morph", first_frame=first, last_frame=jpeg_bytes())
    assert_clip(job.videos[0], 1280, 720, 8)
    instance = submits(google)[0].json["instances"][0]
    assert set(instance) == {"prompt", "image", "lastFrame"}
    assert instance["lastFrame"]["mimeType"] == "image/jpeg"


def test_three_references(gemini_client, google, tmp_path):
    refs = [write_png(tmp_path / f"r{i}.png", color=(i * 80, 10, 10)) for i in range(3)]
    job = gemini_client().generate("a product shot", references=refs)
    assert_clip(job.videos[0], 1280, 720, 8)
    instance = submits(google)[0].json["instances"][0]
    assert [r["referenceType"] for r in instance["referenceImages"]] == ["ASSET"] * 3


def test_two_samples(gemini_client, google):
    # Veo 2 makes up to 2 videos a request (Veo 3.x makes 1: Google's table)
    job = gemini_client().generate("a pig flying over the sea", model="veo2", n=2)
    assert submits(google)[0].json["parameters"]["sampleCount"] == 2
    assert len(job.videos) == 2 and len(set(job.videos)) == 2
    assert len(set(job.video_urls)) == 2
    for path in job.videos:
        assert_clip(path, 1280, 720, 8)


def test_1080p_is_rendered_at_full_size(gemini_client, google):
    job = gemini_client().generate("a lighthouse at dusk", resolution="1080p", seconds=8)
    assert submits(google)[0].json["parameters"] == {
        "sampleCount": 1,
        "durationSeconds": 8,
        "resolution": "1080p",
    }
    assert_clip(job.videos[0], 1920, 1080, 8)


@pytest.mark.parametrize(
    ("scenario", "words"),
    [("refuse", "You have not been charged"), ("filtered", "Responsible AI practices")],
)
def test_filtered_is_a_failed_job_quoting_googles_reasons(gemini_client, google, scenario, words):
    google.set_scenario(scenario)
    job = gemini_client().submit("something the filter keeps")
    with pytest.raises(veo.VeoGenerationError) as info:
        job.wait(timeout=30)
    assert job.status == "failed" and job.videos == []
    assert words in job.error and "raiMediaFilteredCount=1" in job.error
    assert job.task_id in str(info.value)


def test_quota_is_an_api_error_with_googles_message(gemini_client, google):
    google.set_scenario("quota")
    client = gemini_client()
    before = google.accepted_creates
    job = client.submit("anything")
    with pytest.raises(veo.VeoGenerationError):
        job.wait(timeout=30)
    assert "HTTP 429" in job.error and "exceeded your current quota" in job.error
    assert job.task_id is None and google.accepted_creates == before

    async def submit_directly() -> list:
        headers = {"x-goog-api-key": KEY}
        async with (
            httpx.AsyncClient(base_url=google.base_url, headers=headers) as http,
            httpx.AsyncClient() as public,
        ):
            adapter = GeminiAdapter(Relay(http, public))
            return [e async for e in adapter.run(VideoRequest.build("x", protocol="gemini"))]

    with pytest.raises(veo.VeoAPIError) as info:
        asyncio.run(submit_directly())
    assert info.value.status_code == 429 and "quota" in info.value.message


@pytest.mark.parametrize(
    "option", [{"seed": 7}, {"generate_audio": False}, {"fps": 24}, {"storage_uri": "gs://b/x"}]
)
def test_vertex_only_options_fail_before_any_request(gemini_client, google, option):
    client = gemini_client()
    with pytest.raises(veo.VeoInputError, match="Vertex AI") as info:
        client.submit("a lighthouse", **option)
    assert info.value.field == next(iter(option))
    assert google.requests == [] and client.jobs() == []


def test_extension_continues_a_clip_by_seven_seconds(gemini_client, google):
    client = gemini_client()
    clip = client.generate("a lighthouse at dusk", resolution="1080p")
    extended = client.generate("the storm rolls in", extend=clip)
    assert_clip(extended.videos[0], 1280, 720, 8 + 7)  # extensions come back at 720p
    body = submits(google)[-1].json
    assert body["instances"][0]["video"] == {"uri": clip.video_urls[0]}
    assert (
        body["parameters"]["resolution"] == "720p" and "durationSeconds" not in body["parameters"]
    )
    again = client.generate("and the sun comes out", extend=extended.video_urls[0])
    assert_clip(again.videos[0], 1280, 720, 8 + 7 + 7)


def test_job_extend_sends_the_clips_uri_and_keeps_the_lineage(gemini_client, google):
    first = gemini_client().generate("a lighthouse at dusk", seed=None)
    longer = first.extend(prompt="the storm rolls in").wait(timeout=60)
    body = submits(google)[-1].json
    assert body["instances"][0] == {
        "prompt": "the storm rolls in",
        "video": {"uri": first.video_urls[0]},
    }
    assert longer.parent is first and longer.record["lineage"]["total_seconds"] == 15
    with pytest.raises(veo.VeoInputError, match="interactions"):
        first.edit("make it night")


def test_extension_of_a_clip_google_did_not_make_is_refused_by_google(gemini_client, google):
    job = gemini_client().submit("more", extend="https://example.test/v1beta/files/nope:download")
    with pytest.raises(veo.VeoGenerationError):
        job.wait(timeout=30)
    assert "HTTP 400" in job.error and "not a finished video generated by Veo" in job.error


def test_resume_by_operation_name_in_a_new_client(gemini_client, google):
    first = gemini_client()
    job = first.generate("resume me")
    again = gemini_client().resume(job.task_id)
    assert again.wait(timeout=30).status == "succeeded" and again.id == job.id
    assert [r.method for r in submits(google)] == ["POST"]  # resuming never submits


def test_an_expired_download_link_is_asked_for_again(gemini_client, google):
    google.set_scenario("url_expired")
    job = gemini_client().generate("a lighthouse")
    assert job.status == "succeeded"
    assert [r.status for r in google.requests if r.path.startswith("/files/")] == [403, 200]


def test_the_simulator_wants_the_key_in_the_header(google):
    before = google.accepted_creates
    url = f"{google.base_url}{SUBMIT}"
    body = {"instances": [{"prompt": "x"}]}
    missing = httpx.post(url, json=body)
    assert missing.status_code == 403
    assert missing.json()["error"]["status"] == "PERMISSION_DENIED"
    bearer = httpx.post(url, json=body, headers={"Authorization": f"Bearer {KEY}"})
    assert bearer.json()["error"]["status"] == "UNAUTHENTICATED"
    in_url = httpx.post(url, params={"key": KEY}, json=body, headers={"x-goog-api-key": KEY})
    assert in_url.status_code == 400 and "x-goog-api-key" in in_url.json()["error"]["message"]
    assert all(KEY not in json.dumps(r.query) for r in google.requests)
    assert google.accepted_creates == before


def test_the_simulator_refuses_what_google_refuses(google):
    before = google.accepted_creates
    url = f"{google.base_url}{SUBMIT}"
    headers = {"x-goog-api-key": KEY}
    cases = [
        ({"parameters": {"seed": 1}}, "not supported in the Gemini API"),
        ({"parameters": {"numberOfVideos": 2}}, 'Unknown name "numberOfVideos"'),
        ({"parameters": {"durationSeconds": "8"}}, "durationSeconds"),
        ({"parameters": {"durationSeconds": 7}}, "durationSeconds"),
        ({"parameters": {"aspectRatio": "1:1"}}, "aspectRatio"),
    ]
    for extra, words in cases:
        answer = httpx.post(url, json={"instances": [{"prompt": "x"}], **extra}, headers=headers)
        assert answer.status_code == 400, extra
        assert answer.json()["error"]["status"] == "INVALID_ARGUMENT"
        assert words in answer.json()["error"]["message"]
    assert google.accepted_creates == before


def test_cli_generates_1080p_through_google(google, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VEO_BASE_URL", google.base_url)
    monkeypatch.setenv("VEO_API_KEY", KEY)
    argv = ["generate", "a lighthouse at dusk", "--protocol", "gemini", "--resolution", "1080p"]
    assert cli_main([*argv, "--out-dir", str(tmp_path)]) == 0
    saved = capsys.readouterr().out.strip().splitlines()
    assert len(saved) == 1
    assert_clip(tmp_path / saved[0].rpartition("/")[2], 1920, 1080, 8)
    assert submits(google)[0].json["parameters"]["resolution"] == "1080p"


def test_cli_extends_a_job_named_by_its_id(google, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VEO_BASE_URL", google.base_url)
    monkeypatch.setenv("VEO_API_KEY", KEY)
    common = ["--protocol", "gemini", "--out-dir", str(tmp_path)]
    assert cli_main(["generate", "a lighthouse at dusk", *common]) == 0
    capsys.readouterr()
    from veo_magic.jobs.journal import Journal

    (first,) = Journal(tmp_path).list()
    assert cli_main(["generate", "the storm rolls in", "--extend", first["id"], *common]) == 0
    saved = capsys.readouterr().out.strip().splitlines()
    assert_clip(tmp_path / saved[-1].rpartition("/")[2], 1280, 720, 8 + 7)
    assert submits(google)[-1].json["instances"][0]["video"] == {"uri": first["video_urls"][0]}
