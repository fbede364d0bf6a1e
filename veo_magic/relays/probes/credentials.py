"""A Vertex token from google-auth's Application Default Credentials, for a probe.

A service-account or authorized-user file named by Google's credentials variable, or ``gcloud
auth application-default login``; refreshed once, through google-auth's own ``http.client`` transport
(a check must not need ``requests``). Imported only when a vertex route is checked.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CLOUD_PLATFORM", "Token", "adc_token"]

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
SIGN_IN = (
    "run `gcloud auth application-default login`, or point Application Default Credentials at "
    "a service-account file"
)


@dataclass(frozen=True)
class Token:
    """A bearer token (None when there is none), where it came from, and whether the credentials
    were refused while getting it."""

    value: str | None
    source: str
    refused: bool = False


def adc_token() -> Token:
    try:
        import google.auth
        from google.auth import exceptions
        from google.auth.transport import _http_client
    except ImportError:
        return Token(None, "google-auth is not installed: pip install google-auth")
    try:
        credentials, _project = google.auth.default(scopes=[CLOUD_PLATFORM])
    except exceptions.DefaultCredentialsError:
        return Token(None, f"no Application Default Credentials: {SIGN_IN}")
    source = "Application Default Credentials"
    try:
        credentials.refresh(_http_client.Request())
    except (exceptions.RefreshError, exceptions.TransportError) as exc:
        refused = isinstance(exc, exceptions.RefreshError)
        return Token(None, f"{source}: no token ({type(exc).__name__})", refused=refused)
    return Token(credentials.token, source)
