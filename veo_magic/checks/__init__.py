"""``check``: before anyone spends money, what the configured route answers, whether it takes
the key, which video models it sells today, and what to change. Only free requests are sent (a
model list, a model's card; never a create).

    >>> from veo_magic.checks import check_route                                   # doctest: +SKIP
    >>> print(check_route(route).text())                                           # doctest: +SKIP

The probes (``relays.probes``, one per protocol) ask; ``verdict`` judges what they saw and says
what to change; ``RouteCheck.text`` / ``.html`` are what the front ends show.
"""

from __future__ import annotations

from .verdict import Finding, RouteCheck, check_route

__all__ = ["Finding", "RouteCheck", "check_route"]
