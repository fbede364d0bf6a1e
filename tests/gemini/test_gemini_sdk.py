"""Conformance: google-genai's own client, pointed at the simulator, completes a job.

Evidence from a client no one here wrote that the simulator speaks Google's shapes, and that
``GeminiAdapter`` sends what Google's SDK sends:

* the SDK's request converter and ``submit_body`` produce the same body for the same request;
* ``client.models.generate_videos`` -> ``client.operations.get`` until done ->
  ``client.files.download`` returns the MP4, also for an extension; a filtered result and a
  quota error come back in the fields and exceptions the SDK defines.

google-genai 3.x dropped ``generate_videos`` in Developer-API (``api_key``) mode, so the dev
extra pins google-genai<3, where every step below is the SDK's public call (3.x raises "only
supported in Gemini Enterprise Agent Platform mode" there).
"""

from __future__ import annotations

import json
import time
import warnings
from typing import Any

import pytest

from tests.images import jpeg_bytes, png_bytes
from veo_magic.relays.protocols.gemini import submit_body
from veo_magic.requests.request import VideoRequest

genai = pytest.importorskip("google.genai")
from google.genai import errors, models, types  # noqa: E402

MODEL = "veo-3.1-generate-preview"
FILE_URI = "https://generativelanguage.googleapis.com/v1beta/files/abc:download?alt=media"


@pytest.fixture
def sdk(google):
    # The Gemini API documents Veo under v1beta; google-genai 3.x defaults to v1.
    options = types.HttpOptions(base_url=google.base_url, api_version="v1beta")
    return genai.Client(api_key="test-key", http_options=options)


def sdk_body(client: Any, source: types.GenerateVideosSource, config: Any) -> dict[str, Any]:
    """The body google-genai builds for this request, by its own converter.

    The Developer-API converter where the SDK still has it (2.x); else the Vertex one (3.x),
    which writes every field this protocol sends under the same name, except that it spells a
    video's URI ``gcsUri`` where the Developer API says ``uri``.
    """
    params = types._GenerateVideosParameters(model=MODEL, source=source, config=config)
    convert = getattr(models, "_GenerateVideosParameters_to_mldev", None)
    mldev = convert is not None
    if not mldev:
        convert = models._GenerateVideosParameters_to_vertex
    body = convert(client._api_client, params, None, params)
    body.pop("_url", None)
    body.pop("config", None)
    video = body["instances"][0].get("video")
    if not mldev and video is not None:
        video["uri"] = video.pop("gcsUri")
    return json.loads(json.dumps(body))


def generate(
    client: Any, source: types.GenerateVideosSource, config: Any = None, *, model: str = MODEL
) -> Any:
    """The SDK's own public ``client.models.generate_videos`` (the dev extra pins google-genai<3)."""
    if source.video is not None and source.video.video_bytes:  # as generate_videos itself does
        source = source.model_copy(update={"video": types.Video(uri=source.video.uri)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return client.models.generate_videos(model=model, source=source, config=config)


def until_done(client: Any, operation: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not operation.done:
        assert time.monotonic() < deadline, "the operation never finished"
        time.sleep(0.1)
        operation = client.operations.get(operation)
    return operation


IMAGE = types.Image(image_bytes=png_bytes(), mime_type="image/png")
LAST = types.Image(image_bytes=jpeg_bytes(), mime_type="image/jpeg")


@pytest.mark.parametrize(
    ("ours", "source", "config"),
    [
        (
            {},
            types.GenerateVideosSource(prompt="a lighthouse"),
            {"number_of_videos": 1, "duration_seconds": 8},
        ),
        (
            {
                "orientation": "portrait",
                "resolution": "1080p",
                "seconds": 8,
                "negative_prompt": "fog",
                "person_generation": "allow_all",
            },
            types.GenerateVideosSource(prompt="a lighthouse"),
            {
                "aspect_ratio": "9:16",
                "resolution": "1080p",
                "duration_seconds": 8,
                "number_of_videos": 1,
                "negative_prompt": "fog",
                "person_generation": "allow_all",
            },
        ),
        (
            {"first_frame": png_bytes(), "last_frame": jpeg_bytes()},
            types.GenerateVideosSource(prompt="a lighthouse", image=IMAGE),
            {"last_frame": LAST, "number_of_videos": 1, "duration_seconds": 8},
        ),
        (
            {"references": [png_bytes()] * 3},
            types.GenerateVideosSource(prompt="a lighthouse"),
            {
                "reference_images": [
                    types.VideoGenerationReferenceImage(image=IMAGE, reference_type="ASSET")
                ]
                * 3,
                "number_of_videos": 1,
                "duration_seconds": 8,
            },
        ),
        (
            {"extend": FILE_URI},
            types.GenerateVideosSource(prompt="a lighthouse", video=types.Video(uri=FILE_URI)),
            {"number_of_videos": 1, "resolution": "720p"},
        ),
    ],
    ids=["text", "parameters", "frames", "references", "extension"],
)
def test_the_body_is_the_one_google_genai_builds(sdk, ours, source, config):
    request = VideoRequest.build("a lighthouse", protocol="gemini", **ours)
    assert submit_body(request) == sdk_body(sdk, source, types.GenerateVideosConfig(**config))


def test_generate_poll_and_download_with_googles_client(sdk, google):
    # Two videos in one request: Veo 2 makes up to 2 (Veo 3.x one), and takes no resolution.
    veo2 = "veo-2.0-generate-001"
    operation = generate(
        sdk,
        types.GenerateVideosSource(prompt="a lighthouse at dusk"),
        types.GenerateVideosConfig(number_of_videos=2, aspect_ratio="16:9"),
        model=veo2,
    )
    assert operation.name.startswith(f"models/{veo2}/operations/") and not operation.done
    operation = until_done(sdk, operation)
    videos = operation.response.generated_videos
    assert len(videos) == 2 and operation.result.generated_videos == videos
    hd = until_done(
        sdk,
        generate(
            sdk,
            types.GenerateVideosSource(prompt="a lighthouse at dusk"),
            types.GenerateVideosConfig(aspect_ratio="16:9", resolution="1080p"),
        ),
    )
    assert hd.name.startswith(f"models/{MODEL}/operations/")
    assert len(hd.response.generated_videos) == 1
    data = sdk.files.download(file=videos[0].video)
    assert data[4:8] == b"ftyp" and len(data) > 10_000
    assert all(r.headers.get("x-goog-api-key") == "<redacted>" for r in google.requests[:-1])
    assert [r.status for r in google.requests if "download" in r.path] == [302]

    extended = until_done(
        sdk,
        generate(
            sdk,
            types.GenerateVideosSource(prompt="the storm rolls in", video=videos[0].video),
            types.GenerateVideosConfig(number_of_videos=1, resolution="720p"),
        ),
    )
    data = sdk.files.download(file=extended.response.generated_videos[0].video)
    assert data[4:8] == b"ftyp"


def test_a_filtered_result_reads_as_google_genai_defines_it(sdk, google):
    google.set_scenario("refuse")
    operation = until_done(sdk, generate(sdk, types.GenerateVideosSource(prompt="anything")))
    assert operation.error is None and not operation.response.generated_videos
    assert operation.response.rai_media_filtered_count == 1
    assert "You have not been charged" in operation.response.rai_media_filtered_reasons[0]


def test_quota_is_googles_resource_exhausted(sdk, google):
    google.set_scenario("quota")
    with pytest.raises(errors.ClientError) as info:
        generate(sdk, types.GenerateVideosSource(prompt="anything"))
    assert (info.value.code, info.value.status) == (429, "RESOURCE_EXHAUSTED")
    assert "quota" in info.value.message
