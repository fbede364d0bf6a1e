"""JSON written the way the relays write it.

new-api and its upstream video services are Go programs: ``encoding/json`` emits compact JSON,
raw UTF-8 for non-ASCII text, and escapes ``<``, ``>``, ``&``, U+2028 and U+2029 (seed 001 shows
``\\u003e`` before every progress line). Clients that compare bytes or split on ``>`` see exactly
what a real relay sends.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

__all__ = ["GoJSONResponse", "dumps", "sse_event"]

# Only these appear inside JSON strings, so a plain replace after encoding is safe.
_GO_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def dumps(value: Any) -> str:
    """Compact, UTF-8, HTML-escaped JSON: ``dumps({"a": ">"}) == '{"a":"\\\\u003e"}'``."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in _GO_ESCAPES:
        text = text.replace(raw, escaped)
    return text


def sse_event(value: Any) -> bytes:
    """One server-sent event carrying ``value`` (a JSON object, or the literal ``[DONE]``)."""
    payload = value if isinstance(value, str) else dumps(value)
    return f"data: {payload}\n\n".encode()


class GoJSONResponse(Response):
    """A JSON response encoded by ``dumps``."""

    media_type = "application/json; charset=utf-8"  # what gin sends

    def render(self, content: Any) -> bytes:
        return dumps(content).encode()
