"""Job: the handle a user holds for one generation.

State changes only through events (``_apply``), on the background loop's thread, where the
runner feeds them; listeners are called there too. Reading attributes from any thread is safe:
each is replaced whole.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
import uuid
from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from .._events import (
    Completed,
    Downloaded,
    Event,
    Failed,
    JobListener,
    Noted,
    Progress,
    Retrying,
    Submitted,
    VideoReady,
)
from .._exceptions import VeoCancelledError, VeoGenerationError
from .._loop import in_background_thread, wait_until
from .listeners import Listeners

if TYPE_CHECKING:
    from ..requests import VideoRequest
    from .versions import Versions

__all__ = [
    "TERMINAL",
    "Job",
    "Maker",
    "Status",
    "new_job_id",
]

Status = Literal["queued", "running", "succeeded", "failed", "cancelled"]
TERMINAL: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})
# What a person can still do about a failed job: ``resume`` it (the relay has the task, its id is
# known), or ``find_task`` (the create may have made a task we got no id for: look for it on the
# relay's dashboard, then resume it by its id).
Recovery = Literal["resume", "find_task"]


def new_job_id() -> str:
    return uuid.uuid4().hex[:12]


class Maker(Protocol):
    """What made a job, for the jobs made from it: the client (``client.Client``)."""

    def edit(self, job: Job, prompt: str, **options: Any) -> Job: ...

    def extend(
        self, job: Job, seconds: int | None = None, prompt: str | None = None, **options: Any
    ) -> Job: ...

    def versions(self, job: Job | str) -> Versions: ...

    def version(self, job_id: str) -> Job | None: ...


class Job:
    """One generation: its status, progress, the relay's task id, and the clips once downloaded.

    ``await job`` or ``job.wait()`` returns the finished job, or raises ``VeoGenerationError``.
    """

    def __init__(
        self,
        *,
        protocol: str,
        request: VideoRequest | None = None,
        record: dict[str, Any] | None = None,
        job_id: str | None = None,
        task_id: str | None = None,
        simulated: bool = False,
    ) -> None:
        self.id = job_id or new_job_id()
        self.protocol = protocol
        self.request = request
        # What was asked, as a JSON-safe dict: from the request, or from the journal on resume.
        self.record: dict[str, Any] = (
            record if record is not None else (request.describe() if request else {})
        )
        self.simulated = simulated
        self.task_id: str | None = task_id
        self.status: Status = "queued"
        self.progress: float = 0.0
        self.message: str | None = None
        self.notice: str | None = None  # a retry under way ("relay busy, retrying in 4 s (2/7)")
        self.video_urls: list[str] = []
        self.videos: list[Path] = []  # in clip order, as each is downloaded
        self.posters: list[Path | None] = []  # each clip's poster frame, beside it
        self.error: str | None = None
        self.recovery: Recovery | None = None
        self.may_charge = False  # failed here, but the relay may still bill it
        self._ready_seconds: float | None = None  # submit to the relay's "done", when seen whole
        self.relay_model: str | None = None
        # When the server deletes its copy of the clips (epoch seconds), where it says it will:
        # Google keeps a clip 2 days. None: unknown, or kept by a relay.
        self.remote_expires_at: float | None = None
        self.created_at = time.time()
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self._clips: dict[int, tuple[Path, Path | None]] = {}
        self._listeners: Listeners[Event] = Listeners(f"job {self.id}")
        # The runner's journal writer: sees each event after the state, before the listeners.
        self._recorder: Callable[[Event], None] | None = None
        self._future: concurrent.futures.Future[Any] | None = None
        self._done = threading.Event()
        self._maker: Maker | None = None  # the client, for edit / extend / versions
        self._parent: Job | None = None

    # -- what the user reads -------------------------------------------------------------------

    @property
    def prompt(self) -> str:
        return str(self.record.get("prompt", ""))

    @property
    def model(self) -> str:
        return str(self.record.get("wire_model") or self.record.get("model") or "")

    @property
    def estimated_cost(self) -> float:
        return float(self.record.get("estimated_cost") or 0.0)

    @property
    def elapsed(self) -> float:
        end = self.finished_at or time.time()
        return end - (self.started_at or self.created_at)

    def done(self) -> bool:
        return self.status in TERMINAL

    # -- versions of a clip (issue 19) ---------------------------------------------------------

    @property
    def parent_id(self) -> str | None:
        """The local id of the job this clip was edited or extended from (None: a new clip)."""
        lineage = self.record.get("lineage")
        return (
            str(lineage["parent"]) if isinstance(lineage, dict) and lineage.get("parent") else None
        )

    @property
    def step(self) -> str:
        """How this version was made: ``"new"``, ``"edit"`` or ``"extend"``."""
        lineage = self.record.get("lineage")
        return str(lineage.get("step")) if isinstance(lineage, dict) else "new"

    @property
    def parent(self) -> Job | None:
        """The Job this clip was made from (None for a new clip); after a restart, rebuilt from
        the journal."""
        if self._parent is None and self.parent_id and self._maker is not None:
            self._parent = self._maker.version(self.parent_id)
        return self._parent

    def _made_by(self) -> Maker:
        if self._maker is None:
            raise RuntimeError(
                f"job {self.id} was not made by a Client: use client.edit(job, …) / client.extend(job)"
            )
        return self._maker

    def edit(self, prompt: str, **options: Any) -> Job:
        """A new version of this clip with ``prompt``'s change (Gemini Omni on ``interactions``),
        every setting kept unless ``options`` changes it; starts at once, like ``submit``."""
        return self._made_by().edit(self, prompt, **options)

    def extend(self, seconds: int | None = None, prompt: str | None = None, **options: Any) -> Job:
        """A new version that continues this clip: Omni by ``seconds`` (3–10, default 7), Veo on
        ``vertex`` / ``gemini`` by 7 s; ``prompt`` says what happens next."""
        return self._made_by().extend(self, seconds, prompt, **options)

    def versions(self) -> Versions:
        """Every version of this clip, as a tree read from the journal."""
        return self._made_by().versions(self)

    def next_step(self, resume: Callable[[str], str]) -> str:
        """What a person can do about this failed job; ``resume(ref)`` spells the command in the
        caller's own syntax (``client.resume('…')``, ``veo-magic resume …``, ``%veo resume …``).

        >>> job.next_step(lambda ref: f"client.resume({ref!r})")  # doctest: +SKIP
        "The relay's task task_1 is not lost: resume it with client.resume('3fa2c1d0e9b8')."
        """
        if self.status != "failed":
            return ""
        if self.recovery == "resume":
            return f"The relay's task {self.task_id} is not lost: resume it with {resume(self.id)}."
        if self.recovery == "find_task":
            return (
                f"If the relay's dashboard shows the task, follow it with {resume('TASK_ID')} "
                f"(local job {self.id})."
            )
        return ""

    def __repr__(self) -> str:
        task = f" task={self.task_id!r}" if self.task_id else ""
        sim = " simulated" if self.simulated else ""
        return f"<veo_magic.Job {self.id}{task} {self.status} {self.progress:.0f}%{sim}>"

    # -- listeners -----------------------------------------------------------------------------

    def add_listener(self, listener: JobListener) -> Callable[[], None]:
        """Call ``listener(event)`` for every later event; returns a function that removes it."""
        return self._listeners.add(listener)

    # -- state ---------------------------------------------------------------------------------

    def _apply(self, event: Event) -> None:
        """Fold one event into the state, then tell the listeners."""
        self.notice = event.message if isinstance(event, Retrying) else None
        if isinstance(event, Submitted):
            self.status = "running" if self.status == "queued" else self.status
            self.task_id = event.task_id or self.task_id
            self.relay_model = event.model or self.relay_model
            self.started_at = self.started_at or time.time()
        elif isinstance(event, Progress):
            if self.status == "queued":
                self.status = "running"
            if event.percent is not None:
                self.progress = max(self.progress, min(100.0, float(event.percent)))
            self.message = event.message or self.message
            self.task_id = event.task_id or self.task_id
        elif isinstance(event, Noted):
            notes = [*self.record.get("notes", ()), event.note]
            self.record = {**self.record, "notes": notes}
        elif isinstance(event, VideoReady):
            urls = list(self.video_urls)
            while len(urls) <= event.index:
                urls.append("")
            urls[event.index] = event.url
            self.video_urls = urls
        elif isinstance(event, Downloaded):
            self._clips[event.index] = (event.path, event.poster)
            clips = [self._clips[i] for i in sorted(self._clips)]
            self.videos = [path for path, _ in clips]
            self.posters = [poster for _, poster in clips]
        elif isinstance(event, Failed):
            self.task_id = event.task_id or self.task_id
            self.error = event.message
            self.may_charge = self.may_charge or event.may_charge
        elif isinstance(event, Completed):
            self.status = event.status
            if event.status == "succeeded":
                self.progress = 100.0
            self.error = event.error if event.status != "succeeded" else None
            self.finished_at = time.time()
        if self._recorder is not None:
            self._recorder(event)
        self._listeners(event)
        if isinstance(event, Completed):
            self._done.set()  # after the listeners, so a waiter sees their final output first

    # -- waiting -------------------------------------------------------------------------------

    def _outcome(self) -> Job:
        if self.status == "failed":
            step = self.next_step(lambda ref: f"client.resume({ref!r})")
            message = self.error or "the generation failed"
            raise VeoGenerationError(f"{message} {step}".strip(), task_id=self.task_id)
        if self.status == "cancelled":
            raise VeoCancelledError(f"job {self.id} was cancelled")
        return self

    def wait(self, timeout: float | None = None) -> Job:
        """Block until the job ends; return it, or raise ``VeoGenerationError``.

        An interrupt (Ctrl-C, the kernel's stop button) stops the waiting, not the job: it keeps
        running in the background and ``job.cancel()`` stops it.
        """
        if in_background_thread():
            raise RuntimeError("Job.wait() cannot be called from a job listener; use a thread")
        if not self._done.wait(timeout):
            raise TimeoutError(
                f"job {self.id} still {self.status} after {timeout} s; it keeps running"
            )
        return self._outcome()

    def __await__(self) -> Generator[Any, None, Job]:
        return self._wait_async().__await__()

    async def _wait_async(self) -> Job:
        def subscribe(wake: Callable[[], None]) -> Callable[[], None]:
            return self.add_listener(lambda event: wake() if isinstance(event, Completed) else None)

        await wait_until(self._done, subscribe)
        return self._outcome()

    def cancel(self) -> bool:
        """Stop following the job locally (the relay may still finish and charge it)."""
        if self.done() or self._future is None:
            return False
        return self._future.cancel()
