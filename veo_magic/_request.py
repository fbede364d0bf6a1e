"""VideoRequest: one normalised, validated request.

``VideoRequest.build`` checks every keyword against the model on the chosen protocol and raises
``VeoInputError`` (naming the field, the value and what is allowed) before anything is sent, so
no money is spent on a request the relay would refuse or misread.

Decisions (beyond the catalog's wire-name rules):

- An alias grows the variant the keywords need (``veo-3.1`` + a last frame -> ``veo-3.1-fl``); an
  explicit name that cannot do what is asked is an error that suggests the variant that can.
- References on the ``chat`` protocol need a model whose name already says ``components``: the
  chat dialect documents only first and last frames (seed 004), so an alias with references there
  is refused with a pointer to ``videos``/``create``, where ``-components`` is added for you.
- ``resolution`` is a Gemini parameter, refused on other protocols. ``person_generation`` is kept
  in ``options`` for the adapters whose dialect has a place for it (gemini, videos metadata).
- On ``gemini`` (Google's API, PROTOCOLS.md §3): the default shape is Google's, 16:9 landscape; a
  pixel ``size`` must be one Veo makes (1280x720, 1920x1080 or their portraits) and sets
  ``resolution``; images are sent inline, so URLs are refused; ``seed`` and the other Vertex-only
  options (``VERTEX_ONLY``) are refused by name, as google-genai refuses them.
- ``extend`` (gemini, Veo 3.1 only) continues a finished clip by 7 s: a ``Job`` made through
  ``gemini`` (its first clip) or the clip's URI. It takes no images and no ``seconds`` and is made
  at 720p; its URI is kept in ``options["extend"]``.
- ``seconds`` takes ints and numeric strings (``"8"``, ``"8s"``: the CLI and magic pass text);
  ``n`` and ``seed`` take ints only (the CLI converts them). Bools are refused everywhere.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any

from ._catalog import (
    PROTOCOL_NAMES,
    ModelSpec,
    Orientation,
    compose,
    known_models,
    parse_model,
    respell,
)
from ._exceptions import VeoInputError
from ._media import ImageInput, load_image

__all__ = [
    "MAX_CLIPS",
    "MAX_PROMPT_CHARS",
    "MAX_REFERENCES",
    "OPTIONS",
    "Orientation",
    "Size",
    "VideoRequest",
    "parse_size",
]

MAX_PROMPT_CHARS = 32000  # OpenAI's /v1/videos limit; relays forward the prompt as is
MAX_CLIPS = 4  # apiyi's maximum n; each clip is billed
MAX_REFERENCES = 3  # Gemini and the -components models
MAX_SEED = 2**32 - 1  # Veo's seed is an unsigned 32-bit integer
EXTENSION_SECONDS = 7  # what one Veo 3.1 extension adds (Google's docs: 7 s, up to 20 times)
RESOLUTIONS = ("720p", "1080p")
PERSON_GENERATION = ("allow_all", "allow_adult", "dont_allow")
ORIENTATION_NAMES: tuple[Orientation, ...] = ("portrait", "landscape")
OPTIONS = (
    "prompt",
    "protocol",
    "model",
    "orientation",
    "landscape",
    "portrait",
    "fast",
    "first_frame",
    "last_frame",
    "references",
    "seconds",
    "size",
    "n",
    "negative_prompt",
    "seed",
    "resolution",
    "person_generation",
    "extend",
)
# Options of Veo on Vertex AI that the Gemini API rejects (google-genai raises for each in
# Gemini-API mode; PROTOCOLS.md §3), with what to do instead.
VERTEX_ONLY = {
    "seed": "Veo on the Gemini API takes no seed; the relay protocols send one",
    "generate_audio": "Veo 3.x always makes audio on the Gemini API",
    "fps": "the Gemini API picks the frame rate",
    "storage_uri": "the Gemini API keeps the clip for you to download",
    "output_gcs_uri": "the Gemini API keeps the clip for you to download",
    "compression_quality": "the Gemini API picks the compression",
    "resize_mode": "the Gemini API has no resize mode",
    "mask": "the Gemini API has no mask editing",
    "labels": "the Gemini API takes no labels",
    "pubsub_topic": "the Gemini API has no Pub/Sub notification",
}
# Names other APIs use for our options: the error says which one was meant.
_SYNONYMS = {
    "duration": "seconds",
    "duration_seconds": "seconds",
    "length": "seconds",
    "aspect_ratio": "size",
    "ratio": "size",
    "image": "first_frame",
    "start_frame": "first_frame",
    "input_reference": "first_frame",
    "end_frame": "last_frame",
    "images": "references",
    "reference_images": "references",
    "reference": "references",
    "negative": "negative_prompt",
    "number_of_videos": "n",
    "count": "n",
    "sample_count": "n",
    "video": "extend",
    "extend_video": "extend",
    "source_video": "extend",
}


@dataclass(frozen=True, slots=True)
class Size:
    """A parsed ``size``: pixels (``1280x720``) or a ratio (``16:9``, ``16x9``)."""

    width: int
    height: int
    pixels: bool

    @property
    def orientation(self) -> Orientation | None:
        """What the shape implies; None for a square."""
        if self.width == self.height:
            return None
        return "landscape" if self.width > self.height else "portrait"

    @property
    def ratio(self) -> str:
        """Reduced ratio, ``16:9``."""
        g = math.gcd(self.width, self.height)
        return f"{self.width // g}:{self.height // g}"


_SIZE = re.compile(r"^\s*(\d{1,5})\s*([x×X:*])\s*(\d{1,5})\s*$")
_SIZE_FORMS = "WxH pixels (1280x720), a W:H ratio (16:9) or a WxH ratio (16x9)"


def parse_size(size: object) -> Size:
    """Read ``1280x720``, ``16:9`` or ``16x9``; a ``WxH`` with both sides ≤ 32 is a ratio."""
    m = _SIZE.match(size) if isinstance(size, str) else None
    if m is None:
        raise VeoInputError(
            f"size {size!r} is not {_SIZE_FORMS}",
            field="size",
            value=size,
            allowed=("1280x720", "720x1280", "16:9", "9:16", "16x9", "9x16"),
        )
    width, sep, height = int(m[1]), m[2], int(m[3])
    if width == 0 or height == 0:
        raise VeoInputError(
            f"size {size!r} has a zero side; give {_SIZE_FORMS}",
            field="size",
            value=size,
            allowed=("1280x720", "720x1280", "16:9", "9:16"),
        )
    if sep == ":" or max(width, height) <= 32:
        return Size(width, height, pixels=False)
    if min(width, height) >= 128 and max(width, height) <= 8192:
        return Size(width, height, pixels=True)
    raise VeoInputError(
        f"size {size!r} is neither a ratio (both sides ≤ 32, like 16x9) nor a pixel size "
        "(each side 128-8192, like 1280x720)",
        field="size",
        value=size,
        allowed=("1280x720", "720x1280", "16:9", "9:16", "16x9"),
    )


@dataclass(frozen=True, slots=True)
class VideoRequest:
    """Everything one job asks the relay for, already checked against the model's capabilities."""

    prompt: str
    protocol: str  # "chat" | "videos" | "create" | "gemini"
    spec: ModelSpec  # the parsed model: capabilities, price, how to spell it on the wire
    orientation: Orientation | None = None  # None: the relay's default (portrait)
    fast: bool = False
    first_frame: ImageInput | None = None
    last_frame: ImageInput | None = None
    references: tuple[ImageInput, ...] = ()
    seconds: int | None = None  # None: the model's default
    size: str | None = (
        None  # as the user gave it ("1280x720", "16:9", "16x9"); None: from orientation
    )
    n: int = 1
    negative_prompt: str | None = None
    seed: int | None = None
    options: dict[str, object] = field(default_factory=dict)  # protocol-specific extras

    @property
    def images(self) -> tuple[ImageInput, ...]:
        """Every image in wire order: first frame, last frame, then references."""
        frames = tuple(i for i in (self.first_frame, self.last_frame) if i is not None)
        return frames + self.references

    @property
    def wire_model(self) -> str:
        """The model name to send on this request's protocol."""
        return compose(
            self.spec,
            self.protocol,
            self.orientation,
            self.fast,
            self.last_frame is not None,
            bool(self.references),
        )

    @property
    def wire_spec(self) -> ModelSpec:
        """The model actually sent (``wire_model``, parsed with current prices)."""
        try:
            return parse_model(self.wire_model)
        except VeoInputError:  # a hand-built spec with a name we cannot read
            return self.spec

    @property
    def estimated_cost(self) -> float:
        """Estimated price in USD for all ``n`` clips."""
        return round(self.wire_spec.clip_price(self.seconds) * self.n, 4)

    @property
    def pixel_size(self) -> tuple[int, int]:
        """(width, height) the clip should have."""
        size = parse_size(self.size) if self.size else None
        if size is not None and size.pixels:
            return size.width, size.height
        if size is not None:
            ratio = (size.width, size.height)
        elif self.orientation is None and self.protocol == "gemini":
            ratio = (16, 9)  # Google's default aspect ratio (the relays default to portrait)
        else:
            ratio = (16, 9) if self.orientation == "landscape" else (9, 16)
        full_hd = self.options.get("resolution") == "1080p"
        short = 2160 if self.wire_spec.four_k else (1080 if full_hd else 720)
        return _scale(ratio, short)

    def describe(self) -> dict[str, object]:
        """A JSON-safe record of the request (no image bytes, never the key)."""
        width, height = self.pixel_size
        return {
            "prompt": self.prompt,
            "protocol": self.protocol,
            "model": self.spec.name,
            "wire_model": self.wire_model,
            "orientation": self.orientation,
            "fast": self.fast,
            "seconds": self.seconds if self.seconds is not None else self.spec.default_seconds,
            "size": self.size,
            "pixel_size": f"{width}x{height}",
            "n": self.n,
            "negative_prompt": self.negative_prompt,
            "seed": self.seed,
            "options": dict(self.options),
            "images": [i.describe() for i in self.images],
            "estimated_cost": self.estimated_cost,
        }

    @classmethod
    def build(
        cls,
        prompt: str,
        *,
        protocol: str = "chat",
        model: str = "veo-3.1",
        orientation: str | None = None,
        fast: bool = False,
        first_frame: object = None,
        last_frame: object = None,
        references: object = (),
        seconds: int | str | None = None,
        size: str | None = None,
        n: int = 1,
        negative_prompt: str | None = None,
        seed: int | None = None,
        resolution: str | None = None,
        person_generation: str | None = None,
        extend: object = None,
        landscape: bool = False,
        portrait: bool = False,
        **unknown: Any,
    ) -> VideoRequest:
        """Validate keywords against the model and return a request, or raise ``VeoInputError``.

        >>> VideoRequest.build("a fox", orientation="landscape", fast=True).wire_model
        'veo-3.1-landscape-fast'
        """
        protocol = _check_protocol(protocol)
        _check_vertex_only({**unknown, "seed": seed}, protocol)
        _check_unknown(unknown)
        text = _check_prompt(prompt)
        spec = _check_model(model, protocol)
        wants_fast = _check_flag(fast, "fast")
        shape = parse_size(size) if size is not None else None
        wanted, wanted_from = _resolve_orientation(orientation, landscape, portrait, shape, size)
        count = _check_int(n, "n", 1, MAX_CLIPS, default=1, why="clips per request; each is billed")
        if count > 1 and protocol in ("videos", "create"):
            # One task makes one clip on these APIs; a silent n=1 would bill a second clip never made.
            raise VeoInputError(
                f"n={count} is not available on the {protocol} protocol: each task makes one clip. "
                "Use protocol='chat' (up to 4 clips in one request), or submit the prompt again "
                "(`%%veo --vary` fans one prompt out into several jobs)",
                field="n",
                value=count,
                allowed=("chat: 1-4", f"{protocol}: 1"),
            )
        seed_value = _check_int(
            seed, "seed", 0, MAX_SEED, default=None, why="Veo's seed is an unsigned 32-bit integer"
        )
        negative = _check_negative_prompt(negative_prompt)
        options = _check_extras(resolution, person_generation, protocol)
        if protocol == "gemini" and shape is not None and shape.pixels:
            _gemini_pixel_size(shape, size or "", options)
        first, last, refs = _load_images(first_frame, last_frame, references)
        _check_image_mix(first, last, refs)

        wire = compose(spec, protocol, wanted, wants_fast, last is not None, bool(refs))
        effective = spec if spec.explicit else parse_model(wire)
        _check_tier(spec, effective, wire, wants_fast)
        _check_fixed_orientation(spec, effective, wanted, wanted_from, size)
        if shape is not None:
            _check_shape(shape, size or "", spec)
        _check_images(spec, effective, wire, protocol, first, last, refs, wants_fast)
        source = None
        if extend is not None:
            source = _check_extend(extend, protocol, effective, seconds, (first, last, *refs))
            options["resolution"] = _extension_resolution(options.get("resolution"))
            options["extend"] = source.uri
            wanted = _extension_orientation(source, wanted, wanted_from)
        return cls(
            prompt=text,
            protocol=protocol,
            spec=spec,
            orientation=wanted or effective.orientation,
            fast=effective.fast,
            first_frame=first,
            last_frame=last,
            references=refs,
            seconds=(
                EXTENSION_SECONDS
                if source is not None
                else _check_seconds(seconds, effective, wire, protocol)
            ),
            size=size.strip() if size else None,
            n=count or 1,
            negative_prompt=negative,
            seed=seed_value,
            options=options,
        )


# -- one check per keyword -----------------------------------------------------------------------


def _words(items: tuple[object, ...] | list[object]) -> str:
    return ", ".join(str(i) for i in items)


def _check_unknown(unknown: dict[str, Any]) -> None:
    if not unknown:
        return
    names = sorted(unknown)
    hints = [
        h
        for name in names
        if (
            h := _SYNONYMS.get(name.lower())
            or next(iter(difflib.get_close_matches(name, OPTIONS, n=1)), None)
        )
    ]
    did = f" (did you mean {_words(hints)}?)" if hints else ""
    label = "option" if len(names) == 1 else "options"
    raise VeoInputError(
        f"unknown {label} {_words([repr(n) for n in names])}{did}; valid options: {_words(OPTIONS)}",
        field=names[0],
        value=unknown[names[0]],
        allowed=OPTIONS,
    )


def _check_prompt(prompt: object) -> str:
    if not isinstance(prompt, str):
        raise VeoInputError(
            f"prompt must be text, got {type(prompt).__name__} {prompt!r}; describe the video in "
            f"words (1 to {MAX_PROMPT_CHARS} characters)",
            field="prompt",
            value=prompt,
            allowed=f"text of 1 to {MAX_PROMPT_CHARS} characters",
        )
    text = prompt.strip()
    if not text:
        raise VeoInputError(
            f"prompt {prompt!r} is empty; describe the video, e.g. 'a red fox running through snow' "
            f"(1 to {MAX_PROMPT_CHARS} characters)",
            field="prompt",
            value=prompt,
            allowed=f"text of 1 to {MAX_PROMPT_CHARS} characters",
        )
    if len(text) > MAX_PROMPT_CHARS:
        extra = len(text) - MAX_PROMPT_CHARS
        raise VeoInputError(
            f"prompt is {len(text)} characters long; the limit is {MAX_PROMPT_CHARS} (OpenAI's, "
            f"which relays apply): cut {extra} character{'s' if extra > 1 else ''}",
            field="prompt",
            value=len(text),
            allowed=f"1 to {MAX_PROMPT_CHARS} characters",
        )
    return text


def _check_protocol(protocol: object) -> str:
    name = "chat" if protocol is None else protocol
    if isinstance(name, str) and name.strip().lower() in PROTOCOL_NAMES:
        return name.strip().lower()
    raise VeoInputError(
        f"unknown protocol {protocol!r}; allowed: {_words(PROTOCOL_NAMES)} (chat streams from "
        "/v1/chat/completions; videos and create are resumable tasks; gemini calls Google's API)",
        field="protocol",
        value=protocol,
        allowed=PROTOCOL_NAMES,
    )


def _check_model(model: object, protocol: str) -> ModelSpec:
    spec = parse_model("veo-3.1" if model is None else model)  # type: ignore[arg-type]
    if protocol != "gemini":
        return spec
    if spec.family not in ("gemini", "veo3.1", "veo3", "veo2") or (
        spec.explicit and spec.family != "gemini"
    ):
        raise VeoInputError(
            f"model {spec.name!r} is a relay name; the gemini protocol needs a Google model id "
            "such as veo-3.1-generate-preview, veo-3.1-fast-generate-preview or "
            "veo-3.0-generate-001, or an alias (veo-3.1, veo3) that maps to one",
            field="model",
            value=spec.name,
            allowed=(
                "veo-3.1-generate-preview",
                "veo-3.1-fast-generate-preview",
                "veo-3.0-generate-001",
            ),
        )
    if spec.four_k or spec.components:
        raise VeoInputError(
            f"model {spec.name!r} is a relay variant with no Google id; on the gemini protocol use "
            "veo-3.1 (references go in references=, 1080p in resolution=)",
            field="model",
            value=spec.name,
            allowed=("veo-3.1", "veo-3.1-fast", "veo3", "veo2"),
        )
    return spec


def _check_flag(value: object, name: str) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    raise VeoInputError(
        f"{name}={value!r} must be True or False", field=name, value=value, allowed=(True, False)
    )


def _check_orientation(value: object) -> Orientation | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in ORIENTATION_NAMES:
        return value.strip().lower()  # type: ignore[return-value]
    hint = (
        " (a ratio goes in size=, e.g. size='16:9')"
        if isinstance(value, str) and ":" in value
        else ""
    )
    raise VeoInputError(
        f"orientation {value!r} is not one of: {_words(ORIENTATION_NAMES)}{hint}",
        field="orientation",
        value=value,
        allowed=ORIENTATION_NAMES,
    )


def _resolve_orientation(
    orientation: object, landscape: object, portrait: object, shape: Size | None, size: object
) -> tuple[Orientation | None, str | None]:
    """The orientation asked for, and which keyword asked (for the message if it conflicts)."""
    wanted = _check_orientation(orientation)
    source: str | None = "orientation" if wanted else None
    for flag, name in ((landscape, "landscape"), (portrait, "portrait")):
        if flag is None or flag is False:
            continue
        if flag is not True:
            raise VeoInputError(
                f"{name}={flag!r} must be True or False",
                field=name,
                value=flag,
                allowed=(True, False),
            )
        if wanted and wanted != name:
            raise VeoInputError(
                f"{name}=True contradicts {source}={wanted!r}; give one orientation: "
                f"{_words(ORIENTATION_NAMES)}",
                field=name,
                value=True,
                allowed=ORIENTATION_NAMES,
            )
        wanted, source = name, name  # type: ignore[assignment]
    if shape is not None and shape.orientation is not None:
        if wanted and wanted != shape.orientation:
            asked = f"{source}={wanted!r}" if source == "orientation" else f"{source}=True"
            raise VeoInputError(
                f"size {size!r} is {shape.orientation}, but {asked} asks for {wanted}; make them "
                f"agree (portrait: 720x1280 or 9:16; landscape: 1280x720 or 16:9) or drop one",
                field="size",
                value=size,
                allowed=_sizes_for(wanted),
            )
        wanted, source = wanted or shape.orientation, source or "size"
    return wanted, source


def _sizes_for(orientation: str) -> tuple[str, ...]:
    return (
        ("720x1280", "9:16", "9x16") if orientation == "portrait" else ("1280x720", "16:9", "16x9")
    )


def _check_int(
    value: object, name: str, low: int, high: int, *, default: int | None, why: str
) -> int | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        hint = ""
        if isinstance(value, str) and value.strip().isdigit():
            hint = f" (give the number {value.strip()}, not the string {value!r})"
        raise VeoInputError(
            f"{name}={value!r} must be a whole number from {low} to {high}{hint}",
            field=name,
            value=value,
            allowed=f"an int from {low} to {high}",
        )
    if not low <= value <= high:
        raise VeoInputError(
            f"{name}={value} is out of range; allowed: {low} to {high} ({why})",
            field=name,
            value=value,
            allowed=f"an int from {low} to {high}",
        )
    return value


def _check_negative_prompt(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise VeoInputError(
            f"negative_prompt must be text (what the clip should not show), got "
            f"{type(value).__name__} {value!r}",
            field="negative_prompt",
            value=value,
            allowed="a string",
        )
    return value.strip() or None


def _check_extras(
    resolution: object, person_generation: object, protocol: str
) -> dict[str, object]:
    options: dict[str, object] = {}
    if resolution is not None:
        options["resolution"] = _choice(resolution, "resolution", RESOLUTIONS)
        if protocol != "gemini":
            raise VeoInputError(
                f"resolution={resolution!r} is a gemini-protocol option; the {protocol} protocol "
                "sets the size through the model (a -4k variant) or size=; allowed protocols: gemini",
                field="resolution",
                value=resolution,
                allowed=("gemini",),
            )
    if person_generation is not None:
        options["person_generation"] = _choice(
            person_generation, "person_generation", PERSON_GENERATION
        )
    return options


def _check_vertex_only(given: dict[str, Any], protocol: str) -> None:
    """On ``gemini``, refuse the options only Vertex AI takes, by name, before anything is sent."""
    if protocol != "gemini":
        return
    for name, value in given.items():
        why = VERTEX_ONLY.get(name.lower())
        if why is not None and value is not None:
            raise VeoInputError(
                f"{name}={value!r} is a Vertex AI option that the Gemini API rejects ({why}); "
                "drop it",
                field=name,
                value=value,
                allowed=tuple(o for o in OPTIONS if o not in VERTEX_ONLY),
            )


# Pixel sizes Veo makes on the Gemini API, and the resolution each one means.
_GEMINI_PIXELS = {
    (1280, 720): "720p",
    (720, 1280): "720p",
    (1920, 1080): "1080p",
    (1080, 1920): "1080p",
}


def _gemini_pixel_size(shape: Size, size: str, options: dict[str, object]) -> None:
    """A pixel ``size`` on gemini is a resolution in disguise: check it and record which."""
    resolution = _GEMINI_PIXELS.get((shape.width, shape.height))
    if resolution is None:
        raise VeoInputError(
            f"size {size!r}: on the gemini protocol Veo makes 1280x720 or 1920x1080 (or their "
            "portraits); give one of those, or a ratio (16:9, 9:16) with resolution=",
            field="size",
            value=size,
            allowed=tuple(f"{w}x{h}" for w, h in _GEMINI_PIXELS),
        )
    asked = options.get("resolution")
    if asked not in (None, resolution):
        raise VeoInputError(
            f"size {size!r} is {resolution}, but resolution={asked!r}; give one of them",
            field="size",
            value=size,
            allowed=tuple(f"{w}x{h}" for (w, h), r in _GEMINI_PIXELS.items() if r == asked),
        )
    options["resolution"] = resolution


@dataclass(frozen=True, slots=True)
class _ExtensionSource:
    """The clip an extension continues."""

    uri: str
    orientation: Orientation | None = None  # known when a Job was given


def _check_extend(
    extend: object,
    protocol: str,
    effective: ModelSpec,
    seconds: object,
    images: tuple[ImageInput | None, ...],
) -> _ExtensionSource:
    if protocol != "gemini":
        raise VeoInputError(
            f"extend= continues a Veo clip through Google's Gemini API; the {protocol} protocol "
            "has no extension. Use a client made with protocol='gemini'",
            field="extend",
            value=_extend_label(extend),
            allowed=("gemini",),
        )
    if effective.family != "gemini" or effective.version != "3.1":
        raise VeoInputError(
            f"model {effective.name!r} cannot extend a clip: only Veo 3.1 does "
            "(veo-3.1-generate-preview, veo-3.1-fast-generate-preview; the alias veo-3.1)",
            field="extend",
            value=_extend_label(extend),
            allowed=("veo-3.1-generate-preview", "veo-3.1-fast-generate-preview"),
        )
    if any(i is not None for i in images):
        raise VeoInputError(
            "extend= continues a clip and takes no images: drop first_frame, last_frame and "
            "references (Google refuses a video combined with images)",
            field="extend",
            value=_extend_label(extend),
            allowed="extend without images",
        )
    if seconds is not None:
        raise VeoInputError(
            f"seconds={seconds!r}: an extension always adds {EXTENSION_SECONDS} s to the clip; "
            "drop seconds=",
            field="seconds",
            value=seconds,
            allowed=(None,),
        )
    return _extension_source(extend)


def _extension_source(extend: object) -> _ExtensionSource:
    """The URI (and shape, for a Job) of what ``extend`` names: a finished gemini Job or a URI."""
    if isinstance(extend, str):
        uri = extend.strip()
        if uri.startswith(("https://", "http://")):
            return _ExtensionSource(uri)
        raise VeoInputError(
            f"extend={extend!r} is not a video URI; pass the finished Job, or its clip's URI "
            "(job.video_urls[0], or source_url in the .json saved beside the clip)",
            field="extend",
            value=extend,
            allowed=("a finished gemini Job", "https://…/files/…"),
        )
    urls = getattr(extend, "video_urls", None)
    if not isinstance(urls, list):
        raise VeoInputError(
            f"extend= takes a finished Job or a video URI, not {type(extend).__name__}",
            field="extend",
            value=repr(extend)[:80],
            allowed=("a finished gemini Job", "https://…/files/…"),
        )
    job_id = getattr(extend, "id", "?")
    job_protocol = getattr(extend, "protocol", None)
    if job_protocol != "gemini":
        raise VeoInputError(
            f"job {job_id} was made through the {job_protocol} protocol; only clips made by "
            "Google's API (protocol='gemini') can be extended",
            field="extend",
            value=job_id,
            allowed="a finished gemini Job",
        )
    status = getattr(extend, "status", None)
    if status != "succeeded" or not urls or not urls[0]:
        raise VeoInputError(
            f"job {job_id} is {status}, with no clip to extend yet; wait for it first "
            "(job.wait() or await job)",
            field="extend",
            value=job_id,
            allowed="a succeeded gemini Job",
        )
    record = getattr(extend, "record", None) or {}
    shape = record.get("pixel_size") if isinstance(record, dict) else None
    orientation: Orientation | None = None
    if isinstance(shape, str) and (m := re.fullmatch(r"(\d+)x(\d+)", shape)):
        orientation = "landscape" if int(m[1]) > int(m[2]) else "portrait"
    return _ExtensionSource(urls[0], orientation)


def _extend_label(extend: object) -> object:
    return extend if isinstance(extend, str) else getattr(extend, "id", type(extend).__name__)


def _extension_resolution(asked: object) -> str:
    if asked not in (None, "720p"):
        raise VeoInputError(
            f"resolution={asked!r}: Google makes extensions at 720p only; drop resolution=",
            field="resolution",
            value=asked,
            allowed=("720p",),
        )
    return "720p"


def _extension_orientation(
    source: _ExtensionSource, wanted: Orientation | None, wanted_from: str | None
) -> Orientation | None:
    """An extension keeps the clip's shape: inherit it, and refuse one that contradicts it."""
    if source.orientation is None or wanted in (None, source.orientation):
        return wanted or source.orientation
    keyword = wanted_from or "orientation"
    raise VeoInputError(
        f"the clip to extend is {source.orientation}, but {keyword} asks for {wanted}; an "
        f"extension keeps the clip's shape: drop {keyword}",
        field=keyword,
        value=wanted,
        allowed=(source.orientation,),
    )


def _choice(value: object, name: str, allowed: tuple[str, ...]) -> str:
    if isinstance(value, str) and value.strip().lower() in allowed:
        return value.strip().lower()
    raise VeoInputError(
        f"{name}={value!r} is not one of: {_words(allowed)}",
        field=name,
        value=value,
        allowed=allowed,
    )


def _as_seconds(value: object, spec: ModelSpec, protocol: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and (m := re.fullmatch(r"\s*(\d+)\s*s?\s*", value)):
        return int(m[1])
    raise VeoInputError(
        f"seconds={value!r} is not a whole number of seconds; allowed for {spec.name} on "
        f"{protocol}: {_words(spec.allowed_seconds(protocol))}",
        field="seconds",
        value=value,
        allowed=spec.allowed_seconds(protocol),
    )


def _check_seconds(value: object, spec: ModelSpec, wire: str, protocol: str) -> int:
    allowed = spec.allowed_seconds(protocol)
    if value is None:
        return spec.default_seconds
    seconds = _as_seconds(value, spec, protocol)
    if seconds in allowed:
        return seconds
    if protocol in ("chat", "create"):
        longer = [s for s in spec.allowed_seconds("videos") if s not in allowed]
        other = f"; use protocol='videos' for {_words(longer)} s" if longer else ""
        raise VeoInputError(
            f"seconds={value!r}: on the {protocol} protocol {wire} clips are always "
            f"{spec.default_seconds} s (the {protocol} request has no length field); allowed: "
            f"{_words(allowed)}{other}",
            field="seconds",
            value=value,
            allowed=allowed,
        )
    raise VeoInputError(
        f"seconds={value!r} is not offered by {wire} on the {protocol} protocol; allowed: "
        f"{_words(allowed)}",
        field="seconds",
        value=value,
        allowed=allowed,
    )


# -- images --------------------------------------------------------------------------------------


def _as_list(references: object) -> list[object]:
    if references is None:
        return []
    single = (str, bytes, bytearray, memoryview, os.PathLike, ImageInput)
    if isinstance(references, single) or hasattr(references, "save"):  # one image, not a list
        return [references]
    try:
        return list(references)  # type: ignore[call-overload]
    except TypeError:
        raise VeoInputError(
            f"references={references!r} must be a list of up to {MAX_REFERENCES} images",
            field="references",
            value=references,
            allowed=f"a list of 1 to {MAX_REFERENCES} images",
        ) from None


def _load_images(
    first_frame: object, last_frame: object, references: object
) -> tuple[ImageInput | None, ImageInput | None, tuple[ImageInput, ...]]:
    items = _as_list(references)
    if len(items) > MAX_REFERENCES:
        raise VeoInputError(
            f"references has {len(items)} images; allowed: 1 to {MAX_REFERENCES} (Gemini and the "
            "-components models take at most 3)",
            field="references",
            value=len(items),
            allowed=f"1 to {MAX_REFERENCES} images",
        )
    first = (
        None
        if first_frame is None
        else load_image(first_frame, role="first_frame", field="first_frame")
    )
    last = (
        None
        if last_frame is None
        else load_image(last_frame, role="last_frame", field="last_frame")
    )
    refs = tuple(
        load_image(v, role="reference", field=f"references[{i}]") for i, v in enumerate(items)
    )
    return first, last, refs


def _check_image_mix(
    first: ImageInput | None, last: ImageInput | None, refs: tuple[ImageInput, ...]
) -> None:
    if last is not None and first is None:
        raise VeoInputError(
            f"last_frame {last.source!r} needs a first_frame: relays read the first image as the "
            "first frame; give first_frame= too (allowed: first_frame alone or first_frame + "
            "last_frame)",
            field="last_frame",
            value=last.source,
            allowed=("first_frame", "first_frame + last_frame"),
        )
    if refs and (first is not None or last is not None):
        frames = " and ".join(k for k, v in (("first_frame", first), ("last_frame", last)) if v)
        raise VeoInputError(
            f"references ({_words([r.source for r in refs])}) cannot be combined with {frames}: "
            "Gemini and the -components models take either frames or references; allowed: "
            "first_frame [+ last_frame], or 1-3 references",
            field="references",
            value=[r.source for r in refs],
            allowed=("first_frame [+ last_frame]", "references"),
        )


def _check_images(
    spec: ModelSpec,
    effective: ModelSpec,
    wire: str,
    protocol: str,
    first: ImageInput | None,
    last: ImageInput | None,
    refs: tuple[ImageInput, ...],
    fast: bool,
) -> None:
    sent = _sent(spec, wire)
    takes = _takes_label(effective)
    if first is not None and not effective.takes("first_frame"):
        hint = (
            "pass the images as references=[…]"
            if effective.takes("reference")
            else ("use an image-to-video model such as veo-3.1")
        )
        raise VeoInputError(
            f"first_frame {first.source!r}: model {sent} takes {takes}; {hint}",
            field="first_frame",
            value=first.source,
            allowed=effective.roles,
        )
    if last is not None and not effective.takes("last_frame"):
        hint = _last_frame_hint(spec, protocol, fast)
        raise VeoInputError(
            f"last_frame {last.source!r}: model {sent} takes {takes}; {hint}",
            field="last_frame",
            value=last.source,
            allowed=_models_taking("last_frame", spec.family),
        )
    if refs and not effective.takes("reference"):
        raise VeoInputError(
            f"references: model {sent} takes {takes}; {_reference_hint(spec, protocol, fast)}",
            field="references",
            value=[r.source for r in refs],
            allowed=_models_taking("reference", spec.family),
        )
    if len(refs) > effective.max_images:
        raise VeoInputError(
            f"references has {len(refs)} images; model {sent} takes at most {effective.max_images}",
            field="references",
            value=len(refs),
            allowed=f"1 to {effective.max_images} images",
        )
    if protocol == "gemini":
        _check_inline(first, last, refs)


def _last_frame_hint(spec: ModelSpec, protocol: str, fast: bool) -> str:
    if spec.explicit:
        variant = respell(spec, fast=fast, last_frame=True)
        if variant:
            return f"use model={variant!r}"
    elif not fast:  # of Veo 2 only the fast tier has a first+last variant
        wire = compose(spec, protocol, None, True, True, False)
        if parse_model(wire).takes("last_frame"):
            return f"pass fast=True (sends {wire!r})"
    return f"models that take one: {_words(_models_taking('last_frame', spec.family))}"


def _reference_hint(spec: ModelSpec, protocol: str, fast: bool) -> str:
    # Suggest the alias (orientation dropped: no relay documents "-landscape-components"), which
    # grows -components on the task protocols.
    plain = _plain_name(spec)
    alias = parse_model(plain) if plain else None
    if alias is not None and not alias.explicit:
        target = "videos" if protocol == "chat" else protocol
        wire = compose(alias, target, None, fast, False, True)
        if parse_model(wire).takes("reference"):
            if protocol == "chat":
                return (
                    f"the chat protocol sends only a first and a last frame; use "
                    f"protocol='videos' or 'create' (which send {wire!r}), or a -components model"
                )
            keep = f" with orientation={spec.orientation!r}" if spec.orientation else ""
            return f"use model={plain!r}{keep} (sent as {wire!r})"
    where = " on protocol='videos' or 'create'" if protocol == "chat" else ""
    return f"models that take references{where}: {_words(_models_taking('reference', spec.family))}"


def _plain_name(spec: ModelSpec) -> str | None:
    """``spec``'s name without its orientation suffix; None for dialects we cannot re-spell."""
    if not spec.spelling or spec.style == "relay":
        return None
    kept = [t for t in spec.suffixes if t.lower() not in ORIENTATION_NAMES]
    return spec.spelling + "".join(f"-{t}" for t in kept)


def _check_inline(
    first: ImageInput | None, last: ImageInput | None, refs: tuple[ImageInput, ...]
) -> None:
    named = [("first_frame", first), ("last_frame", last)]
    named += [(f"references[{i}]", r) for i, r in enumerate(refs)]
    for name, image in named:
        if image is not None and image.url is not None:
            raise VeoInputError(
                f"{name} {image.url!r}: the gemini protocol sends image bytes inline and cannot "
                "pass a URL; download it and give the local path, bytes or a data URL",
                field=name,
                value=image.url,
                allowed=("path", "bytes", "data URL", "PIL image"),
            )


def _sent(spec: ModelSpec, wire: str) -> str:
    return f"{spec.name!r}" if wire == spec.name else f"{spec.name!r} (sent as {wire!r})"


def _takes_label(spec: ModelSpec) -> str:
    roles = spec.roles
    if not roles:
        return "no images (text only)"
    words = {
        "first_frame": "a first frame",
        "last_frame": "a last frame",
        "reference": f"up to {spec.max_images} references",
    }
    return "only " + " and ".join(words[r] for r in roles)


def _models_taking(role: str, family: str) -> list[str]:
    """Catalog names that take ``role``, the user's family first (for error hints)."""
    models = sorted((s for s in known_models() if s.takes(role)), key=lambda s: s.four_k)
    same = [s.name for s in models if s.family == family]
    return (same or [s.name for s in models])[:6]


# -- checks against the model actually sent ------------------------------------------------------


def _check_tier(spec: ModelSpec, effective: ModelSpec, wire: str, fast: bool) -> None:
    if fast and not effective.fast:
        variant = respell(spec, fast=True) if spec.explicit else None
        hint = f"use model={variant!r}" if variant else "drop fast=True or pick a -fast model"
        raise VeoInputError(
            f"fast=True, but model {_sent(spec, wire)} has no fast variant; {hint}",
            field="fast",
            value=True,
            allowed=[s.name for s in known_models() if s.fast and s.family == spec.family][:6],
        )
    if not spec.explicit and spec.tier != "standard" and spec.tier != effective.tier:
        raise VeoInputError(
            f"model {spec.name!r} is the {spec.tier} tier, which {wire!r} does not offer; "
            f"allowed: the standard tier ({spec.spelling!r}) or another protocol",
            field="model",
            value=spec.name,
            allowed=(spec.spelling,),
        )


def _check_fixed_orientation(
    spec: ModelSpec, effective: ModelSpec, wanted: str | None, wanted_from: str | None, size: object
) -> None:
    fixed = effective.orientation
    if fixed is None or wanted is None or wanted == fixed:
        return
    plain = _plain_name(spec)
    hint = f"or use {plain!r} with orientation={wanted!r}" if plain else "or pick another model"
    keyword = "size" if wanted_from == "size" else wanted_from or "orientation"
    value = size if keyword == "size" else (True if keyword in ORIENTATION_NAMES else wanted)
    raise VeoInputError(
        f"model {spec.name!r} always makes {fixed} clips, but {keyword}={value!r} asks for "
        f"{wanted}; allowed: {fixed} — drop {keyword} {hint}",
        field=keyword,
        value=value,
        allowed=(fixed,),
    )


def _check_shape(shape: Size, size: str, spec: ModelSpec) -> None:
    tolerance = 0.03 if shape.pixels else 0.001  # sora's 1024x1792 is 9:16 give or take 2%
    actual = shape.width / shape.height
    for ratio in spec.aspect_ratios:
        w, h = (int(x) for x in ratio.split(":"))
        if abs(actual / (w / h) - 1) <= tolerance:
            return
    ratio = "" if size.strip() == shape.ratio else f" (ratio {shape.ratio})"
    raise VeoInputError(
        f"size {size!r}{ratio} is not a shape {spec.name} makes; allowed ratios: "
        f"{_words(spec.aspect_ratios)} (e.g. 1280x720 or 16:9 landscape, 720x1280 or 9:16 portrait)",
        field="size",
        value=size,
        allowed=spec.aspect_ratios,
    )


def _scale(ratio: tuple[int, int], short: int) -> tuple[int, int]:
    """Pixels for ``ratio`` with the short side ``short``, the long side rounded to even."""
    w, h = ratio
    if w >= h:
        return 2 * round(short * w / h / 2), short
    return short, 2 * round(short * h / w / 2)
