"""Error bodies in the shapes relays really send (PROTOCOLS.md §4).

Three shapes exist side by side, and a client must parse all of them:

* OpenAI's ``{"error": {"message", "type", "param", "code"}}`` (validation, unknown routes);
* new-api's middleware ``{"error": {"message": "… (request id: …)", "type": "new_api_error",
  "code": ""}}`` (auth, quota; no channel with ``"code": "model_not_found"``, in new-api's
  default language, English: ``middleware/distributor.go``, ``i18n/locales/en.yaml``
  ``distributor.no_available_channel``; builds before its i18n said "当前分组 G 下对于模型 M
  无可用渠道" with no code);
* new-api's task endpoints ``{"code", "message", "data": null}`` (``dto.TaskError``);
* LiteLLM's proxy, for a spent budget only: ``{"error": {…, "type": "budget_exceeded",
  "code": "422"}}`` with HTTP 422, byte for byte as 1.108.7 answers it.

``relay_error(kind, protocol, model)`` picks the body a given relay route answers with for one
kind of failure; scenarios name kinds, never bodies.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from .gojson import GoJSONResponse
from .ids import request_id

__all__ = [
    "REFUSAL_MESSAGE",
    "invalid_request",
    "invalid_url",
    "new_api_error",
    "openai_error",
    "relay_error",
    "task_error",
]

# The text a Veo relay returns when Google's filter rejects a prompt (vectorengine query example).
REFUSAL_MESSAGE = (
    "your request contains unsafe prompt or images, the request has been rejected by google "
    "(Support codes: 58061214)"
)
RATE_LIMITED = "当前分组上游负载已饱和，请稍后再试"  # new-api rewrites every upstream 429 to this


def retired_words(model: str) -> str:
    """Google's words for a retired model (gemini-3-pro-preview's, 2026-06; apiyi: "404
    containing `is no longer available`" for the Veo 3.1 previews from 2026-10-22)."""
    return (
        f"This model models/{model} is no longer available. Please update your code to use a "
        "newer model for the latest features and improvements."
    )


def litellm_withheld(model: str) -> dict[str, object]:
    """LiteLLM 1.108.7's answer to every ``GET /v1/videos/{id}`` of a Gemini operation that
    finished without samples (Google's filter): its pydantic error, field for field as its proxy
    sent it on 2026-12-07 (tests/gateway, ``filtered``), with our own model group name."""
    message = (
        "litellm.InternalServerError: GeminiException InternalServerError - 1 validation error "
        "for GeminiLongRunningOperationResponse\nresponse.generateVideoResponse.generatedSamples"
        "\n  Field required [type=missing, input_value={'raiMediaFilteredCount':...pport codes: "
        '42237218"]}, input_type=dict]\n    For further information visit '
        "https://errors.pydantic.dev/2.14/v/missing\n\nLiteLLM: model group "
        f"'{model or 'veo-3.1'}' failed with the error above. No fallback was attempted."
    )
    return {
        "error": {"message": message, "type": "internal_server_error", "param": None, "code": "500"}
    }


def openai_error(
    status: int,
    message: str,
    *,
    type: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body = {"error": {"message": message, "type": type, "param": param, "code": code}}
    return GoJSONResponse(body, status_code=status, headers=headers)


def invalid_request(message: str, *, param: str | None = None, code: str | None = None) -> Response:
    """A 400 for a request the relay would refuse before starting anything."""
    return openai_error(400, message, param=param, code=code)


def new_api_error(
    status: int, message: str, *, code: str = "", headers: Mapping[str, str] | None = None
) -> Response:
    """new-api's ``abortWithOpenAiMessage``: the message carries a request id."""
    body = {
        "error": {
            "message": f"{message} (request id: {request_id()})",
            "type": "new_api_error",
            "code": code,
        }
    }
    return GoJSONResponse(body, status_code=status, headers=headers)


def task_error(
    status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None
) -> Response:
    """new-api's ``dto.TaskError``, unwrapped, as the task endpoints send it."""
    return GoJSONResponse(
        {"code": code, "message": message, "data": None}, status_code=status, headers=headers
    )


def invalid_url(method: str, path: str) -> Response:
    """new-api's ``RelayNotFound``: gin answers unknown routes and wrong methods alike."""
    body = {
        "error": {
            "message": f"Invalid URL ({method} {path})",
            "type": "invalid_request_error",
            "param": "",
            "code": "",
        }
    }
    return GoJSONResponse(body, status_code=404)


def relay_error(
    kind: str, *, protocol: str, model: str = "", retry_after: float | None = None
) -> Response:
    """The response a relay sends for one ``kind`` of failure on one ``protocol``'s routes.

    ``protocol`` is ``chat``, ``videos`` or ``create``; ``videos`` routes use the task-error shape
    where new-api's task controller (not its middleware) produces the error.
    """
    # Google's own error envelope, not a relay's; but a relay that sells no such model answers
    # before Google is asked (new-api's distributor reads the model from a /v1beta path too).
    if protocol in ("interactions", "vertex") or (protocol == "gemini" and kind != "no_channel"):
        from .gemini import google_relay_error

        return google_relay_error(kind, model=model, retry_after=retry_after)
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else None
    if kind == "auth":
        return new_api_error(401, "无效的令牌", headers=headers)
    if kind == "quota":
        return new_api_error(
            403, "user quota is not enough", code="insufficient_user_quota", headers=headers
        )
    if kind == "no_channel":  # no enabled channel serves the model in the key's group
        return new_api_error(
            503,
            f"No available channel for model {model} under group default (distributor)",
            code="model_not_found",
            headers=headers,
        )
    if kind == "rate_limit":
        if protocol == "videos":
            return task_error(429, "rate_limit_exceeded", RATE_LIMITED, headers=headers)
        return openai_error(
            429, RATE_LIMITED, type="upstream_error", code="rate_limit_exceeded", headers=headers
        )
    if kind == "upstream_failed":  # the relay took the task, then its upstream call blew up
        if protocol == "videos":
            return task_error(
                502, "do_request_failed", "Upstream service returned status 502", headers=headers
            )
        return openai_error(
            500,
            "internal server error",
            type="new_api_error",
            code="do_request_failed",
            headers=headers,
        )
    if kind == "unavailable":  # a poll the relay could not answer right now
        if protocol == "videos":
            return task_error(
                503,
                "fail_to_fetch_task",
                "upstream service temporarily unavailable",
                headers=headers,
            )
        return openai_error(
            503, "upstream service temporarily unavailable", type="upstream_error", headers=headers
        )
    if kind == "budget_exceeded":  # LiteLLM's proxy, a key's budget spent (its DB keeps spend)
        body = {
            "error": {
                "message": "Budget has been exceeded! Current cost: 2.0, Max budget: 1.5",
                "type": "budget_exceeded",
                "param": None,
                "code": "422",
            }
        }
        return GoJSONResponse(body, status_code=422, headers=headers)
    if kind == "litellm_withheld":  # LiteLLM 1.108.7's poll of a filtered Gemini operation
        return GoJSONResponse(litellm_withheld(model), status_code=500)
    if kind == "content_missing":
        return GoJSONResponse(
            {"error": {"message": "Video content not found", "type": "invalid_request_error"}},
            status_code=404,
            headers=headers,
        )
    if kind == "retired":  # Google shut the upstream model down; the relay passes its 404 on
        said = f"upstream returned 404: {retired_words('veo-3.1-generate-preview')}"
        if protocol == "videos":  # apiyi: fail_to_fetch_task wrapping Google's 404
            return task_error(404, "fail_to_fetch_task", said, headers=headers)
        return openai_error(404, said, type="upstream_error", code="model_not_found")
    raise ValueError(f"unknown relay error kind {kind!r}")
