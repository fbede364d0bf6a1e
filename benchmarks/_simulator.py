"""The relay simulator as the benchmarks run it: with Nagle's algorithm off, as real servers have it.

``Simulator._bind`` makes its listening socket with ``socket.socket(AF_INET, SOCK_STREAM)``,
whose ``proto`` is 0; asyncio turns on ``TCP_NODELAY`` only for sockets whose ``proto`` is
``IPPROTO_TCP``, so every connection the simulator accepts keeps Nagle's algorithm. uvicorn
writes a response's headers and body separately, and the body then waits for the client's
delayed ACK: about 40 ms on every request over loopback, which a real relay (nginx, Go) does
not add and which would be counted against the client here. ``TCP_NODELAY`` set on the
listening socket is inherited by the accepted ones (Linux), so ``nodelay()`` sets it there.
Once the simulator sets it itself, this is a no-op.

    python -m benchmarks._simulator --port 0 --generation-seconds 60   # as veo_magic.simulator
"""

from __future__ import annotations

import socket
import sys
from typing import Any

__all__ = ["nodelay"]


def nodelay() -> None:
    """Make every ``Simulator`` in this process listen with ``TCP_NODELAY``."""
    from veo_magic.simulator import server

    original = server.Simulator._bind
    if getattr(original, "benchmark_nodelay", False):
        return

    def bind(self: Any) -> socket.socket:
        sock = original(self)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    bind.benchmark_nodelay = True  # type: ignore[attr-defined]
    server.Simulator._bind = bind  # type: ignore[method-assign]


if __name__ == "__main__":
    from veo_magic.simulator.cli import main

    nodelay()
    sys.exit(main(sys.argv[1:]))
