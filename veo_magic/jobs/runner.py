"""Runs jobs on the background loop, each from its request to its clips on disk.

The runner is the one owner of a running job::

    Runner.start      journal row, the registry, then the job waits for a slot
    adapter events    the Job's state (its listeners see each one)
    VideoReady        that clip's download starts at once (a chat stream goes on meanwhile)
    each download     poster frame, sidecar, then ``Downloaded``
    the end           journal row, then ``Completed``

So ``Completed`` means every clip and its poster frame is on disk, and the journal is written
here and nowhere else. Scheduling is one semaphore per client (``max_concurrency``), and a
``Lane`` caps a group of jobs within it (a gallery's ``--concurrency``).

Failure messages say what happened; how to act on it (resume, in which syntax) is each front
end's to add, from ``job.recovery`` and ``Job.next_step``. A failure that is a model's retirement
(Google's 404 "... is no longer available", however a relay wraps it) is worded by
``catalog.retired_message`` and never offers a resume; so is a create refused because the relay
sells no such model now (``relays.stopped_selling``: new-api's "no available channel").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._events import (
    Completed,
    Downloaded,
    Event,
    Failed,
    Noted,
    Progress,
    Retrying,
    Submitted,
    VideoReady,
)
from .._exceptions import (
    VeoAPIError,
    VeoDownloadError,
    VeoError,
    VeoGenerationError,
    VeoTaskUncertainError,
)
from .._files import write_whole
from .._loop import spawn
from .._secret import redact

if TYPE_CHECKING:
    from ..relays import Connection, Relay
    from ..relays.protocols import Adapter
    from ..requests import VideoRequest
    from .job import Job
    from .journal import Journal

__all__ = [
    "Lane",
    "Runner",
    "RunnerSetup",
    "find_job",
    "output_name",
    "running_jobs",
    "started_jobs",
]

log = logging.getLogger("veo_magic")

# A relay answering these about a task says it does not know it: resuming will not help.
TASK_GONE_STATUSES = frozenset({400, 404, 410})
PROGRESS_WRITE_SECONDS = 2.0  # the journal hears of progress at most this often
POSTER_WORKERS = 2  # ffmpeg processes making poster frames at once, for every job

# -- the registry: every job started in this process ---------------------------------------------

_registry_lock = threading.Lock()
_running: dict[str, Job] = {}  # strong: a running job is never collected
_known: weakref.WeakValueDictionary[str, Job] = weakref.WeakValueDictionary()


def running_jobs() -> list[Job]:
    """The jobs of this process that have not ended, oldest first."""
    with _registry_lock:
        return sorted(_running.values(), key=lambda job: job.created_at)


def started_jobs() -> list[Job]:
    """Every job of this process that is running or still referenced, oldest first."""
    with _registry_lock:
        return sorted(_known.values(), key=lambda job: job.created_at)


def find_job(key: str) -> Job | None:
    """A job of this process by local id or relay task id (the newest, if several)."""
    with _registry_lock:
        jobs = [job for job in _known.values() if key in (job.id, job.task_id)]
    return max(jobs, key=lambda job: job.created_at, default=None)


def _register(job: Job) -> None:
    with _registry_lock:
        _running[job.id] = job
        _known[job.id] = job


def _unregister(job: Job) -> None:
    with _registry_lock:
        _running.pop(job.id, None)


# -- names and sidecars --------------------------------------------------------------------------


def output_name(job: Job, index: int) -> str:
    """A file name from local facts only (time, prompt, job id): never from server data."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(job.created_at))
    slug = "-".join(re.findall(r"[a-z0-9]+", job.prompt.lower()))[:40].strip("-") or "clip"
    suffix = f"-{index + 1}" if index else ""
    return f"{stamp}_{slug}_{job.id[:6]}{suffix}.mp4"


def _write_sidecar(job: Job, ready: VideoReady, dest: Path, size: int) -> None:
    record = {
        "prompt": job.prompt,
        "model": job.model,
        "relay_model": job.relay_model,
        "protocol": job.protocol,
        "simulated": job.simulated,
        "job_id": job.id,
        "task_id": job.task_id,
        "index": ready.index,
        "source_url": ready.url,
        "file": dest.name,
        "bytes": size,
        "request": job.record,
        **_expiry(job),
        "timings": {
            "created_at": job.created_at,
            "started_at": job.started_at,
            "downloaded_at": time.time(),
        },
    }
    sidecar = dest.with_suffix(".json")
    write_whole(sidecar, json.dumps(record, ensure_ascii=False, indent=2, default=str))


def _expiry(job: Job) -> dict[str, Any]:
    """When the server's copy of the clip goes, for the sidecar (nothing if it never said)."""
    if job.remote_expires_at is None:
        return {}
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(job.remote_expires_at))
    return {"remote_expires_at": when}


# -- scheduling ----------------------------------------------------------------------------------


class Lane:
    """A cap on how many of a group's jobs run at once, inside the client's own limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._semaphore: asyncio.Semaphore | None = None  # made on the loop, on first use

    def semaphore(self) -> asyncio.Semaphore:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.limit)
        return self._semaphore


@dataclass(frozen=True)
class RunnerSetup:
    """Where a runner's jobs go and how to reach their relay: data, never its client."""

    journal: Journal
    output_dir: Path
    connection: Connection  # the relay: its journal key, and the HTTP seam opened on the loop
    poll_interval: tuple[float, float]  # the pacing's bounds; a learned job length aims it
    max_video_bytes: int


class Runner:
    """Runs one client's jobs: scheduling, the pipeline, the journal."""

    def __init__(self, where: RunnerSetup, *, max_concurrency: int) -> None:
        self.where = where
        self.max_concurrency = max_concurrency
        self._relay: Relay | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self._posters: asyncio.Semaphore | None = None
        self._running: set[str] = set()  # ids of this runner's jobs that have not ended
        self._closing = False

    @property
    def relay(self) -> Relay | None:
        """The HTTP seam, once the first job has made it."""
        return self._relay

    def record(self, job: Job) -> None:
        """Write ``job``'s first journal row (before anything is sent)."""
        self.where.journal.add(_row(job, self.where.connection.journal_key))

    def start(
        self,
        job: Job,
        *,
        request: VideoRequest | None = None,
        task_id: str | None = None,
        lane: Lane | None = None,
    ) -> Job:
        """Run ``job`` (recorded already) on the background loop; returns at once."""
        _register(job)
        self._running.add(job.id)
        job._recorder = _Recorder(self.where.journal, job)
        job._future = spawn(self._run(job, request, task_id, lane))
        return job

    def end_unstarted(self, job: Job, status: str, reason: str) -> None:
        """End a recorded job that never started, with ``reason`` (on the background loop)."""
        job._recorder = _Recorder(self.where.journal, job)
        job._apply(Completed(status, error=reason))  # type: ignore[arg-type]

    def close(self) -> None:
        """Close the HTTP clients, once the jobs still running have ended."""
        self._closing = True
        if not self._running and self._relay is not None:
            relay, self._relay = self._relay, None
            spawn(_close_clients(relay))

    # -- on the loop -----------------------------------------------------------------------------

    def _on_loop(self) -> Relay:
        if self._relay is None:
            self._relay = self.where.connection.open()
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
            self._posters = asyncio.Semaphore(POSTER_WORKERS)
        return self._relay

    async def _run(
        self, job: Job, request: VideoRequest | None, task_id: str | None, lane: Lane | None
    ) -> None:
        """The job's life; every outcome ends in one ``Completed``."""
        from ..relays import retry_notices

        secret = self.where.connection.secret

        def notice(retry: object) -> None:  # a retry shows in the job's status, not in a log
            if retry is not None or job.notice is not None:
                job._apply(Retrying(str(retry) if retry is not None else None))

        try:
            relay = self._on_loop()
            assert self._semaphore is not None
            async with (
                lane.semaphore() if lane is not None else contextlib.nullcontext(),
                self._semaphore,
            ):
                with retry_notices(notice, relay.retry_attempts - 1):
                    await self._follow(relay, job, request, task_id)
        except asyncio.CancelledError:
            job._apply(Completed("cancelled", error="cancelled by the user"))
            raise
        except VeoTaskUncertainError as exc:
            job.may_charge = True
            job.recovery = "resume" if exc.task_id else "find_task"
            job._apply(Completed("failed", error=_ending(job, redact(str(exc), secret))))
        except VeoGenerationError as exc:  # the relay's own verdict: nothing left to follow
            job._apply(Completed("failed", error=_ending(job, redact(exc.message, secret))))
        except Exception as exc:
            if isinstance(exc, VeoError):
                message = str(exc)
            else:  # a background task's error is otherwise silent
                log.exception("job %s crashed", job.id)
                message = f"internal error: {type(exc).__name__}: {exc}"
            if job.started_at is not None:  # the relay took the job: it may run and bill on
                job.may_charge = True
            gone = isinstance(exc, VeoAPIError) and exc.status_code in TASK_GONE_STATUSES
            if job.task_id and not gone:
                job.recovery = "resume"
            said = exc.detail if isinstance(exc, VeoAPIError) else None  # the server's own words
            if (sold := await _not_sold(self._relay, job, exc)) is not None:
                message, said = sold, None
            ending = _ending(job, redact(message, secret), redact(said, secret) if said else None)
            job._apply(Completed("failed", error=ending))
        finally:
            _unregister(job)
            self._running.discard(job.id)
            if self._closing:
                self.close()

    async def _follow(
        self, relay: Relay, job: Job, request: VideoRequest | None, task_id: str | None
    ) -> None:
        from ..relays.protocols import adapter_for

        fresh_job = task_id is None
        from ..relays.protocols import Pacing

        typical = self.where.journal.typical_seconds(self.where.connection.journal_key)
        pacing = Pacing(*self.where.poll_interval, expected_seconds=typical)
        adapter = adapter_for(job.protocol)(relay, pacing=pacing)
        downloads = _Downloads()
        failure: Failed | None = None
        submitted = time.monotonic()
        try:
            async for event in adapter.run(request, task_id=task_id):
                job._apply(event)
                if isinstance(event, Submitted):
                    submitted = time.monotonic()
                elif isinstance(event, VideoReady):
                    if fresh_job and not downloads:
                        job._ready_seconds = _finished_at(adapter) - submitted
                    retention = getattr(adapter, "retention_seconds", None)
                    if retention is not None:  # counted from the send: the earliest it can go
                        job.remote_expires_at = job.created_at + retention
                    downloads.start(event.index, self._fetch(relay, adapter, job, event))
                elif isinstance(event, Failed):
                    failure = event
                    break
        except BaseException:
            await downloads.cancel()
            raise
        if failure is not None:
            await downloads.settle()  # a clip already under way is still kept
            job._apply(Completed("failed", error=_ending(job, failure.message)))
            return
        if not downloads:
            job._apply(Completed("failed", error="the relay reported success but gave no video"))
            return
        await downloads.all()
        job._apply(Completed("succeeded"))

    async def _fetch(self, relay: Relay, adapter: Adapter, job: Job, ready: VideoReady) -> None:
        """Download one clip, make its poster frame, write its sidecar; then ``Downloaded``."""
        from ..relays import UrlExpiredError

        dest = self.where.output_dir / output_name(job, ready.index)
        try:
            size = await self._download(relay, job, ready, dest)
        except UrlExpiredError as exc:
            if not job.task_id:
                raise VeoDownloadError(
                    f"{exc}. The relay gave no task id, so no fresh link can be asked for: "
                    "download the clip from the relay's dashboard."
                ) from None
            fresh = await _fresh_url(adapter, job.task_id, ready.index)
            if fresh is None:
                raise
            log.info("job %s: the video link expired; the relay gave a fresh one", job.id)
            ready = fresh
            size = await self._download(relay, job, ready, dest)
        poster = await self._poster(dest)
        _write_sidecar(job, ready, dest, size)
        job._apply(Downloaded(ready.index, dest, ready.url, size, poster))

    async def _download(self, relay: Relay, job: Job, ready: VideoReady, dest: Path) -> int:
        from ..relays import adopt, download
        from ..relays.protocols import video_urls

        if ready.path is not None:  # the clip came inline and is on disk already
            what = f"The answer for task {job.task_id}" if job.task_id else "The answer"
            try:
                return await asyncio.to_thread(adopt, ready.path, dest, what=what)
            except VeoDownloadError as exc:  # the server's bytes: asking again will not mend them
                raise VeoGenerationError(str(exc), task_id=job.task_id) from None

        def find_video_url(body: Any) -> str | None:
            return next(iter(video_urls(body)), None) if isinstance(body, dict) else None

        try:
            return await download(
                relay,
                ready.url,
                dest,
                authenticated=ready.authenticated,
                find_url=find_video_url,
                max_bytes=self.where.max_video_bytes,
            )
        except VeoAPIError as exc:
            if ready.authenticated and (exc.status_code or 0) >= 500:
                # The relay itself said done, then could not produce the clip (new-api's 502,
                # LiteLLM's 500): asking again will not change it.
                from ..relays.protocols import withheld_reason

                said = f"HTTP {exc.status_code} from {ready.url}: {exc.detail}"
                raise VeoGenerationError(withheld_reason(said), task_id=job.task_id) from None
            if exc.status_code != 404:
                raise
            # Still 404 after the retries: the relay called the task done but has no clip.
            raise VeoGenerationError(
                f"The relay reported the video ready, but {ready.url} has none "
                f"(HTTP 404: {exc.detail}); a safety filter may have withheld it.",
                task_id=job.task_id,
            ) from None

    async def _poster(self, video: Path) -> Path | None:
        """The clip's poster frame, made by ffmpeg in a worker thread (never on the loop)."""
        from ..media import poster_for

        assert self._posters is not None
        async with self._posters:
            try:
                return await asyncio.to_thread(poster_for, video)
            except OSError:
                return None


def _ending(job: Job, message: str, said: str | None = None) -> str:
    """The failure message a job ends with: a retired model's says so (quoting ``said``, the
    server's own words, when known), and nothing is resumed."""
    from ..catalog import retired_message

    retired = retired_message(said or message, job.relay_model or job.model)
    if retired is None:
        return message
    job.recovery = None
    return retired


async def _not_sold(relay: Relay | None, job: Job, exc: Exception) -> str | None:
    """A create the relay refused because it sells no such model now (new-api's "no channel"):
    the message naming what it lists today; nothing was made, so nothing is resumed."""
    from ..relays import stopped_selling

    if relay is None or job.task_id is not None:
        return None
    message = await stopped_selling(relay, exc, job.relay_model or job.model)
    if message is not None:
        job.recovery = None
    return message


def _finished_at(adapter: Adapter) -> float:
    """When the relay finished the task (monotonic): the middle of the window in which polling
    saw it end, else now (a stream says so the moment it happens)."""
    window = getattr(adapter, "finished_between", None)
    return sum(window) / 2 if window else time.monotonic()


async def _fresh_url(adapter: Adapter, task_id: str, index: int) -> VideoReady | None:
    """Ask the relay again for a finished task's result: links expire, the task does not."""
    async for event in adapter.run(None, task_id=task_id):
        if isinstance(event, VideoReady) and event.index == index:
            return event
    return None


class _Downloads:
    """The clip downloads of one job, each a task started as its link arrives."""

    def __init__(self) -> None:
        self._tasks: dict[int, asyncio.Task[None]] = {}

    def __bool__(self) -> bool:
        return bool(self._tasks)

    def start(self, index: int, download: Any) -> None:
        if index in self._tasks:  # the same clip announced twice: the first fetch stands
            download.close()
            return
        self._tasks[index] = asyncio.ensure_future(download)

    async def all(self) -> None:
        """Wait for every download; the first failure cancels the rest and is raised."""
        try:
            await asyncio.gather(*self._tasks.values())
        except BaseException:
            await self.cancel()
            raise

    async def settle(self) -> None:
        """Wait for every download, whatever becomes of each."""
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def cancel(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await self.settle()


class _Recorder:
    """The job's journal writer: status, task id, files, and what may still be charged."""

    def __init__(self, journal: Journal, job: Job) -> None:
        self.journal, self.job = journal, job
        self._last_progress_write = 0.0
        self._task_id = job.task_id

    def __call__(self, event: Event) -> None:
        job = self.job
        # A new task id is written at once: it is what a restarted process resumes from.
        new_task = job.task_id is not None and job.task_id != self._task_id
        self._task_id = job.task_id
        if isinstance(event, Completed):
            self.journal.update(
                job.id,
                **_state(job),
                may_charge=job.may_charge,
                ready_seconds=job._ready_seconds,
            )
        elif isinstance(event, Noted):
            self.journal.update(job.id, request=job.record)
        elif new_task or isinstance(event, Submitted | Downloaded | VideoReady | Failed):
            self.journal.update(job.id, **_state(job))
        elif isinstance(event, Progress):
            now = time.monotonic()
            if now - self._last_progress_write > PROGRESS_WRITE_SECONDS:
                self._last_progress_write = now
                self.journal.update(
                    job.id, status=job.status, progress=job.progress, task_id=job.task_id
                )


def _state(job: Job) -> dict[str, Any]:
    return {
        "status": job.status,
        "task_id": job.task_id,
        "progress": job.progress,
        "error": job.error,
        "video_urls": job.video_urls,
        "files": [str(p) for p in job.videos],
    }


def _row(job: Job, base: str) -> dict[str, Any]:
    return {
        "id": job.id,
        "protocol": job.protocol,
        "base_url": base,
        "simulated": job.simulated,
        "prompt": job.prompt,
        "model": job.model,
        "request": job.record,
        "task_id": job.task_id,
        "status": job.status,
        "cost": job.estimated_cost,
        "created_at": job.created_at,
    }


async def _close_clients(relay: Relay) -> None:
    await relay.http.aclose()
    await relay.public.aclose()
