"""The client for code that names none, and ``veo_magic.storyboard``, which uses it.

A front end may supply the default (the notebook session does, once ``%veo login`` or ``%veo
config`` changed its settings) through ``set_default_client``; otherwise each call gets a
``Client`` made from the environment as it is then. This is the one seam by which the core
learns of a front end's settings: nothing here imports a front end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .client import Client

if TYPE_CHECKING:
    from ..storyboards import Storyboard

__all__ = ["default_client", "set_default_client", "storyboard"]

_provider: Callable[[], Client] = Client


def set_default_client(provider: Callable[[], Client] | None) -> None:
    """Make ``provider()`` the client of code that names none (None: one from the environment)."""
    global _provider
    _provider = provider or Client


def default_client() -> Client:
    """The client for code that names none."""
    return _provider()


def storyboard(
    shots: Sequence[Any],
    *,
    continuity: str = "last-frame",
    client: Client | None = None,
    **options: Any,
) -> Storyboard:
    """Chain ``shots`` into a film and start rendering; returns the ``Storyboard`` at once.

    ``shots`` are prompts or dicts (``{"prompt": …, "seconds": 4}``); ``options`` are request
    keywords for every shot (a shot's own win). ``client`` defaults to the notebook session's
    when it was configured there (``%veo login``, ``%veo config``), else one from the environment.
    """
    return (client or default_client()).storyboard(shots, continuity=continuity, **options)
