"""A clip made from another: an edit or an extension, and the settings it inherits (issue 19).

``derive`` checks that the step can be made on the route and turns it into the keywords of an
ordinary request plus its ``Lineage``, before anything is sent:

- **edit** (Gemini Omni on ``interactions``): a new turn with ``previous_interaction_id`` =
  the parent's interaction id. Settings are interaction-scoped on Google's side (GOOGLE.md), so
  every setting the parent had (model, orientation, resolution, length, seed) is sent again
  unless the edit changes it. A parent made elsewhere (a Veo clip) is edited statelessly: its clip
  is sent as a ``video`` part with ``task: "edit"``. Veo cannot edit: a ``VeoInputError`` names
  ``interactions``.
- **extend**: on ``interactions`` Omni's ``task: "extend"``, 3–10 s a call, the whole clip up to
  ``OMNI_TOTAL_SECONDS`` (30 s on 1.2, M; 40 s quoted for 1.1); on ``vertex`` Veo's extension (an
  instance whose ``video`` is the parent's clip bytes, +7 s); on ``gemini`` Veo's extension of the
  clip's Google URI (``extend=``). Veo's cap is 8 s + 20 extensions of 7 s = 148 s.
- On a relay (``videos``), a clip of one of the relay's Omni names is edited by the relay's
  remix of it (``POST /v1/videos/{id}/remix``: new-api's route, OpenAI's schema), the prompt
  alone. The relays document no edit of a Veo clip and no extension at all: both are refused,
  naming the routes that can.

The ``Lineage`` rides on the request (``VideoRequest.lineage``) and is journalled with it, so a
clip's versions are a tree read from the journal (``jobs.versions``), and a job resumed after a
restart still knows the interaction it chains to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .._exceptions import VeoInputError

__all__ = [
    "EDIT_PROTOCOLS",
    "EXTENDED_BY_VEO_TOTAL_SECONDS",
    "EXTEND_PROTOCOLS",
    "OMNI_EXTENSION_SECONDS",
    "OMNI_TOTAL_SECONDS",
    "Lineage",
    "ParentClip",
    "Step",
    "derive",
]

Step = Literal["edit", "extend"]
EDIT_PROTOCOLS = ("interactions",)
EXTEND_PROTOCOLS = ("interactions", "vertex", "gemini")
OMNI_EXTENSION_SECONDS = (3, 10)  # one extension call (GOOGLE.md, M)
OMNI_DEFAULT_EXTENSION = 7  # as long as one Veo extension, when no length is asked
# The whole clip, extensions included (GOOGLE.md, M; 1.1's 40 s is quoted by third parties).
OMNI_TOTAL_SECONDS = {"1.2": 30, "1.1": 40, "1.0": 40}
# Veo 3.1's extension (Google's docs): 7 s a call, up to 20 times after an 8 s clip.
EXTENDED_BY_VEO_SECONDS = 7
EXTENDED_BY_VEO_TOTAL_SECONDS = 8 + 20 * EXTENDED_BY_VEO_SECONDS
# Interaction-scoped settings a turn must carry again (GOOGLE.md: "resend each turn").
INHERITED = ("model", "orientation", "resolution", "seed")


@dataclass(frozen=True)
class ParentClip:
    """What a derived clip needs of the clip it is made from (a live Job or a journal row)."""

    job_id: str
    protocol: str
    status: str
    task_id: str | None
    files: tuple[Path, ...]
    record: Mapping[str, Any] = field(repr=False)
    urls: tuple[str, ...] = ()

    @property
    def seconds(self) -> int:
        """The whole clip's length: extensions included."""
        lineage = self.record.get("lineage")
        if isinstance(lineage, Mapping) and isinstance(lineage.get("total_seconds"), int):
            return int(lineage["total_seconds"])
        seconds = self.record.get("seconds")
        return int(seconds) if isinstance(seconds, int | float) else 8

    @property
    def family(self) -> str:
        model = str(self.record.get("wire_model") or self.record.get("model") or "")
        return "omni" if "omni" in model.lower() else "veo"


@dataclass(frozen=True)
class Lineage:
    """Where a request's clip comes from: its parent job and the step between them."""

    parent: str  # the parent's local job id
    step: Step
    # The parent's id where it was made: its interaction (previous_interaction_id), or on a
    # relay's videos protocol the video a remix names.
    interaction: str | None = None
    source: str | None = None  # the parent's clip on disk: a stateless edit, Veo's extension
    total_seconds: int = 0  # the whole clip after this step
    root: str | None = None  # the first version of the clip (None: the parent is)

    def describe(self) -> dict[str, object]:
        return {
            "parent": self.parent,
            "step": self.step,
            "interaction": self.interaction,
            "source": self.source,
            "total_seconds": self.total_seconds,
            "root": self.root or self.parent,
        }

    @classmethod
    def read(cls, record: Mapping[str, Any]) -> Lineage | None:
        """The lineage a journalled request recorded (None: a new clip)."""
        raw = record.get("lineage")
        if not isinstance(raw, Mapping) or not raw.get("parent"):
            return None
        return cls(
            parent=str(raw["parent"]),
            step="extend" if raw.get("step") == "extend" else "edit",
            interaction=raw.get("interaction"),
            source=raw.get("source"),
            total_seconds=int(raw.get("total_seconds") or 0),
            root=raw.get("root"),
        )


def _root(parent: ParentClip) -> str:
    lineage = Lineage.read(parent.record)
    return (lineage.root or lineage.parent) if lineage else parent.job_id


def _check_parent(parent: ParentClip, step: Step) -> None:
    if parent.status != "succeeded":
        raise VeoInputError(
            step,
            parent.job_id,
            f"names a job that is {parent.status}, with no clip to {step} yet",
            ("a finished job",),
            hint="wait for it to finish first (job.wait(), or await job)",
        )


def _source(parent: ParentClip, step: Step, why: str) -> str:
    """The parent's first clip on disk (it is sent as the video to edit or extend)."""
    for path in parent.files:
        if Path(path).is_file():
            return str(path)
    raise VeoInputError(
        step,
        parent.job_id,
        f"needs the parent's clip on disk ({why}), and job {parent.job_id} has none left",
        hint="keep the clip in the output folder, or start again from a clip that is there",
    )


def _inherited(parent: ParentClip, options: dict[str, Any]) -> dict[str, Any]:
    """The parent's settings, each unless the step changes it (``None`` counts as unchanged)."""
    given = {k: v for k, v in options.items() if v is not None and v is not False}
    shaped = any(k in given for k in ("orientation", "landscape", "portrait", "size"))
    for name in INHERITED:
        value = parent.record.get(name)
        if name in given or value in (None, "") or (name == "orientation" and shaped):
            continue
        given[name] = value
    return given


def derive(
    parent: ParentClip, step: Step, protocol: str, prompt: str | None, options: dict[str, Any]
) -> tuple[str, dict[str, Any], Lineage]:
    """The prompt, the keywords of the request, and the lineage of an edit or extension of
    ``parent`` on ``protocol``; a ``VeoInputError`` before anything is sent when it cannot be
    made there."""
    _check_parent(parent, step)
    if step == "edit":
        return _edit(parent, protocol, prompt, options)
    return _extend(parent, protocol, prompt, options)


def _edit(
    parent: ParentClip, protocol: str, prompt: str | None, options: dict[str, Any]
) -> tuple[str, dict[str, Any], Lineage]:
    if protocol == "videos" and parent.family == "omni":
        return _remix(parent, prompt, options)
    if protocol not in EDIT_PROTOCOLS:
        raise VeoInputError(
            "edit",
            parent.job_id,
            f"cannot be made on the {protocol} protocol: Veo makes a new clip each time and has "
            "no edit; Gemini Omni edits a clip in place",
            EDIT_PROTOCOLS,
            hint="make the clip with veo_magic.Client(protocol='interactions') (Gemini Omni); "
            "an Omni client also edits this clip statelessly: client.edit(job, prompt)",
        )
    _check_edit_prompt(prompt)
    keywords = _inherited(parent, options)
    if parent.family != "omni":
        keywords.pop("model", None)  # a Veo clip is edited by Omni: the client's model
    # An edit keeps the clip's length (one Omni turn makes 15 s at most).
    keywords.setdefault("seconds", min(parent.seconds, 15))
    stateful = parent.protocol == "interactions" and bool(parent.task_id)
    lineage = Lineage(
        parent=parent.job_id,
        step="edit",
        interaction=parent.task_id if stateful else None,
        source=_first_file(parent) if stateful else _source(parent, "edit", "sent to Omni"),
        total_seconds=int(str(keywords["seconds"]).rstrip("s")),  # an edit is as long as asked
        root=_root(parent),
    )
    return str(prompt), keywords, lineage


def _check_edit_prompt(prompt: str | None) -> None:
    if not prompt or not str(prompt).strip():
        raise VeoInputError(
            "prompt",
            prompt,
            "is empty: an edit says what to change",
            hint='for example "make it night; keep everything else the same"',
        )


def _remix(
    parent: ParentClip, prompt: str | None, options: dict[str, Any]
) -> tuple[str, dict[str, Any], Lineage]:
    """A relay's Omni clip, edited by the relay's remix of it (``POST /v1/videos/{id}/remix``,
    new-api's route and OpenAI's schema): the prompt alone, the clip keeps its settings."""
    if parent.protocol != "videos" or not parent.task_id:
        raise VeoInputError(
            "edit",
            parent.job_id,
            "cannot be remixed by this relay: it was not made here on the videos protocol",
            EDIT_PROTOCOLS,
            hint="edit it with Gemini Omni itself: veo_magic.Client(protocol='interactions')",
        )
    changed = sorted(k for k, v in options.items() if v is not None and v is not False)
    if changed:
        raise VeoInputError(
            changed[0],
            options[changed[0]],
            "cannot be changed by a relay's remix: it takes only the prompt, and the clip keeps "
            "its settings",
            hint="drop the option, or edit on protocol='interactions', which resends each one",
        )
    _check_edit_prompt(prompt)
    keywords = _inherited(parent, {})
    keywords.pop("seed", None)  # the remix keeps the parent's; the relay takes no other field
    if isinstance(parent.record.get("seconds"), int):
        keywords["seconds"] = parent.record["seconds"]
    lineage = Lineage(
        parent=parent.job_id,
        step="edit",
        interaction=parent.task_id,  # the relay's video id: what the remix names
        source=_first_file(parent),
        total_seconds=parent.seconds,
        root=_root(parent),
    )
    return str(prompt), keywords, lineage


def _first_file(parent: ParentClip) -> str | None:
    """The parent's clip on disk, kept for a stateless retry (None: none left)."""
    return next((str(p) for p in parent.files if Path(p).is_file()), None)


def _extend(
    parent: ParentClip, protocol: str, prompt: str | None, options: dict[str, Any]
) -> tuple[str, dict[str, Any], Lineage]:
    if protocol not in EXTEND_PROTOCOLS:
        raise VeoInputError(
            "extend",
            parent.job_id,
            f"cannot be made on the {protocol} protocol: no relay documents an extension of a clip",
            EXTEND_PROTOCOLS,
            hint="extend through Google: protocol='interactions' (Gemini Omni), 'vertex' or "
            "'gemini' (Veo 3.1)",
        )
    seconds = options.pop("seconds", None)
    text = str(prompt).strip() if prompt else ""
    keywords = _inherited(parent, options)
    root = _root(parent)
    if protocol == "interactions":
        added = _omni_seconds(parent, seconds)
        keywords["seconds"] = added
        stateful = parent.protocol == "interactions" and bool(parent.task_id)
        lineage = Lineage(
            parent=parent.job_id,
            step="extend",
            interaction=parent.task_id if stateful else None,
            source=_first_file(parent) if stateful else _source(parent, "extend", "sent to Omni"),
            total_seconds=parent.seconds + added,
            root=root,
        )
        return text or "continue the scene", keywords, lineage
    if seconds is not None and int(str(seconds).rstrip("s") or 0) != EXTENDED_BY_VEO_SECONDS:
        raise VeoInputError(
            "seconds",
            seconds,
            f"cannot be chosen: a Veo extension always adds {EXTENDED_BY_VEO_SECONDS} s",
            (EXTENDED_BY_VEO_SECONDS,),
            hint="drop seconds=, or use Gemini Omni (protocol='interactions'): 3–10 s a call",
        )
    total = parent.seconds + EXTENDED_BY_VEO_SECONDS
    if total > EXTENDED_BY_VEO_TOTAL_SECONDS:
        raise VeoInputError(
            "extend",
            parent.job_id,
            f"would make the clip {total} s long; Veo extends a clip to {EXTENDED_BY_VEO_TOTAL_SECONDS} s "
            f"at most (it is {parent.seconds} s now)",
            hint="start a new clip from this one's last frame (first_frame=)",
        )
    keywords.pop("seconds", None)
    keywords.pop("resolution", None)  # an extension is made at 720p (a rule sets it)
    if protocol == "gemini":
        keywords.pop("seed", None)  # the Gemini API has no seed
    if protocol == "gemini":
        keywords["extend"] = _gemini_uri(parent)
        source = None
    else:
        source = _source(parent, "extend", "Vertex extends a clip from its bytes")
        keywords["extend"] = source
    lineage = Lineage(
        parent=parent.job_id,
        step="extend",
        source=source,
        total_seconds=total,
        root=root,
    )
    return text or str(parent.record.get("prompt") or "continue the scene"), keywords, lineage


def _gemini_uri(parent: ParentClip) -> str:
    if parent.protocol != "gemini" or not parent.urls or not parent.urls[0]:
        raise VeoInputError(
            "extend",
            parent.job_id,
            "needs a clip Google's Gemini API made (its URI): this one was made through "
            f"{parent.protocol}",
            hint="extend it on Vertex (protocol='vertex' sends the clip's bytes) or with Gemini "
            "Omni (protocol='interactions')",
        )
    return parent.urls[0]


def _omni_seconds(parent: ParentClip, seconds: object) -> int:
    version = "1.1" if "1.1" in str(parent.record.get("wire_model") or "") else "1.2"
    cap = OMNI_TOTAL_SECONDS[version]
    room = cap - parent.seconds
    low, high = OMNI_EXTENSION_SECONDS
    if room < low:
        raise VeoInputError(
            "extend",
            parent.job_id,
            f"cannot extend a {parent.seconds} s clip: Gemini Omni {version} extends a clip to "
            f"{cap} s at most, and one extension adds at least {low} s",
            hint="start a new clip from this one's last frame (first_frame=)",
        )
    if seconds is None:
        return min(OMNI_DEFAULT_EXTENSION, room)
    try:
        asked = int(str(seconds).strip().removesuffix("s"))
    except ValueError:
        raise VeoInputError(
            "seconds", seconds, "is not a whole number of seconds", (f"{low}–{high}",)
        ) from None
    if not low <= asked <= high:
        raise VeoInputError(
            "seconds",
            seconds,
            f"is not a length Gemini Omni extends by: {low}–{high} s a call",
            (f"{low}–{min(high, room)}",),
        )
    if asked > room:
        raise VeoInputError(
            "seconds",
            seconds,
            f"would make the clip {parent.seconds + asked} s long; Gemini Omni {version} extends "
            f"a clip to {cap} s at most (it is {parent.seconds} s now)",
            (f"{low}–{room}",),
            hint=f"ask for {room} s or less",
        )
    return asked
