"""Gateways: the relays no one here wrote, how to recognise them, and what they cannot carry.

Two gateways stand in front of most Veo relays (NEWAPI.md; LiteLLM's proxy 1.108.7, measured):

* **LiteLLM**'s proxy answers ``GET /v1/models`` with entries that carry a ``mode``
  (``"video_generation"``), marks every answer it makes with ``x-litellm-*`` headers, and hands
  out ``/v1/videos`` ids that are ``video_`` + the base64 of ``litellm:custom_llm_provider:…``.
  Its ``/v1/videos`` forwards one ``input_reference`` (the last one) as Gemini's first frame, and
  puts ``lastFrame`` / ``referenceImages`` where Google rejects them: a last frame or reference
  images cannot reach Veo through it.
* **new-api** answers ``GET /v1/models`` with ``"success": true`` and entries that carry
  ``supported_endpoint_types``. Its own Gemini channel sends one image too, but a channel may
  pass ``-fl`` / ``-components`` models on to an upstream that reads them, so nothing is refused.

    >>> litellm_task_id("video_bGl0ZWxsbTpjdXN0b21fbGxtX3Byb3ZpZGVyOmdlbWluaQ==")
    True
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from .._exceptions import VeoInputError

if TYPE_CHECKING:
    import httpx

    from ..requests import VideoRequest

__all__ = ["Gateway", "adapt", "from_models", "from_response", "litellm_task_id"]

Gateway = Literal["litellm", "new-api"]

# Where a last frame and reference images do reach Veo, for a message that names them.
_ROUTES = (
    "Google's API directly (protocol='gemini' with a Google key), or a relay whose -fl / "
    "-components models carry them"
)


def from_models(body: object, headers: Mapping[str, str] | None = None) -> Gateway | None:
    """Which gateway answered ``GET /v1/models`` with ``body``, if its shape says so."""
    if headers is not None and any(k.lower().startswith("x-litellm-") for k in headers):
        return "litellm"
    if not isinstance(body, Mapping):
        return None
    entries = [e for e in body.get("data") or () if isinstance(e, Mapping)]
    if any("mode" in e for e in entries):
        return "litellm"
    if "success" in body or any("supported_endpoint_types" in e for e in entries):
        return "new-api"
    return None


def from_response(response: httpx.Response) -> Gateway | None:
    """LiteLLM, when an answer carries its headers or a task id of its shape."""
    if any(name.lower().startswith("x-litellm-") for name in response.headers):
        return "litellm"
    return None


def litellm_task_id(task_id: str) -> bool:
    """Whether ``task_id`` is a LiteLLM video id: ``video_`` + base64 of ``litellm:…``."""
    if not task_id.startswith("video_"):
        return False
    encoded = task_id[len("video_") :].replace("%3D", "=")
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=False)
    except (binascii.Error, ValueError):
        return False
    return decoded.startswith(b"litellm:")


def adapt(request: VideoRequest, gateway: Gateway | None) -> VideoRequest:
    """``request`` as ``gateway`` reads it on ``/v1/videos``: a ratio ``size`` in pixels (new-api
    reads only ``WxH`` and turns ``9:16`` into 16:9; LiteLLM maps four pixel sizes and makes
    anything else 16:9); and what it would drop or misplace silently, refused before sending."""
    if gateway is None or request.protocol != "videos":
        return request
    if gateway == "litellm":
        _refuse_frames(request)
    from ..requests import parse_size

    if request.size is not None and not parse_size(request.size).pixels:
        width, height = request.pixel_size
        return dataclasses.replace(request, size=f"{width}x{height}")
    return request


def _refuse_frames(request: VideoRequest) -> None:
    for field, given in (("last_frame", request.last_frame), ("references", request.references)):
        if given:
            raise VeoInputError(
                field,
                None,
                "cannot reach Veo through LiteLLM's /v1/videos: it forwards one image (as the "
                "first frame) and places a last frame or reference images where Google refuses "
                "them",
                hint=f"send it through {_ROUTES}",
            )
