"""Test doubles for the protocol tests: a relay on httpx.MockTransport, fake requests, seeds."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as email_policy
from pathlib import Path
from typing import Any

import httpx

from veo_magic.relays.http import Relay
from veo_magic.relays.protocols.polling import Pacing
from veo_magic.requests.images import ImageInput

FIXTURES = Path(__file__).parent / "fixtures"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


@dataclass(frozen=True)
class FakeRequest:
    """The parts of ``VideoRequest`` the adapters read, without its validation."""

    prompt: str = "a pig flying over the sea"
    wire_model: str = "veo-3.1"
    pixel_size: tuple[int, int] = (720, 1280)
    first_frame: ImageInput | None = None
    last_frame: ImageInput | None = None
    references: tuple[ImageInput, ...] = ()
    seconds: int | None = 8
    size: str | None = None
    n: int = 1
    negative_prompt: str | None = None
    seed: int | None = None
    options: dict[str, object] = field(default_factory=dict)
    lineage: object = None  # a new clip: no edit or extension

    @property
    def images(self) -> tuple[ImageInput, ...]:
        frames = tuple(i for i in (self.first_frame, self.last_frame) if i is not None)
        return frames + self.references


def png(role: str = "first_frame") -> ImageInput:
    return ImageInput(role=role, source=f"{role}.png", mime="image/png", data=PNG)


def remote(url: str, role: str = "last_frame") -> ImageInput:
    return ImageInput(role=role, source=url, url=url)


Handler = Callable[[httpx.Request], httpx.Response]
# Polls back to back: these tests count requests, not seconds.
INSTANT = Pacing(0.0, 0.0)


def make_relay(handler: Handler, *, idle_timeout: float = 5.0) -> Relay:
    transport = httpx.MockTransport(handler)
    return Relay(
        httpx.AsyncClient(transport=transport, base_url="http://relay.test"),
        httpx.AsyncClient(transport=transport),
        idle_timeout=idle_timeout,
    )


async def collect(events: AsyncIterator[Any]) -> list[Any]:
    return [event async for event in events]


def seed_stream() -> bytes:
    return (FIXTURES / "seed001_stream.txt").read_bytes()


def seed_reply() -> dict[str, Any]:
    return json.loads((FIXTURES / "seed000_reply.json").read_text(encoding="utf-8"))


def sse(*chunks: object, done: bool = True) -> bytes:
    """An event stream of ``chunks`` (dicts become JSON, strings go as they are)."""
    lines = [
        f"data: {c if isinstance(c, str) else json.dumps(c, ensure_ascii=False)}\n\n"
        for c in chunks
    ]
    return ("".join(lines) + ("data: [DONE]\n\n" if done else "")).encode()


def chunk(
    content: str | None = None, *, model: str = "veo-3.1-fast", **delta: object
) -> dict[str, Any]:
    """A chat.completion.chunk carrying ``content``."""
    if content is not None:
        delta["content"] = content
    return {
        "id": "foaicmpl-1",
        "object": "chat.completion.chunk",
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
    }


def multipart(request: httpx.Request) -> list[tuple[str, str | None, str, bytes]]:
    """(name, filename, content type, payload) of each part of a multipart request."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=email_policy).parsebytes(head + request.content)
    return [
        (
            part.get_param("name", header="content-disposition"),
            part.get_filename(),
            part.get_content_type(),
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()
    ]
