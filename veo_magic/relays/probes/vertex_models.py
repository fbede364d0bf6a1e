"""Vertex AI's probe: each Veo model's card, ``GET /v1/publishers/google/models/{model}``, with
the OAuth access token of the route's own sign-in (``relays.google_auth``).

Vertex answers a publisher model's card (``{"name": "publishers/google/models/…",
"versionId", "launchStage", …}``) to credentials that may call Vertex; 401/403 to a token it
refuses; 404 ``NOT_FOUND`` for a model it does not serve there. The host is the route's
(``https://{location}-aiplatform.googleapis.com`` unless ``VEO_BASE_URL`` replaces it). The
token is a secret like a key: never in a message; when there is none, nothing is sent.
"""

from __future__ import annotations

from ..._exceptions import VeoAPIError, VeoError
from ...catalog import VERTEX_IDS
from .answers import Probe, Target, ask

__all__ = ["probe"]

CARDS = "/v1/publishers/google/models"


def probe(route: Target) -> Probe:
    root = route.base_url
    source = "Application Default Credentials"
    if route.bearer is None:
        return Probe(f"GET {root}{CARDS}/…", reached=False, credentials="no sign-in was given")
    try:
        token = route.bearer()
    except VeoError as exc:  # no credentials (nothing sent), or Google refused to issue a token
        return Probe(
            f"GET {root}{CARDS}/…",
            reached=False,
            key_accepted=False if isinstance(exc, VeoAPIError) else None,
            credentials=str(exc),
        )
    headers = {"Authorization": f"Bearer {token}"}
    wanted = route.model.lower()
    asked_for = dict.fromkeys((*VERTEX_IDS, wanted) if wanted.endswith("-001") else VERTEX_IDS)
    found: list[str] = []
    first = None
    for model in asked_for:
        asked = ask(f"{root}{CARDS}/{model}", headers)
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
        f"GET {root}{CARDS}/{{{','.join(asked_for)}}}",
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
