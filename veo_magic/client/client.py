"""Client: configuration, validation, the budget, and jobs handed to its runner.

    >>> import veo_magic as veo
    >>> job = veo.Client().submit("a red fox in snow", orientation="landscape")   # doctest: +SKIP
    >>> job.wait().videos                                                         # doctest: +SKIP
    [PosixPath('veo_outputs/20261121-101500_a-red-fox-in-snow_3fa2c1.mp4')]

With no base URL and no key anywhere, the client starts the built-in simulator on a loopback
port and every job says "simulated": the embedded default that lets anyone try it offline.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._exceptions import VeoBudgetError, VeoInputError
from .._secret import Secret
from ..config import Settings
from ..jobs import Job, Journal, Lane, Runner, RunnerSetup, find_job
from ..options import PROTOCOL_NAMES, check
from ..relays import Gateway, KeyAuth, Relay, adapt
from ..requests import VideoRequest
from .offline import offline_base_url

if TYPE_CHECKING:
    from ..checks import RouteCheck
    from ..relays import RelayModels
    from ..relays.protocols import Pacing
    from ..storyboards import Storyboard

__all__ = ["PROTOCOL_NAMES", "Client"]


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
        max_concurrency: int = 8,
        poll_interval: tuple[float, float] | None = None,
        idle_timeout: float = 120.0,
        timeout: float = 60.0,
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
        self._base_url = settings.base_url  # None: the simulator, known once it is up
        self.model = settings.model
        self.output_dir = settings.output_dir
        self.budget_usd = settings.budget_usd  # `%veo budget` changes it on a live client
        self.poll_interval = settings.poll_interval
        self.idle_timeout = settings.idle_timeout
        self.timeout = settings.timeout
        self.max_video_bytes = settings.max_video_bytes
        self.journal = Journal(self.output_dir)
        # What the relay sells (GET /v1/models), asked once, before the first create.
        self._offer: RelayModels | None = None
        self._offer_asked = False
        self._offer_lock = threading.Lock()
        self._runner = Runner(
            RunnerSetup(
                journal=self.journal,
                output_dir=self.output_dir,
                journal_base=self._journal_base,
                make_relay=self._make_relay,
                pacing=self._pacing,
                max_video_bytes=self.max_video_bytes,
                secret=self._secret,
            ),
            max_concurrency=settings.max_concurrency,
        )

    @property
    def max_concurrency(self) -> int:
        """How many of this client's jobs run at once (the rest wait, queued)."""
        return self._runner.max_concurrency

    @max_concurrency.setter
    def max_concurrency(self, value: int) -> None:
        self._runner.max_concurrency = value  # takes effect before the client's first job

    # -- configuration -------------------------------------------------------------------------

    def _switchable_protocols(self) -> tuple[str, ...]:
        return tuple(p for p in PROTOCOL_NAMES if (p == "gemini") == (self.protocol == "gemini"))

    @property
    def base_url(self) -> str:
        """The relay root (no ``/v1``); for the embedded simulator, started on first use."""
        if self._base_url is None:
            self._base_url = offline_base_url()
        return self._base_url

    def __repr__(self) -> str:
        where = "simulator" if self.simulated else self._base_url
        return f"<veo_magic.Client {self.protocol} {where} key={'***' if self._secret else None}>"

    # -- the HTTP seam, built on the background loop -------------------------------------------

    def _make_relay(self) -> Relay:
        secret = self._secret or Secret("sk-simulated")
        header = "x-goog-api-key" if self.protocol == "gemini" else "Authorization"
        return Relay.connect(
            self.base_url,
            KeyAuth(secret, header=header),
            timeout=self.timeout,
            secret=self._secret,
            idle_timeout=self.idle_timeout,
        )

    def _pacing(self, expected_seconds: float | None) -> Pacing:
        from ..relays.protocols import Pacing

        return Pacing(*self.poll_interval, expected_seconds=expected_seconds)

    # -- what the relay sells -------------------------------------------------------------------

    def offer(self) -> RelayModels | None:
        """What the configured relay lists on ``GET /v1/models``, asked once per client (None:
        the simulator, Google's API, or a relay whose list could not be read)."""
        if self.simulated or self.protocol == "gemini":
            return None
        with self._offer_lock:
            if not self._offer_asked:
                from ..relays import fetch_relay_models

                self._offer = fetch_relay_models(self.base_url, self._secret)
                self._offer_asked = True
            return self._offer

    @property
    def gateway(self) -> Gateway | None:
        """The gateway this relay is, as far as its answers have told (LiteLLM, new-api)."""
        relay = self._runner.relay
        return (self._offer.gateway if self._offer else None) or (relay and relay.gateway)

    def check(self) -> RouteCheck:
        """What the configured route answers, whether it takes the key, which video models it
        sells today and what to change (``veo_magic.checks``): free requests only, no create."""
        from ..checks import check_route
        from ..relays.probes import Route

        secret = self._secret or (Secret("sk-simulated") if self.simulated else None)
        route = Route(self.protocol, self.base_url, secret, self.model, self.simulated)
        return check_route(route)

    # -- jobs ----------------------------------------------------------------------------------

    def request(self, prompt: str, **options: Any) -> VideoRequest:
        """Validate ``options`` for this client's protocol; raise ``VeoInputError`` if bad.

        Sends nothing, except to ask the relay's model list about a name the catalog does not
        know; once the list is known (``submit`` asks for it before the first create), the model
        is also resolved to a name it lists (``relays.relay_models``).
        """
        request = self._request(prompt, **options)
        return self._resolved(request) if self._offer_asked else request

    def _request(self, prompt: str, **options: Any) -> VideoRequest:
        """``VideoRequest.build``; a model name the catalog does not know is looked up in the
        relay's list (asked for if need be) and accepted when it is there."""
        protocol = check("protocol", options.pop("protocol", None) or None) or self.protocol
        if (protocol == "gemini") != (self.protocol == "gemini"):
            raise VeoInputError(
                "protocol",
                protocol,
                f"needs a client of its own: Google's API and the relays differ in address and "
                f"key header, and this client speaks {self.protocol!r}",
                self._switchable_protocols(),
                hint=f"make one with veo_magic.Client(protocol={protocol!r})",
            )
        model = options.pop("model", None) or self.model
        try:
            return VideoRequest.build(prompt, protocol=protocol, model=model, **options)
        except VeoInputError as exc:
            offer = self.offer() if exc.field == "model" and isinstance(model, str) else None
            if offer is None:
                raise
            listed = offer.listed(model.strip())
            if listed is None:
                also = f"nor does this relay list it (it sells: {offer.says()})"
                raise VeoInputError(
                    exc.field,
                    exc.value,
                    exc.problem,
                    exc.allowed,
                    hint=f"{exc.hint}; {also}" if exc.hint else also,
                ) from None
        from ..catalog import relay_only

        return VideoRequest.build(prompt, protocol=protocol, model=relay_only(listed), **options)

    def _resolved(self, request: VideoRequest) -> VideoRequest:
        """``request`` as this relay can take it: what its gateway cannot carry refused, the
        model resolved to a name it lists (the list is asked for once, here)."""
        offer = self.offer()
        request = adapt(request, self.gateway)
        if offer is None:
            return request
        from ..relays import resolve

        return resolve(request, offer)

    def submit(self, prompt: str, **options: Any) -> Job:
        """Validate, check the budget, ask the relay what it sells, record, and start a job;
        returns at once."""
        request = self._request(prompt, **options)
        self.check_budget(request.estimated_cost)
        resolved = self._resolved(request)
        if resolved.estimated_cost > request.estimated_cost:
            self.check_budget(resolved.estimated_cost)
        return self.start(self._record(resolved))

    def submit_all(self, requests: Sequence[VideoRequest], *, concurrency: int) -> list[Job]:
        """Start validated ``requests`` (already priced against the budget), at most
        ``concurrency`` of them at a time; the rest wait, queued, for a free slot. Each is
        resolved to the relay's names first: a refusal starts none of them."""
        resolved = [self._resolved(request) for request in requests]
        lane = Lane(concurrency)
        return [self.start(self._record(request), lane=lane) for request in resolved]

    def prepare(self, request: VideoRequest) -> Job:
        """Record a queued job for ``request`` (counted in the spend) that ``start`` runs later;
        the request is resolved to the relay's names first (``_resolved``)."""
        return self._record(self._resolved(request))

    def _record(self, request: VideoRequest) -> Job:
        """A queued job for an already resolved ``request``, journalled."""
        job = Job(protocol=request.protocol, request=request, simulated=self.simulated)
        self._runner.record(job)
        return job

    def start(
        self, job: Job, request: VideoRequest | None = None, *, lane: Lane | None = None
    ) -> Job:
        """Run a prepared job; ``request`` replaces the one it was prepared with (a storyboard
        shot learns its first frame only when the shot before it ends)."""
        if request is not None and request is not job.request:
            request = self._resolved(request)  # the relay's list is known by now: no request
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
            return running
        row = self.journal.get(key)
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
            if row["protocol"] == "gemini":
                from ..relays.protocols import check_resumable

                check_resumable(row["task_id"], row["created_at"], row["files"])
            job = Job(
                protocol=row["protocol"],
                record=row["request"],
                job_id=row["id"],
                task_id=row["task_id"],
                simulated=bool(row["simulated"]),
            )
            job.created_at = row["created_at"]
        return self._runner.start(job, task_id=job.task_id)

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
            raise VeoBudgetError(self.budget_usd, spent, estimate, what)

    def _journal_base(self) -> str:
        return "simulator" if self.simulated else self.base_url

    def close(self) -> None:
        """Close the HTTP clients and the journal (jobs still running are left alone)."""
        self._runner.close()
        self.journal.close()
