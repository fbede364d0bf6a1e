"""``POST /v1/chat/completions``: video generation dressed as a chat reply (PROTOCOLS.md §1.1).

Two content styles, both from the seeds:

* ``flow`` (seed 001, the stream apiyi documents): a ```` ```json ```` echo of the prompt and mode,
  ``> ⌛️`` queue line, ``> 🏃 进度:9.0%`` lines, one ``> ✅ 第N个视频生成成功,[点击这里](URL)``
  line per video, a final chunk with ``usage``, ``data: [DONE]``.
* ``asyncdata`` (seed 000): ``> 任务ID: `model:uuid` `` and tracking links first, dots while it
  works, then ``[▶️ 在线观看](…) | [⏬ 下载视频](…)``. Non-stream replies always use it (seed 000
  is a non-stream reply), so their task id can be resumed through ``GET /v1/videos/{id}``.

The text is produced as pieces by one generator per style; streaming wraps each piece in a
chunk, non-stream joins them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from .admission import accept, admit
from .errors import invalid_request
from .files import ConnectionDrop, DroppedResponse
from .gojson import GoJSONResponse, sse_event
from .ids import chat_completion_id, chat_task_id, chunk_id
from .inputs import (
    BodyError,
    assign_roles,
    image_from_url,
    is_true,
    model_size,
    parse_size,
    read_body,
)
from .state import SimState
from .tasks import Task

__all__ = ["completions"]

CHAT_SECONDS = 8  # apiyi: every chat-format Veo 3.1 call yields one fixed 8 s clip
MAX_N = 4
_SHOWN = re.compile(r"进度[:：](\d+\.\d)%")  # a progress line's number
CUT_AT = 0.4  # stream faults strike once a progress line has said 40 %


async def completions(request: Request) -> Response:
    state: SimState = request.app.state.sim
    try:
        body = await read_body(request)
    except BodyError as exc:
        return invalid_request(str(exc))
    fields = body.fields
    model = fields.get("model")
    if not isinstance(model, str) or not model.strip():
        return invalid_request("you must provide a model parameter", param="model")
    messages = fields.get("messages")
    if not isinstance(messages, list) or not messages:
        return invalid_request("'messages' is a required property", param="messages")
    try:
        n = int(fields.get("n") or 1)
    except (TypeError, ValueError):
        return invalid_request("'n' must be an integer", param="n", code="invalid_type")
    if not 1 <= n <= MAX_N:
        return invalid_request(
            f"'n' must be between 1 and {MAX_N}", param="n", code="invalid_value"
        )
    prompt, image_urls = _user_input(messages)
    if not prompt.strip() and not image_urls:
        return invalid_request("the last user message has no text and no image", param="messages")
    admission = admit(state, prompt, protocol="chat", model=model)
    if isinstance(admission, Response):
        return admission
    try:
        roles = assign_roles(len(image_urls), model)
        images = [image_from_url(url, role) for url, role in zip(image_urls, roles, strict=False)]
    except BodyError as exc:
        return invalid_request(str(exc), param="messages")
    width, height = model_size(model)
    size_field = fields.get("size")
    # seed 000: without an orientation suffix, a `size` parameter may choose it instead.
    if isinstance(size_field, str) and not any(
        o in model.lower() for o in ("landscape", "portrait")
    ):
        width, height = parse_size(size_field) or (width, height)
    stream = is_true(fields.get("stream"))
    style = "asyncdata" if not stream else admission.dialect.chat_style
    task = state.new_task(
        admission,
        count=n,
        id=chat_task_id(model),
        width=width,
        height=height,
        seconds=CHAT_SECONDS,
        images=images,
        request={"model": model, "n": n, "stream": stream},
    )
    fault = await accept(state, task, file_style="cdn" if style == "asyncdata" else "uuid")
    if fault is not None:
        return fault
    pieces = _asyncdata(state, task) if style == "asyncdata" else _flow(state, task)
    if stream:
        return StreamingResponse(
            _sse(request, state, task, pieces),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return await _reply(state, task, pieces)


def _user_input(messages: list[Any]) -> tuple[str, list[str]]:
    """Text and image URLs of the last user message (content as a string or as parts)."""
    for message in reversed(messages):
        if not isinstance(message, dict) or message.get("role", "user") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content, []
        texts: list[str] = []
        urls: list[str] = []
        for part in content if isinstance(content, list) else []:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "text" and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif part.get("type") == "image_url":
                image = part.get("image_url")
                url = image.get("url") if isinstance(image, dict) else image
                if isinstance(url, str) and url:
                    urls.append(url)
        return "\n".join(texts), urls
    return "", []


# -- content pieces --------------------------------------------------------------------------


async def _ticks(state: SimState, task: Task) -> AsyncIterator[float]:
    """The task's progress, once per tick, until it is finished (or the server shuts down)."""
    interval = max(
        0.05, task.generation_seconds / 12
    )  # about a dozen lines per clip, as in seed 001
    assert state.shutdown is not None
    while task.phase() in ("queued", "running") and not state.shutdown.is_set():
        yield task.progress()
        await asyncio.sleep(interval)


def _failure_line(task: Task, comma: str) -> str:
    return f"> ❌ 视频生成失败{comma}原因: {task.error_message()}\n\n"


async def _flow(state: SimState, task: Task) -> AsyncIterator[str]:
    """Seed 001's stream content, piece by piece."""
    fullwidth = task.dialect.chat_fullwidth
    colon, comma = ("：", "，") if fullwidth else (":", ",")
    mode = "横屏模式" if task.width > task.height else "竖屏模式"
    echo = json.dumps({"prompt": task.prompt, "mode": mode}, ensure_ascii=False, indent=4)
    yield f"```json\n{echo}\n```\n\n"
    queue = "任务正在队列中" if fullwidth else "视频正在生成中"
    yield f"> ⌛️ {queue}{comma}请耐心等待...\n\n"
    last = -1.0
    async for progress in _ticks(state, task):
        shown = int(progress * 10) / 10  # one decimal, never rounded up past the truth
        if task.phase() == "running" and shown > last:
            last = shown
            yield f"> 🏃 进度{colon}{shown:.1f}%\n\n"
    if task.has_video():
        ordinal = len(task.clips) > 1 or task.dialect.chat_ordinal_single
        for number, clip in enumerate(task.clips, start=1):
            which = f"第{number}个" if ordinal else ""
            url = state.file_url(clip, "flow")
            yield f"> ✅ {which}视频生成成功{comma}[点击这里]({url}) 查看视频~~~\n\n"
            task.links_sent[url] = time.monotonic()  # the frame is on its way
            if task.scenario.link_gap:
                await asyncio.sleep(task.scenario.link_gap)
    elif task.phase() == "failed":
        yield _failure_line(task, comma)
    elif (reason := task.no_video_reason()) is not None:
        yield f"> ⚠️ {reason}\n\n"


async def _asyncdata(state: SimState, task: Task) -> AsyncIterator[str]:
    """Seed 000's content, piece by piece."""
    base = state.base_url
    yield "> 视频生成任务已创建\n"
    yield f"> 任务ID: `{task.id}`\n"
    yield "> 为了防止任务中断,可以从以下链接持续获取任务进度:\n"
    yield f"> [数据预览]({base}/web/{task.id}) | [原始数据]({base}/source/{task.id})\n"
    yield "> 等待处理中."
    started = False
    async for _ in _ticks(state, task):
        if task.phase() == "queued":
            yield "."
        elif not started:
            started = True
            kind = "图片生成" if task.images else "文字生成"
            yield f"\n> 类型: {kind}\n> 🎬 开始生成视频"
        else:
            yield "."
    if not started:
        yield f"\n> 类型: {'图片生成' if task.images else '文字生成'}\n> 🎬 开始生成视频"
    yield "\n"
    if task.phase() == "failed":
        yield _failure_line(task, ",")
        return
    if (reason := task.no_video_reason()) is not None:
        yield f"> ⚠️ {reason}\n"
        return
    yield "> 🎉 高质量视频已生成\n\n"
    for clip in task.clips if task.has_video() else []:
        watch, download = state.file_url(clip, "cdn"), state.file_url(clip, "cdn_download")
        yield f"[▶️ 在线观看]({watch}) | [⏬ 下载视频]({download})\n"


# -- transports ------------------------------------------------------------------------------


def _usage(task: Task, content: str, *, details: bool) -> dict[str, Any]:
    prompt_tokens = len(task.prompt) + 9
    completion_tokens = max(1, len(content))
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    if details:  # seed 000's non-stream usage carries these
        usage["prompt_tokens_details"] = {"text_tokens": len(task.prompt)}
        usage["completion_tokens_details"] = {"content_tokens": completion_tokens}
    return usage


async def _sse(
    request: Request, state: SimState, task: Task, pieces: AsyncIterator[str]
) -> AsyncIterator[bytes]:
    stream_id = chunk_id()
    created = int(time.time())

    def chunk(
        delta: dict[str, Any], finish: str | None = None, usage: dict[str, Any] | None = None
    ) -> bytes:
        body: dict[str, Any] = {
            "id": stream_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": task.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        if usage is not None:
            body["usage"] = usage
        return sse_event(body)

    malformed = task.scenario.malformed
    yield chunk({"role": "assistant"})
    if malformed:  # what sloppy relays interleave: a client must skip all of it
        yield sse_event(
            {
                "id": stream_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": task.model,
                "choices": [],
            }
        )
        yield b": keep-alive\n\n"
        yield b'data: {"object":"chat.completion.chunk"}\n\n'
        yield b"data: not json {\n\n"
        yield b"data: \n\n"
    content: list[str] = []
    struck = numbered = False
    async for piece in pieces:
        fault = task.scenario.stream
        # The answer of a task that ended between two lines never gets out before the fault.
        early = bool(fault) and not struck and _answer_unseen(task, piece)
        reached = CUT_AT
        if not early:
            content.append(piece)
            yield chunk({"content": piece})
            if malformed and len(content) % 3 == 0:
                yield b'event: ping\ndata: {"type":"ping"}\n\n'
            reached, numbered = _reached(task, piece, numbered)
        if fault and not struck and reached >= CUT_AT:
            struck = True
            if fault == "cut":
                raise ConnectionDrop("simulated stream cut")
            await _idle(request, state)
            return
    yield chunk({}, "stop", _usage(task, "".join(content), details=False))
    yield sse_event("[DONE]")


def _reached(task: Task, piece: str, numbered: bool) -> tuple[float, bool]:
    """How far the client has been told the task is, after ``piece``; and whether the stream
    has shown a number yet. A fault strikes once the client has been told CUT_AT (not when the
    clock passes it, which can fall between two progress lines): what it saw last is at least
    that far. A stream with no numbers (the task-id variant's dots) strikes by the clock."""
    told = _SHOWN.search(piece)
    numbered = numbered or told is not None
    if told:
        return float(told.group(1)) / 100, numbered
    return (0.0 if numbered or task.phase() != "running" else task.fraction()), numbered


def _answer_unseen(task: Task, piece: str) -> bool:
    """Whether ``piece`` is the answer of a task that ended before any line reached the cut (a
    loaded machine: the clock passed 40 % and 100 % between two lines): the fault strikes first,
    so the answer never reaches the client, however fast the task was."""
    return task.phase() == "succeeded" and _SHOWN.search(piece) is None


async def _idle(request: Request, state: SimState) -> None:
    """Send nothing, keep the connection open, until the client leaves or the server stops."""
    assert state.shutdown is not None
    while not state.shutdown.is_set():
        if await request.is_disconnected():
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(state.shutdown.wait(), 0.25)


async def _reply(state: SimState, task: Task, pieces: AsyncIterator[str]) -> Response:
    """The non-stream answer: held until the task is done, like seed 000's relay."""
    content: list[str] = []
    struck = numbered = False
    async for piece in pieces:
        content.append(piece)
        fault = task.scenario.stream
        if fault and not struck and _answer_unseen(task, piece):
            reached = CUT_AT  # the task ended between two lines: the fault strikes first
        else:
            reached, numbered = _reached(task, piece, numbered)
        if fault and not struck and reached >= CUT_AT:
            struck = True
            if fault == "cut":  # headers out, then the line goes dead: no id reaches the client
                return DroppedResponse(b" " * 1024, keep=0, media_type="application/json")
            await state.hold()  # "idle": the answer comes long after any sane client timeout
    text = "".join(content)
    body = {
        "id": chat_completion_id(),
        "object": "chat.completion",
        "created": task.created,
        "model": task.model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": _usage(task, text, details=True),
    }
    return GoJSONResponse(body)
