"""veo_magic: generate Veo 3.1 videos from Jupyter through OpenAI-compatible relays.

    %load_ext veo_magic
    %%veo --landscape --wait
    a red fox running through fresh snow, golden hour

or from Python::

    import veo_magic as veo
    job = veo.Client().submit("a red fox in snow", orientation="landscape")
    job.wait().videos
    board = veo.storyboard(["a fox wakes", "the fox runs out into the snow"])
    board.wait().film   # the shots, each starting from the last frame of the one before

Heavy modules (httpx, widgets) load on first use, so importing this package and ``%load_ext``
stay cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._exceptions import (
    VeoAPIError,
    VeoBudgetError,
    VeoCancelledError,
    VeoDownloadError,
    VeoError,
    VeoGenerationError,
    VeoInputError,
    VeoTaskUncertainError,
)

if TYPE_CHECKING:
    from ._events import Completed, Downloaded, Failed, Progress, Submitted, VideoReady
    from ._secret import Secret
    from .client import Client, storyboard
    from .jobs import Job
    from .notebook import batch, form
    from .requests import VideoRequest
    from .storyboards import Storyboard

__version__ = "0.1.0"

__all__ = [
    "Client",
    "Completed",
    "Downloaded",
    "Failed",
    "Job",
    "Progress",
    "Secret",
    "Storyboard",
    "Submitted",
    "VeoAPIError",
    "VeoBudgetError",
    "VeoCancelledError",
    "VeoDownloadError",
    "VeoError",
    "VeoGenerationError",
    "VeoInputError",
    "VeoTaskUncertainError",
    "VideoReady",
    "VideoRequest",
    "__version__",
    "batch",
    "form",
    "load_ipython_extension",
    "storyboard",
    "unload_ipython_extension",
]

_LAZY = {
    "Client": ".client",
    "Job": ".jobs",
    "VideoRequest": ".requests",
    "Secret": "._secret",
    "Storyboard": ".storyboards",
    "storyboard": ".client",
    "Submitted": "._events",
    "Progress": "._events",
    "VideoReady": "._events",
    "Failed": "._events",
    "Downloaded": "._events",
    "Completed": "._events",
    "form": ".notebook",
    "batch": ".notebook",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'veo_magic' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext veo_magic``: register ``%%veo`` and ``%veo``."""
    from .notebook import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext veo_magic``."""
    from .notebook import unload_ipython_extension as unload

    unload(ipython)
