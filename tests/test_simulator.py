"""The relay simulator, over real loopback HTTP: every protocol, dialect and scenario.

The seeds are the reference: the chat stream is checked line by line against seed 001's shape,
the non-stream reply against seed 000's, ``/v1/videos`` against OpenAI's own SDK, and every clip
is probed with ffmpeg for H.264 + AAC at the requested size and length.
"""

from __future__ import annotations

import base64
import json
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.images import png_bytes, write_png
from tests.support import LITELLM_MODELS, assert_clip, wait_until
from veo_magic.simulator import DIALECTS, SCENARIOS, Simulator, server
from veo_magic.simulator.render import Renderer, RenderSpec
from veo_magic.simulator.scenarios import parse_tags

KEY = "sk-simtest-0123456789abcdef"

PROGRESS = re.compile(r"^> 🏃 进度:(\d+\.\d)%\n\n$")
SUCCESS = re.compile(
    r"^> ✅ 第(\d+)个视频生成成功,\[点击这里\]\((http://\S+?\.mp4)\) 查看视频~~~\n\n$"
)
MP4_LINK = re.compile(r"https?://\S+?\.mp4")
OPENAI_VIDEO_FIELDS = {
    "id",
    "object",
    "model",
    "status",
    "progress",
    "created_at",
    "completed_at",
    "expires_at",
    "prompt",
    "size",
    "seconds",
    "remixed_from_video_id",
    "error",
}


@pytest.fixture
def simulator():
    """The seeds' relays: ``/v1/videos`` objects passed through (``passthrough``), whose every
    variant and scenario the tests below read. The default, new-api's own Gemini channel, has its
    own tests (``new_api``)."""
    with Simulator(generation_seconds=0.6, dialect="passthrough") as sim:
        yield sim


@pytest.fixture
def new_api():
    """A simulator with the default ``/v1/videos``: new-api's own code on a Gemini channel."""
    with Simulator(generation_seconds=0.6) as sim:
        yield sim


# -- helpers -----------------------------------------------------------------------------------


def http(sim: Simulator, *, timeout: float = 20.0, key: str | None = KEY) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=sim.base_url, headers=headers, timeout=timeout, trust_env=False)


def chat_body(
    prompt: str | list[dict[str, Any]], model: str = "veo-3.1-fast", **extra: Any
) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": prompt}], **extra}


def stream_chat(sim: Simulator, body: dict[str, Any]) -> tuple[str, list[str]]:
    """The raw SSE text of a chat stream and its ``data:`` payloads."""
    with (
        http(sim) as client,
        client.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as r,
    ):
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        raw = r.read().decode()
    return raw, [line[6:] for line in raw.split("\n") if line.startswith("data: ")]


def contents(payloads: list[str]) -> list[str]:
    """The ``delta.content`` pieces of well-formed chunks, in order."""
    pieces = []
    for payload in payloads:
        try:
            chunk = json.loads(payload)
        except json.JSONDecodeError:
            continue
        for choice in chunk.get("choices") or []:
            if choice.get("delta", {}).get("content"):
                pieces.append(choice["delta"]["content"])
    return pieces


def broken_stream(
    sim: Simulator, prompt: str, error: type[Exception], *, timeout: float = 20.0
) -> list[str]:
    """The ``data:`` payloads a chat stream delivered before it failed with ``error``."""
    seen: list[str] = []
    body = chat_body(prompt, stream=True)
    with (
        http(sim, timeout=timeout) as client,
        pytest.raises(error),
        client.stream("POST", "/v1/chat/completions", json=body) as r,
    ):
        for line in r.iter_lines():
            seen.append(line)
    return [line[6:] for line in seen if line.startswith("data: ")]


def progress_of(payloads: list[str]) -> list[float]:
    return [float(m.group(1)) for piece in contents(payloads) if (m := PROGRESS.match(piece))]


def create_video(
    client: httpx.Client, prompt: str = "a lighthouse at dusk", **fields: Any
) -> dict[str, Any]:
    r = client.post(
        "/v1/videos", json={"model": "veo-3.1", "prompt": prompt, "seconds": "8", **fields}
    )
    assert r.status_code == 200, r.text
    return r.json()


def poll_video(
    client: httpx.Client, video_id: str, done: tuple[str, ...] = ("completed", "failed")
) -> list[dict]:
    """Every video object seen until its status is one of ``done``."""
    seen: list[dict] = []

    def finished() -> bool:
        r = client.get(f"/v1/videos/{video_id}")
        assert r.status_code == 200, r.text
        seen.append(r.json())
        return seen[-1]["status"] in done

    wait_until(finished)
    return seen


def data_url(image: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(image).decode()


def video_url(video: dict[str, Any]) -> str | None:
    """The result URL wherever a dialect put it (PROTOCOLS.md §5 order)."""
    metadata = video.get("metadata") or {}
    return (
        video.get("video_url")
        or video.get("url")
        or metadata.get("url")
        or metadata.get("video_url")
    )


# -- chat: stream and non-stream --------------------------------------------------------------


def test_chat_stream_has_seed_001_shape(simulator):
    simulator.set_scenario("slow")  # a few seconds of progress lines, however loaded the machine
    raw, payloads = stream_chat(simulator, chat_body("画只猪在天上飞", n=2))

    assert raw.endswith("data: [DONE]\n\n") and payloads[-1] == "[DONE]"
    assert all(block.startswith("data: ") for block in raw.strip().split("\n\n"))
    assert "\\u003e ⌛️" in raw and '"> ' not in raw  # Go's encoder escapes '>' as in the seed
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert {c["id"] for c in chunks} == {chunks[0]["id"]} and chunks[0]["id"].startswith(
        "foaicmpl-"
    )
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert {c["model"] for c in chunks} == {"veo-3.1-fast"}
    assert chunks[0]["choices"][0] == {
        "index": 0,
        "delta": {"role": "assistant"},
        "finish_reason": None,
    }

    pieces = [c["choices"][0]["delta"]["content"] for c in chunks[1:-1]]
    assert (
        pieces[0]
        == '```json\n{\n    "prompt": "画只猪在天上飞",\n    "mode": "竖屏模式"\n}\n```\n\n'
    )
    assert pieces[1] == "> ⌛️ 视频正在生成中,请耐心等待...\n\n"
    progress = [float(m.group(1)) for p in pieces if (m := PROGRESS.match(p))]
    successes = [SUCCESS.match(p) for p in pieces if p.startswith("> ✅")]
    assert len(pieces) == 2 + len(progress) + len(successes)  # nothing else in between
    assert len(progress) >= 3 and progress == sorted(progress) and progress[-1] < 100
    assert [int(m.group(1)) for m in successes if m] == [1, 2]
    assert pieces[-2:] == [m.group(0) for m in successes if m]  # success lines come last

    final = chunks[-1]
    assert final["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "stop"}
    assert set(final["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}


def test_chat_stream_links_a_real_landscape_clip(simulator, tmp_path):
    _, payloads = stream_chat(
        simulator, chat_body("a red kite over the dunes", model="veo-3.1-landscape")
    )
    pieces = contents(payloads)
    assert '"mode": "横屏模式"' in pieces[0]
    (line,) = [p for p in pieces if p.startswith("> ✅")]
    match = SUCCESS.match(line)
    assert match and match.group(1) == "1"  # seed style: 第1个 even for one video
    with http(simulator) as client:
        clip = client.get(match.group(2))
    assert clip.status_code == 200 and clip.headers["content-type"] == "video/mp4"
    assert "/assets/flow/" in match.group(2)
    assert_clip(clip.content, 1280, 720, 8)


def test_chat_non_stream_reply_has_seed_000_shape(simulator):
    with http(simulator) as client:
        r = client.post("/v1/chat/completions", json=chat_body("a quiet harbour", model="veo_3_1"))
        assert r.status_code == 200
        reply = r.json()
        assert reply["object"] == "chat.completion" and reply["id"].startswith("chatcmpl-")
        assert reply["model"] == "veo_3_1" and reply["choices"][0]["finish_reason"] == "stop"
        assert {"prompt_tokens_details", "completion_tokens_details"} <= reply["usage"].keys()
        content = reply["choices"][0]["message"]["content"]
        task_id = re.search(r"任务ID: `(veo_3_1:[0-9a-f-]{36})`", content).group(1)
        base = re.escape(simulator.base_url)
        assert re.search(
            rf"\[数据预览\]\({base}/web/{re.escape(task_id)}\) \| "
            rf"\[原始数据\]\({base}/source/{re.escape(task_id)}\)",
            content,
        )
        assert "> 类型: 文字生成" in content and "> 🎉 高质量视频已生成" in content
        links = re.search(
            r"\[▶️ 在线观看\]\((\S+?/cdn/\d{8}/\w+\.mp4)\) \| \[⏬ 下载视频\]\((\S+?/cdn/download/\d{8}/\w+\.mp4)\)",
            content,
        )
        assert links
        download = client.get(links.group(2))
        assert (
            download.status_code == 200 and "attachment" in download.headers["content-disposition"]
        )
        assert client.get(links.group(1)).content == download.content

        # apiyi: chat tasks support the async format, so the id resumes through /v1/videos
        video = client.get(f"/v1/videos/{task_id}").json()
        assert (
            video["status"] == "completed"
            and video["seconds"] == "8"
            and video["size"] == "720x1280"
        )
        assert client.get(f"/v1/videos/{task_id}/content").content == download.content
        assert client.get(f"/source/{task_id}").json()["video_url"]
        assert "<video" in client.get(f"/web/{task_id}").text


def test_chat_images_become_first_and_last_frames_only_on_fl_models(simulator):
    first, last = data_url(png_bytes()), data_url(png_bytes(color=(0, 0, 255)))
    parts = [
        {"type": "text", "text": "morph between them"},
        {"type": "image_url", "image_url": {"url": first}},
        {"type": "image_url", "image_url": {"url": last}},
        {"type": "image_url", "image_url": {"url": "https://example.com/third.jpg"}},
    ]
    with http(simulator) as client:
        for model, roles in (
            ("veo-3.1-fl", ["first", "last", "ignored"]),
            ("veo-3.1", ["first", "ignored", "ignored"]),
        ):
            reply = client.post("/v1/chat/completions", json=chat_body(parts, model=model)).json()
            content = reply["choices"][0]["message"]["content"]
            assert "> 类型: 图片生成" in content
            task = simulator.tasks[re.search(r"任务ID: `(\S+)`", content).group(1)]
            assert [i.role for i in task.images] == roles
            assert [i.source for i in task.images] == ["data", "data", "url"]
            assert task.images[0].content_type == "image/png" and task.images[0].size == len(
                png_bytes()
            )
            assert {role for role, _ in task.clips[0].spec.images} == set(roles) - {"ignored"}


def test_chat_dialects_from_a_tag(simulator):
    _, payloads = stream_chat(simulator, chat_body("a fox [[sim:fullwidth,no_ordinal]]"))
    pieces = contents(payloads)
    assert pieces[1] == "> ⌛️ 任务正在队列中，请耐心等待...\n\n"
    assert any(re.match(r"^> 🏃 进度：\d+\.\d%\n\n$", p) for p in pieces)
    (line,) = [p for p in pieces if p.startswith("> ✅")]
    assert line.startswith("> ✅ 视频生成成功，[点击这里](") and "第" not in line
    (task,) = simulator.tasks.values()
    assert task.prompt == "a fox [[sim:fullwidth,no_ordinal]]"  # echoed as given
    assert task.clips[0].spec.text == "a fox"  # the tag is not drawn


def test_chat_asyncdata_stream_reveals_the_task_id_first(simulator):
    simulator.set_dialect("asyncdata")
    _, payloads = stream_chat(simulator, chat_body("a paper boat"))
    pieces = contents(payloads)
    assert pieces[0] == "> 视频生成任务已创建\n" and pieces[1].startswith(
        "> 任务ID: `veo-3.1-fast:"
    )
    text = "".join(pieces)
    assert "> 🎬 开始生成视频." in text and re.search(r"\[▶️ 在线观看\]\(\S+\.mp4\)", text)
    assert payloads[-1] == "[DONE]"


def test_chat_rejects_bad_requests_before_creating(simulator):
    with http(simulator) as client:
        assert client.post("/v1/chat/completions", json={"model": "veo-3.1"}).status_code == 400
        r = client.post("/v1/chat/completions", json=chat_body("x", n=5))
        assert r.status_code == 400 and r.json()["error"]["param"] == "n"
        r = client.post("/v1/chat/completions", json=chat_body("a cat [[sim:nonsense]]"))
        assert (
            r.status_code == 400
            and "unknown simulator tag 'nonsense'" in r.json()["error"]["message"]
        )
    assert simulator.accepted_creates == 0


# -- /v1/videos --------------------------------------------------------------------------------


def test_videos_create_poll_and_download(simulator, tmp_path):
    with http(simulator) as client:
        video = create_video(client, size="1280x720")
        assert re.fullmatch(r"video_[0-9a-f]{8}-[0-9a-f-]{27}", video["id"])
        assert video.keys() >= OPENAI_VIDEO_FIELDS
        assert (video["object"], video["status"], video["progress"]) == ("video", "queued", 0)
        assert (video["seconds"], video["size"], video["model"]) == ("8", "1280x720", "veo-3.1")

        early = client.get(f"/v1/videos/{video['id']}/content")
        assert early.status_code == 400
        assert early.json()["error"]["message"].startswith(
            "Task is not completed yet, current status: "
        )

        seen = poll_video(client, video["id"])
        statuses = [v["status"] for v in seen]
        assert statuses[-1] == "completed" and "in_progress" in statuses
        assert [s for i, s in enumerate(statuses) if i == 0 or s != statuses[i - 1]] == [
            "in_progress",
            "completed",
        ] or statuses[0] == "queued"
        progresses = [v["progress"] for v in seen]
        assert progresses == sorted(progresses) and progresses[-1] == 100
        done = seen[-1]
        assert done["completed_at"] and done["expires_at"] > done["completed_at"]

        content = client.get(f"/v1/videos/{video['id']}/content")
        assert content.status_code == 200 and content.headers["content-type"] == "video/mp4"
        assert content.headers["accept-ranges"] == "bytes"
        assert_clip(content.content, 1280, 720, 8)
        assert (
            client.get(done["metadata"]["url"]).content == content.content
        )  # new-api: metadata.url

        part = client.get(f"/v1/videos/{video['id']}/content", headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == content.content[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(content.content)}"
        tail = client.get(done["metadata"]["url"], headers={"Range": "bytes=-50"})
        assert tail.status_code == 206 and tail.content == content.content[-50:]
        bad = client.get(
            done["metadata"]["url"], headers={"Range": f"bytes={len(content.content)}-"}
        )
        assert bad.status_code == 416

        assert client.get("/v1/videos/video_nope/content").status_code == 404
        missing = client.get("/v1/videos/video_nope")
        assert (
            missing.status_code == 404
            and missing.json()["error"]["type"] == "invalid_request_error"
        )


def test_videos_integer_seconds_get_openai_400(simulator):
    with http(simulator) as client:
        r = client.post("/v1/videos", json={"model": "veo-3.1", "prompt": "x", "seconds": 8})
    assert r.status_code == 400
    error = r.json()["error"]
    assert (
        error["message"].startswith("Invalid type for 'seconds'") and "integer" in error["message"]
    )
    assert (error["type"], error["param"], error["code"]) == (
        "invalid_request_error",
        "seconds",
        "invalid_type",
    )
    assert simulator.accepted_creates == 0


@pytest.mark.parametrize(
    ("size", "pixels"),
    [
        ("16x9", (1280, 720)),
        ("16:9", (1280, 720)),
        ("9:16", (720, 1280)),
        ("720x1280", (720, 1280)),
        (None, (720, 1280)),
    ],
)
def test_videos_size_spellings(simulator, size, pixels):
    fields = {"size": size} if size else {}
    with http(simulator) as client:
        video = create_video(client, **fields)
    task = simulator.tasks[video["id"]]
    assert (task.width, task.height) == pixels and video["size"] == (size or "720x1280")


def test_videos_bad_size_is_refused(simulator):
    with http(simulator) as client:
        r = client.post("/v1/videos", json={"model": "veo-3.1", "prompt": "x", "size": "huge"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "size"


def test_videos_multipart_reference_is_logged_without_the_key(simulator, tmp_path):
    image = png_bytes()
    with http(simulator) as client:
        r = client.post(
            "/v1/videos",
            data={
                "model": "veo_3_1",
                "prompt": "the cow dances",
                "seconds": "8",
                "size": "16x9",
                "watermark": "false",
            },
            files={"input_reference": ("scene.png", image, "image/png")},
        )
    assert r.status_code == 200, r.text
    (entry,) = [e for e in simulator.requests if e.path == "/v1/videos"]
    assert entry.form == {
        "model": "veo_3_1",
        "prompt": "the cow dances",
        "seconds": "8",
        "size": "16x9",
        "watermark": "false",
    }
    assert entry.files == [
        {
            "field": "input_reference",
            "filename": "scene.png",
            "size": len(image),
            "content_type": "image/png",
        }
    ]
    assert entry["method"] == "POST" and entry.headers["authorization"] == "<redacted>"
    assert entry.auth_present and entry.auth_bearer and entry.status == 200
    task = simulator.tasks[r.json()["id"]]
    assert [(i.role, i.source, i.size) for i in task.images] == [("first", "upload", len(image))]


def test_videos_json_references_follow_the_model(simulator):
    with http(simulator) as client:
        video = create_video(
            client,
            model="veo3.1-frames",
            input_reference={"image_url": data_url(png_bytes())},
            images=["https://example.com/last.png"],
        )
    task = simulator.tasks[video["id"]]
    assert [(i.role, i.source) for i in task.images] == [("first", "data"), ("last", "url")]
    assert [role for role, _ in task.clips[0].spec.images] == [
        "first"
    ]  # a URL cannot be fetched offline


def test_videos_list_remix_and_delete(simulator):
    with http(simulator) as client:
        first = create_video(client, "one")
        second = create_video(client, "two")
        listing = client.get("/v1/videos", params={"limit": 1}).json()
        assert listing["object"] == "list" and listing["has_more"] is True
        assert [v["id"] for v in listing["data"]] == [second["id"]] == [listing["first_id"]]
        rest = client.get("/v1/videos", params={"after": second["id"]}).json()
        assert [v["id"] for v in rest["data"]] == [first["id"]]

        poll_video(client, first["id"])
        remix = client.post(
            f"/v1/videos/{first['id']}/remix", json={"prompt": "one, at night"}
        ).json()
        assert remix["remixed_from_video_id"] == first["id"] and remix["status"] == "queued"

        gone = client.delete(f"/v1/videos/{second['id']}")
        assert gone.json() == {"id": second["id"], "object": "video.deleted", "deleted": True}
        assert client.get(f"/v1/videos/{second['id']}").status_code == 404


def test_videos_dialects(simulator):
    names = [
        "sora_status",
        "upper_status",
        "video_url",
        "url",
        "metadata_video_url",
        "id_uuid",
        "id_task",
        "content_json",
        "minimal",
        "poloapi",
    ]
    with http(simulator) as client:
        # slow: seconds of "processing" to be seen, however loaded the machine
        made = {name: create_video(client, f"a dialect [[sim:slow,{name}]]") for name in names}
        final = {
            name: poll_video(client, v["id"], done=("completed", "succeeded", "SUCCESS"))
            for name, v in made.items()
        }
        statuses = {name: [v["status"] for v in seen] for name, seen in final.items()}
        last = {name: seen[-1] for name, seen in final.items()}

        assert {"processing", "succeeded"} <= set(statuses["sora_status"])
        assert made["sora_status"]["status"] == "pending"
        assert (
            made["upper_status"]["status"] == "QUEUED" and statuses["upper_status"][-1] == "SUCCESS"
        )
        assert last["video_url"]["video_url"] and "metadata" not in last["video_url"]
        assert last["url"]["url"] and "metadata" not in last["url"]
        assert last["metadata_video_url"]["metadata"]["video_url"]
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", made["id_uuid"]["id"]
        )
        assert (
            made["id_task"]["id"].startswith("task_")
            and made["id_task"]["task_id"] == made["id_task"]["id"]
        )
        assert re.fullmatch(r"veo-3\.1:\d{10}-[A-Za-z0-9]{10}", made["poloapi"]["id"])
        assert "progress" not in made["minimal"] and "size" not in made["minimal"]
        for name in ("content_json", "poloapi"):
            r = client.get(f"/v1/videos/{made[name]['id']}/content")
            assert r.headers["content-type"].startswith("application/json") and r.json()[
                "video_url"
            ].endswith(".mp4")
        for name in names:
            url = video_url(last[name])
            assert url and client.get(url).content[4:8] == b"ftyp", name


# -- /v1/videos as new-api's own code serves it (the default; NEWAPI.md) ----------------------

NEW_API_POLL_FIELDS = {"id", "object", "model", "status", "progress", "created_at", "completed_at"}


def test_new_api_videos_as_its_source_answers(new_api):
    with http(new_api) as client:
        r = client.post(
            "/v1/videos",
            json={
                "model": "veo-3.1",
                "prompt": "a lighthouse at dusk",
                "seconds": "8",
                "size": "1280x720",
                "metadata": {"durationSeconds": 4, "negativePrompt": "rain"},
            },
        )
        assert r.status_code == 200, r.text
        created = r.json()
        assert re.fullmatch(r"task_[A-Za-z0-9]{32}", created["id"])
        assert created == {
            "id": created["id"],
            "task_id": created["id"],
            "object": "video",
            "model": "veo-3.1",
            "status": "queued",
            "progress": 0,
            "created_at": created["created_at"],
        }
        assert json.loads(r.headers["x-new-api-other-ratios"]) == {"resolution": 1, "seconds": 8}

        early = client.get(f"/v1/videos/{created['id']}/content")
        assert early.status_code == 400 and early.json()["error"]["message"] in (
            "Task is not completed yet, current status: NOT_START",
            "Task is not completed yet, current status: IN_PROGRESS",
        )
        seen = poll_video(client, created["id"])
        assert all(v.keys() == NEW_API_POLL_FIELDS for v in seen)
        assert {v["status"] for v in seen} <= {"unknown", "in_progress", "completed"}
        assert {v["progress"] for v in seen} <= {0, 50, 100} and seen[-1]["progress"] == 100
        assert all(v["completed_at"] for v in seen)  # set even while it runs
        assert seen[-1]["model"] == "veo-3.1-generate-preview"  # the upstream's name

        whole = client.get(f"/v1/videos/{created['id']}/content", headers={"Range": "bytes=0-99"})
        assert whole.status_code == 200 and "accept-ranges" not in whole.headers
        assert_clip(whole.content, 1280, 720, 4)  # metadata.durationSeconds, not seconds
    task = new_api.tasks[created["id"]]
    assert task.request["parameters"] == {
        "durationSeconds": 4,
        "negativePrompt": "rain",
        "sampleCount": 1,
    }


def test_new_api_length_shape_and_images_come_from_what_google_is_sent(new_api):
    image = png_bytes()
    with http(new_api) as client:
        only_seconds = create_video(client, seconds="4", size="720x1280")  # billed, not sent
        ratio = create_video(client, size="9:16")  # new-api reads WxH only
        full_hd = create_video(client, size="1080x1920")
        upload = client.post(
            "/v1/videos",
            data={"model": "veo-3.1-fl", "prompt": "x", "size": "720x1280", "durationSeconds": "6"},
            files=[
                ("input_reference", ("a.png", image, "image/png")),
                ("input_reference", ("b.png", image, "image/png")),
            ],
        ).json()
        url_only = create_video(client, images=["https://example.com/a.png"])
    tasks = new_api.tasks
    assert tasks[only_seconds["id"]].seconds == 8
    assert (tasks[ratio["id"]].width, tasks[ratio["id"]].height) == (1280, 720)
    assert (tasks[full_hd["id"]].width, tasks[full_hd["id"]].height) == (1080, 1920)
    assert tasks[upload["id"]].seconds == 6  # a multipart field folded into metadata, parsed
    assert [(i.role, i.source) for i in tasks[upload["id"]].images] == [("first", "upload")]
    assert tasks[url_only["id"]].images == []  # an HTTP image URL is dropped


def test_new_api_filtered_refused_and_unknown(new_api):
    with http(new_api) as client:
        filtered = create_video(client, "x [[sim:filtered]]")
        refused = create_video(client, "x [[sim:refuse]]")
        last = poll_video(client, filtered["id"])[-1]
        assert (last["status"], last["progress"]) == ("completed", 100)  # charged, no video
        assert "error" not in last and "metadata" not in last
        content = client.get(f"/v1/videos/{filtered['id']}/content")
        assert content.status_code == 502
        assert content.json() == {
            "error": {"message": "Failed to resolve Gemini video URL", "type": "server_error"}
        }
        failed = poll_video(client, refused["id"])[-1]
        assert failed["status"] == "failed" and failed.keys() == NEW_API_POLL_FIELDS  # no reason

        unknown = client.get("/v1/videos/task_nope")
        assert unknown.status_code == 400
        assert unknown.json() == {
            "code": "task_not_exist",
            "message": "task_not_exist",
            "data": None,
        }
        for method in ("GET", "DELETE"):
            path = "/v1/videos" if method == "GET" else f"/v1/videos/{filtered['id']}"
            gone = client.request(method, path)
            assert gone.status_code == 404 and gone.json()["error"]["message"] == (
                f"Invalid URL ({method} {path})"
            )


def test_new_api_refuses_what_its_parser_refuses(new_api):
    base = {"model": "veo-3.1", "prompt": "x"}
    with http(new_api) as client:
        number = client.post("/v1/videos", json={**base, "seconds": 8})
        text_length = client.post("/v1/videos", json={**base, "metadata": {"durationSeconds": "8"}})
        no_model = client.post("/v1/videos", json={"prompt": "x"})
    assert number.status_code == 400 and number.json()["code"] == "invalid_request"
    assert text_length.status_code == 500 and text_length.json()["code"] == "build_request_failed"
    assert no_model.status_code == 400
    assert new_api.accepted_creates == 0


def test_models_list_as_new_api_gives_it(new_api):
    with http(new_api) as client:
        listing = client.get("/v1/models").json()
        assert listing["success"] is True and listing["object"] == "list"
        names = [m["id"] for m in listing["data"]]
        assert {"veo-3.1", "veo-3.1-landscape-fast-fl", "veo_3_1-4K", "sora-2"} <= set(names)
        assert listing["data"][0].keys() == {
            "id",
            "object",
            "created",
            "owned_by",
            "supported_endpoint_types",
        }
        new_api.set_models(["veo-3.1", "video-hq"])
        assert [m["id"] for m in client.get("/v1/models").json()["data"]] == ["veo-3.1", "video-hq"]
        assert client.get("/v1/models/video-hq").json()["id"] == "video-hq"
        assert client.get("/v1/models/veo-3.1-fast").status_code == 404
        assert http(new_api, key=None).get("/v1/models").status_code == 401
        r = client.post("/__sim__/scenario", json={"models": None})
        assert r.status_code == 200 and len(new_api.models) == len(names)


def test_models_list_in_litellms_shape(new_api):
    new_api.set_dialect("litellm_models")
    new_api.set_models(["veo-3.1"])
    with http(new_api) as client:
        assert client.get("/v1/models").json() == LITELLM_MODELS


def test_tls_mode_serves_gemini_file_links_fetchable_as_written(tmp_path):
    pytest.importorskip("trustme", reason="the simulator extra brings trustme (make test)")
    with Simulator(generation_seconds=0.3, tls=True) as sim:
        assert sim.base_url.startswith("https://127.0.0.1:") and sim.ca_file.is_file()
        google = {"x-goog-api-key": KEY}
        trust = ssl.create_default_context(cafile=str(sim.ca_file))
        with httpx.Client(base_url=sim.base_url, verify=trust, trust_env=False) as c:
            r = c.post(
                "/v1beta/models/veo-3.1-generate-preview:predictLongRunning",
                headers=google,
                json={"instances": [{"prompt": "a lighthouse"}], "parameters": {}},
            )
            name = r.json()["name"]
            done = wait_until(
                lambda: (o := c.get(f"/v1beta/{name}", headers=google).json()).get("done") and o
            )
            uri = done["response"]["generateVideoResponse"]["generatedSamples"][0]["video"]["uri"]
            assert uri.startswith(f"{sim.base_url}/v1beta/files/")  # https, this very host
            assert c.get(uri).status_code == 403  # as Google's: the key is needed
            hop = c.get(uri, headers=google)
            assert hop.status_code == 302 and hop.headers["location"].startswith(
                "https://localhost:"
            )
            clip = c.get(uri, headers=google, follow_redirects=True)
            assert clip.status_code == 200 and clip.content[4:8] == b"ftyp"
            unknown = c.post(
                "/v1beta/models/veo-3.1-generate-preview:generateContent", headers=google
            )
            assert unknown.status_code == 404
            assert unknown.json()["error"]["status"] == "NOT_FOUND"
            assert unknown.json()["error"]["code"] == 404
            assert "generateContent" in unknown.json()["error"]["message"]
    assert not sim.ca_file  # the throwaway CA is gone with the server


# -- /v1/video/create + query ------------------------------------------------------------------


def test_create_walks_the_veo_statuses(simulator, tmp_path):
    order = [
        "pending",
        "image_downloading",
        "video_generating",
        "video_generation_completed",
        "video_upsampling",
        "video_upsampling_completed",
        "completed",
    ]
    with http(simulator) as client:
        r = client.post(
            "/v1/video/create",
            json={
                "model": "veo3.1-fast",
                "prompt": "a tram in the rain",
                "aspect_ratio": "16:9",
                "enhance_prompt": True,
                "images": [],
            },
        )
        created = r.json()
        assert re.fullmatch(r"veo3\.1-fast:\d{10}-[A-Za-z0-9]{10}", created["id"])
        assert created["status"] == "pending" and created["status_update_time"] > 10**12  # ms
        assert created["enhanced_prompt"]
        seen: list[dict] = []

        def done() -> bool:
            seen.append(client.get("/v1/video/query", params={"id": created["id"]}).json())
            return seen[-1]["status"] == "completed"

        wait_until(done, interval=0.01)
        statuses = [s["status"] for s in seen]
        distinct = [s for i, s in enumerate(statuses) if i == 0 or s != statuses[i - 1]]
        assert distinct == [s for s in order if s in distinct] and len(distinct) >= 5
        assert "video_generation_completed" in distinct  # not terminal: upsampling follows
        final = seen[-1]
        assert final["id"] == created["id"] and final["detail"]["running"] is False
        assert final["detail"]["video_url"] == final["video_url"]
        assert final["detail"]["video_generation_status"] == "MEDIA_GENERATION_STATUS_SUCCESSFUL"
        assert final["detail"]["req"]["prompt"] == "a tram in the rain"
        assert_clip(client.get(final["video_url"]).content, 1280, 720, 8)


def test_create_dialects_bare_id_and_upsample(simulator):
    with http(simulator) as client:
        made = client.post(
            "/v1/video/create",
            json={
                "model": "veo3.1",
                "prompt": "x [[sim:query_id_bare,upsample]]",
                "aspect_ratio": "9:16",
            },
        ).json()
        final = wait_until(
            lambda: (
                (q := client.get("/v1/video/query", params={"id": made["id"]}).json())["status"]
                == "completed"
                and q
            )
        )
        assert final["id"] == made["id"].split(":", 1)[1]
        upsampled = final["detail"]["upsample_video_url"]
        assert upsampled and final["video_url"] == upsampled != final["detail"]["video_url"]
        assert client.get(upsampled).content[4:8] == b"ftyp"
        # the bare id is only what the query answers: querying with it finds nothing
        assert client.get("/v1/video/query", params={"id": final["id"]}).status_code == 404


# -- auth, routes, control -----------------------------------------------------------------------


def test_auth_accepts_any_key_and_refuses_none(simulator):
    with http(simulator, key=None) as client:
        missing = client.post("/v1/videos", json={"prompt": "x"})
        empty = client.get(
            "/v1/videos", headers={"Authorization": "Bearer sk-"}
        )  # nothing after stripping
        bare = client.get("/v1/videos", headers={"Authorization": "sk-bare-key"})
    for r in (missing, empty):
        assert r.status_code == 401
        error = r.json()["error"]
        assert re.fullmatch(r"未提供令牌 \(request id: \d{20,}\w{8}\)", error["message"])
        assert (error["type"], error["code"]) == ("new_api_error", "")
    assert bare.status_code == 200
    assert [(e.auth_present, e.auth_bearer) for e in simulator.requests] == [
        (False, False),
        (True, True),
        (True, False),
    ]
    assert simulator.accepted_creates == 0


def test_unknown_routes_and_methods_get_new_api_404(simulator):
    with http(simulator) as client:
        for method, path in (
            ("GET", "/v1/nope"),
            ("PUT", "/v1/videos"),
            ("GET", "/v1/video/create"),
        ):
            r = client.request(method, path)
            assert r.status_code == 404
            assert r.json()["error"] == {
                "message": f"Invalid URL ({method} {path})",
                "type": "invalid_request_error",
                "param": "",
                "code": "",
            }


def test_the_key_is_never_logged_or_echoed(simulator):
    bodies = []
    with http(simulator) as client:
        video = create_video(client)
        bodies += [json.dumps(video), client.get("/v1/videos").text, client.get("/v1/nope").text]
        bodies.append(client.post("/v1/chat/completions", json=chat_body("x [[sim:auth]]")).text)
    logged = json.dumps([dict(e) for e in simulator.requests], default=str)
    for text in [*bodies, logged, repr(simulator.requests)]:
        assert KEY not in text and KEY.removeprefix("sk-") not in text


def test_control_route_sets_the_scenario(simulator):
    with httpx.Client(base_url=simulator.base_url, trust_env=False) as client:
        assert (
            client.post("/__sim__/scenario", json={"name": "refuse"}).json()["scenario"] == "refuse"
        )
        assert simulator.scenario == "refuse"
        assert client.post("/__sim__/scenario", json={"name": "bogus"}).status_code == 400
        state = client.get("/__sim__/state").json()
    assert state["scenario"] == "refuse" and state["accepted_creates"] == 0
    assert simulator.requests == []  # control traffic stays out of the log


def test_accepted_creates_counts_only_tasks_that_exist(simulator):
    with http(simulator) as client:
        create_video(client)
        client.post("/v1/videos", json={"prompt": "x", "seconds": 4})  # 400: nothing made
        client.post("/v1/videos", json={"prompt": "x [[sim:quota]]"})  # 403: nothing made
        client.post("/v1/video/create", json={"model": "veo3.1", "prompt": "y"})
    assert simulator.accepted_creates == 2 and len(simulator.tasks) == 2


def test_tags_parse_and_strip():
    tags = parse_tags("a cat [[sim:refuse]] on a mat [[sim:fullwidth, upper_status]]")
    assert (tags.text, tags.scenario, tags.dialects) == (
        "a cat on a mat",
        "refuse",
        "fullwidth,upper_status",
    )
    with pytest.raises(ValueError, match="two simulator scenarios"):
        parse_tags("[[sim:refuse]] [[sim:quota]]")


# -- scenarios -----------------------------------------------------------------------------------


def test_refuse_on_every_protocol(simulator):
    _, payloads = stream_chat(simulator, chat_body("something unsafe [[sim:refuse]]"))
    text = "".join(contents(payloads))
    assert not MP4_LINK.search(text) and payloads[-1] == "[DONE]"
    assert "> ❌ 视频生成失败,原因: your request contains unsafe prompt or images" in text
    with http(simulator) as client:
        video = create_video(client, "unsafe [[sim:refuse]]")
        failed = poll_video(client, video["id"])[-1]
        assert failed["status"] == "failed" and "rejected by google" in failed["error"]["message"]
        assert video_url(failed) is None
        content = client.get(f"/v1/videos/{video['id']}/content")
        assert (
            content.json()["error"]["message"]
            == "Task is not completed yet, current status: FAILURE"
        )

        made = client.post(
            "/v1/video/create", json={"model": "veo3.1", "prompt": "unsafe [[sim:refuse]]"}
        ).json()
        final = wait_until(
            lambda: (
                (q := client.get("/v1/video/query", params={"id": made["id"]}).json())["status"]
                != "pending"
                and q["status"].endswith("failed")
                and q
            )
        )
        assert final["status"] == "video_generation_failed" and final["video_url"] is None
        assert "unsafe prompt or images" in final["detail"]["video_generation_error"]
        assert "rejected by google" in final["detail"]["video_generation_error"]
    assert simulator.accepted_creates == 3  # a refusal happens after the task was taken


def test_auth_scenario_tagged_and_server_wide(simulator):
    with http(simulator) as client:
        r = client.post("/v1/chat/completions", json=chat_body("x [[sim:auth]]"))
        assert r.status_code == 401 and r.json()["error"]["message"].startswith(
            "无效的令牌 (request id:"
        )
        assert client.get("/v1/videos").status_code == 200  # the tag refused one request only
        simulator.set_scenario("auth")
        assert client.get("/v1/videos").status_code == 401
    assert simulator.accepted_creates == 0


def test_quota_and_no_channel(simulator):
    with http(simulator) as client:
        quota = client.post("/v1/videos", json={"model": "veo-3.1", "prompt": "x [[sim:quota]]"})
        channel = client.post(
            "/v1/video/create", json={"model": "veo3.1-pro", "prompt": "x [[sim:no_channel]]"}
        )
    assert quota.status_code == 403
    assert (quota.json()["error"]["code"], quota.json()["error"]["type"]) == (
        "insufficient_user_quota",
        "new_api_error",
    )
    assert channel.status_code == 503
    error = channel.json()["error"]
    assert error["message"].startswith(
        "No available channel for model veo3.1-pro under group default (distributor) (request id:"
    )
    assert (error["code"], error["type"]) == ("model_not_found", "new_api_error")
    assert simulator.accepted_creates == 0


def test_budget_exceeded_replays_litellms_answer(simulator):
    with http(simulator) as client:
        r = client.post(
            "/v1/videos", json={"model": "veo-3.1", "prompt": "x [[sim:budget_exceeded]]"}
        )
    assert r.status_code == 422
    assert r.content == (
        b'{"error":{"message":"Budget has been exceeded! Current cost: 2.0, Max budget: 1.5",'
        b'"type":"budget_exceeded","param":null,"code":"422"}}'
    )
    assert simulator.accepted_creates == 0


def test_retired_model_answers_404_wrapped_by_the_relay(simulator):
    """Google's 404 for a retired model, as a relay passes it on (apiyi: fail_to_fetch_task)."""
    with http(simulator) as client:
        videos = client.post("/v1/videos", json={"model": "veo-3.1", "prompt": "x [[sim:retired]]"})
        chat = client.post("/v1/chat/completions", json=chat_body("x [[sim:retired]]"))
    assert videos.status_code == 404 and videos.json()["code"] == "fail_to_fetch_task"
    assert "is no longer available" in videos.json()["message"]
    assert chat.status_code == 404 and "is no longer available" in chat.json()["error"]["message"]
    assert simulator.accepted_creates == 0


def test_rate_limit_refuses_two_creates_then_accepts(simulator):
    simulator.set_scenario("rate_limit")
    with http(simulator) as client:
        answers = [
            client.post("/v1/videos", json={"model": "veo-3.1", "prompt": "x"}) for _ in range(3)
        ]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["retry-after"] == "1"
    assert answers[0].json() == {
        "code": "rate_limit_exceeded",
        "message": "当前分组上游负载已饱和，请稍后再试",
        "data": None,
    }
    assert simulator.accepted_creates == 1
    simulator.set_scenario("rate_limit")  # selecting it again restarts the count
    with http(simulator) as client:
        chat = client.post("/v1/chat/completions", json=chat_body("x"))
    assert (
        chat.status_code == 429
        and chat.json()["error"]["message"] == "当前分组上游负载已饱和，请稍后再试"
    )


def test_server_error_after_accept_still_charges(simulator):
    with http(simulator) as client:
        chat = client.post(
            "/v1/chat/completions", json=chat_body("x [[sim:server_error_after_accept]]")
        )
        videos = client.post("/v1/videos", json={"prompt": "y [[sim:server_error_after_accept]]"})
    assert chat.status_code == 500 and chat.json()["error"]["message"]
    assert videos.status_code == 502 and videos.json()["code"] == "do_request_failed"
    assert simulator.accepted_creates == 2
    assert wait_until(lambda: all(t.phase() == "succeeded" for t in simulator.tasks.values()))


def test_create_timeout_takes_the_task_but_never_answers_in_time(simulator):
    with http(simulator, timeout=0.5) as client, pytest.raises(httpx.ReadTimeout):
        client.post("/v1/videos", json={"prompt": "x [[sim:create_timeout]]"})
    assert simulator.accepted_creates == 1
    with http(simulator) as client:
        (listed,) = client.get("/v1/videos").json()["data"]  # the task is findable afterwards
    assert listed["prompt"] == "x [[sim:create_timeout]]"


def test_poll_503_three_times_then_answers(simulator):
    with http(simulator) as client:
        video = create_video(client, "x [[sim:poll_503]]")
        polls = [client.get(f"/v1/videos/{video['id']}") for _ in range(4)]
        assert [p.status_code for p in polls] == [503, 503, 503, 200]
        assert (
            polls[0].headers["retry-after"] == "1"
            and polls[0].json()["code"] == "fail_to_fetch_task"
        )
        made = client.post(
            "/v1/video/create", json={"model": "veo3.1", "prompt": "y [[sim:poll_503]]"}
        ).json()
        queries = [
            client.get("/v1/video/query", params={"id": made["id"]}).status_code for _ in range(4)
        ]
    assert queries == [503, 503, 503, 200]


def test_poll_slow_times_out_the_first_poll_only(simulator):
    with http(simulator) as client:
        video = create_video(client, "x [[sim:poll_slow]]")
    with http(simulator, timeout=0.5) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get(f"/v1/videos/{video['id']}")
        assert client.get(f"/v1/videos/{video['id']}").status_code == 200


def test_stream_cut_drops_the_stream_but_not_the_task(simulator):
    payloads = broken_stream(simulator, "x [[sim:stream_cut]]", httpx.RemoteProtocolError)
    progress = progress_of(payloads)
    assert progress and progress[-1] >= 40
    assert "[DONE]" not in payloads and not any("✅" in p for p in contents(payloads))
    (task,) = simulator.tasks.values()
    assert wait_until(lambda: task.phase() == "succeeded")


def test_stream_cut_on_the_task_id_variant_is_resumable(simulator, tmp_path):
    payloads = broken_stream(simulator, "x [[sim:stream_cut,asyncdata]]", httpx.RemoteProtocolError)
    task_id = re.search(r"任务ID: `(\S+)`", "".join(contents(payloads))).group(1)
    with http(simulator) as client:
        final = poll_video(client, task_id)[-1]
        assert final["status"] == "completed"
        assert_clip(client.get(f"/v1/videos/{task_id}/content").content, 720, 1280, 8)
        # non-stream: the reply never arrives whole
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/v1/chat/completions", json=chat_body("y [[sim:stream_cut]]"))


def test_stream_idle_goes_silent_without_closing(simulator):
    payloads = broken_stream(simulator, "x [[sim:stream_idle]]", httpx.ReadTimeout, timeout=0.8)
    assert progress_of(payloads)[-1] >= 40 and "[DONE]" not in payloads


def test_malformed_lines_and_unknown_statuses(simulator):
    raw, payloads = stream_chat(simulator, chat_body("x [[sim:malformed]]"))
    assert "data: not json {" in raw and ": keep-alive" in raw and "event: ping" in raw
    parsed = [json.loads(p) for p in payloads if p.startswith("{")]
    assert any(p.get("choices") == [] for p in parsed) and any("choices" not in p for p in parsed)
    assert any(SUCCESS.match(p) for p in contents(payloads)) and payloads[-1] == "[DONE]"
    with http(simulator) as client:
        video = create_video(client, "y [[sim:malformed]]")
        statuses = [v["status"] for v in poll_video(client, video["id"])]
    assert "warming_up" in statuses and statuses[-1] == "completed"


def test_slow_links_keep_the_stream_open_after_each_link(simulator):
    _raw, payloads = stream_chat(simulator, chat_body("x [[sim:slow_links]]", n=2))
    links = [p for p in contents(payloads) if SUCCESS.match(p)]
    assert len(links) == 2 and payloads[-1] == "[DONE]"
    (task,) = [t for t in simulator.tasks.values() if "slow_links" in t.prompt]
    first, second = sorted(task.links_sent.values())
    assert second - first >= task.scenario.link_gap == 1.0  # the second came a second later


def test_truncated_download_resumes_with_range(simulator):
    with http(simulator) as client:
        video = create_video(client, "x [[sim:truncated_download]]")
        url = video_url(poll_video(client, video["id"])[-1])
        received = bytearray()
        with pytest.raises(httpx.RemoteProtocolError), client.stream("GET", url) as r:
            total = int(r.headers["content-length"])
            for chunk in r.iter_bytes():
                received += chunk
        assert 0 < len(received) < total
        rest = client.get(url, headers={"Range": f"bytes={len(received)}-"})
        assert rest.status_code == 206
        assert rest.headers["content-range"] == f"bytes {len(received)}-{total - 1}/{total}"
        assert (
            bytes(received) + rest.content
            == client.get(f"/v1/videos/{video['id']}/content").content
        )


def test_content_404_then_200(simulator):
    with http(simulator) as client:
        video = create_video(client, "x [[sim:content_404_then_200]]")
        poll_video(client, video["id"])
        first = client.get(f"/v1/videos/{video['id']}/content")
        second = client.get(f"/v1/videos/{video['id']}/content")
    assert first.status_code == 404 and second.status_code == 200 and second.content[4:8] == b"ftyp"


def test_url_expired_is_fixed_by_requerying(simulator):
    with http(simulator) as client:
        video = create_video(client, "x [[sim:url_expired]]")
        old = video_url(poll_video(client, video["id"])[-1])
        expired = client.get(old)
        assert expired.status_code == 403 and "AccessDenied" in expired.text
        assert client.get(old).status_code == 403  # dead for good
        fresh = video_url(client.get(f"/v1/videos/{video['id']}").json())
        assert fresh != old and client.get(fresh).content[4:8] == b"ftyp"


def test_completed_no_video(simulator):
    _, payloads = stream_chat(simulator, chat_body("x [[sim:completed_no_video]]"))
    assert not MP4_LINK.search("".join(contents(payloads))) and payloads[-1] == "[DONE]"
    with http(simulator) as client:
        video = create_video(client, "y [[sim:completed_no_video]]")
        done = poll_video(client, video["id"])[-1]
        assert done["status"] == "completed" and video_url(done) is None and done["error"] is None
        assert client.get(f"/v1/videos/{video['id']}/content").status_code == 404
        made = client.post(
            "/v1/video/create", json={"model": "veo3.1", "prompt": "z [[sim:completed_no_video]]"}
        ).json()
        final = wait_until(
            lambda: (
                (q := client.get("/v1/video/query", params={"id": made["id"]}).json())["status"]
                == "completed"
                and q
            )
        )
    assert final["video_url"] is None and final["detail"]["video_url"] is None


def test_interactions_scenarios_on_the_other_protocols(simulator):
    """``failed`` fails a task; ``incomplete`` completes it with no video; ``uri_delivery``
    changes nothing off the Interactions API (tests/interactions covers it there)."""
    with http(simulator) as client:
        failed = poll_video(client, create_video(client, "x [[sim:failed]]")["id"])[-1]
        assert failed["status"] == "failed" and "internal error" in failed["error"]["message"]
        short = poll_video(client, create_video(client, "y [[sim:incomplete]]")["id"])[-1]
        assert short["status"] == "completed"
        assert client.get(f"/v1/videos/{short['id']}/content").status_code == 404
        uri = poll_video(client, create_video(client, "z [[sim:uri_delivery]]")["id"])[-1]
        assert client.get(f"/v1/videos/{uri['id']}/content").content[4:8] == b"ftyp"


def test_slow_scenario_scales_the_clock(simulator):
    with http(simulator) as client:
        video = create_video(client, "x [[sim:slow]]")
        time.sleep(0.7)  # past the simulator's own 0.6 s clock
        assert client.get(f"/v1/videos/{video['id']}").json()["status"] == "in_progress"
    assert simulator.tasks[video["id"]].generation_seconds == pytest.approx(3.0)


def test_a_stuck_task_runs_until_it_is_cancelled(simulator):
    with http(simulator) as client:
        video = create_video(client, "x [[sim:stuck]]")
        assert client.get(f"/v1/videos/{video['id']}").json()["status"] in ("queued", "in_progress")
    assert simulator.tasks[video["id"]].generation_seconds >= 3600  # no test outlives it


def test_task_error_shape_for_unknown_ids(simulator):
    simulator.set_scenario("task_error_shape")
    with http(simulator) as client:
        for r in (
            client.get("/v1/videos/task_nope"),
            client.get("/v1/video/query", params={"id": "veo3:nope"}),
        ):
            assert r.status_code == 400
            assert r.json() == {"code": "task_not_exist", "message": "task_not_exist", "data": None}


def test_filtered_completes_without_a_video_and_says_why(simulator):
    with http(simulator) as client:
        video = create_video(client, "x [[sim:filtered]]")
        done = poll_video(client, video["id"])[-1]
        assert done["status"] == "completed" and video_url(done) is None
        assert "Responsible AI" in done["error"]["message"]


def test_busy_then_ok_refuses_twice_without_a_task(simulator):
    simulator.set_scenario("busy_then_ok")
    with http(simulator) as client:
        codes = [client.post("/v1/videos", json={"prompt": "x"}).status_code for _ in range(3)]
    assert codes == [503, 503, 200] and simulator.accepted_creates == 1


@pytest.mark.parametrize(
    ("prompt", "location"),
    [
        ("x [[sim:redirect_other_host]]", "http://localhost:"),
        ("x [[sim:redirect_file]]", "file://"),
        ("x [[sim:redirect_ftp]]", "ftp://"),
    ],
)
def test_download_redirect_scenarios(simulator, prompt, location):
    with http(simulator) as client:
        video = create_video(client, prompt)
        url = video_url(poll_video(client, video["id"])[-1])
        r = client.get(url)
        assert r.status_code == 302 and r.headers["location"].startswith(location)


@pytest.mark.parametrize(
    ("prompt", "kind"),
    [("x [[sim:html_download]]", "text/html"), ("x [[sim:not_mp4]]", "video/mp4")],
)
def test_corrupt_download_scenarios(simulator, prompt, kind):
    with http(simulator) as client:
        video = create_video(client, prompt)
        r = client.get(video_url(poll_video(client, video["id"])[-1]))
        assert r.headers["content-type"].startswith(kind) and r.content[4:8] != b"ftyp"


def test_hostile_ids_dialect(simulator):
    with http(simulator) as client:
        made = client.post(
            "/v1/video/create", json={"model": "veo3.1", "prompt": "x [[sim:hostile_ids]]"}
        ).json()
        assert made["id"].startswith("../")
        video = create_video(client, "y [[sim:hostile_ids]]")
        assert "/" not in video["id"] and ".." in video["id"]


def test_litellm_filtered_answers_every_poll_with_litellms_500(simulator):
    with http(simulator) as client:
        video = create_video(client, "x [[sim:litellm_filtered]]")
        polls = [client.get(f"/v1/videos/{video['id']}") for _ in range(2)]
    assert [r.status_code for r in polls] == [500, 500]
    error = polls[0].json()["error"]
    assert (error["type"], error["code"], error["param"]) == ("internal_server_error", "500", None)
    assert "GeminiLongRunningOperationResponse" in error["message"]
    assert "{'raiMediaFilteredCount':" in error["message"]


def test_sells_no_video_lists_text_models_everywhere_and_refuses_creates(simulator):
    simulator.set_scenario("sells_no_video")
    with http(simulator) as client:
        relay = [m["id"] for m in client.get("/v1/models").json()["data"]]
        google = client.get("/v1beta/models", headers={"x-goog-api-key": "AIza-x"}).json()
        create = client.post("/v1/videos", json={"model": "veo-3.1", "prompt": "x"})
    assert relay == ["gpt-4o-mini", "gemini-2.5-flash"]
    assert [m["name"] for m in google["models"]] == [
        "models/gpt-4o-mini",
        "models/gemini-2.5-flash",
    ]
    assert create.status_code == 503 and create.json()["error"]["code"] == "model_not_found"
    assert simulator.accepted_creates == 0


def test_google_model_lists_by_default(simulator):
    with http(simulator) as client:
        listed = client.get("/v1beta/models", headers={"x-goog-api-key": "AIza-x"}).json()
    veo = [m for m in listed["models"] if "predictLongRunning" in m["supportedGenerationMethods"]]
    assert [m["name"] for m in veo] == [
        "models/veo-3.1-generate-preview",
        "models/veo-3.1-fast-generate-preview",
        "models/veo-3.1-lite-generate-preview",
    ]
    # Vertex's model cards (a token of the simulator's own sign-in): tests/vertex.


def test_every_scenario_is_exercised_here():
    source = Path(__file__).read_text()
    untested = [
        name
        for name in SCENARIOS
        if name != "normal"
        and f"sim:{name}" not in source
        and f'set_scenario("{name}")' not in source
    ]
    assert untested == []
    assert {"fullwidth", "asyncdata", "sora_status", "upsample", "query_id_bare"} <= DIALECTS.keys()


# -- OpenAI's own SDK ----------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK marks the Sora API deprecated
def test_openai_sdk_conformance(simulator, tmp_path):
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=simulator.base_url + "/v1", api_key=KEY)
    image = write_png(tmp_path / "first.png")

    plain = client.videos.create(model="veo-3.1", prompt="a kite", seconds="8", size="1280x720")
    with image.open("rb") as handle:
        framed = client.videos.create(
            model="veo-3.1",
            prompt="from this frame",
            seconds="4",
            size="720x1280",
            input_reference=handle,
        )
    assert (
        isinstance(plain, openai.types.Video)
        and plain.status == "queued"
        and plain.id.startswith("video_")
    )
    for video, (width, height, seconds) in ((plain, (1280, 720, 8)), (framed, (720, 1280, 4))):
        final = wait_until(
            lambda v=video: (r := client.videos.retrieve(v.id)).status == "completed" and r
        )
        assert final.progress == 100 and final.completed_at and final.error is None
        data = client.videos.download_content(video.id).read()
        assert_clip(data, width, height, seconds)

    (create_entry, framed_entry) = [e for e in simulator.requests if e.method == "POST"]
    assert create_entry.headers["content-type"].startswith(
        "multipart/form-data"
    )  # the SDK always sends multipart
    assert [f["field"] for f in framed_entry.files] == ["input_reference"]
    assert simulator.tasks[framed.id].images[0].role == "first"
    assert {v.id for v in client.videos.list()} == {plain.id, framed.id}
    assert client.videos.delete(plain.id).deleted is True


# -- rendering, lifecycle, CLI -------------------------------------------------------------------


def test_render_without_a_font_still_makes_a_clip(monkeypatch, tmp_path):
    from veo_magic.simulator import render

    monkeypatch.setattr(render, "find_font", lambda cjk=False: None)
    path = Renderer(tmp_path / "cache").render(RenderSpec("no font here", 720, 1280, 4))
    assert_clip(path, 720, 1280, 4)


def test_render_is_cached_and_survives_a_broken_image(tmp_path):
    renderer = Renderer(tmp_path / "cache")
    spec = RenderSpec(
        "with a broken first frame", 1280, 720, 8, images=(("first", b"\x89PNG\r\n\x1a\nbroken"),)
    )
    start = time.perf_counter()
    path = renderer.render(spec)
    first = time.perf_counter() - start
    start = time.perf_counter()
    assert renderer.render(spec) == path
    assert time.perf_counter() - start < min(0.05, first)
    assert_clip(path, 1280, 720, 8)


def test_start_stop_without_with_and_port_reuse():
    sim = Simulator(generation_seconds=0.1).start()
    try:
        port = sim.base_url.rsplit(":", 1)[1]
        assert (
            sim.running
            and httpx.get(sim.base_url + "/__sim__/state", trust_env=False).status_code == 200
        )
    finally:
        sim.stop()
    assert not sim.running
    with Simulator(generation_seconds=0.1, port=int(port)) as again:
        assert again.base_url.endswith(f":{port}")
    with (
        pytest.raises(OSError, match="0 picks a free one"),
        Simulator(port=int(port)) as first,
        Simulator(port=int(port)),
    ):
        del first


def test_shared_simulator_is_started_once(monkeypatch):
    monkeypatch.setenv("VEO_SIM_SECONDS", "0.5")
    saved, server._shared = server._shared, None
    try:
        found: list[Simulator] = []
        threads = [
            threading.Thread(target=lambda: found.append(server.shared_simulator()))
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert (
            len({id(s) for s in found}) == 1
            and found[0].generation_seconds == 0.5
            and found[0].running
        )
        found[0].stop()
    finally:
        server._shared = saved


def test_cli_help_lists_scenarios_and_dialects():
    result = subprocess.run(
        [sys.executable, "-m", "veo_magic.simulator", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for name in [*SCENARIOS, *DIALECTS]:
        assert re.search(rf"^\s+{re.escape(name)}\s", result.stdout, re.MULTILINE), name


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery differs on Windows")
def test_cli_runs_in_the_foreground_until_interrupted():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "veo_magic.simulator",
            "--port",
            "0",
            "--generation-seconds",
            "0.2",
            "--scenario",
            "refuse",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        base_url = re.search(r"(http://127\.0\.0\.1:\d+)", line).group(1)
        state = wait_until(lambda: _state_or_none(base_url))
        assert state["scenario"] == "refuse" and state["generation_seconds"] == 0.2
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0


def _state_or_none(base_url: str) -> dict | None:
    try:
        return httpx.get(base_url + "/__sim__/state", trust_env=False).json()
    except httpx.TransportError:
        return None


def test_forgotten_answers_404_for_an_edits_previous_interaction(simulator):
    """Issue 19: Google no longer knows the interaction an edit chains to; the same edit sent
    with the clip as a video part is made, drawn from that clip."""
    import base64

    import httpx

    headers = {"x-goog-api-key": "AIza-test"}
    body = {
        "model": "gemini-omni-1.2-flash",
        "background": True,
        "response_format": {"type": "video", "duration": "3s", "resolution": "360p"},
    }
    with httpx.Client(base_url=simulator.base_url, headers=headers, timeout=30) as client:
        first = client.post("/v1beta/interactions", json={**body, "input": "a kite"}).json()
        assert wait_until(
            lambda: (
                client.get(f"/v1beta/interactions/{first['id']}").json()["status"] == "completed"
            )
        )
        done = client.get(f"/v1beta/interactions/{first['id']}").json()
        clip = next(
            item["data"]
            for step in done["steps"]
            if step["type"] == "model_output"
            for item in step["content"]
        )
        edit = {"generation_config": {"video_config": {"task": "edit"}}}
        chained = client.post(
            "/v1beta/interactions",
            json={
                **body,
                **edit,
                "input": "at night [[sim:forgotten]]",
                "previous_interaction_id": first["id"],
            },
        )
        assert chained.status_code == 404 and chained.json()["error"]["status"] == "NOT_FOUND"
        video = {"type": "video", "mime_type": "video/mp4", "data": clip}
        text = {"type": "text", "text": "at night [[sim:forgotten]]"}
        sent = client.post("/v1beta/interactions", json={**body, **edit, "input": [text, video]})
        assert sent.status_code == 200, sent.text
        task = simulator.tasks[sent.json()["id"]]
        assert task.clips[0].spec.step == "edit"
        assert task.clips[0].spec.source == base64.b64decode(clip)
