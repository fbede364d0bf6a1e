"""The "unified video format": ``POST /v1/video/create``, ``GET /v1/video/query?id=``.

PROTOCOLS.md §1.3.

What is sent, as JSON::

    {"model": "veo3.1-fast", "prompt": "…", "images": ["https://…" | "data:image/png;base64,…"],
     "aspect_ratio": "9:16", "enhance_prompt": false}

* ``images``: first frame, last frame, then references; a URL the user gave is passed as is,
  image bytes go as a data URL (which hosts accept those is unverified; a public URL always works).
* ``aspect_ratio``: the request's ``size`` when it is a ratio (``16:9`` or ``16x9``), else
  ``16:9`` / ``9:16`` from the clip's shape. A non-ratio ``size`` (``720P``, ``1280x720``, used by
  jimeng) is sent as ``size`` too.
* ``enhance_prompt`` defaults to false, so the model sees the user's own words (Veo would
  otherwise translate and rewrite them); ``options["enhance_prompt"]`` turns it on.
  ``enable_upsample`` is sent only when ``options["enable_upsample"]`` is set.

The created id (``veo3.1-components:…``) is kept exactly and sent back URL-encoded; the query
answer's own ``id`` may lack the prefix and is never used. Veo's multi-step statuses
(``video_generation_completed`` then upsampling) keep the poll going until ``completed``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from .polling import TaskAdapter
from .videos import is_landscape

if TYPE_CHECKING:
    from ...requests import VideoRequest

__all__ = ["CreateAdapter", "aspect_ratio", "create_body"]

CREATE_PATH = "/v1/video/create"
QUERY_PATH = "/v1/video/query"
RATIO = re.compile(r"^\s*(\d{1,2})\s*[:x]\s*(\d{1,2})\s*$")


def aspect_ratio(request: VideoRequest) -> str:
    """``W:H`` from a ratio ``size``, else ``16:9`` or ``9:16`` from the clip's shape."""
    if request.size and (match := RATIO.match(request.size)):
        return f"{match[1]}:{match[2]}"
    return "16:9" if is_landscape(request) else "9:16"


def create_body(request: VideoRequest) -> dict[str, Any]:
    """The JSON body of ``POST /v1/video/create``."""
    body: dict[str, Any] = {
        "model": request.wire_model,
        "prompt": request.prompt,
        "images": [image.as_url() for image in request.images],
        "aspect_ratio": aspect_ratio(request),
        "enhance_prompt": bool(request.options.get("enhance_prompt", False)),
    }
    if "enable_upsample" in request.options:
        body["enable_upsample"] = bool(request.options["enable_upsample"])
    if request.size and not RATIO.match(request.size):
        body["size"] = request.size
    return body


class CreateAdapter(TaskAdapter):
    """``/v1/video/create``: create a task, then query ``/v1/video/query?id=`` until it ends."""

    name: ClassVar[str] = "create"

    def poll(self, task_id: str) -> tuple[str, dict[str, str]]:
        return QUERY_PATH, {"id": task_id}

    async def create(self, request: VideoRequest) -> httpx.Response:
        return await self.relay.create("POST", CREATE_PATH, json=create_body(request))
