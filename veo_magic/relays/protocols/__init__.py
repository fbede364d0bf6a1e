"""One module per wire protocol; each holds one adapter with one async method.

An adapter is built with a ``Relay`` (the HTTP seam: retries, errors, the key in a header) and
turns a ``VideoRequest`` into events::

    async for event in ChatAdapter(relay).run(request):
        ...  # Submitted, Progress..., VideoReady (one per clip)  -- or Failed

``run(request, task_id=...)`` re-attaches to a task the relay already has (resume): no create is
sent. An adapter that cannot resume raises ``VeoInputError`` saying so. The generator ending
after its ``VideoReady`` events means success; adapters never download, never touch widgets.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, ClassVar, Protocol

from .gemini import check_resumable
from .polling import Pacing
from .status import video_urls, withheld_reason

if TYPE_CHECKING:
    from ..._events import Event
    from ...requests import VideoRequest
    from ..http import Relay

__all__ = [
    "PROTOCOLS",
    "Adapter",
    "Pacing",
    "adapter_for",
    "check_resumable",
    "video_urls",
    "withheld_reason",
]

# protocol name -> "module:Class"; imported on first use so `import veo_magic` stays cheap.
PROTOCOLS: dict[str, str] = {
    "chat": "veo_magic.relays.protocols.chat:ChatAdapter",
    "videos": "veo_magic.relays.protocols.videos:VideosAdapter",
    "create": "veo_magic.relays.protocols.create:CreateAdapter",
    "gemini": "veo_magic.relays.protocols.gemini:GeminiAdapter",
    "interactions": "veo_magic.relays.protocols.interactions:InteractionsAdapter",
    "vertex": "veo_magic.relays.protocols.vertex:VertexAdapter",
}


class Adapter(Protocol):
    """A wire protocol: one relay dialect family."""

    name: ClassVar[str]

    def __init__(self, relay: Relay, *, pacing: Pacing | None = None) -> None: ...

    def run(
        self, request: VideoRequest | None, *, task_id: str | None = None
    ) -> AsyncIterator[Event]:
        """Yield the job's events; with ``task_id``, follow that existing task instead of creating."""
        ...


def adapter_for(protocol: str) -> type[Adapter]:
    """The adapter class for ``protocol`` (one of ``PROTOCOLS``)."""
    module_name, _, class_name = PROTOCOLS[protocol].partition(":")
    return getattr(importlib.import_module(module_name), class_name)
