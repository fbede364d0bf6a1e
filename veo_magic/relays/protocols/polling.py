"""Following a task until it ends: the adaptive poll schedule and the one task driver.

``TaskAdapter`` is the control flow every task protocol shares (create, or resume a task id;
``Submitted``; poll; ``Progress`` on news; ``VideoReady``s or ``Failed``); each protocol gives
only its data: ``GET /v1/videos/{id}`` (PROTOCOLS.md §1.2), ``GET /v1/video/query?id=`` (§1.3),
Google's operations (§3), and chat when its stream breaks (§1.1). The server's own
hint wins (``openai-poll-after-ms``, §2; ``Retry-After``); otherwise the schedule learns the
task's progress rate and aims its polls at the predicted end, so a long job costs few requests
and its completion is noticed soon after it happens.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar

import httpx

from ..._events import Event, Failed, Progress, Submitted, VideoReady
from ..._exceptions import VeoAPIError, VeoInputError, VeoTaskUncertainError
from ..http import Relay, json_body, named_task, retry_after_seconds, says_withheld
from .status import TaskReport, read_task, withheld_reason

if TYPE_CHECKING:
    from ...requests import VideoRequest

__all__ = [
    "Pacing",
    "PollSchedule",
    "TaskAdapter",
    "relay_reader",
    "server_hint",
    "video_ready",
]

log = logging.getLogger("veo_magic")

FIRST_DELAY = 2.0  # seconds between polls until a progress rate is known
ARRIVAL_MARGIN = 0.05  # aim this long after the predicted end, so the poll finds it finished
SHORTEST_HALF = 0.25  # halving a wait shorter than this buys nothing: aim at the end instead
MAX_HINT = 600.0  # a server hint is honoured up to this many seconds


def server_hint(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asked us to wait before the next poll, if it said."""
    if not headers:
        return None
    headers = httpx.Headers(headers)
    if (ms := headers.get("openai-poll-after-ms")) is not None:
        try:
            return min(MAX_HINT, max(0.0, float(ms) / 1000))
        except ValueError:
            pass
    seconds = retry_after_seconds(headers)
    return None if seconds is None else min(MAX_HINT, seconds)


class PollSchedule:
    """When to poll next, from the progress seen so far.

    With a rate known, wait half the estimated remaining time, clamped to
    ``[min_interval, max_interval]``; once half would fall below ``min_interval`` (or a quarter
    second), wait for the whole remaining time plus a little, so the poll lands just after the
    predicted end.
    Progress that goes backwards restarts the estimate. Pure: the clock is injected.

    With no progress numbers at all, ``expected`` (the usual length of a job on this relay)
    stands in for the rate.

    >>> schedule = PollSchedule(1.0, 10.0, clock=lambda: 0.0)
    >>> schedule.next_delay(None)
    2.0
    >>> PollSchedule(0.5, 10.0, clock=lambda: 0.0, expected=60.0).next_delay(None)
    10.0
    """

    def __init__(
        self,
        min_interval: float,
        max_interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        expected: float | None = None,
    ) -> None:
        self.min_interval = min_interval
        self.max_interval = max(min_interval, max_interval)
        self._clock = clock
        # How long such a job usually takes here (learned by the client): the stand-in for a
        # rate when the relay reports no progress number at all (the create protocol).
        self.expected = expected
        self._born = clock()
        self._start: tuple[float, float] | None = None  # (time, progress) the estimate starts from
        self._last: tuple[float, float] | None = None  # the latest (time, progress)

    def next_delay(self, progress: float | None, headers: Mapping[str, str] | None = None) -> float:
        """Record ``progress`` (0..100 or None) seen now; return the seconds to wait."""
        now = self._clock()
        if progress is not None:
            if self._last is None or progress < self._last[1]:
                self._start = (now, progress)
            self._last = (now, progress)
        hint = server_hint(headers)
        if hint is not None:
            return hint
        remaining = self.remaining(now)
        if remaining is None and self.expected is not None and self._last is None:
            remaining = self.expected - (now - self._born)
            if remaining < 0:  # overdue: back off gently, a quarter of the overrun (a near
                return self._clamp(-remaining / 4)  # miss polls again soon)
        if remaining is None:
            return self._clamp(FIRST_DELAY)
        if remaining / 2 >= max(self.min_interval, SHORTEST_HALF):
            return self._clamp(remaining / 2)
        if remaining >= self.min_interval:
            return self._clamp(remaining + ARRIVAL_MARGIN)
        return self.min_interval

    def remaining(self, now: float) -> float | None:
        """Estimated seconds until 100 %, or None while no rate is known."""
        if self._start is None or self._last is None:
            return None
        (t0, p0), (t1, p1) = self._start, self._last
        if p1 >= 100:
            return 0.0
        if p1 <= p0 or t1 <= t0:
            return None
        rate = (p1 - p0) / (t1 - t0)
        return max(0.0, (100 - p1) / rate - (now - t1))

    def _clamp(self, seconds: float) -> float:
        return min(self.max_interval, max(self.min_interval, seconds))


@dataclass(frozen=True, slots=True)
class Pacing:
    """How one job polls: the bounds of its waits, and how long a job usually takes on this
    relay (learned from the journal), which stands in for a rate when the relay reports none.

    It belongs to the job, not to the HTTP seam: each job's ``PollSchedule`` is made from it.
    """

    min_interval: float = 1.0
    max_interval: float = 10.0
    expected_seconds: float | None = None

    def schedule(self, *, clock: Callable[[], float] = time.monotonic) -> PollSchedule:
        """A fresh schedule for one task."""
        return PollSchedule(
            self.min_interval, self.max_interval, clock=clock, expected=self.expected_seconds
        )


def video_ready(relay: Relay, index: int, url: str) -> VideoReady:
    """Clip ``index`` at ``url``; the key goes along only to the relay itself.

    A relative URL or one on the relay's own host is fetched with the key; a CDN link is not,
    so the key never leaves for a host that did not ask for it.
    """
    target = httpx.URL(url)
    base = relay.http.base_url
    own = not target.is_absolute_url or (
        (target.scheme, target.host, target.port) == (base.scheme, base.host, base.port)
    )
    return VideoReady(index, url, authenticated=own)


def relay_reader(content_url: str | None = None) -> Callable[[object], TaskReport]:
    """A reader of a relay's task object (``read_task``) that words how the task ended.

    A success without any URL field yields ``content_url`` (a key-carrying relay path) if given.
    """

    def read(body: object) -> TaskReport:
        report = read_task(body)
        if report.state == "failed":
            said = f": {report.reason}" if report.reason else " and gave no reason."
            return replace(report, reason=f"The relay reported {report.word!r}{said}")
        if report.state != "succeeded" or report.urls:
            return report
        if report.reason:  # "completed", but filtered: it says why
            why = f"The relay reported {report.word!r} but returned no video: {report.reason}"
            return replace(report, state="failed", reason=why)
        if content_url:
            return replace(report, urls=(content_url,))
        why = f"The relay reported {report.word!r} but gave no video URL."
        return replace(report, state="failed", reason=why, code=None)

    return read


class TaskAdapter(ABC):
    """A protocol that creates a task and polls it until it ends: the one control flow.

    A protocol contributes data: its create call (``create``), how its answer names the task
    (``created``) and what a resumed id says (``resumed``), where a poll goes (``poll``), how a
    poll answer reads (``reader``) and how a clip's URL becomes a ``VideoReady`` (``ready``).
    """

    name: ClassVar[str]
    poll_method: ClassVar[str] = "GET"  # Vertex AI polls with a POST

    def __init__(self, relay: Relay, *, pacing: Pacing | None = None) -> None:
        self.relay = relay
        self.pacing = pacing or Pacing()
        # When the task finished, as far as polling can tell: after the last answer that said
        # "not yet" and before the first that said "done" (monotonic seconds).
        self.finished_between: tuple[float, float] | None = None

    async def run(
        self, request: VideoRequest | None, *, task_id: str | None = None
    ) -> AsyncIterator[Event]:
        """Create the task (or re-attach to ``task_id``), report it, follow it to the end."""
        first: httpx.Response | None = None
        if task_id is None:
            if request is None:
                raise VeoInputError(
                    "task_id", None, "is missing, and there is no request to submit"
                )
            first = await self.create(request)
            task_id, model = self.created(first)
        else:
            model = self.resumed(task_id)
        yield Submitted(task_id, model=model)
        async for event in self.follow(task_id, first=first):
            yield event

    async def follow(
        self, task_id: str, *, first: httpx.Response | None = None
    ) -> AsyncIterator[Event]:
        """Poll until the task ends: ``Progress`` on news, then ``VideoReady``s or ``Failed``.

        ``first`` is an answer already in hand (the create response), read before the first poll.
        """
        path, params = self.poll(task_id)
        sent = self.poll_body(task_id)
        sends = {} if sent is None else {"json": sent}
        read = self.reader(task_id)
        schedule = self.pacing.schedule()
        response = first
        last_news: tuple[object, ...] | None = None
        not_yet = time.monotonic()
        while True:
            if response is None:
                try:
                    response = await self.relay.fetch(
                        self.poll_method, path, task_id=task_id, params=params, **sends
                    )
                except VeoAPIError as exc:
                    # LiteLLM answers every poll of a filtered Gemini task with the same 500.
                    if (exc.status_code or 0) >= 500 and says_withheld(exc.detail):
                        reason = withheld_reason(f"HTTP {exc.status_code}: {exc.detail}")
                        yield Failed(reason, task_id=task_id, code=exc.code)
                        return
                    raise
            body = json_body(response)
            if body is None:
                log.info(
                    "the relay answered %s with something that is not JSON; polling again", path
                )
            report = read(body)
            if report.state == "failed":
                yield Failed(report.reason or report.word, task_id=task_id, code=report.code)
                return
            if report.state == "succeeded":
                self.finished_between = (not_yet, time.monotonic())
                for index, url in enumerate(report.urls):
                    yield self.ready(index, url)
                return
            not_yet = time.monotonic()
            news = (report.state, report.progress, report.word)
            if news != last_news:
                last_news = news
                yield Progress(report.progress, phase=report.state, message=report.word or None)
            delay = schedule.next_delay(report.progress, response.headers)
            response = None
            await self.relay.sleep(delay)

    @abstractmethod
    async def create(self, request: VideoRequest) -> httpx.Response:
        """Send the create request (through ``relay.create``: never re-sent when uncertain)."""

    def created(self, response: httpx.Response) -> tuple[str, str | None]:
        """(task id exactly as sent, model echoed) from the create answer."""
        if (named := named_task(response)) is not None:
            return named
        raise VeoTaskUncertainError(
            f"The relay accepted the request (HTTP {response.status_code}) but its answer has no "
            f"task id, so the task cannot be followed; it may still run and be charged. The relay "
            f"said: {response.text.strip()[:300]!r}",
            status_code=response.status_code,
        )

    def resumed(self, task_id: str) -> str | None:
        """The model a task id given to resume names (None: it names none); raise if unusable."""
        return None

    @abstractmethod
    def poll(self, task_id: str) -> tuple[str, Mapping[str, str] | None]:
        """The path and query parameters that report on the task."""

    def poll_body(self, task_id: str) -> object | None:
        """The JSON a poll sends (None: none, a GET)."""
        return None

    def reader(self, task_id: str) -> Callable[[object], TaskReport]:
        """What one task's poll answers say; ``reason`` words a failure as a person reads it."""
        return relay_reader()

    def ready(self, index: int, url: str) -> VideoReady:
        """Clip ``index`` at ``url``, ready to download."""
        return video_ready(self.relay, index, url)
