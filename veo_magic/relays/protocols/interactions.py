"""Google's Interactions API for Gemini Omni (docs/google-today.md; brief: interactions-wire).

What is sent, to ``POST /v1beta/interactions`` with the key in ``x-goog-api-key`` only::

    {"model": "gemini-omni-1.2-flash",
     "input": "a red kite over a beach",          # or parts: text, then the images
     "background": true, "store": true,
     "response_modalities": ["video"],
     "response_format": {"type": "video", "aspect_ratio": "16:9", "duration": "8s",
                         "resolution": "1080p"},
     "generation_config": {"seed": 7, "video_config": {"task": "text_to_video"}}}

``input`` is the prompt alone, or ``[{"type": "text", "text": …}, {"type": "image",
"mime_type": …, "data": <base64>}, …]``: one image is a first frame, two are the first and last
frames (``image_to_video``), references go with ``reference_to_video``. ``duration`` is always
sent (the model's default when none was asked), so the bill matches the estimate;
``resolution`` only when asked (Google's default is 720p). ``background: true`` makes the create
answer at once with the interaction's ``id``: the job's task id, journalled before anything else
happens, so a restarted process resumes it (``store`` stays true, or nothing could be fetched).

Edits and extensions (``request.lineage``, see ``requests/lineage.py``) are a new turn of the
parent's interaction: ``previous_interaction_id`` is the parent's id, ``video_config.task`` is
``edit`` or ``extend``, and ``response_format`` and ``generation_config`` are sent in full again
(Google keeps no setting between turns). Where there is no interaction to continue (a Veo
parent) or Google answers 404 (it forgot it: its retention, or ``store`` off), the turn is sent
statelessly instead: the parent's MP4 as an inline ``{"type": "video", "mime_type":
"video/mp4", "data": …}`` part, or, above 20 MB, uploaded first with the Files API's resumable
upload (``POST /upload/v1beta/files``, as google-genai's ``files.upload`` does) and sent as the
part's ``uri`` once the File is ``ACTIVE``; a ``Noted`` event says so in the job's notes.

Following it: ``GET /v1beta/interactions/{id}?stream=true`` first. Its events
(``interaction.created``, ``interaction.status_update``, ``step.start``, ``step.delta`` with the
video, ``step.stop``, ``interaction.completed``, ``error``) are read as they come; a stream that
drops is opened again with ``last_event_id`` (the last ``event_id`` seen). Where no stream
answers (a gateway that drops the query and answers JSON, as LiteLLM 1.108.7 does) or it keeps
dropping, the interaction is polled with the job's pacing instead.

The clip: a ``video`` item in a ``model_output`` step, ``data`` (base64) or ``uri``. Inline bytes
are decoded to a file as they arrive (``spill``): the runner moves that file into place. A
``uri`` is a Files API file: ``GET /v1beta/files/{id}`` until ``ACTIVE``, then downloaded from
``/v1beta/files/{id}:download?alt=media`` on the configured base, with the key.

Progress: Omni reports none. While it runs the adapter reports an estimate of its own
(``estimated_percent`` of the time elapsed against a typical render), its message saying it is
ours and how long it has been, never a number presented as Google's.

Endings: ``completed`` without a video -> withheld, said at once (no resume: asking again gets
the same answer); ``failed`` -> Google's ``errors[].message`` quoted; ``cancelled``,
``incomplete``, ``budget_exceeded`` -> each worded; a cancelled job sends
``POST /v1beta/interactions/{id}/cancel``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

import httpx

from ..._events import Event, Failed, Noted, Progress, Submitted, VideoReady
from ..._exceptions import VeoAPIError, VeoInputError, VeoTaskUncertainError
from ..http import StreamIdleError, json_body, with_idle_timeout
from .gemini import estimated_percent, file_id, sample_ready
from .polling import Pacing
from .spill import EventLines, Spill, spilled_path

if TYPE_CHECKING:
    from ...requests import ImageInput, VideoRequest
    from ..http import Relay

__all__ = [
    "ESTIMATE_NOTE",
    "InteractionsAdapter",
    "Outcome",
    "interaction_path",
    "read_interaction",
    "submit_body",
]

log = logging.getLogger("veo_magic")

API_VERSION = "/v1beta"
CREATE_PATH = f"{API_VERSION}/interactions"
TYPICAL_SECONDS = 60.0  # a typical Omni render when the journal knows none (an estimate)
ESTIMATE_NOTE = "our estimate: Gemini Omni reports no progress"
STREAM_REOPENS = 3  # a stream that drops this often in a row gives way to polling
FILE_ACTIVE_TIMEOUT = 600.0  # seconds a Files API file may stay PROCESSING
CANCEL_TIMEOUT = 10.0
# A parent clip sent inline (a stateless edit): Google's inline request limit is 20 MB (L);
# a bigger one goes through the Files API's resumable upload first (``_upload``).
MAX_INLINE_VIDEO_BYTES = 20 * 10**6
UPLOAD_PATH = "/upload/v1beta/files"
UPLOAD_CHUNK_BYTES = 8 * 1024 * 1024  # google-genai's chunk size
RUNNING = frozenset({"in_progress", "queued", "idle", "requires_action", "requires_continuation"})
_INTERACTION_ID = re.compile(r"^[^/\s?#]+$")
# What each ending without a clip says (Google's status words; google-genai 3.6.1's types).
ENDINGS = {
    "cancelled": "Google reports the interaction cancelled",
    "incomplete": "Google stopped the interaction before it finished (status incomplete)",
    "budget_exceeded": "Google stopped the interaction: its budget was exceeded (status "
    "budget_exceeded); raise the budget or shorten the clip",
}


def interaction_path(interaction_id: str) -> str:
    """``/v1beta/interactions/{id}``."""
    return f"{CREATE_PATH}/{quote(interaction_id, safe='')}"


def _image(image: ImageInput) -> dict[str, str]:
    # VideoRequest.build refuses URL-only images on interactions: the bytes are always here.
    assert image.data is not None, "interactions images are sent inline"
    part = {"type": "image", "data": base64.b64encode(image.data).decode("ascii")}
    if image.mime:
        part["mime_type"] = image.mime
    return part


def _task(request: VideoRequest) -> str:
    if request.lineage is not None:
        return request.lineage.step
    if request.references:
        return "reference_to_video"
    return "image_to_video" if request.first_frame is not None else "text_to_video"


def _clip_part(source: str, uri: str | None = None) -> dict[str, str]:
    """The parent's clip as a ``video`` part (a stateless edit or extension): its Files API
    ``uri`` once uploaded, else inline."""
    if uri is not None:
        return {"type": "video", "mime_type": "video/mp4", "uri": uri}
    data = Path(source).read_bytes()
    if len(data) > MAX_INLINE_VIDEO_BYTES:
        raise VeoInputError(
            "edit",
            Path(source).name,
            f"is {len(data) / 1e6:.1f} MB: more than the {MAX_INLINE_VIDEO_BYTES // 10**6} MB "
            "sent inline; upload it first and pass its Files API uri",
        )
    encoded = base64.b64encode(data).decode("ascii")
    return {"type": "video", "mime_type": "video/mp4", "data": encoded}


def needs_upload(source: str | None) -> bool:
    """Whether the parent clip at ``source`` is too big to send inline."""
    return source is not None and Path(source).stat().st_size > MAX_INLINE_VIDEO_BYTES


def submit_body(
    request: VideoRequest, *, stateless: bool = False, clip_uri: str | None = None
) -> dict[str, Any]:
    """The create body for ``request`` (the module docstring lists the rules); ``stateless``
    sends an edit's parent clip as a ``video`` part instead of ``previous_interaction_id``
    (inline, or ``clip_uri``: the clip uploaded to the Files API)."""
    images = request.images
    lineage = request.lineage
    prompt: object = request.prompt
    parts: list[dict[str, str]] = [_image(i) for i in images]
    chained = lineage is not None and lineage.interaction is not None and not stateless
    if lineage is not None and not chained:
        if lineage.source is None:
            raise VeoInputError(
                lineage.step,
                lineage.parent,
                "needs the parent's clip (Google no longer knows its interaction), and it is not "
                "on disk",
            )
        parts.insert(0, _clip_part(lineage.source, clip_uri))
    if parts:
        prompt = [{"type": "text", "text": request.prompt}, *parts]
    width, height = request.pixel_size
    video: dict[str, Any] = {
        "type": "video",
        "aspect_ratio": "16:9" if width > height else "9:16",
        "duration": f"{request.seconds or request.spec.default_seconds}s",
    }
    if request.resolution:
        video["resolution"] = request.resolution
    config: dict[str, Any] = {"video_config": {"task": _task(request)}}
    if request.seed is not None:
        config["seed"] = request.seed
    chain = {"previous_interaction_id": lineage.interaction} if chained and lineage else {}
    return {
        "model": request.wire_model,
        **chain,
        "input": prompt,
        "background": True,
        "store": True,
        "response_modalities": ["video"],
        "response_format": video,
        "generation_config": config,
    }


def _forgotten(exc: VeoAPIError) -> bool:
    """Whether Google's answer says it does not know the previous interaction (404 NOT_FOUND;
    a 400 naming it, as a gateway may word it)."""
    said = f"{exc.detail or ''} {exc}".lower()
    if exc.status_code == 404:
        return "model" not in said or "interaction" in said
    return exc.status_code == 400 and "interaction" in said and "not found" in said


# -- reading an interaction ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Clip:
    """A video item of the answer: its bytes on disk (``path``) or a ``uri``."""

    index: int
    path: Path | None = None
    uri: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """An interaction as far as one answer tells, in our words. Pure data."""

    status: str  # Google's word, lower case ("" when the answer had none)
    clips: tuple[Clip, ...] = ()
    error: str | None = None  # errors[].message (or a step's error), quoted
    code: str | None = None

    @property
    def running(self) -> bool:
        return self.status in RUNNING or not self.status


def read_interaction(body: object, spill: Spill | None = None) -> Outcome:
    """Read an interaction object (create, get, cancel, or an event's ``interaction``).

    The clip is the last ``video`` item of the ``model_output`` steps after the last
    ``user_input`` step (how google-genai builds ``output_video``); a ``data`` spilled to disk
    comes back as its file.

    >>> read_interaction({"status": "in_progress"}).running
    True
    """
    if not isinstance(body, Mapping):
        return Outcome(status="")
    status = str(body.get("status") or "").strip().lower()
    steps = body.get("steps")
    steps = steps if isinstance(steps, list) else []
    last_input = max((i for i, s in enumerate(steps) if _kind(s) == "user_input"), default=-1)
    video: Mapping[str, Any] | None = None
    error, code = _errors(body)
    for step in steps[last_input + 1 :]:
        if _kind(step) != "model_output":
            continue
        for item in step.get("content") or ():
            if isinstance(item, Mapping) and item.get("type") == "video":
                video = item
        if error is None and isinstance(step.get("error"), Mapping):
            error, code = _message(step["error"])
    clips = () if video is None else _clip(0, video, spill)
    return Outcome(status=status, clips=clips, error=error, code=code)


def _kind(step: object) -> str:
    return str(step.get("type") or "") if isinstance(step, Mapping) else ""


def _clip(index: int, item: Mapping[str, Any], spill: Spill | None) -> tuple[Clip, ...]:
    path = spilled_path(item.get("data"), spill) if spill is not None else None
    uri = item.get("uri")
    if path is not None:
        return (Clip(index, path=path),)
    if isinstance(uri, str) and uri.strip():
        return (Clip(index, uri=uri.strip()),)
    return ()


def _message(error: Mapping[str, Any]) -> tuple[str | None, str | None]:
    said = str(error.get("message") or "").strip() or None
    code = error.get("status") or error.get("code")
    return said, None if code in (None, "") else str(code)


def _errors(body: Mapping[str, Any]) -> tuple[str | None, str | None]:
    errors = body.get("errors")
    if isinstance(body.get("error"), Mapping):
        errors = [body["error"]]
    for error in errors if isinstance(errors, list) else ():
        if isinstance(error, Mapping) and (error.get("message") or error.get("code")):
            return _message(error)
    return None, None


def _ending(outcome: Outcome, interaction_id: str) -> str:
    """Why an interaction that ended has no clip, as a person reads it."""
    code = f" ({outcome.code})" if outcome.code else ""
    if outcome.status == "failed" or outcome.error:
        said = outcome.error or "no message"
        return f"Google reported interaction {interaction_id} failed{code}: {said}"
    if outcome.status in ENDINGS:
        said = f": {outcome.error}" if outcome.error else ""
        return f"{ENDINGS[outcome.status]} ({interaction_id}){said}"
    return (
        f"Google reported interaction {interaction_id} {outcome.status or 'done'} but returned "
        "no video, most likely withheld by Google's safety filter; asking again gets the same "
        "answer: change the prompt (or its images) and submit it again"
    )


# -- following one -------------------------------------------------------------------------------


@dataclass
class _Follow:
    """What one job's stream has said so far."""

    interaction_id: str
    started: float
    last_event_id: str | None = None
    news: tuple[object, ...] | None = None
    clips: dict[int, Path] = field(default_factory=dict)  # step index -> bytes so far
    uris: dict[int, str] = field(default_factory=dict)
    announced: set[int] = field(default_factory=set)
    ended: bool = False


class InteractionsAdapter:
    """Google's Interactions API: create in the background, follow by stream or poll."""

    name: ClassVar[str] = "interactions"

    def __init__(
        self,
        relay: Relay,
        *,
        pacing: Pacing | None = None,
        clock: Callable[[], float] = time.monotonic,
        stream: bool = True,
    ) -> None:
        self.relay = relay
        self.pacing = pacing or Pacing()
        self.clock = clock
        self.stream = stream  # follow by the event stream first (False: poll only)
        self.typical = self.pacing.expected_seconds or TYPICAL_SECONDS
        self.polls = 0  # GETs sent while following (the benchmark counts them)
        self.finished_between: tuple[float, float] | None = None

    async def run(
        self, request: VideoRequest | None, *, task_id: str | None = None
    ) -> AsyncIterator[Event]:
        """Create the interaction (or re-attach to ``task_id``), report it, follow it."""
        first: Outcome | None = None
        spill = Spill()
        if task_id is None:
            if request is None:
                raise VeoInputError(
                    "task_id", None, "is missing, and there is no request to submit"
                )
            response, note = await self._create(request)
            task_id, model, first = self._created(response, spill)
            if note:
                yield Noted(note)
        else:
            if not _INTERACTION_ID.match(task_id):
                raise VeoInputError(
                    "task_id",
                    task_id,
                    "is not an interaction id",
                    hint="resume with the id the Interactions API returned",
                )
            model = None
        yield Submitted(task_id, model=model)
        state = _Follow(task_id, started=self.clock())
        try:
            if first is not None and not first.running:
                async for event in self._ended(state, first):
                    yield event
                return
            async for event in self._follow(state):
                yield event
        except asyncio.CancelledError:
            if not state.ended:
                await self._cancel(task_id)
            raise

    async def _create(self, request: VideoRequest) -> tuple[httpx.Response, str | None]:
        """Send the create; an edit whose parent interaction Google no longer knows (404: past
        retention, deleted, or made with ``store`` off) is sent again statelessly, with the
        parent's clip, and says so."""
        lineage = request.lineage
        if lineage is not None and lineage.interaction is None:  # a Veo parent: its clip goes
            uri, note = await self._clip_uri(lineage.source)
            body = submit_body(request, clip_uri=uri)
            return await self.relay.create("POST", CREATE_PATH, json=body), note
        try:
            return await self.relay.create("POST", CREATE_PATH, json=submit_body(request)), None
        except VeoAPIError as exc:
            if lineage is None or lineage.interaction is None or not _forgotten(exc):
                raise
            if lineage.source is None or not Path(lineage.source).is_file():
                raise VeoInputError(
                    lineage.step,
                    lineage.parent,
                    f"chains to interaction {lineage.interaction}, which Google no longer knows, "
                    "and the parent's clip is not on disk to send instead",
                    hint="start again from a version whose clip is in the output folder",
                ) from None
        uri, uploaded = await self._clip_uri(lineage.source)
        body = submit_body(request, stateless=True, clip_uri=uri)
        response = await self.relay.create("POST", CREATE_PATH, json=body)
        said = (
            f"Google no longer knows interaction {lineage.interaction}: this {lineage.step} was "
            "sent with the parent's clip instead (stateless)"
        )
        return response, f"{said}; {uploaded}" if uploaded else said

    async def _clip_uri(self, source: str | None) -> tuple[str | None, str | None]:
        """The parent clip's Files API uri when it is too big to send inline (uploaded now),
        with a note saying so; ``(None, None)`` when it goes inline."""
        if not needs_upload(source):
            return None, None
        assert source is not None
        path = Path(source)
        uri, name = await self._upload(path)
        size = path.stat().st_size / 1e6
        return uri, f"the parent's clip ({size:.1f} MB) was uploaded to the Files API as {name}"

    async def _upload(self, path: Path) -> tuple[str, str]:
        """Google's resumable upload (as google-genai's ``files.upload`` sends it): a start with
        the key, the bytes in 8 MB chunks to the upload URL it names (the URL is the upload's
        credential: the key does not go with them), then the File until it is ``ACTIVE``."""
        size = path.stat().st_size
        start = await self.relay.fetch(
            "POST",
            UPLOAD_PATH,
            headers={
                "X-Goog-Upload-Protocol": "resumable",
                "X-Goog-Upload-Command": "start",
                "X-Goog-Upload-Header-Content-Length": str(size),
                "X-Goog-Upload-Header-Content-Type": "video/mp4",
            },
            json={"file": {"display_name": path.name}},
        )
        url = start.headers.get("x-goog-upload-url")
        if not url:
            raise VeoAPIError(
                "Google's Files API started no upload (its answer has no X-Goog-Upload-URL)",
                status_code=start.status_code,
            )
        offset, answer = 0, start
        with path.open("rb") as clip:
            while offset < size:
                chunk = await asyncio.to_thread(clip.read, UPLOAD_CHUNK_BYTES)
                if not chunk:
                    break
                last = offset + len(chunk) >= size
                answer = await self.relay.fetch(
                    "POST",
                    url,
                    public=True,
                    content=chunk,
                    headers={
                        "X-Goog-Upload-Command": "upload, finalize" if last else "upload",
                        "X-Goog-Upload-Offset": str(offset),
                    },
                )
                offset += len(chunk)
        body = json_body(answer)
        file = body.get("file") if isinstance(body, Mapping) else None
        status = answer.headers.get("x-goog-upload-status")
        if status != "final" or not isinstance(file, Mapping) or not file.get("uri"):
            raise VeoAPIError(
                f"Google's Files API did not finish the upload of {path.name} (status "
                f"{status!r}); nothing was created or charged",
                status_code=answer.status_code,
            )
        uri, name = str(file["uri"]), str(file.get("name") or "")
        found = file_id(uri) or name.removeprefix("files/")
        word, _ = await self._until_active(found, None)
        if word != "ACTIVE":
            raise VeoAPIError(
                f"the upload of {path.name} (files/{found}) stayed {word}; nothing was created "
                "or charged: try again later"
            )
        return uri, f"files/{found}"

    async def _until_active(self, found: str, task_id: str | None) -> tuple[str, Any]:
        """Read ``files/{found}`` until it is ``ACTIVE`` (or ``FAILED``, or ``FILE_ACTIVE_TIMEOUT``
        passes); the state it ended on and the File's body."""
        schedule = self.pacing.schedule(clock=self.clock)
        waited = self.clock()
        while True:
            response = await self.relay.fetch(
                "GET", f"{API_VERSION}/files/{found}", task_id=task_id
            )
            body = json_body(response)
            word = str(body.get("state") or "") if isinstance(body, Mapping) else ""
            if word.upper() in ("ACTIVE", ""):
                return "ACTIVE", body
            if word.upper() == "FAILED" or self.clock() - waited > FILE_ACTIVE_TIMEOUT:
                return word.upper(), body
            await self.relay.sleep(schedule.next_delay(None, response.headers))

    def _created(
        self, response: httpx.Response, spill: Spill
    ) -> tuple[str, str | None, Outcome | None]:
        body = json_body(response)
        interaction_id = body.get("id") if isinstance(body, Mapping) else None
        if isinstance(interaction_id, str) and interaction_id.strip():
            model = body.get("model")
            outcome = _read_whole(response, spill)  # a create answered in full has its clip
            return interaction_id.strip(), model if isinstance(model, str) else None, outcome
        raise VeoTaskUncertainError(
            f"Google accepted the request (HTTP {response.status_code}) but its answer has no "
            "interaction id, so it cannot be followed; it may still run and be charged. It said: "
            f"{response.text.strip()[:300]!r}",
            status_code=response.status_code,
        )

    async def _follow(self, state: _Follow) -> AsyncIterator[Event]:
        reopens = 0
        while self.stream and not state.ended:
            before = state.last_event_id, len(state.clips), state.news
            try:
                async for event in self._stream(state):
                    yield event
            except (httpx.TransportError, StreamIdleError, VeoAPIError) as exc:
                if isinstance(exc, VeoAPIError) and (exc.status_code or 0) in (400, 401, 403, 404):
                    raise
                log.info("interaction %s: the stream broke (%s)", state.interaction_id, exc)
            except _NoStream:
                break
            if state.ended:
                return
            progressed = (state.last_event_id, len(state.clips), state.news) != before
            reopens = 0 if progressed else reopens + 1
            if reopens >= STREAM_REOPENS:
                break
        if state.ended:
            return
        async for event in self._poll(state):
            yield event

    async def _stream(self, state: _Follow) -> AsyncIterator[Event]:
        """One connection to the event stream, read until it ends or the interaction does."""
        params = {"stream": "true"}
        if state.last_event_id:
            params["last_event_id"] = state.last_event_id
        path = interaction_path(state.interaction_id)
        headers = {"Accept": "text/event-stream"}
        async with self.relay.stream_fetch(
            "GET", path, task_id=state.interaction_id, params=params, headers=headers
        ) as response:
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind != "text/event-stream":  # no stream here: the answer is the interaction
                self.polls += 1
                outcome = await _read_streamed(response)
                if not outcome.running:
                    async for event in self._ended(state, outcome):
                        yield event
                    return
                if (progress := self._progress(state, outcome.status)) is not None:
                    yield progress
                raise _NoStream
            spill, lines = Spill(), EventLines()
            chunks = with_idle_timeout(response.aiter_bytes(), self.relay.idle_timeout)
            try:
                async for chunk in chunks:
                    for sse in lines.feed(spill.feed(chunk)):
                        async for event in self._event(state, sse.data, sse.id, spill):
                            yield event
                        if state.ended:
                            return
                for sse in lines.feed(spill.close()) + lines.close():
                    async for event in self._event(state, sse.data, sse.id, spill):
                        yield event
            finally:
                spill.close()

    async def _event(
        self, state: _Follow, data: str, sse_id: str | None, spill: Spill
    ) -> AsyncIterator[Event]:
        try:
            event = json.loads(data)
        except ValueError:
            log.info("interaction %s: an event that is not JSON", state.interaction_id)
            return
        if not isinstance(event, Mapping):
            return
        event_id = event.get("event_id") or sse_id
        if isinstance(event_id, str) and event_id.strip():
            state.last_event_id = event_id.strip()
        kind = event.get("event_type")
        index = event.get("index") if isinstance(event.get("index"), int) else 0
        if kind in ("interaction.created", "interaction.completed", "interaction.cancelled"):
            body = event.get("interaction")
            outcome = read_interaction(body, spill)
            if kind == "interaction.cancelled" and not outcome.status:
                outcome = Outcome(status="cancelled")
            if outcome.running:
                if (progress := self._progress(state, outcome.status)) is not None:
                    yield progress
                return
            async for ready in self._ended(state, outcome):
                yield ready
        elif kind == "interaction.status_update":
            status = str(event.get("status") or "").lower()
            if status and status not in RUNNING:
                return  # the ending comes with interaction.completed, which carries the rest
            if (progress := self._progress(state, status)) is not None:
                yield progress
        elif kind == "step.delta":
            delta = event.get("delta")
            if isinstance(delta, Mapping) and delta.get("type") == "video":
                _add_piece(state, index, delta, spill)
        elif kind == "step.stop":
            if index in state.clips or index in state.uris:
                async for ready in self._clip_ready(state, index):
                    yield ready
        elif kind == "error":
            error = event.get("error")
            said, code = _message(error) if isinstance(error, Mapping) else (None, None)
            state.ended = True
            outcome = Outcome(
                status="failed", error=said or "the stream reported an error", code=code
            )
            yield Failed(_ending(outcome, state.interaction_id), state.interaction_id, code)

    async def _poll(self, state: _Follow) -> AsyncIterator[Event]:
        """Poll the interaction with the job's pacing until it ends."""
        schedule = self.pacing.schedule(clock=self.clock)
        path = interaction_path(state.interaction_id)
        not_yet = time.monotonic()
        while True:
            self.polls += 1
            async with self.relay.stream_fetch(
                "GET", path, task_id=state.interaction_id
            ) as response:
                outcome = await _read_streamed(response)
                headers = response.headers
            if not outcome.running:
                self.finished_between = (not_yet, time.monotonic())
                async for event in self._ended(state, outcome):
                    yield event
                return
            not_yet = time.monotonic()
            if (progress := self._progress(state, outcome.status)) is not None:
                yield progress
            await self.relay.sleep(schedule.next_delay(None, headers))

    def _progress(self, state: _Follow, status: str) -> Progress | None:
        elapsed = self.clock() - state.started
        percent = estimated_percent(elapsed, self.typical)
        phase = "queued" if status == "queued" else "running"
        news = (phase, round(percent))
        if news == state.news:
            return None
        state.news = news
        message = f"{ESTIMATE_NOTE}; {elapsed:.0f} s so far, ~{self.typical:.0f} s is typical"
        return Progress(percent, phase=phase, message=message)  # type: ignore[arg-type]

    async def _ended(self, state: _Follow, outcome: Outcome) -> AsyncIterator[Event]:
        """The interaction is over: its clips, or why there are none."""
        state.ended = True
        if self.finished_between is None:
            self.finished_between = (time.monotonic(), time.monotonic())
        for clip in outcome.clips:
            if clip.index in state.announced:
                continue
            if clip.path is not None:
                state.clips.setdefault(clip.index, clip.path)
            elif clip.uri is not None:
                state.uris.setdefault(clip.index, clip.uri)
        pending = sorted(set(state.clips) | set(state.uris))
        if outcome.status == "completed" and (pending or state.announced):
            for index in pending:
                if index not in state.announced:
                    async for event in self._clip_ready(state, index):
                        yield event
            return
        yield Failed(_ending(outcome, state.interaction_id), state.interaction_id, outcome.code)

    async def _clip_ready(self, state: _Follow, index: int) -> AsyncIterator[Event]:
        number = len(state.announced)
        state.announced.add(index)
        base = str(self.relay.http.base_url).rstrip("/")
        source = f"{base}{interaction_path(state.interaction_id)}"
        if index in state.clips:
            yield VideoReady(number, source, authenticated=True, path=state.clips.pop(index))
            return
        uri = state.uris.pop(index)
        ready = await self._file_ready(state, number, uri)
        if isinstance(ready, Failed):
            state.ended = True
        yield ready

    async def _file_ready(self, state: _Follow, number: int, uri: str) -> VideoReady | Failed:
        """A Files API clip: wait until it is ACTIVE, then fetch it from the configured base."""
        found = file_id(uri)
        if found is None:
            if uri.startswith(("http://", "https://")):
                return sample_ready(self.relay, number, uri)
            return Failed(
                f"Google returned the clip of {state.interaction_id} at {uri!r}, which veo_magic "
                "cannot fetch (not a Files API file nor an http(s) link)",
                state.interaction_id,
            )
        word, body = await self._until_active(found, state.interaction_id)
        if word == "FAILED":
            said, _ = _errors(body) if isinstance(body, Mapping) else (None, None)
            return Failed(
                f"Google could not prepare the clip of {state.interaction_id} (file "
                f"files/{found} is FAILED){': ' + said if said else ''}",
                state.interaction_id,
            )
        if word != "ACTIVE":
            return Failed(
                f"file files/{found} of {state.interaction_id} stayed {word} for "
                f"{FILE_ACTIVE_TIMEOUT:.0f} s; resume the job later to fetch it",
                state.interaction_id,
            )
        return sample_ready(self.relay, number, f"{API_VERSION}/files/{found}:download?alt=media")

    async def _cancel(self, interaction_id: str) -> None:
        """Ask Google to stop the interaction (best effort: the job is cancelled either way)."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                self.relay.http.post(f"{interaction_path(interaction_id)}/cancel"),
                CANCEL_TIMEOUT,
            )


class _NoStream(Exception):
    """The server answered the stream request with the interaction itself: poll instead."""


def _add_piece(state: _Follow, index: int, delta: Mapping[str, Any], spill: Spill) -> None:
    """A ``step.delta`` video piece: its bytes appended to the step's clip, or its uri kept."""
    path = spilled_path(delta.get("data"), spill)
    uri = delta.get("uri")
    if path is not None:
        have = state.clips.get(index)
        if have is None:
            state.clips[index] = path
            return
        with have.open("ab") as into, path.open("rb") as piece:
            while block := piece.read(1 << 20):
                into.write(block)
        path.unlink(missing_ok=True)
    elif isinstance(uri, str) and uri.strip():
        state.uris[index] = uri.strip()


async def _read_streamed(response: httpx.Response) -> Outcome:
    """An interaction answer read as it arrives, its clip spilled to disk."""
    spill = Spill()
    text = bytearray()
    async for chunk in response.aiter_bytes():
        text += spill.feed(chunk)
    text += spill.close()
    try:
        body = json.loads(bytes(text))
    except ValueError:
        spill.discard()
        return Outcome(status="")
    outcome = read_interaction(body, spill)
    used = {clip.path for clip in outcome.clips}
    for path in spill.files:  # items other than the clip (an input echoed back): not kept
        if path not in used:
            path.unlink(missing_ok=True)
    return outcome


def _read_whole(response: httpx.Response, spill: Spill) -> Outcome:
    """A create answer (already read): spilled the same way, so its clip is a file too."""
    text = spill.feed(response.content) + spill.close()
    try:
        body = json.loads(text)
    except ValueError:
        return Outcome(status="in_progress")
    return read_interaction(body, spill)
