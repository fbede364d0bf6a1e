"""Google's own Gemini API for Veo: ``predictLongRunning``, then the operation (PROTOCOLS.md §3).

What is sent, to ``POST /v1beta/models/{model}:predictLongRunning`` with the key in the
``x-goog-api-key`` header (never in the URL)::

    {"instances": [{"prompt": "…",
                    "image": {"bytesBase64Encoded": "…", "mimeType": "image/png"},   # first frame
                    "lastFrame": {…},
                    "referenceImages": [{"image": {…}, "referenceType": "ASSET"}],  # up to 3
                    "video": {"uri": "…"}}],                                      # extension
     "parameters": {"sampleCount": 1, "durationSeconds": 8, "aspectRatio": "16:9",
                    "resolution": "1080p", "negativePrompt": "…", "personGeneration": "…"}}

Each key appears only when it has something to say: ``aspectRatio`` when an orientation or size
was asked for (Google's default is 16:9, which is ours on this protocol), ``resolution`` when
asked for (an extension always says ``720p``, the only size Google extends at). ``sampleCount``
and ``durationSeconds`` (an int) are always sent, so the bill matches the estimate; an extension
sends no ``durationSeconds``: it always adds 7 s. These are the field names google-genai's
Developer-API converters write (``sampleCount``, not ``numberOfVideos``).

The answer is ``{"name": "models/{model}/operations/{id}"}``: the task id, kept exactly, and
polled at ``GET /v1beta/{name}`` on the shared adaptive schedule until ``done``. Then:

* samples -> one ``VideoReady`` per ``generatedSamples[].video.uri``, fetched with the key. A URI
  on another host than the configured base (the API behind a proxy; the simulator) is fetched
  through the base as ``/v1beta/files/{id}:download?alt=media``, which is what google-genai does,
  so the key only ever goes to the base the user configured. The download follows Google's
  redirect to the bytes, and drops the key when the redirect leaves the host (``relays.download``).
* no samples -> ``Failed`` quoting ``raiMediaFilteredReasons`` and the count: Google's safety
  filter answers ``done: true`` with nothing in it.
* ``error`` -> ``Failed`` with its message and status.

Retention: Google keeps a generated clip for 2 days (its Veo docs, "Limitations", still so in
the 2026-07 copy; extending a clip restarts its timer). The adapter says so
(``retention_seconds``): the runner records when the remote copy goes, the view and the sidecar
show it, and ``check_resumable`` refuses to resume a job older than that, saying why, instead of
polling for a file that is gone.

Progress: Google reports none while an operation runs. The adapter reports an estimate instead,
from the time elapsed against a typical generation time (``TYPICAL_SECONDS``): it rises quickly,
slows down, never decreases, never passes ``ESTIMATE_CAP`` before the operation is done, and says
"estimate" in its message, so a view shows movement without claiming a measurement. The shared
``PollSchedule`` reads the same estimate; with no real rate to learn, it polls after 2 s and then
settles at the client's longest interval (10 s by default, the pace of Google's own examples).
"""

from __future__ import annotations

import base64
import dataclasses
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

import httpx

from ..._events import VideoReady
from ..._exceptions import VeoInputError, VeoTaskUncertainError
from ..http import json_body
from .polling import Pacing, TaskAdapter, video_ready
from .status import TaskReport

if TYPE_CHECKING:
    from ...requests import ImageInput, VideoRequest
    from ..http import Relay

__all__ = [
    "RETENTION_SECONDS",
    "GeminiAdapter",
    "Operation",
    "check_resumable",
    "estimated_percent",
    "file_id",
    "operation_path",
    "read_operation",
    "submit_body",
    "submit_path",
]

API_VERSION = "/v1beta"
# Typical seconds from submit to done (Google's docs: 11 s to 6 min); fast and lite are quicker.
TYPICAL_SECONDS = {"standard": 90.0, "fast": 45.0}
ESTIMATE_CAP = 95.0
ESTIMATE_NOTE = "estimate: Google reports no progress until the clip is done"
RETENTION_SECONDS = 2 * 24 * 3600.0  # Google deletes a generated clip after 2 days
_OPERATION = re.compile(r"^models/(?P<model>[^/\s]+)/operations/[^/\s]+$")
_RESUMABLE = re.compile(r"^(?:[^/\s]+/)*operations/[^/\s]+$")  # tolerant: any parent path
_FILE_ID = re.compile(r"(?:^|/)files/([a-z0-9]+)")  # google-genai's t_file_name reads the same


def submit_path(model: str) -> str:
    """``/v1beta/models/{model}:predictLongRunning``."""
    return f"{API_VERSION}/models/{quote(model, safe='')}:predictLongRunning"


def operation_path(name: str) -> str:
    """``/v1beta/{name}``, the name kept as sent (its slashes are path separators)."""
    return f"{API_VERSION}/{quote(name, safe='/:@')}"


def _image(image: ImageInput) -> dict[str, str]:
    # VideoRequest.build refuses URL-only images on gemini: the bytes are always here.
    assert image.data is not None, "gemini images are sent inline"
    inline = {"bytesBase64Encoded": base64.b64encode(image.data).decode("ascii")}
    if image.mime:
        inline["mimeType"] = image.mime
    return inline


def submit_body(request: VideoRequest) -> dict[str, Any]:
    """The ``predictLongRunning`` body for ``request`` (the module docstring lists the rules)."""
    instance: dict[str, Any] = {"prompt": request.prompt}
    if request.first_frame is not None:
        instance["image"] = _image(request.first_frame)
    if request.last_frame is not None:
        instance["lastFrame"] = _image(request.last_frame)
    if request.references:
        instance["referenceImages"] = [
            {"image": _image(r), "referenceType": "ASSET"} for r in request.references
        ]
    extend = request.options.get("extend")
    if extend:
        instance["video"] = {"uri": extend}
    parameters: dict[str, Any] = {"sampleCount": request.n}
    if not extend and request.seconds is not None:
        parameters["durationSeconds"] = int(request.seconds)
    if request.orientation is not None or request.size:
        width, height = request.pixel_size
        parameters["aspectRatio"] = "16:9" if width > height else "9:16"
    if resolution := request.options.get("resolution"):
        parameters["resolution"] = resolution
    if request.negative_prompt:
        parameters["negativePrompt"] = request.negative_prompt
    if person_generation := request.options.get("person_generation"):
        parameters["personGeneration"] = person_generation
    return {"instances": [instance], "parameters": parameters}


@dataclass(frozen=True, slots=True)
class Operation:
    """One poll's worth of a long-running operation, in our words. Pure data."""

    done: bool
    uris: tuple[str, ...] = ()
    inline_only: int = 0  # samples that came back as encodedVideo bytes without a URI
    filtered_count: int = 0
    filtered_reasons: tuple[str, ...] = ()
    error: str | None = None  # the operation's error message
    error_code: str | None = None  # its status word (or numeric code)


def read_operation(body: object) -> Operation:
    """Read an operation object; anything unreadable is an operation still running.

    >>> read_operation({"name": "models/m/operations/x"}).done
    False
    """
    if not isinstance(body, Mapping) or body.get("done") is not True:
        return Operation(done=False)
    error = body.get("error")
    if isinstance(error, Mapping) and (error.get("message") or error.get("code")):
        code = error.get("status") or error.get("code")
        return Operation(
            done=True,
            error=str(error.get("message") or "").strip() or None,
            error_code=None if code in (None, "") else str(code),
        )
    response = body.get("response")
    result = response.get("generateVideoResponse") if isinstance(response, Mapping) else None
    if not isinstance(result, Mapping):
        return Operation(done=True)
    uris: list[str] = []
    inline = 0
    for sample in result.get("generatedSamples") or ():
        video = sample.get("video") if isinstance(sample, Mapping) else None
        uri = video.get("uri") if isinstance(video, Mapping) else None
        if isinstance(uri, str) and uri.strip():
            uris.append(uri.strip())
        elif isinstance(video, Mapping) and video.get("encodedVideo"):
            inline += 1
    reasons = result.get("raiMediaFilteredReasons") or ()
    count = result.get("raiMediaFilteredCount")
    return Operation(
        done=True,
        uris=tuple(uris),
        inline_only=inline,
        filtered_count=count if isinstance(count, int) and not isinstance(count, bool) else 0,
        filtered_reasons=tuple(str(r).strip() for r in reasons if str(r).strip()),
    )


def estimated_percent(elapsed: float, typical: float) -> float:
    """A made-up but honest-looking progress: 82 % at ``typical`` seconds, never past the cap."""
    if elapsed <= 0 or typical <= 0:
        return 0.0
    return round(ESTIMATE_CAP * (1 - math.exp(-2 * elapsed / typical)), 1)


def file_id(uri: str) -> str | None:
    """The Gemini file id in a video URI (``…/files/{id}:download?alt=media``), if it has one."""
    match = _FILE_ID.search(httpx.URL(uri).path)
    return match[1] if match else None


def sample_ready(relay: Relay, index: int, uri: str) -> VideoReady:
    """Clip ``index`` at ``uri``, fetched with the key only from the configured base."""
    ready = video_ready(relay, index, uri)
    if ready.authenticated:
        return ready
    found = file_id(uri)
    if found is None:  # not a Google file: a public link, fetched without the key
        return ready
    base = str(relay.http.base_url).rstrip("/")
    return VideoReady(index, f"{base}{API_VERSION}/files/{found}:download?alt=media", True)


def finished(op: Operation) -> TaskReport:
    """How a done operation ended: its clips, or why there are none (worded for a person)."""
    if op.error is not None or op.error_code is not None:
        status = f" ({op.error_code})" if op.error_code else ""
        said = op.error or "no message"
        return _failed(f"Google reported an error{status}: {said}", code=op.error_code)
    if op.uris:
        return TaskReport(state="succeeded", word="", progress=None, urls=op.uris)
    if op.filtered_count or op.filtered_reasons:
        count = op.filtered_count or len(op.filtered_reasons)
        reasons = " | ".join(op.filtered_reasons) or "no reason given"
        return _failed(
            f"Google's safety filters removed the video (raiMediaFilteredCount={count}): {reasons}",
            code="RAI_MEDIA_FILTERED",
        )
    if op.inline_only:
        return _failed(
            "Google returned the video inline (encodedVideo) instead of a file URI, which "
            "veo_magic cannot save yet"
        )
    return _failed("Google reported the operation done but sent no video and no reason.")


def check_resumable(
    task_id: str, created_at: float, files: list[str], *, now: float | None = None
) -> None:
    """Refuse to resume a Gemini job sent more than 2 days ago: Google has deleted its clip."""
    now = time.time() if now is None else now
    if now - created_at < RETENTION_SECONDS:
        return
    sent = datetime.fromtimestamp(created_at, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    days = (now - created_at) / 86400
    kept = f"its clip was saved here: {', '.join(files)}" if files else "generate it again"
    raise VeoInputError(
        "task_id",
        task_id,
        f"is a Gemini job sent on {sent}, {days:.1f} days ago: Google keeps a generated clip for "
        "2 days only, so there is nothing left to fetch",
        hint=kept,
    )


def _failed(reason: str, *, code: str | None = None) -> TaskReport:
    return TaskReport(state="failed", word="", progress=None, reason=reason, code=code)


def _model(name: str) -> str | None:
    match = _OPERATION.match(name)
    return match["model"] if match else None


def _typical_seconds(name: str) -> float:
    fast = re.search(r"-(fast|lite)-", _model(name) or "") is not None
    return TYPICAL_SECONDS["fast" if fast else "standard"]


class GeminiAdapter(TaskAdapter):
    """Google's Gemini API: submit a long-running operation, then poll it until it is done."""

    name: ClassVar[str] = "gemini"
    retention_seconds: ClassVar[float] = RETENTION_SECONDS  # how long Google keeps a clip

    def __init__(
        self,
        relay: Relay,
        *,
        pacing: Pacing | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # Only the bounds: the schedule reads the progress estimate below as its rate.
        super().__init__(
            relay, pacing=dataclasses.replace(pacing or Pacing(), expected_seconds=None)
        )
        self.clock = clock

    async def create(self, request: VideoRequest) -> httpx.Response:
        return await self.relay.create(
            "POST", submit_path(request.wire_model), json=submit_body(request)
        )

    def created(self, response: httpx.Response) -> tuple[str, str | None]:
        body = json_body(response)
        name = body.get("name") if isinstance(body, Mapping) else None
        if isinstance(name, str) and name.strip():
            return name.strip(), _model(name.strip())
        raise VeoTaskUncertainError(
            f"Google accepted the request (HTTP {response.status_code}) but its answer has no "
            "operation name, so it cannot be followed; it may still run and be charged. It said: "
            f"{response.text.strip()[:300]!r}",
            status_code=response.status_code,
        )

    def resumed(self, task_id: str) -> str | None:
        if not _RESUMABLE.match(task_id):
            raise VeoInputError(
                "task_id",
                task_id,
                "is not a Gemini operation name",
                "models/{model}/operations/{id}",
                hint="resume with the name the API returned, like "
                "models/veo-3.1-generate-preview/operations/abc123",
            )
        return _model(task_id)

    def poll(self, task_id: str) -> tuple[str, None]:
        return operation_path(task_id), None

    def reader(self, task_id: str) -> Callable[[object], TaskReport]:
        """Operations, with the running ones' progress estimated from the time since now."""
        typical = _typical_seconds(task_id)
        started = self.clock()

        def read(body: object) -> TaskReport:
            op = read_operation(body)
            if op.done:
                return finished(op)
            percent = estimated_percent(self.clock() - started, typical)
            return TaskReport(state="running", word=ESTIMATE_NOTE, progress=percent)

        return read

    def ready(self, index: int, url: str) -> VideoReady:
        return sample_ready(self.relay, index, url)
