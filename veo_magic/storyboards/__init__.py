"""Storyboards: shots chained into one film, each starting from the shot before."""

from __future__ import annotations

from .board import Storyboard, find_storyboard, plan, resume
from .script import OPTION_PREFIX, SEPARATOR, parse_shots
from .shots import (
    CONTINUITIES,
    Continuity,
    Shot,
    ShotInputError,
    check_continuity,
    check_shot_options,
    for_shot,
    shot_from,
    shots_from,
    validate,
)

__all__ = [
    "CONTINUITIES",
    "OPTION_PREFIX",
    "SEPARATOR",
    "Continuity",
    "Shot",
    "ShotInputError",
    "Storyboard",
    "check_continuity",
    "check_shot_options",
    "find_storyboard",
    "for_shot",
    "parse_shots",
    "plan",
    "resume",
    "shot_from",
    "shots_from",
    "validate",
]
