"""Google's Gemini API probes: ``GET /v1beta/models`` with the key in ``x-goog-api-key``.

The answer is ``{"models": [{"name": "models/…", "displayName", "supportedGenerationMethods":
[…], …}], "nextPageToken"}`` (Google's ``models.list``). Veo (protocol ``gemini``) is a model
whose methods include ``predictLongRunning``; Gemini Omni (protocol ``interactions``) is named
``gemini-omni-…`` (GOOGLE.md: which methods Google lists for it is not on record, so the name
decides). A wrong key is Google's 400 ``INVALID_ARGUMENT`` "API key not valid", or a 401/403.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..http import error_details
from .answers import Probe, Target, ask

__all__ = ["probe_omni", "probe_veo"]

PAGES = 5  # pages of 1000 models at most: Google's whole list fits in one today


def probe_veo(route: Target) -> Probe:
    return _probe(route, _is_veo)


def probe_omni(route: Target) -> Probe:
    return _probe(route, lambda name, _entry: "omni" in name.lower())


def _is_veo(name: str, entry: Mapping[str, Any]) -> bool:
    methods = entry.get("supportedGenerationMethods")
    return name.lower().startswith("veo") or (
        isinstance(methods, list) and "predictLongRunning" in methods
    )


def _probe(route: Target, is_video: Callable[[str, Mapping[str, Any]], bool]) -> Probe:
    secret = route.secret
    headers = {"x-goog-api-key": secret.reveal()} if secret is not None else {}
    names: list[str] = []
    videos: list[str] = []
    token = ""
    for _ in range(PAGES):
        query = "pageSize=1000" + (f"&pageToken={token}" if token else "")
        asked = ask(f"{route.base_url}/v1beta/models?{query}", headers, secret)
        response = asked.response
        if response is None:
            return Probe(asked.asked, reached=False, said=asked.failure)
        body = asked.body()
        models = body.get("models") if isinstance(body, dict) else None
        if response.status_code != 200 or not isinstance(models, list):
            return _refusal(asked.asked, response, asked.said(secret), bool(names))
        for entry in models:
            name = entry.get("name") if isinstance(entry, dict) else None
            if isinstance(name, str) and name.strip():
                name = name.removeprefix("models/")
                names.append(name)
                if is_video(name, entry):
                    videos.append(name)
        token = body.get("nextPageToken") or ""
        if not isinstance(token, str) or not token:
            break
    return Probe(
        f"GET {route.base_url}/v1beta/models",
        reached=True,
        status=200,
        key_accepted=True,
        names=tuple(names),
        videos=tuple(videos),
        listed=True,
    )


def _refusal(asked: str, response: Any, said: str | None, listed: bool) -> Probe:
    status = response.status_code
    message, code = error_details(response)
    refused = status in (401, 403) or (status == 400 and "api key" in message.lower())
    if status == 200:
        said = "the answer is not Google's model list"
    return Probe(
        asked,
        reached=True,
        status=status,
        key_accepted=False if refused else None,
        said=said or f"{message} ({code})",
        listed=listed,
    )
