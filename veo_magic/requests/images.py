"""Images given as a path, an http(s) URL, a data URL, raw bytes or a PIL image.

``load_image`` turns any of them into an ``ImageInput``: local bytes are read, sniffed from their
magic bytes (PNG, JPEG, WebP: what every relay and Google accept) and size-checked; an http(s)
URL is kept by reference, never fetched here. Every refusal is a ``VeoInputError`` whose ``field``
is the keyword the user typed (``first_frame``, ``references[1]``) and whose message says the fix.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit

from .._exceptions import VeoInputError
from ..config import MAX_IMAGE_BYTES, read

__all__ = [
    "DEFAULT_MAX_IMAGE_BYTES",
    "IMAGE_MIMES",
    "URL_SCHEMES",
    "ImageInput",
    "load_image",
    "max_image_bytes",
    "sniff_mime",
]

DEFAULT_MAX_IMAGE_BYTES: int = MAX_IMAGE_BYTES.default
IMAGE_MIMES = ("image/png", "image/jpeg", "image/webp")
URL_SCHEMES = ("http", "https", "data")
_KINDS = ("PNG", "JPEG", "WebP")
_SOURCES = "a path, an http(s) URL, a data: URL, bytes or a PIL image"
_FILE = "an existing PNG, JPEG or WebP file"


@dataclass(frozen=True, slots=True)
class ImageInput:
    """One validated image. Either ``data`` (sniffed bytes) or a remote ``url`` kept by reference."""

    role: str  # "first_frame" | "last_frame" | "reference"
    source: str  # what the user gave, for messages and records: a file name, "bytes", a URL
    mime: str | None = None  # "image/png" | "image/jpeg" | "image/webp"; None for an unfetched URL
    data: bytes | None = field(default=None, repr=False)  # megabytes have no place in a repr
    url: str | None = None  # http(s) URL given by the user, not fetched here

    @property
    def filename(self) -> str:
        ext = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}.get(
            self.mime or "", "bin"
        )
        return f"{self.role}.{ext}"

    def data_url(self) -> str:
        """``data:<mime>;base64,...`` for inline protocols (requires ``data``)."""
        assert self.data is not None and self.mime is not None
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"

    def as_url(self) -> str:
        """The remote URL if one was given, else a data URL."""
        return self.url or self.data_url()

    def describe(self) -> dict[str, object]:
        """A JSON-safe record (no bytes) for journals and sidecars."""
        digest = hashlib.sha256(self.data).hexdigest()[:16] if self.data else None
        return {
            "role": self.role,
            "source": self.source,
            "mime": self.mime,
            "bytes": len(self.data) if self.data else None,
            "sha256": digest,
        }


def load_image(value: object, *, role: str, field: str) -> ImageInput:
    """Turn what the user gave into an ``ImageInput`` or raise ``VeoInputError`` naming ``field``.

    >>> load_image("https://example.com/a.png", role="first_frame", field="first_frame").url
    'https://example.com/a.png'
    """
    if isinstance(value, ImageInput):
        return replace(value, role=role)
    if isinstance(value, bytes | bytearray | memoryview):
        return _checked(bytes(value), role=role, field=field, source="bytes")
    if isinstance(value, str):
        return _from_text(value.strip(), role=role, field=field)
    if isinstance(value, os.PathLike):
        return _from_path(Path(os.fspath(value)), str(value), role=role, field=field)
    if _is_pil_image(value):
        return _from_pil(value, role=role, field=field)
    raise VeoInputError(field, value, f"is a {type(value).__name__}, not an image", _SOURCES)


def max_image_bytes() -> int:
    """The size cap: ``VEO_MAX_IMAGE_BYTES`` if set, else 20 MiB."""
    cap: int = read(MAX_IMAGE_BYTES)
    return cap


def sniff_mime(data: bytes) -> str | None:
    """``image/png``, ``image/jpeg`` or ``image/webp`` from the magic bytes, else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


# -- one function per kind of input --------------------------------------------------------------


def _from_text(text: str, *, role: str, field: str) -> ImageInput:
    if not text:
        raise VeoInputError(field, text, "is an empty string", _SOURCES)
    if text[:5].lower() == "data:":
        return _from_data_url(text, role=role, field=field)
    scheme = re.match(r"^([a-z][a-z0-9+.-]+)://", text, re.I)  # 2+ letters: C:\x is a path
    if scheme:
        return _from_url(text, scheme[1].lower(), role=role, field=field)
    return _from_path(Path(text), text, role=role, field=field)


def _from_url(url: str, scheme: str, *, role: str, field: str) -> ImageInput:
    if scheme not in ("http", "https"):
        hint = None
        if scheme == "file":
            hint = f"for a local file give its path, e.g. {urlsplit(url).path!r}"
        raise VeoInputError(
            field,
            url,
            f"uses the {scheme}:// scheme, which relays cannot fetch",
            URL_SCHEMES,
            hint=hint,
        )
    parts = urlsplit(url)
    if not parts.netloc or re.search(r"\s", url):
        raise VeoInputError(
            field,
            url,
            "is not a valid http(s) URL (it needs a host and no spaces)",
            URL_SCHEMES,
            hint="e.g. 'https://example.com/frame.png'",
        )
    return ImageInput(role=role, source=url, url=url)


def _from_data_url(text: str, *, role: str, field: str) -> ImageInput:
    header, comma, payload = text[5:].partition(",")
    shown = text[:40] + ("…" if len(text) > 40 else "")
    if not comma:
        raise VeoInputError(
            field,
            shown,
            "is not a data URL (no comma before the data)",
            URL_SCHEMES,
            hint="write it like 'data:image/png;base64,iVBORw0…'",
        )
    try:
        if header.lower().endswith(";base64"):
            data = base64.b64decode(re.sub(r"\s+", "", payload), validate=True)
        else:
            data = unquote_to_bytes(payload)
    except (binascii.Error, ValueError) as exc:
        raise VeoInputError(
            field,
            shown,
            f"has base64 data that does not decode ({exc})",
            URL_SCHEMES,
            hint="re-encode the image with base64.b64encode",
        ) from exc
    return _checked(data, role=role, field=field, source="data URL")


def _from_path(path: Path, given: str, *, role: str, field: str) -> ImageInput:
    resolved = path.expanduser().absolute()
    if not resolved.exists():
        raise VeoInputError(
            field,
            given,
            f"is no such file: {str(resolved)!r} (relative to {os.getcwd()!r})",
            _FILE,
            hint="check the path or give an http(s) URL",
        )
    if not resolved.is_file():
        raise VeoInputError(
            field, given, f"is a directory ({str(resolved)!r}), not an image file", _FILE
        )
    cap = max_image_bytes()
    size = resolved.stat().st_size
    if size > cap:  # refuse before reading a huge file into memory
        raise _too_big(field, given, size, cap)
    try:
        data = resolved.read_bytes()
    except OSError as exc:
        raise VeoInputError(
            field,
            given,
            f"cannot be read ({exc.strerror}: {str(resolved)!r})",
            _FILE,
            hint="check its permissions",
        ) from exc
    return _checked(data, role=role, field=field, source=given)


def _is_pil_image(value: object) -> bool:
    # No PIL import here: importing veo_magic must stay cheap and Pillow is optional.
    return type(value).__module__.startswith("PIL.") and hasattr(value, "save")


def _from_pil(image: object, *, role: str, field: str) -> ImageInput:
    mode = getattr(image, "mode", "RGB")
    if mode not in ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"):  # modes PNG can store
        image = image.convert("RGBA" if "A" in mode else "RGB")  # type: ignore[attr-defined]
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")  # type: ignore[attr-defined]
    width, height = getattr(image, "size", ("?", "?"))
    return _checked(buffer.getvalue(), role=role, field=field, source=f"PIL image {width}x{height}")


# -- checks --------------------------------------------------------------------------------------


def _checked(data: bytes, *, role: str, field: str, source: str) -> ImageInput:
    cap = max_image_bytes()
    if len(data) > cap:
        raise _too_big(field, source, len(data), cap)
    mime = sniff_mime(data)
    if mime is None:
        found = _what_is(data)
        convert = "convert it, e.g. PIL.Image.open(path).save('frame.png')"
        raise VeoInputError(
            field,
            source,
            f"is not an image (found {found})",
            _KINDS,
            hint=convert if "image" in found else None,
        )
    return ImageInput(role=role, source=source, mime=mime, data=data)


def _too_big(field: str, source: str, size: int, cap: int) -> VeoInputError:
    return VeoInputError(
        field,
        source,
        f"is {_human(size)}; the limit is {_human(cap)} ({MAX_IMAGE_BYTES.name})",
        f"at most {cap} bytes",
        hint="downscale the image or save it as JPEG",
    )


_SIGNATURES = (
    (b"GIF8", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x00\x00\x01\x00", "an ICO image"),
    (b"\x1a\x45\xdf\xa3", "a WebM/Matroska video"),
)


def _what_is(data: bytes) -> str:
    """Words for bytes that are not PNG/JPEG/WebP, to put in the error message."""
    if not data:
        return "no bytes at all: the file is empty"
    for magic, words in _SIGNATURES:
        if data.startswith(magic):
            return words
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1"):
            return "a HEIC image"
        return "an AVIF image" if brand == b"avif" else "an MP4/QuickTime video"
    head = data[:512].lstrip()
    if head[:5].lower() in (b"<svg ", b"<?xml"):
        return "SVG/XML text"
    # A 512-byte cut may split one multi-byte character: allow a few replacement marks for that.
    text = data[:512].decode("utf-8", errors="replace")
    if text.count("\ufffd") <= 3 and all(
        c.isprintable() or c.isspace() or c == "\ufffd" for c in text
    ):
        return "text/plain-looking bytes"
    return f"unrecognised binary data starting {data[:4].hex(' ')}"


def _human(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"
