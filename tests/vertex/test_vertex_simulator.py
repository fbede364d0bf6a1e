"""The simulator's Vertex routes answer as Vertex AI does: Google's error shapes, the token
endpoint's checks, the operation's life. Plain HTTP, so nothing of the client is involved."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest
from vertex_helpers import MODELS, PROJECT, access_token, submit_path

from veo_magic.simulator.vertex import TOKEN_SECONDS


def post(sim, path, body, token=None, **headers):
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(f"{sim.base_url}{path}", json=body, headers=headers, timeout=30)


def google_error(response, code, status):
    assert response.status_code == code
    error = response.json()["error"]
    assert error["code"] == code and error["status"] == status and error["message"]
    return error["message"]


@pytest.fixture
def token(service_account):
    return access_token(service_account)


def test_the_token_endpoint_answers_googles_shape(google, service_account):
    from google.auth.transport import requests as transport
    from google.oauth2 import service_account as accounts

    credentials = accounts.Credentials.from_service_account_file(
        str(service_account), scopes=["https://www.googleapis.com/auth/cloud-platform"]
    )
    credentials.refresh(transport.Request())
    assert credentials.token.startswith("ya29.") and credentials.valid
    left = credentials.expiry.timestamp() - time.time()
    assert TOKEN_SECONDS - 60 < left <= TOKEN_SECONDS + 60
    (grant,) = [r for r in google.requests if r.path == "/token"]
    assert grant.status == 200 and grant.form is None  # the signed assertion is never logged


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "password", "assertion": "x"}, "unsupported_grant_type"),
        (
            {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "x.y"},
            "invalid_grant",
        ),
    ],
)
def test_the_token_endpoint_refuses_what_is_not_a_jwt_grant(google, form, error):
    response = httpx.post(f"{google.base_url}/token", data=form)
    assert response.status_code == 400 and response.json()["error"] == error


def _jwt(claims):
    part = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2ln"


def test_the_token_endpoint_checks_the_claims(google):
    now = int(time.time())
    good = {
        "iss": f"a@{PROJECT}.iam.gserviceaccount.com",
        "aud": f"{google.base_url}/token",
        "scope": "https://www.googleapis.com/auth/cloud-platform",
        "iat": now,
        "exp": now + 3600,
    }
    grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    for change, error in [
        ({"exp": now - 600}, "invalid_grant"),
        ({"aud": "https://oauth2.googleapis.com/elsewhere"}, "invalid_grant"),
        ({"scope": "https://www.googleapis.com/auth/drive"}, "invalid_scope"),
        ({"iss": "someone@example.com"}, "invalid_grant"),
    ]:
        form = {"grant_type": grant, "assertion": _jwt({**good, **change})}
        response = httpx.post(f"{google.base_url}/token", data=form)
        assert response.status_code == 400 and response.json()["error"] == error, change
    form = {"grant_type": grant, "assertion": _jwt(good)}
    assert httpx.post(f"{google.base_url}/token", data=form).json()["token_type"] == "Bearer"


def test_no_bearer_and_a_foreign_bearer_are_401(google):
    body = {"instances": [{"prompt": "a fox"}]}
    said = google_error(post(google, submit_path(), body), 401, "UNAUTHENTICATED")
    assert "missing required authentication credential" in said
    said = google_error(post(google, submit_path(), body, "ya29.not-ours"), 401, "UNAUTHENTICATED")
    assert "invalid authentication credentials" in said
    api_key = post(google, submit_path(), body, **{"x-goog-api-key": "AIza-key"})
    google_error(api_key, 401, "UNAUTHENTICATED")  # an API key is no OAuth token


def test_another_project_is_403(google, token):
    path = submit_path().replace(PROJECT, "someone-else")
    said = google_error(
        post(google, path, {"instances": [{"prompt": "a"}]}, token), 403, "PERMISSION_DENIED"
    )
    assert "aiplatform.endpoints.predict" in said and "someone-else" in said


def test_an_unknown_model_is_404(google, token):
    response = post(
        google, submit_path("veo-3.1-generate-preview"), {"instances": [{"prompt": "a"}]}, token
    )
    said = google_error(response, 404, "NOT_FOUND")
    assert (
        "Publisher Model" in said and "was not found or your project does not have access" in said
    )
    google_error(post(google, f"{MODELS}/x:unknownVerb", {}, token), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    "parameters",
    [
        {"durationSeconds": 5},
        {"sampleCount": 5},
        {"resolution": "1080p", "durationSeconds": 6},
        {"resolution": "8k"},
        {"aspectRatio": "1:1"},
        {"personGeneration": "everyone"},
        {"seed": -1},
        {"generateAudio": "yes"},
        {"storageUri": "https://example.com/bucket"},
        {"numberOfVideos": 1},
    ],
)
def test_bad_parameters_are_400_invalid_argument(google, token, parameters):
    body = {"instances": [{"prompt": "a fox"}], "parameters": parameters}
    started = google.accepted_creates
    google_error(post(google, submit_path(), body, token), 400, "INVALID_ARGUMENT")
    assert google.accepted_creates == started  # refused before a task existed: nothing charged


def test_4k_is_refused_on_lite(google, token):
    body = {"instances": [{"prompt": "a"}], "parameters": {"resolution": "4k"}}
    said = google_error(
        post(google, submit_path("veo-3.1-lite-generate-001"), body, token), 400, "INVALID_ARGUMENT"
    )
    assert "4k" in said


def test_an_operation_runs_then_carries_its_video_inline(google, token):
    body = {
        "instances": [{"prompt": "a fox"}],
        "parameters": {"sampleCount": 2, "durationSeconds": 4},
    }
    name = post(google, submit_path(), body, token).json()["name"]
    fetch = submit_path().replace(":predictLongRunning", ":fetchPredictOperation")
    first = post(google, fetch, {"operationName": name}, token).json()
    assert first == {"name": name}  # running: the name alone, no progress
    deadline = time.monotonic() + 30
    while not (answer := post(google, fetch, {"operationName": name}, token).json()).get("done"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    response = answer["response"]
    assert response["@type"].endswith("GenerateVideoResponse")
    assert response["raiMediaFilteredCount"] == 0 and len(response["videos"]) == 2
    clip = base64.b64decode(response["videos"][0]["bytesBase64Encoded"])
    assert clip[4:8] == b"ftyp" and response["videos"][0]["mimeType"] == "video/mp4"
    other = post(
        google,
        fetch.replace("veo-3.1-generate-001", "veo-3.1-fast-generate-001"),
        {"operationName": name},
        token,
    )
    google_error(other, 400, "INVALID_ARGUMENT")  # the name belongs to another model's path


def test_a_storage_object_needs_the_token(google, token):
    body = {"instances": [{"prompt": "a fox"}], "parameters": {"storageUri": "gs://veo-outputs"}}
    name = post(google, submit_path(), body, token).json()["name"]
    fetch = submit_path().replace(":predictLongRunning", ":fetchPredictOperation")
    deadline = time.monotonic() + 30
    while not (answer := post(google, fetch, {"operationName": name}, token).json()).get("done"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    uri = answer["response"]["videos"][0]["gcsUri"]
    assert uri == f"gs://veo-outputs/{name.rpartition('/')[2]}/sample_0.mp4"
    bucket, _, path = uri.removeprefix("gs://").partition("/")
    url = f"{google.base_url}/storage/v1/b/{bucket}/o/{path.replace('/', '%2F')}?alt=media"
    google_error(httpx.get(url), 401, "UNAUTHENTICATED")
    clip = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
    assert clip.status_code == 200 and clip.content[4:8] == b"ftyp"
    missing = httpx.get(
        url.replace("sample_0", "sample_9"), headers={"Authorization": f"Bearer {token}"}
    )
    google_error(missing, 404, "NOT_FOUND")


def test_a_model_card_needs_a_token_and_names_its_launch_stage(google, token):
    card = "/v1/publishers/google/models/veo-3.1-lite-generate-001"
    unsigned = httpx.get(f"{google.base_url}{card}")
    google_error(unsigned, 401, "UNAUTHENTICATED")
    signed = httpx.get(f"{google.base_url}{card}", headers={"Authorization": f"Bearer {token}"})
    assert signed.json() == {
        "name": "publishers/google/models/veo-3.1-lite-generate-001",
        "versionId": "001",
        "openSourceCategory": "PROPRIETARY",
        "launchStage": "PUBLIC_PREVIEW",
    }


def test_a_project_that_sells_no_veo_has_no_card(google, token):
    google.set_scenario("sells_no_video")
    card = "/v1/publishers/google/models/veo-3.1-generate-001"
    answer = httpx.get(f"{google.base_url}{card}", headers={"Authorization": f"Bearer {token}"})
    assert "not found" in google_error(answer, 404, "NOT_FOUND")
