"""The API key, held so that it cannot be printed by accident."""

from __future__ import annotations

__all__ = ["Secret", "redact"]

_MASK = "***"


class Secret:
    """A string that shows as ``***`` in every repr, str and format; ``reveal()`` gives it back.

    >>> Secret("sk-123")
    Secret('***')
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value.strip()

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
