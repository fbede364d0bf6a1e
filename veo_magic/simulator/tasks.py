"""Simulated tasks, and the one clock that drives what every protocol reports about them.

A task's life is a function of the time since it was created: queued for the first tenth of
``generation_seconds``, then running, then succeeded once the clock has run out *and* its clips
are rendered (a refused task fails at 30 %). The chat stream, the ``/v1/videos`` object and the
unified query are three views of the same ``Task.phase()``, so a chat task can be polled as a
video and a dropped stream does not stop the work.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .dialects import Dialect, Phase
from .errors import REFUSAL_MESSAGE
from .render import RenderSpec
from .scenarios import Scenario

__all__ = ["Clip", "FileRef", "ImageInput", "Task", "drawable"]

QUEUED_UNTIL = 0.1  # fraction of the clock spent queued
REFUSED_AT = 0.3  # fraction at which a refused task fails (Google rejects after a while)

ProtocolName = Literal["chat", "videos", "create", "gemini", "interactions", "vertex"]


@dataclass
class ImageInput:
    """An image the request carried, and what the task does with it."""

    role: Literal["first", "last", "reference", "ignored"]
    source: Literal["upload", "data", "url"]
    content_type: str | None = None
    size: int | None = None
    url: str | None = None  # http(s) URLs only; a relay would download these, the simulator cannot
    data: bytes | None = field(default=None, repr=False)

    def describe(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "source": self.source,
            "content_type": self.content_type,
            "size": self.size,
            "url": self.url,
        }


def drawable(images: list[ImageInput]) -> tuple[tuple[str, bytes], ...]:
    """``(role, bytes)`` of the images a clip shows: frames and references whose bytes we have."""
    return tuple((i.role, i.data) for i in images if i.data is not None and i.role != "ignored")


@dataclass
class Clip:
    """One video of a task (chat may ask for ``n`` of them)."""

    spec: RenderSpec
    names: list[str]  # result-file names issued for it; the last one is current
    path: Path | None = None  # the rendered MP4, once ready

    @property
    def name(self) -> str:
        return self.names[-1]


@dataclass
class FileRef:
    """What a result-file name points at."""

    task_id: str
    clip: int
    style: Literal["uuid", "cdn"] = "uuid"  # the name's shape, kept when the URL is renewed
    expired: bool = False


@dataclass
class Task:
    """One simulated generation."""

    id: str
    protocol: ProtocolName
    model: str
    prompt: str  # as sent (tags included): relays echo what they were given
    text: str  # the prompt without [[sim:…]] tags: drawn on the frames
    width: int
    height: int
    size: str  # as the client wrote it (720x1280, 16x9, 16:9, …)
    seconds: int
    scenario: Scenario
    dialect: Dialect
    generation_seconds: float
    images: list[ImageInput] = field(default_factory=list)
    clips: list[Clip] = field(default_factory=list)
    request: dict[str, Any] = field(default_factory=dict)  # the create body, echoed by some views
    remixed_from: str | None = None
    created_at: float = field(default_factory=time.time)
    started: float = field(default_factory=time.monotonic)
    rendered: bool = False
    render_error: str | None = None
    finished_at: float | None = None
    deleted: bool = False
    counters: Counter[str] = field(default_factory=Counter)  # per-task fault bookkeeping
    links_sent: dict[str, float] = field(default_factory=dict)  # chat: result URL -> when sent

    @property
    def needs_render(self) -> bool:
        return self.scenario.outcome == "video" and self.scenario.fails_with is None

    def fraction(self) -> float:
        """How far the clock has run, 0..1."""
        if self.generation_seconds <= 0:
            return 1.0
        return min(1.0, (time.monotonic() - self.started) / self.generation_seconds)

    def phase(self) -> Phase:
        fraction = self.fraction()
        if self.scenario.outcome == "refused" and fraction >= REFUSED_AT:
            return self._finish("failed")
        if self.scenario.fails_with is not None and fraction >= REFUSED_AT:
            self.render_error = self.render_error or self.scenario.fails_with
        if self.render_error is not None:
            return self._finish("failed")
        if fraction < QUEUED_UNTIL:
            return "queued"
        if fraction < 1.0 or not self.rendered:
            return "running"
        return self._finish("succeeded")

    def _finish(self, phase: Phase) -> Phase:
        if self.finished_at is None:
            self.finished_at = time.time()
        return phase

    def progress(self) -> float:
        """Percent done, 0..100, never decreasing; 100 only once succeeded."""
        phase = self.phase()
        if phase == "succeeded":
            return 100.0
        if phase == "failed" and self.scenario.outcome == "refused":
            return REFUSED_AT * 100
        if phase == "queued":
            return 0.0
        return min(99.0, self.fraction() * 100)

    def error_message(self) -> str | None:
        if self.phase() != "failed":
            return None
        if self.scenario.outcome == "refused":
            return REFUSAL_MESSAGE
        return f"video generation failed: {self.render_error}"

    def no_video_reason(self) -> str | None:
        """Why a finished task has no video, when its scenario has the relay say so."""
        if self.phase() == "succeeded" and self.scenario.outcome == "no_video":
            return self.scenario.no_video_reason
        return None

    def has_video(self) -> bool:
        """Whether a successful task has something to download (the safety filter may say no)."""
        return self.phase() == "succeeded" and self.scenario.outcome == "video"

    @property
    def created(self) -> int:
        return int(self.created_at)

    @property
    def completed(self) -> int | None:
        return int(self.finished_at) if self.finished_at is not None else None
