"""Video through chat completions: ``POST /v1/chat/completions`` (PROTOCOLS.md §1.1).

What is sent::

    {"model": "veo-3.1-fast", "stream": true, "n": 1,
     "messages": [{"role": "user", "content": "a pig flying over the sea"}]}

With images, ``content`` is a list: the prompt as a ``text`` part, then one ``image_url`` part
per image (first frame, last frame, references; a URL the user gave, else a data URL).

The reply is markdown (see ``markdown.py``): progress lines become ``Progress``, each result
link a ``VideoReady``. A stream that ends with no link is a failure quoting what the relay said.
A stream that breaks off or goes quiet is followed through ``GET /v1/videos/{id}`` when the
relay named a task id (apiyi: "支持openai视频异步格式"); without one it cannot be resumed.
``options["stream"] = False`` asks for the one-shot reply instead (seed 000).

A gateway that serves Veo only as a task (LiteLLM routes chat to Gemini's ``generateContent``,
which Veo does not serve) refuses the create with a 404 (or a 400 naming it): the error then
says to use the ``videos`` protocol.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
from httpx_sse import EventSource

from ..._events import Event, Failed, Phase, Progress, Submitted
from ..._exceptions import VeoAPIError
from ..http import StreamIdleError, json_body, with_idle_timeout
from .markdown import Note, Transcript, find_task_id
from .polling import Pacing, video_ready
from .videos import VideosAdapter

if TYPE_CHECKING:
    from ...requests import VideoRequest
    from ..http import Relay

__all__ = ["ChatAdapter", "chat_body"]

log = logging.getLogger("veo_magic")

CHAT_PATH = "/v1/chat/completions"
# The stream has no read timeout (a render takes minutes); the idle watchdog guards it instead.
STREAM_TIMEOUT = httpx.Timeout(30.0, read=None)
# A one-shot reply arrives only when the video is done; give it long, but not forever.
REPLY_TIMEOUT = httpx.Timeout(30.0, read=900.0)
# How a stream may break off mid-way; anything else is an ordinary error.
STREAM_CUTS = (httpx.RemoteProtocolError, httpx.ReadError, StreamIdleError)
MAX_QUOTE = 2000  # characters of the relay's text quoted in a failure
# The ```json {"prompt": …, "mode": …}``` block a flow-style stream opens with (seed 001).
ECHO = re.compile(r"\A\s*```json\s*\{.*?\}\s*```\s*", re.DOTALL)


def chat_body(request: VideoRequest, *, stream: bool = True) -> dict[str, Any]:
    """The chat-completions body for ``request``."""
    content: str | list[dict[str, Any]] = request.prompt
    if request.images:
        content = [{"type": "text", "text": request.prompt}] + [
            {"type": "image_url", "image_url": {"url": image.as_url()}} for image in request.images
        ]
    return {
        "model": request.wire_model,
        "stream": stream,
        "n": request.n,
        "messages": [{"role": "user", "content": content}],
    }


class ChatAdapter:
    """``/v1/chat/completions``: one streamed (or one-shot) reply per job."""

    name: ClassVar[str] = "chat"

    def __init__(self, relay: Relay, *, pacing: Pacing | None = None) -> None:
        self.relay = relay
        self._videos = VideosAdapter(relay, pacing=pacing)

    async def run(
        self, request: VideoRequest | None, *, task_id: str | None = None
    ) -> AsyncIterator[Event]:
        """Send the request and turn the reply into events; with ``task_id``, follow that task."""
        if task_id is not None or request is None:
            events = self._videos.run(None, task_id=task_id)  # resume (or say what is missing)
        elif request.options.get("stream") is False:
            events = self._reply(request)
        else:
            events = self._stream(request)
        started = False
        try:
            async for event in events:
                started = True
                yield event
        except VeoAPIError as exc:
            if started or task_id is not None or not _refused_chat(exc, self.relay.gateway):
                raise
            raise VeoAPIError(
                f"HTTP {exc.status_code} from POST {CHAT_PATH}: {exc.detail} (this relay does "
                "not make videos over chat completions; a gateway such as LiteLLM serves Veo "
                "only as a task: use the videos protocol, --protocol videos, "
                "VEO_PROTOCOL=videos or protocol='videos')",
                status_code=exc.status_code,
                code=exc.code,
                detail=exc.detail,
            ) from None

    async def _reply(self, request: VideoRequest) -> AsyncIterator[Event]:
        response = await self.relay.create(
            "POST", CHAT_PATH, json=chat_body(request, stream=False), timeout=REPLY_TIMEOUT
        )
        for event in _Reading(self.relay).reply(response):
            yield event

    async def _stream(self, request: VideoRequest) -> AsyncIterator[Event]:
        reading = _Reading(self.relay)
        try:
            async with self.relay.stream_create(
                "POST",
                CHAT_PATH,
                json=chat_body(request, stream=True),
                headers={"Accept": "text/event-stream"},
                timeout=STREAM_TIMEOUT,
            ) as response:
                content_type = response.headers.get("content-type", "")
                if "json" in content_type:  # the relay ignored "stream": a one-shot reply
                    await response.aread()
                    for event in reading.reply(response):
                        yield event
                    return
                if "text/event-stream" not in content_type:
                    log.info("the chat stream came as %r; reading it as SSE", content_type)
                    response.headers["content-type"] = "text/event-stream"
                async with (
                    aclosing(EventSource(response).aiter_sse()) as sse,
                    aclosing(with_idle_timeout(sse, self.relay.idle_timeout)) as watched,
                ):
                    async for message in watched:
                        if message.data.strip() == "[DONE]":
                            break
                        for event in reading.chunk(message.data):
                            yield event
                        if reading.failed:
                            return
        except STREAM_CUTS as exc:
            cut: Exception = exc
        else:
            for event in reading.finish("the stream"):
                yield event
            return
        async for event in self._after_cut(reading, cut):
            yield event

    async def _after_cut(self, reading: _Reading, exc: Exception) -> AsyncIterator[Event]:
        """The stream broke off: follow the task if the relay named it, else fail saying why."""
        why = f"{type(exc).__name__}: {exc}".removesuffix(": ")
        if isinstance(exc, StreamIdleError):
            why = str(exc)
        if reading.clips:
            log.warning(
                "the chat stream broke off (%s) after %d video link(s); keeping those",
                why,
                reading.clips,
            )
            return
        if reading.task_id is not None:
            yield Progress(
                reading.percent,
                phase=reading.phase,
                message=f"The stream broke off ({why}); following task {reading.task_id} instead.",
            )
            async for event in self._videos.follow(reading.task_id):
                yield event
            return
        where = f"after “{reading.last_line}”" if reading.last_line else "before any progress"
        yield Failed(
            f"The relay's stream broke off ({why}) {where}. It gave no task id, so the job "
            "cannot be resumed; the relay may still finish (and charge for) the video: check its "
            "dashboard.",
            may_charge=True,
        )


class _Reading:
    """What one chat reply has said so far, turned into events."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.transcripts: dict[int, Transcript] = {}  # one per choice index
        self.task_id: str | None = None
        self.percent: float | None = None
        self.phase: Phase = "queued"
        self.last_line: str | None = None  # the latest progress or status line, for messages
        self.clips = 0
        self.submitted = False
        self.failed = False

    def chunk(self, data: str) -> list[Event]:
        """Events from one ``data:`` payload of the stream; malformed ones are skipped."""
        try:
            chunk = json.loads(data)
        except ValueError:
            log.info("skipping a chat stream event that is not JSON: %.200r", data)
            return []
        if not isinstance(chunk, Mapping):
            log.info("skipping a chat stream event that is not an object: %.200r", data)
            return []
        events: list[Event] = []
        if not self.submitted:
            self.submitted = True
            events.append(Submitted(None, model=_str(chunk.get("model"))))
        if failure := self._error(chunk):
            return [*events, failure]
        choices = chunk.get("choices")
        if not isinstance(choices, list) or not choices:
            log.info("skipping a chat stream chunk with no choices: %.200r", data)
            return events
        for choice in choices:
            if not isinstance(choice, Mapping):
                continue
            delta = choice.get("delta") or choice.get("message")  # some relays send "message"
            if isinstance(delta, Mapping):
                events += self._text(choice, delta.get("content"))
        return events

    def reply(self, response: httpx.Response) -> list[Event]:
        """Events from a one-shot (non-stream) chat completion."""
        body = json_body(response)
        if not isinstance(body, Mapping):
            said = response.text.strip()[:MAX_QUOTE]
            return [Failed(f"The relay's reply is not a chat completion: {said}")]
        if failure := self._error(body):
            return [failure]
        texts = []
        for choice in body.get("choices") or ():
            message = choice.get("message") if isinstance(choice, Mapping) else None
            if isinstance(message, Mapping) and isinstance(message.get("content"), str):
                texts.append((choice, message["content"]))
        self.task_id = find_task_id("\n".join(text for _, text in texts))
        events: list[Event] = [Submitted(self.task_id, model=_str(body.get("model")))]
        for choice, text in texts:
            events += self._text(choice, text)
        return events + self.finish("its reply")

    def finish(self, what: str) -> list[Event]:
        """The reply ended: the last lines, fallback links, or a failure quoting the relay."""
        if self.failed:
            return []
        events: list[Event] = []
        for transcript in self.transcripts.values():
            events += self._found(transcript.close())
        if not self.clips:
            said = "\n".join(t.text.strip() for t in self.transcripts.values()).strip()
            said = ECHO.sub("", said)  # the relay repeating our own prompt says nothing new
            if len(said) > MAX_QUOTE:  # the end is where a relay says why
                said = "…" + said[-MAX_QUOTE:]
            events.append(
                Failed(
                    f"The relay ended {what} without a video. It said: {said}"
                    if said
                    else f"The relay ended {what} without a video, and without a word.",
                    task_id=self.task_id,
                )
            )
        return events

    def _text(self, choice: Mapping[str, Any], text: object) -> list[Event]:
        """Feed one choice's text to its transcript."""
        if not isinstance(text, str) or not text:
            return []
        index = choice.get("index")
        index = index if isinstance(index, int) else 0
        transcript = self.transcripts.setdefault(index, Transcript())
        return self._found(transcript.feed(text))

    def _found(self, findings: list[Note | str]) -> list[Event]:
        """Events for what a transcript found: a ``VideoReady`` per link, ``Progress`` per note."""
        events: list[Event] = []
        for found in findings:
            if isinstance(found, str):
                events.append(video_ready(self.relay, self.clips, found))
                self.clips += 1
                continue
            new_id = found.task_id if found.task_id not in (None, self.task_id) else None
            if found.percent is None and found.phase is None and new_id is None:
                continue  # a line naming a task id we already know
            if found.percent is not None:
                self.percent = found.percent
            if found.phase == "running":
                self.phase = "running"  # never back to queued
            if new_id is not None:
                self.task_id = new_id
            self.last_line = found.text
            events.append(
                Progress(self.percent, phase=self.phase, message=found.text, task_id=new_id)
            )
        return events

    def _error(self, body: Mapping[str, Any]) -> Failed | None:
        """A ``{"error": …}`` object in place of a completion: the relay refused mid-way."""
        error = body.get("error")
        if not error:
            return None
        self.failed = True
        if not isinstance(error, Mapping):
            return Failed(str(error), task_id=self.task_id)
        message = error.get("message") or json.dumps(error, ensure_ascii=False)
        code = error.get("code")
        return Failed(str(message), task_id=self.task_id, code=str(code) if code else None)


def _refused_chat(exc: VeoAPIError, gateway: str | None) -> bool:
    """A chat create refused because the relay has no chat route to a video model: a 404, or
    a 400 from LiteLLM or naming Gemini's ``generateContent``."""
    if exc.status_code == 404:
        return True
    return exc.status_code == 400 and (
        gateway == "litellm" or "generatecontent" in exc.detail.lower()
    )


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
