"""Vertex AI's probe: each Veo model's card, ``GET /v1/publishers/google/models/{model}``, with
an OAuth bearer token from Application Default Credentials.

Vertex answers a publisher model's card (``{"name": "publishers/google/models/…",
"versionId", "launchStage", …}``) for a project whose credentials may call Vertex; 401/403 for
a token it refuses; 404 for a model it does not serve. The host is ``{location}-aiplatform
.googleapis.com`` (``global``: ``aiplatform.googleapis.com``) unless the route names its own.
The token comes from the route (``Route.bearer``, the vertex adapter's credentials) or from
google-auth's ``default()``; it is a secret like a key, never in a message.
"""

from __future__ import annotations

from .answers import Probe, Route, ask
from .credentials import adc_token

__all__ = ["VERTEX_VEO", "probe", "vertex_root"]

# Veo 3.1 on Vertex (GOOGLE.md): GA, GA, preview.
VERTEX_VEO = ("veo-3.1-generate-001", "veo-3.1-fast-generate-001", "veo-3.1-lite-generate-001")


def vertex_root(route: Route) -> str:
    """The Vertex host a route talks to (``base_url`` replaces Google's)."""
    if route.base_url:
        return route.base_url
    location = route.location or "us-central1"
    host = (
        "aiplatform.googleapis.com"
        if location == "global"
        else f"{location}-aiplatform.googleapis.com"
    )
    return f"https://{host}"


def probe(route: Route) -> Probe:
    root = vertex_root(route)
    if route.bearer is not None:
        token, source, refused = route.bearer(), "the route's credentials", False
    else:
        adc = adc_token()
        token, source, refused = adc.value, adc.source, adc.refused
    if token is None:  # no token: nothing was sent to Vertex
        return Probe(
            f"GET {root}/v1/publishers/google/models/…",
            reached=False,
            key_accepted=False if refused else None,
            credentials=source,
        )
    headers = {"Authorization": f"Bearer {token}"}
    asked_for = dict.fromkeys(
        (*VERTEX_VEO, route.model) if route.model.endswith("-001") else VERTEX_VEO
    )
    found: list[str] = []
    first = None
    for model in asked_for:
        asked = ask(f"{root}/v1/publishers/google/models/{model}", headers)
        response = asked.response
        if response is None:
            return Probe(asked.asked, reached=False, said=asked.failure, credentials=source)
        if response.status_code in (401, 403):
            return Probe(
                asked.asked,
                reached=True,
                status=response.status_code,
                key_accepted=False,
                said=asked.said(None),
                credentials=source,
            )
        if response.status_code == 200:
            found.append(model)
        first = first or asked
    status = 200 if found else (first.response.status_code if first and first.response else None)
    # Google's NOT_FOUND for a model card comes after the token passed: Vertex answered, and
    # serves none of them here.
    not_found = not found and first is not None and _google_not_found(first.body())
    return Probe(
        f"GET {root}/v1/publishers/google/models/{{{','.join(asked_for)}}}",
        reached=True,
        status=status,
        key_accepted=True if found or not_found else None,
        names=tuple(found),
        videos=tuple(found),
        said=None if found else (first.said(None) if first else None),
        listed=bool(found) or not_found,
        credentials=source,
    )


def _google_not_found(body: object) -> bool:
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and error.get("status") == "NOT_FOUND"
