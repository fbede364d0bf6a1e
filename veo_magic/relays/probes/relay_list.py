"""The relays' probe (``chat``, ``videos``, ``create``): ``GET /v1/models`` with the key.

new-api lists what the key's group may use and only models with an enabled channel (NEWAPI.md,
``GET /v1/models``); LiteLLM lists its admin's model names, video ones marked ``"mode":
"video_generation"``. A 401 or 403 is the key refused; so is LiteLLM's 400 "No connected db."
(a proxy without a database knows only its master key: seen from LiteLLM 1.108.7, 2026-12-07).
"""

from __future__ import annotations

from ..gateways import from_response
from ..relay_models import read_relay_models
from .answers import Probe, Target, ask

__all__ = ["probe"]

KEY_REFUSED = frozenset({401, 403})


def probe(route: Target) -> Probe:
    secret = route.secret
    headers = {"Authorization": f"Bearer {secret.reveal()}"} if secret is not None else {}
    asked = ask(f"{route.base_url}/v1/models", headers, secret)
    response = asked.response
    if response is None:
        return Probe(asked.asked, reached=False, said=asked.failure)
    status = response.status_code
    said = asked.said(secret)
    refused = status in KEY_REFUSED or (status == 400 and "no connected db" in (said or "").lower())
    offer = read_relay_models(asked.body(), response.headers) if status == 200 else None
    return Probe(
        asked.asked,
        reached=True,
        status=status,
        key_accepted=False if refused else (True if offer is not None else None),
        names=offer.names if offer else (),
        videos=offer.videos() if offer else (),
        said=said if status != 200 else (None if offer else _not_a_list(response.text)),
        listed=offer is not None,
        gateway=(offer.gateway if offer else None) or from_response(response),
    )


def _not_a_list(text: str) -> str:
    shown = " ".join(text.split())[:120]
    return f"the answer is not a model list: {shown!r}" if shown else "the answer was empty"
