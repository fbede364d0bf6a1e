"""What a relay sells: its ``GET /v1/models``, read once per client, and requests resolved to it.

A gateway sells the names its admin chose, not the ones veo_magic would compose: LiteLLM's admin
lists ``veo-3.1`` and knows nothing of ``veo-3.1-landscape``. So before its first create on a
configured relay the client asks (``fetch_relay_models``: a short timeout; any failure is logged and
leaves today's composed names), and ``resolve`` turns each request into a name the relay lists:

* the composed name when it is listed (an apiyi-style relay that sells ``veo-3.1-landscape-fl``);
* else the listed name that serves the request, the plainest first: the base name, with the
  orientation in ``size`` (``videos``) or ``aspect_ratio`` (``create``) and the length in
  ``seconds``. A name is never composed that the list lacks;
* else a ``VeoInputError`` naming what the relay sells (``--fast`` where only ``veo-3.1`` is).

A full relay name the user gave (an explicit name) is sent as given, as always; a listed name the
catalog does not know (an admin's ``video-hq``) is accepted with its price unknown.

    >>> offer = read_relay_models({"data": [{"id": "veo-3.1", "mode": "video_generation"}]})
    >>> offer.gateway, offer.names
    ('litellm', ('veo-3.1',))
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from .._exceptions import VeoInputError
from ..catalog import ModelSpec, parse_model, readable
from .gateways import Gateway, from_models

if TYPE_CHECKING:
    from .._secret import Secret
    from ..requests import VideoRequest

__all__ = ["MODELS_TIMEOUT", "RelayModels", "fetch_relay_models", "read_relay_models", "resolve"]

log = logging.getLogger("veo_magic")

MODELS_TIMEOUT = httpx.Timeout(5.0, connect=3.0)  # a list that takes longer is not waited for
SHOWN = 20  # names an error lists at most
# Google's ids name the same models as the relays' aliases.
_SAME_MODEL = {"3.1": "veo3.1", "3.0": "veo3", "2.0": "veo2"}


@dataclass(frozen=True, slots=True)
class RelayModels:
    """The model names a relay lists (``GET /v1/models``) and the gateway that listed them."""

    names: tuple[str, ...]
    gateway: Gateway | None = None
    video_modes: frozenset[str] = frozenset()  # names LiteLLM marks "mode": "video_generation"

    def listed(self, name: str) -> str | None:
        """``name`` as the relay spells it, if it is listed (exactly, else ignoring case)."""
        if name in self.names:
            return name
        folded = name.casefold()
        return next((n for n in self.names if n.casefold() == folded), None)

    def videos(self) -> tuple[str, ...]:
        """The names that look like video models: marked so, known to the catalog, or named so."""
        return tuple(n for n in self.names if n in self.video_modes or _looks_like_video(n))

    def says(self) -> str:
        """What the relay sells, for a message: its video models (at most ``SHOWN``)."""
        names = self.videos() or self.names
        shown = ", ".join(names[:SHOWN])
        return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def _looks_like_video(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in ("veo", "video", "sora", "jimeng")) or readable(name)


def read_relay_models(body: object, headers: Mapping[str, str] | None = None) -> RelayModels | None:
    """The offer in a ``GET /v1/models`` answer (OpenAI's list, new-api's, LiteLLM's), or None
    when the answer is no such list."""
    if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
        return None
    entries = [e for e in body["data"] if isinstance(e, Mapping) and isinstance(e.get("id"), str)]
    names = tuple(dict.fromkeys(e["id"] for e in entries if e["id"].strip()))
    modes = frozenset(e["id"] for e in entries if e.get("mode") == "video_generation")
    return RelayModels(names, from_models(body, headers), modes)


def fetch_relay_models(base_url: str, secret: Secret | None) -> RelayModels | None:
    """Ask the relay at ``base_url`` (its root) what it sells; None, logged, when it cannot say.

    A plain blocking request from the caller's thread: it runs once per client, before the
    first create, and must not wait on the background loop that runs the jobs.
    """
    headers = {"Authorization": f"Bearer {secret.reveal()}"} if secret is not None else {}
    try:
        with httpx.Client(timeout=MODELS_TIMEOUT) as http:
            response = http.get(f"{base_url}/v1/models", headers=headers)
    except httpx.HTTPError as exc:
        log.info("the relay's model list could not be read (%s); composing names", exc)
        return None
    if response.status_code != 200:
        log.info("the relay's model list answered HTTP %s; composing names", response.status_code)
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    offer = read_relay_models(body, response.headers)
    if offer is None or not offer.videos():
        log.info("the relay's model list names no video model; composing names")
        return None
    return offer


def resolve(request: VideoRequest, offer: RelayModels) -> VideoRequest:
    """``request`` with the model the relay lists for it; ``VeoInputError`` when none serves."""
    wire = request.wire_model
    if (listed := offer.listed(wire)) is not None:
        return request if listed == wire else dataclasses.replace(request, relay_model=listed)
    if request.spec.explicit:  # a full relay name: sent as given, as always
        log.info("the relay does not list %r; sending it as given", wire)
        return request
    choices = sorted(
        (spec for spec in _specs(offer) if _serves(spec, request)),
        key=lambda spec: (spec.style != request.spec.style, len(spec.suffixes), spec.name),
    )
    if choices:
        return dataclasses.replace(request, relay_model=choices[0].name)
    raise VeoInputError(
        "model",
        request.spec.name,
        f"here means {wire!r}, which this relay does not sell, and none of the names it sells "
        f"makes {_needs(request)}",
        offer.says(),
        hint="pick one of these with model='NAME' (--model NAME), or ask for less",
    )


def _specs(offer: RelayModels) -> list[ModelSpec]:
    return [parse_model(name) for name in offer.names if readable(name)]


def _same_model(spec: ModelSpec) -> str:
    return _SAME_MODEL.get(spec.version, spec.family) if spec.family == "gemini" else spec.family


def _serves(spec: ModelSpec, request: VideoRequest) -> bool:
    """Whether the listed ``spec`` can make what ``request`` asks for on its protocol."""
    wanted = request.wire_spec
    if (_same_model(spec), spec.tier, spec.four_k) != (
        _same_model(wanted),
        wanted.tier,
        wanted.four_k,
    ):
        return False
    if spec.family == "gemini" and request.protocol == "chat":
        return False  # a Google id is not a chat model
    roles = [
        role
        for role, given in (
            ("first_frame", request.first_frame),
            ("last_frame", request.last_frame),
            ("reference", request.references),
        )
        if given
    ]
    if not all(spec.takes(role) for role in roles) or len(request.images) > spec.max_images:
        return False
    orientation = request.orientation or "portrait"
    if spec.orientation is not None:
        if spec.orientation != orientation:
            return False
    elif request.protocol == "chat" and orientation != "portrait":
        return False  # chat has no size field: only the name can say landscape
    return request.seconds is None or request.seconds in spec.allowed_seconds(request.protocol)


def _needs(request: VideoRequest) -> str:
    """What ``request`` asks of a model, in words: ``a fast landscape 8 s clip with a last frame``."""
    wanted = request.wire_spec
    words = [wanted.tier] if wanted.tier != "standard" else []
    words += ["4K"] if wanted.four_k else []
    if request.protocol == "chat" and request.orientation == "landscape":
        words.append("landscape")
    if request.seconds is not None:
        words.append(f"{request.seconds} s")
    with_ = []
    if request.last_frame is not None:
        with_.append("a last frame")
    if request.references:
        with_.append("reference images")
    article = "an" if words and words[0][0] in "8aeiou" else "a"
    return " ".join([article, *words, "clip"]) + (f" with {' and '.join(with_)}" if with_ else "")
