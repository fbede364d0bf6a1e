"""VertexAdapter's reading of Vertex AI's answers: pure parsing, on httpx.MockTransport.

The operation shapes follow Google's v1 reference for ``GoogleCloudAiplatformV1GenerateVideoResponse``
(googleapis.dev, Google.Apis.Aiplatform.v1, read 2026-12-07: ``videos[]`` of bytes or Cloud
Storage URIs, ``raiMediaFilteredCount``, ``raiMediaFilteredReasons``, the older
``generatedSamples`` of ``gs://`` strings) and google-genai 2.34's Vertex converters
(``_GenerateVideosResponse_from_vertex``); the values are our own.
"""

from __future__ import annotations

import base64

import httpx
import pytest

from veo_magic._events import Failed, Submitted, VideoReady
from veo_magic._exceptions import VeoInputError, VeoTaskUncertainError
from veo_magic.relays import GoogleAuth, GoogleSignIn, Relay
from veo_magic.relays.protocols.polling import Pacing
from veo_magic.relays.protocols.vertex import (
    VertexAdapter,
    fetch_path,
    read_vertex_operation,
    storage_url,
    vertex_submit_path,
)
from veo_magic.requests import VideoRequest

NAME = (
    "projects/my-project/locations/us-central1/publishers/google/models/"
    "veo-3.1-generate-001/operations/6e2b6c7a-0d0f-4b8e-9c57-1f6a7a4a9f01"
)
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
RESPONSE = "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse"


def done(response):
    return {"name": NAME, "done": True, "response": {"@type": RESPONSE, **response}}


def test_paths():
    assert vertex_submit_path("p", "global", "veo-3.1-generate-001") == (
        "/v1/projects/p/locations/global/publishers/google/models/veo-3.1-generate-001"
        ":predictLongRunning"
    )
    assert fetch_path(NAME) == (
        "/v1/projects/my-project/locations/us-central1/publishers/google/models/"
        "veo-3.1-generate-001:fetchPredictOperation"
    )
    assert storage_url("gs://my-bucket/out/123/sample_0.mp4") == (
        "https://storage.googleapis.com/storage/v1/b/my-bucket/o/out%2F123%2Fsample_0.mp4?alt=media"
    )
    assert storage_url("https://example.com/x.mp4") is None


@pytest.mark.parametrize(
    ("body", "facts"),
    [
        ({"name": NAME}, {"done": False}),
        ({"name": NAME, "done": False}, {"done": False}),
        ("not json", {"done": False}),
        (
            done(
                {
                    "raiMediaFilteredCount": 0,
                    "videos": [
                        {
                            "bytesBase64Encoded": base64.b64encode(MP4).decode(),
                            "mimeType": "video/mp4",
                        }
                    ],
                }
            ),
            {"done": True, "inline": (MP4,)},
        ),
        (
            done({"videos": [{"gcsUri": "gs://b/o/sample_0.mp4", "mimeType": "video/mp4"}]}),
            {"done": True, "gcs_uris": ("gs://b/o/sample_0.mp4",)},
        ),
        (
            done({"generatedSamples": ["gs://b/o/sample_0.mp4"]}),
            {"done": True, "gcs_uris": ("gs://b/o/sample_0.mp4",)},
        ),
        (
            done({"raiMediaFilteredCount": 2, "raiMediaFilteredReasons": ["child safety", " "]}),
            {"done": True, "filtered_count": 2, "filtered_reasons": ("child safety",)},
        ),
        (
            {"name": NAME, "done": True, "error": {"code": 3, "message": "bad image"}},
            {"done": True, "error": "bad image", "error_code": "3"},
        ),
        (done({"videos": [{"mimeType": "video/mp4"}]}), {"done": True, "unreadable": 1}),
    ],
    ids=[
        "running",
        "not-done",
        "not-json",
        "inline",
        "gcs",
        "older-samples",
        "filtered",
        "error",
        "empty-video",
    ],
)
def test_read_vertex_operation(body, facts):
    op = read_vertex_operation(body)
    for field, value in facts.items():
        assert getattr(op, field) == value, field


class _Credentials:
    token = "ya29.unit-test-token-0123456789"
    valid = True


def adapter(handler):
    auth = GoogleAuth(GoogleSignIn(_Credentials(), "my-project"), location="us-central1")
    transport = httpx.MockTransport(handler)
    relay = Relay(
        httpx.AsyncClient(
            transport=transport, base_url="https://us-central1-aiplatform.googleapis.com", auth=auth
        ),
        httpx.AsyncClient(transport=transport),
        secret=auth.token,
    )
    return VertexAdapter(relay, pacing=Pacing(0.0, 0.0))


async def run(adapter, **kwargs):
    request = VideoRequest.build("a fox", protocol="vertex")
    return [e async for e in adapter.run(None if "task_id" in kwargs else request, **kwargs)]


@pytest.mark.anyio
async def test_a_run_posts_then_fetches_and_reads_both_kinds_of_clip():
    seen = []
    answers = [
        {"name": NAME},
        {"name": NAME},
        done(
            {
                "videos": [
                    {"bytesBase64Encoded": base64.b64encode(MP4).decode(), "mimeType": "video/mp4"},
                    {"gcsUri": "gs://my-bucket/run/sample_1.mp4", "mimeType": "video/mp4"},
                ]
            }
        ),
    ]

    def handler(request):
        seen.append(
            (request.method, request.url.path, request.headers["authorization"], request.content)
        )
        return httpx.Response(200, json=answers[len(seen) - 1])

    events = await run(adapter(handler))
    assert isinstance(events[0], Submitted) and events[0].task_id == NAME
    assert events[0].model == "veo-3.1-generate-001"
    inline, stored = [e for e in events if isinstance(e, VideoReady)]
    assert inline.path.read_bytes() == MP4 and not inline.authenticated
    assert (
        stored.url
        == "https://storage.googleapis.com/storage/v1/b/my-bucket/o/run%2Fsample_1.mp4?alt=media"
    )
    assert stored.authenticated and stored.path is None
    assert [s[:2] for s in seen] == [
        ("POST", vertex_submit_path("my-project", "us-central1", "veo-3.1-generate-001"))
    ] + [("POST", fetch_path(NAME))] * 2
    assert all(s[2] == f"Bearer {_Credentials.token}" for s in seen)
    assert seen[1][3] == b'{"operationName":"' + NAME.encode() + b'"}'


@pytest.mark.anyio
async def test_a_filtered_operation_fails_quoting_google():
    def handler(request):
        if request.url.path.endswith(":predictLongRunning"):
            return httpx.Response(200, json={"name": NAME})
        return httpx.Response(
            200,
            json=done({"raiMediaFilteredCount": 1, "raiMediaFilteredReasons": ["Unsafe prompt."]}),
        )

    events = await run(adapter(handler))
    (failed,) = [e for e in events if isinstance(e, Failed)]
    assert "raiMediaFilteredCount=1" in failed.message and "Unsafe prompt." in failed.message
    assert failed.code == "RAI_MEDIA_FILTERED"


@pytest.mark.anyio
async def test_an_answer_without_an_operation_name_is_uncertain():
    with pytest.raises(VeoTaskUncertainError, match="names no operation"):
        await run(adapter(lambda request: httpx.Response(200, json={"done": False})))


@pytest.mark.anyio
async def test_resume_needs_a_vertex_operation_name():
    calls = []
    with pytest.raises(VeoInputError, match="not a Vertex AI operation name"):
        await run(adapter(lambda request: calls.append(request)), task_id="models/x/operations/y")
    assert calls == []
