"""VideoRequest: one normalised, validated request.

STUB: the fields below are fixed (adapters and the client use them); ``build`` to be written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ._catalog import ModelSpec
from ._media import ImageInput

__all__ = ["Orientation", "VideoRequest"]

Orientation = Literal["portrait", "landscape"]


@dataclass(frozen=True, slots=True)
class VideoRequest:
    """Everything one job asks the relay for, already checked against the model's capabilities."""

    prompt: str
    protocol: str  # "chat" | "videos" | "create" | "gemini"
    spec: ModelSpec  # the parsed model: capabilities, price, how to spell it on the wire
    orientation: Orientation | None = None  # None: the relay's default (portrait)
    fast: bool = False
    first_frame: ImageInput | None = None
    last_frame: ImageInput | None = None
    references: tuple[ImageInput, ...] = ()
    seconds: int | None = None  # None: the model's default
    size: str | None = None  # as the user gave it ("1280x720", "16:9", "16x9"); None: from orientation
    n: int = 1
    negative_prompt: str | None = None
    seed: int | None = None
    options: dict[str, object] = field(default_factory=dict)  # protocol-specific extras

    @property
    def images(self) -> tuple[ImageInput, ...]:
        """Every image in wire order: first frame, last frame, then references."""
        frames = tuple(i for i in (self.first_frame, self.last_frame) if i is not None)
        return frames + self.references

    @property
    def wire_model(self) -> str:
        """The model name to send on this request's protocol."""
        raise NotImplementedError

    @property
    def estimated_cost(self) -> float:
        """Estimated price in USD for all ``n`` clips."""
        raise NotImplementedError

    @property
    def pixel_size(self) -> tuple[int, int]:
        """(width, height) the clip should have."""
        raise NotImplementedError

    def describe(self) -> dict[str, object]:
        """A JSON-safe record of the request (no image bytes, never the key)."""
        raise NotImplementedError

    @classmethod
    def build(cls, prompt: str, *, protocol: str = "chat", model: str = "veo-3.1", **options: object) -> VideoRequest:
        """Validate keywords against the model and return a request, or raise ``VeoInputError``."""
        raise NotImplementedError
