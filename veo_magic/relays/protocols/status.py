"""Reading a task object from any relay: status word, progress, video URLs, failure reason.

The one place that maps relay status words to our four states (PROTOCOLS.md §5, drawn from
§1.2 new-api/Sora and §1.3 unified-format statuses). Words are compared case-insensitively as
sets; a word we do not know means "still running" and is logged once at INFO. Pure: no I/O.

    >>> read_task({"status": "SUCCESS", "video_url": "https://cdn/x.mp4"}).state
    'succeeded'
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard

__all__ = [
    "FAILED",
    "QUEUED",
    "RUNNING",
    "SUCCEEDED",
    "State",
    "TaskReport",
    "failure_reason",
    "progress_percent",
    "read_task",
    "task_state",
    "video_urls",
    "withheld_reason",
]

log = logging.getLogger("veo_magic")

State = Literal["queued", "running", "succeeded", "failed"]

# §5 union sets. `video_generation_completed` and `video_upsampling_completed` are NOT terminal:
# the Veo unified format may upsample afterwards and then reports `completed`.
SUCCEEDED = frozenset({"completed", "complete", "success", "succeeded", "succeed", "finished"})
FAILED = frozenset({"failed", "failure", "fail", "error", "cancelled", "canceled"})
QUEUED = frozenset(
    {
        "queued",
        "pending",
        "submitted",
        "not_start",
        "not_started",
        "preparing",
        "waiting",
        "unknown",
    }
)
RUNNING = frozenset(
    {
        "in_progress",
        "processing",
        "running",
        "generating",
        "image_downloading",
        "video_generating",
        "video_generation_completed",
        "video_upsampling",
        "video_upsampling_completed",
    }
)

# Where a finished task's video URL may be, best first (§1.2, §1.3, §5).
URL_FIELDS = (
    "video_url",
    "url",
    "metadata.url",
    "metadata.video_url",
    "detail.upsample_video_url",
    "detail.video_url",
    "detail.url",
)
# Lists of URLs, for relays that return several clips from one task.
URL_LIST_FIELDS = ("video_urls", "metadata.urls", "metadata.video_urls", "detail.video_urls")
# Where a failed task (or a "completed" one with no video) says why, best first.
REASON_FIELDS = (
    "error.message",
    "error",
    "detail.video_generation_error",
    "detail.error_message",
    "message",
    "fail_reason",
)
# Why a "completed" task has no video: error fields only (a bare "message" is often "success").
NO_VIDEO_REASON_FIELDS = tuple(f for f in REASON_FIELDS if f != "message")
# Google's RAI filter reasons, as a relay may pass a filtered operation through (§3).
RAI_REASON_FIELDS = (
    "raiMediaFilteredReasons",
    "metadata.raiMediaFilteredReasons",
    "response.generateVideoResponse.raiMediaFilteredReasons",
    "response.raiMediaFilteredReasons",
)

_reported: set[str] = set()  # unknown words already logged, so a long poll does not repeat them


@dataclass(frozen=True, slots=True)
class TaskReport:
    """One poll's worth of news about a task, in our words.

    ``read_task`` fills it from a relay's task object; a protocol's reader (``TaskAdapter``)
    may word it for a person: ``word`` is then what a ``Progress`` says, ``reason`` the whole
    message of the ``Failed``.
    """

    state: State
    word: str  # the relay's own status word, as sent ("" when it sent none)
    progress: float | None  # 0..100, None when the relay gave no number
    urls: tuple[str, ...] = ()
    reason: str | None = None  # why it failed, in the relay's words
    code: str | None = None


def task_state(word: object) -> State:
    """Map a relay status word to a state; unknown words mean "running", no word "queued".

    Case, spaces and hyphens do not matter: ``In-Progress`` is ``in_progress``.
    """
    key = re.sub(r"[\s-]+", "_", str(word).strip().lower()) if word is not None else ""
    if not key:
        return "queued"
    if key in SUCCEEDED:
        return "succeeded"
    if key in FAILED or key.endswith("_failed"):
        return "failed"
    if key in QUEUED:
        return "queued"
    if key not in RUNNING and key not in _reported:
        _reported.add(key)
        log.info("the relay reported status %r, which veo_magic does not know: still waiting", key)
    return "running"


def progress_percent(value: object) -> float | None:
    """A progress value (``45``, ``45.9``, ``"45%"``) as a float in 0..100, else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        value = value.strip().removesuffix("%").strip()
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if math.isnan(number):
        return None
    return min(100.0, max(0.0, number))


def video_urls(body: Mapping[str, Any]) -> tuple[str, ...]:
    """Every clip URL a task object carries: a list field if present, else the best single field."""
    for path in URL_LIST_FIELDS:
        value = _dig(body, path)
        if isinstance(value, list):
            urls = tuple(dict.fromkeys(u.strip() for u in value if _is_url(u)))
            if urls:
                return urls
    for path in URL_FIELDS:
        value = _dig(body, path)
        if _is_url(value):
            return (value.strip(),)
    return ()


def failure_reason(
    body: Mapping[str, Any], fields: tuple[str, ...] = REASON_FIELDS
) -> tuple[str | None, str | None]:
    """(reason, code) from the first of ``fields`` (or Google's RAI reasons) that has one."""
    reason = None
    for path in fields:
        value = _dig(body, path)
        if isinstance(value, str) and value.strip():
            reason = value.strip()
            break
    if reason is None:
        for path in RAI_REASON_FIELDS:
            value = _dig(body, path)
            if isinstance(value, list) and (said := [str(v) for v in value if v]):
                reason = "; ".join(said)
                break
    error = body.get("error")
    code = error.get("code") if isinstance(error, Mapping) else body.get("code")
    return reason, (str(code) if code not in (None, "") else None)


def withheld_reason(said: str) -> str:
    """Why a task the relay called done has no video, as a person reads it; ``said`` is the
    relay's own answer (quoted, shortened). Resuming will not change this, so it promises nothing."""
    quoted = " ".join(said.split())
    if len(quoted) > 300:
        quoted = quoted[:299] + "…"
    return (
        "The relay reported the task done but returned no video, most likely withheld by "
        f"Google's safety filter. The relay said: {quoted}"
    )


def read_task(body: object) -> TaskReport:
    """Read a task object (``/v1/videos/{id}``, ``/v1/video/query``, a create answer).

    The status is ``status``, else ``detail.status``; an object with no status but a video URL
    counts as succeeded. A success with no URL keeps whatever reason the relay gave for that.
    """
    if not isinstance(body, Mapping):
        return TaskReport(state=task_state(None), word="", progress=None)
    word = body.get("status")
    detail = body.get("detail")
    if not word and isinstance(detail, Mapping):
        word = detail.get("status")
    word = "" if word is None else str(word)
    state = task_state(word)
    if not word.strip() and video_urls(body):  # no status at all, but a video: it is done
        state = "succeeded"
    urls = video_urls(body) if state == "succeeded" else ()
    no_video = state == "succeeded" and not urls
    reason, code = (None, None)
    if state == "failed":
        reason, code = failure_reason(body)
    elif no_video:
        reason, code = failure_reason(body, NO_VIDEO_REASON_FIELDS)
    return TaskReport(
        state=state,
        word=word,
        progress=progress_percent(body.get("progress")),
        urls=urls,
        reason=reason,
        code=code,
    )


def _dig(body: Mapping[str, Any], path: str) -> Any:
    value: Any = body
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _is_url(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and value.strip().startswith(("http://", "https://", "/"))
