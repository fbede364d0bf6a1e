"""The OpenAI-style task API: ``POST /v1/videos``, ``GET /v1/videos/{id}`` (PROTOCOLS.md §1.2, §2).

What is sent:

* No image: JSON ``{"model", "prompt", "seconds": "8", "size": "720x1280"}``, plus the Veo
  parameters the request sets under Google's camelCase names (``durationSeconds`` as an integer,
  ``negativePrompt``, ``seed``, ``personGeneration``, ``resolution``) twice: in ``metadata``,
  which new-api turns into Google's ``parameters`` (NEWAPI.md: a JSON ``seconds`` is billed but
  never sent to Google, so ``metadata.durationSeconds`` is what sets the length), and at the top
  level, where LiteLLM reads them (it keeps ``metadata`` for itself). Each ignores the other's
  copy: new-api's ``TaskSubmitReq`` unmarshals without refusing unknown fields
  (``relay/common/relay_info.go``), and LiteLLM drops ``metadata``.
* Images: ``multipart/form-data`` with the same fields as strings, the Veo parameters as plain
  form fields (new-api folds unknown multipart fields into ``metadata``, numbers parsed; LiteLLM
  reads them as top-level fields), and one ``input_reference`` file part per image in wire
  order: first frame, last frame, references.
  An image given as an http(s) URL is downloaded first, without the key. JSON's
  ``input_reference: {"image_url": …}`` is not used: new-api types that field as a string and
  would reject the object, while every relay in the seeds takes the file.

``seconds`` is always a string (an integer is rejected upstream) and is left out when the
request leaves it to the model. The created ``id`` (else ``task_id``) is kept exactly as sent.
A success with no URL in any known field yields ``/v1/videos/{id}/content``, relay-relative and
fetched with the key.

An edit of a clip the relay made with one of its Omni names (``request.lineage``) is the relay's
remix of it: ``POST /v1/videos/{id}/remix`` with ``{"prompt"}`` only, followed like a create.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

import httpx

from ..gateways import litellm_task_id
from .polling import TaskAdapter, relay_reader

if TYPE_CHECKING:
    from ...requests import ImageInput, VideoRequest
    from .status import TaskReport

__all__ = ["VideosAdapter", "create_fields", "is_landscape", "task_path", "veo_parameters"]

CREATE_PATH = "/v1/videos"


def task_path(task_id: str) -> str:
    """``/v1/videos/{id}`` with the id as sent (``:`` kept; ``/``, ``?``, ``#`` escaped)."""
    return f"{CREATE_PATH}/{quote(task_id, safe=':@')}"


def is_landscape(request: VideoRequest) -> bool:
    """Whether the clip is wider than tall."""
    width, height = request.pixel_size
    return width > height


def veo_parameters(request: VideoRequest) -> dict[str, Any]:
    """The Veo parameters ``request`` sets, under Google's names and types."""
    parameters: dict[str, Any] = {}
    if request.seconds is not None:
        parameters["durationSeconds"] = request.seconds  # an integer: new-api refuses "8"
    if request.negative_prompt:
        parameters["negativePrompt"] = request.negative_prompt
    if request.seed is not None:
        parameters["seed"] = request.seed
    if person_generation := request.options.get("person_generation"):
        parameters["personGeneration"] = person_generation
    if resolution := request.options.get("resolution"):
        parameters["resolution"] = resolution
    return parameters


def create_fields(request: VideoRequest) -> dict[str, Any]:
    """The create body as JSON: the Veo parameters at the top level and in ``metadata``."""
    fields: dict[str, Any] = {"model": request.wire_model, "prompt": request.prompt}
    if request.seconds is not None:
        fields["seconds"] = str(request.seconds)
    fields["size"] = request.size or ("1280x720" if is_landscape(request) else "720x1280")
    if parameters := veo_parameters(request):
        fields.update(parameters)
        fields["metadata"] = parameters
    return fields


class VideosAdapter(TaskAdapter):
    """``/v1/videos``: create a task, then poll ``GET /v1/videos/{id}`` until it ends."""

    name: ClassVar[str] = "videos"

    def created(self, response: httpx.Response) -> tuple[str, str | None]:
        task_id, model = super().created(response)
        self._recognise(task_id)
        return task_id, model

    def resumed(self, task_id: str) -> str | None:
        self._recognise(task_id)
        return None

    def _recognise(self, task_id: str) -> None:
        """A LiteLLM id says which gateway this is, even where its headers did not."""
        if litellm_task_id(task_id):
            self.relay.gateway = "litellm"

    def poll(self, task_id: str) -> tuple[str, None]:
        return task_path(task_id), None

    def reader(self, task_id: str) -> Callable[[object], TaskReport]:
        return relay_reader(content_url=f"{task_path(task_id)}/content")

    async def create(self, request: VideoRequest) -> httpx.Response:
        lineage = request.lineage
        if lineage is not None and lineage.step == "edit" and lineage.interaction:
            # A relay's Omni clip edited in place: its remix, the prompt alone (OpenAI's
            # CreateVideoRemixBody; new-api's POST /v1/videos/:video_id/remix).
            remix = f"{task_path(lineage.interaction)}/remix"
            return await self.relay.create("POST", remix, json={"prompt": request.prompt})
        fields = create_fields(request)
        if not request.images:
            return await self.relay.create("POST", CREATE_PATH, json=fields)
        fields.pop("metadata", None)  # multipart: the parameters are plain fields already
        data = {key: str(value) for key, value in fields.items()}
        files = [("input_reference", await self._file(image)) for image in request.images]
        return await self.relay.create("POST", CREATE_PATH, data=data, files=files)

    async def _file(self, image: ImageInput) -> tuple[str, bytes, str]:
        """(filename, bytes, content type) of one image, downloading a URL-only image first."""
        if image.data is None:
            assert image.url is not None
            response = await self.relay.fetch("GET", image.url, public=True)
            mime = response.headers.get("content-type", "").partition(";")[0].strip()
            image = dataclasses.replace(image, data=response.content, mime=mime or None)
        assert image.data is not None
        return image.filename, image.data, image.mime or "application/octet-stream"
