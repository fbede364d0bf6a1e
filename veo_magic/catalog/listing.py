"""The model list that ``veo-magic models`` and ``%veo models`` print: one function for both.

Below the catalog, when a configured relay answered ``GET /v1/models`` (``relays.relay_models``), comes what
it sells: each video model, known to the catalog (with its price) or not (price unknown, sent as
given with ``--model``).

Two kinds of price live side by side and the list says which is which: a relay's name costs a
price per clip (seed 001's apiyi prices, estimates for the rest), a Google id costs Google's price
per second of clip at each resolution (a clip is rate x seconds). A ``VEO_PRICES`` or
``set_price`` override is always per clip, and the list says where one applies.

    >>> print(model_lines()[0])  # doctest: +ELLIPSIS
    Relay models: USD per clip ...
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .._exceptions import VeoInputError
from .models import VERTEX_IDS, ModelSpec, known_models, parse_model

if TYPE_CHECKING:
    from ..relays import RelayModels

__all__ = ["model_lines"]

NAME_WIDTH = 34


def model_lines(
    specs: Iterable[ModelSpec] | None = None, *, offer: RelayModels | None = None
) -> list[str]:
    """The catalog (or ``specs``) as printable lines: relay names, then Google's ids; then what
    the relay sells, given its ``offer``."""
    specs = list(known_models() if specs is None else specs)
    omni = [spec for spec in specs if spec.family == "omni" and spec.style == "google"]
    relays = [spec for spec in specs if spec.family != "gemini" and spec not in omni]
    vertex = [spec for spec in specs if spec.name.lower() in VERTEX_IDS]
    google = [spec for spec in specs if spec.family == "gemini" and spec not in vertex]
    lines: list[str] = []
    if relays:
        lines.append(
            "Relay models: USD per clip (apiyi's prices from seed 001 for veo-3.1 and -fast, "
            "estimates for the rest; VEO_PRICES overrides)"
        )
        lines += [
            f"  {spec.name:<{NAME_WIDTH}} {_price(spec):>12}  {spec.summary}" for spec in relays
        ]
    if google:
        lines.append(
            "Google's Gemini API (protocol gemini): USD per second of clip, audio included, by "
            "resolution (Google's list prices, Fast cut on 2026-04-07); a clip costs rate x seconds"
        )
        for spec in google:
            lines.append(f"  {spec.name:<{NAME_WIDTH}} {_price(spec)}")
            lines.append(f"  {'':<{NAME_WIDTH}} {spec.summary}")
            if spec.retired is not None:
                lines.append(
                    f"  {'':<{NAME_WIDTH}} retired on the Gemini API since {spec.retired.date} "
                    f"(Google names {spec.retired.replacement}); relays and Vertex may still "
                    "serve it"
                )
    if vertex:
        lines.append(
            "Vertex AI (protocol vertex, a Google Cloud project): USD per second, estimated from "
            "the Gemini API's last Veo prices (Vertex's own price page not read, 2026-12)"
        )
        for spec in vertex:
            lines.append(f"  {spec.name:<{NAME_WIDTH}} {_price(spec)}")
            lines.append(f"  {'':<{NAME_WIDTH}} {spec.summary}")
    if omni:
        lines.append(
            "Gemini Omni on Google's Interactions API (protocol interactions, the key in "
            "x-goog-api-key): USD per second of clip by resolution, estimates (Google's own "
            "pricing page not read); a clip costs rate x seconds"
        )
        for spec in omni:
            lines.append(f"  {spec.name:<{NAME_WIDTH}} {_price(spec)}")
            lines.append(f"  {'':<{NAME_WIDTH}} {spec.summary}")
    return lines + (_sold(offer) if offer is not None else [])


def _sold(offer: RelayModels) -> list[str]:
    source = {"litellm": "LiteLLM's", "new-api": "new-api's"}.get(offer.gateway or "", "its")
    lines = [f"This relay sells ({source} GET /v1/models):"]
    videos = offer.videos()
    for name in videos:
        try:
            spec = parse_model(name)
        except VeoInputError:
            note = f"not in veo_magic's catalog: sent as given with --model {name}"
            lines.append(f"  {name:<{NAME_WIDTH}} {'price unknown':>12}  {note}")
            continue
        lines.append(f"  {name:<{NAME_WIDTH}} {spec.price_label:>12}  {spec.summary}")
    others = len(offer.names) - len(videos)
    if others:
        lines.append(f"  and {others} other model{'s' if others != 1 else ''} (not video)")
    return lines


def _price(spec: ModelSpec) -> str:
    if spec.family == "gemini" and not spec.rates:
        return f"{spec.price_label} (VEO_PRICES)"
    return spec.price_label
