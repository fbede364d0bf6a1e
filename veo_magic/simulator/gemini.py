"""Google's Gemini API for Veo, as the simulator serves it (PROTOCOLS.md §3).

Routes (``ROUTES``, mounted by ``app.build_app``), all under ``/v1beta`` and all needing a key:

* ``POST /v1beta/models/{model}:predictLongRunning`` with ``{"instances": [{…}], "parameters":
  {…}}`` answers ``{"name": "models/{model}/operations/{id}"}``. Instance fields: ``prompt``,
  ``image`` / ``lastFrame`` (``{bytesBase64Encoded, mimeType}``), ``referenceImages`` (up to 3,
  ``referenceType: "ASSET"``, never with frames), ``video: {uri}`` (extend a clip made here: Veo
  3.1 and 3.1 Fast, the result is the clip plus 7 s, at 720p). Parameters: ``sampleCount``,
  ``durationSeconds`` (a number), ``aspectRatio`` (16:9 default, 9:16), ``resolution`` (720p
  default, 1080p, 4k: rendered at true size), ``negativePrompt``, ``personGeneration``, and on
  Veo 2 ``enhancePrompt``. Vertex-only ones (``seed``, ``generateAudio``, …) and unknown ones are
  refused with 400 ``INVALID_ARGUMENT``, as is anything else out of range.

Google's rules for Veo (its docs' parameter table, 2026-06/07) are enforced here on their own,
not by importing the client's, so a client that skipped a check fails against the simulator.
Each refusal is a 400 ``INVALID_ARGUMENT`` in Google's envelope, worded as Google words it where
its text is on record (FACTS.md, "Google error messages"): ``1080p is not supported for a duration
of 6 seconds.`` (also 4k); ``The number value for `durationSeconds` is out of bound. …``; ``The
value type for `durationSeconds` needs to be a number.``; ``allow_adult for personGeneration is
currently not supported.`` (text-to-video and extension take ``allow_all`` only; an image, first
+ last frame or reference images take ``allow_adult`` only); ``Negative prompt is not supported in
your use case.`` (with reference images or an extension); ``Your use case is currently not
supported.`` (a last frame or reference images at 4 or 6 s; 4k on Lite); ``` `referenceImages`
isn't supported by this model.``` (Lite, Veo 3, Veo 2); ``` `enhancePrompt` isn't supported by
this model.``` (Veo 3.x). Veo 3.x makes one video a request, Veo 2 one or two. A prompt over
1,024 tokens (counted here as 4 characters each) gets Gemini's token-count message.

The ``retired`` scenario answers a submit as Google answers a retired model since 2026-10-22:
404 ``NOT_FOUND``, "This model models/… is no longer available. …".
* ``GET /v1beta/models/{model}/operations/{id}``: the operation. While it runs, ``{"name"}``
  alone (no ``done``, no progress: Google reports none). Then ``done: true`` and
  ``response.generateVideoResponse.generatedSamples[].video.uri``; or, under ``refuse`` and
  ``filtered``, no samples and ``raiMediaFilteredCount`` / ``raiMediaFilteredReasons`` (Google's
  safety filter); under ``completed_no_video`` an empty ``generateVideoResponse``; after a failed
  render, ``error``.
* ``GET /v1beta/files/{id}:download?alt=media``: 302 to the clip's bytes at ``/files/…`` on the
  *other* loopback name (127.0.0.1 <-> localhost), the stand-in for Google's signed storage URL:
  the redirect changes host, so a client that drops the key on a host change is exercised. The
  bytes route is public and plays the download faults (``truncated_download``, ``url_expired``).

The key goes in ``x-goog-api-key`` (any value). None: 403 ``PERMISSION_DENIED``; only an
``Authorization`` header: 401 ``UNAUTHENTICATED`` (Google reads Bearer as an OAuth token); a key
in the URL (``?key=``, which Google accepts) is refused with 400, because veo_magic must never
put a key where logs keep it. Errors are ``{"error": {"code", "message", "status"}}``; scenario
faults (``quota`` -> 429 ``RESOURCE_EXHAUSTED``, ``auth``, ``poll_503``, …) come out in that shape
through ``google_relay_error``.

Video URIs are written ``https://<simulator host>/v1beta/files/{id}:download?alt=media``: the
path Google uses, on the simulator's host, with Google's scheme. google-genai only reads the file
id out of a URI and downloads through its base URL, and needs ``https://`` to find the id, so its
own client works against the simulator unchanged; a client that follows the URI verbatim gets a
TLS error from this plain-http port rather than a request to a host outside the machine.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
import string
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .admission import Admission, accept, admit, poll_fault
from .errors import retired_words
from .inputs import SHORT_SIDE, BodyError, inline_image, read_body, veo_frame
from .state import SimState
from .tasks import FileRef, ImageInput, Task

__all__ = [
    "FILTERED_REASON",
    "ROUTES",
    "google_error",
    "google_relay_error",
    "not_found",
    "operation",
]

RESPONSE_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse"
# Shaped like the reasons Google gives when its filter keeps every sample (js-genai#1272).
FILTERED_REASON = (
    "We encountered an issue with the audio for your prompt and could not generate a video. "
    "Try rephrasing it. You have not been charged for this attempt. Support codes: 29310472"
)
EXTENSION_SECONDS = 7
# Google extends a Veo clip of at most 141 s, to at most 148 s: 8 s + 20 extensions of 7 s.
MAX_EXTENDABLE_SECONDS = 141
MAX_REFERENCES = 3
MAX_PROMPT_TOKENS = 1024  # Veo 3.x (Gemini API model table, 2026-06-19)
PERSON_GENERATION = ("allow_all", "allow_adult", "dont_allow")
USE_CASE = "Your use case is currently not supported."  # Google's words for an unsupported mix
INSTANCE_FIELDS = frozenset({"prompt", "image", "lastFrame", "referenceImages", "video"})
PARAMETERS = frozenset(
    {
        "sampleCount",
        "durationSeconds",
        "aspectRatio",
        "resolution",
        "negativePrompt",
        "personGeneration",
        "enhancePrompt",
    }
)
VERTEX_ONLY = frozenset(
    {
        "seed",
        "generateAudio",
        "fps",
        "storageUri",
        "pubsubTopic",
        "compressionQuality",
        "resizeMode",
        "mask",
        "labels",
        "outputGcsUri",
    }
)
_FILE_ID = re.compile(r"(?:^|/)files/([a-z0-9]+)")
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_LOWER_ALNUM = string.ascii_lowercase + string.digits


class GoogleJSONResponse(Response):
    """JSON the way Google's front end writes it: indented, UTF-8."""

    media_type = "application/json; charset=UTF-8"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, indent=2).encode()


def google_error(code: int, message: str, *, headers: Mapping[str, str] | None = None) -> Response:
    """``{"error": {"code", "message", "status"}}``, Google's error envelope."""
    body = {"error": {"code": code, "message": message, "status": _STATUS.get(code, "UNKNOWN")}}
    return GoogleJSONResponse(body, status_code=code, headers=headers)


def google_relay_error(kind: str, *, model: str = "", retry_after: float | None = None) -> Response:
    """What Google answers for one kind of scenario fault (``errors.relay_error`` asks here)."""
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else None
    messages = {
        "auth": (400, "API key not valid. Please pass a valid API key."),
        "quota": (
            429,
            "You exceeded your current quota, please check your plan and billing details. For "
            "more information on this error, head to: "
            "https://ai.google.dev/gemini-api/docs/rate-limits.",
        ),
        "rate_limit": (429, "Resource has been exhausted (e.g. check quota)."),
        "upstream_failed": (500, "An internal error has occurred. Please retry."),
        "unavailable": (503, "The service is currently unavailable."),
        "content_missing": (404, "File not found."),
        "retired": (404, retired_words(model or "veo-3.1-generate-preview")),
    }
    code, message = messages.get(kind, (500, f"Internal error ({kind})."))
    return google_error(code, message, headers=headers)


_MODEL_METHOD = re.compile(r"^/v1beta/models/([^/:]+):(\w+)$")


def not_found(method: str, path: str) -> Response:
    """An unknown ``/v1beta`` route, answered in Google's shape (not new-api's)."""
    if match := _MODEL_METHOD.match(path):
        model, verb = match.groups()
        return google_error(
            404,
            f"models/{model} is not found for API version v1beta, or is not supported for "
            f"{verb}. Call ListModels to see the list of available models and their supported "
            "methods.",
        )
    return google_error(404, f"Requested entity was not found: {method} {path}.")


def _invalid(message: str) -> Response:
    return google_error(400, message)


# -- the key ------------------------------------------------------------------------------------


def requires_google_key(handler: Any) -> Any:
    """Google's key check, plus the simulator's rule that a key never travels in the URL."""

    @functools.wraps(handler)
    async def checked(request: Request) -> Response:
        if "key" in request.query_params:
            return _invalid(
                "The API key was sent in the URL (?key=). Send it in the x-goog-api-key header: "
                "URLs end up in logs (simulator rule; Google itself accepts it)."
            )
        if not request.headers.get("x-goog-api-key", "").strip():
            if request.headers.get("authorization", "").strip():
                return google_error(
                    401,
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.",
                )
            return google_error(
                403,
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to call "
                "this API.",
            )
        state: SimState = request.app.state.sim
        if (reject := state.scenario.on_request) is not None:
            return google_relay_error(reject.kind, retry_after=reject.retry_after)
        return await handler(request)

    return checked


# -- submit -------------------------------------------------------------------------------------


class _Refused(Exception):
    """A submit the API answers with 400 INVALID_ARGUMENT before anything starts."""


def _decode_image(
    value: object, role: Literal["first", "last", "reference"], where: str
) -> ImageInput:
    if not isinstance(value, Mapping):
        raise _Refused(f"{where} must be an object with bytesBase64Encoded and mimeType.")
    if "gcsUri" in value:
        raise _Refused(
            f"{where}.gcsUri is not supported in the Gemini API; send bytesBase64Encoded."
        )
    raw = value.get("bytesBase64Encoded")
    if not isinstance(raw, str) or not raw:
        raise _Refused(f"{where}.bytesBase64Encoded is required.")
    return inline_image(
        raw, role, where=where, field="bytesBase64Encoded", reader="Veo", refused=_Refused
    )


def _images(instance: Mapping[str, Any]) -> list[ImageInput]:
    images = []
    if "image" in instance:
        images.append(_decode_image(instance["image"], "first", "instances[0].image"))
    if "lastFrame" in instance:
        if "image" not in instance:
            raise _Refused("instances[0].lastFrame needs instances[0].image (the first frame).")
        images.append(_decode_image(instance["lastFrame"], "last", "instances[0].lastFrame"))
    references = instance.get("referenceImages")
    if references is not None:
        if not isinstance(references, list) or not 1 <= len(references) <= MAX_REFERENCES:
            raise _Refused(f"instances[0].referenceImages takes 1 to {MAX_REFERENCES} images.")
        if images or "video" in instance:
            raise _Refused("referenceImages cannot be combined with image, lastFrame or video.")
        for i, ref in enumerate(references):
            where = f"instances[0].referenceImages[{i}]"
            if not isinstance(ref, Mapping):
                raise _Refused(f"{where} must be an object with image and referenceType.")
            kind = str(ref.get("referenceType", "")).upper()
            if kind != "ASSET":
                raise _Refused(
                    f"{where}.referenceType {ref.get('referenceType')!r} is not supported in the "
                    "Gemini API; use ASSET."
                )
            images.append(_decode_image(ref.get("image"), "reference", f"{where}.image"))
    return images


class _Model:
    """What Google's table says one model id takes."""

    def __init__(self, model: str) -> None:
        self.veo2 = model.startswith("veo-2.")
        self.veo31 = model.startswith("veo-3.1")
        self.lite = "-lite-" in model
        self.samples = 2 if self.veo2 else 1
        self.seconds = (5, 6, 7, 8) if self.veo2 else (4, 6, 8)
        if self.veo2:
            self.resolutions: tuple[str, ...] = ()
        elif self.veo31 and not self.lite:
            self.resolutions = ("720p", "1080p", "4k")
        else:
            self.resolutions = ("720p", "1080p")
        self.references = self.veo31 and not self.lite
        self.extends = self.veo31 and not self.lite


def _not_supported(field: str) -> _Refused:
    return _Refused(f"`{field}` isn't supported by this model.")


def _parameters(raw: object, model: _Model) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _Refused("parameters must be an object.")
    for key in raw:
        if key in VERTEX_ONLY:
            raise _Refused(f"{key} parameter is not supported in the Gemini API.")
        if key not in PARAMETERS:
            raise _Refused(
                f"Invalid JSON payload received. Unknown name \"{key}\" at 'parameters'."
            )
        if (key == "enhancePrompt" and not model.veo2) or (
            key == "resolution" and not model.resolutions
        ):
            raise _not_supported(key)
    params = dict(raw)
    count = params.get("sampleCount", 1)
    if not _is_int(count) or not 1 <= count <= model.samples:
        raise _Refused(
            f"sampleCount {count!r} is out of bound for this model. Please provide a value "
            f"between 1 and {model.samples}, inclusive."
        )
    seconds = params.get("durationSeconds", 8)
    if not _is_int(seconds):
        raise _Refused("The value type for `durationSeconds` needs to be a number.")
    if int(seconds) not in model.seconds:  # Google's words, for 5 s on Veo 3.1 as for 9 s
        low, high = model.seconds[0], model.seconds[-1]
        raise _Refused(
            "The number value for `durationSeconds` is out of bound. Please provide a value "
            f"between {low} and {high}, inclusive."
        )
    if params.get("aspectRatio", "16:9") not in ("16:9", "9:16"):
        raise _Refused(f"aspectRatio {params['aspectRatio']!r} is not supported; use 16:9 or 9:16.")
    resolution = str(params.get("resolution", "720p")).lower()
    if resolution not in SHORT_SIDE:
        raise _Refused(
            f"resolution {params['resolution']!r} is not supported; use 720p, 1080p or 4k."
        )
    if resolution not in (*model.resolutions, "720p"):
        raise _Refused(USE_CASE)  # 4k on Lite or Veo 3: no recorded wording; Google's generic one
    if resolution != "720p" and int(seconds) != 8:
        raise _Refused(f"{resolution} is not supported for a duration of {int(seconds)} seconds.")
    person = params.get("personGeneration")
    if person is not None and str(person).lower() not in PERSON_GENERATION:
        raise _Refused(
            f"personGeneration {person!r} is not supported; use {', '.join(PERSON_GENERATION)}."
        )
    if "negativePrompt" in params and not isinstance(params["negativePrompt"], str):
        raise _Refused("negativePrompt must be a string.")
    return params


def _check_use_case(model: _Model, instance: Mapping[str, Any], params: Mapping[str, Any]) -> None:
    """Google's rules that tie the input to the parameters (its docs' table, 2026-06/07)."""
    seconds = int(params.get("durationSeconds", 8))
    references = "referenceImages" in instance
    if references and not model.references:
        raise _not_supported("referenceImages")
    if (references or "lastFrame" in instance) and "video" not in instance and seconds != 8:
        raise _Refused(USE_CASE)
    if (references or "video" in instance) and "negativePrompt" in params:
        raise _Refused("Negative prompt is not supported in your use case.")
    person = params.get("personGeneration")
    if person is not None:
        person = str(person).lower()
        image = references or "image" in instance
        if model.veo2:
            allowed = ("allow_adult", "dont_allow") if image else PERSON_GENERATION
        else:
            allowed = ("allow_adult",) if image else ("allow_all",)
        if person not in allowed:
            raise _Refused(f"{person} for personGeneration is currently not supported.")
    tokens = -(-len(str(instance.get("prompt") or "")) // 4)
    if not model.veo2 and tokens > MAX_PROMPT_TOKENS:
        raise _Refused(
            f"The input token count ({tokens}) exceeds the maximum number of tokens allowed "
            f"({MAX_PROMPT_TOKENS})."
        )


def _is_int(value: object) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and value.is_integer()
    )


def _extension_source(state: SimState, video: object, model: str) -> Task:
    """The finished clip ``instances[0].video.uri`` names (one made here, on Veo 3.1)."""
    if not isinstance(video, Mapping) or not isinstance(video.get("uri"), str):
        raise _Refused('instances[0].video must be {"uri": …}, a video Veo generated.')
    if not _Model(model).extends:
        raise _Refused(f"Video extension is not supported by {model}; use a Veo 3.1 model.")
    match = _FILE_ID.search(video["uri"])
    ref = state.files.get(match[1]) if match else None
    source = state.task(ref.task_id) if ref is not None else None
    if source is None or source.protocol != "gemini" or not source.has_video():
        raise _Refused(
            f"instances[0].video.uri {video['uri']!r} is not a finished video generated by Veo."
        )
    if source.seconds > MAX_EXTENDABLE_SECONDS:
        raise _Refused(
            f"The input video is {source.seconds} s long; Veo extends videos up to "
            f"{MAX_EXTENDABLE_SECONDS} s."
        )
    return source


async def submit(request: Request) -> Response:
    """``POST /v1beta/models/{model}:predictLongRunning``."""
    state: SimState = request.app.state.sim
    model = request.path_params["model"]
    if model.startswith("gemini-omni-"):  # Google's answer for Omni off its own route
        return _invalid("This model only supports Interactions API.")
    if not model.startswith("veo-"):
        return google_error(
            404,
            f"models/{model} is not found for API version v1beta, or is not supported for "
            "predictLongRunning.",
        )
    try:
        body = await read_body(request)
    except BodyError as exc:
        return _invalid(str(exc))
    instances = body.fields.get("instances")
    if not isinstance(instances, list) or len(instances) != 1 or not isinstance(instances[0], dict):
        return _invalid("instances must be a list holding one object.")
    instance = instances[0]
    try:
        unknown = sorted(set(instance) - INSTANCE_FIELDS)
        if unknown:
            raise _Refused(
                f"Invalid JSON payload received. Unknown name \"{unknown[0]}\" at 'instances[0]'."
            )
        prompt = instance.get("prompt", "")
        if not isinstance(prompt, str):
            raise _Refused("instances[0].prompt must be a string.")
        if not prompt.strip() and not {"image", "video"} & instance.keys():
            raise _Refused("A prompt, an image or a video is required.")
        rules = _Model(model)
        params = _parameters(body.fields.get("parameters"), rules)
        images = _images(instance)
        _check_use_case(rules, instance, params)
        source = _extension_source(state, instance["video"], model) if "video" in instance else None
        if source is not None and images:
            raise _Refused("A video cannot be combined with images.")
        if source is not None and str(params.get("resolution", "720p")).lower() != "720p":
            raise _Refused("Video extension supports 720p only.")
    except _Refused as exc:
        return _invalid(str(exc))
    admission = admit(state, prompt or "(extension)", protocol="gemini", model=model)
    if isinstance(admission, Response):
        return admission
    task = _task(state, admission, prompt, params, images, source)
    for index in range(len(task.clips)):
        state.files[_file_id(task, index)] = FileRef(task.id, index)
    if (fault := await accept(state, task)) is not None:
        return fault
    return GoogleJSONResponse({"name": task.id})


def _task(
    state: SimState,
    admission: Admission,
    prompt: str,
    params: dict[str, Any],
    images: list[ImageInput],
    source: Task | None,
) -> Task:
    landscape = params.get("aspectRatio", "16:9") == "16:9"
    short = SHORT_SIDE[str(params.get("resolution", "720p")).lower()]
    seconds = int(params.get("durationSeconds", 8))
    text, note = admission.tags.text, ""
    if source is not None:  # the clip plus 7 s, in the clip's shape, at 720p
        landscape, short = source.width > source.height, SHORT_SIDE["720p"]
        seconds = source.seconds + EXTENSION_SECONDS
        note = f"extended +{EXTENSION_SECONDS} s"
        text = text if prompt.strip() else source.text
    width, height = veo_frame(short, landscape=landscape)
    return state.new_task(
        admission,
        count=int(params.get("sampleCount", 1)),
        note=note,
        id=f"models/{admission.model}/operations/{''.join(secrets.choice(_LOWER_ALNUM) for _ in range(12))}",
        prompt=prompt,  # as sent, even empty (admitted as "(extension)")
        text=text,
        width=width,
        height=height,
        size=params.get("aspectRatio", "16:9"),
        seconds=seconds,
        images=images,
        request={"parameters": params, "extends": source.id if source is not None else None},
    )


def _file_id(task: Task, index: int) -> str:
    """Clip ``index``'s Gemini file id: lowercase letters and digits, as Google's (and
    google-genai's URI parser) expect; derived from the task so it needs no bookkeeping."""
    return hashlib.sha256(f"{task.id}#{index}".encode()).hexdigest()[:16]


# -- the operation ------------------------------------------------------------------------------


def operation(request: Request, task: Task) -> dict[str, Any]:
    """The operation object for ``task`` (see the module docstring for its life)."""
    body: dict[str, Any] = {"name": task.id}
    phase = task.phase()
    if phase in ("queued", "running"):
        return body
    body["done"] = True
    if phase == "failed" and task.scenario.outcome != "refused":
        body["error"] = {"code": 13, "message": f"Video generation failed: {task.render_error}"}
        return body
    result: dict[str, Any] = {}
    reason = FILTERED_REASON if phase == "failed" else task.no_video_reason()
    if reason is not None:  # Google's filter kept every sample, and says why
        result = {"raiMediaFilteredCount": len(task.clips), "raiMediaFilteredReasons": [reason]}
    elif task.has_video():
        host = f"https://{request.url.netloc}"
        result["generatedSamples"] = [
            {"video": {"uri": f"{host}/v1beta/files/{_file_id(task, i)}:download?alt=media"}}
            for i in range(len(task.clips))
        ]
    return {**body, "response": {"@type": RESPONSE_TYPE, "generateVideoResponse": result}}


def _gemini_task(state: SimState, name: str) -> Task | None:
    task = state.task(name)
    return task if task is not None and task.protocol == "gemini" else None


async def get_operation(request: Request) -> Response:
    """``GET /v1beta/models/{model}/operations/{id}``."""
    state: SimState = request.app.state.sim
    name = f"models/{request.path_params['model']}/operations/{request.path_params['op']}"
    task = _gemini_task(state, name)
    if task is None:
        return google_error(404, f"Operation {name} not found.")
    if (fault := await poll_fault(state, task)) is not None:
        return fault
    return GoogleJSONResponse(operation(request, task))


async def download(request: Request) -> Response:
    """``GET /v1beta/files/{id}:download?alt=media``: 302 to the bytes, on the other host name."""
    state: SimState = request.app.state.sim
    file = request.path_params["file"]
    ref = state.files.get(file)
    task = _gemini_task(state, ref.task_id) if ref is not None else None
    if task is None or not task.has_video():
        return google_error(404, f"File files/{file} not found.")
    if request.query_params.get("alt") != "media":
        return _invalid("Downloading a file needs alt=media.")
    assert ref is not None
    target = urlsplit(state.file_url(task.clips[ref.clip]))
    other = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}.get(request.url.hostname or "")
    if other is not None:
        target = target._replace(netloc=f"{other}:{target.port}" if target.port else other)
    return RedirectResponse(urlunsplit(target), status_code=302)


ROUTES = [
    Route(
        "/v1beta/models/{model}:predictLongRunning",
        requires_google_key(submit),
        methods=["POST"],
    ),
    Route(
        "/v1beta/models/{model}/operations/{op}",
        requires_google_key(get_operation),
        methods=["GET"],
    ),
    Route("/v1beta/files/{file}:download", requires_google_key(download), methods=["GET"]),
]
