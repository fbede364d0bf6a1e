"""Client: configuration, the HTTP clients, and the coroutine that runs each job.

    >>> import veo_magic as veo
    >>> job = veo.Client().submit("a red fox in snow", orientation="landscape")   # doctest: +SKIP
    >>> job.wait().videos                                                         # doctest: +SKIP
    [PosixPath('veo_outputs/20261121-101500_a-red-fox-in-snow_3fa2c1.mp4')]

With no base URL and no key anywhere, the client starts the built-in simulator on a loopback
port and every job says "simulated": the embedded default that lets anyone try it offline.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
from pathlib import Path
from typing import Any

import httpx

from ._events import Completed, Downloaded, Failed, Submitted, VideoReady
from ._exceptions import (
    VeoAPIError,
    VeoBudgetError,
    VeoDownloadError,
    VeoError,
    VeoGenerationError,
    VeoInputError,
    VeoTaskUncertainError,
)
from ._http import HINTS, STREAM_LOST, Relay
from ._job import Job
from ._journal import Journal
from ._request import VideoRequest
from ._runner import spawn
from ._secret import Secret, redact

__all__ = ["PROTOCOL_NAMES", "Client"]

log = logging.getLogger("veo_magic")

PROTOCOL_NAMES = ("chat", "videos", "create", "gemini")
DEFAULT_OUTPUT_DIR = "veo_outputs"
# Google's own API: its base when none is given, and the key variables its SDK reads.
GEMINI_BASE_URL = "https://generativelanguage.googleapis.com"
GEMINI_KEY_VARIABLES = ("VEO_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")
DEFAULT_MODEL = "veo-3.1"
# A relay answering these about a task says it does not know it: resuming will not help.
TASK_GONE_STATUSES = frozenset({400, 404, 410})
_UNSET: Any = object()


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


# Something that looks like a key, pasted where a URL belongs: masked in every message.
_KEYLIKE = re.compile(r"(?i)\b(sk|key|token)([-_:=])[^\s/@?&#'\"]{4,}")


def normalise_base_url(value: str, secret: Secret | None = None) -> str:
    """``https://relay.example/v1/`` -> ``https://relay.example``; refuse anything not http(s).

    Error messages never echo a key: credentials and queries are cut from the URL shown, and
    anything key-shaped (or the configured key) is masked.
    """
    url = str(value).strip().rstrip("/")
    shown = redact(_KEYLIKE.sub(r"\1\2***", url), secret)
    allowed = "http(s)://host[:port][/v1]"
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise VeoInputError(
            f"base_url {shown!r} is not a URL; allowed: {allowed}, e.g. https://api.example.com/v1",
            field="base_url",
            value=shown,
            allowed=allowed,
        ) from None  # httpx's own message repeats the URL
    if parsed.userinfo or parsed.query or parsed.fragment:
        bare = f"{parsed.scheme}://{parsed.host}{f':{parsed.port}' if parsed.port else ''}{parsed.path}"
        raise VeoInputError(
            f"base_url {redact(bare, secret)!r} (as given) carries credentials, a query or a "
            f"fragment; allowed: {allowed}. Put the key in VEO_API_KEY: it is sent in a header, "
            "never in the URL",
            field="base_url",
            value="<redacted>",
            allowed=allowed,
        )
    if parsed.scheme not in ("http", "https") or not parsed.host or re.search(r"\s", url):
        raise VeoInputError(
            f"base_url {shown!r} must start with http:// or https:// and name a host (no spaces); "
            f"allowed: {allowed}, e.g. https://api.example.com/v1",
            field="base_url",
            value=shown,
            allowed=allowed,
        )
    return re.sub(r"/v1(beta)?$", "", url)


def _check_key(secret: Secret) -> Secret:
    """The key as relays take it: printable ASCII, no spaces, no ``Bearer `` (we add that)."""
    value = secret.reveal()
    if value.lower().startswith("bearer "):
        value = value[7:].strip()
    if not value.isascii() or not value.isprintable() or any(c.isspace() for c in value):
        raise VeoInputError(
            "api_key has characters a relay cannot take in a header (spaces, line breaks or "
            "non-ASCII); allowed: the key exactly as the relay's dashboard shows it, e.g. sk-...",
            field="api_key",
            value="***",
            allowed="printable ASCII without spaces, e.g. sk-...",
        )
    return Secret(value)


def _check_budget_value(value: object, source: str) -> float | None:
    if value is None:
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = float("nan")
    if not number >= 0 or number == float("inf"):
        raise VeoInputError(
            f"{source}={value!r} is not a budget; allowed: a number of US dollars, 0 or more "
            "(e.g. 5 or 2.50)",
            field="budget_usd",
            value=value,
            allowed="a number of dollars >= 0",
        )
    return number


def output_name(job: Job, index: int) -> str:
    """A file name from local facts only (time, prompt, job id): never from server data."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(job.created_at))
    slug = "-".join(re.findall(r"[a-z0-9]+", job.prompt.lower()))[:40].strip("-") or "clip"
    suffix = f"-{index + 1}" if index else ""
    return f"{stamp}_{slug}_{job.id[:6]}{suffix}.mp4"


class Client:
    """Talks to one relay (or the built-in simulator) and runs jobs on the background loop.

    Every argument defaults to its environment variable: ``VEO_BASE_URL``, ``VEO_API_KEY``,
    ``VEO_PROTOCOL`` (chat), ``VEO_OUTPUT_DIR`` (veo_outputs), ``VEO_MODEL`` (veo-3.1),
    ``VEO_BUDGET_USD`` (none).
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | Secret | None = None,
        protocol: str | None = None,
        output_dir: str | os.PathLike[str] | None = None,
        *,
        model: str | None = None,
        budget_usd: float | None = None,
        max_concurrency: int = 8,
        poll_interval: tuple[float, float] | None = None,
        idle_timeout: float = 120.0,
        timeout: float = 60.0,
        max_video_bytes: int | None = None,
    ) -> None:
        self.protocol = self._check_protocol(protocol or _env("VEO_PROTOCOL") or "chat")
        # Google's own API: the key variables its SDK reads, and its address when none is given.
        key_names = GEMINI_KEY_VARIABLES if self.protocol == "gemini" else ("VEO_API_KEY",)
        env_key = next((value for name in key_names if (value := _env(name))), "")
        key = api_key if isinstance(api_key, Secret) else Secret(api_key or env_key)
        url = base_url or _env("VEO_BASE_URL")
        self._secret: Secret | None = _check_key(key) if key else None
        self.simulated = url is None and self._secret is None
        if url is None and self._secret is not None and self.protocol == "gemini":
            url = GEMINI_BASE_URL
        self.model = model or _env("VEO_MODEL") or DEFAULT_MODEL
        self.output_dir = Path(output_dir or _env("VEO_OUTPUT_DIR") or DEFAULT_OUTPUT_DIR)
        self.budget_usd = (
            _check_budget_value(budget_usd, "budget_usd")
            if budget_usd is not None
            else _budget_from_env()
        )
        self.max_concurrency = max_concurrency
        self.idle_timeout = idle_timeout
        self.timeout = timeout
        self.max_video_bytes = max_video_bytes or int(_env("VEO_MAX_VIDEO_BYTES") or 2 * 1024**3)
        if self.simulated:
            self._base_url: str | None = None  # known once the simulator is up
            self.poll_interval = poll_interval or (0.2, 2.0)
        else:
            if url is None:
                raise VeoInputError(
                    "an API key is set but no base URL: set VEO_BASE_URL (or base_url=) to your "
                    "relay, e.g. https://api.example.com/v1",
                    field="base_url",
                    value=None,
                    allowed="http(s)://host[:port][/v1]",
                )
            self._base_url = normalise_base_url(url, self._secret)
            if self._secret is None:
                raise VeoInputError(
                    f"base URL {self._base_url} is set but no key: set VEO_API_KEY, pass api_key=, "
                    "or run `%veo login` (the simulator accepts any key, e.g. sk-test)",
                    field="api_key",
                    value=None,
                    allowed="the relay's key, e.g. sk-...",
                )
            self.poll_interval = poll_interval or (0.5, 10.0)  # see benchmarks: ~0.2 s lag
        self.journal = Journal(self.output_dir)
        self._relay: Relay | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self._jobs: dict[str, Job] = {}  # strong references: a running job is never collected

    # -- configuration -------------------------------------------------------------------------

    @staticmethod
    def _check_protocol(name: str) -> str:
        from .protocols import PROTOCOLS

        name = name.strip().lower()
        if name not in PROTOCOLS:
            raise VeoInputError(
                f"unknown protocol {name!r}; allowed: {', '.join(PROTOCOLS)}",
                field="protocol",
                value=name,
                allowed=tuple(PROTOCOLS),
            )
        return name

    def _switchable_protocols(self) -> tuple[str, ...]:
        from .protocols import PROTOCOLS

        return tuple(p for p in PROTOCOLS if (p == "gemini") == (self.protocol == "gemini"))

    @property
    def base_url(self) -> str:
        """The relay root (no ``/v1``); for the embedded simulator, started on first use."""
        if self._base_url is None:
            self._base_url = self._start_simulator()
        return self._base_url

    def _start_simulator(self) -> str:
        try:
            from .simulator import shared_simulator
        except ImportError as exc:
            raise VeoError(
                "no relay is configured (VEO_BASE_URL / VEO_API_KEY) and the built-in simulator "
                "is not installed: pip install 'veo_magic[simulator]', or configure a relay"
            ) from exc
        return shared_simulator().base_url

    def __repr__(self) -> str:
        where = "simulator" if self.simulated else self._base_url
        return f"<veo_magic.Client {self.protocol} {where} key={'***' if self._secret else None}>"

    # -- the HTTP seam, built on the background loop -------------------------------------------

    def _make_relay(self) -> Relay:
        key = (self._secret or Secret("sk-simulated")).reveal()
        # Google takes its key in x-goog-api-key (a Bearer header there means an OAuth token);
        # relays take Authorization, with or without "Bearer ", and we send it with.
        headers = (
            {"x-goog-api-key": key}
            if self.protocol == "gemini"
            else {"Authorization": f"Bearer {key}"}
        )
        timeout = httpx.Timeout(self.timeout, connect=15.0)
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
        http = httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=timeout, limits=limits
        )
        public = httpx.AsyncClient(timeout=timeout, limits=limits)
        return Relay(
            http,
            public,
            secret=self._secret,
            idle_timeout=self.idle_timeout,
            poll_interval=self.poll_interval,
        )

    def _relay_on_loop(self) -> Relay:
        if self._relay is None:
            self._relay = self._make_relay()
            self._relay.expected_seconds = self.journal.typical_seconds(self._journal_base())
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
        return self._relay

    # -- jobs ----------------------------------------------------------------------------------

    def request(self, prompt: str, **options: Any) -> VideoRequest:
        """Validate ``options`` for this client's protocol; raise ``VeoInputError`` if bad."""
        protocol = self._check_protocol(str(options.pop("protocol", None) or self.protocol))
        if (protocol == "gemini") != (self.protocol == "gemini"):
            raise VeoInputError(
                f"protocol={protocol!r} needs a client of its own: Google's API and the relays "
                f"differ in address and key header (this client speaks {self.protocol!r}); "
                f"make one with veo_magic.Client(protocol={protocol!r})",
                field="protocol",
                value=protocol,
                allowed=self._switchable_protocols(),
            )
        model = options.pop("model", None) or self.model
        return VideoRequest.build(prompt, protocol=protocol, model=model, **options)

    def submit(self, prompt: str, **options: Any) -> Job:
        """Validate, check the budget, record, and start a job; returns at once."""
        request = self.request(prompt, **options)
        self.check_budget(request.estimated_cost)
        job = Job(protocol=request.protocol, request=request, simulated=self.simulated)
        self.journal.add(self._row(job))
        return self._start(job, request=request, task_id=None)

    def generate(self, prompt: str, **options: Any) -> Job:
        """``submit`` then ``wait``: returns the finished job or raises."""
        return self.submit(prompt, **options).wait()

    def resume(self, task_id_or_job_id: str | Job) -> Job:
        """Re-attach to a task the relay already has, by local job id or relay task id."""
        key = (
            task_id_or_job_id.id
            if isinstance(task_id_or_job_id, Job)
            else str(task_id_or_job_id).strip()
        )
        if key in self._jobs and not self._jobs[key].done():
            return self._jobs[key]
        row = self.journal.get(key)
        if row is None:
            job = Job(
                protocol=self.protocol,
                task_id=key,
                simulated=self.simulated,
                record={"prompt": "", "model": self.model, "resumed": True},
            )
            self.journal.add(self._row(job))
        else:
            if not row.get("task_id"):
                raise VeoInputError(
                    f"job {key} has no relay task id (the relay never confirmed it), so it cannot be "
                    "resumed; submit it again if it did not run",
                    field="task_id",
                    value=key,
                    allowed="a job that reached the relay",
                )
            job = Job(
                protocol=row["protocol"],
                record=row["request"],
                job_id=row["id"],
                task_id=row["task_id"],
                simulated=bool(row["simulated"]),
            )
            job.created_at = row["created_at"]
        return self._start(job, request=None, task_id=job.task_id)

    def jobs(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest jobs from the journal, as dicts."""
        return self.journal.list(limit)

    def spend(self) -> float:
        """Estimated USD committed so far in this output dir (simulated jobs counted apart)."""
        return self.journal.spend(simulated=self.simulated)

    def check_budget(self, estimate: float, *, what: str = "this request") -> None:
        """Raise ``VeoBudgetError`` if ``estimate`` USD more would pass the budget."""
        if self.budget_usd is None:
            return
        spent = self.spend()
        if spent + estimate > self.budget_usd + 1e-9:
            raise VeoBudgetError(
                f"budget ${self.budget_usd:.2f} would be passed: ${spent:.2f} spent so far + "
                f"${estimate:.2f} for {what}. Raise it with VEO_BUDGET_USD or `%veo budget N`.",
                field="budget_usd",
                value=estimate,
                allowed=max(0.0, self.budget_usd - spent),
            )

    def _journal_base(self) -> str:
        return "simulator" if self.simulated else self.base_url

    def _row(self, job: Job) -> dict[str, Any]:
        return {
            "id": job.id,
            "protocol": job.protocol,
            "base_url": self._journal_base(),
            "simulated": self.simulated,
            "prompt": job.prompt,
            "model": job.model,
            "request": job.record,
            "task_id": job.task_id,
            "status": job.status,
            "cost": job.estimated_cost,
            "created_at": job.created_at,
        }

    def _start(self, job: Job, *, request: VideoRequest | None, task_id: str | None) -> Job:
        self._jobs[job.id] = job
        job.add_listener(_JournalWriter(self.journal, job))
        job._future = spawn(self._run(job, request, task_id))
        return job

    async def _run(self, job: Job, request: VideoRequest | None, task_id: str | None) -> None:
        """The job's life on the background loop; every outcome ends in one ``Completed``."""
        try:
            relay = self._relay_on_loop()
            assert self._semaphore is not None
            async with self._semaphore:
                await self._follow(relay, job, request, task_id)
        except asyncio.CancelledError:
            job._apply(Completed("cancelled", error="cancelled by the user"))
            raise
        except VeoTaskUncertainError as exc:
            self.journal.update(job.id, may_charge=True)
            message = f"{exc} (local job {job.id}; `veo-magic jobs` lists it)"
            job._apply(Completed("failed", error=redact(message, self._secret)))
        except VeoGenerationError as exc:  # the relay's own verdict: nothing left to follow
            job._apply(Completed("failed", error=redact(exc.message, self._secret)))
        except Exception as exc:
            if isinstance(exc, VeoError):
                message = str(exc)
            else:  # a background task's error is otherwise silent
                log.exception("job %s crashed", job.id)
                message = f"internal error: {type(exc).__name__}: {exc}"
            if job.started_at is not None:  # the relay took the job: it may run and bill on
                self.journal.update(job.id, may_charge=True)
            gone = isinstance(exc, VeoAPIError) and exc.status_code in TASK_GONE_STATUSES
            if job.task_id and not gone:
                message = message.rstrip().rstrip(".") + (
                    f". The relay's task {job.task_id} is not lost: resume it with "
                    f"client.resume({job.id!r}) or `veo-magic resume {job.id}`."
                )
            job._apply(Completed("failed", error=redact(message, self._secret)))
        finally:
            if job.done():  # finished jobs live on in the user's hands and the journal
                self._jobs.pop(job.id, None)

    async def _follow(
        self, relay: Relay, job: Job, request: VideoRequest | None, task_id: str | None
    ) -> None:
        from .protocols import adapter_for

        adapter = adapter_for(job.protocol)(relay)
        ready: dict[int, VideoReady] = {}
        failure: Failed | None = None
        async for event in adapter.run(request, task_id=task_id):
            if isinstance(event, Submitted) and event.task_id is None and job.task_id:
                event = Submitted(job.task_id, event.model)
            job._apply(event)
            if isinstance(event, VideoReady):
                ready[event.index] = event
            elif isinstance(event, Failed):
                failure = event
                break
        if failure is not None:
            if failure.code == STREAM_LOST:  # no task id to follow, yet the relay works on
                self.journal.update(job.id, may_charge=True)
            job._apply(Completed("failed", error=failure.message))
            return
        if not ready:
            job._apply(Completed("failed", error="the relay reported success but gave no video"))
            return
        if job.started_at and task_id is None:  # a whole job, submit to done: teach the poller
            relay.learn_duration(time.time() - job.started_at)
        for index in sorted(ready):
            await self._download(relay, adapter, job, ready[index])
        job._apply(Completed("succeeded"))

    async def _download(self, relay: Relay, adapter: Any, job: Job, ready: VideoReady) -> None:
        from ._download import UrlExpiredError, download
        from .protocols.status import video_urls

        def find_video_url(body: Any) -> str | None:
            return next(iter(video_urls(body)), None) if isinstance(body, dict) else None

        async def fetch(ready: VideoReady) -> int:
            try:
                return await download(
                    relay,
                    ready.url,
                    dest,
                    authenticated=ready.authenticated,
                    find_url=find_video_url,
                    max_bytes=self.max_video_bytes,
                )
            except VeoAPIError as exc:
                if exc.status_code != 404:
                    raise
                # Still 404 after the retries: the relay called the task done but has no clip.
                said = exc.message.removesuffix(f" ({HINTS[404]})")  # the base URL is fine
                raise VeoGenerationError(
                    f"The relay reported the video ready, but {ready.url} has none "
                    f"({said}); a safety filter may have withheld it.",
                    task_id=job.task_id,
                ) from None

        dest = self.output_dir / output_name(job, ready.index)
        try:
            size = await fetch(ready)
        except UrlExpiredError as exc:
            if not job.task_id:
                raise VeoDownloadError(
                    f"{exc}. The relay gave no task id, so no fresh link can be asked for: "
                    "download the clip from the relay's dashboard."
                ) from None
            fresh = await self._fresh_url(adapter, job, ready.index)
            if fresh is None:
                raise
            log.info("job %s: the video link expired; the relay gave a fresh one", job.id)
            ready = fresh
            size = await fetch(ready)
        job._apply(Downloaded(ready.index, dest, ready.url, size))
        self._write_sidecar(job, ready, dest, size)

    async def _fresh_url(self, adapter: Any, job: Job, index: int) -> VideoReady | None:
        """Ask the relay again for a finished task's result: links expire, the task does not."""
        async for event in adapter.run(None, task_id=job.task_id):
            if isinstance(event, VideoReady) and event.index == index:
                return event
        return None

    def _write_sidecar(self, job: Job, ready: VideoReady, dest: Path, size: int) -> None:
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
            "timings": {
                "created_at": job.created_at,
                "started_at": job.started_at,
                "downloaded_at": time.time(),
            },
        }
        sidecar = dest.with_suffix(".json")
        tmp = sidecar.with_name(f"{sidecar.name}.{os.getpid()}.{job.id}.part")
        tmp.write_text(
            json.dumps(record, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        os.replace(tmp, sidecar)

    def close(self) -> None:
        """Close the HTTP clients and the journal (jobs still running are left alone)."""
        if self._relay is not None:
            relay, self._relay = self._relay, None
            spawn(_close_clients(relay))
        self.journal.close()


async def _close_clients(relay: Relay) -> None:
    await relay.http.aclose()
    await relay.public.aclose()


class _JournalWriter:
    """Keeps the job's journal row in step with its events (status, task id, files)."""

    def __init__(self, journal: Journal, job: Job) -> None:
        self.journal, self.job = journal, job
        self._last_progress_write = 0.0
        self._task_id = job.task_id

    def __call__(self, event: object) -> None:
        job = self.job
        # A new task id is written at once: it is what a restarted process resumes from.
        new_task = job.task_id is not None and job.task_id != self._task_id
        self._task_id = job.task_id
        if new_task or isinstance(event, Completed | Submitted | Downloaded | VideoReady):
            self.journal.update(
                job.id,
                status=job.status,
                task_id=job.task_id,
                progress=job.progress,
                error=job.error,
                video_urls=job.video_urls,
                files=[str(p) for p in job.videos],
            )
        elif time.monotonic() - self._last_progress_write > 2.0:  # progress: at most every 2 s
            self._last_progress_write = time.monotonic()
            self.journal.update(
                job.id, status=job.status, progress=job.progress, task_id=job.task_id
            )


def _budget_from_env() -> float | None:
    return _check_budget_value(_env("VEO_BUDGET_USD"), "VEO_BUDGET_USD")
