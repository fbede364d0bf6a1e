"""Wire dialects: the ways relays differ while meaning the same thing (PROTOCOLS.md §1, §5).

A ``Dialect`` is a frozen set of choices. Named dialects change a few of them; names combine with
commas (``"fullwidth,no_ordinal"``), later names winning. The default is apiyi's chat stream
(seed 001), ``/v1/videos`` as new-api's own source serves it on a Gemini channel (NEWAPI.md:
``task_`` ids, no URL in the task object, progress 0 / 50 / 100, a filtered clip ``completed``
with a 502 ``/content``), and the unified ``/v1/video/create`` format with model-prefixed ids.

``passthrough`` is ``/v1/videos`` as the seeds' relays show it: an upstream's task object passed
through a new-api Sora / OpenAI channel (or a fork), with ``video_`` ids, progress numbers, the URL
at ``metadata.url``, an ``error`` object, list, delete and ``Range``. The other ``/v1/videos``
dialects are variants of it, so each implies it.

Adding a dialect is one entry in ``_NAMED``: a description and the fields it changes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["DEFAULT_DIALECT", "DIALECTS", "Dialect", "is_dialect", "resolve_dialect"]

Phase = Literal["queued", "running", "succeeded", "failed"]

STATUS_WORDS: dict[str, dict[str, str]] = {
    # new-api's ToVideoStatus output, identical to OpenAI's Video.status.
    "openai": {
        "queued": "queued",
        "running": "in_progress",
        "succeeded": "completed",
        "failed": "failed",
    },
    # Words the Sora adaptor family accepts from upstreams (sora/adaptor.go).
    "sora": {
        "queued": "pending",
        "running": "processing",
        "succeeded": "succeeded",
        "failed": "failed",
    },
    # new-api's internal task statuses, as some relays leak them.
    "upper": {
        "queued": "QUEUED",
        "running": "IN_PROGRESS",
        "succeeded": "SUCCESS",
        "failed": "FAILURE",
    },
}


@dataclass(frozen=True)
class Dialect:
    """How one relay spells things on the wire."""

    names: tuple[str, ...] = ("default",)
    # chat: "flow" is seed 001 (progress lines, ✅ links); "asyncdata" is seed 000 (任务ID first).
    chat_style: Literal["flow", "asyncdata"] = "flow"
    chat_fullwidth: bool = False  # 进度：98.7% and 视频生成成功， (a third-party doc)
    chat_ordinal_single: bool = True  # "第1个" even when n == 1 (seed 001 style)
    # "new_api": new-api's Gemini channel (NEWAPI.md); "passthrough": an upstream's object relayed.
    videos_style: Literal["new_api", "passthrough"] = "new_api"
    status_words: Literal["openai", "sora", "upper"] = "openai"
    url_field: Literal["metadata.url", "video_url", "url", "metadata.video_url"] = "metadata.url"
    content_json: bool = False  # /content answers JSON with video_url instead of bytes (poloapi)
    video_id: Literal["video", "uuid", "task", "model"] = "video"  # passthrough ids
    models_list: Literal["new_api", "litellm"] = "new_api"  # the shape of GET /v1/models
    minimal_video: bool = False  # seed 004's create reply: no progress, no size
    query_id_bare: bool = False  # unified query answers the id without its model prefix
    upsample_url: bool = False  # unified query carries detail.upsample_video_url
    hostile_ids: bool = False  # task ids with ../, backslashes, %, spaces; a hostile filename

    @property
    def name(self) -> str:
        return ",".join(self.names)

    def status(self, phase: Phase) -> str:
        return STATUS_WORDS[self.status_words][phase]


_NAMED: dict[str, tuple[str, dict[str, Any]]] = {
    "default": (
        "apiyi's chat stream, new-api's own /v1/videos (a Gemini channel), unified create",
        {},
    ),
    "fullwidth": (
        "chat lines with full-width punctuation (进度：98.7%, 视频生成成功，)",
        {"chat_fullwidth": True},
    ),
    "no_ordinal": (
        "chat success line without 第N个 when one video is asked for",
        {"chat_ordinal_single": False},
    ),
    "asyncdata": (
        "chat stream in seed 000's style: 任务ID and tracking links first",
        {"chat_style": "asyncdata"},
    ),
    "passthrough": (
        "videos as the seeds' relays pass an upstream through: video_ ids, progress numbers, the "
        "URL at metadata.url, error objects, list, delete and Range",
        {"videos_style": "passthrough"},
    ),
    "sora_status": (
        "videos statuses pending/processing/succeeded/failed",
        {"status_words": "sora"},
    ),
    "upper_status": (
        "videos statuses QUEUED/IN_PROGRESS/SUCCESS/FAILURE",
        {"status_words": "upper"},
    ),
    "video_url": ("videos URL in a top-level video_url (poloapi)", {"url_field": "video_url"}),
    "url": ("videos URL in a top-level url", {"url_field": "url"}),
    "metadata_video_url": ("videos URL in metadata.video_url", {"url_field": "metadata.video_url"}),
    "content_json": (
        "/content answers JSON with video_url instead of MP4 bytes (poloapi)",
        {"content_json": True},
    ),
    "id_uuid": ("videos ids as a bare uuid (seed 004)", {"video_id": "uuid"}),
    "id_task": ("videos ids as new-api public ids task_…", {"video_id": "task"}),
    "minimal": (
        "videos objects with seed 004's fields only (no progress, no size)",
        {"minimal_video": True},
    ),
    "litellm_models": (
        "GET /v1/models in LiteLLM's shape (each entry's mode: video_generation)",
        {"models_list": "litellm"},
    ),
    "query_id_bare": (
        "unified query answers the id without its model prefix",
        {"query_id_bare": True},
    ),
    "upsample": (
        "unified query carries detail.upsample_video_url (top-level URL is the upsampled one)",
        {"upsample_url": True},
    ),
    "hostile_ids": (
        "task ids full of ../ and odd characters, Content-Disposition naming ../../ (a client "
        "must never build a path from them)",
        {"hostile_ids": True},
    ),
    "poloapi": (
        "poloapi: ids veo3.1:…, top-level video_url, JSON /content",
        {"video_id": "model", "url_field": "video_url", "content_json": True},
    ),
}

# What only an upstream's own task object can carry: naming one of these implies passthrough.
_PASSTHROUGH_FIELDS = frozenset(
    {"status_words", "url_field", "content_json", "video_id", "minimal_video", "hostile_ids"}
)

DIALECTS: dict[str, str] = {name: description for name, (description, _) in _NAMED.items()}
DEFAULT_DIALECT = Dialect()


def is_dialect(name: str) -> bool:
    return name in _NAMED


def resolve_dialect(spec: str | None, base: Dialect = DEFAULT_DIALECT) -> Dialect:
    """``base`` with the named dialects in ``spec`` (comma-separated) applied in order."""
    if not spec:
        return base
    dialect = base
    names = [n for n in base.names if n != "default"]
    for name in (part.strip() for part in spec.split(",")):
        if not name:
            continue
        if name not in _NAMED:
            raise ValueError(f"unknown dialect {name!r}; known: {', '.join(_NAMED)}")
        changes = _NAMED[name][1]
        if _PASSTHROUGH_FIELDS & changes.keys():
            changes = {"videos_style": "passthrough", **changes}
        dialect = dataclasses.replace(dialect, **changes)
        if name != "default":
            names.append(name)
    return dataclasses.replace(dialect, names=tuple(names) or ("default",))
