"""Client: configuration, validation, the budget, and jobs handed to its runner.

    >>> import veo_magic as veo
    >>> job = veo.Client().submit("a red fox in snow", orientation="landscape")   # doctest: +SKIP
    >>> job.wait().videos                                                         # doctest: +SKIP
    [PosixPath('veo_outputs/20261121-101500_a-red-fox-in-snow_3fa2c1.mp4')]

With no base URL and no key anywhere, the client starts the built-in simulator on a loopback
port and every job says "simulated": the embedded default that lets anyone try it offline.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import VeoInputError
from .._secret import Secret
from ..config import DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONCURRENCY, DEFAULT_TIMEOUT, Settings
from ..jobs import (
    Budget,
    Job,
    Journal,
    Lane,
    Runner,
    RunnerSetup,
    Versions,
    find_job,
    finished,
    rebuilt,
)
from ..options import DIRECT_PROTOCOLS, PROTOCOL_NAMES, check
from ..relays import Connection, Gateway, GoogleAuth, Route
from ..requests import ParentClip, Step, VideoRequest, derive
from .offline import offline_base_url

if TYPE_CHECKING:
    from ..checks import RouteCheck
    from ..relays import RelayModels
    from ..storyboards import Storyboard

__all__ = ["PROTOCOL_NAMES", "Client"]


def _home(protocol: str) -> str:
    """Which API a protocol talks to: each Google API has its own address and sign-in."""
    return protocol if protocol in DIRECT_PROTOCOLS else "relay"


class Client:
    """Talks to one relay (or the built-in simulator) and runs jobs on the background loop.

    Every argument defaults to its environment variable (``VEO_BASE_URL``, ``VEO_API_KEY``,
    ``VEO_PROTOCOL``, ``VEO_OUTPUT_DIR``, ``VEO_MODEL``, ``VEO_BUDGET_USD``,
    ``VEO_MAX_VIDEO_BYTES``), read once into ``self.settings`` (see ``config``).
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
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        poll_interval: tuple[float, float] | None = None,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        timeout: float = DEFAULT_TIMEOUT,
        max_video_bytes: int | None = None,
    ) -> None:
        settings = Settings.load(
            base_url=base_url,
            api_key=api_key,
            protocol=protocol,
            output_dir=output_dir,
            model=model,
            budget_usd=budget_usd,
            max_video_bytes=max_video_bytes,
            max_concurrency=max_concurrency,
            poll_interval=poll_interval,
            idle_timeout=idle_timeout,
            timeout=timeout,
        )
        self.settings = settings
        self.protocol = settings.protocol
        self.simulated = settings.simulated
        self._secret = settings.secret
        self.model = settings.model
        self.output_dir = settings.output_dir
        self.poll_interval = settings.poll_interval
        self.idle_timeout = settings.idle_timeout
        self.timeout = settings.timeout
        self.max_video_bytes = settings.max_video_bytes
        self.journal = Journal(self.output_dir)
        self._budget = Budget(self.journal, settings.budget_usd, simulated=self.simulated)
        # The relay: its root (None: the simulator, known once it is up), key and timeouts;
        # on vertex the project and credentials, found on the first job (a file read).
        self._connection = Connection(
            protocol=self.protocol,
            secret=self._secret,
            simulated=self.simulated,
            timeout=self.timeout,
            idle_timeout=self.idle_timeout,
            base_url=settings.base_url,
            locate=offline_base_url,
            vertex=settings.vertex,
        )
        self._runner = Runner(
            RunnerSetup(
                journal=self.journal,
                output_dir=self.output_dir,
                connection=self._connection,
                poll_interval=self.poll_interval,
                max_video_bytes=self.max_video_bytes,
            ),
            max_concurrency=settings.max_concurrency,
        )
        # The way down: checked, adapted to the relay's gateway, resolved to the names it lists.
        self._route = Route(self._connection, gateway=self._seen_gateway)

    @property
    def max_concurrency(self) -> int:
        """How many of this client's jobs run at once (the rest wait, queued)."""
        return self._runner.max_concurrency

    @max_concurrency.setter
    def max_concurrency(self, value: int) -> None:
        self._runner.max_concurrency = value  # takes effect before the client's first job

    # -- configuration -------------------------------------------------------------------------

    def _switchable_protocols(self) -> tuple[str, ...]:
        return tuple(p for p in PROTOCOL_NAMES if _home(p) == _home(self.protocol))

    @property
    def base_url(self) -> str:
        """The relay root (no ``/v1``); for the embedded simulator, started on first use."""
        return self._connection.root()

    @property
    def budget_usd(self) -> float | None:
        """The spending limit in USD (None: none); ``%veo budget`` changes it on a live client."""
        return self._budget.limit_usd

    @budget_usd.setter
    def budget_usd(self, value: float | None) -> None:
        self._budget.limit_usd = value

    def __repr__(self) -> str:
        where = "simulator" if self.simulated else self._connection.base_url
        return f"<veo_magic.Client {self.protocol} {where} key={'***' if self._secret else None}>"

    def google_auth(self) -> GoogleAuth:
        """Vertex AI's sign-in, found once; a ``VeoError`` that says how to sign in when there
        are no credentials. Sends nothing."""
        return self._connection.google_auth()

    # -- what the relay sells -------------------------------------------------------------------

    def offer(self) -> RelayModels | None:
        """What the configured relay lists on ``GET /v1/models``, asked once per client (None:
        the simulator, Google's API, or a relay whose list could not be read)."""
        return self._route.models()

    def _seen_gateway(self) -> Gateway | None:
        relay = self._runner.relay
        return relay.gateway if relay is not None else None

    @property
    def gateway(self) -> Gateway | None:
        """The gateway this relay is, as far as its answers have told (LiteLLM, new-api)."""
        return self._route.gateway

    def check(self) -> RouteCheck:
        """What the configured route answers, whether it takes the key, which video models it
        sells today and what to change (``veo_magic.checks``): free requests only, no create."""
        from ..checks import check_route
        from ..relays.probes import Target

        connection = self._connection
        if connection.vertex is not None:  # the token of this client's own sign-in
            target = Target(
                self.protocol,
                self.base_url,
                None,
                self.model,
                self.simulated,
                bearer=lambda: connection.google_auth().fresh_token(),
            )
        else:
            secret = self._secret or (Secret("sk-simulated") if self.simulated else None)
            target = Target(self.protocol, self.base_url, secret, self.model, self.simulated)
        return check_route(target)

    # -- jobs ----------------------------------------------------------------------------------

    def request(self, prompt: str, **options: Any) -> VideoRequest:
        """Validate ``options`` for this client's protocol; raise ``VeoInputError`` if bad.

        Sends nothing, except to ask the relay's model list about a name the catalog does not
        know; once the list is known (``submit`` asks for it before the first create), the model
        is also resolved to a name it lists (``relays.relay_models``).
        """
        request = self._build(prompt, **options)
        return self._route.take(request) if self._route.asked else request

    def _build(self, prompt: str, **options: Any) -> VideoRequest:
        protocol = check("protocol", options.pop("protocol", None) or None) or self.protocol
        if _home(protocol) != _home(self.protocol):
            raise VeoInputError(
                "protocol",
                protocol,
                f"needs a client of its own: Google's API and the relays differ in address and "
                f"key header, and this client speaks {self.protocol!r}",
                self._switchable_protocols(),
                hint=f"make one with veo_magic.Client(protocol={protocol!r})",
            )
        model = options.pop("model", None) or self.model
        return self._route.build(prompt, protocol=protocol, model=model, **options)

    def submit(self, prompt: str, **options: Any) -> Job:
        """Validate, check the budget, ask the relay what it sells, record, and start a job;
        returns at once. One way down: built, priced and budgeted, taken to the relay's names
        (priced again if that costs more), recorded, started."""
        request = self._build(prompt, **options)
        self.check_budget(request.estimated_cost)
        taken = self._route.take(request)
        if taken.estimated_cost > request.estimated_cost:
            self.check_budget(taken.estimated_cost)
        return self.start(self._record(taken))

    def submit_all(self, requests: Sequence[VideoRequest], *, concurrency: int) -> list[Job]:
        """Start validated ``requests`` (already priced against the budget), at most
        ``concurrency`` of them at a time; the rest wait, queued, for a free slot. Each is
        resolved to the relay's names first: a refusal starts none of them."""
        resolved = [self._route.take(request) for request in requests]
        lane = Lane(concurrency)
        return [self.start(self._record(request), lane=lane) for request in resolved]

    def prepare(self, request: VideoRequest) -> Job:
        """Record a queued job for ``request`` (counted in the spend) that ``start`` runs later;
        the request is taken to the relay's names first (``relays.Route.take``)."""
        return self._record(self._route.take(request))

    def _record(self, request: VideoRequest) -> Job:
        """A queued job for an already resolved ``request``, journalled."""
        if self.protocol == "vertex":
            self.google_auth()  # no credentials: say how to sign in, before anything is sent
        job = Job(protocol=request.protocol, request=request, simulated=self.simulated)
        job._maker = self
        self._runner.record(job)
        return job

    def start(
        self, job: Job, request: VideoRequest | None = None, *, lane: Lane | None = None
    ) -> Job:
        """Run a prepared job; ``request`` replaces the one it was prepared with (a storyboard
        shot learns its first frame only when the shot before it ends)."""
        if request is not None and request is not job.request:
            request = self._route.take(request)  # the relay's list is known by now: no request
            job.request, job.record = request, request.describe()
            self._runner.record(job)
        return self._runner.start(job, request=job.request, lane=lane)

    def skip(self, job: Job, reason: str, *, status: str = "cancelled") -> None:
        """End a prepared job that will not start (``status`` cancelled or failed), journal
        included. Call it on the background loop, where job state changes."""
        self._runner.end_unstarted(job, status, reason)

    def storyboard(
        self, shots: Sequence[Any], *, continuity: str = "last-frame", **options: Any
    ) -> Storyboard:
        """Validate and price every shot, check the budget, then start; see ``veo_magic.storyboard``."""
        from ..storyboards import plan

        return plan(self, shots, continuity=continuity, **options).start()

    def resume_storyboard(self, board_id: str) -> Storyboard:
        """Pick a recorded storyboard up again: finished shots are kept, a shot the relay is
        rendering is followed, the rest are rendered; then the film is stitched."""
        from ..storyboards import resume

        return resume(self, board_id)

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
        running = find_job(key)
        if running is not None and not running.done():
            running._maker = running._maker or self
            return running
        row = self.journal.get(key)
        if row is not None and row["protocol"] == "gemini" and row.get("task_id"):
            from ..relays.protocols import check_resumable

            check_resumable(row["task_id"], row["created_at"], row["files"])
        if row is not None and (done := finished(row)) is not None:
            done._maker = self  # its clips are on disk: nothing to fetch again, nothing charged
            return done
        if self.protocol == "vertex":
            self.google_auth()
        if row is None:
            job = Job(
                protocol=self.protocol,
                task_id=key,
                simulated=self.simulated,
                record={"prompt": "", "model": self.model, "resumed": True},
            )
            self._runner.record(job)
        else:
            if not row.get("task_id"):
                raise VeoInputError(
                    "task_id",
                    key,
                    "names a job with no relay task id (the relay never confirmed it), so it "
                    "cannot be resumed",
                    "a job that reached the relay",
                    hint="submit it again if it did not run",
                )
            job = rebuilt(row)
        job._maker = self
        return self._runner.start(job, task_id=job.task_id)

    # -- versions of a clip (issue 19) ---------------------------------------------------------

    def edit(self, job: Job | str, prompt: str, **options: Any) -> Job:
        """A new version of ``job``'s clip with ``prompt``'s change, every setting kept unless
        ``options`` changes it (``requests.lineage``); checked, priced and budgeted, then
        started. Gemini Omni on ``interactions`` edits; elsewhere a ``VeoInputError`` says so."""
        return self._derive(job, "edit", prompt, options)

    def extend(
        self,
        job: Job | str,
        seconds: int | None = None,
        prompt: str | None = None,
        **options: Any,
    ) -> Job:
        """A new version that continues ``job``'s clip (Omni: ``seconds`` 3–10; Veo: 7 s)."""
        return self._derive(job, "extend", prompt, {**options, "seconds": seconds})

    def versions(self, job: Job | str) -> Versions:
        """Every version of ``job``'s clip (a local job id, a task id or a Job), from the
        journal: the same tree after a restart."""
        key = job.id if isinstance(job, Job) else str(job).strip()
        row = self.journal.get(key)
        if row is None:
            raise VeoInputError("job", key, "is no job in this output folder's journal")
        lineage = row["request"].get("lineage") or {}
        return Versions(self.journal.family(lineage.get("root") or row["id"]))

    def version(self, job_id: str) -> Job | None:
        """The job ``job_id`` of this process, else rebuilt from the journal (not started)."""
        job = find_job(job_id)
        if job is None:
            row = self.journal.get(job_id)
            if row is None:
                return None
            job = finished(row) or rebuilt(row)
            if job.status == "queued" and row["status"] != "queued":
                job.status = row["status"]
        job._maker = job._maker or self
        return job

    def derived(
        self, parent: Job | ParentClip, step: Step, prompt: str | None, **options: Any
    ) -> VideoRequest:
        """The request of an edit or extension of ``parent`` (a Job, or a stand-in for a clip
        not made yet: a storyboard's next shot), checked and priced; nothing is sent."""
        clip = parent if isinstance(parent, ParentClip) else self._parent_clip(parent)
        text, keywords, lineage = derive(clip, step, self.protocol, prompt, dict(options))
        return dataclasses.replace(self._build(text, **keywords), lineage=lineage)

    def _derive(self, parent: Job | str, step: Step, prompt: str | None, options: Any) -> Job:
        source = parent if isinstance(parent, Job) else self.version(str(parent).strip())
        if source is None:
            raise VeoInputError(step, parent, "is no job of this process or journal")
        request = self.derived(source, step, prompt, **options)
        self.check_budget(request.estimated_cost, what=f"this {step}")
        taken = self._route.take(request)
        job = self.start(self._record(taken))
        job._parent = source
        return job

    def _parent_clip(self, job: Job) -> ParentClip:
        """What ``derive`` needs of ``job``: its own state, or its journal row where the live
        job knows less (a job rebuilt after a restart)."""
        row = self.journal.get(job.id) or {}
        files = tuple(job.videos) or tuple(Path(f) for f in row.get("files") or ())
        status = job.status
        if status != "succeeded" and row.get("status") == "succeeded":
            status = "succeeded"
        return ParentClip(
            job_id=job.id,
            protocol=job.protocol,
            status=status,
            task_id=job.task_id or row.get("task_id"),
            files=files,
            record=job.record or row.get("request") or {},
            urls=tuple(job.video_urls or row.get("video_urls") or ()),
        )

    def jobs(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest jobs from the journal, as dicts."""
        return self.journal.list(limit)

    def spend(self) -> float:
        """Estimated USD committed so far in this output dir (simulated jobs counted apart)."""
        return self._budget.spent()

    def check_budget(self, estimate: float, *, what: str = "this request") -> None:
        """Raise ``VeoBudgetError`` if ``estimate`` USD more would pass the budget."""
        self._budget.check(estimate, what=what)

    def close(self) -> None:
        """Close the HTTP clients and the journal (jobs still running are left alone)."""
        self._runner.close()
        self.journal.close()
