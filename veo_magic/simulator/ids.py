"""Every id shape the relays hand out, in one place (seeds 000-004, PROTOCOLS.md §1)."""

from __future__ import annotations

import secrets
import string
import time
import uuid
from typing import Literal

__all__ = [
    "chat_completion_id",
    "chat_task_id",
    "chunk_id",
    "file_name",
    "hostile_id",
    "new_api_task_id",
    "request_id",
    "unified_id",
    "video_id",
]

_ALPHANUM = string.ascii_letters + string.digits


def _alnum(length: int) -> str:
    return "".join(secrets.choice(_ALPHANUM) for _ in range(length))


def request_id() -> str:
    """new-api's request id: a timestamp, its nanoseconds, 8 random characters."""
    now = time.time_ns()
    stamp = time.strftime("%Y%m%d%H%M%S", time.localtime(now / 1e9))
    return f"{stamp}{now % 1_000_000_000}{_alnum(8)}"


def video_id(style: Literal["video", "uuid", "task", "model"], model: str) -> str:
    """A ``/v1/videos`` id: ``video_<uuid>`` (seed 002), a bare uuid (seed 004), new-api's public
    ``task_…``, or poloapi's ``<model>:<ts>-<rand>``."""
    if style == "uuid":
        return str(uuid.uuid4())
    if style == "task":
        return new_api_task_id()
    if style == "model":
        return unified_id(model)
    return f"video_{uuid.uuid4()}"


def new_api_task_id() -> str:
    """new-api's public task id (builds since 2026-02-22): ``task_`` and 32 alphanumerics."""
    return f"task_{_alnum(32)}"


def unified_id(model: str) -> str:
    """``veo3.1-fast:1762241017-xTL0P9HvGF`` (seed 003), or ``jimeng:<uuid>``."""
    if model.startswith("jimeng"):
        return f"jimeng:{uuid.uuid4()}"
    return f"{model}:{int(time.time())}-{_alnum(10)}"


def hostile_id(*, slashes: bool) -> str:
    """An id a careless client would turn into a path outside its output dir. ``slashes=False``
    for ids that travel in a URL path (a route segment cannot hold ``/``)."""
    tail = uuid.uuid4().hex[:8]
    if slashes:
        return f"../../../../tmp/veo-escape:{tail}"
    return f"..\\..\\%2e%2e;evil name?#{tail}"


def chat_task_id(model: str) -> str:
    """Seed 000's ``任务ID``: ``veo3-pro:03bd6356-…``."""
    return f"{model}:{uuid.uuid4()}"


def chat_completion_id() -> str:
    """Seed 000's ``chatcmpl-`` plus 29 characters."""
    return f"chatcmpl-{_alnum(29)}"


def chunk_id() -> str:
    """Seed 001's stream id, ``foaicmpl-<uuid>``."""
    return f"foaicmpl-{uuid.uuid4()}"


def file_name(style: Literal["uuid", "cdn"]) -> str:
    """A result file's name: a uuid (seed 001's flow assets) or 30 characters (seed 000's CDN)."""
    return _alnum(30) if style == "cdn" else str(uuid.uuid4())
