"""Tiny real images for tests, made with Pillow: PNG, JPEG and WebP bytes, or files on disk.

Other test modules import these (``from tests.images import png_bytes``); every function makes a
solid-colour picture, small enough to keep tests fast and real enough for any decoder.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image

__all__ = ["jpeg_bytes", "pil_image", "png_bytes", "webp_bytes", "write_image", "write_png"]

Color = tuple[int, int, int]


def pil_image(w: int = 64, h: int = 36, color: Color = (220, 40, 40)) -> Image.Image:
    """A solid RGB Pillow image."""
    return Image.new("RGB", (w, h), color)


def _encode(fmt: str, w: int, h: int, color: Color) -> bytes:
    buffer = io.BytesIO()
    pil_image(w, h, color).save(buffer, format=fmt)
    return buffer.getvalue()


def png_bytes(w: int = 64, h: int = 36, color: Color = (220, 40, 40)) -> bytes:
    """A PNG file's bytes."""
    return _encode("PNG", w, h, color)


def jpeg_bytes(w: int = 64, h: int = 36, color: Color = (40, 120, 220)) -> bytes:
    """A JPEG file's bytes."""
    return _encode("JPEG", w, h, color)


def webp_bytes(w: int = 64, h: int = 36, color: Color = (40, 200, 90)) -> bytes:
    """A WebP file's bytes."""
    return _encode("WEBP", w, h, color)


def write_image(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` (parents created) and return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def write_png(
    path: str | os.PathLike[str], w: int = 64, h: int = 36, color: Color = (220, 40, 40)
) -> Path:
    """Write a PNG to ``path`` and return the path."""
    return write_image(path, png_bytes(w, h, color))
