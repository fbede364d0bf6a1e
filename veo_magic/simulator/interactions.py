"""Google's Interactions API for Gemini Omni, as the simulator serves it (issue 17).

Shapes from google-genai 3.6.1's generated types (``google/genai/_gaos/types/interactions/``)
and Google's answers recorded in vercel/ai (``packages/google/src/interactions/__fixtures__/
video-response-format.json`` and ``.chunks.txt``, 2026-08-28); /work/brief/interactions-wire.md
lists every source. Routes (``ROUTES``), all needing ``x-goog-api-key`` (``gemini``'s key check:
none 403, Bearer only 401, ``?key=`` refused), with or without an ``Api-Revision`` header:

* ``POST /v1beta/interactions``: ``model``, ``input`` (a string, a list of ``text`` / ``image`` /
  ``video`` parts, or of ``user_input`` steps), ``response_format`` (a ``video`` entry or a list;
  ``aspect_ratio``, ``delivery``, ``duration`` like ``"6s"``, ``resolution``),
  ``generation_config`` (``seed``, ``video_config.task``), ``previous_interaction_id``,
  ``background``, ``stream`` (or LiteLLM's ``?alt=sse``), ``store``. ``background`` answers the
  ``in_progress`` interaction at once; ``stream`` answers the event stream; neither holds the
  request until the interaction ends, then answers it whole.
* ``GET /v1beta/interactions/{id}`` (``?stream=true[&last_event_id=N]`` for the event stream
  from after event N), ``POST …/{id}/cancel``, ``DELETE …/{id}`` (answers ``{}``).
* ``GET /v1beta/files/{id}`` (``state`` ``PROCESSING`` on the first read, then ``ACTIVE``) and
  ``GET /v1beta/files/{id}:download?alt=media`` (the MP4 itself) for ``delivery: "uri"``.
* ``POST /upload/v1beta/files``: the Files API's resumable upload (``uploads.py``); an uploaded
  MP4 is a ``video`` part's ``uri`` once ``ACTIVE`` (a clip too big to send inline).

The event stream (SSE, ``event: <event_type>`` + ``data: <json>``; every event carries an
``event_id``, "1", "2", …): ``interaction.created``, ``interaction.status_update``
(``in_progress``), then, once done, ``step.start`` / ``step.delta`` (the video, or the filter's
text) / ``step.stop`` and ``interaction.completed`` (no ``steps``, as recorded). An interaction
that ends otherwise (``failed`` with ``errors``, ``incomplete``, ``budget_exceeded``,
``cancelled``) sends ``interaction.status_update`` with that status, then
``interaction.completed`` carrying it.

Google's rules for Omni are enforced here on their own, not taken from the client's catalog:
1.1 makes 3–10 s, 1.2 3–15 s; one video per turn; no negative prompt (an unknown field, as
Google answers one). Retired ids (the Veo 3.1 previews, ``gemini-omni-flash-preview``) get
Google's 404 "no longer available"; other unknown models 404 ``NOT_FOUND``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import hashlib
import json
import re
import secrets
import string
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..media import probe
from .admission import accept, admit
from .errors import retired_words
from .files import serve_clip
from .gemini import GoogleJSONResponse, download, google_error, requires_google_key
from .inputs import SHORT_SIDE, BodyError, inline_image, read_body, veo_frame
from .state import SimState
from .tasks import FileRef, ImageInput, Task
from .uploads import UPLOAD_PATH, file_json, upload, uploaded_file

__all__ = ["MODELS", "ROUTES"]

# model -> (shortest, longest, default) seconds. 1.1: 3–10 s, default 10 s (GOOGLE.md, H);
# 1.2: 3–15 s (Google Cloud's page, H); its default is not documented (8 s here, L).
MODELS = {"gemini-omni-1.1-flash": (3, 10, 10), "gemini-omni-1.2-flash": (3, 15, 8)}
RETIRED = frozenset({"gemini-omni-flash-preview"})  # shut down 2026-09-30
TASKS = ("text_to_video", "image_to_video", "reference_to_video", "edit", "extend", "upscale")
DELIVERIES = ("inline", "uri")
RATIOS = ("16:9", "9:16")
RESOLUTIONS = ("360p", "720p", "1080p", "4k")
# Every field google-genai 3.6.1's CreateModelInteraction has (plus agent ones LiteLLM forwards).
BODY_FIELDS = frozenset(
    {
        "model",
        "agent",
        "agent_config",
        "background",
        "cached_content",
        "continuation_token",
        "environment",
        "generation_config",
        "input",
        "labels",
        "previous_interaction_id",
        "response_format",
        "response_mime_type",
        "response_modalities",
        "safety_settings",
        "service_tier",
        "store",
        "stream",
        "system_instruction",
        "tools",
        "webhook_config",
    }
)
# Video output tokens a second at 720p (≈ $0.10/s at $17.50 per million, GOOGLE.md, M), scaled
# by the per-second price tiers of 1.1 (360p / 720p / 1080p / 4k: 0.03 / 0.10 / 0.15 / 0.30).
TOKENS_PER_SECOND = 5792
RESOLUTION_WEIGHT = {"360p": 0.3, "720p": 1.0, "1080p": 1.5, "4k": 3.0}
SHORT_SIDE_OMNI = {**SHORT_SIDE, "360p": 360}
ENDED = ("completed", "failed", "cancelled", "incomplete", "budget_exceeded")
SAFETY_FAILED = (
    "The prompt could not be processed because it may violate Google's usage policies. "
    "You have not been charged for this attempt."
)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*s\s*$")
_LOWER_ALNUM = string.ascii_lowercase + string.digits
_FILE_URI = re.compile(r"/v1beta/files/([a-z0-9]+)(?:$|[?#])")


class _Refused(Exception):
    """A create Google answers with 400 INVALID_ARGUMENT before anything starts."""


@dataclass
class Interaction:
    """One interaction: its task (the simulator's clock and clip) and what its turn asked."""

    id: str
    task: Task
    store: bool
    delivery: str
    created: str
    request: dict[str, Any]  # response_format / generation_config / response_modalities as sent
    previous_interaction_id: str | None = None
    cancelled: str | None = None  # when, ISO 8601
    file_reads: int = 0  # GET files/{id} so far: the first says PROCESSING

    @property
    def file_id(self) -> str:
        """Its clip's Files API id: lowercase letters and digits, as Google's."""
        return hashlib.sha256(self.id.encode()).hexdigest()[:16]

    def status(self) -> str:
        if self.cancelled is not None:
            return "cancelled"
        phase = self.task.phase()
        if phase in ("queued", "running"):
            return "in_progress"
        if phase == "failed":
            return "failed"
        return self.task.scenario.interactions_end or "completed"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _invalid(message: str) -> Response:
    return google_error(400, message)


# -- reading a create ---------------------------------------------------------------------------


def _video_format(raw: object) -> dict[str, Any]:
    """The one ``video`` entry of ``response_format`` (an object or a list), checked."""
    entries = raw if isinstance(raw, list) else [raw] if raw is not None else []
    videos = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise _Refused("response_format entries must be objects.")
        if entry.get("type") == "video":
            videos.append(entry)
    if len(videos) > 1:
        raise _Refused("Only one video can be generated per turn.")
    video = dict(videos[0]) if videos else {}
    checks = (("aspect_ratio", RATIOS), ("delivery", DELIVERIES), ("resolution", RESOLUTIONS))
    for name, allowed in checks:
        value = video.get(name)
        if value is not None and value not in allowed:
            raise _Refused(
                f"response_format.{name} {value!r} is not supported; use {' or '.join(allowed)}."
            )
    return video


def _seconds(video: Mapping[str, Any], model: str, default: int) -> int:
    low, high, _ = MODELS[model]
    raw = video.get("duration")
    if raw is None:
        return default
    match = _DURATION.match(raw) if isinstance(raw, str) else None
    if match is None:
        raise _Refused(f'response_format.duration {raw!r} must be seconds written like "6s".')
    seconds = float(match[1])
    if not seconds.is_integer() or not low <= seconds <= high:
        raise _Refused(
            f"response_format.duration {raw!r} is out of range for {model}: use {low}s to {high}s."
        )
    return int(seconds)


def _generation_config(raw: object) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _Refused("generation_config must be an object.")
    seed = raw.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise _Refused("generation_config.seed must be an integer.")
    video = raw.get("video_config")
    if video is not None:
        if not isinstance(video, Mapping):
            raise _Refused("generation_config.video_config must be an object.")
        task = video.get("task")
        if task is not None and task not in TASKS:
            raise _Refused(
                f"generation_config.video_config.task {task!r} is not supported; use one of "
                f"{', '.join(TASKS)}."
            )
    return dict(raw)


def _parts(raw: object) -> list[Mapping[str, Any]]:
    """``input`` as a flat list of content parts (a string is one text part; steps unwrap)."""
    if isinstance(raw, str):
        return [{"type": "text", "text": raw}]
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise _Refused("input is required: a string, or a list of content parts.")
    parts: list[Mapping[str, Any]] = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise _Refused("input items must be objects with a type.")
        if item.get("type") == "user_input":
            parts.extend(_parts(item.get("content") or []))
        else:
            parts.append(item)
    return parts


def _image(part: Mapping[str, Any], index: int) -> ImageInput:
    where = f"input[{index}]"
    uri = part.get("uri")
    if isinstance(uri, str):
        if uri.startswith(("http://", "https://")) and "/files/" not in uri:
            raise _Refused(
                f"{where}: HTTP image input is not supported by the model; send inline data or a "
                "Files API uri."
            )
        return ImageInput(role="reference", source="url", url=uri)
    raw = part.get("data")
    if not isinstance(raw, str) or not raw:
        raise _Refused(f"{where}: an image part needs data (base64) or uri.")
    return inline_image(
        raw, "first", where=where, field="data", reader="the model", refused=_Refused
    )


def _video(part: Mapping[str, Any], index: int, state: SimState) -> bytes:
    """A ``video`` part's MP4: inline ``data``, or the ``uri`` of an uploaded Files API file
    once it is ``ACTIVE``; any other ``uri`` is refused, as Google refuses HTTP video input."""
    uri = part.get("uri")
    if isinstance(uri, str):
        found = _FILE_URI.search(uri)
        up = uploaded_file(state, found[1]) if found else None
        if up is None:
            raise _Refused(
                f"input[{index}]: HTTP video input is not supported by the model; send inline "
                "data or a Files API uri."
            )
        if not up.active:
            raise _Refused(
                f"The File {up.file_id} is not in an ACTIVE state and usage is not allowed."
            )
        data = bytes(up.data)
        if data[4:8] != b"ftyp":
            raise _Refused(f"input[{index}]: files/{up.file_id} is not an MP4.")
        return data
    raw = part.get("data")
    try:
        data = base64.b64decode(raw, validate=True) if isinstance(raw, str) else b""
    except (binascii.Error, ValueError):
        data = b""
    if data[4:8] != b"ftyp":
        raise _Refused(f"input[{index}]: a video part needs data, a base64 MP4.")
    return data


def _prompt_and_images(
    parts: list[Mapping[str, Any]], task: str | None, state: SimState
) -> tuple[str, list[ImageInput], bytes | None]:
    texts: list[str] = []
    images: list[ImageInput] = []
    video: bytes | None = None
    for index, part in enumerate(parts):
        kind = part.get("type")
        if kind == "text":
            if not isinstance(part.get("text"), str):
                raise _Refused(f"input[{index}].text must be a string.")
            texts.append(part["text"])
        elif kind == "image":
            images.append(_image(part, index))
        elif kind == "video":  # a source clip to edit or extend
            video = _video(part, index, state)
        else:
            raise _Refused(f"input[{index}].type {kind!r} is not supported for video generation.")
    if task == "reference_to_video":
        for image in images:
            image.role = "reference"
    elif len(images) > 2:
        raise _Refused(
            f"{len(images)} images need video_config.task reference_to_video; image_to_video "
            "takes a first frame, or a first and a last frame."
        )
    elif len(images) == 2:
        images[1].role = "last"
    return " ".join(t for t in texts if t.strip()).strip(), images, video


# -- the interaction as Google writes it ---------------------------------------------------------


def _usage(rec: Interaction) -> dict[str, Any]:
    task = rec.task
    video = 0
    if rec.status() == "completed" and task.has_video():
        weight = RESOLUTION_WEIGHT.get(rec.request.get("resolution", "720p"), 1.0)
        video = round(TOKENS_PER_SECOND * task.seconds * weight)
    prompt_tokens = max(1, -(-len(task.text) // 4))
    thought = 281 if video else 0
    return {
        "total_tokens": prompt_tokens + video + thought,
        "total_input_tokens": prompt_tokens,
        "input_tokens_by_modality": [{"modality": "text", "tokens": prompt_tokens}],
        "total_cached_tokens": 0,
        "total_output_tokens": video + thought,
        "output_tokens_by_modality": [{"modality": "video", "tokens": video}] if video else [],
        "total_tool_use_tokens": 0,
        "total_thought_tokens": thought,
    }


def _output(request: Request, rec: Interaction) -> dict[str, Any] | None:
    """The content item of the model's output: the video (inline or uri), the filter's text, or
    nothing (completed without a word)."""
    task = rec.task
    if rec.status() != "completed":
        return None
    if task.has_video():
        item: dict[str, Any] = {"type": "video", "mime_type": "video/mp4"}
        if rec.delivery == "uri":
            item["uri"] = f"https://{request.url.netloc}/v1beta/files/{rec.file_id}"
        else:
            path = task.clips[0].path
            assert path is not None
            item["data"] = base64.b64encode(path.read_bytes()).decode("ascii")
        return item
    reason = task.no_video_reason()
    return {"type": "text", "text": reason} if reason else None


def _errors(rec: Interaction) -> list[dict[str, str]]:
    task = rec.task
    if task.scenario.outcome == "refused":
        return [{"code": "SAFETY", "message": SAFETY_FAILED}]
    return [{"code": "INTERNAL", "message": task.render_error or "Internal error."}]


def _head(rec: Interaction, status: str) -> dict[str, Any]:
    body: dict[str, Any] = {"id": rec.id, "status": status}
    if status in ENDED:
        body["usage"] = _usage(rec)
    finished = rec.task.finished_at
    body["created"] = rec.created
    body["updated"] = rec.cancelled or (_iso(finished) if finished else rec.created)
    body["service_tier"] = "standard"
    return body


def interaction(request: Request, rec: Interaction, *, steps: bool = True) -> dict[str, Any]:
    """The interaction object: create / get / cancel answers, and the stream's events."""
    status = rec.status()
    body = _head(rec, status)
    if status == "failed":
        body["errors"] = _errors(rec)
    if steps and status == "completed":
        output = _output(request, rec)
        body["steps"] = [{"type": "thought"}] + (
            [{"content": [output], "type": "model_output"}] if output is not None else []
        )
    if rec.previous_interaction_id:
        body["previous_interaction_id"] = rec.previous_interaction_id
    body["object"] = "interaction"
    body["model"] = rec.task.model
    return body


def _events(request: Request, rec: Interaction) -> list[dict[str, Any]]:
    """Every event of ``rec``'s stream so far, numbered."""
    status = rec.status()
    created = {
        "id": rec.id,
        "status": "in_progress",
        "object": "interaction",
        "model": rec.task.model,
    }
    events: list[dict[str, Any]] = [
        {"interaction": created, "event_type": "interaction.created"},
        {
            "interaction_id": rec.id,
            "status": "in_progress",
            "event_type": "interaction.status_update",
        },
    ]
    if status == "completed":
        output = _output(request, rec)
        if output is not None:
            events += [
                {"event_type": "step.start", "index": 0, "step": {"type": "model_output"}},
                {"event_type": "step.delta", "index": 0, "delta": output},
                {"event_type": "step.stop", "index": 0},
            ]
    elif status in ENDED:
        events.append(
            {"interaction_id": rec.id, "status": status, "event_type": "interaction.status_update"}
        )
    if status in ENDED:
        events.append(
            {
                "interaction": interaction(request, rec, steps=False),
                "event_type": "interaction.completed",
            }
        )
    for number, event in enumerate(events, start=1):
        event["event_id"] = str(number)
    return events


def _sse(event: Mapping[str, Any]) -> bytes:
    return f"event: {event['event_type']}\ndata: {json.dumps(event)}\n\n".encode()


def _stream(request: Request, state: SimState, rec: Interaction, after: int) -> Response:
    async def events() -> AsyncIterator[bytes]:
        sent = after
        while True:
            batch = _events(request, rec)
            for event in batch[sent:]:
                yield _sse(event)
            sent = max(sent, len(batch))
            if rec.status() in ENDED or (state.shutdown is not None and state.shutdown.is_set()):
                return
            await asyncio.sleep(0.05)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


async def _ended(state: SimState, rec: Interaction) -> None:
    while rec.status() not in ENDED:
        if state.shutdown is not None and state.shutdown.is_set():
            return
        await asyncio.sleep(0.05)


# -- routes ---------------------------------------------------------------------------------------


def _model_error(model: object) -> Response | None:
    if not isinstance(model, str) or not model:
        return _invalid("model is required.")
    name = model.removeprefix("models/")
    if name in RETIRED or name.startswith("veo-"):
        return google_error(404, retired_words(name))
    if name not in MODELS:
        return google_error(
            404,
            f"models/{name} is not found for API version v1beta, or is not supported for "
            "interactions. Call ListModels to see the list of available models.",
        )
    return None


async def create(request: Request) -> Response:
    """``POST /v1beta/interactions``."""
    state: SimState = request.app.state.sim
    try:
        body = await read_body(request)
    except BodyError as exc:
        return _invalid(str(exc))
    fields = body.fields
    unknown = sorted(set(fields) - BODY_FIELDS)
    if unknown:
        return _invalid(
            f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find field.'
        )
    if (error := _model_error(fields.get("model"))) is not None:
        return error
    model = str(fields["model"]).removeprefix("models/")
    previous_id = fields.get("previous_interaction_id")
    previous = state.interactions.get(previous_id) if isinstance(previous_id, str) else None
    if previous is not None and previous.task.deleted:
        previous = None
    if previous is not None and previous.status() == "in_progress":
        return _invalid(f"Interaction {previous_id} is still in progress.")
    store = fields.get("store", True) is not False
    if fields.get("background") and not store:
        return _invalid("background interactions must be stored: set store to true.")
    try:
        video = _video_format(fields.get("response_format"))
        config = _generation_config(fields.get("generation_config"))
        task_kind = (config.get("video_config") or {}).get("task")
        prompt, images, clip = _prompt_and_images(_parts(fields.get("input")), task_kind, state)
        if not prompt and not images and previous_id is None:
            raise _Refused("input needs a text part or an image.")
        if task_kind in ("edit", "extend") and previous_id is None and clip is None:
            raise _Refused(
                f"video_config.task {task_kind} needs previous_interaction_id or a video input."
            )
        default = MODELS[model][2]
        if previous is not None:
            default = previous.task.seconds
        seconds = _seconds(video, model, default)
    except _Refused as exc:
        return _invalid(str(exc))
    admission = admit(state, prompt or "(edit)", protocol="interactions", model=model)
    if isinstance(admission, Response):
        return admission
    if previous_id is not None and (previous is None or admission.scenario.name == "forgotten"):
        return google_error(404, f"Interaction {previous_id} not found.")
    resolution = video.get("resolution") or (
        previous.request["resolution"] if previous is not None else "720p"
    )
    ratio = video.get("aspect_ratio") or (
        previous.request["aspect_ratio"] if previous is not None else "16:9"
    )
    note = ""
    text = admission.tags.text
    source = _source_clip(previous, clip)
    step = task_kind if task_kind in ("edit", "extend") else ("edit" if source else "")
    added = seconds
    if source is not None:
        whose = previous.id[:8] if previous is not None else "a clip sent"
        note = f"{step} of {whose}"
        if step == "extend":
            seconds = _clip_seconds(source, previous) + added
        text = text or (previous.task.text if previous is not None else "")
    width, height = veo_frame(SHORT_SIDE_OMNI[resolution], landscape=ratio == "16:9")
    interaction_id = "".join(secrets.choice(_LOWER_ALNUM) for _ in range(24))
    task = state.new_task(
        admission,
        note=note,
        id=interaction_id,
        prompt=prompt,
        text=text,
        width=width,
        height=height,
        size=ratio,
        seconds=seconds,
        images=images,
        request={"response_format": fields.get("response_format"), "generation_config": config},
        derived=(step, source) if source is not None else None,
    )
    if source is not None and step == "extend":  # the parent plays, then ``added`` s more
        task.clips[0].spec = dataclasses.replace(task.clips[0].spec, seconds=added)
    rec = Interaction(
        id=interaction_id,
        task=task,
        store=store,
        delivery=admission.scenario.delivery or video.get("delivery") or "inline",
        created=_now(),
        request={"resolution": resolution, "aspect_ratio": ratio},
        previous_interaction_id=previous.id if previous is not None else None,
    )
    if store:
        state.interactions[rec.id] = rec
    state.files[rec.file_id] = FileRef(task.id, 0)
    if (fault := await accept(state, task)) is not None:
        return fault
    if fields.get("stream") or request.query_params.get("alt") == "sse":
        return _stream(request, state, rec, 0)
    if not fields.get("background"):
        await _ended(state, rec)
    return GoogleJSONResponse(interaction(request, rec))


def _source_clip(previous: Interaction | None, clip: bytes | None) -> bytes | None:
    """The clip an edit or extension starts from: the one sent, else the previous turn's."""
    if clip is not None:
        return clip
    if previous is None or not previous.task.clips or previous.task.clips[0].path is None:
        return None
    return previous.task.clips[0].path.read_bytes()


def _clip_seconds(source: bytes, previous: Interaction | None) -> int:
    """How long the clip being extended is."""
    if previous is not None:
        return previous.task.seconds
    with tempfile.NamedTemporaryFile(suffix=".mp4") as file:
        file.write(source)
        file.flush()
        return round(probe(file.name).seconds)


def _stored(request: Request) -> Interaction | Response:
    state: SimState = request.app.state.sim
    interaction_id = request.path_params["interaction_id"]
    rec = state.interactions.get(interaction_id)
    if rec is None or rec.task.deleted:
        return google_error(404, f"Interaction {interaction_id} not found.")
    return rec


async def get(request: Request) -> Response:
    """``GET /v1beta/interactions/{id}`` (``?stream=true&last_event_id=N``)."""
    rec = _stored(request)
    if isinstance(rec, Response):
        return rec
    if request.query_params.get("stream", "").lower() == "true":
        last = request.query_params.get("last_event_id", "0") or "0"
        if not last.isdigit():
            return _invalid(f"last_event_id {last!r} is not an event id of this interaction.")
        return _stream(request, request.app.state.sim, rec, int(last))
    return GoogleJSONResponse(interaction(request, rec))


async def cancel(request: Request) -> Response:
    """``POST /v1beta/interactions/{id}/cancel``: an interaction still running stops."""
    rec = _stored(request)
    if isinstance(rec, Response):
        return rec
    if rec.status() == "in_progress":
        rec.cancelled = _now()
        rec.task.finished_at = time.time()
    return GoogleJSONResponse(interaction(request, rec))


async def delete(request: Request) -> Response:
    """``DELETE /v1beta/interactions/{id}``: ``{}`` (google-genai's ``Empty``)."""
    rec = _stored(request)
    if isinstance(rec, Response):
        return rec
    state: SimState = request.app.state.sim
    rec.task.deleted = True
    state.interactions.pop(rec.id, None)
    return GoogleJSONResponse({})


def _file_interaction(request: Request, file: str) -> Interaction | None:
    state: SimState = request.app.state.sim
    ref = state.files.get(file)
    rec = state.interactions.get(ref.task_id) if ref is not None else None
    if rec is None or rec.delivery != "uri" or rec.status() != "completed":
        return None
    return rec if rec.task.has_video() else None


async def get_file(request: Request) -> Response:
    """``GET /v1beta/files/{id}``: the File, ``PROCESSING`` on its first read, then ``ACTIVE``."""
    file = request.path_params["file"]
    up = uploaded_file(request.app.state.sim, file)
    if up is not None:  # an upload: PROCESSING on its first read, then ACTIVE
        up.reads += 1
        return GoogleJSONResponse(file_json(up, f"{request.url.scheme}://{request.url.netloc}"))
    rec = _file_interaction(request, file)
    if rec is None:
        return google_error(
            403, f"You do not have permission to access the File {file} or it may not exist."
        )
    rec.file_reads += 1
    path = rec.task.clips[0].path
    assert path is not None
    data = path.read_bytes()
    host = f"https://{request.url.netloc}"
    finished = _iso(rec.task.finished_at or time.time())
    return GoogleJSONResponse(
        {
            "name": f"files/{file}",
            "mimeType": "video/mp4",
            "sizeBytes": str(len(data)),
            "createTime": finished,
            "updateTime": finished,
            "expirationTime": _iso((rec.task.finished_at or time.time()) + 48 * 3600),
            "sha256Hash": base64.b64encode(hashlib.sha256(data).digest()).decode(),
            "uri": f"{host}/v1beta/files/{file}",
            "downloadUri": f"{host}/v1beta/files/{file}:download?alt=media",
            "state": "PROCESSING" if rec.file_reads == 1 else "ACTIVE",
            "source": "GENERATED",
        }
    )


async def download_file(request: Request) -> Response:
    """``GET /v1beta/files/{id}:download?alt=media``: an interaction's clip, its bytes; any other
    file is the gemini protocol's (a redirect to storage)."""
    rec = _file_interaction(request, request.path_params["file"])
    if rec is None:
        return await download(request)
    if request.query_params.get("alt") != "media":
        return _invalid("Downloading a file needs alt=media.")
    return await serve_clip(request, request.app.state.sim, rec.task, via="content")


ROUTES = [
    Route("/v1beta/interactions", requires_google_key(create), methods=["POST"]),
    Route("/v1beta/interactions/{interaction_id}", requires_google_key(get), methods=["GET"]),
    Route("/v1beta/interactions/{interaction_id}", requires_google_key(delete), methods=["DELETE"]),
    Route(
        "/v1beta/interactions/{interaction_id}/cancel",
        requires_google_key(cancel),
        methods=["POST"],
    ),
    Route(UPLOAD_PATH, upload, methods=["POST"]),  # its start checks the key, a chunk its id
    Route("/v1beta/files/{file}:download", requires_google_key(download_file), methods=["GET"]),
    Route("/v1beta/files/{file}", requires_google_key(get_file), methods=["GET"]),
]
