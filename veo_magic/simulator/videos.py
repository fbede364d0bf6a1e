"""``/v1/videos``: OpenAI's video API as relays serve it (PROTOCOLS.md §1.2, §2; NEWAPI.md).

Two styles (``Dialect.videos_style``):

* ``new_api`` (the default): new-api's own code on a Gemini channel, as NEWAPI.md reads it. The
  create answers ``task_<32 alphanumerics>``; a poll answers only ``id, object, model, status,
  progress, created_at, completed_at`` (``unknown`` before the task starts, progress 0 / 50 /
  100, no URL, no error); the clip is only at ``/content``, whole (``Range`` ignored). Veo
  parameters come from ``metadata`` (``durationSeconds`` an integer: a JSON ``seconds`` is billed,
  never sent to Google, so the clip is then 8 s). A safety-filtered clip is ``completed`` and its
  ``/content`` answers 502; a refused one ``failed`` with no reason; an unknown id
  ``task_not_exist``; there is no list and no delete.
* ``passthrough``: an upstream's Video object relayed (the seeds' relays): every field OpenAI's
  spec requires (``specs/openai-videos.yml``) plus the relay's extras; its variants move the
  result URL (``metadata.url`` by default), rename statuses, reshape ids, or make ``/content``
  answer JSON.

Chat tasks are served here too: apiyi documents that chat tasks support the async format.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .admission import Admission, accept, admit, poll_fault
from .errors import (
    invalid_request,
    invalid_url,
    new_api_error,
    openai_error,
    relay_error,
    task_error,
)
from .files import serve_clip
from .gojson import GoJSONResponse
from .ids import hostile_id, new_api_task_id, video_id
from .inputs import (
    SHORT_SIDE,
    Body,
    BodyError,
    assign_roles,
    image_from_upload,
    image_from_url,
    model_size,
    parse_size,
    read_body,
    veo_frame,
)
from .render import sniff_image
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
# new-api on a Gemini channel: its status words, its fixed progress, its task states.
NEW_API_WORDS = {
    "queued": "unknown",
    "running": "in_progress",
    "succeeded": "completed",
    "failed": "failed",
}
NEW_API_PROGRESS = {"queued": 0, "running": 50, "succeeded": 100, "failed": 100}
NEW_API_STATES = {**INTERNAL_STATUS, "queued": "NOT_START"}
GOOGLE_DEFAULT_SECONDS = 8  # what Google makes when durationSeconds is not sent
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
    if dialect.videos_style == "new_api":
        return _new_api_object(task)
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


def _new_api_object(task: Task) -> dict[str, Any]:
    """What new-api's ``GET /v1/videos/{id}`` answers on a Gemini channel: seven fields."""
    phase = task.phase()
    return {
        "id": task.id,
        "object": "video",
        "model": _upstream_name(task.model),
        "status": NEW_API_WORDS[phase],
        "progress": NEW_API_PROGRESS[phase],
        "created_at": task.created,
        "completed_at": task.completed or int(time.time()),  # set even while running
    }


def _upstream_name(model: str) -> str:
    """The Google model an admin's mapping sends a Veo name to (new-api echoes it on a poll)."""
    if not model.lower().startswith("veo"):
        return model
    return (
        "veo-3.1-fast-generate-preview" if "fast" in model.lower() else "veo-3.1-generate-preview"
    )


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
        if state.dialect.videos_style == "new_api":
            return task_error(400, "task_not_exist", "task_not_exist")
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
    if state.dialect.videos_style == "new_api":
        return await _create_new_api(request, state)
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
    parameters: dict[str, Any] | None = None,
    billed: int | None = None,
    derived: tuple[str, bytes] | None = None,
) -> Response:
    """Make the task (charged from here on) and answer its first Video object. ``billed``:
    the seconds new-api charges for (its ``seconds``), which need not be the clip's."""
    dialect = admission.dialect
    if dialect.videos_style == "new_api":
        task_id = new_api_task_id()
    elif dialect.hostile_ids:
        task_id = hostile_id(slashes=False)
    else:
        task_id = video_id(dialect.video_id, admission.model)
    task = state.new_task(
        admission,
        id=task_id,
        width=width,
        height=height,
        size=size,
        seconds=seconds,
        images=images,
        remixed_from=remixed_from,
        request={"parameters": parameters} if parameters is not None else {},
        derived=derived,
        note=f"remix of {remixed_from}" if derived else "",
    )
    if (fault := await accept(state, task)) is not None:
        return fault
    if dialect.videos_style == "new_api":
        created = {
            "id": task.id,
            "task_id": task.id,
            "object": "video",
            "model": task.model,
            "status": "queued",
            "progress": 0,
            "created_at": task.created,
        }
        charged = billed if billed is not None else seconds
        ratios = json.dumps({"resolution": 1, "seconds": charged}, separators=(",", ":"))
        return GoJSONResponse(created, headers={"X-New-Api-Other-Ratios": ratios})
    return GoJSONResponse(video_object(state, task))


# -- new-api on a Gemini channel (NEWAPI.md) ---------------------------------------------------


def _metadata(body: Body) -> dict[str, Any]:
    """``metadata``: an object, a JSON string of one, or (multipart) every field new-api does
    not know, numbers parsed."""
    if body.multipart:
        known = {"prompt", "model", "mode", "image", "images", "size", "duration", "seconds"}
        folded: dict[str, Any] = {}
        for name, value in body.fields.items():
            if name in known or name == "input_reference" or isinstance(value, list):
                continue
            if name == "metadata":
                folded.update(_metadata(Body({"metadata": value}, [], multipart=False)))
                continue
            try:
                folded[name] = json.loads(value) if value.strip()[:1] in "-0123456789" else value
            except ValueError:
                folded[name] = value
        return folded
    value = body.fields.get("metadata")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return dict(value) if isinstance(value, dict) else {}


def _new_api_image(body: Body) -> list[ImageInput]:
    """The one image new-api sends Google: the first multipart file, or ``images[0]`` / ``image``
    as a data URL or raw base64. HTTP URLs are dropped; there is no last frame."""
    uploads = [u for u in body.uploads if u.field.rstrip("[]") == "input_reference"]
    if uploads:
        return [image_from_upload(uploads[0], "first")]
    images = body.fields.get("images")
    first = images[0] if isinstance(images, list) and images else body.fields.get("image")
    if not isinstance(first, str) or not first.strip():
        return []
    first = first.strip()
    if first.startswith("data:"):
        return [image_from_url(first, "first")]
    if first.startswith(("http://", "https://")):
        return []
    try:
        data = base64.b64decode(first, validate=True)
    except (binascii.Error, ValueError):
        return []
    sniffed = sniff_image(data)
    kind = sniffed[0] if sniffed else None
    return [ImageInput(role="first", source="data", content_type=kind, size=len(data), data=data)]


def _new_api_shape(size: str | None, parameters: dict[str, Any]) -> tuple[int, int]:
    """Pixels from ``size`` (``WxH`` only: a ratio silently becomes 16:9 720p), then the
    ``aspectRatio`` / ``resolution`` the metadata sets."""
    landscape, short = True, 720
    parsed = parse_size(size) if size and "x" in size.lower() and ":" not in size else None
    if parsed is not None and max(parsed) > 32:
        width, height = parsed
        landscape = width >= height
        long = max(width, height)
        short = 2160 if long >= 3840 else 1080 if long >= 1920 else 720
    ratio = parameters.get("aspectRatio")
    if ratio in ("16:9", "9:16"):
        landscape = ratio == "16:9"
    short = SHORT_SIDE.get(str(parameters.get("resolution", "")).lower(), short)
    return veo_frame(short, landscape=landscape)


async def _create_new_api(request: Request, state: SimState) -> Response:
    """``POST /v1/videos`` on new-api's Gemini channel."""
    try:
        body = await read_body(request)
    except BodyError as exc:
        return task_error(400, "invalid_request", str(exc))
    model = body.text("model")
    if not model:
        return new_api_error(400, "model is required")
    prompt = body.text("prompt") or ""
    seconds = body.fields.get("seconds")
    if seconds is not None and not isinstance(seconds, str):
        return task_error(
            400,
            "invalid_request",
            "json: cannot unmarshal number into Go struct field TaskSubmitReq.seconds of type "
            "string",
        )
    if isinstance(body.fields.get("input_reference"), dict):
        return task_error(
            400,
            "invalid_request",
            "json: cannot unmarshal object into Go struct field "
            "TaskSubmitReq.input_reference of type string",
        )
    billed = seconds or str(body.fields.get("duration") or GOOGLE_DEFAULT_SECONDS)
    if not billed.strip().isdigit() or not 0 <= int(billed) <= 3600:
        return task_error(400, "invalid_seconds", f"invalid seconds: {billed}")
    parameters = {**_metadata(body), "sampleCount": 1}
    length = parameters.get("durationSeconds", GOOGLE_DEFAULT_SECONDS)
    if isinstance(length, bool) or not isinstance(length, int):
        return task_error(
            500,
            "build_request_failed",
            "json: cannot unmarshal string into Go struct field "
            "GeminiVideoParameters.durationSeconds of type int",
        )
    width, height = _new_api_shape(body.text("size"), parameters)
    admission = admit(state, prompt, protocol="videos", model=model)
    if isinstance(admission, Response):
        return admission
    return await _start(
        state,
        admission,
        width=width,
        height=height,
        size=f"{width}x{height}",
        seconds=length,
        images=_new_api_image(body),
        parameters=parameters,
        billed=int(billed),
    )


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
    new_api = task.dialect.videos_style == "new_api"
    if phase != "succeeded":
        states = NEW_API_STATES if new_api else INTERNAL_STATUS
        message = f"Task is not completed yet, current status: {states[phase]}"
        return GoJSONResponse(
            {"error": {"message": message, "type": "invalid_request_error"}}, status_code=400
        )
    if new_api:
        if not task.has_video():  # Google's filter kept it: no file URI to resolve
            return GoJSONResponse(
                {
                    "error": {
                        "message": "Failed to resolve Gemini video URL",
                        "type": "server_error",
                    }
                },
                status_code=502,
            )
        return await serve_clip(request, state, task, via="content", ranges=False)
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
    if state.dialect.videos_style == "new_api":  # new-api has no such route
        return invalid_url(request.method, request.url.path)
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
    state: SimState = request.app.state.sim
    if state.dialect.videos_style == "new_api":  # new-api has no such route
        return invalid_url(request.method, request.url.path)
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
        # drawn over the source's own frames, as an edit is (its clip, once rendered)
        derived=("edit", path.read_bytes())
        if source.clips and (path := source.clips[0].path) is not None and path.is_file()
        else None,
    )
