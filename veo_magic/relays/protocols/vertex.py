"""Veo 3.1 on Vertex AI: ``predictLongRunning``, then ``fetchPredictOperation`` (GOOGLE.md).

What is sent, with an OAuth token in ``Authorization: Bearer`` (``relays.google_auth``), to
``POST /v1/projects/{project}/locations/{location}/publishers/google/models/{model}:predictLongRunning``
on ``https://{location}-aiplatform.googleapis.com`` (``aiplatform.googleapis.com`` for ``global``;
``VEO_BASE_URL`` replaces the host)::

    {"instances": [{"prompt": "…", "image": {…}, "lastFrame": {…}, "referenceImages": [{…}],
                    "video": {"bytesBase64Encoded": "…", "mimeType": "video/mp4"}}],
     "parameters": {"sampleCount": 1, "durationSeconds": 8, "aspectRatio": "16:9",
                    "resolution": "1080p", "negativePrompt": "…", "personGeneration": "…",
                    "seed": 42, "generateAudio": true, "storageUri": "gs://…"}}

The body is the Gemini API's (``gemini.submit_body``: the same ``instances``/``parameters``
shape) plus what only Vertex takes: ``seed``, ``generateAudio`` and ``storageUri``; an extension
(``extend=``, a finished Job or an MP4 on disk) sends the clip's bytes as the instance's ``video``. Vertex's
reference is the same as google-genai's Vertex converters (``_GenerateVideosConfig_to_vertex``).

The answer is ``{"name": "projects/…/publishers/google/models/{model}/operations/{id}"}``: the
task id, kept exactly. It is polled with ``POST {name up to the model}:fetchPredictOperation``
and ``{"operationName": name}`` (what google-genai's ``operations.get`` sends on Vertex), so a
resumed job needs nothing but the name. When ``done``:

* ``response.videos[]``: each ``bytesBase64Encoded`` (decoded; the runner writes it to disk) or
  ``gcsUri`` (``gs://bucket/object``, fetched with the same token from the Cloud Storage JSON
  API's download URL, ``/storage/v1/b/{bucket}/o/{object}?alt=media``, on
  ``storage.googleapis.com``, or on the configured base when ``VEO_BASE_URL`` replaces Google's);
  (``GoogleCloudAiplatformV1GenerateVideoResponse`` in Google's v1 API reference: ``videos``,
  ``raiMediaFilteredCount``, ``raiMediaFilteredReasons``, and the older ``generatedSamples``, a
  list of ``gs://`` strings, read when ``videos`` is absent);
* no videos and ``raiMediaFilteredCount`` / ``raiMediaFilteredReasons``: Google's safety filter
  kept them, quoted in the failure (nothing to resume);
* ``error``: its message and status.

Progress: none is reported while an operation runs; the Gemini adapter's estimate is used.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

import httpx

from ..._events import VideoReady
from ..._exceptions import VeoInputError, VeoTaskUncertainError
from ..http import json_body
from .gemini import ESTIMATE_NOTE, TYPICAL_SECONDS, GeminiAdapter, estimated_percent, submit_body
from .status import TaskReport

if TYPE_CHECKING:
    from ...requests import VideoRequest
    from ..http import Relay

__all__ = [
    "STORAGE_BASE",
    "VertexAdapter",
    "VertexOperation",
    "fetch_path",
    "read_vertex_operation",
    "storage_url",
    "vertex_body",
    "vertex_submit_path",
]

API_VERSION = "/v1"
GOOGLE_HOST_SUFFIX = ".googleapis.com"
STORAGE_BASE = "https://storage.googleapis.com"
INLINE = "inline:"  # a clip that came in the answer itself: "inline:{operation}#{index}"
_OPERATION = re.compile(
    r"^projects/(?P<project>[^/\s]+)/locations/(?P<location>[^/\s]+)/publishers/google/"
    r"models/(?P<model>[^/\s]+)/operations/[^/\s]+$"
)
_GS = re.compile(r"^gs://(?P<bucket>[^/\s]+)/(?P<object>\S+)$")


def vertex_submit_path(project: str, location: str, model: str) -> str:
    """``/v1/projects/{p}/locations/{l}/publishers/google/models/{m}:predictLongRunning``."""
    model_path = f"projects/{project}/locations/{location}/publishers/google/models/{model}"
    return f"{API_VERSION}/{quote(model_path, safe='/')}:predictLongRunning"


def fetch_path(name: str) -> str:
    """Where an operation is polled: its model's ``:fetchPredictOperation``."""
    model_path = name.rpartition("/operations/")[0]
    return f"{API_VERSION}/{quote(model_path, safe='/')}:fetchPredictOperation"


def vertex_body(request: VideoRequest) -> dict[str, Any]:
    """The Gemini API's body plus Vertex's own parameters (the module docstring)."""
    body = submit_body(request)
    if extend := request.options.get("extend"):  # Veo's extension, from the clip's bytes
        clip = base64.b64encode(Path(str(extend)).read_bytes()).decode("ascii")
        body["instances"][0]["video"] = {"bytesBase64Encoded": clip, "mimeType": "video/mp4"}
    parameters = body["parameters"]
    if request.seed is not None:
        parameters["seed"] = request.seed
    if (audio := request.options.get("generate_audio")) is not None:
        parameters["generateAudio"] = bool(audio)
    if storage := request.options.get("storage_uri"):
        parameters["storageUri"] = storage
    return body


def storage_url(gcs_uri: str, base: str = STORAGE_BASE) -> str | None:
    """The Cloud Storage JSON API's download URL for ``gs://bucket/object`` (None: not one)."""
    match = _GS.match(gcs_uri.strip())
    if match is None:
        return None
    bucket, name = quote(match["bucket"], safe=""), quote(match["object"], safe="")
    return f"{base.rstrip('/')}/storage/v1/b/{bucket}/o/{name}?alt=media"


@dataclass(frozen=True, slots=True)
class VertexOperation:
    """One poll of a Vertex operation, in our words. Pure data."""

    done: bool
    inline: tuple[bytes, ...] = ()
    gcs_uris: tuple[str, ...] = ()
    filtered_count: int = 0
    filtered_reasons: tuple[str, ...] = ()
    error: str | None = None
    error_code: str | None = None
    unreadable: int = 0  # videos with neither bytes nor a gs:// URI


def read_vertex_operation(body: object) -> VertexOperation:
    """Read a ``fetchPredictOperation`` answer; anything unreadable is still running.

    >>> read_vertex_operation({"name": "projects/p/…/operations/x"}).done
    False
    """
    if not isinstance(body, Mapping) or body.get("done") is not True:
        return VertexOperation(done=False)
    error = body.get("error")
    if isinstance(error, Mapping) and (error.get("message") or error.get("code")):
        code = error.get("status") or error.get("code")
        return VertexOperation(
            done=True,
            error=str(error.get("message") or "").strip() or None,
            error_code=None if code in (None, "") else str(code),
        )
    response = body.get("response")
    if not isinstance(response, Mapping):
        return VertexOperation(done=True)
    inline: list[bytes] = []
    uris: list[str] = []
    unreadable = 0
    for video in response.get("videos") or ():
        data = video.get("bytesBase64Encoded") if isinstance(video, Mapping) else None
        uri = video.get("gcsUri") if isinstance(video, Mapping) else None
        if isinstance(data, str) and data:
            try:
                inline.append(base64.b64decode(data, validate=True))
                continue
            except (binascii.Error, ValueError):
                pass
        if isinstance(uri, str) and uri.strip():
            uris.append(uri.strip())
        else:
            unreadable += 1
    if not response.get("videos"):  # the older field: Cloud Storage URIs as plain strings
        samples = response.get("generatedSamples") or ()
        uris += [u.strip() for u in samples if isinstance(u, str) and u.strip().startswith("gs://")]
    count = response.get("raiMediaFilteredCount")
    reasons = response.get("raiMediaFilteredReasons") or ()
    return VertexOperation(
        done=True,
        inline=tuple(inline),
        gcs_uris=tuple(uris),
        filtered_count=count if isinstance(count, int) and not isinstance(count, bool) else 0,
        filtered_reasons=tuple(str(r).strip() for r in reasons if str(r).strip()),
        unreadable=unreadable,
    )


def _failed(reason: str, *, code: str | None = None) -> TaskReport:
    return TaskReport(state="failed", word="", progress=None, reason=reason, code=code)


def finished(op: VertexOperation) -> TaskReport:
    """How a done operation ended, worded for a person (clips are read by the adapter)."""
    if op.error is not None or op.error_code is not None:
        status = f" ({op.error_code})" if op.error_code else ""
        return _failed(
            f"Vertex AI reported an error{status}: {op.error or 'no message'}", code=op.error_code
        )
    if op.inline or op.gcs_uris:
        return TaskReport(state="succeeded", word="", progress=None)
    if op.filtered_count or op.filtered_reasons:
        count = op.filtered_count or len(op.filtered_reasons)
        reasons = " | ".join(op.filtered_reasons) or "no reason given"
        return _failed(
            f"Google's safety filters removed the video (raiMediaFilteredCount={count}): "
            f"{reasons}. Nothing was made to resume: change the prompt or images and submit again.",
            code="RAI_MEDIA_FILTERED",
        )
    if op.unreadable:
        return _failed("Vertex AI reported the videos done but sent neither bytes nor a gs:// URI.")
    return _failed("Vertex AI reported the operation done but sent no video and no reason.")


class VertexAdapter(GeminiAdapter):
    """Vertex AI: submit a long-running prediction, then fetch the operation until it is done."""

    name: ClassVar[str] = "vertex"
    retention_seconds: ClassVar[float | None] = None  # Vertex names no retention for its answer
    poll_method: ClassVar[str] = "POST"

    def __init__(self, relay: Relay, **kwargs: Any) -> None:
        super().__init__(relay, **kwargs)
        self._clips: dict[str, list[Path]] = {}  # a task id: its inline clips, on disk

    @property
    def project(self) -> str:
        auth = self.relay.http.auth
        project = getattr(auth, "project", None)
        if not project:
            raise VeoInputError("protocol", "vertex", "needs a client signed in to Google Cloud")
        return str(project)

    @property
    def location(self) -> str:
        """The region in the configured Google host (``us-central1-aiplatform…``), else the
        client's setting (a replaced host names none)."""
        return str(getattr(self.relay.http.auth, "location", None) or "us-central1")

    async def create(self, request: VideoRequest) -> httpx.Response:
        path = vertex_submit_path(self.project, self.location, request.wire_model)
        return await self.relay.create("POST", path, json=vertex_body(request))

    def created(self, response: httpx.Response) -> tuple[str, str | None]:
        body = json_body(response)
        name = body.get("name") if isinstance(body, Mapping) else None
        if isinstance(name, str) and (match := _OPERATION.match(name.strip())):
            return name.strip(), match["model"]
        raise VeoTaskUncertainError(
            f"Vertex AI accepted the request (HTTP {response.status_code}) but its answer names "
            "no operation, so it cannot be followed; it may still run and be charged. It said: "
            f"{response.text.strip()[:300]!r}",
            status_code=response.status_code,
        )

    def resumed(self, task_id: str) -> str | None:
        match = _OPERATION.match(task_id)
        if match is None:
            raise VeoInputError(
                "task_id",
                task_id,
                "is not a Vertex AI operation name",
                "projects/{project}/locations/{location}/publishers/google/models/{model}/"
                "operations/{id}",
                hint="resume with job.task_id, the name Vertex AI returned",
            )
        return match["model"]

    def poll(self, task_id: str) -> tuple[str, None]:
        return fetch_path(task_id), None

    def poll_body(self, task_id: str) -> dict[str, str]:
        return {"operationName": task_id}

    def reader(self, task_id: str) -> Callable[[object], TaskReport]:
        match = _OPERATION.match(task_id)
        fast = match is not None and re.search(r"-(fast|lite)-", match["model"]) is not None
        typical = TYPICAL_SECONDS["fast" if fast else "standard"]
        started = self.clock()

        def read(body: object) -> TaskReport:
            op = read_vertex_operation(body)
            if not op.done:
                percent = estimated_percent(self.clock() - started, typical)
                return TaskReport(state="running", word=ESTIMATE_NOTE, progress=percent)
            report = finished(op)
            if report.state != "succeeded":
                return report
            self._clips[task_id] = [_on_disk(clip) for clip in op.inline]
            urls = [f"{INLINE}{task_id}#{i}" for i in range(len(op.inline))]
            urls += [storage_url(u, self._storage_base()) or u for u in op.gcs_uris]
            return TaskReport(state="succeeded", word="", progress=None, urls=tuple(urls))

        return read

    def ready(self, index: int, url: str) -> VideoReady:
        if url.startswith(INLINE):
            task_id, _, number = url.removeprefix(INLINE).rpartition("#")
            return VideoReady(index, url, path=self._clips[task_id][int(number)])
        # The same token goes to Cloud Storage (or to the host that replaced Google's).
        return VideoReady(index, url, authenticated=True)

    def _storage_base(self) -> str:
        base = self.relay.http.base_url
        if (base.host or "").endswith(GOOGLE_HOST_SUFFIX):
            return STORAGE_BASE
        return str(base).rstrip("/")


def _on_disk(clip: bytes) -> Path:
    """An inline clip in a file of its own, for the runner to check and move into place (the
    way the Interactions API's inline clips arrive: ``VideoReady.path``)."""
    handle, name = tempfile.mkstemp(prefix="veo-vertex-", suffix=".mp4")
    with os.fdopen(handle, "wb") as out:
        out.write(clip)
    return Path(name)
