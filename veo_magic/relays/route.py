"""The way down to one relay: how to reach it (``Connection``) and what a request becomes on the
way there (``Route``).

A prompt goes down once, each step in its own home and none calling back up::

    request = route.build(prompt, **options)   # requests: checked, priced; a name only the
                                                # relay lists is looked up in its list
    request = route.take(request)              # gateways.adapt, then relay_models.resolve
    budget.check(request.estimated_cost)       # jobs.Budget
    runner.submit(request)                     # jobs: recorded, then started

The client holds a ``Connection`` and a ``Route`` and calls them in that order; the runner gets
the ``Connection`` (data and a way to open the HTTP seam), never the client.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from .._exceptions import VeoInputError
from .._secret import Secret
from ..options import DIRECT_PROTOCOLS, GEMINI_API_PROTOCOLS
from .gateways import Gateway, adapt
from .google_auth import VERTEX_HINTS, CurrentToken, GoogleAuth
from .http import KeyAuth, Relay
from .relay_models import RelayModels, fetch_relay_models, resolve

if TYPE_CHECKING:
    from ..config import Vertex
    from ..requests import VideoRequest

__all__ = ["Connection", "Route", "auth_for"]

# Google's own API (no relay in between): its key header, its address, no /v1/models list.
GOOGLE_PROTOCOLS = frozenset(GEMINI_API_PROTOCOLS)


def auth_for(protocol: str, secret: Secret) -> httpx.Auth:
    """How ``protocol`` carries the key. Google takes it in ``x-goog-api-key`` (a Bearer header
    there means an OAuth token); relays take ``Authorization: Bearer``."""
    header = "x-goog-api-key" if protocol in GOOGLE_PROTOCOLS else "Authorization"
    return KeyAuth(secret, header=header)


@dataclass
class Connection:
    """How to reach one relay: its root, the key, the timeouts.

    ``locate`` gives the root when it is not known yet (the built-in simulator starts on first
    use and only then has a port), so nothing starts before a job or a question needs it.

    ``vertex`` (protocol vertex): the project, region and credentials file; there is no key,
    and ``secret`` is the OAuth access token of the moment (masked wherever a key would be).
    """

    protocol: str
    secret: Secret | None
    simulated: bool
    timeout: float
    idle_timeout: float
    base_url: str | None = None
    locate: Callable[[], str] | None = None
    vertex: Vertex | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _google: GoogleAuth | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.vertex is not None:
            self.secret = CurrentToken(
                lambda: self._google.token.reveal() if self._google else None
            )

    def google_auth(self) -> GoogleAuth:
        """Vertex AI's sign-in, found once (``google_auth.sign_in``: a file read, nothing sent);
        a ``VeoError`` that says how to sign in when there are no credentials."""
        assert self.vertex is not None, "only a vertex connection signs in to Google Cloud"
        with self._lock:
            if self._google is None:
                from .google_auth import sign_in

                signed_in = sign_in(self.vertex.credentials_file, self.vertex.project)
                self._google = GoogleAuth(signed_in, location=self.vertex.location)
            return self._google

    def root(self) -> str:
        """The relay root (no ``/v1``); for the simulator, started here on first use."""
        with self._lock:
            if self.base_url is None:
                assert self.locate is not None, "a connection needs a base URL or a way to one"
                self.base_url = self.locate()
            return self.base_url

    @property
    def journal_key(self) -> str:
        """The relay's key in the journal: jobs learn a relay's usual length under it."""
        return "simulator" if self.simulated else self.root()

    def open(self) -> Relay:
        """The HTTP seam for this relay (call it on the loop that will use it)."""
        if self.vertex is not None:
            google = self.google_auth()
            return Relay.connect(
                self.root(),
                google,
                timeout=self.timeout,
                secret=google.token,
                idle_timeout=self.idle_timeout,
                hints=VERTEX_HINTS,
            )
        secret = self.secret or Secret("sk-simulated")
        return Relay.connect(
            self.root(),
            auth_for(self.protocol, secret),
            timeout=self.timeout,
            secret=self.secret,
            idle_timeout=self.idle_timeout,
        )


class Route:
    """What a request becomes on its way to one relay.

    The relay's list (``GET /v1/models``) is asked for once, before the first create (or the
    first name the catalog does not know); the gateway is what the list or the relay's answers
    said it runs on.
    """

    def __init__(self, connection: Connection, *, gateway: Callable[[], Gateway | None]) -> None:
        self._connection = connection
        self._seen_gateway = gateway  # what the relay's answers said, once a job has run
        self._models: RelayModels | None = None
        self._asked = False
        self._lock = threading.Lock()

    @property
    def listable(self) -> bool:
        """Whether there is a list to ask: not on the simulator, not on Google's own APIs."""
        connection = self._connection
        return not connection.simulated and connection.protocol not in DIRECT_PROTOCOLS

    @property
    def asked(self) -> bool:
        return self._asked

    def models(self) -> RelayModels | None:
        """What the relay lists, asked once (None: nothing to ask, or it could not say)."""
        if not self.listable:
            return None
        with self._lock:
            if not self._asked:
                self._models = fetch_relay_models(self._connection.root(), self._connection.secret)
                self._asked = True
            return self._models

    @property
    def gateway(self) -> Gateway | None:
        """The gateway this relay is, as far as its list or its answers have told."""
        return (self._models.gateway if self._models else None) or self._seen_gateway()

    def build(self, prompt: str, *, protocol: str, model: Any, **options: Any) -> VideoRequest:
        """``VideoRequest.build``; a model name the catalog does not know is looked up in the
        relay's list (asked for if need be) and accepted when it is there."""
        from ..requests import VideoRequest

        try:
            return VideoRequest.build(prompt, protocol=protocol, model=model, **options)
        except VeoInputError as exc:
            listed_models = (
                self.models() if exc.field == "model" and isinstance(model, str) else None
            )
            if listed_models is None:
                raise
            listed = listed_models.listed(model.strip())
            if listed is None:
                also = f"nor does this relay list it (it sells: {listed_models.says()})"
                raise VeoInputError(
                    exc.field,
                    exc.value,
                    exc.problem,
                    exc.allowed,
                    hint=f"{exc.hint}; {also}" if exc.hint else also,
                ) from None
        from ..catalog import relay_only

        return VideoRequest.build(prompt, protocol=protocol, model=relay_only(listed), **options)

    def take(self, request: VideoRequest) -> VideoRequest:
        """``request`` as this relay can take it: what its gateway cannot carry refused, the
        model resolved to a name it lists (the list is asked for once, here)."""
        listed = self.models()
        request = adapt(request, self.gateway)
        return request if listed is None else resolve(request, listed)
