"""Result files: the CDN stand-in behind every video URL, and the bytes of ``/content``.

The URL shapes are the ones relays hand out (``/assets/flow/<uuid>.mp4`` in seed 001,
``/cdn/[download/]<date>/<name>.mp4`` in seed 000, ``/files/<name>.mp4`` otherwise); all of them
resolve through ``SimState.files``. Single byte ranges are honoured (206, 416), as new-api's
proxy and every CDN do. Download faults (404 once, 403 expiry, a cut after half the bytes) are
played here, per task.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from email.utils import formatdate
from typing import Literal

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from .errors import relay_error
from .scenarios import Corrupt, ExpireUrl, Redirect, Reject, Truncate
from .state import SimState
from .tasks import Task

__all__ = ["ConnectionDrop", "DroppedResponse", "result_file", "serve_clip"]

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")
UPSAMPLED = "_upsampled"  # suffix of the unified format's upsampled-file names
HOSTILE_FILENAME = "../../../../tmp/veo-escape.mp4"
_LOGIN_PAGE = "<!doctype html><title>Sign in</title><form><input name=password></form>"
_EXPIRED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
)


class ConnectionDrop(Exception):
    """Raised inside a started response to make the server drop the connection on purpose."""


class DroppedResponse(Response):
    """Sends its status, headers and the first ``keep`` bytes of its body, then drops the
    connection: what a client sees when a relay or CDN dies mid-response."""

    def __init__(
        self,
        content: bytes,
        *,
        keep: int,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        super().__init__(content, status_code=status_code, headers=headers, media_type=media_type)
        self.keep = keep

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send(
            {"type": "http.response.body", "body": self.body[: self.keep], "more_body": True}
        )
        raise ConnectionDrop("simulated connection drop")


def parse_range(header: str | None, size: int) -> tuple[int, int] | Literal["invalid"] | None:
    """``(first, last)`` byte positions for a single ``bytes=`` range; ``None`` means the whole
    file (no header, or a multi-range, which a server may ignore)."""
    if not header or "," in header:
        return None
    match = _RANGE.match(header)
    if match is None or (not match.group(1) and not match.group(2)):
        return "invalid"
    first_text, last_text = match.groups()
    if not first_text:  # bytes=-N: the last N bytes
        length = int(last_text)
        if length == 0:
            return "invalid"
        return max(0, size - length), size - 1
    first = int(first_text)
    last = min(int(last_text), size - 1) if last_text else size - 1
    if first >= size or first > last:
        return "invalid"
    return first, last


async def serve_clip(
    request: Request,
    state: SimState,
    task: Task,
    clip: int = 0,
    *,
    via: Literal["content", "url"],
    disposition: str | None = None,
    ranges: bool = True,
) -> Response:
    """The MP4 bytes of one clip, after any download fault the task's scenario plays.

    ``ranges=False``: ``Range`` is ignored and the whole clip comes back (new-api's proxy).
    """
    fault = task.scenario.on_download
    counts = request.method == "GET"  # a HEAD probe must not use up a one-time fault
    truncate = False
    if fault is not None and counts:
        if isinstance(fault, ExpireUrl):
            if via == "url" and state.fires(fault, task.id, "download"):
                state.rotate_files(task)
                return Response(_EXPIRED, status_code=403, media_type="application/xml")
        elif isinstance(fault, Redirect):
            if request.url.hostname != "localhost" and state.fires(fault, task.id, "download"):
                target = _redirect_target(request, fault, state.file_url(task.clips[clip]))
                return RedirectResponse(target, status_code=302)
        elif isinstance(fault, Corrupt):
            if state.fires(fault, task.id, "download"):
                if fault.kind == "html":
                    return HTMLResponse(_LOGIN_PAGE)
                return Response(b"\x00" * 4096, media_type="video/mp4")
        elif state.fires(fault, task.id, "download"):
            if isinstance(fault, Reject):
                if via == "url":
                    return PlainTextResponse("404 page not found", status_code=404)
                return relay_error(fault.kind, protocol=task.protocol, model=task.model)
            truncate = isinstance(fault, Truncate)
    path = task.clips[clip].path
    if path is None:
        return PlainTextResponse("404 page not found", status_code=404)
    data = await asyncio.to_thread(path.read_bytes)
    headers = {
        **({"Accept-Ranges": "bytes"} if ranges else {}),
        "Cache-Control": "public, max-age=86400",
        "ETag": f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"',
        "Last-Modified": formatdate(task.finished_at or task.created_at, usegmt=True),
    }
    if task.dialect.hostile_ids:
        disposition = f'attachment; filename="{HOSTILE_FILENAME}"'
    if disposition:
        headers["Content-Disposition"] = disposition
    span = parse_range(request.headers.get("range"), len(data)) if ranges else None
    if span == "invalid":
        return Response(status_code=416, headers={"Content-Range": f"bytes */{len(data)}"})
    status = 200
    if span is not None:
        first, last = span
        headers["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
        data = data[first : last + 1]
        status = 206
    if truncate:
        return DroppedResponse(
            data, keep=len(data) // 2, status_code=status, headers=headers, media_type="video/mp4"
        )
    return Response(data, status_code=status, headers=headers, media_type="video/mp4")


def _redirect_target(request: Request, fault: Redirect, public_url: str) -> str:
    """Where a ``Redirect`` fault sends a download."""
    if fault.to == "file":
        return "file:///etc/passwd"
    if fault.to == "ftp":
        return f"ftp://{request.url.hostname}/clip.mp4"
    # The clip's public file on this same server, under a host name the client has no key for.
    return str(URL(public_url).replace(hostname="localhost"))


async def result_file(request: Request) -> Response:
    """``GET /files/<name>.mp4`` and the CDN-shaped aliases: public, no key needed."""
    state: SimState = request.app.state.sim
    filename: str = request.path_params["name"]
    if not filename.endswith(".mp4"):
        return PlainTextResponse("404 page not found", status_code=404)
    name = filename.removesuffix(".mp4").removesuffix(UPSAMPLED)
    ref = state.files.get(name)
    task = state.task(ref.task_id) if ref is not None else None
    if ref is None or task is None:
        return PlainTextResponse("404 page not found", status_code=404)
    if ref.expired:
        return Response(_EXPIRED, status_code=403, media_type="application/xml")
    disposition = None
    if request.url.path.startswith("/cdn/download/"):
        disposition = f'attachment; filename="{filename}"'
    return await serve_clip(request, state, task, ref.clip, via="url", disposition=disposition)
