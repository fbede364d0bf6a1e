"""The request options, declared once for the CLI (argparse) and ``%%veo`` (magic_arguments).

Each entry is ``(flags, argparse keywords)``; ``request_kwargs`` turns the parsed namespace into
the keywords of ``Client.submit``. Values stay strings where the user typed strings: validation
(with its messages) lives in ``VideoRequest.build``, not in argparse; the help quotes the allowed
values from the same rules (``_rules.OPTION_RULES``).
"""

from __future__ import annotations

import argparse
from typing import Any

from .rules import OPTION_RULES

__all__ = ["REQUEST_NAMES", "REQUEST_OPTIONS", "add_request_options", "request_kwargs"]

REQUEST_OPTIONS: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (
        ("--model", "-m"),
        {
            "default": None,
            "help": "Model: an alias such as veo-3.1 (suffixes are added for you) or a full relay "
            "model name such as veo_3_1-landscape-fast, sent as given.",
        },
    ),
    (
        ("--landscape",),
        {
            "dest": "orientation",
            "action": "store_const",
            "const": "landscape",
            "help": "Landscape 1280x720 (the relays' default is portrait 720x1280).",
        },
    ),
    (
        ("--portrait",),
        {
            "dest": "orientation",
            "action": "store_const",
            "const": "portrait",
            "help": "Portrait 720x1280, the relays' default.",
        },
    ),
    (
        ("--fast",),
        {"action": "store_true", "default": None, "help": "The fast variant: quicker and cheaper."},
    ),
    (
        ("--image", "--first-frame"),
        {
            "dest": "first_frame",
            "default": None,
            "help": "First frame: a file path or an http(s) URL.",
        },
    ),
    (
        ("--last-frame",),
        {
            "dest": "last_frame",
            "default": None,
            "help": "Last frame (needs --image): a file path or an http(s) URL.",
        },
    ),
    (
        ("--reference",),
        {
            "dest": "references",
            "action": "append",
            "default": None,
            "help": "A reference image (repeat up to 3 times); not combined with frames. "
            "On interactions: reference_to_video.",
        },
    ),
    (
        ("--seconds",),
        {"default": None, "help": "Clip length in seconds, where the model allows it."},
    ),
    (("--size",), {"default": None, "help": "Size as pixels (1280x720) or a ratio (16:9)."}),
    (
        ("--n",),
        {"default": None, "help": f"How many clips ({OPTION_RULES['n'].words}); each is billed."},
    ),
    (
        ("--negative",),
        {"dest": "negative_prompt", "default": None, "help": "What the clip should not contain."},
    ),
    (("--seed",), {"default": None, "help": "A seed, where the protocol supports one."}),
    (
        ("--resolution",),
        {
            "default": None,
            "help": f"Resolution: {OPTION_RULES['resolution'].words}. gemini and interactions send "
            "it (360p: Gemini Omni only); on relays 4k goes in the model name (veo_3_1-4K) and "
            "videos also sends it as a parameter. On Veo, 1080p and 4k need --seconds 8 "
            "(chosen for you when left out).",
        },
    ),
    (
        ("--person-generation",),
        {
            "dest": "person_generation",
            "default": None,
            "help": f"Whether people may appear: {OPTION_RULES['person_generation'].words}.",
        },
    ),
    (
        ("--extend",),
        {
            "default": None,
            "nargs": "?",
            "const": "",
            "metavar": "JOB",
            "help": "Continue a finished clip: a job id, a task id (or, in a cell, an --out name; "
            "left out: the last finished clip shown), or a Gemini API clip's URI. Gemini Omni "
            "(interactions) adds --seconds 3-10 (default 7); Veo (vertex, gemini) adds 7 s.",
        },
    ),
    (
        ("--no-audio",),
        {
            "dest": "generate_audio",
            "action": "store_const",
            "const": False,
            "help": "A silent clip (vertex protocol: generateAudio false).",
        },
    ),
    (
        ("--storage-uri",),
        {
            "dest": "storage_uri",
            "default": None,
            "help": "vertex protocol: a gs://bucket/folder/ where Vertex AI writes the clips "
            "(fetched from there with your token) instead of returning them inline.",
        },
    ),
    (
        ("--protocol",),
        {
            "default": None,
            "help": f"Wire protocol: {OPTION_RULES['protocol'].words}; "
            "chat streams, videos and create are resumable tasks, gemini is Google's own API "
            "for Veo, interactions is Google's Interactions API for Gemini Omni, vertex is Veo 3.1 "
            "on Vertex AI.",
        },
    ),
]


def add_request_options(parser: argparse.ArgumentParser) -> None:
    """Add every request option to ``parser``."""
    for flags, kwargs in REQUEST_OPTIONS:
        parser.add_argument(*flags, **kwargs)


def _dest(flags: tuple[str, ...], kwargs: dict[str, Any]) -> str:
    """The attribute argparse stores an option under (its ``dest``, else the first long flag)."""
    return kwargs.get("dest") or flags[0].lstrip("-").replace("-", "_")


# Every request keyword the table declares, in table order (orientation appears twice).
REQUEST_NAMES: tuple[str, ...] = tuple(dict.fromkeys(_dest(f, k) for f, k in REQUEST_OPTIONS))


def request_kwargs(ns: argparse.Namespace) -> dict[str, Any]:
    """Keywords for ``Client.submit`` from parsed options; options not given are left out."""
    names = REQUEST_NAMES
    kwargs = {name: getattr(ns, name, None) for name in names}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    if "references" in kwargs:
        kwargs["references"] = tuple(kwargs["references"])
    for name in ("n", "seed"):  # integers typed as text: convert, keep the text if it is not one
        if name in kwargs and str(kwargs[name]).strip().lstrip("-").isdigit():
            kwargs[name] = int(kwargs[name])
    return kwargs
