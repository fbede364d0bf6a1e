"""VideosAdapter against httpx.MockTransport: what it sends and how it reads the task (§1.2)."""

from __future__ import annotations

import json

import httpx
import pytest
from protocol_fakes import INSTANT, PNG, FakeRequest, collect, make_relay, multipart, png, remote

from veo_magic._events import Failed, Progress, Submitted, VideoReady
from veo_magic._exceptions import VeoAPIError, VeoInputError, VeoTaskUncertainError
from veo_magic.relays.protocols import adapter_for
from veo_magic.relays.protocols.videos import VideosAdapter

pytestmark = pytest.mark.anyio


class FakeRelay:
    """Answers ``POST /v1/videos`` with ``created`` and each poll with the next of ``polls``."""

    def __init__(self, created: dict | httpx.Response, polls: list[dict | httpx.Response]) -> None:
        self.created = created
        self.polls = list(polls)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method == "POST" and request.url.path == "/v1/videos":
            answer = self.created
        elif request.url.host == "images.test":
            return httpx.Response(
                200, headers={"content-type": "image/jpeg"}, content=b"\xff\xd8jpeg"
            )
        else:
            answer = self.polls.pop(0)
        return answer if isinstance(answer, httpx.Response) else httpx.Response(200, json=answer)

    @property
    def polled(self) -> list[str]:
        return [str(r.url.raw_path, "ascii") for r in self.requests if r.method == "GET"]


def queued(task_id: str = "task_abc") -> dict:
    return {"id": task_id, "object": "video", "model": "veo-3.1", "status": "queued", "progress": 0}


async def run(fake: FakeRelay, request: FakeRequest | None = None, **kwargs) -> list:
    return await collect(VideosAdapter(make_relay(fake), pacing=INSTANT).run(request, **kwargs))


def test_registered_under_its_name():
    assert adapter_for("videos") is VideosAdapter and VideosAdapter.name == "videos"


async def test_json_body_without_images():
    fake = FakeRelay(queued(), [{"status": "completed", "video_url": "https://cdn.test/v.mp4"}])
    await run(fake, FakeRequest())
    create = fake.requests[0]
    assert create.headers["content-type"] == "application/json"
    assert json.loads(create.content) == {
        "model": "veo-3.1",
        "prompt": "a pig flying over the sea",
        "seconds": "8",
        "size": "720x1280",
        # Google's names twice: top level for LiteLLM, metadata for new-api (an int, not "8")
        "durationSeconds": 8,
        "metadata": {"durationSeconds": 8},
    }


async def test_json_body_landscape_size_metadata():
    fake = FakeRelay(queued(), [{"status": "completed", "video_url": "https://cdn.test/v.mp4"}])
    request = FakeRequest(
        pixel_size=(1280, 720),
        seconds=6,
        negative_prompt="rain",
        seed=42,
        options={"person_generation": "allow_adult"},
    )
    await run(fake, request)
    body = json.loads(fake.requests[0].content)
    parameters = {
        "durationSeconds": 6,
        "negativePrompt": "rain",
        "seed": 42,
        "personGeneration": "allow_adult",
    }
    assert body == {
        "model": "veo-3.1",
        "prompt": "a pig flying over the sea",
        "seconds": "6",
        "size": "1280x720",
        **parameters,
        "metadata": parameters,
    }
    assert isinstance(body["seconds"], str) and isinstance(body["metadata"]["durationSeconds"], int)


async def test_size_as_given_and_seconds_left_to_the_model():
    fake = FakeRelay(queued(), [{"status": "completed", "video_url": "https://cdn.test/v.mp4"}])
    await run(fake, FakeRequest(size="16:9", seconds=None))
    assert json.loads(fake.requests[0].content) == {
        "model": "veo-3.1",
        "prompt": "a pig flying over the sea",
        "size": "16:9",
    }


async def test_multipart_with_a_file_and_a_fetched_url():
    fake = FakeRelay(queued(), [{"status": "completed", "video_url": "https://cdn.test/v.mp4"}])
    request = FakeRequest(
        first_frame=png(),
        last_frame=remote("https://images.test/end.jpg"),
        seed=7,
    )
    await run(fake, request)
    fetch, create = fake.requests[0], fake.requests[1]
    assert (fetch.method, str(fetch.url)) == ("GET", "https://images.test/end.jpg")
    assert "authorization" not in fetch.headers
    assert create.headers["content-type"].startswith("multipart/form-data")
    assert multipart(create) == [
        ("model", None, "text/plain", b"veo-3.1"),
        ("prompt", None, "text/plain", b"a pig flying over the sea"),
        ("seconds", None, "text/plain", b"8"),
        ("size", None, "text/plain", b"720x1280"),
        ("durationSeconds", None, "text/plain", b"8"),
        ("seed", None, "text/plain", b"7"),
        ("input_reference", "first_frame.png", "image/png", PNG),
        ("input_reference", "last_frame.jpg", "image/jpeg", b"\xff\xd8jpeg"),
    ]


@pytest.mark.parametrize(
    ("created", "task_id", "path"),
    [
        (
            {
                "id": "video_55cb73b3-60af-40c8-95fd-eae8fd758ade",
                "task_id": "other",
                "status": "queued",
            },
            "video_55cb73b3-60af-40c8-95fd-eae8fd758ade",
            "/v1/videos/video_55cb73b3-60af-40c8-95fd-eae8fd758ade",
        ),
        (
            {"id": "83319f9e-9828-4a17-bf3e-365edbcf226b", "status": "queued"},
            "83319f9e-9828-4a17-bf3e-365edbcf226b",
            "/v1/videos/83319f9e-9828-4a17-bf3e-365edbcf226b",
        ),
        ({"task_id": "task_Ab9", "status": "queued"}, "task_Ab9", "/v1/videos/task_Ab9"),
        ({"id": "veo3.1:1762-xT/L0"}, "veo3.1:1762-xT/L0", "/v1/videos/veo3.1:1762-xT%2FL0"),
    ],
)
async def test_created_id_kept_exactly(created, task_id, path):
    fake = FakeRelay(
        created, [{"id": "mangled", "status": "completed", "video_url": "https://cdn.test/v.mp4"}]
    )
    events = await run(fake, FakeRequest())
    assert events[0] == Submitted(task_id, model=None)
    assert fake.polled == [path]


async def test_create_answer_without_an_id():
    fake = FakeRelay({"status": "queued"}, [])
    with pytest.raises(VeoTaskUncertainError, match="no task id"):
        await run(fake, FakeRequest())


async def test_progress_then_video_from_metadata_url():
    fake = FakeRelay(
        queued(),
        [
            {"status": "queued", "progress": 0},
            {"status": "in_progress", "progress": 30},
            {"status": "in_progress", "progress": 30},
            {"status": "IN_PROGRESS", "progress": "64%"},
            {
                "status": "completed",
                "progress": 100,
                "metadata": {"url": "https://cdn.test/final.mp4"},
            },
        ],
    )
    events = await run(fake, FakeRequest())
    assert events == [
        Submitted("task_abc", model="veo-3.1"),
        Progress(0.0, phase="queued", message="queued"),
        Progress(30.0, phase="running", message="in_progress"),
        Progress(64.0, phase="running", message="IN_PROGRESS"),
        VideoReady(0, "https://cdn.test/final.mp4", authenticated=False),
    ]
    assert len(fake.polled) == 5


async def test_success_without_url_falls_back_to_content():
    fake = FakeRelay(queued("veo3.1:abc"), [{"status": "succeeded", "progress": 100}])
    events = await run(fake, FakeRequest())
    assert events[-1] == VideoReady(0, "/v1/videos/veo3.1:abc/content", authenticated=True)


async def test_url_on_the_relay_itself_carries_the_key():
    fake = FakeRelay(
        queued(),
        [
            {
                "status": "completed",
                "metadata": {"url": "http://relay.test/v1/videos/task_abc/content"},
            }
        ],
    )
    events = await run(fake, FakeRequest())
    assert events[-1] == VideoReady(
        0, "http://relay.test/v1/videos/task_abc/content", authenticated=True
    )


async def test_several_clips():
    fake = FakeRelay(
        queued(),
        [
            {
                "status": "completed",
                "metadata": {"urls": ["https://c.test/1.mp4", "https://c.test/2.mp4"]},
            }
        ],
    )
    events = await run(fake, FakeRequest())
    assert events[-2:] == [
        VideoReady(0, "https://c.test/1.mp4"),
        VideoReady(1, "https://c.test/2.mp4"),
    ]


async def test_failure_with_reason_and_code():
    fake = FakeRelay(
        queued(),
        [
            {"status": "failed", "error": {"message": "unsafe prompt", "code": "content_policy"}},
        ],
    )
    events = await run(fake, FakeRequest())
    assert events[-1] == Failed(
        "The relay reported 'failed': unsafe prompt", task_id="task_abc", code="content_policy"
    )


async def test_failure_without_reason():
    fake = FakeRelay(queued(), [{"status": "Cancelled"}])
    events = await run(fake, FakeRequest())
    assert events[-1] == Failed(
        "The relay reported 'Cancelled' and gave no reason.", task_id="task_abc"
    )


async def test_create_answer_already_failed():
    fake = FakeRelay({"id": "task_x", "status": "failed", "error": {"message": "no credit"}}, [])
    events = await run(fake, FakeRequest())
    assert events == [
        Submitted("task_x"),
        Failed("The relay reported 'failed': no credit", task_id="task_x"),
    ]
    assert fake.polled == []


async def test_resume_sends_no_create():
    fake = FakeRelay({}, [{"status": "completed", "video_url": "https://cdn.test/v.mp4"}])
    events = await run(fake, None, task_id="video_55cb")
    assert events == [Submitted("video_55cb"), VideoReady(0, "https://cdn.test/v.mp4")]
    assert [r.method for r in fake.requests] == ["GET"]


async def test_nothing_to_do():
    with pytest.raises(VeoInputError):
        await run(FakeRelay({}, []), None)


async def test_poll_error_is_an_api_error_with_the_task_id():
    fake = FakeRelay(
        queued(),
        [
            httpx.Response(
                400, json={"code": "task_not_exist", "message": "task_not_exist", "data": None}
            )
        ],
    )
    with pytest.raises(VeoAPIError) as caught:
        await run(fake, FakeRequest())
    assert caught.value.task_id == "task_abc" and caught.value.code == "task_not_exist"


async def test_poll_waits_honour_the_server_hint(monkeypatch):
    fake = FakeRelay(
        queued(),
        [
            httpx.Response(
                200,
                json={"status": "in_progress", "progress": 10},
                headers={"openai-poll-after-ms": "1500"},
            ),
            {"status": "completed", "video_url": "https://cdn.test/v.mp4"},
        ],
    )
    relay = make_relay(fake)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(relay, "sleep", sleep)
    await collect(VideosAdapter(relay, pacing=INSTANT).run(FakeRequest()))
    assert waits == [0.0, 1.5]


async def test_a_litellm_id_says_the_relay_is_litellm():
    lite = "video_bGl0ZWxsbTpjdXN0b21fbGxtX3Byb3ZpZGVyOmdlbWluaQ=="  # litellm:custom_llm_provider…
    fake = FakeRelay(
        {"id": lite, "status": "processing"},
        [{"id": lite, "status": "completed", "video_url": "https://cdn.test/v.mp4"}],
    )
    relay = make_relay(fake)
    await collect(VideosAdapter(relay, pacing=INSTANT).run(FakeRequest()))
    assert relay.gateway == "litellm"
    assert fake.polled == ["/v1/videos/video_bGl0ZWxsbTpjdXN0b21fbGxtX3Byb3ZpZGVyOmdlbWluaQ%3D%3D"]
