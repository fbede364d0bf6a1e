"""What a route answers to questions that cost nothing: one small probe per protocol.

``%veo check`` and ``veo-magic check`` ask the configured route, before any money is spent,
whether it answers, whether it takes the key and which video models it sells today. Each
protocol has one probe function, registered here by its protocol's name (strings, so a protocol
added elsewhere plugs in with one line), that sends only free requests (a model list, a model's
card; never a create) and returns what it saw as a ``Probe``. Judging what that means and what
to change is ``veo_magic.checks``'s; the probes only ask and read.

    >>> sorted(PROBES)
    ['chat', 'create', 'gemini', 'interactions', 'vertex', 'videos']
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from .answers import Probe, Target

if TYPE_CHECKING:
    ProbeFunction = Callable[[Target], Probe]

__all__ = ["PROBES", "Probe", "Target", "probe", "probe_for"]

# protocol name -> "module:function"; imported on first use.
PROBES: dict[str, str] = {
    "chat": "veo_magic.relays.probes.relay_list:probe",
    "videos": "veo_magic.relays.probes.relay_list:probe",
    "create": "veo_magic.relays.probes.relay_list:probe",
    "gemini": "veo_magic.relays.probes.gemini_list:probe_veo",
    "interactions": "veo_magic.relays.probes.gemini_list:probe_omni",
    "vertex": "veo_magic.relays.probes.vertex_models:probe",
}


def probe_for(protocol: str) -> ProbeFunction:
    """The probe function registered for ``protocol`` (``KeyError`` for an unknown one)."""
    module_name, _, function = PROBES[protocol].partition(":")
    return getattr(importlib.import_module(module_name), function)


def probe(route: Target) -> Probe:
    """Ask ``route`` what it sells, with its protocol's probe."""
    return probe_for(route.protocol)(route)
