"""Google Cloud sign-in for Vertex AI: Application Default Credentials, as an ``httpx.Auth``.

google-auth finds the credentials (``load``): the service-account file the settings name
(``GOOGLE_APPLICATION_CREDENTIALS``), else gcloud's (``gcloud auth application-default login``),
scoped to ``cloud-platform``. Loading reads a file and sends nothing; nothing found is a
``VeoError`` that says how to sign in, raised before any request.

``GoogleAuth`` puts the access token in ``Authorization: Bearer …`` as each request leaves, like
``KeyAuth`` does the key: never in the client's default headers, so no repr, event hook or error
of the client shows it. The token is refreshed before it expires (google-auth calls a token
invalid some minutes before its expiry) in a worker thread: google-auth's refresh is a blocking
HTTP call, and the event loop runs every job's polls. ``token`` is a ``Secret`` that always
holds the current token, so the relay's and the runner's redaction mask it in every message, and
each token ever issued stays masked in ``veo_magic``'s log records while it lives.

google-auth is imported only here and only when a Vertex client signs in: ``import veo_magic``
and ``%load_ext veo_magic`` do not pay for it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from .._exceptions import VeoAPIError, VeoError
from .._secret import Secret, redact

__all__ = [
    "SCOPE",
    "SIGN_IN",
    "VERTEX_HINTS",
    "CurrentToken",
    "GoogleAuth",
    "GoogleSignIn",
    "sign_in",
]

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
SIGN_IN = (
    "sign in with `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS "
    "to a service-account JSON file; and set GOOGLE_CLOUD_PROJECT to the project to bill"
)
TOKEN_TIMEOUT = 30.0  # seconds for one token request to Google's OAuth endpoint
# What an error status from Vertex AI asks of the user (a relay's hints speak of its key).
VERTEX_HINTS = {
    400: "Vertex AI refused the request as sent; its message names the field",
    401: "Google did not accept the credentials: sign in again with `gcloud auth "
    "application-default login`, or check GOOGLE_APPLICATION_CREDENTIALS",
    403: "the signed-in account may lack the Vertex AI User role on GOOGLE_CLOUD_PROJECT, the "
    "project may be the wrong one, or the Vertex AI API is not enabled there",
    404: "check the model id and GOOGLE_CLOUD_LOCATION (Veo is served in us-central1 and "
    "global), and VEO_BASE_URL if set",
    429: "the project's Vertex AI quota for Veo is used up for now; wait, or ask for more quota",
    503: "Vertex AI is overloaded; try again shortly",
}


class CurrentToken(Secret):
    """A ``Secret`` whose value is whatever access token ``source`` gives right now (a token
    changes on each refresh; whoever redacts with this one masks the current one)."""

    __slots__ = ("_source",)

    def __init__(self, source: Callable[[], str | None]) -> None:
        super().__init__("")
        self._source = source

    def reveal(self) -> str:
        return str(self._source() or "")

    def __bool__(self) -> bool:
        return bool(self.reveal())

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)


class _Response:
    """google-auth's transport response, over an httpx one."""

    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        self.headers = response.headers
        self.data = response.content


class _Transport:
    """google-auth's transport interface (``google.auth.transport.Request``) on httpx, so
    signing in needs no second HTTP library. Used only for token requests, in a worker thread."""

    def __init__(self) -> None:
        self._client = httpx.Client(timeout=TOKEN_TIMEOUT)

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> _Response:
        from google.auth import exceptions

        try:
            response = self._client.request(
                method, url, content=body, headers=headers, timeout=timeout or TOKEN_TIMEOUT
            )
        except httpx.HTTPError as exc:
            raise exceptions.TransportError(f"{type(exc).__name__}: {exc}") from exc
        return _Response(response)


@dataclass(frozen=True)
class GoogleSignIn:
    """Loaded credentials (not yet refreshed) and the project they bill."""

    credentials: Any
    project: str


def sign_in(credentials_file: str | None, project: str | None) -> GoogleSignIn:
    """Find the credentials (the file, else gcloud's ADC) and the project; sends nothing.

    Raises ``VeoError`` naming what is missing and how to sign in.
    """
    import google.auth
    from google.auth import exceptions

    try:
        if credentials_file:
            credentials, found = _from_file(credentials_file)
        else:
            credentials, found = google.auth.default(scopes=[SCOPE])
    except (exceptions.DefaultCredentialsError, OSError, ValueError) as exc:
        where = (
            f"the credentials file {credentials_file!r} (GOOGLE_APPLICATION_CREDENTIALS) could "
            f"not be read: {exc}"
            if credentials_file
            else "no Application Default Credentials were found"
        )
        raise VeoError(
            f"Vertex AI needs Google Cloud credentials, and {where}. To fix: {SIGN_IN}."
        ) from None
    chosen = project or found or getattr(credentials, "quota_project_id", None)
    if not chosen:
        raise VeoError(
            "Vertex AI needs a Google Cloud project, and neither GOOGLE_CLOUD_PROJECT nor the "
            "credentials name one: set GOOGLE_CLOUD_PROJECT to the project to bill."
        )
    return GoogleSignIn(credentials, str(chosen))


def _from_file(path: str) -> tuple[Any, str | None]:
    """Credentials from a JSON file, by its declared type (google-auth's generic file loader is
    deprecated: it accepts any type from any file). A service account and gcloud's user
    credentials are read here; another type (workload identity federation, impersonation) is
    left to ``google.auth.default``, which reads the same variable."""
    import json

    import google.auth

    with open(path, encoding="utf-8") as f:
        info = json.load(f)
    kind = info.get("type") if isinstance(info, dict) else None
    if kind == "service_account":
        from google.oauth2 import service_account

        credentials = service_account.Credentials.from_service_account_info(info, scopes=[SCOPE])
        return credentials, info.get("project_id")
    if kind == "authorized_user":
        from google.oauth2 import credentials as user

        found = user.Credentials.from_authorized_user_info(info, scopes=[SCOPE])
        return found, info.get("quota_project_id")
    return google.auth.default(scopes=[SCOPE])


class GoogleAuth(httpx.Auth):
    """The OAuth access token, fresh, in ``Authorization: Bearer`` as each request leaves."""

    def __init__(self, signed_in: GoogleSignIn, *, location: str) -> None:
        self._credentials = signed_in.credentials
        self.project = signed_in.project
        self.location = location  # the Vertex AI region the requests' paths name
        self.token: Secret = CurrentToken(lambda: getattr(self._credentials, "token", None))
        self._lock = threading.Lock()  # one refresh at a time, whichever thread asks
        self._transport: _Transport | None = None
        self._issued: list[Secret] = []  # every token seen, masked in log records while it lives

    def __repr__(self) -> str:
        return f"<GoogleAuth project={self.project!r} location={self.location!r} token=***>"

    def fresh_token(self, *, force: bool = False) -> str:
        """A valid access token, refreshed first if it is missing or about to expire. Blocking:
        call it in a worker thread."""
        from google.auth import exceptions

        with self._lock:
            if force or not self._credentials.valid:
                self._transport = self._transport or _Transport()
                try:
                    self._credentials.refresh(self._transport)
                except exceptions.RefreshError as exc:  # Google answered, and said no
                    said = redact(str(exc), self.token)
                    raise VeoAPIError(
                        f"Google refused to issue an access token for Vertex AI: {said}. To fix: "
                        f"{SIGN_IN}.",
                        code="token_refused",
                        detail=said,
                    ) from None
                except exceptions.GoogleAuthError as exc:  # Google's sign-in did not answer
                    said = redact(str(exc), self.token)
                    raise VeoError(
                        f"Google's sign-in could not be reached for a Vertex AI access token: "
                        f"{said}. Check the network (and a proxy), then try again."
                    ) from None
                self._issued = [*self._issued[-3:], Secret(self._credentials.token or "")]
            return str(self._credentials.token or "")

    def sync_auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = f"Bearer {self.fresh_token()}"
        response = yield request
        if response.status_code == 401:  # revoked or expired early: one fresh token, once
            request.headers["Authorization"] = f"Bearer {self.fresh_token(force=True)}"
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncIterator[httpx.Request]:  # type: ignore[override]
        token = await asyncio.to_thread(self.fresh_token)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            await response.aread()
            token = await asyncio.to_thread(self.fresh_token, force=True)
            request.headers["Authorization"] = f"Bearer {token}"
            yield request
