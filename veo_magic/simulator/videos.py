"""``/v1/videos``: OpenAI's video API as new-api-style relays serve it (PROTOCOLS.md §1.2, §2).

The Video object carries every field OpenAI's spec requires (``specs/openai-videos.yml``) plus the
relay's extras; dialects move the result URL (``metadata.url`` by default, as new-api's
``Task.ToOpenAIVideo`` puts it), rename statuses, reshape ids, or make ``/content`` answer JSON.
Chat tasks are served here too: apiyi documents that chat tasks support the async format.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .admission import Admission, accept, admit, poll_fault
from .errors import invalid_request, openai_error, relay_error, task_error
from .files import serve_clip
from .gojson import GoJSONResponse
from .ids import hostile_id, video_id
from .inputs import (
    Body,
    BodyError,
    assign_roles,
    image_from_upload,
    image_from_url,
    model_size,
    parse_size,
    read_body,
)
from .state import SimState
from .tasks import ImageInput, Task

__all__ = [
    "content",
    "create",
    "delete",
    "list_videos",
    "remix",
    "retrieve",
    "unknown_task",
    "video_object",
]

DEFAULT_MODEL = "sora-2"  # OpenAI's documented default
DEFAULT_SECONDS = "8"  # Veo's clip length; apiyi's sample create sends no seconds at all
EXPIRES_AFTER = 24 * 3600
INTERNAL_STATUS = {
    "queued": "QUEUED",
    "running": "IN_PROGRESS",
    "failed": "FAILURE",
    "succeeded": "SUCCESS",
}
MINIMAL_DROPS = (
    "progress",
    "size",
    "completed_at",
    "expires_at",
    "prompt",
    "remixed_from_video_id",
)
_TYPE_NAMES = {
    bool: "a boolean",
    int: "an integer",
    float: "a decimal",
    dict: "an object",
    list: "an array",
}


def video_object(state: SimState, task: Task) -> dict[str, Any]:
    """The task as a Video object in its dialect."""
    dialect = task.dialect
    phase = task.phase()
    status = dialect.status(phase)
    if task.scenario.malformed and phase == "running" and task.counters["views"] % 2:
        status = "warming_up"  # a word no client has in its tables
    completed = task.completed if phase in ("succeeded", "failed") else None
    video: dict[str, Any] = {
        "id": task.id,
        "object": "video",
        "model": task.model,
        "status": status,
        "progress": int(task.progress()),
        "created_at": task.created,
        "completed_at": completed,
        "expires_at": completed + EXPIRES_AFTER if completed and phase == "succeeded" else None,
        "prompt": task.prompt,
        "size": task.size,
        "seconds": str(task.seconds),
        "remixed_from_video_id": task.remixed_from,
        "error": None,
    }
    if dialect.video_id == "task":
        video["task_id"] = task.id  # new-api keeps the legacy field beside id
    if phase == "failed":
        refused = task.scenario.outcome == "refused"
        code = "content_policy_violation" if refused else "generation_failed"
        video["error"] = {"code": code, "message": task.error_message()}
    elif phase == "succeeded" and (reason := task.no_video_reason()) is not None:
        video["error"] = {"code": "rai_media_filtered", "message": reason}
    if task.has_video():
        url = state.file_url(task.clips[0])
        if dialect.url_field == "metadata.url":
            video["metadata"] = {"url": url}
        elif dialect.url_field == "metadata.video_url":
            video["metadata"] = {"video_url": url}
        else:
            video[dialect.url_field] = url
    if dialect.minimal_video:  # seed 004's reply has none of these
        for key in MINIMAL_DROPS:
            del video[key]
        if video["error"] is None:
            del video["error"]
    return video


def unknown_task(state: SimState, task_id: str) -> Response:
    """An id nobody created: OpenAI's 404, or new-api's task error under ``task_error_shape``."""
    if state.scenario.unknown_task == "task_error":
        return task_error(400, "task_not_exist", "task_not_exist")
    return openai_error(404, f"Video with id '{task_id}' not found.", param="video_id")


def _named_video(request: Request) -> Task | Response:
    """The video (a videos or a chat task) the path names, or the answer to an unknown id."""
    state: SimState = request.app.state.sim
    task_id = request.path_params["video_id"]
    task = state.task(task_id)
    if task is None or task.protocol not in ("videos", "chat"):
        return unknown_task(state, task_id)
    return task


def _seconds(body: Body) -> str | Response:
    raw = body.fields.get("seconds")
    if raw is None:
        raw = body.fields.get("duration")  # new-api's TaskSubmitReq also reads an int `duration`
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)
    elif not isinstance(raw, str):  # only JSON can carry a non-string; multipart fields are text
        kind = _TYPE_NAMES.get(type(raw), "a value of another type")
        return invalid_request(
            f"Invalid type for 'seconds': expected one of '4', '8', or '12', but got {kind} instead.",
            param="seconds",
            code="invalid_type",
        )
    if raw is None:
        return DEFAULT_SECONDS
    if not isinstance(raw, str) or not raw.strip().isdigit() or not 1 <= int(raw) <= 60:
        return invalid_request(
            f"Invalid value for 'seconds': expected one of '4', '6', '8', or '12', but got {raw!r}.",
            param="seconds",
            code="invalid_value",
        )
    return raw.strip()


def _images(body: Body, model: str) -> list[ImageInput]:
    """``input_reference`` uploads, or URL/data-URL/object references in text or JSON fields."""
    found: list[tuple[str, Any]] = [
        ("upload", u)
        for u in body.uploads
        if u.field.rstrip("[]") in ("input_reference", "image", "images")
    ]
    for name in ("input_reference", "image", "images"):
        value = body.fields.get(name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):  # OpenAI's JSON form: {"image_url": …} or {"file_id": …}
                item = item.get("image_url") or (
                    f"file_id:{item['file_id']}" if item.get("file_id") else None
                )
            if isinstance(item, str) and item.strip():
                found.append(("url", item.strip()))
    roles = assign_roles(len(found), model)
    return [
        image_from_upload(item, role) if kind == "upload" else image_from_url(item, role)
        for (kind, item), role in zip(found, roles, strict=False)
    ]


async def _body_with_prompt(request: Request) -> tuple[Any, str] | Response:
    """The request's body and its prompt, or OpenAI's 400 when either is missing or unreadable."""
    try:
        body = await read_body(request)
    except BodyError as exc:
        return invalid_request(str(exc))
    prompt = body.text("prompt")
    if not prompt or not prompt.strip():
        return invalid_request(
            "Missing required parameter: 'prompt'.",
            param="prompt",
            code="missing_required_parameter",
        )
    return body, prompt


async def create(request: Request) -> Response:
    state: SimState = request.app.state.sim
    read = await _body_with_prompt(request)
    if isinstance(read, Response):
        return read
    body, prompt = read
    model = body.text("model") or DEFAULT_MODEL
    seconds = _seconds(body)
    if isinstance(seconds, Response):
        return seconds
    size = body.text("size")
    if size is None:
        width, height = model_size(model)
        size = f"{width}x{height}"
    elif (parsed := parse_size(size)) is None:
        return invalid_request(
            f"Invalid value for 'size': expected one of '720x1280', '1280x720', '1024x1792', '1792x1024' "
            f"(or a ratio such as '16:9'), but got {size!r}.",
            param="size",
            code="invalid_value",
        )
    else:
        width, height = parsed
    admission = admit(state, prompt, protocol="videos", model=model)
    if isinstance(admission, Response):
        return admission
    try:
        images = _images(body, model)
    except BodyError as exc:
        return invalid_request(str(exc), param="input_reference")
    return await _start(
        state, admission, width=width, height=height, size=size, seconds=int(seconds), images=images
    )


async def _start(
    state: SimState,
    admission: Admission,
    *,
    width: int,
    height: int,
    size: str,
    seconds: int,
    images: list[ImageInput],
    remixed_from: str | None = None,
) -> Response:
    """Make the task (charged from here on) and answer its first Video object."""
    task = state.new_task(
        admission,
        id=hostile_id(slashes=False)
        if admission.dialect.hostile_ids
        else video_id(admission.dialect.video_id, admission.model),
        width=width,
        height=height,
        size=size,
        seconds=seconds,
        images=images,
        remixed_from=remixed_from,
    )
    if (fault := await accept(state, task)) is not None:
        return fault
    return GoJSONResponse(video_object(state, task))


async def retrieve(request: Request) -> Response:
    state: SimState = request.app.state.sim
    task = _named_video(request)
    if isinstance(task, Response):
        return task
    if (fault := await poll_fault(state, task)) is not None:
        return fault
    task.counters["views"] += 1
    return GoJSONResponse(video_object(state, task))


async def content(request: Request) -> Response:
    state: SimState = request.app.state.sim
    task = _named_video(request)
    if isinstance(task, Response):  # new-api's video proxy answers its own 404
        return GoJSONResponse(
            {"error": {"message": "Task not found", "type": "invalid_request_error"}},
            status_code=404,
        )
    phase = task.phase()
    if phase != "succeeded":
        message = f"Task is not completed yet, current status: {INTERNAL_STATUS[phase]}"
        return GoJSONResponse(
            {"error": {"message": message, "type": "invalid_request_error"}}, status_code=400
        )
    variant = request.query_params.get("variant", "video")
    if variant != "video":
        return invalid_request(
            f"The '{variant}' variant is not available for this video.", param="variant"
        )
    if not task.has_video():  # completed, yet the safety filter kept the clip
        return relay_error("content_missing", protocol="videos")
    if task.dialect.content_json:  # poloapi answers the object, URL included, instead of bytes
        video = video_object(state, task)
        video["video_url"] = state.file_url(task.clips[0])
        return GoJSONResponse(video)
    return await serve_clip(request, state, task, via="content")


async def list_videos(request: Request) -> Response:
    state: SimState = request.app.state.sim
    params = request.query_params
    try:
        limit = int(params.get("limit", "20"))
    except ValueError:
        return invalid_request(
            "Invalid value for 'limit': expected an integer.", param="limit", code="invalid_type"
        )
    if not 0 <= limit <= 100:
        return invalid_request(
            "Invalid value for 'limit': expected 0 to 100.", param="limit", code="invalid_value"
        )
    order = params.get("order", "desc")
    if order not in ("asc", "desc"):
        return invalid_request(
            "Invalid value for 'order': expected 'asc' or 'desc'.",
            param="order",
            code="invalid_value",
        )
    tasks = [
        t for t in list(state.tasks.values()) if not t.deleted and t.protocol in ("videos", "chat")
    ]
    tasks.sort(key=lambda t: t.started, reverse=order == "desc")
    if after := params.get("after"):
        ids = [t.id for t in tasks]
        tasks = tasks[ids.index(after) + 1 :] if after in ids else []
    page = tasks[:limit]
    data = [video_object(state, t) for t in page]
    return GoJSONResponse(
        {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": len(tasks) > limit,
        }
    )


async def delete(request: Request) -> Response:
    task = _named_video(request)
    if isinstance(task, Response):
        return task
    task.deleted = True
    return GoJSONResponse({"id": task.id, "object": "video.deleted", "deleted": True})


async def remix(request: Request) -> Response:
    state: SimState = request.app.state.sim
    source = _named_video(request)
    if isinstance(source, Response):
        return source
    read = await _body_with_prompt(request)
    if isinstance(read, Response):
        return read
    _body, prompt = read
    if source.phase() != "succeeded":
        return invalid_request(
            f"Video '{source.id}' is not completed and cannot be remixed.", param="video_id"
        )
    admission = admit(state, prompt, protocol="videos", model=source.model)
    if isinstance(admission, Response):
        return admission
    return await _start(
        state,
        admission,
        width=source.width,
        height=source.height,
        size=source.size,
        seconds=source.seconds,
        images=[],
        remixed_from=source.id,
    )
