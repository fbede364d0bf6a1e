"""Images given as a path, an http(s) URL, a data URL, raw bytes or a PIL image.

STUB: the shape below is fixed (adapters use it); loading, sniffing and size checks to be written.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

__all__ = ["ImageInput", "load_image"]


@dataclass(frozen=True, slots=True)
class ImageInput:
    """One validated image. Either ``data`` (sniffed bytes) or a remote ``url`` kept by reference."""

    role: str  # "first_frame" | "last_frame" | "reference"
    source: str  # what the user gave, for messages and records: a file name, "bytes", a URL
    mime: str | None = None  # "image/png" | "image/jpeg" | "image/webp"; None for an unfetched URL
    data: bytes | None = None
    url: str | None = None  # http(s) URL given by the user, not fetched here

    @property
    def filename(self) -> str:
        ext = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}.get(self.mime or "", "bin")
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
        return {"role": self.role, "source": self.source, "mime": self.mime,
                "bytes": len(self.data) if self.data else None, "sha256": digest}


def load_image(value: object, *, role: str, field: str) -> ImageInput:
    """Turn what the user gave into an ``ImageInput`` or raise ``VeoInputError`` naming ``field``."""
    raise NotImplementedError
