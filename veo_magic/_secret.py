"""The API key, held so that it cannot be printed by accident.

Every live ``Secret`` is also masked in the ``veo_magic`` logger's records (message, arguments
and traceback text), a last line of defence should a key ever reach an exception or a log call.
"""

from __future__ import annotations

import logging
import weakref

__all__ = ["RedactingFilter", "Secret", "redact"]

_MASK = "***"
# By identity: equal Secrets are separate objects, each masked for as long as it lives.
_live: weakref.WeakValueDictionary[int, Secret] = weakref.WeakValueDictionary()


class Secret:
    """A string that shows as ``***`` in every repr, str and format; ``reveal()`` gives it back.

    >>> Secret("sk-123")
    Secret('***')
    """

    __slots__ = ("__weakref__", "_value")

    def __init__(self, value: str) -> None:
        self._value = value.strip()
        if self._value:
            _live[id(self)] = self

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, spec: str) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple:
        raise TypeError("a Secret cannot be pickled")


def redact(text: str, *secrets: Secret | str | None) -> str:
    """Replace every occurrence of each secret (and its ``Bearer``-less core) in ``text``."""
    for secret in secrets:
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if value and len(value) >= 4:
            text = text.replace(value, _MASK)
            if value.startswith("sk-") and len(value) > 7:
                text = text.replace(value[3:], _MASK)
    return text


class RedactingFilter(logging.Filter):
    """Masks every live ``Secret`` in a log record before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = list(_live.values())
        if not secrets:
            return True
        message = record.getMessage()
        clean = redact(message, *secrets)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            clean = redact(record.exc_text, *secrets)
            if clean != record.exc_text:  # handlers that re-read the exception would see the key
                record.exc_text, record.exc_info = clean, None
        return True


logging.getLogger("veo_magic").addFilter(RedactingFilter())
