"""A request: what was asked, checked against the rules and the model, ready to send.

``VideoRequest.build`` is the one place input is validated (before any money is spent);
``images`` loads and checks the first frame, last frame and reference images.
"""

from __future__ import annotations

from .images import (
    DEFAULT_MAX_IMAGE_BYTES,
    IMAGE_MIMES,
    URL_SCHEMES,
    ImageInput,
    load_image,
    max_image_bytes,
    sniff_mime,
)
from .lineage import Lineage, ParentClip, Step, derive
from .request import (
    MAX_CLIPS,
    MAX_PROMPT_CHARS,
    MAX_REFERENCES,
    OPTIONS,
    Orientation,
    Size,
    VideoRequest,
    parse_size,
)

__all__ = [
    "DEFAULT_MAX_IMAGE_BYTES",
    "IMAGE_MIMES",
    "MAX_CLIPS",
    "MAX_PROMPT_CHARS",
    "MAX_REFERENCES",
    "OPTIONS",
    "URL_SCHEMES",
    "ImageInput",
    "Lineage",
    "Orientation",
    "ParentClip",
    "Size",
    "Step",
    "VideoRequest",
    "derive",
    "load_image",
    "max_image_bytes",
    "parse_size",
    "sniff_mime",
]
