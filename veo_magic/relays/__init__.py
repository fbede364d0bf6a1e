"""Talking to a relay: the HTTP seam (key in a header, retries, errors), downloads, the
gateways a relay runs on, the relay's own list of models, and one adapter per wire protocol
(``relays.protocols``)."""

from __future__ import annotations

from .download import DEFAULT_MAX_BYTES, UrlExpiredError, adopt, download, is_mp4, mp4_problem
from .gateways import Gateway, adapt, from_models, from_response, litellm_task_id
from .google_auth import VERTEX_HINTS, CurrentToken, GoogleAuth, GoogleSignIn, sign_in
from .http import (
    INTERACTIONS_ONLY_HINT,
    WITHHELD_RETRIES,
    KeyAuth,
    Relay,
    RetryNotice,
    StreamIdleError,
    api_error,
    content_backoff,
    download_backoff,
    error_details,
    google_retry_delay,
    hard_quota,
    json_body,
    named_task,
    retry_after_seconds,
    retry_notices,
    says_withheld,
    with_idle_timeout,
    withheld,
)
from .not_sold import says_sells_none, sells_none, stopped_selling
from .relay_models import (
    MODELS_TIMEOUT,
    RelayModels,
    fetch_relay_models,
    read_relay_models,
    resolve,
)
from .route import Connection, Route, auth_for

__all__ = [
    "DEFAULT_MAX_BYTES",
    "INTERACTIONS_ONLY_HINT",
    "MODELS_TIMEOUT",
    "VERTEX_HINTS",
    "WITHHELD_RETRIES",
    "Connection",
    "CurrentToken",
    "Gateway",
    "GoogleAuth",
    "GoogleSignIn",
    "KeyAuth",
    "Relay",
    "RelayModels",
    "RetryNotice",
    "Route",
    "StreamIdleError",
    "UrlExpiredError",
    "adapt",
    "adopt",
    "api_error",
    "auth_for",
    "content_backoff",
    "download",
    "download_backoff",
    "error_details",
    "fetch_relay_models",
    "from_models",
    "from_response",
    "google_retry_delay",
    "hard_quota",
    "is_mp4",
    "json_body",
    "litellm_task_id",
    "mp4_problem",
    "named_task",
    "read_relay_models",
    "resolve",
    "retry_after_seconds",
    "retry_notices",
    "says_sells_none",
    "says_withheld",
    "sells_none",
    "sign_in",
    "stopped_selling",
    "with_idle_timeout",
    "withheld",
]
