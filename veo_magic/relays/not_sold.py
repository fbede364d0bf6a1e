"""A relay that stopped selling a model: new-api's "no channel" answer, and what to say then.

new-api picks a channel for the model before anything else (``middleware/distributor.go``); when
no enabled channel of the key's group serves it, it answers the create with HTTP 503, code
``model_not_found`` and "No available channel for model M under group G (distributor)" (its
default language, English; ``i18n/locales/en.yaml``), "分组 G 下模型 M 无可用渠道（distributor）"
or "获取分组 G 下模型 M 的可用渠道失败（distributor）: …" in Chinese, and, in builds before its
i18n, "当前分组 G 下对于模型 M 无可用渠道" with no code (NEWAPI.md, "Errors"). All of them are
the same answer from the same code path: the relay sells no such model now. Channels come back
only when an admin (or a channel test minutes later) re-enables one, so a retry a few seconds
later meets the same answer: the job ends at once (``Relay.create`` does not retry it) and says
what the relay lists today (``GET /v1/models``, asked again now: new-api lists only models with
an enabled channel in the group).

A 503 that says anything else (an upstream that is busy, Google's ``UNAVAILABLE``) is still the
transient "not taken" answer that ``Relay.create`` retries.
"""

from __future__ import annotations

import re

import httpx

from .._exceptions import VeoAPIError
from .http import Relay, error_details, json_body
from .relay_models import MODELS_TIMEOUT, read_relay_models

__all__ = ["says_sells_none", "sells_none", "stopped_selling"]

# new-api's words for "no channel serves this model", in every build and language on record.
_NO_CHANNEL = re.compile(
    r"no available channel for model|failed to get available channels? for model|"
    r"无可用渠道|可用渠道失败|無可用管道|無可用渠道",
    re.IGNORECASE,
)


def says_sells_none(message: str, code: str | None, status: int | None) -> bool:
    """Whether an error (its message, code, HTTP status) is new-api's "no channel" answer."""
    if status not in (None, 503):
        return False
    return (code == "model_not_found" and status == 503) or bool(_NO_CHANNEL.search(message))


def sells_none(response: httpx.Response) -> bool:
    """Whether ``response`` is new-api's "no channel for this model" answer."""
    message, code = error_details(response)
    return says_sells_none(message, code, response.status_code)


async def stopped_selling(relay: Relay, error: Exception, model: str | None) -> str | None:
    """What a job refused with the "no channel" answer should say (None for any other error):
    that this relay sells no ``model`` now, and what its ``GET /v1/models`` lists instead."""
    if not isinstance(error, VeoAPIError) or not says_sells_none(
        error.detail or str(error), error.code, error.status_code
    ):
        return None
    name = model or "such model"
    said = (error.detail or str(error)).strip()
    listed = await _listed_now(relay)
    if listed is None:
        sold = "Its model list (GET /v1/models) could not be read."
    elif listed:
        sold = f"It lists these video models now: {listed}."
    else:
        sold = "It lists no video model at all now."
    return (
        f"This relay sells no {name} now: it has no channel for it (HTTP 503: {said!r}). {sold} "
        "Nothing was made or charged. Pick a listed model (--model NAME), ask the relay's admin, "
        "or use another route: `veo-magic check` (`%veo check`) says what a route sells."
    )


async def _listed_now(relay: Relay) -> str | None:
    """The video models the relay lists now ("" when none), or None when the list is unreadable."""
    try:
        response = await relay.http.get("/v1/models", timeout=MODELS_TIMEOUT)
    except httpx.HTTPError:
        return None
    offer = read_relay_models(json_body(response)) if response.status_code == 200 else None
    if offer is None:
        return None
    return offer.says() if offer.videos() else ""
