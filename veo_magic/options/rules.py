"""Option rules: each shape of check written once, and the table of options that use them.

A rule turns what a user gave into the value veo_magic uses, or raises ``VeoInputError`` built
from its parts (the field, the value, the problem, what is allowed), so the allowed values are
spelled in one place: the rule. ``OPTION_RULES`` holds the request keywords checked this way
(``VideoRequest.build`` and the CLI/magic help read it); ``config`` uses the same rules for
the environment variables.

    >>> OPTION_RULES["n"].check("n", 2)
    2
    >>> OPTION_RULES["resolution"].words
    '720p, 1080p, 4k'

``MODEL_RULES`` is the other table: Google's rules for Veo that tie one option to another (1080p
needs 8 s, an image needs ``person_generation='allow_adult'``, …), each with where it is written.
``VideoRequest.build`` applies them; the simulator's Google routes answer the same requests as
Google does.

Rules are plain data (named tuples: a dataclass costs a millisecond to make) with no imports
beyond the exceptions: ``%load_ext veo_magic`` reads the table for the options' help and must
stay cheap.
"""

from __future__ import annotations

import contextlib
import math
import re
from typing import Any, NamedTuple, Protocol

from .._exceptions import VeoInputError, allowed_words

__all__ = [
    "DIRECT_PROTOCOLS",
    "GEMINI_API_PROTOCOLS",
    "MAX_CLIPS",
    "MAX_PROMPT_CHARS",
    "MAX_SEED",
    "MAX_VEO_PROMPT_CHARS",
    "MODEL_RULES",
    "OPTION_RULES",
    "ORIENTATIONS",
    "PERSON_GENERATION",
    "PROMPT_FOR_GOOGLE",
    "PROTOCOLS_TO_GOOGLE",
    "PROTOCOL_NAMES",
    "RESOLUTIONS",
    "Amount",
    "Choice",
    "Flag",
    "Needs",
    "Rule",
    "Text",
    "Whole",
    "check",
]

PROTOCOL_NAMES = ("chat", "videos", "create", "gemini", "interactions", "vertex")
# Google's Gemini API itself (not a relay): its host, its key header (x-goog-api-key), and the
# key in GEMINI_API_KEY / GOOGLE_API_KEY when VEO_API_KEY is unset.
GEMINI_API_PROTOCOLS = ("gemini", "interactions")
# Google's own APIs, no relay in between: Google's model ids, images inline, landscape by default.
DIRECT_PROTOCOLS = ("gemini", "interactions", "vertex")
# The two of them that sell Veo: Google's Veo rules (sizes, resolutions, seconds) checked here.
PROTOCOLS_TO_GOOGLE = ("gemini", "vertex")
ORIENTATIONS = ("portrait", "landscape")
RESOLUTIONS = (
    "360p",
    "720p",
    "1080p",
    "4k",
)  # 360p: Gemini Omni only (catalog says who makes what)
PERSON_GENERATION = ("allow_all", "allow_adult", "dont_allow")
MAX_PROMPT_CHARS = 32000  # OpenAI's /v1/videos limit; relays forward the prompt as is
# Veo 3.x reads at most 1,024 prompt tokens (Gemini API model table, 2026-06-19). Counting tokens
# needs Google's tokenizer; 4 characters a token (English) makes this the local guard.
MAX_VEO_PROMPT_TOKENS = 1024
MAX_VEO_PROMPT_CHARS = 4 * MAX_VEO_PROMPT_TOKENS
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
    why: str | None = None  # why the limit is what it is, added when text passes it

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
                f"is {len(text)} characters long" + (f" ({self.why})" if self.why else ""),
                self.words,
                hint=f"cut {extra} character{'s' if extra > 1 else ''}",
                given_as=given_as,
            )
        return text or None


# The request keywords whose check has one of the shapes above; the other keywords (model, size,
# seconds, images, extend) depend on the model and are checked in ``requests``.
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
        "gemini calls Google's API for Veo; interactions calls Google's Interactions API "
        "(Gemini Omni); vertex calls Vertex AI with Google Cloud credentials",
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
    "generate_audio": Flag(),  # vertex only: Veo 3.x makes audio unless told not to
}


# The prompt of a Veo 3.x model, by any route: its 1,024-token cap, guarded in characters.
PROMPT_FOR_GOOGLE = Text(
    "what the video shows",
    limit=MAX_VEO_PROMPT_CHARS,
    required=True,
    example="a red fox running through snow",
    why="Google's Veo 3.x reads at most 1,024 tokens, about 4 characters each",
)


class Needs(NamedTuple):
    """One of Google's rules for Veo: a request with every feature in ``when`` needs ``field`` to
    be one of ``allowed`` (``()``: left out). An unset field that a rule fixes to one value gets
    that value, and the request notes why.

    Features: the model (``veo3``: Veo 3.x by any name; ``veo2``; ``google``: a Google model id,
    so Google's API answers; ``lite``), the resolution made (``1080p``, ``4k``) and the input
    (``text``; ``image``: any image, and with it ``frames`` for first + last or ``references``;
    ``extend``), and the route (``vertex``: Vertex AI). A rule does not apply when the request has
    a feature in ``unless``: Vertex AI documents more than the Gemini API allowed.
    """

    when: tuple[str, ...]
    field: str
    allowed: tuple[object, ...]
    rule: str  # the rule as a message says it: "1080p needs seconds=8"
    instead: str  # what else would work
    source: str  # where it is written, and when
    unless: tuple[str, ...] = ()

    def applies(self, features: frozenset[str]) -> bool:
        return all(f in features for f in self.when) and not any(f in features for f in self.unless)


# Google's Veo page, the parameter table (the es-419 copy fetched 2026-07-20 and the vi copy
# updated 2026-06-19 agree; the English page itself was not in reach).
_DOCS = "Gemini API Veo docs, parameter table (2026-06-19 and 2026-07-20 copies)"
_LAST_FRAME = (
    "not in Google's docs: live reports (2026) of 400 'Your use case is currently not "
    "supported' for lastFrame at 4 and 6 s"
)
_NEGATIVE = (
    "not in Google's docs (its negativePrompt row was dropped by 2026-06): live reports of 400 "
    "'Negative prompt is not supported in your use case.' (2026-07-17, 2026-08-15)"
)
_ADULT = "a clip from images takes person_generation='allow_adult' only"
# Vertex AI's Veo reference (GOOGLE.md, "Vertex AI Veo 3.1"): sampleCount 1-4, personGeneration
# and negativePrompt as parameters with no per-input limits; the Gemini API's limits stop there.
_ON_VERTEX = ("vertex",)

MODEL_RULES: tuple[Needs, ...] = (
    Needs(("veo3", "1080p"), "seconds", (8,), "1080p needs seconds=8", "720p for 4 or 6 s", _DOCS),
    Needs(("veo3", "4k"), "seconds", (8,), "4k needs seconds=8", "720p for 4 or 6 s", _DOCS),
    Needs(
        ("google", "references"),
        "seconds",
        (8,),
        "reference images need seconds=8",
        "a first frame for 4 or 6 s",
        _DOCS,
    ),
    Needs(
        ("google", "frames"),
        "seconds",
        (8,),
        "a first + last frame clip needs seconds=8",
        "a first frame alone for 4 or 6 s",
        _LAST_FRAME,
    ),
    Needs(
        ("extend",),
        "resolution",
        ("720p",),
        "Google makes extensions at 720p only",
        "a new clip for 1080p or 4k",
        _DOCS,
    ),
    Needs(
        ("veo3", "text"),
        "person_generation",
        ("allow_all",),
        "text-to-video takes person_generation='allow_all' only",
        "leave it unset: in the EU, UK, Switzerland and MENA Google allows only allow_adult, "
        "and an unset value is Google's default there",
        _DOCS,
        unless=_ON_VERTEX,
    ),
    Needs(
        ("veo3", "extend"),
        "person_generation",
        ("allow_all",),
        "an extension takes person_generation='allow_all' only",
        "leave it unset",
        _DOCS,
    ),
    Needs(
        ("veo3", "image"),
        "person_generation",
        ("allow_adult",),
        _ADULT,
        "leave it unset",
        _DOCS,
        unless=_ON_VERTEX,
    ),
    Needs(
        ("veo2", "image"),
        "person_generation",
        ("allow_adult", "dont_allow"),
        "Veo 2 from an image takes allow_adult or dont_allow",
        "leave it unset",
        _DOCS,
    ),
    Needs(
        ("google", "veo3"),
        "n",
        (1,),
        "Google makes one video per request on Veo 3.x",
        "submit the prompt again, or use protocol='vertex' (up to 4) or 'chat' on a relay",
        _DOCS,
        unless=_ON_VERTEX,
    ),
    Needs(
        ("google", "veo2"),
        "n",
        (1, 2),
        "Google makes 1 or 2 videos per request on Veo 2",
        "submit the prompt again",
        _DOCS,
    ),
    Needs(
        ("google", "references"),
        "negative_prompt",
        (),
        "Google refuses a negative prompt with reference images",
        "say what to avoid in the prompt",
        _NEGATIVE,
        unless=_ON_VERTEX,
    ),
    Needs(
        ("google", "extend"),
        "negative_prompt",
        (),
        "Google refuses a negative prompt with an extension",
        "say what to avoid in the prompt",
        _NEGATIVE,
    ),
)


# Gemini Omni (the Interactions API, and the relays that sell it on /v1/videos): its request
# has no field for these, so a value would be dropped silently. google-genai 3.6.1's
# ``videoresponseformat.py`` / ``generationconfig.py`` types; Google's Omni model card.
_OMNI = "google-genai 3.6.1 Interactions types (read 2026-12-06); Gemini Omni model card"
OMNI_RULES: tuple[Needs, ...] = (
    Needs(
        ("omni",),
        "negative_prompt",
        (),
        "Gemini Omni takes no negative prompt",
        "write what to avoid in the prompt itself ('no text on screen, no people')",
        _OMNI,
    ),
    Needs(
        ("omni",),
        "n",
        (1,),
        "Gemini Omni makes one video per turn",
        "use --vary (or batch) to make several clips, each its own request",
        _OMNI,
    ),
    Needs(
        ("omni",),
        "person_generation",
        (),
        "Gemini Omni has no person-generation setting",
        "say in the prompt whether people may appear",
        _OMNI,
    ),
)
MODEL_RULES = MODEL_RULES + OMNI_RULES


def check(field: str, value: object) -> Any:
    """``value`` checked by the rule for request keyword ``field``."""
    return OPTION_RULES[field].check(field, value)
