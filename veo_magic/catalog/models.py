"""Model names in every relay spelling -> capabilities, wire names, prices.

Relays name one Veo model many ways: apiyi ``veo-3.1-landscape-fast-fl``, seed 004
``veo_3_1-landscape-fast``, vectorengine ``veo3.1-fast-components-4k``, glin
``veo_3_1_t2v_fast_landscape``, Google ``veo-3.1-fast-generate-preview``. ``parse_model`` reads any
of them into a ``ModelSpec``; ``compose`` writes the name one request needs, in the user's spelling.

**Aliases and explicit names.** An *alias* is a Veo base (``veo-3.1``, ``veo_3_1``, ``veo3.1``,
``veo3``, ``veo2``) with at most the mode suffixes ``fast``/``pro``/``lite``, ``fl``/``frames``,
``components`` and ``4k``, in any order. Keywords add suffixes to an alias. Every other name is
*explicit* and is sent exactly as given: one that carries ``-portrait``/``-landscape``, a relay's
own dialect (``veo_3_1_t2v_…``), a Google id, ``sora-*``, ``jimeng-*``, or a name with a suffix we
do not know (relays invent names, so a known family with odd suffixes parses with conservative
capabilities instead of failing).

**Wire names** (``compose``), for an alias; suffixes are joined with ``-`` in the order
orientation, tier, components, frames, 4k, and suffixes the user wrote keep their spelling:

- ``landscape`` is added on ``chat`` (the chat body has no size field) and, for the dash spelling
  ``veo-3.1``, on ``videos`` (apiyi names orientation in the model there). The underscore and
  compact spellings send orientation as ``size`` on ``videos`` (seed 002); ``create`` always sends
  it as ``aspect_ratio``. ``portrait`` is the relays' default and never adds a suffix.
- ``fast`` is added when asked for and the name has no tier yet.
- a last frame adds ``fl`` to the dash and underscore spellings, ``frames`` to ``veo3``/``veo2``;
  the compact ``veo3.1`` is adaptive (vectorengine) and needs no suffix.
- references add ``components`` to ``veo3.1`` (and ``veo2-fast``/``veo2-pro``) on ``videos`` and
  ``create``; the chat dialect has no reference images, so there only a name that already says
  ``components`` takes them.
- on ``gemini`` an alias becomes Google's id: ``veo-3.1[-fast]-generate-preview``,
  ``veo-3.0[-fast]-generate-001``, ``veo-2.0-generate-001``; on ``vertex`` (Vertex AI, where
  Veo 3.1 is GA) ``veo-3.1[-fast|-lite]-generate-001``.

**Prices.** A relay's name has a price per clip: seed 001 (apiyi) for ``veo-3.1`` $0.25 and
``-fast`` $0.15; the rest are estimates (see ``DEFAULT_PRICES``). A relay's 4K variant costs twice
its tier unless priced itself. A Google id has Google's price per second of clip by resolution
(``RATES_PER_SECOND``), so its clip costs rate x seconds at the resolution asked. Override with
``set_price`` or the env var ``VEO_PRICES`` (JSON, e.g. ``{"veo-3.1-fast": 0.12}``), always in USD
per clip of the model's default length (a Google id's override is then scaled by the second, the
same at every resolution): a model name sets its price class in every spelling (``veo_3_1-fast``
= ``veo-3.1-fast``); a family name from ``FAMILIES`` (note: ``veo3.1`` is the family) sets every
model of the family. ``set_price`` wins over ``VEO_PRICES``, which wins over the defaults.

**Resolutions** (``resolutions``: what a model makes; ``resolution_routes``: what a request can
ask for on a protocol). Google's API takes ``resolution`` itself: 720p (default), 1080p and 4k
on Veo 3.1 and 3.1 Fast, no 4k on Lite, 720p and 1080p on Veo 3, none on Veo 2. The relays name
4K in the model (``veo_3_1-4K``, ``veo3.1-4k``; seed 002) and no relay sells a 1080p name, so on
``chat`` and ``create`` 4k is reachable only through a spelling that has a 4K name; ``videos``
also carries ``resolution`` as a parameter, which gateways forward to Google.

**Retired models.** Google shut the three Veo 3.1 preview ids down on the Gemini API on
2026-10-22 (deprecations page; apiyi's notices of 2026-10-25 and 2026-11-09), and the Veo 3.0 and
2.0 ids on 2026-06-30. They stay in the catalog, marked (``ModelSpec.retired``): relays and
Vertex-backed routes may still serve Veo 3.1. ``retired_message`` words what a job that met the
retirement (Google's 404 "... is no longer available", or a relay's ``fail_to_fetch_task``
wrapping it) should say instead of a retry or "resume it".
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple

from .._exceptions import VeoInputError, shown
from ..config import PRICES, USD_PER_CLIP, raw, read
from ..options import ORIENTATIONS, PROTOCOL_NAMES, PROTOCOLS_TO_GOOGLE

__all__ = [
    "DEFAULT_PRICES",
    "FAMILIES",
    "OMNI_PRICE_SOURCE",
    "OMNI_RATES_PER_SECOND",
    "PROTOCOL_NAMES",
    "RATES_PER_SECOND",
    "RETIRED",
    "ROLES",
    "VERTEX_IDS",
    "ModelChoices",
    "ModelSpec",
    "Orientation",
    "Retirement",
    "catalog",
    "choices_for",
    "compose",
    "known_models",
    "parse_model",
    "readable",
    "relay_only",
    "reset_prices",
    "resolution_routes",
    "respell",
    "retired_message",
    "set_price",
]

Orientation = Literal["portrait", "landscape"]

FAMILIES = ("veo3.1", "veo3", "veo2", "jimeng", "sora", "gemini", "omni")
ROLES = ("first_frame", "last_frame", "reference")
VEO_RATIOS = ("9:16", "16:9")
JIMENG_RATIOS = ("9:16", "16:9", "3:4", "4:3", "1:1", "21:9", "2:3", "3:2")  # mj-studio + seed 003

# USD per clip of the model's default length.
DEFAULT_PRICES: dict[str, float] = {
    "veo3.1": 0.25,  # seed 001, apiyi
    "veo3.1-fast": 0.15,  # seed 001, apiyi
    # Estimates (no relay publishes these): pro = 2x standard; Veo 3 priced like 3.1; Veo 2 a
    # little cheaper (no audio); jimeng a budget model.
    "veo3.1-pro": 0.50,
    "veo3": 0.25,
    "veo3-fast": 0.15,
    "veo3-pro": 0.50,
    "veo2": 0.20,
    "veo2-fast": 0.12,
    "veo2-pro": 0.40,
    "jimeng": 0.10,
    # OpenAI's list price at 720p ($0.10/s, pro $0.30/s) x the default 4 s; billed per second.
    "sora-2": 0.40,
    "sora-2-pro": 1.20,
    # A relay's own Omni name (omni-fast, omni_flash_10s): no relay price read; Omni 1.1's
    # 720p rate x 8 s stands in for the budget.
    "omni": 0.80,
}
FOUR_K_FACTOR = 2.0  # estimate for a relay's 4K name: twice its tier (no relay publishes one)

# Google's Gemini API list prices, USD per second of clip, audio included, by resolution
# (ai.google.dev/gemini-api/docs/pricing as quoted by pages dated 2026-04 to 2026-10: reAPI
# 2026-05, LaoZhang, Lumenfall, a GitHub note of 2026-10). Where the pages disagree the newer
# wins: Fast was cut from $0.15/s to $0.10 (720p) / $0.12 (1080p) on 2026-04-07, and ArcReel's
# 2026-02 table (Fast $0.12/$0.15, no audio) is superseded. Lite has no 4k. Veo 3.0 and 2.0
# (retired 2026-06-30) keep their last prices: $0.40, fast $0.15, Veo 2 $0.35 (720p only).
RATES_PER_SECOND: dict[str, dict[str, float]] = {
    "gemini-3.1": {"720p": 0.40, "1080p": 0.40, "4k": 0.60},
    "gemini-3.1-fast": {"720p": 0.10, "1080p": 0.12, "4k": 0.30},
    "gemini-3.1-lite": {"720p": 0.05, "1080p": 0.08},
    "gemini-3.0": {"720p": 0.40, "1080p": 0.40},
    "gemini-3.0-fast": {"720p": 0.15, "1080p": 0.15},
    "gemini-2.0": {"720p": 0.35},
}


# Gemini Omni on the Interactions API, USD per second of clip (audio always made) by resolution.
# 1.1: the per-second tiers third parties quote from Google's pricing page (reAPI, Lumenfall,
# 2026-09 to 2026-11: $17.50 per million video tokens, ~5,792 tokens a second at 720p); Google's
# own page was not in reach here, so they are estimates. 1.2: "30 percent cheaper" than 1.1
# (one secondary source, 2026-11): 0.7 x the 1.1 tiers, an estimate.
OMNI_RATES_PER_SECOND: dict[str, dict[str, float]] = {
    "omni-1.1": {"360p": 0.03, "720p": 0.10, "1080p": 0.15, "4k": 0.30},
    "omni-1.2": {"360p": 0.021, "720p": 0.07, "1080p": 0.105, "4k": 0.21},
}
OMNI_PRICE_SOURCE = (
    "estimate: per-second tiers quoted from Google's pricing page by reAPI and Lumenfall "
    "(2026-09 to 2026-11); 1.2 = 0.7 x 1.1 ('30 percent cheaper', 2026-11); Google's own page "
    "not read"
)
RATES_PER_SECOND.update(OMNI_RATES_PER_SECOND)
# Clip lengths (s): 1.1 3-10 (Google's model card), 1.2 3-15 (Google Cloud's page, 2026-11).
OMNI_SECONDS = {"1.1": tuple(range(3, 11)), "1.2": tuple(range(3, 16)), "1.0": tuple(range(3, 11))}
OMNI_DEFAULT_SECONDS = 8  # always sent, so the bill matches the estimate (Google's own is 10 s)
OMNI_RESOLUTIONS = ("360p", "720p", "1080p", "4k")


class Retirement(NamedTuple):
    """When Google stopped serving a model on the Gemini API, and what it names instead."""

    date: str
    replacement: str
    source: str


_OMNI = Retirement(
    "2026-10-22",
    "gemini-omni-1.1-flash (Interactions API)",
    "ai.google.dev/gemini-api/docs/deprecations; apiyi notices 2026-10-25 and 2026-11-09",
)
_VEO3 = Retirement(
    "2026-06-30",
    "Veo 3.1",
    "ai.google.dev/gemini-api/docs/deprecations; Gemini API changelog 2026-06-15",
)
# Google ids retired on the Gemini API. Relays and Vertex (the -001 ids of 3.1) may still serve
# the model, so the names stay usable: a retirement is a note, and an answer to recognise.
RETIRED: dict[str, Retirement] = {
    "gemini-omni-flash-preview": Retirement(
        "2026-09-30", "gemini-omni-1.2-flash", "Gemini API changelog; deprecations page"
    ),
    "veo-3.1-generate-preview": _OMNI,
    "veo-3.1-fast-generate-preview": _OMNI,
    "veo-3.1-lite-generate-preview": _OMNI,
    "veo-3.0-generate-001": _VEO3,
    "veo-3.0-fast-generate-001": _VEO3,
    "veo-2.0-generate-001": _VEO3,
}

# Veo on Vertex AI (GOOGLE.md, "Vertex AI Veo 3.1"): 3.1 and 3.1 Fast GA, Lite in preview.
VERTEX_IDS = ("veo-3.1-generate-001", "veo-3.1-fast-generate-001", "veo-3.1-lite-generate-001")

# The names a model picker offers (seeds 001-004 and PROTOCOLS.md 1.4, 3).
_CATALOG_NAMES = (
    # apiyi (seed 001)
    "veo-3.1",
    "veo-3.1-fl",
    "veo-3.1-fast",
    "veo-3.1-fast-fl",
    "veo-3.1-landscape",
    "veo-3.1-landscape-fl",
    "veo-3.1-landscape-fast",
    "veo-3.1-landscape-fast-fl",
    # underscore spelling (seeds 002, 004)
    "veo_3_1",
    "veo_3_1-fast",
    "veo_3_1-portrait",
    "veo_3_1-landscape",
    "veo_3_1-landscape-fast",
    "veo_3_1-4K",
    "veo_3_1-fast-4K",
    "veo_3_1-components",
    "veo_3_1-components-4K",
    "veo_3_1-fast-components-4K",
    # unified format (vectorengine, seed 002)
    "veo3.1",
    "veo3.1-fast",
    "veo3.1-pro",
    "veo3.1-4k",
    "veo3.1-pro-4k",
    "veo3.1-components",
    "veo3.1-fast-components",
    "veo3.1-components-4k",
    "veo3",
    "veo3-fast",
    "veo3-pro",
    "veo3-frames",
    "veo3-fast-frames",
    "veo3-pro-frames",
    "veo2",
    "veo2-fast",
    "veo2-pro",
    "veo2-fast-frames",
    "veo2-fast-components",
    "veo2-pro-components",
    "jimeng-video-3.0",
    "sora-2",
    "sora-2-pro",
    # Google ids (Gemini API; apiyi's official route on /v1/videos)
    "veo-3.1-generate-preview",
    "veo-3.1-fast-generate-preview",
    "veo-3.1-lite-generate-preview",
    "veo-3.0-generate-001",
    "veo-3.0-fast-generate-001",
    "veo-2.0-generate-001",
    # Vertex AI's GA Veo 3.1 ids (Lite is in preview there); the same rates as the Gemini API's
    *VERTEX_IDS,
    # Gemini Omni on Google's Interactions API (protocol interactions)
    "gemini-omni-1.2-flash",
    "gemini-omni-1.1-flash",
    # Gemini Omni as relays sell it on /v1/videos, under their own names (GOOGLE.md: octopusx,
    # 12ai, gaorui, apimart, jimmyai, toapis docs)
    "omni-fast",
    "omni_flash_8s",
    "omni_flash_10s",
    "Omni-Flash-Ext",
    "gemini_omni",
)
_EXAMPLES = (
    "veo-3.1",
    "veo-3.1-fast",
    "veo_3_1",
    "veo3.1",
    "veo3.1-components",
    "veo3",
    "veo2",
    "jimeng-video-3.0",
    "sora-2",
    "sora-2-pro",
    "veo-3.1-generate-preview",
    "gemini-omni-1.2-flash",
)


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A model name, read: what it is, which images it takes, how to re-spell it, its price.

    Build one with ``parse_model``; the defaults describe a conservative explicit name.
    """

    name: str  # as the user gave it
    family: str = "veo3.1"  # one of FAMILIES
    version: str = "3.1"
    spelling: str = ""  # the base as written ("veo-3.1", "veo_3_1", "veo3.1"); "" if not composable
    style: str = "vendor"  # dash | underscore | compact | relay | google | vendor
    suffixes: tuple[str, ...] = ()  # suffix tokens as written: ("landscape", "fast")
    tier: str = "standard"  # standard | fast | pro | lite
    frames: bool = False  # the name says -fl / -frames
    components: bool = False  # the name says -components: 1-3 reference images
    four_k: bool = False
    orientation: Orientation | None = None  # fixed by the name
    explicit: bool = True  # sent exactly as given; keywords cannot re-spell it
    roles: tuple[str, ...] = ("first_frame",)  # image roles this exact name accepts
    max_images: int = 1
    seconds_allowed: tuple[tuple[str, tuple[int, ...]], ...] = ()  # (protocol, seconds) pairs
    default_seconds: int = 8
    orientations: tuple[Orientation, ...] = ORIENTATIONS
    aspect_ratios: tuple[str, ...] = VEO_RATIOS
    audio: bool = True
    price_key: str = "veo3.1"  # the price class: family, tier, 4k
    price_usd: float = 0.25  # per clip of default_seconds (at 720p), overrides applied
    per_second: bool = False  # billed by the second: a longer clip costs proportionally more
    priced: bool = True  # False: a relay's own name; price_usd is only the budget's stand-in
    rates: tuple[tuple[str, float], ...] = ()  # Google's USD per second by resolution, if priced so
    resolutions: tuple[str, ...] = ("720p",)  # what the model makes (4k: by a 4K name on relays)
    extends: bool = False  # continues a clip by 7 s (Google's Veo 3.1 and 3.1 Fast)
    retired: Retirement | None = None  # gone from the Gemini API (see RETIRED)

    @property
    def fast(self) -> bool:
        """The quicker, cheaper tier."""
        return self.tier == "fast"

    @property
    def pro(self) -> bool:
        """The higher-quality tier."""
        return self.tier == "pro"

    def allowed_seconds(self, protocol: str) -> tuple[int, ...]:
        """Clip lengths this model offers on ``protocol``."""
        return dict(self.seconds_allowed).get(protocol, (self.default_seconds,))

    def takes(self, role: str) -> bool:
        """Whether this exact name accepts an image in ``role``."""
        return role in self.roles

    def clip_price(self, seconds: int | None = None, resolution: str | None = None) -> float:
        """Estimated USD for one clip of ``seconds`` (default length when None) at ``resolution``
        (720p when None; it matters only for a model priced by resolution)."""
        rate = dict(self.rates).get(resolution or "720p")
        if rate is not None:
            return round(rate * (seconds or self.default_seconds), 4)
        if not self.per_second or not seconds:
            return self.price_usd
        return round(self.price_usd * seconds / self.default_seconds, 4)

    @property
    def price_label(self) -> str:
        """``$0.25/clip``, or Google's rates: ``$0.10/s 720p · $0.12/s 1080p · $0.30/s 4k``; a
        relay's own name (``relay_only``) has none we know."""
        if not self.priced:
            return "price unknown"
        if self.rates:
            if self.family != "omni":
                return " · ".join(f"${usd:.2f}/s {res}" for res, usd in self.rates)
            label = " · ".join(f"${_cents(usd)}/s {res}" for res, usd in self.rates)
            return f"{label} (estimate)"
        return f"${self.price_usd:.2f}/clip"

    @property
    def summary(self) -> str:
        """One line for a model picker: ``Veo 3.1 · fast · landscape · first+last frame · 8 s``."""
        parts = [_FAMILY_LABELS.get(self.family, self.family)]
        if self.family == "gemini":
            where = "Vertex AI" if self.name.lower() in VERTEX_IDS else "Gemini API"
            parts[0] = f"Veo {self.version} ({where})"
        if self.family == "omni":
            return self._omni_summary()
        parts += [self.tier] if self.tier != "standard" else []
        parts += ["4K"] if self.four_k else []
        parts.append(self.orientation or "portrait/landscape")
        if self.family == "gemini":
            parts.append("/".join(self.resolutions) or "720p")
        parts.append(_images_label(self.roles, self.max_images))
        parts.append("audio" if self.audio else "no audio")
        tasks, chat = self.allowed_seconds("videos"), self.allowed_seconds("chat")
        lengths = "/".join(map(str, tasks)) + " s"
        if chat == tasks or self.family == "gemini":  # a Google id is not sent over chat
            parts.append(lengths)
        else:
            parts.append(f"{lengths} (chat: {'/'.join(map(str, chat))} s)")
        return " · ".join(parts)

    def _omni_summary(self) -> str:
        google = self.style == "google"
        parts = [
            f"Gemini Omni {self.version} (Interactions API)" if google else "Gemini Omni (relay)",
            self.orientation or "portrait/landscape",
            "/".join(self.resolutions),
            _images_label(self.roles, self.max_images),
            "audio always",
            "one video a turn, no negative prompt",
        ]
        lengths = self.allowed_seconds("interactions" if google else "videos")
        parts.append(f"{lengths[0]}-{lengths[-1]} s" if len(lengths) > 1 else f"{lengths[0]} s")
        return " · ".join(parts)


def _cents(usd: float) -> str:
    """``0.10`` -> ``0.10``, ``0.105`` -> ``0.105``: two decimals, three where they count."""
    text = f"{usd:.3f}"
    return text[:-1] if text.endswith("0") else text


_FAMILY_LABELS = {
    "veo3.1": "Veo 3.1",
    "veo3": "Veo 3",
    "veo2": "Veo 2",
    "jimeng": "Jimeng",
    "sora": "Sora 2",
}


def _images_label(roles: tuple[str, ...], max_images: int) -> str:
    frames = "first+last frame" if "last_frame" in roles else "first frame"
    if "reference" in roles and "first_frame" in roles:
        return f"{frames} or 1-{max_images} references"
    if "reference" in roles:
        return f"1-{max_images} references"
    return frames if "first_frame" in roles else "text only"


# -- reading a name ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Name:
    """A name split into its parts, before capabilities and prices are looked up."""

    text: str
    family: str
    version: str
    spelling: str = ""
    style: str = "vendor"
    suffixes: tuple[str, ...] = ()
    tier: str = "standard"
    frames: bool = False
    components: bool = False
    four_k: bool = False
    orientation: Orientation | None = None
    relay_mode: str | None = None  # glin's t2v / i2v
    unknown: tuple[str, ...] = ()  # suffixes we could not read

    @property
    def explicit(self) -> bool:
        return (
            self.style in ("relay", "google", "vendor")
            or self.orientation is not None
            or bool(self.unknown)
        )

    @property
    def price_key(self) -> str:
        base = {
            "gemini": f"gemini-{self.version}",
            "sora": "sora-2",
            "omni": f"omni-{self.version}" if self.style == "google" else "omni",
        }.get(self.family, self.family)
        tier = "" if self.tier == "standard" else f"-{self.tier}"
        return base + tier + ("-4k" if self.four_k else "")


_OMNI_ID = re.compile(r"^gemini-omni-(?:(?P<version>\d\.\d)-)?flash(?:-preview)?$", re.I)
# Relays' own Omni names: omni-fast, omni_flash_10s, Omni-Flash-Ext, gemini_omni, omni-fast-v2v.
_OMNI_RELAY = re.compile(r"^(?:gemini[-_])?omni(?:$|[-_])", re.I)
_OMNI_FIXED = re.compile(r"[-_](\d{1,2})s(?:$|[-_])", re.I)  # omni_flash_10s: always 10 s
_GOOGLE = re.compile(r"^veo-(?P<version>\d\.\d)-(?:(?P<tier>fast|lite)-)?generate\b", re.I)
# "veo3.1pro" has minor 1; "veo3-4k" has none: a minor after - or _ must end the token.
_VEO = re.compile(
    r"^(?P<base>veo(?P<sep>[-_]?)(?P<major>\d)(?:\.(?P<minor>\d)|[_-](?P<minor2>\d)(?![0-9a-z]))?)"
    r"(?P<rest>.*)$",
    re.I,
)
_VEO_FAMILIES = {
    ("3", "1"): "veo3.1",
    ("3", None): "veo3",
    ("3", "0"): "veo3",
    ("2", None): "veo2",
    ("2", "0"): "veo2",
}
_GOOGLE_VERSIONS = {"3.1": "veo3.1", "3.0": "veo3", "2.0": "veo2"}  # Google id version -> family
_TOKEN_KINDS = {
    "portrait": "orientation",
    "landscape": "orientation",
    "fast": "tier",
    "pro": "tier",
    "lite": "tier",
    "fl": "frames",
    "frames": "frames",
    "components": "components",
    "4k": "4k",
    "t2v": "mode",
    "i2v": "mode",
    "s": "mode",
}


def _kind(token: str) -> str:
    return _TOKEN_KINDS.get(token.lower(), "unknown")


def _read(name: object, *, field: str) -> _Name:
    """Split ``name`` into family, spelling and suffixes, or raise naming the known families."""
    if not isinstance(name, str) or not name.strip():
        raise _unknown_model(name, field)
    text = name.strip()
    if m := _OMNI_ID.match(text):
        return _Name(text, "omni", m["version"] or "1.0", style="google")
    if _OMNI_RELAY.match(text):
        return _Name(text, "omni", "1.2", style="relay")
    if m := _GOOGLE.match(text):
        if m["version"] not in _GOOGLE_VERSIONS:
            raise _unknown_model(text, field)
        return _Name(
            text, "gemini", m["version"], style="google", tier=(m["tier"] or "standard").lower()
        )
    if re.match(r"^sora(?:$|[-_])", text, re.I):
        tokens = re.split(r"[-_]", text.lower())
        return _Name(text, "sora", "2", tier="pro" if "pro" in tokens else "standard")
    if re.match(r"^jimeng(?:$|[-_])", text, re.I):
        version = re.search(r"\d+(?:\.\d+)?", text)
        return _Name(text, "jimeng", version[0] if version else "3.0")
    m = _VEO.match(text)
    family = _VEO_FAMILIES.get((m["major"], m["minor"] or m["minor2"])) if m else None
    if m is None or family is None:
        raise _unknown_model(text, field)
    return _read_veo_suffixes(text, family, m)


def _read_veo_suffixes(text: str, family: str, m: re.Match[str]) -> _Name:
    rest = m["rest"]
    style = {"-": "dash", "_": "underscore", "": "compact"}[m["sep"]]
    if rest.startswith("_"):  # glin: veo_3_1_t2v_fast_landscape
        style = "relay"
    elif rest and not rest.startswith("-"):  # veo3.1pro: not a suffix we can split
        return _Name(text, family, _version(family), m["base"], style, unknown=(rest,))
    suffixes = tuple(t for t in re.split(r"[-_]+", rest) if t)
    kinds = [_kind(t) for t in suffixes]
    seen: dict[str, str] = {}
    unknown: list[str] = []
    for token, kind in zip(suffixes, kinds, strict=True):
        if kind == "unknown" or (kind in seen and kind != "mode"):
            unknown.append(token)  # an odd or repeated suffix: keep the name, trust it less
        seen.setdefault(kind, token.lower())
    return _Name(
        text,
        family,
        _version(family),
        m["base"],
        style,
        suffixes,
        tier=seen.get("tier", "standard"),
        frames="frames" in seen,
        components="components" in seen,
        four_k="4k" in seen,
        orientation=seen.get("orientation"),  # type: ignore[arg-type]
        relay_mode=seen.get("mode") if seen.get("mode") in ("t2v", "i2v") else None,
        unknown=tuple(unknown),
    )


def _version(family: str) -> str:
    return {"veo3.1": "3.1", "veo3": "3.0", "veo2": "2.0"}[family]


def _unknown_model(name: object, field: str) -> VeoInputError:
    hint = (
        f"known: {', '.join(_EXAMPLES)} — a full relay model name such as veo_3_1-landscape-fast "
        "is sent as given, if it starts with one of these families"
    )
    if field != "model":  # a name inside another setting (VEO_PRICES): that setting is at fault
        return VeoInputError(
            field, None, f"names an unknown model {shown(name)}", FAMILIES, hint=hint
        )
    known = isinstance(name, str)
    problem = "is not a model veo_magic knows" if known else "is not a model name"
    return VeoInputError("model", name, problem, FAMILIES, hint=hint)


# -- capabilities --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Facts:
    seconds: tuple[int, ...]  # on the task protocols; chat has no length field
    default_seconds: int
    audio: bool
    aspect_ratios: tuple[str, ...]
    per_second: bool = False


_FACTS = {
    "veo3.1": _Facts((4, 6, 8), 8, True, VEO_RATIOS),
    "veo3": _Facts((4, 6, 8), 8, True, VEO_RATIOS),
    "veo2": _Facts((5, 6, 7, 8), 8, False, VEO_RATIOS),
    "jimeng": _Facts((5, 10), 5, False, JIMENG_RATIOS),
    "sora": _Facts((4, 8, 12), 4, True, VEO_RATIOS, per_second=True),
}


def _facts(r: _Name) -> _Facts:
    if r.family == "omni":
        fixed = _OMNI_FIXED.search(r.text) if r.style == "relay" else None
        if fixed:
            return _Facts((int(fixed[1]),), int(fixed[1]), True, VEO_RATIOS, True)
        lengths = OMNI_SECONDS.get(r.version, OMNI_SECONDS["1.1"])
        if r.style == "relay":
            lengths = OMNI_SECONDS["1.1"]  # what every Omni sells: a relay may map to 1.1
        return _Facts(lengths, OMNI_DEFAULT_SECONDS, True, VEO_RATIOS, True)
    if r.family == "gemini":
        base = _FACTS[_GOOGLE_VERSIONS[r.version]]
        return _Facts(base.seconds, base.default_seconds, base.audio, base.aspect_ratios, True)
    return _FACTS[r.family]


def _image_roles(r: _Name) -> tuple[tuple[str, ...], int]:
    """Which images this exact name takes (PROTOCOLS.md 1.4, seed 002), and how many at most."""
    first, both = ("first_frame",), ("first_frame", "last_frame")
    if r.components:
        return ("reference",), 3
    if r.family == "omni":  # Google's: text, first frame, first + last, or references
        return (ROLES, 3) if r.style == "google" else (first, 1)
    if r.family == "gemini":  # referenceImages on 3.1 and 3.1 Fast, not Lite (Google's table)
        if r.version == "3.1":
            return (both, 2) if r.tier == "lite" else (ROLES, 3)
        return {"2.0": (both, 2)}.get(r.version, (first, 1))
    if r.relay_mode == "t2v":
        return (), 0
    if r.family == "veo3.1" and r.style == "compact" and not r.unknown:
        return both, 2  # vectorengine's veo3.1 is "adaptive": text, first, or first+last
    if (
        r.frames
        and not (r.family == "veo3" and r.tier == "pro")
        and not (r.family == "veo2" and r.tier != "fast")
    ):
        return both, 2  # veo3-pro-frames takes one image; of veo2 only veo2-fast-frames takes two
    return first, 1


def _resolutions(r: _Name) -> tuple[str, ...]:
    """What the model makes: Google's table for its ids; a relay name makes 720p, or 4K if it
    says so (relays sell no 1080p name; ``resolution_routes`` adds the videos parameter)."""
    if r.family == "gemini":
        return tuple(RATES_PER_SECOND.get(r.price_key, {"720p": 0.0}))
    if r.family == "omni":
        return OMNI_RESOLUTIONS
    return ("4k",) if r.four_k else ("720p",)


def _spec(r: _Name) -> ModelSpec:
    facts = _facts(r)
    roles, max_images = _image_roles(r)
    overridden = _override(r.price_key, r.family)
    rates = RATES_PER_SECOND.get(r.price_key, {}) if overridden is None else {}
    if r.family == "omni" and r.style == "relay" and overridden is None:
        rates = {}  # a relay's own price: unknown; the budget counts 1.1's 720p rate
    # The chat body and the unified create body (PROTOCOLS.md §1.1, §1.3) have no length field:
    # there a clip is always the model's default length, so nothing else may be asked (or billed).
    fixed = (facts.default_seconds,)
    seconds = tuple(
        (p, fixed if p in ("chat", "create") else facts.seconds) for p in PROTOCOL_NAMES
    )
    return ModelSpec(
        name=r.text,
        family=r.family,
        version=r.version,
        spelling=r.spelling,
        style=r.style,
        suffixes=r.suffixes,
        tier=r.tier,
        frames=r.frames,
        components=r.components,
        four_k=r.four_k,
        orientation=r.orientation,
        explicit=r.explicit,
        roles=roles,
        max_images=max_images,
        seconds_allowed=seconds,
        default_seconds=facts.default_seconds,
        orientations=(r.orientation,) if r.orientation else ORIENTATIONS,
        aspect_ratios=facts.aspect_ratios,
        audio=facts.audio,
        price_key=r.price_key,
        price_usd=(
            round(rates["720p"] * facts.default_seconds, 4)
            if rates
            else _price(r.price_key, r.family)
        ),
        priced=not (r.family == "omni" and r.style == "relay" and overridden is None),
        per_second=facts.per_second,
        rates=tuple(rates.items()),
        resolutions=_resolutions(r),
        extends=r.family == "gemini" and r.version == "3.1" and r.tier != "lite",
        retired=RETIRED.get(r.text.lower()) if r.family in ("gemini", "omni") else None,
    )


def parse_model(name: str) -> ModelSpec:
    """Read a model name in any relay spelling, or raise ``VeoInputError`` (field ``model``).

    >>> parse_model("veo_3_1-landscape-fast").orientation
    'landscape'
    """
    if not isinstance(name, str):
        return _spec(_read(name, field="model"))  # raises, naming what is known
    return _parsed_model(name, raw(PRICES), tuple(_overrides.items()))


@lru_cache(maxsize=256)
def _parsed_model(
    name: str, _env_prices: str | None, _set_prices: tuple[tuple[str, float], ...]
) -> ModelSpec:
    # Keyed by the price state too: a cell asks for its model's spec a dozen times, and a
    # set_price or a new VEO_PRICES must still show at once. Errors are not cached.
    return _spec(_read(name, field="model"))


@lru_cache(maxsize=1024)
def readable(name: str) -> bool:
    """Whether ``name`` is a model name the catalog reads (a relay's list is mostly chat models,
    asked about on every submission: each name is read once)."""
    try:
        _read(name, field="model")
    except VeoInputError:
        return False
    return True


def known_models() -> list[ModelSpec]:
    """The models a picker offers, with current prices."""
    return [parse_model(name) for name in _CATALOG_NAMES]


catalog = known_models


def relay_only(name: str) -> ModelSpec:
    """A name the relay lists that the catalog does not know (an admin's ``video-hq``): sent as
    given, read as a plain Veo 3.1 model (text or a first frame), its price unknown. The budget
    counts it at Veo 3.1's price, the likeliest thing behind such a name."""
    base = parse_model("veo-3.1")
    return dataclasses.replace(
        base, name=name, spelling="", style="vendor", suffixes=(), explicit=True, priced=False
    )


# -- writing a name ------------------------------------------------------------------------------


def compose(
    spec: ModelSpec,
    protocol: str,
    orientation: str | None = None,
    fast: bool = False,
    has_last_frame: bool = False,
    has_references: bool = False,
    four_k: bool = False,
) -> str:
    """The model name to send for this request (rules in the module docstring); ``four_k`` adds
    the 4K suffix where the spelling has one (``veo_3_1-4K``, ``veo3.1-4k``).

    >>> compose(parse_model("veo-3.1"), "chat", "landscape", True, True, False)
    'veo-3.1-landscape-fast-fl'
    """
    if spec.explicit or not spec.spelling:
        return spec.name
    if protocol in PROTOCOLS_TO_GOOGLE:
        return _google_id(spec, fast, vertex=protocol == "vertex")
    written = {_kind(t): t for t in reversed(spec.suffixes)}  # the user's spelling of each suffix
    landscape = orientation == "landscape" and (
        protocol == "chat" or (protocol == "videos" and spec.style == "dash")
    )
    components = has_references and protocol in ("videos", "create") and _has_components(spec)
    tokens = _join_tokens(
        written,
        orientation="landscape" if landscape else None,
        tier="fast" if fast else None,
        components=components,
        frames=_frames_token(spec) if has_last_frame else None,
        four_k=_four_k_token(spec) if four_k else None,
    )
    if sorted(t.lower() for t in tokens) == sorted(t.lower() for t in spec.suffixes):
        return spec.name  # nothing added: keep the user's exact text and order
    return spec.spelling + "".join(f"-{t}" for t in tokens)


def respell(
    spec: ModelSpec, *, fast: bool = False, last_frame: bool = False, references: bool = False
) -> str | None:
    """A variant of ``spec`` (even an explicit one) with a feature added, for error hints.

    ``respell(parse_model("veo-3.1-landscape"), last_frame=True)`` is ``'veo-3.1-landscape-fl'``;
    None where the dialect has no such variant.
    """
    if spec.family == "gemini":
        alias = _alias(spec.name, _GOOGLE_VERSIONS[spec.version], spec.tier)
        return _google_id(alias, fast) if fast and spec.version != "2.0" else None
    if not spec.spelling or spec.style == "relay":
        return None
    written = {_kind(t): t for t in reversed(spec.suffixes)}
    tokens = _join_tokens(
        written,
        orientation=written.get("orientation"),
        tier="fast" if fast else None,
        components=references and _has_components(spec),
        frames=_frames_token(spec) if last_frame else None,
    )
    return spec.spelling + "".join(f"-{t}" for t in tokens)


def _join_tokens(
    written: dict[str, str],
    *,
    orientation: str | None,
    tier: str | None,
    components: bool,
    frames: str | None,
    four_k: str | None = None,
) -> list[str]:
    """Suffixes in the order every documented name uses: orientation, tier, components, frames, 4k."""
    slots = [
        written.get("orientation") or orientation,
        written.get("tier") or tier,
        written.get("components") or ("components" if components else None),
        written.get("frames") or frames,
        written.get("4k") or four_k,
    ]
    return [t for t in slots if t]


def _has_components(spec: ModelSpec) -> bool:
    # Documented: veo3.1-components in every spelling, veo2-fast-/veo2-pro-components.
    return spec.family == "veo3.1" or (spec.family == "veo2" and spec.tier in ("fast", "pro"))


def _four_k_token(spec: ModelSpec) -> str | None:
    """The 4K suffix of this spelling (seed 002): ``-4K`` after underscores, ``-4k`` compact."""
    if spec.family != "veo3.1":
        return None
    return {"underscore": "4K", "compact": "4k"}.get(spec.style)


def resolution_routes(spec: ModelSpec, protocol: str) -> tuple[str, ...]:
    """The resolutions a request for ``spec`` can ask for on ``protocol``.

    gemini: what Google makes of the id (or of the id an alias maps to). videos: what the model
    makes, carried as a parameter (gateways forward it to Google) and, for 4k, by the 4K name
    where the spelling has one. chat and create carry no resolution field: 720p (what relays make)
    and, through a 4K name, 4k.

    >>> resolution_routes(parse_model("veo_3_1"), "chat")
    ('720p', '4k')
    """
    if spec.four_k:  # the name says 4K: nothing else can be asked of it
        return ("4k",)
    if spec.family == "omni":  # a response_format field on interactions, a parameter on videos
        return spec.resolutions if protocol in ("interactions", "videos") else ()
    if protocol in PROTOCOLS_TO_GOOGLE or spec.family == "gemini":
        target = spec if spec.family == "gemini" else _gemini_spec(spec)
        if target is None or target.version == "2.0":
            return ()  # Veo 2 takes no resolution parameter (it makes 720p)
        return target.resolutions
    if spec.family not in ("veo3.1", "veo3"):
        return ()  # Veo 2, Sora, Jimeng: one resolution, not chosen
    if protocol == "videos":
        return ("720p", "1080p", "4k") if spec.family == "veo3.1" else ("720p", "1080p")
    four_k = not spec.explicit and _four_k_token(spec) is not None
    return ("720p", "4k") if four_k else ("720p",)


class ModelChoices(NamedTuple):
    """What a request for one model on one protocol can ask for: what a form offers."""

    fast: bool  # the fast tier can be added
    last_frame: bool
    references: bool
    resolutions: tuple[str, ...]  # beyond the model's default (720p) when more than one
    seconds: tuple[int, ...]
    negative_prompt: bool = True  # Gemini Omni has no field for one
    max_clips: int = 4  # clips one request may ask for (Omni: one a turn)


def choices_for(spec: ModelSpec, protocol: str) -> ModelChoices:
    """The options ``spec`` takes on ``protocol``, counting the variants an alias grows into.

    >>> choices_for(parse_model("veo-3.1-lite-generate-preview"), "gemini").references
    False
    """

    def grown(**variant: bool) -> ModelSpec:
        if spec.explicit or not spec.spelling:
            return spec
        return parse_model(compose(spec, protocol, **variant))

    return ModelChoices(
        fast=spec.tier == "fast" or (spec.tier == "standard" and grown(fast=True).fast),
        last_frame=grown(has_last_frame=True).takes("last_frame"),
        references=grown(has_references=True).takes("reference"),
        resolutions=resolution_routes(spec, protocol),
        seconds=spec.allowed_seconds(protocol),
        negative_prompt=spec.family != "omni",
        max_clips=1 if spec.family == "omni" else 4,
    )


def _gemini_spec(spec: ModelSpec) -> ModelSpec | None:
    """The Google id an alias maps to on the gemini protocol, parsed (None: it maps to none)."""
    if spec.family not in _GOOGLE_VERSIONS.values():
        return None
    return parse_model(_google_id(_alias(spec.name, spec.family, spec.tier), False))


def _alias(name: str, family: str, tier: str) -> ModelSpec:
    """A bare alias of ``family`` at ``tier``, to compose a Google id from."""
    return ModelSpec(
        name,
        family=family,
        version=_version(family),
        spelling="veo",
        style="compact",
        tier=tier,
        explicit=False,
    )


def retired_message(said: str, model: str) -> str | None:
    """What a job ended by a model's retirement should say, or None if ``said`` is not that.

    Google answers a retired model with HTTP 404 "... is no longer available"; a relay passes it
    on inside its own error (apiyi: ``fail_to_fetch_task``). Nothing can be retried or resumed:
    the message names the retirement and what to use instead.
    """
    text = said.lower()
    if "is no longer available" not in text or not ("404" in text or "model" in text):
        return None
    known = RETIRED.get(model.strip().lower()) if model else None
    quoted = said.strip()
    if len(quoted) > 300:
        quoted = quoted[:299] + "…"
    if known is not None:
        what = (
            f"Google retired {model} on the Gemini API on {known.date}; it names "
            f"{known.replacement} instead"
        )
    else:
        what = (
            f"the model behind {model or 'this request'} is no longer served (Google retired the "
            "Veo 3.1 preview models on the Gemini API on 2026-10-22)"
        )
    return (
        f"{what[0].upper()}{what[1:]}. The answer was: {quoted!r}. Nothing is left to retry or "
        "resume: pick a model that is still served (`models` lists the catalog), Veo 3.1 on "
        "Vertex AI (veo-3.1-generate-001), or a relay that still serves Veo 3.1."
    )


def _frames_token(spec: ModelSpec) -> str | None:
    if spec.style in ("dash", "underscore"):
        return "fl"  # apiyi, seed 004
    return None if spec.family == "veo3.1" else "frames"  # vectorengine: veo3.1 is adaptive


def _google_id(spec: ModelSpec, fast: bool, *, vertex: bool = False) -> str:
    version = _version(spec.family) if spec.family != "gemini" else spec.version
    tier = spec.tier if spec.tier in ("fast", "lite") else ("fast" if fast else "")
    if version == "2.0":
        tier = ""  # Google has no fast Veo 2; build() reports the mismatch
    # Veo 3.1 went GA on Vertex AI as -001; the Gemini API only ever had the (retired) previews.
    tail = "preview" if version == "3.1" and not vertex else "001"
    return f"veo-{version}-{tier + '-' if tier else ''}generate-{tail}"


# -- prices --------------------------------------------------------------------------------------

_overrides: dict[str, float] = {}


def set_price(name_or_family: str, usd: float) -> None:
    """Override a price (USD per clip): a model name sets its price class, a family name all of it."""
    _overrides[_price_target(name_or_family, field="name_or_family")] = USD_PER_CLIP.check(
        "usd", usd
    )


def reset_prices() -> None:
    """Forget every ``set_price`` override (``VEO_PRICES`` still applies)."""
    _overrides.clear()


def _price_target(key: object, *, field: str) -> str:
    if isinstance(key, str) and key.strip().lower() in FAMILIES:
        return f"family:{key.strip().lower()}"
    return _read(key, field=field).price_key


def _env_prices() -> dict[str, float]:
    return dict(_price_keys(read(PRICES)))


@lru_cache(maxsize=8)
def _price_keys(prices: tuple[tuple[str, float], ...]) -> tuple[tuple[str, float], ...]:
    """``VEO_PRICES`` (already read as name -> USD) keyed by price class."""
    return tuple((_price_target(name, field=PRICES.name), usd) for name, usd in prices)


def _override(key: str, family: str) -> float | None:
    """The USD per clip set for a price class (set_price, then VEO_PRICES), if any."""
    tables = (_overrides, _env_prices())
    for table in tables:
        if key in table:
            return table[key]
    if key.endswith("-4k"):  # unless priced itself, 4K costs a multiple of its tier (overrides too)
        tier = _override(key[: -len("-4k")], family)
        return None if tier is None else round(tier * FOUR_K_FACTOR, 4)
    for table in tables:
        if f"family:{family}" in table:
            return table[f"family:{family}"]
    return None


def _price(key: str, family: str) -> float:
    """USD per clip for a price class: set_price, then VEO_PRICES, then DEFAULT_PRICES."""
    overridden = _override(key, family)
    if overridden is not None:
        return overridden
    if key.endswith("-4k"):
        return round(_default_price(key[: -len("-4k")]) * FOUR_K_FACTOR, 4)
    return _default_price(key)


def _default_price(key: str) -> float:
    if key in DEFAULT_PRICES:
        return DEFAULT_PRICES[key]
    base = key.rsplit("-", 1)[0]  # an unpriced tier (lite, veo2-lite): the standard price
    return DEFAULT_PRICES.get(base, DEFAULT_PRICES["veo3.1"])
