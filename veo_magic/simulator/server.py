"""Running the simulator: in a daemon thread for tests and the client, or in the foreground."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import shutil
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType, TracebackType

import httpx
import uvicorn

from ..config import SIM_SECONDS, read
from .app import build_app
from .files import ConnectionDrop
from .render import renderer_for
from .state import LoggedRequest, SimState
from .tasks import Task

__all__ = ["Simulator", "shared_simulator"]

HOST = "127.0.0.1"  # loopback only: the simulator accepts any key, so it must not face a network


class _DropFilter(logging.Filter):
    """Hide uvicorn's traceback for connections the simulator drops on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        pending = [exc]
        while pending:
            current = pending.pop()
            if isinstance(current, ConnectionDrop):
                return False
            # An exception group (anyio wraps errors in task groups); duck-typed for Python 3.10.
            pending.extend(getattr(current, "exceptions", ()))
        return True


logging.getLogger("uvicorn.error").addFilter(_DropFilter())


def _finish(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what still runs on a stopped server's loop (renders, held answers) and let each
    task end, so none is destroyed while pending when the loop closes."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


class Simulator:
    """A relay simulator on a loopback port.

    >>> with Simulator(generation_seconds=1.0) as sim:   # doctest: +SKIP
    ...     sim.base_url
    'http://127.0.0.1:54321'
    """

    def __init__(
        self,
        *,
        generation_seconds: float = 6.0,
        scenario: str | None = None,
        dialect: str | None = None,
        port: int = 0,
        hang_seconds: float | None = None,
        cache_dir: str | Path | None = None,
        models: Sequence[str] | None = None,
        tls: bool = False,
    ) -> None:
        if generation_seconds < 0:
            raise ValueError("generation_seconds must be zero or more")
        self.port = port
        # TLS: a throwaway CA (trustme) and a certificate for 127.0.0.1, localhost and ::1, so
        # Gemini file links are https:// on this very host, fetchable as written (LiteLLM does).
        self.tls = tls
        self._certs: Path | None = None
        self._state = SimState(
            generation_seconds=generation_seconds,
            # Long enough to beat any client timeout a test sets, short enough not to stall a run.
            hang_seconds=hang_seconds
            if hang_seconds is not None
            else max(3.0, 5 * generation_seconds),
            scenario=scenario,
            dialect=dialect,
            renderer=renderer_for(Path(cache_dir) if cache_dir is not None else None),
        )
        self._state.set_models(None if models is None else tuple(models))
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- views -------------------------------------------------------------------------------

    @property
    def ca_file(self) -> Path | None:
        """With ``tls``, the PEM file of the CA that signed the server's certificate (give it to
        a client as ``SSL_CERT_FILE`` or ``verify``); None without TLS or before ``start``."""
        return self._certs / "ca.pem" if self._certs is not None else None

    @property
    def models(self) -> tuple[str, ...]:
        """What ``GET /v1/models`` lists."""
        return self._state.sold()

    def set_models(self, names: Sequence[str] | None) -> None:
        """List only ``names`` on ``GET /v1/models`` (None: every name the catalog knows)."""
        self._state.set_models(None if names is None else tuple(names))

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (``https://`` with ``tls``), without ``/v1``."""
        if not self._state.base_url:
            raise RuntimeError("the simulator is not started")
        return self._state.base_url

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every request so far (the live list: ``sim.requests.clear()`` works)."""
        return self._state.requests

    @property
    def accepted_creates(self) -> int:
        """Creates that made a task, i.e. that a real relay would have charged for."""
        return self._state.accepted_creates

    @property
    def uploads(self) -> Mapping[str, object]:
        """The Files API's uploads by file id (``uploads.Uploaded``: the bytes, ``final``)."""
        return self._state.uploads

    @property
    def tasks(self) -> Mapping[str, Task]:
        return MappingProxyType(self._state.tasks)

    @property
    def scenario(self) -> str:
        return self._state.scenario.name

    @property
    def dialect(self) -> str:
        return self._state.dialect.name

    @property
    def generation_seconds(self) -> float:
        return self._state.generation_seconds

    def set_scenario(self, name: str | None) -> None:
        """Make ``name`` the server-wide scenario for tasks created from now on."""
        self._state.set_scenario(name)

    def set_dialect(self, spec: str | None) -> None:
        """Make ``spec`` (dialect names, comma-separated) the server-wide dialect."""
        self._state.set_dialect(spec)

    # -- lifecycle ---------------------------------------------------------------------------

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if os.name != "nt":  # allow an immediate restart on the same port (TIME_WAIT)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this: without it every small response waits ~40 ms for
        # the client's delayed ACK (Nagle), which would inflate every latency we measure.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((HOST, self.port))
        except OSError as exc:
            sock.close()
            raise OSError(
                f"cannot listen on {HOST}:{self.port} ({exc}); choose another port (0 picks a free one)"
            ) from exc
        scheme = "https" if self.tls else "http"
        self._state.base_url = f"{scheme}://{HOST}:{sock.getsockname()[1]}"
        return sock

    def _make_certs(self) -> dict[str, str]:
        """uvicorn's TLS options, from a fresh trustme CA (kept until ``stop``)."""
        if not self.tls:
            return {}
        try:
            import trustme
        except ImportError as exc:  # the simulator extra brings it
            raise RuntimeError(
                "the simulator's TLS mode needs trustme: pip install 'veo_magic[simulator]'"
            ) from exc
        if self._certs is None:
            self._certs = Path(tempfile.mkdtemp(prefix="veo-sim-tls-"))
            authority = trustme.CA()
            cert = authority.issue_cert(HOST, "localhost", "::1")
            authority.cert_pem.write_to_path(str(self._certs / "ca.pem"))
            cert.private_key_pem.write_to_path(str(self._certs / "server.key"))
            cert.cert_chain_pems[0].write_to_path(str(self._certs / "server.pem"))
            for pem in cert.cert_chain_pems[1:]:
                pem.write_to_path(str(self._certs / "server.pem"), append=True)
        return {
            "ssl_certfile": str(self._certs / "server.pem"),
            "ssl_keyfile": str(self._certs / "server.key"),
        }

    def _make_server(self) -> uvicorn.Server:
        config = uvicorn.Config(
            build_app(self._state),
            log_level="warning",
            access_log=False,
            lifespan="on",
            # Held requests are released at shutdown; this bounds anything that still lingers.
            timeout_graceful_shutdown=2,
            **self._make_certs(),
        )
        return uvicorn.Server(config)

    def start(self) -> Simulator:
        """Serve in a daemon thread; returns once the server answers HTTP."""
        if self.running:
            return self
        sock = self._bind()
        self._server = self._make_server()
        server = self._server

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(server.serve(sockets=[sock]))
            finally:
                _finish(self._loop)
                self._loop.close()

        self._thread = threading.Thread(
            target=serve, name=f"veo-simulator-{self.base_url}", daemon=True
        )
        self._thread.start()
        self._wait_until_ready()
        return self

    def _wait_until_ready(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        verify: ssl.SSLContext | bool = True
        if self.ca_file is not None:
            verify = ssl.create_default_context(cafile=str(self.ca_file))
        with httpx.Client(trust_env=False, timeout=2.0, verify=verify) as client:
            while time.monotonic() < deadline:
                if not self.running:
                    raise RuntimeError("the simulator's server thread exited during startup")
                if self._server is not None and self._server.started:
                    try:
                        if client.get(f"{self.base_url}/__sim__/state").status_code == 200:
                            return
                    except httpx.TransportError:
                        pass
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"the simulator did not answer on {self.base_url} within {timeout:g} s")

    def stop(self) -> None:
        """Release held requests, shut the server down and wait for its thread."""
        server, thread, loop = self._server, self._thread, self._loop
        if server is None or thread is None:
            return
        shutdown = self._state.shutdown
        if loop is not None and shutdown is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed in between
                loop.call_soon_threadsafe(shutdown.set)
        server.should_exit = True
        thread.join(timeout=15)
        self._server = self._thread = self._loop = None
        self._drop_certs()

    def run(self, on_ready: Callable[[str], None] | None = None) -> None:
        """Serve in the calling thread until interrupted (Ctrl-C); ``on_ready(base_url)`` is
        called once the port is bound."""
        sock = self._bind()
        self._server = self._make_server()
        if on_ready is not None:
            on_ready(self.base_url)
        try:
            self._server.run(sockets=[sock])
        finally:
            self._server = None
            self._drop_certs()

    def _drop_certs(self) -> None:
        """Delete the throwaway TLS files (a later start makes new ones)."""
        if self._certs is not None:
            shutil.rmtree(self._certs, ignore_errors=True)
            self._certs = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self._state.base_url or "not started"
        return f"<Simulator {where} scenario={self.scenario} generation_seconds={self.generation_seconds:g}>"


_shared: Simulator | None = None
_shared_lock = threading.Lock()


def shared_simulator() -> Simulator:
    """The process-wide simulator the client uses when no key or URL is configured.

    Started once, on a free port, on first call (thread-safe); ``VEO_SIM_SECONDS`` sets its
    generation time (default 6 s). Stopped at interpreter exit.
    """
    global _shared
    with _shared_lock:
        if _shared is None or not _shared.running:
            simulator = Simulator(generation_seconds=read(SIM_SECONDS)).start()
            atexit.register(simulator.stop)
            _shared = simulator
        return _shared
