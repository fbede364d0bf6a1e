"""Google's free model lists, as ``check`` asks them (our own values, Google's field names).

* ``GET /v1beta/models`` (the Gemini API's ``models.list``, key in ``x-goog-api-key``):
  ``{"models": [{"name": "models/…", "version", "displayName", "description",
  "inputTokenLimit", "outputTokenLimit", "supportedGenerationMethods": […]}]}``. It lists the
  Veo ids this simulator serves on ``predictLongRunning`` (method ``predictLongRunning``), the
  Gemini Omni ids of the Interactions API and one text model; a narrowed ``models`` list
  (``set_models``, or a scenario's ``sells``) is listed as given, so a test can play a key
  whose project sells no video.
* ``GET /v1/publishers/google/models/{model}`` (Vertex AI's publisher model card, an OAuth
  bearer token): ``{"name": "publishers/google/models/…", "versionId", "launchStage",
  "openSourceCategory": "PROPRIETARY"}`` for the Veo 3.1 ids Vertex sells (GOOGLE.md: two GA, Lite
  in preview), else 404 ``NOT_FOUND`` "Publisher Model `publishers/google/models/…` not found.";
  no bearer, or the ``auth`` scenario: 401 ``UNAUTHENTICATED``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .gemini import GoogleJSONResponse, google_error, requires_google_key
from .state import SimState

__all__ = ["ROUTES", "STUDIO_MODELS", "VERTEX_MODELS"]

# name -> (displayName, methods); the Veo ids are those the simulator's gemini route serves.
STUDIO_MODELS: dict[str, tuple[str, tuple[str, ...]]] = {
    "veo-3.1-generate-preview": ("Veo 3.1", ("predictLongRunning",)),
    "veo-3.1-fast-generate-preview": ("Veo 3.1 Fast", ("predictLongRunning",)),
    "veo-3.1-lite-generate-preview": ("Veo 3.1 Lite", ("predictLongRunning",)),
    "gemini-omni-1.2-flash": ("Gemini Omni 1.2 Flash", ("createInteraction",)),
    "gemini-omni-1.1-flash": ("Gemini Omni 1.1 Flash", ("createInteraction",)),
    "gemini-2.5-flash": ("Gemini 2.5 Flash", ("generateContent", "countTokens")),
}
VERTEX_MODELS: dict[str, str] = {  # name -> launch stage
    "veo-3.1-generate-001": "GA",
    "veo-3.1-fast-generate-001": "GA",
    "veo-3.1-lite-generate-001": "PUBLIC_PREVIEW",
}
UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
    "or other valid authentication credential."
)


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


async def vertex_model(request: Request) -> Response:
    state: SimState = request.app.state.sim
    auth = request.headers.get("authorization", "")
    if not auth.startswith("Bearer ") or not auth.removeprefix("Bearer ").strip():
        return google_error(401, UNAUTHENTICATED)
    if state.scenario.on_request is not None and state.scenario.on_request.kind == "auth":
        return google_error(401, UNAUTHENTICATED)
    name = request.path_params["model"]
    sold = state.sold(tuple(VERTEX_MODELS))
    if name not in sold:
        return google_error(404, f"Publisher Model `publishers/google/models/{name}` not found.")
    return GoogleJSONResponse(
        {
            "name": f"publishers/google/models/{name}",
            "versionId": "001",
            "openSourceCategory": "PROPRIETARY",
            "launchStage": VERTEX_MODELS.get(name, "GA"),
        }
    )


ROUTES = [
    Route("/v1beta/models", requires_google_key(list_gemini_models), methods=["GET"]),
    Route("/v1/publishers/google/models/{model}", vertex_model, methods=["GET"]),
]
