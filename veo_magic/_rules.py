"""Option rules: each shape of check written once, and the table of options that use them.

A rule turns what a user gave into the value veo_magic uses, or raises ``VeoInputError`` built
from its parts (the field, the value, the problem, what is allowed), so the allowed values are
spelled in one place: the rule. ``OPTION_RULES`` holds the request keywords checked this way
(``VideoRequest.build`` and the CLI/magic help read it); ``_settings`` uses the same rules for
the environment variables.

    >>> OPTION_RULES["n"].check("n", 2)
    2
    >>> OPTION_RULES["resolution"].words
    '720p, 1080p'

Rules are plain data (named tuples: a dataclass costs a millisecond to make) with no imports
beyond the exceptions: ``%load_ext veo_magic`` reads the table for the options' help and must
stay cheap.
"""

from __future__ import annotations

import contextlib
import math
import re
from typing import Any, NamedTuple, Protocol

from ._exceptions import VeoInputError, allowed_words

__all__ = [
    "MAX_CLIPS",
    "MAX_PROMPT_CHARS",
    "MAX_SEED",
    "OPTION_RULES",
    "ORIENTATIONS",
    "PERSON_GENERATION",
    "PROTOCOL_NAMES",
    "RESOLUTIONS",
    "Amount",
    "Choice",
    "Flag",
    "Rule",
    "Text",
    "Whole",
    "check",
]

PROTOCOL_NAMES = ("chat", "videos", "create", "gemini")
ORIENTATIONS = ("portrait", "landscape")
RESOLUTIONS = ("720p", "1080p")
PERSON_GENERATION = ("allow_all", "allow_adult", "dont_allow")
MAX_PROMPT_CHARS = 32000  # OpenAI's /v1/videos limit; relays forward the prompt as is
MAX_CLIPS = 4  # apiyi's maximum n; each clip is billed
MAX_SEED = 2**32 - 1  # Veo's seed is an unsigned 32-bit integer


class Rule(Protocol):
    """One shape of check: ``check`` returns the value to use or raises ``VeoInputError``."""

    @property
    def words(self) -> str:
        """What the rule allows, in words (messages, help texts, the README)."""
        ...

    def check(self, field: str, value: object, *, given_as: str | None = None) -> Any:
        """The value to use (None stays None: not given), or ``VeoInputError`` naming ``field``."""
        ...


class Choice(NamedTuple):
    """One of a few words, matched without regard to case or surrounding spaces."""

    choices: tuple[str, ...]
    why: str | None = None  # what the choices mean, added to the message

    @property
    def words(self) -> str:
        return allowed_words(self.choices)

    def check(self, field: str, value: object, *, given_as: str | None = None) -> str | None:
        if value is None:
            return None
        if isinstance(value, str) and value.strip().lower() in self.choices:
            return value.strip().lower()
        raise VeoInputError(
            field,
            value,
            "is not one of the choices",
            self.choices,
            hint=self.why,
            given_as=given_as,
        )


class Flag(NamedTuple):
    """True or False (None: not given, which is False)."""

    @property
    def words(self) -> str:
        return allowed_words(_BOOLEANS)

    def check(self, field: str, value: object, *, given_as: str | None = None) -> bool:
        if value is None or isinstance(value, bool):
            return bool(value)
        raise VeoInputError(field, value, "is not a boolean", _BOOLEANS, given_as=given_as)


_BOOLEANS = (True, False)


class Whole(NamedTuple):
    """A whole number from ``low`` to ``high`` (no upper bound when None).

    ``text`` accepts digits typed as text, as environment variables are; request keywords take
    ints only (the CLI converts), so ``n='2'`` is refused with the fix.
    """

    low: int
    high: int | None = None
    why: str | None = None  # why the range is what it is, added when a value falls outside
    text: bool = False

    @property
    def allowed(self) -> object:
        return range(self.low, self.high + 1) if self.high is not None else self.words

    @property
    def words(self) -> str:
        if self.high is None:
            return f"a whole number, {self.low} or more"
        return allowed_words(range(self.low, self.high + 1))

    def check(self, field: str, value: object, *, given_as: str | None = None) -> int | None:
        if value is None:
            return None
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        digits = isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value)
        if number is None and digits and self.text:
            number = int(value)  # type: ignore[arg-type]
        if number is None:
            hint = None
            if digits:
                hint = f"give the number {value.strip()}, not the string {value!r}"  # type: ignore[union-attr]
            raise VeoInputError(
                field, value, "is not a whole number", self.allowed, hint=hint, given_as=given_as
            )
        if number < self.low or (self.high is not None and number > self.high):
            problem = f"is out of range ({self.why})" if self.why else "is out of range"
            raise VeoInputError(field, value, problem, self.allowed, given_as=given_as)
        return number


class Amount(NamedTuple):
    """A finite number of ``unit`` (dollars, seconds, megabytes), at least ``low``.

    ``positive`` refuses ``low`` itself. ``text`` accepts a number typed as text. ``required``
    refuses None, which otherwise means "not given".
    """

    unit: str
    low: float = 0.0
    positive: bool = False
    example: str = ""
    text: bool = True
    required: bool = False

    @property
    def words(self) -> str:
        bound = f"more than {self.low:g}" if self.positive else f"{self.low:g} or more"
        return f"{self.unit}, {bound}" + (f" (e.g. {self.example})" if self.example else "")

    def check(self, field: str, value: object, *, given_as: str | None = None) -> float | None:
        if value is None and not self.required:
            return None
        number = math.nan
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str) and self.text:
            with contextlib.suppress(ValueError):  # not a number: nan, refused below
                number = float(value)
        if not math.isfinite(number):
            raise VeoInputError(field, value, "is not a number", self.words, given_as=given_as)
        if number <= self.low if self.positive else number < self.low:
            raise VeoInputError(field, value, "is out of range", self.words, given_as=given_as)
        return number


class Text(NamedTuple):
    """Text of at most ``limit`` characters, stripped; ``required`` refuses a blank one."""

    what: str  # what the text is for, in words
    limit: int | None = None
    required: bool = False
    example: str = ""

    @property
    def words(self) -> str:
        low = 1 if self.required else 0
        return f"text of {low} to {self.limit} characters" if self.limit else "text"

    def check(self, field: str, value: object, *, given_as: str | None = None) -> str | None:
        if value is None and not self.required:
            return None
        if not isinstance(value, str):
            problem = f"is {type(value).__name__}, not text ({self.what})"
            raise VeoInputError(field, value, problem, self.words, given_as=given_as)
        text = value.strip()
        if not text and self.required:
            hint = f"describe it, e.g. {self.example!r}" if self.example else None
            raise VeoInputError(field, value, "is empty", self.words, hint=hint, given_as=given_as)
        if self.limit is not None and len(text) > self.limit:
            extra = len(text) - self.limit
            raise VeoInputError(
                field,
                value,
                f"is {len(text)} characters long",
                self.words,
                hint=f"cut {extra} character{'s' if extra > 1 else ''}",
                given_as=given_as,
            )
        return text or None


# The request keywords whose check has one of the shapes above; the other keywords (model, size,
# seconds, images, extend) depend on the model and are checked in ``_request``.
OPTION_RULES: dict[str, Rule] = {
    "prompt": Text(
        "what the video shows",
        limit=MAX_PROMPT_CHARS,
        required=True,
        example="a red fox running through snow",
    ),
    "protocol": Choice(
        PROTOCOL_NAMES,
        why="chat streams from /v1/chat/completions; videos and create are resumable tasks; "
        "gemini calls Google's API",
    ),
    "orientation": Choice(ORIENTATIONS),
    "landscape": Flag(),
    "portrait": Flag(),
    "fast": Flag(),
    "n": Whole(1, MAX_CLIPS, why="clips per request; each is billed"),
    "seed": Whole(0, MAX_SEED, why="Veo's seed is an unsigned 32-bit integer"),
    "negative_prompt": Text("what the clip should not show"),
    "resolution": Choice(RESOLUTIONS),
    "person_generation": Choice(PERSON_GENERATION),
}


def check(field: str, value: object) -> Any:
    """``value`` checked by the rule for request keyword ``field``."""
    return OPTION_RULES[field].check(field, value)
