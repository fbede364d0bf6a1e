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
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from ._exceptions import VeoBudgetError, VeoError, VeoInputError
from ._http import Relay
from ._job import Job
from ._journal import Journal
from ._request import VideoRequest
from ._runner import Lane, Runner, Where, find_job
from ._secret import Secret, redact

if TYPE_CHECKING:
    from ._storyboard import Storyboard
    from .protocols.polling import Pacing

__all__ = ["PROTOCOL_NAMES", "Client"]

PROTOCOL_NAMES = ("chat", "videos", "create", "gemini")
DEFAULT_OUTPUT_DIR = "veo_outputs"
# Google's own API: its base when none is given, and the key variables its SDK reads.
GEMINI_BASE_URL = "https://generativelanguage.googleapis.com"
GEMINI_KEY_VARIABLES = ("VEO_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")
DEFAULT_MODEL = "veo-3.1"


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
        self._runner = Runner(
            Where(
                journal=self.journal,
                output_dir=self.output_dir,
                journal_base=self._journal_base,
                make_relay=self._make_relay,
                pacing=self._pacing,
                max_video_bytes=self.max_video_bytes,
                secret=self._secret,
            ),
            max_concurrency=max_concurrency,
        )

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
        return Relay(http, public, secret=self._secret, idle_timeout=self.idle_timeout)

    def _pacing(self, expected_seconds: float | None) -> Pacing:
        from .protocols.polling import Pacing

        return Pacing(*self.poll_interval, expected_seconds=expected_seconds)

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
        return self.start(self.prepare(request))

    def submit_all(self, requests: Sequence[VideoRequest], *, concurrency: int) -> list[Job]:
        """Start validated ``requests`` (already priced against the budget), at most
        ``concurrency`` of them at a time; the rest wait, queued, for a free slot."""
        lane = Lane(concurrency)
        return [self.start(self.prepare(request), lane=lane) for request in requests]

    def prepare(self, request: VideoRequest) -> Job:
        """Record a queued job for ``request`` (counted in the spend) that ``start`` runs later."""
        job = Job(protocol=request.protocol, request=request, simulated=self.simulated)
        self._runner.record(job)
        return job

    def start(
        self, job: Job, request: VideoRequest | None = None, *, lane: Lane | None = None
    ) -> Job:
        """Run a prepared job; ``request`` replaces the one it was prepared with (a storyboard
        shot learns its first frame only when the shot before it ends)."""
        if request is not None and request is not job.request:
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
        from ._storyboard import plan

        return plan(self, shots, continuity=continuity, **options).start()

    def resume_storyboard(self, board_id: str) -> Storyboard:
        """Pick a recorded storyboard up again: finished shots are kept, a shot the relay is
        rendering is followed, the rest are rendered; then the film is stitched."""
        from ._storyboard import resume

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
            raise VeoBudgetError(
                f"budget ${self.budget_usd:.2f} would be passed: ${spent:.2f} spent so far + "
                f"${estimate:.2f} for {what}. Raise it with VEO_BUDGET_USD or `%veo budget N`.",
                field="budget_usd",
                value=estimate,
                allowed=max(0.0, self.budget_usd - spent),
            )

    def _journal_base(self) -> str:
        return "simulator" if self.simulated else self.base_url

    def close(self) -> None:
        """Close the HTTP clients and the journal (jobs still running are left alone)."""
        self._runner.close()
        self.journal.close()


def _budget_from_env() -> float | None:
    return _check_budget_value(_env("VEO_BUDGET_USD"), "VEO_BUDGET_USD")
