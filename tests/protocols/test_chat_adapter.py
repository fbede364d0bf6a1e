"""ChatAdapter against httpx.MockTransport: the seed stream, one-shot replies, broken streams (§1.1)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from protocol_fakes import (
    INSTANT,
    FakeRequest,
    chunk,
    collect,
    make_relay,
    png,
    remote,
    seed_reply,
    seed_stream,
    sse,
)

from veo_magic._events import Failed, Progress, Submitted, VideoReady
from veo_magic._exceptions import VeoAPIError, VeoInputError
from veo_magic.relays.protocols import adapter_for
from veo_magic.relays.protocols.chat import ChatAdapter

pytestmark = pytest.mark.anyio

SEED_LINKS = [
    "https://veo-video.gptkey.asia/assets/flow/0af272c6-bcc7-48de-8a32-a827bad4392c.mp4",
    "https://veo-video.gptkey.asia/assets/flow/9fc24060-ff7a-439e-a4f3-8387d25f63c9.mp4",
]
SEED_PERCENTS = [9.0, 18.0, 27.0, 36.0, 45.9, 54.9, 63.9, 72.9, 83.7, 90.2]
EVENT_STREAM = {"content-type": "text/event-stream"}


class FakeRelay:
    """Answers the chat POST with ``answer`` and ``GET /v1/videos/{id}`` with ``polls``."""

    def __init__(
        self, answer: bytes | AsyncIterator[bytes] | httpx.Response, polls: list[dict] = ()
    ) -> None:
        self.answer = answer
        self.polls = list(polls)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method == "GET":
            return httpx.Response(200, json=self.polls.pop(0))
        assert request.url.path == "/v1/chat/completions"
        if isinstance(self.answer, httpx.Response):
            return self.answer
        return httpx.Response(200, headers=EVENT_STREAM, content=self.answer)


async def broken(body: bytes, error: Exception) -> AsyncIterator[bytes]:
    """A stream that sends ``body`` and then breaks with ``error``."""
    yield body
    raise error


async def stalled(body: bytes) -> AsyncIterator[bytes]:
    """A stream that sends ``body`` and then nothing at all."""
    yield body
    await asyncio.sleep(30)


async def run(
    fake: FakeRelay, request: FakeRequest | None = None, *, idle_timeout: float = 5.0, **kwargs
) -> list:
    relay = make_relay(fake, idle_timeout=idle_timeout)
    return await collect(ChatAdapter(relay, pacing=INSTANT).run(request, **kwargs))


def test_registered_under_its_name():
    assert adapter_for("chat") is ChatAdapter and ChatAdapter.name == "chat"


async def test_text_body_and_stream_request():
    fake = FakeRelay(seed_stream())
    await run(fake, FakeRequest(wire_model="veo-3.1-fast", n=2))
    request = fake.requests[0]
    assert json.loads(request.content) == {
        "model": "veo-3.1-fast",
        "stream": True,
        "n": 2,
        "messages": [{"role": "user", "content": "a pig flying over the sea"}],
    }
    assert request.headers["accept"] == "text/event-stream"
    assert request.extensions["timeout"]["read"] is None  # only the idle watchdog guards the stream


async def test_image_parts_in_wire_order():
    fake = FakeRelay(seed_stream())
    request = FakeRequest(
        wire_model="veo-3.1-fl",
        first_frame=png(),
        last_frame=remote("https://images.test/end.jpg"),
        references=(remote("https://images.test/ref.png", role="reference"),),
    )
    await run(fake, request)
    content = json.loads(fake.requests[0].content)["messages"][0]["content"]
    assert content == [
        {"type": "text", "text": "a pig flying over the sea"},
        {"type": "image_url", "image_url": {"url": png().data_url()}},
        {"type": "image_url", "image_url": {"url": "https://images.test/end.jpg"}},
        {"type": "image_url", "image_url": {"url": "https://images.test/ref.png"}},
    ]


async def test_seed_stream_events():
    events = await run(FakeRelay(seed_stream()), FakeRequest())
    assert events[0] == Submitted(None, model="veo-3.1-fast")
    assert events[1] == Progress(None, phase="running", message="⌛️ 视频正在生成中,请耐心等待...")
    progress = [e for e in events if isinstance(e, Progress)][1:]
    assert [e.percent for e in progress] == SEED_PERCENTS
    assert progress[0].message == "🏃 进度:9.0%"
    assert events[-2:] == [VideoReady(0, SEED_LINKS[0]), VideoReady(1, SEED_LINKS[1])]
    assert not any(isinstance(e, Failed) for e in events)
    assert all(not e.authenticated for e in events if isinstance(e, VideoReady))


async def test_seed_stream_without_done_ends_at_eof():
    body = seed_stream().replace(b"data: [DONE]\n\n", b"")
    events = await run(FakeRelay(body), FakeRequest())
    assert [e.url for e in events if isinstance(e, VideoReady)] == SEED_LINKS


async def test_full_width_single_video():
    body = sse(
        chunk(role="assistant"),
        chunk("> 🏃 进度：98.7%\n\n"),
        chunk("> ✅ 视频生成成功，[点击这里](https://cdn.test/one.mp4) 查看视频~~~\n\n"),
    )
    events = await run(FakeRelay(body), FakeRequest())
    assert events == [
        Submitted(None, model="veo-3.1-fast"),
        Progress(98.7, phase="running", message="🏃 进度：98.7%"),
        VideoReady(0, "https://cdn.test/one.mp4"),
    ]


async def test_malformed_chunks_are_skipped_and_logged(caplog):
    body = sse(
        "this is not json",
        chunk(role="assistant"),
        {"id": "x", "object": "chat.completion.chunk"},
        {"id": "x", "choices": []},
        "[1, 2]",
        chunk("> 🏃 进度:50.0%\n\n"),
        chunk("> ✅ [点击这里](https://cdn.test/a.mp4)\n\n"),
    )
    with caplog.at_level(logging.INFO, logger="veo_magic"):
        events = await run(FakeRelay(body), FakeRequest())
    assert events == [
        Submitted(None, model="veo-3.1-fast"),
        Progress(50.0, phase="running", message="🏃 进度:50.0%"),
        VideoReady(0, "https://cdn.test/a.mp4"),
    ]
    skipped = [r.getMessage() for r in caplog.records if "skipping" in r.getMessage()]
    assert len(skipped) == 4


async def test_stream_without_a_link_fails_quoting_the_relay():
    body = sse(
        chunk(role="assistant"),
        chunk("> ⌛️ 视频正在生成中,请耐心等待...\n\n"),
        chunk("> ❌ 生成失败: 提示词违反内容政策\n\n"),
    )
    events = await run(FakeRelay(body), FakeRequest())
    assert events[-1] == Failed(
        "The relay ended the stream without a video. It said: "
        "> ⌛️ 视频正在生成中,请耐心等待...\n\n> ❌ 生成失败: 提示词违反内容政策"
    )


async def test_empty_stream_fails():
    events = await run(FakeRelay(sse()), FakeRequest())
    assert events == [Failed("The relay ended the stream without a video, and without a word.")]


async def test_error_chunk_fails_with_its_message():
    body = sse(
        chunk(role="assistant"),
        {"error": {"message": "当前分组上游负载已饱和，请稍后再试", "code": "upstream_error"}},
        chunk("[点击这里](https://cdn.test/late.mp4)\n"),
    )
    events = await run(FakeRelay(body), FakeRequest())
    assert events[1:] == [Failed("当前分组上游负载已饱和，请稍后再试", code="upstream_error")]


async def test_task_id_in_the_stream_is_reported():
    body = sse(
        chunk("> 任务ID: `veo3-pro:03bd`\n\n"),
        chunk("> 🏃 进度:10.0%\n\n"),
        chunk("[点击这里](https://cdn.test/a.mp4)\n\n"),
    )
    events = await run(FakeRelay(body), FakeRequest())
    assert events[1] == Progress(
        None, phase="queued", message="任务ID: veo3-pro:03bd", task_id="veo3-pro:03bd"
    )
    assert events[2] == Progress(10.0, phase="running", message="🏃 进度:10.0%")


async def test_cut_stream_without_task_id_fails_saying_why():
    head = sse(chunk(role="assistant"), chunk("> 🏃 进度:45.9%\n\n"), done=False)
    fake = FakeRelay(broken(head, httpx.RemoteProtocolError("peer closed connection")))
    events = await run(fake, FakeRequest())
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.task_id is None
    assert "RemoteProtocolError: peer closed connection" in failed.message
    assert "after “🏃 进度:45.9%”" in failed.message
    assert "no task id" in failed.message and "cannot be resumed" in failed.message


async def test_cut_stream_with_task_id_follows_the_task():
    head = sse(chunk("> 任务ID: `veo3-pro:03bd`\n\n"), chunk("> 🏃 进度:45.9%\n\n"), done=False)
    fake = FakeRelay(
        broken(head, httpx.ReadError("connection reset")),
        polls=[
            {"id": "veo3-pro:03bd", "status": "in_progress", "progress": 80},
            {"id": "veo3-pro:03bd", "status": "completed", "video_url": "https://cdn.test/v.mp4"},
        ],
    )
    events = await run(fake, FakeRequest())
    notice = events[3]
    assert isinstance(notice, Progress) and "following task veo3-pro:03bd" in notice.message
    assert events[4:] == [
        Progress(80.0, phase="running", message="in_progress"),
        VideoReady(0, "https://cdn.test/v.mp4"),
    ]
    assert [str(r.url.raw_path, "ascii") for r in fake.requests[1:]] == [
        "/v1/videos/veo3-pro:03bd"
    ] * 2


async def test_idle_stream_without_task_id_fails():
    head = sse(chunk(role="assistant"), chunk("> 🏃 进度:9.0%\n\n"), done=False)
    events = await run(FakeRelay(stalled(head)), FakeRequest(), idle_timeout=0.05)
    assert isinstance(events[-1], Failed)
    assert "sent nothing for 0.05 s" in events[-1].message


async def test_idle_stream_with_task_id_follows_the_task():
    head = sse(chunk("> 任务ID: `abc:1`\n\n"), done=False)
    fake = FakeRelay(stalled(head), polls=[{"status": "failed", "error": {"message": "rejected"}}])
    events = await run(fake, FakeRequest(), idle_timeout=0.05)
    assert events[-1] == Failed("The relay reported 'failed': rejected", task_id="abc:1")


async def test_cut_after_a_link_keeps_the_video():
    head = sse(chunk("[点击这里](https://cdn.test/a.mp4)\n\n"), done=False)
    events = await run(FakeRelay(broken(head, httpx.RemoteProtocolError("eof"))), FakeRequest())
    assert events[-1] == VideoReady(0, "https://cdn.test/a.mp4")


async def test_non_stream_reply_seed():
    fake = FakeRelay(httpx.Response(200, json=seed_reply()))
    events = await run(fake, FakeRequest(options={"stream": False}))
    assert json.loads(fake.requests[0].content)["stream"] is False
    task_id = "veo3-pro:03bd6356-8ec6-4e06-be7f-c06febc5eb47"
    assert events[0] == Submitted(task_id, model="veo3-pro")
    assert [e for e in events if isinstance(e, VideoReady)] == [
        VideoReady(0, "https://filesystem.site/cdn/20250822/2hO6Q2oDZtT5I2sZd1lmyGUjmXntfT.mp4"),
    ]
    assert not any(isinstance(e, Progress) and e.task_id for e in events)  # already in Submitted


async def test_relay_that_ignores_stream_true():
    events = await run(FakeRelay(httpx.Response(200, json=seed_reply())), FakeRequest())
    assert events[0].task_id == "veo3-pro:03bd6356-8ec6-4e06-be7f-c06febc5eb47"
    assert isinstance(events[-1], VideoReady)


async def test_non_stream_reply_without_video():
    reply = {
        "model": "veo3-pro",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "> 生成失败"}}],
    }
    events = await run(
        FakeRelay(httpx.Response(200, json=reply)), FakeRequest(options={"stream": False})
    )
    assert events[-1] == Failed("The relay ended its reply without a video. It said: > 生成失败")


async def test_http_error_before_the_stream():
    answer = httpx.Response(401, json={"error": {"message": "无效的令牌", "type": "new_api_error"}})
    with pytest.raises(VeoAPIError) as caught:
        await run(FakeRelay(answer), FakeRequest())
    assert caught.value.status_code == 401 and "无效的令牌" in str(caught.value)


async def test_resume_follows_the_videos_endpoint():
    fake = FakeRelay(b"", polls=[{"status": "completed", "video_url": "https://cdn.test/v.mp4"}])
    events = await run(fake, None, task_id="veo3-pro:03bd")
    assert events == [Submitted("veo3-pro:03bd"), VideoReady(0, "https://cdn.test/v.mp4")]
    assert [(r.method, str(r.url.raw_path, "ascii")) for r in fake.requests] == [
        ("GET", "/v1/videos/veo3-pro:03bd")
    ]


async def test_neither_request_nor_task_id():
    with pytest.raises(VeoInputError):
        await run(FakeRelay(b""), None)


async def test_chat_refused_by_a_gateway_says_to_use_videos():
    """LiteLLM sends chat to Gemini's generateContent, which Veo does not serve: a 404."""

    def litellm(request: httpx.Request) -> httpx.Response:
        message = 'litellm.NotFoundError: GeminiException - {"error":{"message":"Invalid URL"}}'
        return httpx.Response(404, json={"error": {"message": message, "code": "404"}})

    with pytest.raises(VeoAPIError) as info:
        await collect(ChatAdapter(make_relay(litellm)).run(FakeRequest()))
    assert info.value.status_code == 404
    assert str(info.value).startswith("HTTP 404 from POST /v1/chat/completions: litellm.")
    assert "use the videos protocol, --protocol videos" in str(info.value)
