"""What a route's answers mean, and what to change: ``check_route``.

Four questions, in order, each a ``Finding`` (the first that fails ends the list, since the
later ones cannot be asked of a route that failed it): does it answer (a model list at the
protocol's address), does it take the key or credentials, does it sell a video model, and does
it sell the model a job would ask for (resolved the way a job resolves it; otherwise the nearest
listed name). A route that passes all four can make a video.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from .._exceptions import VeoInputError
from ..catalog import RETIRED
from ..relays import RelayModels, resolve
from ..relays.probes import Probe, Target, probe
from ..requests import VideoRequest

__all__ = ["Finding", "RouteCheck", "check_route"]

RELAY_PROTOCOLS = frozenset({"chat", "videos", "create"})

KEY_HINTS = {
    "relay": "check the key (VEO_API_KEY, or `%veo login`): a relay wants its own token (sk-…), "
    "not a Google key",
    "gemini": "check the key (VEO_API_KEY or GEMINI_API_KEY): a Gemini API key from "
    "aistudio.google.com, sent in x-goog-api-key",
    # Google's variables are named where the vertex protocol declares them (config).
    "vertex": "sign in again (`gcloud auth application-default login`) or point Application "
    "Default Credentials at a service-account file; the account needs the Vertex AI User role",
}
KEY_HINTS["interactions"] = KEY_HINTS["gemini"]  # the same key, the same header
NO_VIDEO_HINTS = {
    "relay": "this relay sells no Google video now: ask its admin, or take another route "
    "(README, 'Which route to Google today')",
    "gemini": "Veo left the Gemini API on 2026-10-22: use --protocol interactions (Gemini Omni, "
    "same key) or --protocol vertex (Veo 3.1 on a Cloud project)",
    "interactions": "this key's project lists no Gemini Omni model: check that billing is on "
    "(Omni has no free tier) or use --protocol vertex",
    "vertex": "no Veo 3.1 model answered for this project and location: enable the Vertex AI API "
    "in the project, or try the location us-central1",
}


@dataclass(frozen=True)
class Finding:
    """One question about the route, answered: ``ok``, what was seen, and what to change."""

    question: str  # "answers", "key", "video models", "model"
    ok: bool
    says: str
    hint: str | None = None


@dataclass(frozen=True)
class RouteCheck:
    """Everything ``check_route`` found about one route."""

    protocol: str
    where: str  # the route's root URL, or the built-in simulator
    model: str  # the model a job would ask for, as it goes on the wire when known
    probe: Probe
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """Whether this route can make a video now."""
        return bool(self.findings) and all(f.ok for f in self.findings)

    def text(self) -> str:
        from .report import as_text

        return as_text(self)

    def html(self) -> str:
        from .report import as_html

        return as_html(self)


def check_route(route: Target) -> RouteCheck:
    """Probe ``route`` (free requests only) and judge what it answered."""
    seen = probe(route)
    family = "relay" if route.protocol in RELAY_PROTOCOLS else route.protocol
    wire, notes = _wire_model(route)
    findings = [_answers(route, seen)]
    if findings[-1].ok:
        findings.append(_key(seen, family))
    if findings[-1].ok:
        findings.append(_videos(seen, family))
    if findings[-1].ok:
        findings.append(_model(route, seen, wire))
    if not all(f.ok for f in findings):
        notes = ()  # a price is news only on a route that can make the clip
    elif (retired := RETIRED.get(wire.lower())) is not None:
        notes = (
            *notes,
            f"Google retired {wire} on the Gemini API on {retired.date}; this route still lists "
            "it (a relay or gateway that routes Veo elsewhere)",
        )
    where = f"{route.base_url} (the built-in simulator)" if route.simulated else route.base_url
    if route.simulated:
        notes = (
            *notes,
            "jobs here are simulated: set VEO_BASE_URL and VEO_API_KEY for a real route",
        )
    return RouteCheck(route.protocol, where, wire, seen, tuple(findings), tuple(notes))


def _wire_model(route: Target) -> tuple[str, tuple[str, ...]]:
    """The name a job would send (a relay's composed name, Google's id), and any note on it."""
    model = route.model.strip()  # the client's own, so each protocol's default already
    try:
        request = VideoRequest.build("check", protocol=route.protocol, model=model)
    except (VeoInputError, KeyError):
        return model, ()
    price = request.estimated_cost
    return request.wire_model, (
        (f"a default clip of {request.wire_model} costs about ${price:.2f}",) if price else ()
    )


def _answers(route: Target, seen: Probe) -> Finding:
    if not seen.reached:
        if seen.credentials is not None and seen.said is None:
            return Finding("credentials", False, seen.credentials, KEY_HINTS["vertex"])
        return Finding(
            "answers",
            False,
            f"{seen.asked}: {seen.said or 'no answer'}",
            "check the base URL (VEO_BASE_URL) and the network: nothing answered there",
        )
    if seen.key_accepted is False or seen.listed:
        return Finding("answers", True, f"{seen.asked} answered HTTP {seen.status}{_by(seen)}")
    if seen.status in (404, 405) or seen.status == 200:
        expected = "GET /v1/models" if route.protocol in RELAY_PROTOCOLS else "Google's model list"
        return Finding(
            "answers",
            False,
            f"{seen.asked} answered HTTP {seen.status}: {seen.said}",
            f"the base URL or the protocol looks wrong: a {route.protocol} route answers "
            f"{expected} there (VEO_BASE_URL is the relay's root, with or without /v1; "
            "VEO_PROTOCOL picks chat, videos, create, gemini, interactions or vertex)",
        )
    return Finding(
        "answers",
        False,
        f"{seen.asked} answered HTTP {seen.status}: {seen.said}",
        "the route is not answering normally; try again in a minute, or ask whoever runs it",
    )


def _by(seen: Probe) -> str:
    return f" ({seen.gateway})" if seen.gateway else ""


def _key(seen: Probe, family: str) -> Finding:
    what = "credentials" if family == "vertex" else "key"
    if seen.key_accepted is False:
        said = f"HTTP {seen.status}: {seen.said}" if seen.status else (seen.credentials or "")
        return Finding(what, False, f"refused ({said})", KEY_HINTS.get(family, KEY_HINTS["relay"]))
    source = f" ({seen.credentials})" if seen.credentials else ""
    return Finding(what, True, f"accepted{source}")


def _videos(seen: Probe, family: str) -> Finding:
    if seen.videos:
        shown = ", ".join(seen.videos[:12]) + (
            f" and {len(seen.videos) - 12} more" if len(seen.videos) > 12 else ""
        )
        return Finding("video models", True, shown)
    if family == "vertex":
        listed = f"none of Veo 3.1's models answered here ({seen.said})"
    elif seen.names:
        listed = f"it lists {len(seen.names)} models, none of them a video model"
    else:
        listed = "it lists no model"
    return Finding(
        "video models", False, listed, NO_VIDEO_HINTS.get(family, NO_VIDEO_HINTS["relay"])
    )


def _model(route: Target, seen: Probe, wire: str) -> Finding:
    if route.protocol in RELAY_PROTOCOLS:
        return _relay_model(route, seen, wire)
    listed = {name.casefold(): name for name in seen.names}
    if wire.casefold() in listed:
        return Finding("model", True, f"{wire} is sold here")
    return _not_listed(wire, seen.videos, wire)


def _relay_model(route: Target, seen: Probe, wire: str) -> Finding:
    offer = RelayModels(seen.names, seen.gateway, frozenset(seen.videos))
    try:
        request = VideoRequest.build("check", protocol=route.protocol, model=route.model.strip())
        sent = resolve(request, offer).wire_model
    except VeoInputError:
        if offer.listed(route.model.strip()) is not None:
            return Finding("model", True, f"{route.model} is sold here")
        return _not_listed(route.model.strip(), seen.videos, wire)
    return Finding("model", True, f"{route.model} is sold here (sent as {sent})")


def _not_listed(model: str, videos: tuple[str, ...], wire: str) -> Finding:
    nearest = difflib.get_close_matches(model, videos, n=1, cutoff=0.0)
    retired = RETIRED.get(wire.lower())
    said = f"{model} is not listed here"
    if retired is not None:
        said += f": Google retired it on the Gemini API on {retired.date} ({retired.replacement} instead)"
    hint = (
        f"the nearest listed is {nearest[0]}: --model {nearest[0]} (model={nearest[0]!r})"
        if nearest
        else None
    )
    return Finding("model", False, said, hint)
