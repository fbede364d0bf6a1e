"""protocol="vertex" end to end: google-auth's sign-in, the simulator's Vertex routes, the clip."""

from __future__ import annotations

import base64
import json
import re
import threading

import pytest
from vertex_helpers import LOCATION, MODELS, PROJECT, polls, start_operation, submit_path, submits

import veo_magic as veo
from tests.images import write_png
from tests.support import assert_clip

OPERATION = re.compile(
    rf"^projects/{PROJECT}/locations/{LOCATION}/publishers/google/models/"
    r"(?P<model>[^/]+)/operations/[0-9a-f-]{36}$"
)


def test_text_to_video_signs_in_and_saves_the_inline_clip(vertex_client, google):
    job = vertex_client().generate("a lighthouse at dusk")
    assert job.status == "succeeded" and job.error is None
    match = OPERATION.match(job.task_id)
    assert match and match["model"] == "veo-3.1-generate-001"
    assert_clip(job.videos[0], 1280, 720, 8)  # Vertex's default: 16:9 at 720p, 8 s
    paths = [(r.method, r.path) for r in google.requests]
    assert paths[:2] == [("POST", "/token"), ("POST", submit_path())]
    assert {p for p in paths[2:]} == {
        ("POST", f"{MODELS}/veo-3.1-generate-001:fetchPredictOperation")
    }
    (submit,) = submits(google)
    assert submit.json == {
        "instances": [{"prompt": "a lighthouse at dusk"}],
        "parameters": {"sampleCount": 1, "durationSeconds": 8},
    }
    assert all(p.json == {"operationName": job.task_id} for p in polls(google))
    on_vertex = [r for r in google.requests if r.path != "/token"]
    assert all(r.auth_bearer and r.headers["authorization"] == "<redacted>" for r in on_vertex)
    sidecar = json.loads(job.videos[0].with_suffix(".json").read_text())
    assert sidecar["protocol"] == "vertex" and sidecar["task_id"] == job.task_id


def test_options_reach_vertex_as_its_parameters(vertex_client, google):
    job = vertex_client().generate(
        "two foxes",
        orientation="portrait",
        fast=True,
        seconds=4,
        n=2,
        negative_prompt="rain",
        seed=1234,
        person_generation="dont_allow",
        generate_audio=False,
    )
    assert job.status == "succeeded" and len(job.videos) == 2
    for clip in job.videos:
        assert_clip(clip, 720, 1280, 4)
    (submit,) = submits(google)
    assert submit.path == submit_path("veo-3.1-fast-generate-001")
    assert submit.json["parameters"] == {
        "sampleCount": 2,
        "durationSeconds": 4,
        "aspectRatio": "9:16",
        "negativePrompt": "rain",
        "personGeneration": "dont_allow",
        "seed": 1234,
        "generateAudio": False,
    }


def test_1080p_is_made_at_8_seconds(vertex_client, google):
    job = vertex_client().generate("a city", resolution="1080p", orientation="landscape")
    assert_clip(job.videos[0], 1920, 1080, 8)
    assert submits(google)[0].json["parameters"]["resolution"] == "1080p"
    with pytest.raises(veo.VeoInputError, match="1080p needs seconds=8"):
        vertex_client().submit("a city", resolution="1080p", seconds=4)
    assert len(submits(google)) == 1  # the refusal sent nothing


def test_first_frame_goes_inline(vertex_client, google, tmp_path):
    first = write_png(tmp_path / "start.png")
    job = vertex_client().generate("the lamp lights up", first_frame=first)
    assert job.status == "succeeded"
    image = submits(google)[0].json["instances"][0]["image"]
    assert base64.b64decode(image["bytesBase64Encoded"]) == first.read_bytes()
    assert image["mimeType"] == "image/png"


def test_a_gcs_output_is_fetched_with_the_same_token(vertex_client, google):
    job = vertex_client().generate("a harbour", storage_uri="gs://veo-outputs/clips/")
    assert job.status == "succeeded"
    assert_clip(job.videos[0], 1280, 720, 8)
    assert submits(google)[0].json["parameters"]["storageUri"] == "gs://veo-outputs/clips/"
    operation = job.task_id.rpartition("/")[2]
    (fetched,) = [r for r in google.requests if r.path.startswith("/storage/")]
    assert fetched.path == f"/storage/v1/b/veo-outputs/o/clips/{operation}/sample_0.mp4"
    assert fetched.query == {"alt": "media"} and fetched.status == 200 and fetched.auth_bearer
    assert job.video_urls[0].endswith(f"/o/clips%2F{operation}%2Fsample_0.mp4?alt=media")


def test_a_filtered_clip_ends_the_job_quoting_google(vertex_client, google):
    job = vertex_client().submit("something unsafe [[sim:refuse]]")
    with pytest.raises(veo.VeoGenerationError):
        job.wait(timeout=30)
    assert job.status == "failed"
    assert "raiMediaFilteredCount=1" in job.error
    assert "Responsible AI" in job.error or "could not generate" in job.error
    assert job.recovery != "resume" and job.videos == []
    assert len(submits(google)) == 1


def test_resume_follows_an_operation_by_name_after_a_restart(
    vertex_client, google, service_account
):
    # An operation some earlier process started: only its name is known here.
    name = start_operation(google, service_account, "a slow pan")
    client = vertex_client()
    google.requests.clear()
    job = client.resume(name)
    job.wait(timeout=60)
    assert job.status == "succeeded" and job.task_id == name
    assert_clip(job.videos[0], 1280, 720, 8)
    assert submits(google) == [] and polls(google)
    assert all(p.json == {"operationName": name} for p in polls(google))
    google.requests.clear()
    wrong = client.resume("models/veo-3.1-generate-preview/operations/abc")
    with pytest.raises(veo.VeoError):
        wrong.wait(timeout=30)
    assert "is not a Vertex AI operation name" in wrong.error and google.requests == []


def test_a_missing_credentials_file_says_how_to_sign_in_before_any_request(
    vertex_client, google, monkeypatch, tmp_path
):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    client = vertex_client()
    with pytest.raises(veo.VeoError) as info:
        client.submit("a fox")
    message = str(info.value)
    assert "missing.json" in message and "gcloud auth application-default login" in message
    assert "GOOGLE_CLOUD_PROJECT" in message
    assert google.requests == [] and client.jobs() == []


def test_another_project_is_refused_by_google(vertex_client, google, monkeypatch):
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "someone-elses-project")
    job = vertex_client().submit("a fox")
    with pytest.raises(veo.VeoGenerationError):
        job.wait(timeout=30)
    assert "HTTP 403" in job.error and "aiplatform.endpoints.predict" in job.error
    assert "Vertex AI User role" in job.error and "relay" not in job.error
    (submit,) = submits(google)
    assert "/projects/someone-elses-project/" in submit.path and submit.status == 403


def test_the_location_picks_the_path_and_global_has_no_region(monkeypatch):
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "global")
    assert veo.Client(protocol="vertex").base_url == "https://aiplatform.googleapis.com"
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "europe-west4")
    assert (
        veo.Client(protocol="vertex").base_url == "https://europe-west4-aiplatform.googleapis.com"
    )
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "Europe West")
    with pytest.raises(veo.VeoInputError, match=r"^GOOGLE_CLOUD_LOCATION="):
        veo.Client(protocol="vertex")


def test_a_gemini_preview_id_or_a_relay_name_is_refused_before_any_request(vertex_client, google):
    client = vertex_client()
    with pytest.raises(veo.VeoInputError, match="is not a Veo model Vertex AI sells"):
        client.submit("a fox", model="veo-3.1-generate-preview")
    with pytest.raises(veo.VeoInputError, match="is not a Veo model Vertex AI sells"):
        client.submit("a fox", model="veo_3_1-landscape")
    with pytest.raises(veo.VeoInputError, match="needs a client of its own"):
        client.submit("a fox", protocol="chat")
    assert google.requests == []


def test_the_token_is_refreshed_before_it_expires_off_the_loop(vertex_client, google):
    client = vertex_client()
    assert client.generate("one").status == "succeeded"
    google_auth = client.google_auth()
    credentials = google_auth._credentials
    threads: list[str] = []
    refresh = credentials.refresh

    def watched(request):
        threads.append(threading.current_thread().name)
        return refresh(request)

    credentials.refresh = watched
    credentials.expiry = credentials.expiry.replace(year=2000)  # google-auth: no longer valid
    assert client.generate("two").status == "succeeded"
    assert [r.path for r in google.requests].count("/token") == 2
    assert threads and "veo_magic-loop" not in threads


def test_no_credentials_anywhere_says_how_to_sign_in(vertex_client, google, monkeypatch, tmp_path):
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "no-gcloud"))  # no gcloud ADC either
    with pytest.raises(veo.VeoError) as info:
        vertex_client().submit("a fox")
    assert "no Application Default Credentials were found" in str(info.value)
    assert "gcloud auth application-default login" in str(info.value)
    assert google.requests == []
