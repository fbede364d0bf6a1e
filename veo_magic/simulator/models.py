"""``GET /v1/models``: what the relay sells, as new-api lists it (NEWAPI.md, ``controller/model.go``).

``{"success": true, "object": "list", "data": [{"id", "object": "model", "created", "owned_by",
"supported_endpoint_types"}]}``; ``GET /v1/models/{model}`` answers one entry, or new-api's 404.
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


@lru_cache(maxsize=1)
def default_models() -> tuple[str, ...]:
    """Every catalog name, and every name the client composes from one for some request."""
    from .._catalog import compose, known_models

    names: dict[str, None] = {}
    for spec in known_models():
        names[spec.name] = None
        for protocol, orientation, *flags in itertools.product(
            ("chat", "videos", "create"), (None, "landscape"), *[(False, True)] * 3
        ):
            names[compose(spec, protocol, orientation, *flags)] = None
    return tuple(names)


def _entry(name: str) -> dict[str, Any]:
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
    data = [_entry(name) for name in state.sold()]
    return GoJSONResponse({"success": True, "object": "list", "data": data})


async def one_model(request: Request) -> Response:
    state: SimState = request.app.state.sim
    name = request.path_params["model"]
    if name not in state.sold():
        return openai_error(
            404, f"The model '{name}' does not exist", code="model_not_found", param="model"
        )
    return GoJSONResponse(_entry(name))
