"""What a user can ask for, and the rules each option is checked by.

``rules`` holds each shape of check once (``Choice``, ``Whole``, ``Amount``, …), the table of
request options checked that way (``OPTION_RULES``) and Google's rules that tie one option to
another (``MODEL_RULES``); ``flags`` turns the table into the options of ``%%veo`` and
``veo-magic``. Plain data with no imports beyond the exceptions: ``%load_ext`` reads it.
"""

from __future__ import annotations

from .flags import REQUEST_NAMES, REQUEST_OPTIONS, add_request_options, request_kwargs
from .rules import (
    DIRECT_PROTOCOLS,
    GEMINI_API_PROTOCOLS,
    MAX_CLIPS,
    MAX_PROMPT_CHARS,
    MAX_SEED,
    MAX_VEO_PROMPT_CHARS,
    MODEL_RULES,
    OPTION_RULES,
    ORIENTATIONS,
    PERSON_GENERATION,
    PROMPT_FOR_GOOGLE,
    PROTOCOL_NAMES,
    PROTOCOLS_TO_GOOGLE,
    RESOLUTIONS,
    Amount,
    Choice,
    Flag,
    Needs,
    Rule,
    Text,
    Whole,
    check,
)

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
    "REQUEST_NAMES",
    "REQUEST_OPTIONS",
    "RESOLUTIONS",
    "Amount",
    "Choice",
    "Flag",
    "Needs",
    "Rule",
    "Text",
    "Whole",
    "add_request_options",
    "check",
    "request_kwargs",
]
