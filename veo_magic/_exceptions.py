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

An input error is built from its parts, ``VeoInputError(field, value, problem, allowed)``, and
words itself from them, so every refusal reads the same way and names what is allowed once. It
says what happened, in the core's own terms (keywords, environment variables); how to act in a
front end's syntax (``%veo login``, ``veo-magic``'s options) is added by that front end, by the
error's ``field``.
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
    """Bad input, detected before any request leaves the machine; it words itself from its parts.

    ``field`` is the keyword (or setting) at fault, ``value`` what was given (None: nothing, or
    nothing that may be shown), ``problem`` what is wrong with it, and ``allowed`` what would be
    accepted: choices, a ``range`` or words. ``hint`` adds a likely fix in the core's own terms;
    ``given_as`` names where the value came from when that is not ``field`` (an environment
    variable). How to act in a front end's own syntax is that front end's to add.

        >>> str(VeoInputError("seconds", 5, "is not offered by veo-3.1", (4, 6, 8)))
        'seconds=5 is not offered by veo-3.1; allowed: 4, 6, 8'
    """

    def __init__(
        self,
        field: str,
        value: object,
        problem: str,
        allowed: object = None,
        *,
        hint: str | None = None,
        given_as: str | None = None,
    ) -> None:
        self.field = field
        self.value = value
        self.problem = problem
        self.allowed = allowed
        self.hint = hint
        self.given_as = given_as
        super().__init__(self._words())

    @property
    def subject(self) -> str:
        """What is at fault, as the user gave it: ``seconds=5``, ``VEO_BUDGET_USD='lots'``."""
        name = self.given_as or self.field
        return name if self.value is None else f"{name}={shown(self.value)}"

    def _words(self) -> str:
        text = f"{self.subject} {self.problem}"
        if self.allowed is not None:
            text += f"; allowed: {allowed_words(self.allowed)}"
        return f"{text}; {self.hint}" if self.hint else text


class VeoBudgetError(VeoInputError):
    """A submission whose estimated cost would pass the budget (field ``budget_usd``)."""

    def __init__(
        self, budget_usd: float, spent: float, estimate: float, what: str = "this request"
    ) -> None:
        self.budget_usd, self.spent, self.estimate = budget_usd, spent, estimate
        super().__init__(
            "budget_usd",
            estimate,
            f"would be passed: ${spent:.2f} spent so far + ${estimate:.2f} for {what}",
            f"${max(0.0, budget_usd - spent):.2f} more",
        )

    @property
    def subject(self) -> str:
        return f"budget ${self.budget_usd:.2f}"


def allowed_words(allowed: object) -> str:
    """``(4, 6, 8)`` -> ``4, 6, 8``; ``range(1, 5)`` -> ``1 to 4``; words stay as they are."""
    if isinstance(allowed, range):
        return f"{allowed.start} to {allowed.stop - 1}"
    if isinstance(allowed, tuple | list):
        return ", ".join(str(item) for item in allowed) or "none"
    return str(allowed)


def shown(value: object) -> str:
    """A value as a message shows it: its repr, cut short only when it is very long (a prompt)."""
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


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
