"""The relay a client uses when none is configured: the built-in simulator.

The simulator is a separate part (``veo_magic[simulator]``: Starlette, uvicorn, trustme), found
through the package's entry point ``veo_magic.offline`` rather than imported, so that nothing in
the core depends on it and it can be left out of an install.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from .._exceptions import VeoError

__all__ = ["ENTRY_POINTS", "offline_base_url"]

ENTRY_POINTS = "veo_magic.offline"
_NOT_INSTALLED = (
    "no relay is configured (VEO_BASE_URL / VEO_API_KEY) and the built-in simulator "
    "is not installed: pip install 'veo_magic[simulator]', or configure a relay"
)


def offline_base_url() -> str:
    """The base URL of this process's shared simulator, started on first use."""
    for entry in entry_points(group=ENTRY_POINTS):
        try:
            shared = entry.load()
        except ImportError as exc:  # the extra's packages are missing
            raise VeoError(_NOT_INSTALLED) from exc
        return shared().base_url
    raise VeoError(_NOT_INSTALLED)
