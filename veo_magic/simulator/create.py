"""``POST /v1/video/create`` + ``GET /v1/video/query?id=``: the "unified video format"
(yunwu, vectorengine, apertis; PROTOCOLS.md §1.3).

Veo tasks walk the multi-step statuses the vectorengine/yunwu Go const list publishes::

    pending → image_downloading → video_generating → video_generation_completed
            → video_upsampling → video_upsampling_completed → completed

``video_generation_completed`` is not terminal, which is the trap this format sets for clients.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .admission import accept, admit, poll_fault
from .errors import invalid_request
from .files import UPSAMPLED
from .gojson import GoJSONResponse
from .ids import hostile_id, unified_id
from .inputs import (
    BodyError,
    assign_roles,
    image_from_url,
    is_true,
    parse_size,
    ratio_size,
    read_body,
)
from .state import SimState
from .tasks import REFUSED_AT, Task
from .videos import unknown_task

__all__ = ["create", "query", "unified_status"]

VEO_SECONDS = 8
DEFAULT_RATIO = "16:9"  # Google's default aspectRatio for Veo
# (fraction of the clock at which the step starts, status)
STEPS = (
    (0.0, "pending"),
    (0.1, "image_downloading"),
    (0.2, "video_generating"),
    (0.6, "video_generation_completed"),
    (0.7, "video_upsampling"),
    (0.9, "video_upsampling_completed"),
)


def unified_status(task: Task) -> tuple[str, float]:
    """The task's status word and the clock fraction at which that status began."""
    phase = task.phase()
    if phase == "succeeded":
        return "completed", 1.0
    if phase == "failed":
        if task.scenario.outcome == "refused":
            return "video_generation_failed", REFUSED_AT
        return "failed", 1.0
    fraction = task.fraction()
    start, status = STEPS[0]
    for step_start, step_status in STEPS:
        if fraction >= step_start:
            start, status = step_start, step_status
    return status, start


async def create(request: Request) -> Response:
    state: SimState = request.app.state.sim
    try:
        body = await read_body(request)
    except BodyError as exc:
        return invalid_request(str(exc))
    fields = body.fields
    model, prompt = fields.get("model"), fields.get("prompt")
    if not isinstance(model, str) or not model.strip():
        return invalid_request("model is required", param="model")
    if not isinstance(prompt, str) or not prompt.strip():
        return invalid_request("prompt is required", param="prompt")
    ratio = fields.get("aspect_ratio")
    size = fields.get("size")
    if isinstance(ratio, str) and ratio.strip():
        dims = parse_size(ratio)
        if dims is None or ":" not in ratio:
            return invalid_request(
                f"invalid aspect_ratio {ratio!r}: expected a ratio such as 16:9",
                param="aspect_ratio",
            )
    elif isinstance(size, str) and "x" in size.lower():
        dims = parse_size(size)
        if dims is None:
            return invalid_request(f"invalid size {size!r}", param="size")
    else:
        dims = ratio_size(16, 9)
    images_field = fields.get("images") or []
    if not isinstance(images_field, list) or not all(isinstance(i, str) for i in images_field):
        return invalid_request("images must be an array of image URLs", param="images")
    admission = admit(state, prompt, protocol="create", model=model)
    if isinstance(admission, Response):
        return admission
    try:
        images = [
            image_from_url(u, r)
            for u, r in zip(images_field, assign_roles(len(images_field), model), strict=False)
        ]
    except BodyError as exc:
        return invalid_request(str(exc), param="images")
    width, height = dims
    task = state.new_task(
        admission,
        id=hostile_id(slashes=True) if admission.dialect.hostile_ids else unified_id(model),
        width=width,
        height=height,
        seconds=VEO_SECONDS,
        images=images,
        request=dict(fields),
    )
    if (fault := await accept(state, task)) is not None:
        return fault
    reply: dict[str, Any] = {
        "id": task.id,
        "status": "pending",
        "status_update_time": int(task.created_at * 1000),
    }
    if is_true(fields.get("enhance_prompt")):
        reply["enhanced_prompt"] = _enhanced(task)
    return GoJSONResponse(reply)


def _enhanced(task: Task) -> str:
    return f"{task.text}. Cinematic lighting, smooth camera motion, rich detail."


def _media_status(status: str) -> str:
    """The Google-side generation status a unified query shows beside its own status word."""
    if status in ("pending", "image_downloading"):
        return "MEDIA_GENERATION_STATUS_PENDING"
    if status in ("video_generating", "warming_up"):
        return "MEDIA_GENERATION_STATUS_ACTIVE"
    if status in ("video_generation_failed", "failed"):
        return "MEDIA_GENERATION_STATUS_FAILED"
    return "MEDIA_GENERATION_STATUS_SUCCESSFUL"  # generation is done; upsampling may follow


async def query(request: Request) -> Response:
    state: SimState = request.app.state.sim
    task_id = request.query_params.get("id", "")
    if not task_id:
        return invalid_request("id is required", param="id")
    task = state.task(task_id)
    if task is None or task.protocol != "create":
        return unknown_task(state, task_id)
    if (fault := await poll_fault(state, task)) is not None:
        return fault
    task.counters["views"] += 1
    status, since = unified_status(task)
    running = status not in ("completed", "failed", "video_generation_failed")
    if task.scenario.malformed and running and task.counters["views"] % 2:
        status = "warming_up"
    upsample = task.dialect.upsample_url or is_true(task.request.get("enable_upsample"))
    video_url = upsample_url = None
    if task.has_video():
        video_url = state.file_url(task.clips[0])
        if upsample:
            upsample_url = video_url.removesuffix(".mp4") + f"{UPSAMPLED}.mp4"
    if task.phase() == "succeeded":
        stamp = task.finished_at or time.time()
    else:
        stamp = task.created_at + since * task.generation_seconds
    error = task.error_message()
    refused = task.scenario.outcome == "refused" and error is not None
    detail: dict[str, Any] = {
        "id": task.id,
        "req": task.request,
        "status": status,
        "running": running,
        "video_url": video_url,
        "upsample_video_url": upsample_url,
        "upsample_status": "completed" if upsample_url else None,
        "video_generation_status": _media_status(status),
        "video_generation_error": error if refused else None,
        "error_message": error if error and not refused else task.no_video_reason(),
        "images": [
            {"url": i.url or f"data:{i.content_type};base64,…", "status": "success"}
            for i in task.images
        ],
        "created_at": int(task.created_at * 1000),
        "completed_at": int(task.finished_at * 1000) if task.finished_at else None,
    }
    reply: dict[str, Any] = {
        "id": task.id.split(":", 1)[-1] if task.dialect.query_id_bare else task.id,
        "status": status,
        "video_url": upsample_url or video_url,  # the upsampled file wins when there is one
        "enhanced_prompt": _enhanced(task) if is_true(task.request.get("enhance_prompt")) else None,
        "status_update_time": int(stamp * 1000),
        "detail": detail,
    }
    return GoJSONResponse(reply)
