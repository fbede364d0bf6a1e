"""Veo 3.1 on Vertex AI, as the simulator serves it (GOOGLE.md, "Vertex AI Veo 3.1").

Routes (``ROUTES``, mounted by ``app.build_app``), under ``/v1`` and ``/v1beta1`` (google-genai
calls ``v1beta1`` on Vertex unless told otherwise), every one needing a token this server issued:

* ``POST /{v}/projects/{p}/locations/{l}/publishers/google/models/{m}:predictLongRunning`` with
  ``{"instances": [{prompt, image, lastFrame, referenceImages}], "parameters": {…}}`` answers
  ``{"name": "projects/{p}/locations/{l}/publishers/google/models/{m}/operations/{uuid}"}``.
  Parameters as Vertex's Veo reference lists them: ``sampleCount`` 1-4, ``durationSeconds`` 4, 6
  or 8 (8 for 1080p, 4k and reference images), ``aspectRatio`` 16:9 / 9:16, ``resolution``
  720p / 1080p / 4k (not 4k on Lite), ``personGeneration`` allow_adult / dont_allow / allow_all,
  ``negativePrompt``, ``seed`` (uint32), ``generateAudio``, ``enhancePrompt``, ``storageUri``
  (``gs://``), ``compressionQuality``, ``resizeMode``; anything else is a 400
  ``INVALID_ARGUMENT``. An unknown model is a 404 ``NOT_FOUND`` in Vertex's words.
* ``POST …/models/{m}:fetchPredictOperation`` with ``{"operationName"}``: ``{"name"}`` while it
  runs; then ``done: true`` and ``response.videos[]`` with ``bytesBase64Encoded`` and
  ``mimeType`` (or ``gcsUri`` when the submit gave ``storageUri``), with
  ``raiMediaFilteredCount: 0``; under ``refuse`` / ``filtered`` no videos and the count with
  ``raiMediaFilteredReasons``; after a failed render, ``error``.
* ``GET /v1/publishers/google/models/{m}``: the model's publisher card (``{"name":
  "publishers/google/models/{m}", "versionId", "launchStage", "openSourceCategory"}``), free,
  which ``check`` reads; 404 ``NOT_FOUND`` for a model not served (or not in a scenario's
  ``sells``: a project that sells no Veo).
* ``GET /storage/v1/b/{bucket}/o/{object}?alt=media``: a ``gcsUri`` clip's bytes, with the token
  (Cloud Storage's JSON API download).
* ``POST /token``: Google's OAuth token endpoint for a service account's JWT-bearer grant
  (``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>``), which is what
  google-auth's ``service_account.Credentials`` sends to the file's ``token_uri``. The JWT's
  claims are checked (``aud`` is this endpoint, ``scope`` has ``cloud-platform``, not expired);
  its signature is not (the simulator has no key to check it with). It answers
  ``{"access_token", "expires_in", "token_type": "Bearer"}``; the token belongs to the project in
  the service account's address (``name@{project}.iam.gserviceaccount.com``).

Google's errors: no bearer token, 401 ``UNAUTHENTICATED`` "missing required authentication
credential"; a token this server did not issue or that expired, 401 "invalid authentication
credentials"; another project than the token's, 403 ``PERMISSION_DENIED``. Scenario faults
(``quota``, ``auth``, ``poll_503``, …) come out in Google's envelope.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import functools
import json
import re
import secrets
import time
import uuid
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .admission import accept, admit, poll_fault
from .files import serve_clip
from .gemini import FILTERED_REASON, GoogleJSONResponse, google_error, google_relay_error
from .inputs import SHORT_SIDE, BodyError, inline_image, read_body, veo_frame
from .state import SimState
from .tasks import FileRef, ImageInput, Task

__all__ = ["MODELS", "ROUTES", "TOKEN_SECONDS", "not_found"]

MODELS = ("veo-3.1-generate-001", "veo-3.1-fast-generate-001", "veo-3.1-lite-generate-001")
LAUNCH_STAGES = {"veo-3.1-lite-generate-001": "PUBLIC_PREVIEW"}  # the others: GA (GOOGLE.md)
TOKEN_SECONDS = 3599  # what Google's token endpoint gives a service account
RESPONSE_TYPE = "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
MAX_SEED = 2**32 - 1
INSTANCE_FIELDS = frozenset({"prompt", "image", "lastFrame", "referenceImages", "video"})
EXTENSION_SECONDS = 7  # what one Veo extension adds
CHOICES = {
    "aspectRatio": ("16:9", "9:16"),
    "resolution": ("720p", "1080p", "4k"),
    "personGeneration": ("allow_adult", "dont_allow", "allow_all"),
    "compressionQuality": ("optimized", "lossless"),
    "resizeMode": ("pad", "crop"),
}
PARAMETERS = frozenset(
    {"sampleCount", "durationSeconds", "negativePrompt", "seed", "generateAudio"}
    | {"enhancePrompt", "storageUri", *CHOICES}
)
_SERVICE_ACCOUNT = re.compile(r"^[^@\s]+@(?P<project>[a-z][a-z0-9-]+)\.iam\.gserviceaccount\.com$")
_OPERATION = re.compile(
    r"^projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/publishers/google/models/"
    r"(?P<model>[^/]+)/operations/[^/]+$"
)
_NO_CREDENTIAL = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
_BAD_CREDENTIAL = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


@dataclass
class _Issued:
    """One access token this server handed out."""

    account: str
    project: str
    expires: float


@dataclass
class _Vertex:
    """The Vertex side of one simulator: tokens issued, gs:// objects written."""

    tokens: dict[str, _Issued] = field(default_factory=dict)
    objects: dict[tuple[str, str], FileRef] = field(default_factory=dict)


_WORLDS: weakref.WeakKeyDictionary[SimState, _Vertex] = weakref.WeakKeyDictionary()


def _world(state: SimState) -> _Vertex:
    world = _WORLDS.get(state)
    if world is None:
        world = _WORLDS[state] = _Vertex()
    return world


def not_found(method: str, path: str) -> Response:
    """An unknown Vertex route, in Google's shape."""
    return google_error(404, f"The requested URL {path} was not found on this server ({method}).")


# -- the OAuth token endpoint --------------------------------------------------------------------


def _oauth_error(error: str, description: str) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status_code=400)


def _claims(assertion: str) -> dict[str, Any] | None:
    """The payload of a JWT (base64url JSON between the dots), or None if it is not one."""
    parts = assertion.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


async def token(request: Request) -> Response:
    """``POST /token``: a service account's JWT for an access token."""
    form = dict(parse_qsl((await request.body()).decode("latin-1")))  # never logged: a credential
    if form.get("grant_type") != JWT_BEARER:
        return _oauth_error("unsupported_grant_type", "Invalid grant_type.")
    claims = _claims(form.get("assertion", ""))
    if claims is None:
        return _oauth_error("invalid_grant", "Invalid JWT: Token must be a short-lived token.")
    account = str(claims.get("iss") or "")
    if (match := _SERVICE_ACCOUNT.match(account)) is None:
        return _oauth_error("invalid_grant", "Invalid JWT: the issuer is not a service account.")
    if urlsplit(str(claims.get("aud") or "")).path != request.url.path:  # host: the name used
        return _oauth_error("invalid_grant", "Invalid JWT audience.")
    now = time.time()
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] < now - 30:
        return _oauth_error("invalid_grant", "Invalid JWT: Token must be a short-lived token.")
    if SCOPE not in str(claims.get("scope") or "").split():
        return _oauth_error("invalid_scope", f"The scope {SCOPE} was not requested.")
    state: SimState = request.app.state.sim
    issued = f"ya29.sim-{secrets.token_urlsafe(32)}"
    _world(state).tokens[issued] = _Issued(account, match["project"], now + TOKEN_SECONDS)
    return JSONResponse(
        {"access_token": issued, "expires_in": TOKEN_SECONDS, "token_type": "Bearer"}
    )


def _bearer(request: Request) -> _Issued | Response:
    """The token's owner, or Google's 401."""
    value = request.headers.get("authorization", "").strip()
    if not value.lower().startswith("bearer ") or not value[7:].strip():
        return google_error(401, _NO_CREDENTIAL)
    issued = _world(request.app.state.sim).tokens.get(value[7:].strip())
    if issued is None or issued.expires < time.time():
        return google_error(401, _BAD_CREDENTIAL)
    return issued


def requires_token(handler: Any) -> Any:
    """A Vertex route: a token this server issued, for the project in the path."""

    @functools.wraps(handler)
    async def checked(request: Request) -> Response:
        owner = _bearer(request)
        if isinstance(owner, Response):
            return owner
        project = request.path_params.get("project")
        if project is not None and project != owner.project:
            model = request.path_params.get("model", "")
            location = request.path_params.get("location", "")
            return google_error(
                403,
                "Permission 'aiplatform.endpoints.predict' denied on resource "
                f"'//aiplatform.googleapis.com/projects/{project}/locations/{location}/"
                f"publishers/google/models/{model}' (or it may not exist).",
            )
        state: SimState = request.app.state.sim
        if (reject := state.scenario.on_request) is not None:
            if reject.kind == "auth":  # Vertex takes no key: a refused token is a 401
                return google_error(401, _BAD_CREDENTIAL)
            return google_relay_error(reject.kind, retry_after=reject.retry_after)
        return await handler(request)

    return checked


# -- submit -------------------------------------------------------------------------------------


class _Refused(Exception):
    """A submit Vertex answers with 400 INVALID_ARGUMENT before anything starts."""


def _image(value: object, role: Literal["first", "last", "reference"], where: str) -> ImageInput:
    if not isinstance(value, Mapping):
        raise _Refused(f"{where} must be an object with bytesBase64Encoded (or gcsUri).")
    if "gcsUri" in value:
        raise _Refused(f"{where}.gcsUri: the simulator reads images inline only.")
    raw = str(value.get("bytesBase64Encoded") or "")
    return inline_image(
        raw, role, where=where, field="bytesBase64Encoded", reader="Veo", refused=_Refused
    )


def _images(instance: Mapping[str, Any]) -> list[ImageInput]:
    images = []
    if "image" in instance:
        images.append(_image(instance["image"], "first", "instances[0].image"))
    if "lastFrame" in instance:
        if "image" not in instance:
            raise _Refused("instances[0].lastFrame needs instances[0].image.")
        images.append(_image(instance["lastFrame"], "last", "instances[0].lastFrame"))
    references = instance.get("referenceImages")
    if references is not None:
        if not isinstance(references, list) or not 1 <= len(references) <= 3:
            raise _Refused("instances[0].referenceImages takes 1 to 3 images.")
        if images:
            raise _Refused("referenceImages cannot be combined with image or lastFrame.")
        for i, ref in enumerate(references):
            where = f"instances[0].referenceImages[{i}]"
            if not isinstance(ref, Mapping) or str(ref.get("referenceType", "")).lower() not in (
                "asset",
                "style",
            ):
                raise _Refused(f"{where} needs image and a referenceType of asset or style.")
            images.append(_image(ref.get("image"), "reference", f"{where}.image"))
    return images


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parameters(raw: object, model: str, instance: Mapping[str, Any]) -> dict[str, Any]:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise _Refused("parameters must be an object.")
    for key in raw:
        if key not in PARAMETERS:
            raise _Refused(
                f"Invalid JSON payload received. Unknown name \"{key}\" at 'parameters'."
            )
    params = dict(raw)
    count = params.get("sampleCount", 1)
    if not _is_int(count) or not 1 <= count <= 4:
        raise _Refused(f"sampleCount must be between 1 and 4, got {count!r}.")
    seconds = params.get("durationSeconds", 8)
    if not _is_int(seconds) or seconds not in (4, 6, 8):
        raise _Refused(f"durationSeconds must be 4, 6 or 8, got {seconds!r}.")
    for key, allowed in CHOICES.items():
        if key in params and params[key] not in allowed:
            raise _Refused(f"{key} {params[key]!r} is not supported; use {', '.join(allowed)}.")
    resolution = params.get("resolution", "720p")
    if resolution == "4k" and "-lite-" in model:
        raise _Refused(f"4k is not supported by {model}.")
    if resolution != "720p" and seconds != 8:
        raise _Refused(f"{resolution} is not supported for a duration of {seconds} seconds.")
    if "referenceImages" in instance and seconds != 8:
        raise _Refused("referenceImages need durationSeconds 8.")
    if "seed" in params and (not _is_int(params["seed"]) or not 0 <= params["seed"] <= MAX_SEED):
        raise _Refused(f"seed must be an integer from 0 to {MAX_SEED}.")
    for key in ("generateAudio", "enhancePrompt"):
        if key in params and not isinstance(params[key], bool):
            raise _Refused(f"{key} must be a boolean.")
    if "negativePrompt" in params and not isinstance(params["negativePrompt"], str):
        raise _Refused("negativePrompt must be a string.")
    storage = params.get("storageUri")
    if storage is not None and not re.fullmatch(r"gs://[a-z0-9][a-z0-9._-]{1,220}(/\S*)?", storage):
        raise _Refused(f"storageUri {storage!r} is not a gs://bucket/path URI.")
    return params


async def submit(request: Request) -> Response:
    """``POST …/models/{model}:predictLongRunning``."""
    state: SimState = request.app.state.sim
    project, location, model = (request.path_params[k] for k in ("project", "location", "model"))
    if model not in MODELS:
        return google_error(
            404,
            f"Publisher Model `projects/{project}/locations/{location}/publishers/google/models/"
            f"{model}` was not found or your project does not have access to it. Please ensure "
            "you are using a valid model version. For more information, see: "
            "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions",
        )
    try:
        body = await read_body(request)
    except BodyError as exc:
        return google_error(400, str(exc))
    instances = body.fields.get("instances")
    try:
        if not isinstance(instances, list) or len(instances) != 1:
            raise _Refused("instances must be a list holding one object.")
        instance = instances[0]
        if not isinstance(instance, dict):
            raise _Refused("instances[0] must be an object.")
        if unknown := sorted(set(instance) - INSTANCE_FIELDS):
            raise _Refused(
                f"Invalid JSON payload received. Unknown name \"{unknown[0]}\" at 'instances[0]'."
            )
        prompt = instance.get("prompt", "")
        if not isinstance(prompt, str) or not (prompt.strip() or "image" in instance):
            raise _Refused("instances[0].prompt is required (or an image).")
        params = _parameters(body.fields.get("parameters"), model, instance)
        images = _images(instance)
        source = _extension(instance, model, params, images)
    except _Refused as exc:
        return google_error(400, str(exc))
    admission = admit(state, prompt, protocol="vertex", model=model)
    if isinstance(admission, Response):
        return admission
    landscape = params.get("aspectRatio", "16:9") == "16:9"
    width, height = veo_frame(SHORT_SIDE[params.get("resolution", "720p")], landscape=landscape)
    name = f"projects/{project}/locations/{location}/publishers/google/models/{model}"
    task = state.new_task(
        admission,
        count=int(params.get("sampleCount", 1)),
        id=f"{name}/operations/{uuid.uuid4()}",
        width=width,
        height=height,
        size=params.get("aspectRatio", "16:9"),
        seconds=int(params.get("durationSeconds", 8)),
        images=images,
        request={"parameters": params},
        note="extension" if source is not None else "",
        derived=("extend", source) if source is not None else None,
    )
    if source is not None:  # the clip plays, then 7 s more from its last frame
        for clip in task.clips:
            clip.spec = dataclasses.replace(clip.spec, seconds=EXTENSION_SECONDS)
    if (fault := await accept(state, task)) is not None:
        return fault
    return GoogleJSONResponse({"name": task.id})


def _extension(
    instance: Mapping[str, Any], model: str, params: Mapping[str, Any], images: list[ImageInput]
) -> bytes | None:
    """An instance's ``video`` (Veo's extension): its MP4 bytes, checked as Vertex checks them."""
    video = instance.get("video")
    if video is None:
        return None
    if "-lite-" in model:
        raise _Refused(f"{model} does not support video extension.")
    if images:
        raise _Refused("instances[0].video cannot be combined with image, lastFrame or references.")
    if params.get("resolution", "720p") != "720p":
        raise _Refused("video extension supports 720p only.")
    if not isinstance(video, Mapping) or not isinstance(video.get("bytesBase64Encoded"), str):
        if isinstance(video, Mapping) and isinstance(video.get("gcsUri"), str):
            raise _Refused("instances[0].video.gcsUri cannot be read by the simulator.")
        raise _Refused("instances[0].video needs bytesBase64Encoded or gcsUri, and mimeType.")
    try:
        data = base64.b64decode(video["bytesBase64Encoded"], validate=True)
    except (binascii.Error, ValueError):
        raise _Refused("instances[0].video.bytesBase64Encoded is not valid base64.") from None
    if data[4:8] != b"ftyp":
        raise _Refused("instances[0].video is not an MP4 video.")
    return data


# -- the operation ------------------------------------------------------------------------------


async def _videos(state: SimState, task: Task) -> list[dict[str, Any]]:
    storage = task.request.get("parameters", {}).get("storageUri")
    videos = []
    for index, clip in enumerate(task.clips):
        if storage:  # Vertex writes {storageUri}/{operation number}/sample_{i}.mp4
            bucket, _, prefix = storage.removeprefix("gs://").partition("/")
            folder = "/".join(p for p in (prefix.strip("/"), task.id.rpartition("/")[2]) if p)
            name = f"{folder}/sample_{index}.mp4"
            _world(state).objects[(bucket, name)] = FileRef(task.id, index)
            videos.append({"gcsUri": f"gs://{bucket}/{name}", "mimeType": "video/mp4"})
        else:
            assert clip.path is not None
            data = await asyncio.to_thread(clip.path.read_bytes)
            encoded = base64.b64encode(data).decode("ascii")
            videos.append({"bytesBase64Encoded": encoded, "mimeType": "video/mp4"})
    return videos


async def operation(state: SimState, task: Task) -> dict[str, Any]:
    """The operation object for ``task``."""
    body: dict[str, Any] = {"name": task.id}
    phase = task.phase()
    if phase in ("queued", "running"):
        return body
    body["done"] = True
    if phase == "failed" and task.scenario.outcome != "refused":
        body["error"] = {"code": 13, "message": f"Video generation failed: {task.render_error}"}
        return body
    result: dict[str, Any] = {"@type": RESPONSE_TYPE}
    reason = FILTERED_REASON if phase == "failed" else task.no_video_reason()
    if reason is not None:  # the filter kept every sample, and says why
        result |= {"raiMediaFilteredCount": len(task.clips), "raiMediaFilteredReasons": [reason]}
    elif task.has_video():
        result |= {"raiMediaFilteredCount": 0, "videos": await _videos(state, task)}
    return {**body, "response": result}


async def fetch_operation(request: Request) -> Response:
    """``POST …/models/{model}:fetchPredictOperation`` with ``{"operationName"}``."""
    state: SimState = request.app.state.sim
    try:
        body = await read_body(request)
    except BodyError as exc:
        return google_error(400, str(exc))
    name = body.fields.get("operationName")
    path = "projects/{project}/locations/{location}/publishers/google/models/{model}".format(
        **request.path_params
    )
    if not isinstance(name, str) or not _OPERATION.match(name):
        return google_error(400, "operationName must be a full operation resource name.")
    if name.rpartition("/operations/")[0] != path:
        return google_error(400, f"operationName {name} does not belong to {path}.")
    task = state.task(name)
    if task is None or task.protocol != "vertex":
        return google_error(404, f"Operation {name} not found.")
    if (fault := await poll_fault(state, task)) is not None:
        return fault
    return GoogleJSONResponse(await operation(state, task))


async def storage_object(request: Request) -> Response:
    """``GET /storage/v1/b/{bucket}/o/{object}?alt=media``: a ``gcsUri`` clip's bytes."""
    state: SimState = request.app.state.sim
    bucket, name = request.path_params["bucket"], request.path_params["object"]
    ref = _world(state).objects.get((bucket, name))
    task = state.task(ref.task_id) if ref is not None else None
    if ref is None or task is None or not task.has_video():
        return google_error(404, f"No such object: {bucket}/{name}")
    if request.query_params.get("alt") != "media":
        return GoogleJSONResponse({"kind": "storage#object", "bucket": bucket, "name": name})
    return await serve_clip(request, state, task, ref.clip, via="url")


async def model_card(request: Request) -> Response:
    """``GET /v1/publishers/google/models/{model}``: a publisher model's card."""
    state: SimState = request.app.state.sim
    name = request.path_params["model"]
    if name not in state.sold(MODELS):
        return google_error(404, f"Publisher Model `publishers/google/models/{name}` not found.")
    return GoogleJSONResponse(
        {
            "name": f"publishers/google/models/{name}",
            "versionId": "001",
            "openSourceCategory": "PROPRIETARY",
            "launchStage": LAUNCH_STAGES.get(name, "GA"),
        }
    )


_MODEL = "/projects/{project}/locations/{location}/publishers/google/models/{model}"
ROUTES = [
    *(
        Route(f"/{version}{_MODEL}:{verb}", requires_token(handler), methods=["POST"])
        for version in ("v1", "v1beta1")
        for verb, handler in (
            ("predictLongRunning", submit),
            ("fetchPredictOperation", fetch_operation),
        )
    ),
    Route("/v1/publishers/google/models/{model}", requires_token(model_card), methods=["GET"]),
    Route(
        "/storage/v1/b/{bucket}/o/{object:path}", requires_token(storage_object), methods=["GET"]
    ),
    Route("/token", token, methods=["POST"]),
]
