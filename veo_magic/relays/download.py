"""Streamed, atomic, verified downloads.

A clip is streamed to ``<name>.part`` (never held whole in memory), resumed with ``Range`` when
the connection is cut, checked to be an MP4 (the ``ftyp`` box), then renamed into place, so a
file with the final name is always complete. Redirects are followed by hand: only to http(s),
and the key is dropped as soon as a redirect leaves the relay's host. A ``/content`` endpoint
that answers JSON (some relays do) is read for the URL it holds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from .._exceptions import VeoDownloadError
from .http import Relay, content_backoff, download_backoff

__all__ = ["DEFAULT_MAX_BYTES", "UrlExpiredError", "adopt", "download", "is_mp4", "mp4_problem"]

DEFAULT_MAX_BYTES = 2 * 1024**3
MAX_REDIRECTS = 5
MAX_JSON_HOPS = 2
VIDEO_TYPES = ("video/", "application/octet-stream", "binary/octet-stream", "application/binary")


class UrlExpiredError(VeoDownloadError):
    """The result URL answered 401/403/410: it expired; the task can be asked for a fresh one."""


def is_mp4(head: bytes) -> bool:
    """True when ``head`` (the first bytes of a file) starts with an ISO-BMFF ``ftyp`` box."""
    return len(head) >= 12 and head[4:8] == b"ftyp"


def mp4_problem(path: Path) -> str | None:
    """Why the file at ``path`` is not a playable MP4, or None: its top-level boxes must start
    with ``ftyp``, hold a ``moov``, and add up to the file's size (a cut-off clip does not)."""
    size = path.stat().st_size
    seen: list[str] = []
    with path.open("rb") as f:
        at = 0
        while at < size:
            f.seek(at)
            head = f.read(16)
            if len(head) < 8:
                return f"{size - at} stray bytes after the last box at byte {at}"
            length, kind = struct.unpack(">I4s", head[:8])
            name = kind.decode("latin-1")
            if length == 1 and len(head) == 16:  # a 64-bit size follows
                length = struct.unpack(">Q", head[8:16])[0]
            elif length == 0:  # runs to the end of the file
                length = size - at
            if not seen and name != "ftyp":
                return "no 'ftyp' box at the start"
            if length < 8 or at + length > size:
                return (
                    f"the {name!r} box says {length} bytes, but the file ends {size - at} bytes in"
                )
            seen.append(name)
            at += length
    if "moov" not in seen:
        return f"no 'moov' box (boxes: {', '.join(seen) or 'none'})"
    return None


def adopt(source: Path, dest: Path, *, what: str) -> int:
    """Move a clip already on disk (decoded from an answer) into ``dest``; return its size.

    A clip that is not a playable MP4 is kept beside, as ``<name>.incomplete``, never deleted:
    ``VeoDownloadError`` says why and where (``what`` names where it came from)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    size = source.stat().st_size
    problem = mp4_problem(source)
    if problem is not None:
        kept = dest.with_name(f"{dest.name}.incomplete")
        shutil.move(str(source), kept)
        raise VeoDownloadError(
            f"{what} held {size:,} bytes of video that are not a playable MP4 ({problem}); "
            f"kept as {kept}"
        )
    part = dest.with_name(f"{dest.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        shutil.move(str(source), part)  # a copy when the temp folder is on another disk
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
    return size


async def download(
    relay: Relay,
    url: str,
    dest: Path,
    *,
    authenticated: bool,
    find_url: Callable[[Any], str | None],
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> int:
    """Fetch ``url`` into ``dest`` atomically; return its size in bytes."""
    # One part file per call: two processes resuming the same job never write into each other's.
    part = dest.with_name(f"{dest.name}.{uuid.uuid4().hex[:8]}.part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        for _ in range(MAX_JSON_HOPS + 1):
            body = await _fetch_with_retries(
                relay, url, part, authenticated=authenticated, max_bytes=max_bytes
            )
            if body is None:
                break
            next_url = find_url(body)
            if not next_url:
                raise VeoDownloadError(
                    f"the relay answered JSON with no video URL at {url}: {str(body)[:300]}"
                )
            url, authenticated = next_url, authenticated and _same_origin(relay, next_url)
        else:
            raise VeoDownloadError(f"too many JSON hops while fetching {url}")
        with part.open("rb") as f:
            head = f.read(12)
        if not is_mp4(head):
            raise VeoDownloadError(
                f"the file from {url} is not an MP4 (no 'ftyp' box at the start); not saved"
            )
        size = part.stat().st_size
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)  # whatever went wrong, no half file is left behind
    return size


async def _fetch_with_retries(
    relay: Relay, url: str, part: Path, *, authenticated: bool, max_bytes: int
) -> Any | None:
    """Stream into ``part``, resuming after cuts; return parsed JSON if the answer was JSON."""
    part.unlink(missing_ok=True)
    # The relay's own /content of a finished task: a 5xx there is retried twice at most.
    policy = content_backoff() if authenticated else download_backoff
    async for attempt in relay.attempts(policy):
        with attempt:
            return await _fetch_once(
                relay, url, part, authenticated=authenticated, max_bytes=max_bytes
            )
    return None  # pragma: no cover - the loop returns or raises


async def _fetch_once(
    relay: Relay, url: str, part: Path, *, authenticated: bool, max_bytes: int
) -> Any | None:
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    async with _open(relay, url, headers, authenticated=authenticated) as response:
        if response.status_code in (401, 403, 410):
            await response.aread()
            raise UrlExpiredError(
                f"{url} answered HTTP {response.status_code}: the link may have expired"
            )
        if response.status_code >= 400:
            await response.aread()
            raise relay.error(response)
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "application/json" or kind.endswith("+json"):
            raw = await response.aread()
            try:
                return json.loads(raw)
            except ValueError as exc:
                raise VeoDownloadError(f"{url} answered malformed JSON instead of a video") from exc
        if kind and not kind.startswith(VIDEO_TYPES):
            raise VeoDownloadError(f"{url} answered {kind!r} instead of a video")
        total = response.headers.get("content-length")
        if (
            total is not None
            and int(total) + (have if response.status_code == 206 else 0) > max_bytes
        ):
            raise VeoDownloadError(
                f"{url} is {int(total):,} bytes, over the {max_bytes:,}-byte cap"
            )
        resuming = response.status_code == 206 and have > 0
        if resuming and _range_start(response) != have:
            part.unlink(missing_ok=True)
            raise VeoDownloadError(
                f"{url} answered byte range {response.headers.get('content-range')!r} to a "
                f"request for bytes={have}-; not stitching a clip from the wrong pieces"
            )
        written = have if resuming else 0
        with part.open("ab" if resuming else "wb") as f:
            # Chunks as they arrive (no re-chunking buffer): whatever came before a cut is kept.
            async for chunk in response.aiter_bytes():
                written += len(chunk)
                if written > max_bytes:
                    raise VeoDownloadError(f"{url} passed the {max_bytes:,}-byte cap")
                f.write(chunk)
    return None


def _range_start(response: httpx.Response) -> int | None:
    """The first byte position of a 206's ``Content-Range: bytes START-END/TOTAL``."""
    match = re.match(r"\s*bytes\s+(\d+)-", response.headers.get("content-range", ""))
    return int(match[1]) if match else None


class _open:
    """``async with`` a streamed GET, following redirects only to http(s), key only on the relay."""

    def __init__(
        self, relay: Relay, url: str, headers: dict[str, str], *, authenticated: bool
    ) -> None:
        self.relay, self.url, self.headers, self.authenticated = relay, url, headers, authenticated
        self.response: httpx.Response | None = None

    async def __aenter__(self) -> httpx.Response:
        url, authenticated = self.url, self.authenticated
        for _ in range(MAX_REDIRECTS + 1):
            client = self.relay.http if authenticated else self.relay.public
            request = client.build_request("GET", url, headers=self.headers)
            response = await client.send(request, stream=True, follow_redirects=False)
            if not response.is_redirect:
                self.response = response
                return response
            await response.aclose()
            target = response.next_request.url if response.next_request else None
            if target is None or target.scheme not in ("http", "https"):
                raise VeoDownloadError(f"refused a redirect from {url} to a non-http(s) location")
            authenticated = authenticated and _same_origin(self.relay, str(target))
            url = str(target)
        raise VeoDownloadError(f"more than {MAX_REDIRECTS} redirects from {self.url}")

    async def __aexit__(self, *exc: object) -> None:
        if self.response is not None:
            await self.response.aclose()


def _same_origin(relay: Relay, url: str) -> bool:
    target = relay.http.base_url.join(url)
    base = relay.http.base_url
    return (target.scheme, target.host, target.port) == (base.scheme, base.host, base.port)
