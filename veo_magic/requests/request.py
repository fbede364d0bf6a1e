"""VideoRequest: one normalised, validated request.

``VideoRequest.build`` checks every keyword against the model on the chosen protocol and raises
``VeoInputError`` (naming the field, the value and what is allowed) before anything is sent, so
no money is spent on a request the relay would refuse or misread. Keywords of one simple shape
(a choice, a whole number in a range, a flag, text) are checked by their rule in
``_rules.OPTION_RULES``; the checks here are the ones that depend on the model and protocol.

Decisions (beyond the catalog's wire-name rules):

- An alias grows the variant the keywords need (``veo-3.1`` + a last frame -> ``veo-3.1-fl``); an
  explicit name that cannot do what is asked is an error that suggests the variant that can.
- References on the ``chat`` protocol need a model whose name already says ``components``: the
  chat dialect documents only first and last frames (seed 004), so an alias with references there
  is refused with a pointer to ``videos``/``create``, where ``-components`` is added for you.
- ``resolution`` (``request.resolution``: 720p, 1080p, 4k, or None for the model's default) goes
  where a protocol can carry it (``catalog.resolution_routes``): Google's parameter on gemini; on
  the relays a 4K model name (``veo_3_1`` + 4k sends ``veo_3_1-4K``), and on videos also the
  parameter, which gateways forward to Google. Where no route exists (1080p on chat, 4k on a
  spelling with no 4K name, 4k on Lite) it is refused, saying which route would work.
  ``person_generation`` is kept in ``options`` for the adapters whose dialect has a place for it
  (gemini, videos metadata), as is an asked or chosen ``resolution``.
- Google's rules that tie one option to another (``_rules.MODEL_RULES``: 1080p and 4k need 8 s,
  an image needs ``allow_adult``, one video per request, …) refuse a request that breaks them,
  naming the rule and what works. An option left unset that a rule fixes (``seconds`` for 1080p,
  ``resolution`` for an extension) gets the value that works, and ``request.notes`` says so: the
  job's view and sidecar show it. On Google's API a Veo 3.x prompt is held to 1,024 tokens
  (``_rules.PROMPT_FOR_GOOGLE``), and a retired Google id is noted (``_catalog.RETIRED``).
- On ``gemini`` (Google's API, PROTOCOLS.md §3): the default shape is Google's, 16:9 landscape; a
  pixel ``size`` must be one Veo makes (1280x720, 1920x1080 or their portraits) and sets
  ``resolution``; images are sent inline, so URLs are refused; ``seed`` and the other Vertex-only
  options (``VERTEX_ONLY``) are refused by name, as google-genai refuses them.
- ``extend`` (gemini, Veo 3.1 and 3.1 Fast) continues a finished clip by 7 s: a ``Job`` made
  through ``gemini`` (its first clip) or the clip's URI. It takes no images and no ``seconds`` and
  is made at 720p; its URI is kept in ``options["extend"]``.
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

from .._exceptions import VeoInputError
from ..catalog import (
    VERTEX_IDS,
    ModelSpec,
    Orientation,
    compose,
    known_models,
    parse_model,
    resolution_routes,
    respell,
)
from ..options import (
    DIRECT_PROTOCOLS,
    MAX_CLIPS,
    MAX_PROMPT_CHARS,
    MODEL_RULES,
    OPTION_RULES,
    ORIENTATIONS,
    PROMPT_FOR_GOOGLE,
    PROTOCOLS_TO_GOOGLE,
    check,
)
from .images import ImageInput, load_image
from .lineage import Lineage

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

MAX_REFERENCES = 3  # Gemini and the -components models
EXTENSION_SECONDS = 7  # what one Veo 3.1 extension adds (Google's docs: 7 s, up to 20 times)
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
    "generate_audio",
    "storage_uri",
)
# Options only Vertex AI takes (``vertex``): sent as ``generateAudio`` and ``storageUri``.
VERTEX_OPTIONS = ("generate_audio", "storage_uri")
_GS_URI = re.compile(r"^gs://[a-z0-9][a-z0-9._-]{1,220}(/\S*)?$")
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
# Options Gemini Omni's Interactions request has no field for (google-genai 3.6.1's types),
# refused by name on the interactions protocol with what works instead.
OMNI_NO_FIELD = {
    "generate_audio": "Gemini Omni always makes audio; mute the clip afterwards if you need",
    "audio": "Gemini Omni always makes audio; mute the clip afterwards if you need",
    "enhance_prompt": "Gemini Omni has no prompt enhancer switch; write the prompt you want",
    "fps": "Gemini Omni picks the frame rate",
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
        raise VeoInputError("size", size, "is not a size", _SIZE_FORMS)
    width, sep, height = int(m[1]), m[2], int(m[3])
    if width == 0 or height == 0:
        raise VeoInputError("size", size, "has a zero side", _SIZE_FORMS)
    if sep == ":" or max(width, height) <= 32:
        return Size(width, height, pixels=False)
    if min(width, height) >= 128 and max(width, height) <= 8192:
        return Size(width, height, pixels=True)
    raise VeoInputError(
        "size",
        size,
        "is neither a ratio (both sides ≤ 32, like 16x9) nor a pixel size (each side 128-8192, "
        "like 1280x720)",
        _SIZE_FORMS,
    )


@dataclass(frozen=True, slots=True)
class VideoRequest:
    """Everything one job asks the relay for, already checked against the model's capabilities."""

    prompt: str
    protocol: str  # "chat" | "videos" | "create" | "gemini" | "interactions"
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
    relay_model: str | None = None  # the name the relay lists for this request (see _offer)
    notes: tuple[str, ...] = ()  # what was chosen for the user, and why (the view shows them)
    lineage: Lineage | None = None  # an edit or extension: the clip it is made from

    @property
    def images(self) -> tuple[ImageInput, ...]:
        """Every image in wire order: first frame, last frame, then references."""
        frames = tuple(i for i in (self.first_frame, self.last_frame) if i is not None)
        return frames + self.references

    @property
    def wire_model(self) -> str:
        """The model name to send on this request's protocol: the one the relay lists for it,
        else the one the catalog composes."""
        if self.relay_model is not None:
            return self.relay_model
        return compose(
            self.spec,
            self.protocol,
            self.orientation,
            self.fast,
            self.last_frame is not None,
            bool(self.references),
            self.options.get("resolution") == "4k",
        )

    @property
    def resolution(self) -> str | None:
        """The resolution the clip is made at, where the request decides it: ``720p``, ``1080p``
        or ``4k`` (asked for, chosen by a rule, or said by a 4K model name); None leaves it to
        the model (720p). An adapter that can carry it sends it (gemini's ``parameters``, the
        videos parameters)."""
        asked = self.options.get("resolution")
        if isinstance(asked, str):
            return asked
        return "4k" if self.wire_spec.four_k else None

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
        return round(self.wire_spec.clip_price(self.seconds, self.resolution) * self.n, 4)

    @property
    def pixel_size(self) -> tuple[int, int]:
        """(width, height) the clip should have."""
        size = parse_size(self.size) if self.size else None
        if size is not None and size.pixels:
            return size.width, size.height
        if size is not None:
            ratio = (size.width, size.height)
        elif self.orientation is None and self.protocol in DIRECT_PROTOCOLS:
            ratio = (16, 9)  # Google's default aspect ratio (the relays default to portrait)
        else:
            ratio = (16, 9) if self.orientation == "landscape" else (9, 16)
        short = {"4k": 2160, "1080p": 1080, "360p": 360}.get(self.resolution or "", 720)
        return _scale(ratio, short)

    def describe(self) -> dict[str, object]:
        """A JSON-safe record of the request (no image bytes, never the key)."""
        width, height = self.pixel_size
        resolution = self.resolution
        decided = {"resolution": resolution} if resolution else {}
        return {
            **decided,
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
            **({"notes": list(self.notes)} if self.notes else {}),
            **({"lineage": self.lineage.describe()} if self.lineage else {}),
        }

    @classmethod
    def build(
        cls,
        prompt: str,
        *,
        protocol: str = "chat",
        model: str | ModelSpec = "veo-3.1",
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
        generate_audio: bool | None = None,
        storage_uri: str | None = None,
        **unknown: Any,
    ) -> VideoRequest:
        """Validate keywords against the model and return a request, or raise ``VeoInputError``.

        >>> VideoRequest.build("a fox", orientation="landscape", fast=True).wire_model
        'veo-3.1-landscape-fast'
        """
        protocol = check("protocol", protocol) or "chat"
        vertex_only = {"generate_audio": generate_audio, "storage_uri": storage_uri}
        _check_no_field({**unknown, "seed": seed, **vertex_only}, protocol)
        _check_vertex_options(vertex_only, protocol)
        _check_unknown(unknown)
        text = check("prompt", prompt)
        spec = _check_model(model, protocol)
        wants_fast = check("fast", fast)
        shape = parse_size(size) if size is not None else None
        wanted, wanted_from = _resolve_orientation(orientation, landscape, portrait, shape, size)
        count = check("n", n) or 1
        if count > 1 and protocol in ("videos", "create"):
            # One task makes one clip on these APIs; a silent n=1 would bill a second clip never made.
            raise VeoInputError(
                "n",
                count,
                f"is more clips than the {protocol} protocol makes: each task makes one",
                (f"chat: {OPTION_RULES['n'].words}", f"{protocol}: 1"),
                hint="use protocol='chat' (up to 4 clips in one request), or submit the prompt "
                "again",
            )
        seed_value = check("seed", seed)
        negative = check("negative_prompt", negative_prompt)
        options: dict[str, object] = {}
        if (asked := check("resolution", resolution)) is not None:
            options["resolution"] = asked
        if person_generation is not None:
            options["person_generation"] = check("person_generation", person_generation)
        if generate_audio is not None:
            options["generate_audio"] = check("generate_audio", generate_audio)
        if storage_uri is not None:
            options["storage_uri"] = _check_storage_uri(storage_uri)
        if protocol in PROTOCOLS_TO_GOOGLE and shape is not None and shape.pixels:
            _gemini_pixel_size(shape, size or "", options)
        first, last, refs = _load_images(first_frame, last_frame, references)
        _check_image_mix(first, last, refs)

        four_k = options.get("resolution") == "4k"
        wire = compose(spec, protocol, wanted, wants_fast, last is not None, bool(refs), four_k)
        effective = spec if spec.explicit else parse_model(wire)
        _check_tier(spec, effective, wire, wants_fast)
        _check_fixed_orientation(spec, effective, wanted, wanted_from, size)
        if shape is not None:
            _check_shape(shape, size or "", spec)
        _check_images(spec, effective, wire, protocol, first, last, refs, wants_fast)
        _check_resolution(options.get("resolution"), spec, effective, wire, protocol)
        source = None
        if extend is not None:
            source = _check_extend(extend, protocol, effective, seconds, (first, last, *refs))
            options["extend"] = source.uri
            wanted = _extension_orientation(source, wanted, wanted_from)
        given_seconds = None if source is not None else _given_seconds(seconds, effective, protocol)
        made_at = options.get("resolution") or ("4k" if effective.four_k else None)
        features = _features(effective, made_at, first, last, refs, source is not None)
        if protocol == "vertex":
            features |= {"vertex"}
        if "google" in features and "veo3" in features:
            text = PROMPT_FOR_GOOGLE.check("prompt", text)
        choosable = {"resolution"}
        if len(effective.allowed_seconds(protocol)) > 1:
            choosable.add("seconds")
        values = {
            "seconds": given_seconds,
            "resolution": options.get("resolution"),
            "person_generation": options.get("person_generation"),
            "n": count,
            "negative_prompt": negative,
        }
        chosen, notes = _apply_rules(features, values, choosable)
        if "resolution" in chosen:
            options["resolution"] = chosen["resolution"]
        notes += _route_notes(options.get("resolution"), effective, wire, protocol)
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
                else chosen.get("seconds", given_seconds or effective.default_seconds)
            ),
            size=size.strip() if size else None,
            n=count or 1,
            negative_prompt=negative,
            seed=seed_value,
            options=options,
            notes=tuple(notes),
        )


# -- one check per keyword (the simple ones are rules: _rules.OPTION_RULES) ---------------------


def _words(items: tuple[object, ...] | list[object]) -> str:
    return ", ".join(str(i) for i in items)


def _check_unknown(unknown: dict[str, Any]) -> None:
    if not unknown:
        return
    name, *others = sorted(unknown)
    hints = [
        h
        for n in (name, *others)
        if (
            h := _SYNONYMS.get(n.lower())
            or next(iter(difflib.get_close_matches(n, OPTIONS, n=1)), None)
        )
    ]
    nor = f" (nor is {_words([repr(o) for o in others])})" if others else ""
    raise VeoInputError(
        name,
        unknown[name],
        f"is not an option{nor}",
        OPTIONS,
        hint=f"did you mean {_words(hints)}?" if hints else None,
    )


def _check_model(model: object, protocol: str) -> ModelSpec:
    if isinstance(model, ModelSpec) and protocol not in DIRECT_PROTOCOLS:
        return model  # a relay's own name (_offer)
    if protocol == "interactions":
        return _check_omni_model(model)
    spec = parse_model("veo-3.1" if model is None else model)  # type: ignore[arg-type]
    if protocol == "vertex":
        return _check_vertex_model(spec)
    if spec.family == "omni" and spec.style == "google" and protocol == "gemini":
        raise VeoInputError(
            "model",
            spec.name,
            "is Gemini Omni, which Google serves only on the Interactions API (it answers 400 "
            "'This model only supports Interactions API.' on predictLongRunning)",
            hint="use protocol interactions (veo_magic.Client(protocol='interactions'))",
        )
    if protocol != "gemini":
        return spec
    if spec.family not in ("gemini", "veo3.1", "veo3", "veo2") or (
        spec.explicit and spec.family != "gemini"
    ):
        raise VeoInputError(
            "model",
            spec.name,
            "is a relay name; the gemini protocol needs a Google model id, or an alias that maps "
            "to one (veo-3.1, veo3)",
            ("veo-3.1-generate-preview", "veo-3.1-fast-generate-preview", "veo-3.0-generate-001"),
        )
    if spec.four_k or spec.components:
        raise VeoInputError(
            "model",
            spec.name,
            "is a relay variant with no Google id",
            ("veo-3.1", "veo-3.1-fast", "veo3", "veo2"),
            hint="on the gemini protocol, references go in references= and 1080p in resolution=",
        )
    return spec


_OMNI_IDS = ("gemini-omni-1.2-flash", "gemini-omni-1.1-flash")


def _check_omni_model(model: object) -> ModelSpec:
    """The interactions protocol sells Gemini Omni by Google's ids, and nothing else."""
    name = model.name if isinstance(model, ModelSpec) else model
    spec = parse_model(_OMNI_IDS[0] if name is None else name)  # type: ignore[arg-type]
    if spec.family == "omni" and spec.style == "google":
        return spec
    if spec.family == "omni":
        problem = "is a relay's name for Gemini Omni; Google's Interactions API takes its own ids"
        hint = "use it on the relay that sells it (protocol videos), or a Google id here"
    else:
        problem = (
            "is not a Gemini Omni model: the Interactions API makes video with Gemini Omni only "
            "(Veo left the Gemini API on 2026-10-22)"
        )
        hint = "Veo 3.1 is on Vertex AI, or on relays (protocols chat, videos, create)"
    raise VeoInputError("model", spec.name, problem, _OMNI_IDS, hint=hint)


def _check_vertex_model(spec: ModelSpec) -> ModelSpec:
    """On ``vertex``, Veo 3.1 by its Vertex id, or an alias that maps to one (veo-3.1)."""
    if spec.explicit and spec.name.lower() in VERTEX_IDS:
        return spec
    if not spec.explicit and spec.family == "veo3.1" and not spec.four_k and not spec.components:
        return spec
    hint = "Vertex AI sells Veo 3.1 as -001 ids; the alias veo-3.1 (with fast=True) maps to them"
    if spec.retired is not None:
        hint = f"{spec.name} is a Gemini API preview id, retired there; {hint}"
    raise VeoInputError(
        "model",
        spec.name,
        "is not a Veo model Vertex AI sells",
        VERTEX_IDS,
        hint=hint,
    )


def _check_orientation(value: object) -> Orientation | None:
    if isinstance(value, str) and ":" in value:
        raise VeoInputError(
            "orientation",
            value,
            "is a ratio, not an orientation",
            ORIENTATIONS,
            hint=f"a ratio goes in size=, e.g. size={value.strip()!r}",
        )
    return check("orientation", value)


def _resolve_orientation(
    orientation: object, landscape: object, portrait: object, shape: Size | None, size: object
) -> tuple[Orientation | None, str | None]:
    """The orientation asked for, and which keyword asked (for the message if it conflicts)."""
    wanted = _check_orientation(orientation)
    source: str | None = "orientation" if wanted else None
    for flag, name in ((landscape, "landscape"), (portrait, "portrait")):
        if not check(name, flag):
            continue
        if wanted and wanted != name:
            raise VeoInputError(
                name, True, f"contradicts {source}={wanted!r}", ORIENTATIONS, hint="give one"
            )
        wanted, source = name, name  # type: ignore[assignment]
    if shape is not None and shape.orientation is not None:
        if wanted and wanted != shape.orientation:
            asked = f"{source}={wanted!r}" if source == "orientation" else f"{source}=True"
            raise VeoInputError(
                "size",
                size,
                f"is {shape.orientation}, but {asked} asks for {wanted}",
                _sizes_for(wanted),
                hint="make them agree or drop one",
            )
        wanted, source = wanted or shape.orientation, source or "size"
    return wanted, source


def _sizes_for(orientation: str) -> tuple[str, ...]:
    return (
        ("720x1280", "9:16", "9x16") if orientation == "portrait" else ("1280x720", "16:9", "16x9")
    )


# -- resolution and Google's rules ---------------------------------------------------------------


def _check_resolution(
    asked: object, spec: ModelSpec, effective: ModelSpec, wire: str, protocol: str
) -> None:
    """Refuse a resolution the request has no route for, saying which route would work."""
    routes = resolution_routes(effective, protocol)
    if asked is None or asked in routes:
        return
    sent = _sent(spec, wire)
    hint: str | None = None
    if not routes:
        problem = f"cannot be chosen for model {sent}: it makes one resolution"
        hint = "Veo 3.1 takes 720p, 1080p and 4k"
    elif effective.four_k:
        problem = f"contradicts model {sent}, which always makes 4k"
        hint = "drop resolution=, or use a model name without -4K"
    elif protocol in ("chat", "create") and asked == "1080p":
        problem = (
            f"has no route on the {protocol} protocol, which names a resolution only in the model "
            "(veo_3_1-4K) and no relay sells a 1080p name: it is a gemini-protocol option, and "
            "videos sends it as a parameter"
        )
        hint = "use protocol='videos', or a client with protocol='gemini'"
    elif protocol in ("chat", "create"):
        problem = (
            f"has no route on the {protocol} protocol for model {sent}: its spelling has no 4K name"
        )
        hint = (
            "use model='veo_3_1' (sends 'veo_3_1-4K') or 'veo3.1' (sends 'veo3.1-4k'), "
            "protocol='videos', or a client with protocol='gemini'"
        )
    else:
        problem = f"is not made by model {sent}"
        hint = "veo-3.1 and veo-3.1-fast make 4k" if asked == "4k" else None
    raise VeoInputError("resolution", asked, problem, routes, hint=hint)


def _features(
    spec: ModelSpec,
    resolution: object,
    first: ImageInput | None,
    last: ImageInput | None,
    refs: tuple[ImageInput, ...],
    extending: bool,
) -> frozenset[str]:
    """What ``_rules.MODEL_RULES`` reads of a request: model, resolution made, kind of input."""
    version = spec.version if spec.family in ("gemini", "veo3.1", "veo3", "veo2") else ""
    found = {"veo3"} if version.startswith("3") else {"veo2"} if version.startswith("2") else set()
    if spec.family == "gemini":
        found.add("google")
    if spec.family == "omni":
        found.add("omni")
    if spec.tier == "lite":
        found.add("lite")
    if resolution in ("1080p", "4k"):
        found.add(str(resolution))
    if extending:
        found.add("extend")
    elif refs or first is not None:
        found |= {"image", "references" if refs else "frames" if last is not None else "image"}
    else:
        found.add("text")
    return frozenset(found)


def _apply_rules(
    features: frozenset[str], values: dict[str, object], choosable: set[str]
) -> tuple[dict[str, object], list[str]]:
    """Check ``values`` (None: not given) against every rule that applies; an unset field in
    ``choosable`` that a rule fixes to one value gets it. Returns (chosen values, notes)."""
    chosen: dict[str, object] = {}
    notes: list[str] = []
    for rule in MODEL_RULES:
        if not rule.applies(features):
            continue
        value = values.get(rule.field)
        if value is None:
            if len(rule.allowed) == 1 and rule.field in choosable:
                chosen[rule.field] = values[rule.field] = rule.allowed[0]
                notes.append(f"{rule.field} {rule.allowed[0]}: {rule.rule}")
            continue
        if not rule.allowed:
            raise VeoInputError(
                rule.field, value, f"cannot be used here: {rule.rule}", hint=rule.instead
            )
        if value not in rule.allowed:
            unset = len(rule.allowed) == 1 and rule.field in choosable
            hint = (
                f"leave {rule.field} unset and {rule.allowed[0]} is chosen for you, or "
                f"{rule.instead}"
                if unset
                else rule.instead
            )
            raise VeoInputError(
                rule.field, value, f"does not work here: {rule.rule}", rule.allowed, hint=hint
            )
    return chosen, notes


def _route_notes(resolution: object, effective: ModelSpec, wire: str, protocol: str) -> list[str]:
    """What a person should know about where the request goes: a resolution sent only as a
    parameter, a Google id that Google has retired."""
    notes = []
    if protocol == "videos" and resolution in ("1080p", "4k") and not effective.four_k:
        notes.append(
            f"{resolution} is sent as a parameter; a relay that does not forward it to Google "
            "makes 720p"
        )
    if effective.retired is not None:
        notes.append(
            f"{wire}: retired on the Gemini API since {effective.retired.date}; only a relay or "
            "proxy that still serves it can make this clip"
        )
    return notes


# Options a Google protocol has no field for: what a message says of them, and which they are.
_NO_FIELD = {
    "gemini": ("is a Vertex AI option that the Gemini API rejects", VERTEX_ONLY),
    "interactions": ("has no field in Gemini Omni's request", OMNI_NO_FIELD),
}


def _check_no_field(given: dict[str, Any], protocol: str) -> None:
    """On Google's protocols, refuse by name the options their request has no field for (on
    ``gemini``: the ones only Vertex AI takes), before anything is sent."""
    if protocol not in _NO_FIELD:
        return
    problem, table = _NO_FIELD[protocol]
    for name, value in given.items():
        why = table.get(name.lower())
        if why is not None and value is not None:
            raise VeoInputError(name, value, f"{problem} ({why})", hint="drop it")


def _check_vertex_options(given: dict[str, Any], protocol: str) -> None:
    """Refuse ``generate_audio`` and ``storage_uri`` on the relays: only Vertex AI takes them."""
    if protocol in PROTOCOLS_TO_GOOGLE:
        return  # gemini: _check_vertex_only said why already
    for name, value in given.items():
        if value is not None:
            raise VeoInputError(
                name,
                value,
                f"is a Vertex AI option; the {protocol} protocol has no place for it",
                hint="use a client made with protocol='vertex'",
            )


def _check_storage_uri(value: object) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not _GS_URI.match(text):
        raise VeoInputError(
            "storage_uri",
            value,
            "is not a Cloud Storage folder",
            ("gs://bucket", "gs://bucket/folder/"),
            hint="Vertex AI writes the clips there and veo_magic fetches them with your token",
        )
    return text


# Pixel sizes Veo makes on the Gemini API, and the resolution each one means.
_GEMINI_PIXELS = {
    (1280, 720): "720p",
    (720, 1280): "720p",
    (1920, 1080): "1080p",
    (1080, 1920): "1080p",
    (3840, 2160): "4k",
    (2160, 3840): "4k",
}


def _gemini_pixel_size(shape: Size, size: str, options: dict[str, object]) -> None:
    """A pixel ``size`` on gemini is a resolution in disguise: check it and record which."""
    resolution = _GEMINI_PIXELS.get((shape.width, shape.height))
    if resolution is None:
        raise VeoInputError(
            "size",
            size,
            "is not a size Veo makes on the gemini protocol",
            tuple(f"{w}x{h}" for w, h in _GEMINI_PIXELS),
            hint="or give a ratio (16:9, 9:16) with resolution=",
        )
    asked = options.get("resolution")
    if asked not in (None, resolution):
        raise VeoInputError(
            "size",
            size,
            f"is {resolution}, but resolution={asked!r}",
            tuple(f"{w}x{h}" for (w, h), r in _GEMINI_PIXELS.items() if r == asked),
            hint="give one of them",
        )
    options["resolution"] = resolution


@dataclass(frozen=True, slots=True)
class _ExtensionSource:
    """The clip an extension continues."""

    uri: str
    orientation: Orientation | None = None  # known when a Job was given


_EXTENDABLE = ("a finished gemini Job", "https://…/files/…")


def _check_extend(
    extend: object,
    protocol: str,
    effective: ModelSpec,
    seconds: object,
    images: tuple[ImageInput | None, ...],
) -> _ExtensionSource:
    label = _extend_label(extend)
    if protocol not in ("gemini", "vertex"):
        raise VeoInputError(
            "extend",
            label,
            f"continues a Veo clip through Google's Gemini API or Vertex AI; the {protocol} "
            "protocol has no extension",
            hint="use a client made with protocol='gemini' or 'vertex' (Gemini Omni on "
            "'interactions' extends with job.extend())",
        )
    if not effective.extends:
        raise VeoInputError(
            "extend",
            label,
            f"cannot be continued by model {effective.name!r}: only Veo 3.1 and 3.1 Fast extend "
            "a clip (Lite does not)",
            ("veo-3.1-generate-preview", "veo-3.1-fast-generate-preview"),
            hint="the alias veo-3.1 is one",
        )
    if any(i is not None for i in images):
        raise VeoInputError(
            "extend",
            label,
            "continues a clip and takes no images (Google refuses a video combined with images)",
            hint="drop first_frame, last_frame and references",
        )
    if seconds is not None:
        raise VeoInputError(
            "seconds",
            seconds,
            f"cannot be chosen: an extension always adds {EXTENSION_SECONDS} s to the clip",
            hint="drop seconds=",
        )
    if protocol == "vertex":
        return _vertex_source(extend)
    return _extension_source(extend)


def _vertex_source(extend: object) -> _ExtensionSource:
    """Vertex extends a clip from its bytes: a finished Job's clip, or an MP4 on disk (or a
    stand-in for a storyboard's shot not made yet, ``planned``: its clip is read at its turn)."""
    if getattr(extend, "planned", False):
        return _ExtensionSource(_extend_label(extend))
    files = getattr(extend, "videos", None)
    if isinstance(files, list):
        if getattr(extend, "status", None) != "succeeded" or not files:
            raise VeoInputError(
                "extend",
                _extend_label(extend),
                "names a job with no clip to extend yet",
                hint="wait for it first (job.wait() or await job)",
            )
        extend = str(files[0])
    path = os.fspath(extend) if isinstance(extend, str | os.PathLike) else None
    if path is None or not os.path.isfile(path):
        raise VeoInputError(
            "extend",
            _extend_label(extend),
            "is not a finished Job or an MP4 file on disk (Vertex extends a clip from its bytes)",
            ("a finished Job", "veo_outputs/….mp4"),
        )
    return _ExtensionSource(str(path))


def _extension_source(extend: object) -> _ExtensionSource:
    """The URI (and shape, for a Job) of what ``extend`` names: a finished gemini Job or a URI."""
    if isinstance(extend, str):
        uri = extend.strip()
        if uri.startswith(("https://", "http://")):
            return _ExtensionSource(uri)
        raise VeoInputError(
            "extend",
            extend,
            "is not a video URI",
            _EXTENDABLE,
            hint="pass the finished Job, or its clip's URI (job.video_urls[0], or source_url in "
            "the .json saved beside the clip)",
        )
    urls = getattr(extend, "video_urls", None)
    if not isinstance(urls, list):
        raise VeoInputError(
            "extend",
            extend,
            f"is a {type(extend).__name__}, not a finished Job or a video URI",
            _EXTENDABLE,
        )
    job_id = getattr(extend, "id", "?")
    job_protocol = getattr(extend, "protocol", None)
    if job_protocol != "gemini":
        raise VeoInputError(
            "extend",
            job_id,
            f"names a job made through the {job_protocol} protocol; only clips made by Google's "
            "API (protocol='gemini') can be extended",
            _EXTENDABLE[:1],
        )
    status = getattr(extend, "status", None)
    if status != "succeeded" or not urls or not urls[0]:
        raise VeoInputError(
            "extend",
            job_id,
            f"names a job that is {status}, with no clip to extend yet",
            _EXTENDABLE[:1],
            hint="wait for it first (job.wait() or await job)",
        )
    record = getattr(extend, "record", None) or {}
    shape = record.get("pixel_size") if isinstance(record, dict) else None
    orientation: Orientation | None = None
    if isinstance(shape, str) and (m := re.fullmatch(r"(\d+)x(\d+)", shape)):
        orientation = "landscape" if int(m[1]) > int(m[2]) else "portrait"
    return _ExtensionSource(urls[0], orientation)


def _extend_label(extend: object) -> object:
    return extend if isinstance(extend, str) else getattr(extend, "id", type(extend).__name__)


def _extension_orientation(
    source: _ExtensionSource, wanted: Orientation | None, wanted_from: str | None
) -> Orientation | None:
    """An extension keeps the clip's shape: inherit it, and refuse one that contradicts it."""
    if source.orientation is None or wanted in (None, source.orientation):
        return wanted or source.orientation
    keyword = wanted_from or "orientation"
    raise VeoInputError(
        keyword,
        wanted,
        f"contradicts the clip to extend, which is {source.orientation}: an extension keeps the "
        "clip's shape",
        (source.orientation,),
        hint=f"drop {keyword}",
    )


def _as_seconds(value: object, spec: ModelSpec, protocol: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and (m := re.fullmatch(r"\s*(\d+)\s*s?\s*", value)):
        return int(m[1])
    raise VeoInputError(
        "seconds",
        value,
        f"is not a whole number of seconds ({spec.name} on {protocol})",
        spec.allowed_seconds(protocol),
    )


def _given_seconds(value: object, spec: ModelSpec, protocol: str) -> int | None:
    """The length asked for, checked against what ``spec`` offers on ``protocol``; None: unset."""
    allowed = spec.allowed_seconds(protocol)
    if value is None:
        return None
    seconds = _as_seconds(value, spec, protocol)
    if seconds in allowed:
        return seconds
    if protocol in ("chat", "create"):
        longer = [s for s in spec.allowed_seconds("videos") if s not in allowed]
        raise VeoInputError(
            "seconds",
            value,
            f"cannot be chosen: on the {protocol} protocol {spec.name} clips are always "
            f"{spec.default_seconds} s (the {protocol} request has no length field)",
            allowed,
            hint=f"use protocol='videos' for {_words(longer)} s" if longer else None,
        )
    raise VeoInputError(
        "seconds", value, f"is not offered by {spec.name} on the {protocol} protocol", allowed
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
            "references", references, "is not a list of images", _REFERENCES
        ) from None


_REFERENCES = f"a list of up to {MAX_REFERENCES} images"


def _load_images(
    first_frame: object, last_frame: object, references: object
) -> tuple[ImageInput | None, ImageInput | None, tuple[ImageInput, ...]]:
    items = _as_list(references)
    if len(items) > MAX_REFERENCES:
        raise VeoInputError(
            "references",
            None,  # the images themselves say nothing a message can use
            f"has {len(items)} images",
            range(1, MAX_REFERENCES + 1),
            hint=f"Gemini and the -components models take at most {MAX_REFERENCES}",
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
            "last_frame",
            last.source,
            "needs a first_frame: relays read the first image as the first frame",
            "first_frame alone or first_frame + last_frame",
        )
    if refs and (first is not None or last is not None):
        frames = " and ".join(k for k, v in (("first_frame", first), ("last_frame", last)) if v)
        raise VeoInputError(
            "references",
            [r.source for r in refs],
            f"cannot be combined with {frames}: Gemini and the -components models take either "
            "frames or references",
            f"first_frame [+ last_frame], or 1-{MAX_REFERENCES} references",
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
    refused = f"cannot be used: model {_sent(spec, wire)} takes {_takes_label(effective)}"
    if first is not None and not effective.takes("first_frame"):
        hint = (
            "pass the images as references=[…]"
            if effective.takes("reference")
            else "use an image-to-video model such as veo-3.1"
        )
        raise VeoInputError("first_frame", first.source, refused, effective.roles, hint=hint)
    if last is not None and not effective.takes("last_frame"):
        raise VeoInputError(
            "last_frame",
            last.source,
            refused,
            _models_taking("last_frame", spec.family),
            hint=_last_frame_hint(spec, protocol, fast),
        )
    if refs and not effective.takes("reference"):
        raise VeoInputError(
            "references",
            [r.source for r in refs],
            refused,
            _models_taking("reference", spec.family),
            hint=_reference_hint(spec, protocol, fast),
        )
    if len(refs) > effective.max_images:
        raise VeoInputError(
            "references",
            None,
            f"has {len(refs)} images, more than model {_sent(spec, wire)} takes",
            range(1, effective.max_images + 1),
        )
    if protocol in DIRECT_PROTOCOLS:
        _check_inline(first, last, refs, protocol)


def _last_frame_hint(spec: ModelSpec, protocol: str, fast: bool) -> str:
    if spec.explicit:
        variant = respell(spec, fast=fast, last_frame=True)
        if variant:
            return f"use model={variant!r}"
    elif not fast:  # of Veo 2 only the fast tier has a first+last variant
        wire = compose(spec, protocol, None, True, True, False)
        if parse_model(wire).takes("last_frame"):
            return f"pass fast=True (sends {wire!r})"
    return "use a model that takes one"


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
    return "use a model that takes references" + (
        " on protocol='videos' or 'create'" if protocol == "chat" else ""
    )


def _plain_name(spec: ModelSpec) -> str | None:
    """``spec``'s name without its orientation suffix; None for dialects we cannot re-spell."""
    if not spec.spelling or spec.style == "relay":
        return None
    kept = [t for t in spec.suffixes if t.lower() not in ORIENTATIONS]
    return spec.spelling + "".join(f"-{t}" for t in kept)


def _check_inline(
    first: ImageInput | None,
    last: ImageInput | None,
    refs: tuple[ImageInput, ...],
    protocol: str = "gemini",
) -> None:
    named = [("first_frame", first), ("last_frame", last)]
    named += [(f"references[{i}]", r) for i, r in enumerate(refs)]
    for name, image in named:
        if image is not None and image.url is not None:
            raise VeoInputError(
                name,
                image.url,
                f"is a URL, and the {protocol} protocol sends image bytes inline",
                ("path", "bytes", "data URL", "PIL image"),
                hint="download it and give the local path, bytes or a data URL",
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
            "fast",
            True,
            f"cannot be used: model {_sent(spec, wire)} has no fast variant",
            [s.name for s in known_models() if s.fast and s.family == spec.family][:6],
            hint=hint,
        )
    if not spec.explicit and spec.tier != "standard" and spec.tier != effective.tier:
        raise VeoInputError(
            "model",
            spec.name,
            f"is the {spec.tier} tier, which {wire!r} does not offer",
            (spec.spelling,),
            hint=f"use the standard tier ({spec.spelling!r}) or another protocol",
        )


def _check_fixed_orientation(
    spec: ModelSpec, effective: ModelSpec, wanted: str | None, wanted_from: str | None, size: object
) -> None:
    fixed = effective.orientation
    if fixed is None or wanted is None or wanted == fixed:
        return
    plain = _plain_name(spec)
    other = f"or use {plain!r} with orientation={wanted!r}" if plain else "or pick another model"
    keyword = "size" if wanted_from == "size" else wanted_from or "orientation"
    value = size if keyword == "size" else (True if keyword in ORIENTATIONS else wanted)
    raise VeoInputError(
        keyword,
        value,
        f"cannot be met: model {spec.name!r} always makes {fixed} clips",
        (fixed,),
        hint=f"drop {keyword} {other}",
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
        "size",
        size,
        f"is not a shape {spec.name} makes{ratio}",
        spec.aspect_ratios,
        hint="e.g. 1280x720 or 16:9 landscape, 720x1280 or 9:16 portrait",
    )


def _scale(ratio: tuple[int, int], short: int) -> tuple[int, int]:
    """Pixels for ``ratio`` with the short side ``short``, the long side rounded to even."""
    w, h = ratio
    if w >= h:
        return 2 * round(short * w / h / 2), short
    return short, 2 * round(short * h / w / 2)
