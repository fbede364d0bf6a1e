"""The Gemini API's Files API uploads, as the simulator serves them: how a clip too big to send
inline (over 20 MB) reaches an Interactions turn as a ``video`` part's ``uri``.

Google's resumable upload, as google-genai 2.x / 3.x sends it (``files.upload``,
``_api_client.upload_file``):

* ``POST /upload/v1beta/files`` with ``X-Goog-Upload-Protocol: resumable``,
  ``X-Goog-Upload-Command: start``, ``X-Goog-Upload-Header-Content-Length`` and ``-Type``, and a
  JSON body ``{"file": {"displayName"?, "mimeType"?, "sizeBytes"?}}`` (the key in
  ``x-goog-api-key``) answers ``X-Goog-Upload-Status: active`` and ``X-Goog-Upload-URL``: the same
  path with an ``upload_id``, which is the upload's own credential (no key is needed there).
* ``POST <upload URL>`` with ``X-Goog-Upload-Command: upload`` (or ``upload, finalize`` for the
  last chunk) and ``X-Goog-Upload-Offset`` (the bytes so far; another offset is refused) answers
  ``X-Goog-Upload-Status: active``, and on ``finalize`` ``final`` with ``{"file": File}``.
* The File is ``PROCESSING`` until it is read once with ``GET /v1beta/files/{id}``
  (``interactions.get_file``), then ``ACTIVE``; a turn that names a file not yet ``ACTIVE`` is
  refused ("not in an ACTIVE state"), as Google refuses it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import string
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .gemini import GoogleJSONResponse, google_error, requires_google_key
from .state import SimState

__all__ = ["UPLOAD_PATH", "Uploaded", "file_json", "upload", "uploaded_file"]

UPLOAD_PATH = "/upload/v1beta/files"
MAX_UPLOAD_BYTES = 2 * 10**9  # the Files API's 2 GB a file
_ID = string.ascii_lowercase + string.digits


@dataclass
class Uploaded:
    """One upload: the bytes so far, and the File once finalized."""

    file_id: str
    upload_id: str
    mime_type: str
    size: int  # as declared at the start
    display_name: str | None = None
    data: bytearray = field(default_factory=bytearray)
    final: bool = False
    reads: int = 0  # GET files/{id} so far: the first says PROCESSING
    created: float = field(default_factory=time.time)

    @property
    def active(self) -> bool:
        return self.final and self.reads > 1


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def file_json(up: Uploaded, host: str) -> dict[str, Any]:
    """The File as Google writes it (``state`` from how often it was read)."""
    body: dict[str, Any] = {
        "name": f"files/{up.file_id}",
        "mimeType": up.mime_type,
        "sizeBytes": str(len(up.data)),
        "createTime": _iso(up.created),
        "updateTime": _iso(up.created),
        "expirationTime": _iso(up.created + 48 * 3600),
        "sha256Hash": base64.b64encode(hashlib.sha256(up.data).digest()).decode(),
        "uri": f"{host}/v1beta/files/{up.file_id}",
        "state": "ACTIVE" if up.active else "PROCESSING",
        "source": "UPLOADED",
    }
    if up.display_name:
        body["displayName"] = up.display_name
    return body


def uploaded_file(state: SimState, file_id: str) -> Uploaded | None:
    up = state.uploads.get(file_id)
    return up if up is not None and up.final else None


def _host(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


async def _start(request: Request) -> Response:
    state: SimState = request.app.state.sim
    headers = request.headers
    if headers.get("x-goog-upload-protocol", "").lower() != "resumable":
        return google_error(400, "Only the resumable upload protocol is served here.")
    if headers.get("x-goog-upload-command", "").lower() != "start":
        return google_error(400, "An upload starts with X-Goog-Upload-Command: start.")
    raw = await request.body()
    try:
        meta = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return google_error(400, "The upload's metadata is not JSON.")
    file = meta.get("file") if isinstance(meta, dict) else None
    file = file if isinstance(file, dict) else {}
    try:
        size = int(headers.get("x-goog-upload-header-content-length") or file.get("sizeBytes") or 0)
    except ValueError:
        return google_error(400, "X-Goog-Upload-Header-Content-Length is not a number.")
    if not 0 < size <= MAX_UPLOAD_BYTES:
        return google_error(400, f"A file is 1 byte to {MAX_UPLOAD_BYTES} bytes; this is {size}.")
    mime = headers.get("x-goog-upload-header-content-type") or file.get("mimeType") or ""
    up = Uploaded(
        file_id="".join(secrets.choice(_ID) for _ in range(12)),
        upload_id=secrets.token_urlsafe(24),
        mime_type=str(mime) or "application/octet-stream",
        size=size,
        display_name=file.get("displayName") or file.get("display_name"),
    )
    state.uploads[up.file_id] = up
    url = f"{_host(request)}{UPLOAD_PATH}?upload_id={up.upload_id}&upload_protocol=resumable"
    return Response(
        status_code=200,
        headers={"X-Goog-Upload-Status": "active", "X-Goog-Upload-URL": url},
    )


async def _chunk(request: Request, upload_id: str) -> Response:
    state: SimState = request.app.state.sim
    up = next((u for u in state.uploads.values() if u.upload_id == upload_id), None)
    if up is None or up.final:
        return google_error(404, "No such upload (it finished, or never started).")
    command = {c.strip() for c in request.headers.get("x-goog-upload-command", "").split(",")}
    if "upload" not in command:
        return google_error(400, "X-Goog-Upload-Command must be upload or 'upload, finalize'.")
    if request.headers.get("x-goog-upload-offset") != str(len(up.data)):
        return google_error(
            400, f"X-Goog-Upload-Offset must be {len(up.data)}, the bytes received so far."
        )
    up.data += await request.body()
    if "finalize" not in command:
        return Response(status_code=200, headers={"X-Goog-Upload-Status": "active"})
    if len(up.data) != up.size:
        return google_error(
            400, f"The upload was declared {up.size} bytes and {len(up.data)} arrived."
        )
    up.final = True
    return GoogleJSONResponse(
        {"file": file_json(up, _host(request))}, headers={"X-Goog-Upload-Status": "final"}
    )


_start_with_key = requires_google_key(_start)


async def upload(request: Request) -> Response:
    """``POST /upload/v1beta/files``: a start (with the key), or a chunk (its ``upload_id``)."""
    upload_id = request.query_params.get("upload_id")
    if upload_id is None:
        return await _start_with_key(request)
    return await _chunk(request, upload_id)
