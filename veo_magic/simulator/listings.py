"""The Gemini API's free model list, as ``check`` asks it (our own values, Google's field names).

* ``GET /v1beta/models`` (the Gemini API's ``models.list``, key in ``x-goog-api-key``):
  ``{"models": [{"name": "models/…", "version", "displayName", "description",
  "inputTokenLimit", "outputTokenLimit", "supportedGenerationMethods": […]}]}``. It lists the
  Veo ids this simulator serves on ``predictLongRunning`` (method ``predictLongRunning``), the
  Gemini Omni ids of the Interactions API and one text model; a narrowed ``models`` list
  (``set_models``, or a scenario's ``sells``) is listed as given, so a test can play a key
  whose project sells no video.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .gemini import GoogleJSONResponse, requires_google_key
from .state import SimState

__all__ = ["ROUTES", "STUDIO_MODELS"]

# name -> (displayName, methods); the Veo ids are those the simulator's gemini route serves.
STUDIO_MODELS: dict[str, tuple[str, tuple[str, ...]]] = {
    "veo-3.1-generate-preview": ("Veo 3.1", ("predictLongRunning",)),
    "veo-3.1-fast-generate-preview": ("Veo 3.1 Fast", ("predictLongRunning",)),
    "veo-3.1-lite-generate-preview": ("Veo 3.1 Lite", ("predictLongRunning",)),
    "gemini-omni-1.2-flash": ("Gemini Omni 1.2 Flash", ("createInteraction",)),
    "gemini-omni-1.1-flash": ("Gemini Omni 1.1 Flash", ("createInteraction",)),
    "gemini-2.5-flash": ("Gemini 2.5 Flash", ("generateContent", "countTokens")),
}


def _gemini_entry(name: str) -> dict[str, Any]:
    display, methods = STUDIO_MODELS.get(name, (name, ("generateContent",)))
    return {
        "name": f"models/{name}",
        "version": "001",
        "displayName": display,
        "description": f"{display} (simulated)",
        "inputTokenLimit": 1024 if name.startswith("veo") else 1_048_576,
        "outputTokenLimit": 8192,
        "supportedGenerationMethods": list(methods),
    }


async def list_gemini_models(request: Request) -> Response:
    state: SimState = request.app.state.sim
    names = state.sold(tuple(STUDIO_MODELS))
    return GoogleJSONResponse({"models": [_gemini_entry(name) for name in names]})


ROUTES = [
    Route("/v1beta/models", requires_google_key(list_gemini_models), methods=["GET"]),
]
