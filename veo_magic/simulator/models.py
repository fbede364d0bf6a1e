"""``GET /v1/models``: what the relay sells, as new-api lists it (NEWAPI.md, ``controller/model.go``),
or, under the ``litellm_models`` dialect, as LiteLLM's proxy does.

new-api: ``{"success": true, "object": "list", "data": [{"id", "object": "model", "created",
"owned_by", "supported_endpoint_types"}]}``. LiteLLM 1.108.7: ``{"data": [{"id", "object":
"model", "created": 1677610602, "owned_by": "openai", "mode": "video_generation",
"max_input_tokens": 1024}], "object": "list"}``. ``GET /v1/models/{model}`` answers one entry, or a
404.
Veo on a Gemini channel is typed ``["gemini", "openai"]``, like any Gemini model, so a client can
only tell video models by name. The list is the simulator's ``models`` (by default every name in
veo_magic's catalog and every name veo_magic composes from them: a relay that sells them all, as
apiyi does); tests narrow it to play a gateway whose admin sells a few names.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .errors import openai_error
from .gojson import GoJSONResponse
from .state import SimState

__all__ = ["default_models", "list_models", "one_model"]

CREATED = 1_626_777_600  # new-api stamps every listed model with one fixed time
LITELLM_CREATED = 1_677_610_602  # and LiteLLM with another


@lru_cache(maxsize=1)
def default_models() -> tuple[str, ...]:
    """Every catalog name, and every name the client composes from one for some request."""
    from ..catalog import compose, known_models

    names: dict[str, None] = {}
    for spec in known_models():
        names[spec.name] = None
        for protocol, orientation, *flags in itertools.product(
            ("chat", "videos", "create"), (None, "landscape"), *[(False, True)] * 3
        ):
            names[compose(spec, protocol, orientation, *flags)] = None
    return tuple(names)


def _entry(name: str, shape: str = "new_api") -> dict[str, Any]:
    if shape == "litellm":
        return {
            "id": name,
            "object": "model",
            "created": LITELLM_CREATED,
            "owned_by": "openai",
            "mode": "video_generation",
            "max_input_tokens": 1024,
        }
    owner = "vertex-ai" if name.lower().startswith("veo") else "custom"
    return {
        "id": name,
        "object": "model",
        "created": CREATED,
        "owned_by": owner,
        "supported_endpoint_types": ["gemini", "openai"],
    }


async def list_models(request: Request) -> Response:
    state: SimState = request.app.state.sim
    shape = state.dialect.models_list
    data = [_entry(name, shape) for name in state.sold()]
    if shape == "litellm":
        return GoJSONResponse({"data": data, "object": "list"})
    return GoJSONResponse({"success": True, "object": "list", "data": data})


async def one_model(request: Request) -> Response:
    state: SimState = request.app.state.sim
    name = request.path_params["model"]
    if name not in state.sold():
        return openai_error(
            404, f"The model '{name}' does not exist", code="model_not_found", param="model"
        )
    return GoJSONResponse(_entry(name, state.dialect.models_list))
