"""A storyboard's shots as given, each checked and priced before anything is sent.

A shot is a prompt and its request keywords: the storyboard's, under the shot's own. A later
shot cannot be checked against what it continues from (that clip does not exist yet), so it is
checked against a stand-in: for ``last-frame`` an image that is not decoded yet, for ``extend`` a
finished gemini clip of the size the shot before will have. Every refusal names the shot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .._exceptions import VeoInputError
from ..requests import ImageInput, ParentClip

if TYPE_CHECKING:
    from ..client import Client
    from ..requests import VideoRequest

__all__ = [
    "CONTINUITIES",
    "Continuity",
    "Shot",
    "ShotInputError",
    "check_continuity",
    "check_shot_options",
    "for_shot",
    "shot_from",
    "shots_from",
    "validate",
]

Continuity = Literal["last-frame", "extend", "none"]
CONTINUITIES: tuple[Continuity, ...] = ("last-frame", "extend", "none")
MAX_EXTENSIONS = 20  # Google extends a Veo 3.1 clip up to 20 times (148 s)
STAND_IN_URI = "https://storyboard.invalid/the-previous-shot"


@dataclass
class Shot:
    """One shot: its prompt and its request keywords (the storyboard's, then its own)."""

    prompt: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _PreviousShot:
    """What a later shot is validated against before shot k exists: a finished Veo clip of the
    size shot k will have (``VideoRequest`` reads a Job's facts, so it takes this too)."""

    id: str
    record: dict[str, Any]
    protocol: str = "gemini"
    status: str = "succeeded"
    video_urls: list[str] = field(default_factory=lambda: [STAND_IN_URI])
    planned: bool = True  # no clip yet: Vertex reads its bytes only at its turn


def _stand_in_frame(previous: int) -> ImageInput:
    """The first frame a shot will get: shot ``previous``'s last frame, not decoded yet."""
    return ImageInput(role="first_frame", source=f"the last frame of shot {previous}", mime=None)


class ShotInputError(VeoInputError):
    """Bad input in one shot of a storyboard: the message names the shot first."""

    def __init__(self, shot: int, *parts: Any, **words: Any) -> None:
        self.shot = shot
        super().__init__(*parts, **words)

    @property
    def subject(self) -> str:
        return f"shot {self.shot}: {super().subject}"


def for_shot(index: int, exc: VeoInputError) -> VeoInputError:
    """``exc`` with the shot it is about in front."""
    if isinstance(exc, ShotInputError):
        return exc
    return ShotInputError(
        index, exc.field, exc.value, exc.problem, exc.allowed, hint=exc.hint, given_as=exc.given_as
    )


def check_continuity(continuity: object) -> Continuity:
    if isinstance(continuity, str) and continuity.strip().lower() in CONTINUITIES:
        return continuity.strip().lower()  # type: ignore[return-value]
    raise VeoInputError(
        "continuity",
        continuity,
        "is not a way to join shots",
        CONTINUITIES,
        hint="last-frame: each shot starts from the one before's last frame; extend: each shot "
        "extends the clip (interactions: Gemini Omni; gemini, vertex: Veo 3.1); none: independent "
        "shots",
    )


def shots_from(shots: object, shared: Mapping[str, Any], continuity: Continuity) -> list[Shot]:
    """Each shot as a prompt and its merged keywords; structural mistakes raised by shot."""
    if isinstance(shots, str | bytes) or not isinstance(shots, Sequence):
        raise VeoInputError(
            "shots",
            shots,
            f"is a {type(shots).__name__}, not a list of shots",
            "a list of prompts or dicts",
            hint="e.g. ['a fox wakes', {'prompt': 'the fox runs', 'seconds': 4}]",
        )
    if not shots:
        raise VeoInputError(
            "shots", [], "has no shot: a storyboard needs at least one", "1 or more"
        )
    if continuity == "extend" and len(shots) > MAX_EXTENSIONS + 1:
        raise VeoInputError(
            "shots",
            None,
            f"are {len(shots)}: Google extends a clip at most {MAX_EXTENSIONS} times (to 148 s)",
            range(1, MAX_EXTENSIONS + 2),
        )
    return [shot_from(index, shot, shared, continuity) for index, shot in enumerate(shots)]


def shot_from(index: int, shot: object, shared: Mapping[str, Any], continuity: Continuity) -> Shot:
    """Shot ``index`` as given (a prompt, a dict or a ``Shot``), with ``shared`` under its own
    (a shared ``first_frame`` starts a chain: it goes to shot 0 only)."""
    if isinstance(shot, Shot):
        prompt, own = shot.prompt, dict(shot.options)
    elif isinstance(shot, str):
        prompt, own = shot, {}
    elif isinstance(shot, Mapping):
        own = dict(shot)
        prompt = own.pop("prompt", None)
    else:
        raise ShotInputError(
            index,
            "shots",
            shot,
            "is neither a prompt nor a dict",
            ("a prompt", "a dict with 'prompt'"),
        )
    if not isinstance(prompt, str) or not prompt.strip():
        raise ShotInputError(
            index, "prompt", prompt, "is empty: every shot needs a prompt (what happens in it)"
        )
    if index and continuity != "none":  # a shared first frame is where the chain starts
        shared = {k: v for k, v in shared.items() if k != "first_frame"}
    options = {**shared, **own}
    check_shot_options(index, options, continuity)
    return Shot(prompt.strip(), options)


def check_shot_options(index: int, options: Mapping[str, Any], continuity: Continuity) -> None:
    if options.get("extend") is not None:
        raise ShotInputError(
            index,
            "extend",
            str(options["extend"]),
            "is the storyboard's to set",
            hint="with continuity='extend' every shot extends the one before",
        )
    if options.get("n") not in (None, 1):
        raise ShotInputError(
            index, "n", options["n"], "asks for several clips; a shot is one clip", (1,)
        )
    if index and continuity == "last-frame" and options.get("first_frame") is not None:
        raise ShotInputError(
            index,
            "first_frame",
            str(options["first_frame"]),
            f"cannot be given: this shot starts from shot {index - 1}'s last frame",
            hint="drop first_frame here, or use continuity='none'",
        )


def validate(
    client: Client, index: int, shot: Shot, continuity: Continuity, previous: VideoRequest | None
) -> VideoRequest:
    """Shot ``index``'s request, checked against a stand-in for what it continues from."""
    options = dict(shot.options)
    if index and continuity == "last-frame":
        options["first_frame"] = _stand_in_frame(index - 1)
    elif index and continuity == "extend" and client.protocol == "interactions":
        # Gemini Omni extends by a new turn of the shot before's interaction, not yet made:
        # a stand-in with that shot's settings and length checks this one against the cap.
        assert previous is not None
        stand_in = ParentClip(
            job_id=f"shot {index - 1}",
            protocol="interactions",
            status="succeeded",
            task_id=f"shot {index - 1}",
            files=(),
            record=previous.describe(),
        )
        try:
            return client.derived(stand_in, "extend", shot.prompt, **options)
        except VeoInputError as exc:
            raise for_shot(index, exc) from None
    elif index and continuity == "extend":
        size = previous.describe()["pixel_size"] if previous is not None else None
        options["extend"] = _PreviousShot(
            f"shot {index - 1}", {"pixel_size": size}, protocol=client.protocol
        )
    try:
        return client.request(shot.prompt, **options)
    except VeoInputError as exc:
        raise for_shot(index, exc) from None
