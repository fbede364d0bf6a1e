"""Reading what clients send: JSON or multipart bodies, images, sizes, model suffixes.

Each reader fills in the request's log entry as it goes, so ``Simulator.requests`` shows field
names, upload sizes and content types without any handler having to remember to log.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from .render import sniff_image
from .tasks import ImageInput

__all__ = [
    "Body",
    "BodyError",
    "Upload",
    "assign_roles",
    "image_from_upload",
    "image_from_url",
    "is_true",
    "model_size",
    "parse_size",
    "ratio_size",
    "read_body",
]

MAX_FIELD_BYTES = 32 * 1024 * 1024  # a data-URL image in a text field is large but legitimate
_PIXELS = re.compile(r"^\s*(\d{2,5})\s*[x×*]\s*(\d{2,5})\s*$")
_RATIO = re.compile(r"^\s*(\d{1,2})\s*[:x]\s*(\d{1,2})\s*$")
_DATA_URL = re.compile(r"^data:([\w.+\-]+/[\w.+\-]+)?(;[^,]*)?,(.*)$", re.DOTALL)


class BodyError(ValueError):
    """The request body cannot be read; answered with a 400."""


@dataclass
class Upload:
    field: str
    filename: str | None
    content_type: str | None
    data: bytes = field(repr=False)


@dataclass
class Body:
    """A create request's body, whichever way it was encoded."""

    fields: dict[str, Any]  # a JSON object, or multipart text fields (repeated ones as lists)
    uploads: list[Upload]
    multipart: bool

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.fields.get(name, default)
        if isinstance(value, list):
            value = value[0] if value else default
        return value if value is None or isinstance(value, str) else str(value)


async def read_body(request: Request) -> Body:
    """Parse a JSON or multipart body, and record it in the request log."""
    entry = getattr(request.state, "log", None)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data") or content_type.startswith(
        "application/x-www-form-urlencoded"
    ):
        try:
            form = await request.form(max_files=16, max_fields=256, max_part_size=MAX_FIELD_BYTES)
        except Exception as exc:  # python-multipart raises several types for broken bodies
            raise BodyError(f"could not parse the form body: {exc}") from exc
        fields: dict[str, Any] = {}
        uploads: list[Upload] = []
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                uploads.append(Upload(name, value.filename, value.content_type, data))
            elif name in fields:
                previous = fields[name]
                fields[name] = (
                    [*previous, value] if isinstance(previous, list) else [previous, value]
                )
            else:
                fields[name] = value
        await form.close()
        if entry is not None:
            entry.form = {
                k: (v if isinstance(v, str) else json.dumps(v)) for k, v in fields.items()
            }
            entry.files = [
                {
                    "field": u.field,
                    "filename": u.filename,
                    "size": len(u.data),
                    "content_type": u.content_type,
                }
                for u in uploads
            ]
        return Body(fields, uploads, multipart=True)
    raw = await request.body()
    try:
        value = json.loads(raw) if raw.strip() else {}
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BodyError(
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
            "using your HTTP library correctly.)"
        ) from exc
    if entry is not None:
        entry.json = value
    if not isinstance(value, dict):
        raise BodyError("the request body must be a JSON object")
    return Body(value, [], multipart=False)


def is_true(value: Any) -> bool:
    """A boolean flag as clients send it: JSON ``true`` or the strings of a form or a loose doc."""
    return value in (True, 1, "true", "True", "1")


def image_from_url(url: str, role: Any) -> ImageInput:
    """An ``ImageInput`` for an http(s) URL or a ``data:`` URL (decoded; bad base64 is a 400)."""
    match = _DATA_URL.match(url.strip())
    if match is None:
        return ImageInput(role=role, source="url", url=url)
    declared, params, payload = match.groups()
    if not params or "base64" not in params:
        raise BodyError("image data URLs must be base64-encoded (data:image/png;base64,…)")
    try:
        data = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=False)
    except (binascii.Error, ValueError) as exc:
        raise BodyError(f"invalid base64 in an image data URL: {exc}") from exc
    sniffed = sniff_image(data)
    return ImageInput(
        role=role,
        source="data",
        content_type=sniffed[0] if sniffed else declared,
        size=len(data),
        data=data,
    )


def inline_image(
    raw: str,
    role: Any,
    *,
    where: str,
    field: str,
    reader: str,
    refused: type[Exception] = BodyError,
) -> ImageInput:
    """An image sent inline as base64 (Google's ``bytesBase64Encoded``, an Interactions part's
    ``data``): decoded and sniffed, or ``refused`` in Google's words (bad base64; not PNG,
    JPEG or WebP)."""
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise refused(f"{where}.{field} is not valid base64: {exc}") from exc
    sniffed = sniff_image(data) if data else None
    if sniffed is None:
        raise refused(f"{where} is not an image {reader} can read (PNG, JPEG or WebP).")
    return ImageInput(role=role, source="data", content_type=sniffed[0], size=len(data), data=data)


def image_from_upload(upload: Upload, role: Any) -> ImageInput:
    sniffed = sniff_image(upload.data)  # new-api re-sends uploads with a sniffed type, so do we
    return ImageInput(
        role=role,
        source="upload",
        content_type=sniffed[0] if sniffed else upload.content_type,
        size=len(upload.data),
        data=upload.data,
    )


# Google's resolutions by the short side of the frame (Veo's frames are 16:9 or 9:16).
SHORT_SIDE = {"720p": 720, "1080p": 1080, "4k": 2160}


def veo_frame(short: int, *, landscape: bool) -> tuple[int, int]:
    """(width, height) of a 16:9 (or 9:16) frame whose short side is ``short``."""
    long = short * 16 // 9
    return (long, short) if landscape else (short, long)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def ratio_size(width_part: int, height_part: int) -> tuple[int, int]:
    """Pixels for an aspect ratio at Veo's 720p: the short side is 720."""
    if width_part == height_part:
        return 720, 720
    if width_part > height_part:
        return _even(720 * width_part / height_part), 720
    return 720, _even(720 * height_part / width_part)


def parse_size(value: str) -> tuple[int, int] | None:
    """``(width, height)`` for ``720x1280``, ``16x9`` or ``16:9``; ``None`` if unreadable."""
    if (match := _RATIO.match(value)) is not None:
        width_part, height_part = int(match.group(1)), int(match.group(2))
        return ratio_size(width_part, height_part) if width_part and height_part else None
    if (match := _PIXELS.match(value)) is not None:
        width, height = int(match.group(1)), int(match.group(2))
        if 64 <= width <= 4096 and 64 <= height <= 4096:
            return _even(width), _even(height)
    return None


def model_size(model: str) -> tuple[int, int]:
    """Orientation from a model suffix: ``-landscape`` is 1280x720, anything else portrait."""
    return (1280, 720) if "landscape" in model.lower() else (720, 1280)


def wants_last_frame(model: str) -> bool:
    """Whether ``model`` takes a last frame: ``-fl`` (apiyi) or ``-frames`` (vectorengine)."""
    parts = re.split(r"[-_]", model.lower())
    return "fl" in parts or "frames" in parts


def takes_references(model: str) -> bool:
    return "components" in model.lower()


def assign_roles(count: int, model: str) -> list[str]:
    """What each of ``count`` images becomes for ``model``: first/last frame or references."""
    if takes_references(model):
        return ["reference" if i < 3 else "ignored" for i in range(count)]
    last = wants_last_frame(model)
    return ["first" if i == 0 else "last" if i == 1 and last else "ignored" for i in range(count)]
