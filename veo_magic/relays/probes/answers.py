"""What a probe is given (``Target``) and what it saw (``Probe``), and the one GET they share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ..._secret import Secret, redact
from ..gateways import Gateway
from ..http import error_details, json_body

__all__ = ["PROBE_TIMEOUT", "Asked", "Probe", "Target", "ask"]

PROBE_TIMEOUT = httpx.Timeout(8.0, connect=4.0)  # a route slower than this is said to be so


@dataclass(frozen=True)
class Target:
    """The configured route, as a probe asks it: protocol, its root URL, the key (or where a
    bearer token comes from), and the model a job would ask for (as the user wrote it)."""

    protocol: str
    base_url: str
    secret: Secret | None
    model: str
    simulated: bool = False
    # vertex: a fresh OAuth access token (the connection's google-auth sign-in); a VeoError
    # that says how to sign in when there are no credentials or Google refuses them.
    bearer: Callable[[], str] | None = None


@dataclass(frozen=True)
class Probe:
    """What the route answered. ``names`` is everything it lists, ``videos`` the video models
    among them; ``key_accepted`` is None when the answer cannot tell."""

    asked: str  # method and URL, never a key
    reached: bool
    status: int | None = None
    key_accepted: bool | None = None
    names: tuple[str, ...] = ()
    videos: tuple[str, ...] = ()
    said: str | None = None  # the route's own words (an error), or the transport failure
    listed: bool = False  # the answer was a model list (or a model's card)
    gateway: Gateway | None = None
    credentials: str | None = None  # vertex: where the token came from, or why there is none


@dataclass(frozen=True)
class Asked:
    """One GET's outcome: the response, or the transport error that stopped it."""

    asked: str
    response: httpx.Response | None
    failure: str | None

    def body(self) -> Any:
        return json_body(self.response) if self.response is not None else None

    def said(self, secret: Secret | None) -> str | None:
        """The route's error words (a 4xx/5xx), or the transport failure, redacted."""
        if self.response is None:
            return self.failure
        if self.response.status_code < 400:
            return None
        message, code = error_details(self.response)
        words = f"{message} ({code})" if code and code not in message else message
        return redact(words, secret)


def ask(url: str, headers: Mapping[str, str], secret: Secret | None = None) -> Asked:
    """GET ``url`` once, blocking, with a short timeout; never raises for a network failure.

    A plain request from the caller's thread, like the relay's model list before a first create:
    a check runs before any job, and must not wait on the loop that runs them.
    """
    asked = f"GET {url}"
    try:
        with httpx.Client(timeout=PROBE_TIMEOUT, follow_redirects=False) as http:
            return Asked(asked, http.get(url, headers=dict(headers)), None)
    except httpx.ConnectError as exc:
        return Asked(
            asked, None, redact(f"nothing answered ({exc or 'connection refused'})", secret)
        )
    except httpx.TimeoutException:
        return Asked(asked, None, f"no answer within {PROBE_TIMEOUT.read:g} s")
    except httpx.HTTPError as exc:
        return Asked(asked, None, redact(f"{type(exc).__name__}: {exc}", secret))
