"""Exceptions raised by veo_magic.

The tree::

    VeoError
    ├── VeoInputError (also ValueError)   bad input, raised before any request is sent
    │   └── VeoBudgetError                the estimate would pass the configured budget
    ├── VeoAPIError                       the relay answered an HTTP error (status_code, code)
    │   └── VeoTaskUncertainError         a create may or may not have been accepted
    ├── VeoGenerationError                the relay refused or failed the generation (task_id)
    ├── VeoDownloadError                  the clip could not be fetched or is not a playable MP4
    └── VeoCancelledError                 the job was cancelled by the user

Low-level errors (httpx, sqlite3) are mapped to the most specific class here with
``raise ... from exc``; messages never contain the API key (see ``_secret.redact``).
"""

from __future__ import annotations

__all__ = [
    "VeoAPIError",
    "VeoBudgetError",
    "VeoCancelledError",
    "VeoDownloadError",
    "VeoError",
    "VeoGenerationError",
    "VeoInputError",
    "VeoTaskUncertainError",
]


class VeoError(Exception):
    """Base class of every error veo_magic raises."""


class VeoInputError(VeoError, ValueError):
    """Bad input, detected before any request leaves the machine.

    ``field`` names the offending keyword, ``value`` what was given and ``allowed`` what would
    have been accepted; the message says all three in words.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: object = None,
        allowed: object = None,
    ) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
        self.allowed = allowed


class VeoBudgetError(VeoInputError):
    """A submission whose estimated cost would pass the budget."""


class VeoAPIError(VeoError):
    """The relay answered with an HTTP error."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        task_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.task_id = task_id
        self.detail = detail if detail is not None else message  # the relay's own words


class VeoTaskUncertainError(VeoAPIError):
    """A create request was sent but its outcome is unknown: the task may exist on the relay."""


class VeoGenerationError(VeoError):
    """The relay refused or failed the generation; ``task_id`` says which task."""

    def __init__(self, message: str, *, task_id: str | None = None) -> None:
        super().__init__(message if task_id is None else f"{message} (task {task_id})")
        self.message = message
        self.task_id = task_id


class VeoDownloadError(VeoError):
    """The finished clip could not be downloaded or is not a valid MP4."""


class VeoCancelledError(VeoError):
    """The job was cancelled."""
