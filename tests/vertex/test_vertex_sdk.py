"""Conformance: google-genai in Vertex mode, pointed at the simulator, completes a job.

Evidence from a client no one here wrote that the simulator speaks Vertex AI's shapes and that
``VertexAdapter`` sends what Google's SDK sends:

* ``genai.Client(vertexai=True, project=…, location=…, credentials=<service account>)`` signs in
  at the simulator's token endpoint (google-auth's JWT grant) and sends its Bearer token;
* ``client.models.generate_videos`` -> ``client.operations.get`` (``fetchPredictOperation``)
  until done -> ``video.video_bytes`` is a playable MP4; ``output_gcs_uri`` gives a ``gs://``
  URI; a filtered result fills ``rai_media_filtered_count`` / ``_reasons``;
* the SDK's Vertex converter and ``vertex_body`` write the same body for the same request.
"""

from __future__ import annotations

import json
import time
import warnings
from typing import Any

import pytest
from vertex_helpers import LOCATION, PROJECT

from tests.images import png_bytes
from tests.support import assert_clip
from veo_magic.relays.protocols.vertex import vertex_body
from veo_magic.requests.request import VideoRequest

genai = pytest.importorskip("google.genai")
from google.genai import models, types  # noqa: E402
from google.oauth2 import service_account as accounts  # noqa: E402

SCOPE = "https://www.googleapis.com/auth/cloud-platform"


@pytest.fixture
def sdk(google, service_account):
    credentials = accounts.Credentials.from_service_account_file(
        str(service_account), scopes=[SCOPE]
    )
    return genai.Client(
        vertexai=True,
        project=PROJECT,
        location=LOCATION,
        credentials=credentials,
        http_options=types.HttpOptions(base_url=google.base_url),
    )


def generate(client: Any, model: str, prompt: str, config: Any = None) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # prompt= (2.x): source= is newer
        return client.models.generate_videos(model=model, prompt=prompt, config=config)


def until_done(client: Any, operation: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not operation.done:
        assert time.monotonic() < deadline, "the operation never finished"
        time.sleep(0.1)
        operation = client.operations.get(operation)
    return operation


def test_the_sdk_generates_and_reads_the_inline_video(sdk, google):
    config = types.GenerateVideosConfig(
        number_of_videos=1, duration_seconds=4, aspect_ratio="9:16", seed=7, generate_audio=True
    )
    operation = until_done(sdk, generate(sdk, "veo-3.1-fast-generate-001", "a fox", config))
    assert operation.error is None
    (generated,) = operation.response.generated_videos
    assert generated.video.mime_type == "video/mp4" and generated.video.uri is None
    assert_clip(generated.video.video_bytes, 720, 1280, 4)
    paths = [(r.method, r.path) for r in google.requests]
    assert paths[0] == ("POST", "/token")
    model = f"/v1beta1/projects/{PROJECT}/locations/{LOCATION}/publishers/google/models/"
    assert paths[1] == ("POST", f"{model}veo-3.1-fast-generate-001:predictLongRunning")
    fetches = [r for r in google.requests if r.path.endswith(":fetchPredictOperation")]
    assert fetches and all(r.json == {"operationName": operation.name} for r in fetches)
    assert all(r.auth_bearer for r in google.requests[1:])


def test_the_sdk_reads_a_gcs_uri(sdk):
    config = types.GenerateVideosConfig(output_gcs_uri="gs://veo-outputs/sdk/")
    operation = until_done(sdk, generate(sdk, "veo-3.1-generate-001", "a harbour", config))
    (generated,) = operation.response.generated_videos
    number = operation.name.rpartition("/")[2]
    assert generated.video.uri == f"gs://veo-outputs/sdk/{number}/sample_0.mp4"
    assert operation.response.rai_media_filtered_count == 0


def test_the_sdk_reads_a_filtered_result(sdk):
    operation = until_done(sdk, generate(sdk, "veo-3.1-generate-001", "unsafe [[sim:refuse]]"))
    assert operation.error is None and not operation.response.generated_videos
    assert operation.response.rai_media_filtered_count == 1
    assert "could not generate" in operation.response.rai_media_filtered_reasons[0]


def test_the_sdk_sees_googles_errors(sdk):
    from google.genai import errors

    with pytest.raises(errors.ClientError) as info:
        generate(sdk, "veo-9-generate-001", "a fox")
    assert info.value.code == 404 and info.value.status == "NOT_FOUND"
    with pytest.raises(errors.ClientError) as info:
        generate(sdk, "veo-3.1-generate-001", "a fox", {"duration_seconds": 5})
    assert info.value.code == 400 and info.value.status == "INVALID_ARGUMENT"


def sdk_body(client: Any, model: str, config: dict[str, Any], **source: Any) -> dict[str, Any]:
    """The body google-genai's own Vertex converter writes for this request."""
    params = types._GenerateVideosParameters(
        model=model, source=types.GenerateVideosSource(**source), config=config
    )
    body = models._GenerateVideosParameters_to_vertex(client._api_client, params, None, params)
    body.pop("_url", None)
    body.pop("config", None)
    return json.loads(json.dumps(body))


@pytest.mark.parametrize(
    ("ours", "config", "source"),
    [
        ({}, {"number_of_videos": 1, "duration_seconds": 8}, {}),
        (
            {
                "orientation": "portrait",
                "fast": True,
                "seconds": 4,
                "n": 3,
                "negative_prompt": "fog",
                "seed": 42,
                "person_generation": "dont_allow",
                "generate_audio": False,
                "storage_uri": "gs://veo-outputs/run/",
            },
            {
                "aspect_ratio": "9:16",
                "duration_seconds": 4,
                "number_of_videos": 3,
                "negative_prompt": "fog",
                "seed": 42,
                "person_generation": "dont_allow",
                "generate_audio": False,
                "output_gcs_uri": "gs://veo-outputs/run/",
            },
            {},
        ),
        (
            {"resolution": "1080p", "first_frame": png_bytes()},
            {"resolution": "1080p", "number_of_videos": 1, "duration_seconds": 8},
            {"image": types.Image(image_bytes=png_bytes(), mime_type="image/png")},
        ),
    ],
    ids=["text", "vertex-options", "first-frame-1080p"],
)
def test_our_body_is_the_sdks(sdk, ours, config, source):
    request = VideoRequest.build("a lighthouse", protocol="vertex", **ours)
    expected = sdk_body(sdk, request.wire_model, config, prompt="a lighthouse", **source)
    assert vertex_body(request) == expected
