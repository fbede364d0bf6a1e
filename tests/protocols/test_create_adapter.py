"""CreateAdapter against httpx.MockTransport: the unified video format (§1.3)."""

from __future__ import annotations

import json

import httpx
import pytest
from protocol_fakes import INSTANT, FakeRequest, collect, make_relay, png, remote

from veo_magic._events import Failed, Progress, Submitted, VideoReady
from veo_magic.relays.protocols import adapter_for
from veo_magic.relays.protocols.create import CreateAdapter

pytestmark = pytest.mark.anyio

CREATED = {
    "id": "veo3.1-components:1762241017-xTL0P9HvGF",
    "status": "pending",
    "status_update_time": 1762241017286,
}


class FakeRelay:
    def __init__(self, polls: list[dict], created: dict = CREATED) -> None:
        self.created = created
        self.polls = list(polls)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method == "POST":
            assert request.url.path == "/v1/video/create"
            return httpx.Response(200, json=self.created)
        assert request.url.path == "/v1/video/query"
        return httpx.Response(200, json=self.polls.pop(0))


async def run(fake: FakeRelay, request: FakeRequest | None = None, **kwargs) -> list:
    return await collect(CreateAdapter(make_relay(fake), pacing=INSTANT).run(request, **kwargs))


def test_registered_under_its_name():
    assert adapter_for("create") is CreateAdapter and CreateAdapter.name == "create"


async def test_body_text_only():
    fake = FakeRelay([{"status": "completed", "video_url": "https://cdn.test/v.mp4"}])
    await run(fake, FakeRequest(wire_model="veo3.1-fast"))
    create = fake.requests[0]
    assert create.headers["content-type"] == "application/json"
    assert json.loads(create.content) == {
        "model": "veo3.1-fast",
        "prompt": "a pig flying over the sea",
        "images": [],
        "aspect_ratio": "9:16",
        "enhance_prompt": False,
    }


async def test_body_with_images_landscape_and_options():
    fake = FakeRelay([{"status": "completed", "video_url": "https://cdn.test/v.mp4"}])
    request = FakeRequest(
        pixel_size=(1280, 720),
        first_frame=png(),
        last_frame=remote("https://images.test/end.jpg"),
        options={"enhance_prompt": True, "enable_upsample": True},
    )
    await run(fake, request)
    body = json.loads(fake.requests[0].content)
    assert body["aspect_ratio"] == "16:9"
    assert body["images"] == [png().data_url(), "https://images.test/end.jpg"]
    assert body["images"][0].startswith("data:image/png;base64,")
    assert (body["enhance_prompt"], body["enable_upsample"]) == (True, True)


@pytest.mark.parametrize(
    ("size", "ratio", "extra"),
    [
        ("16x9", "16:9", None),
        ("9:16", "9:16", None),
        ("3:2", "3:2", None),
        ("720P", "9:16", "720P"),
    ],
)
async def test_size_becomes_the_aspect_ratio(size, ratio, extra):
    fake = FakeRelay([{"status": "success", "video_url": "https://cdn.test/v.mp4"}])
    await run(fake, FakeRequest(size=size))
    body = json.loads(fake.requests[0].content)
    assert body["aspect_ratio"] == ratio
    assert body.get("size") == extra


async def test_query_uses_the_created_id_url_encoded():
    fake = FakeRelay(
        [
            {"id": "1762241017-xTL0P9HvGF", "status": "video_generating"},
            {
                "id": "1762241017-xTL0P9HvGF",
                "status": "completed",
                "video_url": "https://cdn.test/v.mp4",
            },
        ]
    )
    events = await run(fake, FakeRequest())
    assert events[0] == Submitted("veo3.1-components:1762241017-xTL0P9HvGF")
    queries = [r.url.query for r in fake.requests if r.method == "GET"]
    assert queries == [b"id=veo3.1-components%3A1762241017-xTL0P9HvGF"] * 2


async def test_veo_steps_keep_polling_through_upsampling():
    fake = FakeRelay(
        [
            {"status": "image_downloading"},
            {"status": "video_generating"},
            {
                "status": "video_generation_completed",
                "detail": {"video_url": "https://cdn.test/base.mp4"},
            },
            {"status": "video_upsampling", "detail": {"video_url": "https://cdn.test/base.mp4"}},
            {
                "status": "completed",
                "video_url": "https://cdn.test/up.mp4",
                "detail": {
                    "video_url": "https://cdn.test/base.mp4",
                    "upsample_video_url": "https://cdn.test/up.mp4",
                },
            },
        ]
    )
    events = await run(fake, FakeRequest())
    assert events == [
        Submitted("veo3.1-components:1762241017-xTL0P9HvGF"),
        Progress(None, phase="queued", message="pending"),
        Progress(None, phase="running", message="image_downloading"),
        Progress(None, phase="running", message="video_generating"),
        Progress(None, phase="running", message="video_generation_completed"),
        Progress(None, phase="running", message="video_upsampling"),
        VideoReady(0, "https://cdn.test/up.mp4"),
    ]


async def test_url_in_detail_only():
    fake = FakeRelay(
        [{"status": "success", "video_url": None, "detail": {"url": "https://cdn.test/d.mp4"}}]
    )
    events = await run(fake, FakeRequest())
    assert events[-1] == VideoReady(0, "https://cdn.test/d.mp4")


@pytest.mark.parametrize(
    ("poll", "message"),
    [
        (
            {
                "status": "video_generation_failed",
                "detail": {
                    "video_generation_error": "your request contains unsafe prompt or images… has been rejected by google"
                },
            },
            "The relay reported 'video_generation_failed': your request contains unsafe prompt or images… "
            "has been rejected by google",
        ),
        (
            {"status": "failed", "detail": {"error_message": "upstream timeout"}},
            "The relay reported 'failed': upstream timeout",
        ),
        ({"status": "error", "error": "bad image"}, "The relay reported 'error': bad image"),
        (
            {"status": "video_upsampling_failed"},
            "The relay reported 'video_upsampling_failed' and gave no reason.",
        ),
    ],
)
async def test_failures_with_reasons(poll, message):
    events = await run(FakeRelay([poll]), FakeRequest())
    assert events[-1] == Failed(message, task_id=CREATED["id"])


async def test_success_without_a_url_is_a_failure():
    events = await run(FakeRelay([{"status": "completed", "video_url": None}]), FakeRequest())
    assert events[-1] == Failed(
        "The relay reported 'completed' but gave no video URL.", task_id=CREATED["id"]
    )


async def test_resume():
    fake = FakeRelay([{"status": "completed", "video_url": "https://cdn.test/v.mp4"}])
    events = await run(fake, None, task_id="jimeng:9b1c")
    assert events == [Submitted("jimeng:9b1c"), VideoReady(0, "https://cdn.test/v.mp4")]
    assert [(r.method, r.url.query) for r in fake.requests] == [("GET", b"id=jimeng%3A9b1c")]
