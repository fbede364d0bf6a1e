"""The client: takes a prompt and options down to a started ``Job``, one way, and re-attaches
to jobs a relay already has."""

from __future__ import annotations

from .client import Client
from .defaults import default_client, set_default_client, storyboard
from .offline import offline_base_url

__all__ = ["Client", "default_client", "offline_base_url", "set_default_client", "storyboard"]
