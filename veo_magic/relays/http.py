"""The one place that talks HTTP to a relay: retry policy, error mapping, idle watchdog.

Adapters never call httpx directly for requests that matter; they go through ``Relay`` so that
every protocol shares one rule for what may be retried:

* ``create`` (a request that may start a paid task) is retried only when the relay provably did
  not take it: the connection was never made, or it answered 429 / 503 naming no task. Anything
  else after the request left (another 5xx, a read timeout, a dropped connection, a stream whose
  head never comes) raises ``VeoTaskUncertainError``: the task may exist, and blindly re-sending
  could charge twice. A 4xx other than 429 is the relay's certain "no" (``VeoAPIError``), and
  so is new-api's 503 "no available channel for model" (``not_sold``: the relay sells no such
  model now, and a retry seconds later meets the same answer).
* ``fetch`` (polls, queries, downloads: safe to repeat) is retried with exponential backoff on
  transport errors, 408, 425, 429 and 5xx, honouring ``Retry-After`` / ``retry-after-ms`` (and
  LiteLLM's ``llm_provider-retry-after``).
* A hard quota is never retried: a 429 that says the quota or budget is spent (Google's
  ``RESOURCE_EXHAUSTED``, OpenAI's ``insufficient_quota``, a LiteLLM budget) and names no wait.
  It will not pass by waiting. A rate limit that names its wait (``Retry-After``, or Google's
  ``RetryInfo.retryDelay``) is still retried, after that wait.
* A poll answered with a 5xx that says the finished task has no video (LiteLLM's answer for a
  filtered Gemini operation, ``withheld``) is believed at once: LiteLLM reads a finished
  operation, and it answers every later poll with the same words. A finished task's clip on the
  relay (``content_backoff``) is asked again ``WITHHELD_RETRIES`` times at most.

stamina does the waiting (and ``stamina.set_testing`` turns the waits off in tests). Its retry
notices never reach a log line: inside a job (``retry_notices``) each becomes a ``RetryNotice``
the job shows in its status; elsewhere it is logged at INFO on ``veo_magic``'s logger.
"""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import stamina
from stamina.instrumentation import RetryDetails, get_on_retry_hooks, set_on_retry_hooks

from .._exceptions import VeoAPIError, VeoTaskUncertainError
from .._secret import Secret, redact
from ..config import DEFAULT_IDLE_TIMEOUT
from .gateways import Gateway, from_response

__all__ = [
    "INTERACTIONS_ONLY_HINT",
    "WITHHELD_RETRIES",
    "KeyAuth",
    "Relay",
    "RetryNotice",
    "StreamIdleError",
    "api_error",
    "content_backoff",
    "download_backoff",
    "error_details",
    "google_retry_delay",
    "hard_quota",
    "json_body",
    "named_task",
    "retry_after_seconds",
    "retry_notices",
    "says_withheld",
    "with_idle_timeout",
    "withheld",
]

log = logging.getLogger("veo_magic")
T = TypeVar("T")

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# A create answered with one of these was provably not taken: no task exists, re-sending is safe.
CREATE_NOT_TAKEN_STATUSES = frozenset({429, 503})
# Transport failures that happen before a byte of the request reached the relay.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

HINTS = {
    401: "check the key (VEO_API_KEY); relays accept it with or without 'Bearer '",
    402: "the account is out of credit: top it up on the relay's dashboard",
    403: "the key may lack credit or access to this model; check the relay's dashboard",
    404: "check the base URL (VEO_BASE_URL) and the protocol (VEO_PROTOCOL)",
    429: "the relay is rate-limiting; wait a little and try again",
    503: "the relay or its upstream is overloaded right now; try again later",
}
# A spent quota or budget: waiting does not help, so it is not retried and says so.
QUOTA_HINT = (
    "the quota or budget behind this key is used up; waiting will not help: raise it (or ask "
    "whoever runs the relay or gateway to), or use another key"
)
# Google's 400 for a Gemini Omni id sent to generateContent / predictLongRunning.
INTERACTIONS_ONLY_HINT = "this model is Gemini Omni: use protocol interactions"
_INTERACTIONS_ONLY = re.compile(r"only supports Interactions API", re.IGNORECASE)
WITHHELD_RETRIES = 2  # a finished task's clip answering 5xx is asked again this often
# Words of a spent quota or budget, in Google's, OpenAI's, new-api's and LiteLLM's errors.
_QUOTA_WORDS = re.compile(
    r"RESOURCE_EXHAUSTED|insufficient_(user_)?quota|exceeded your current quota|"
    r"budget_exceeded|budget has been exceeded|crossed budget",
    re.IGNORECASE,
)
# LiteLLM's 500 for a finished Gemini operation without samples (filtered, refused, empty).
_WITHHELD_WORDS = re.compile(
    r"GeminiLongRunningOperationResponse[\s\S]*generatedSamples|raiMediaFiltered", re.IGNORECASE
)


class StreamIdleError(Exception):
    """A stream sent nothing for longer than the idle watchdog allows."""


class _Retry(Exception):
    """Internal: a response worth retrying, with the delay the server asked for (if any)."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.delay = retry_after_seconds(response.headers)
        if self.delay is None:
            self.delay = google_retry_delay(response)


@dataclass(frozen=True, slots=True)
class RetryNotice:
    """A request veo_magic will send again: why, after how long, and which retry it is."""

    reason: str  # "relay busy (HTTP 429)"
    wait: float  # seconds until the next try
    retry: int  # 1 for the first retry
    retries: int  # at most this many

    def __str__(self) -> str:
        wait = f"{self.wait:.0f}" if self.wait >= 1 else f"{self.wait:.1g}"
        return f"{self.reason}, retrying in {wait} s ({self.retry}/{self.retries})"


# The job whose requests are running here, told of each retry (None: the retried request went
# through). Set by the runner for the life of a job; a context variable, so concurrent jobs
# on the one loop each hear only of their own retries.
_notices: contextvars.ContextVar[Callable[[RetryNotice | None], None] | None] = (
    contextvars.ContextVar("veo_magic_retry_notices", default=None)
)
_retries: contextvars.ContextVar[int] = contextvars.ContextVar("veo_magic_retries", default=7)


@contextmanager
def retry_notices(listener: Callable[[RetryNotice | None], None], retries: int) -> Iterator[None]:
    """Within this block, tell ``listener`` of every retry instead of logging it."""
    tokens = _notices.set(listener), _retries.set(retries)
    try:
        yield
    finally:
        _notices.reset(tokens[0])
        _retries.reset(tokens[1])


def _retry_reason(cause: BaseException) -> str:
    if isinstance(cause, _Retry):
        status = cause.response.status_code
        return (
            f"relay busy (HTTP {status})"
            if status in (429, 503)
            else f"relay error (HTTP {status})"
        )
    if isinstance(cause, VeoAPIError) and cause.status_code is not None:
        return f"relay error (HTTP {cause.status_code})"
    if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout):
        return "relay unreachable"
    return f"connection trouble ({type(cause).__name__})"


def _install_retry_hook() -> None:
    """Route stamina's retry notices: to the running job, else to INFO on veo_magic's logger;
    other libraries' retries still go to the hooks that were there (its log, structlog)."""
    others = get_on_retry_hooks()

    def hook(details: RetryDetails) -> None:
        cause = details.caused_by
        listener = _notices.get()
        if listener is None and not isinstance(cause, _Retry | VeoAPIError):
            for other in others:
                other(details)
            return
        notice = RetryNotice(
            _retry_reason(cause), details.wait_for, details.retry_num, _retries.get()
        )
        if listener is None:
            log.info("%s", notice)
        else:
            listener(notice)

    set_on_retry_hooks([hook])


def _retried(attempt: stamina.Attempt) -> None:
    """A request that needed retries went through: the job's notice is over."""
    if attempt.num > 1 and (listener := _notices.get()) is not None:
        listener(None)


def google_retry_delay(response: httpx.Response) -> float | None:
    """The wait Google names inside its error (``details[].retryDelay`` of a ``RetryInfo``,
    ``"38s"``): how a per-minute rate limit says when to come back."""
    body = json_body(response)
    error = body.get("error") if isinstance(body, Mapping) else None
    details = error.get("details") if isinstance(error, Mapping) else None
    for detail in details if isinstance(details, list) else ():
        delay = detail.get("retryDelay") if isinstance(detail, Mapping) else None
        if isinstance(delay, str) and re.fullmatch(r"\d+(\.\d+)?s", delay.strip()):
            return float(delay.strip()[:-1])
    return None


def hard_quota(response: httpx.Response) -> bool:
    """A 429 (or LiteLLM's 422 budget error) that says a quota or budget is spent and names no
    wait (``Retry-After``, Google's ``retryDelay``): waiting will not help."""
    if response.status_code not in (422, 429):
        return False
    if retry_after_seconds(response.headers) is not None or google_retry_delay(response):
        return False
    message, code = error_details(response)
    return bool(_QUOTA_WORDS.search(f"{code or ''} {message}"))


def withheld(response: httpx.Response) -> bool:
    """A 5xx that says the finished task has no video to give (LiteLLM, filtered Gemini)."""
    return response.status_code >= 500 and says_withheld(error_details(response)[0])


def says_withheld(message: str) -> bool:
    """The words of ``withheld``, read from an error's message."""
    return bool(_WITHHELD_WORDS.search(message))


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Seconds the server asked us to wait: ``retry-after-ms``, ``Retry-After`` (seconds or a
    date), or LiteLLM's copy of the upstream's, ``llm_provider-retry-after``."""
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after") or headers.get("llm_provider-retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def _backoff(exc: Exception) -> bool | float:
    """stamina hook: retry ``_Retry`` (with the server's delay when given) and transport errors."""
    if isinstance(exc, _Retry):
        if hard_quota(exc.response):
            return False
        return exc.delay if exc.delay is not None else True
    return isinstance(exc, httpx.TransportError)


def download_backoff(exc: Exception) -> bool | float:
    """Downloads also retry a 404: some relays answer it for a moment after a task completes."""
    if isinstance(exc, VeoAPIError) and exc.status_code in RETRY_STATUSES | {404}:
        return True
    return _backoff(exc)


def content_backoff() -> Callable[[Exception], bool | float]:
    """``download_backoff`` for a finished task's clip on the relay itself (``/content``): a 5xx
    there is asked again ``WITHHELD_RETRIES`` times at most. A relay that called the task done
    and cannot produce its video (new-api's 502 for a filtered Gemini clip, LiteLLM's 500) does
    not change its mind; a CDN's 5xx, a cut connection, a 404 keep the whole policy."""
    return _at_most(
        download_backoff, lambda exc: isinstance(exc, VeoAPIError) and (exc.status_code or 0) >= 500
    )


def _poll_backoff(exc: Exception) -> bool | float:
    """``_backoff``, except that a "no video" 5xx is believed the first time: LiteLLM answers
    every poll of a filtered Gemini task with the same 500 (retrying it cost 18 s)."""
    if isinstance(exc, _Retry) and withheld(exc.response):
        return False
    return _backoff(exc)


def _at_most(
    hook: Callable[[Exception], bool | float], counts: Callable[[Exception], bool]
) -> Callable[[Exception], bool | float]:
    """``hook``, except that what ``counts`` is retried ``WITHHELD_RETRIES`` times at most."""
    seen = 0

    def decide(exc: Exception) -> bool | float:
        nonlocal seen
        if counts(exc):
            seen += 1
            if seen > WITHHELD_RETRIES:
                return False
        return hook(exc)

    return decide


def _create_backoff(exc: Exception) -> bool | float:
    if isinstance(exc, _Retry):
        return exc.delay if exc.delay is not None else True
    return isinstance(exc, NOT_SENT_ERRORS)


def json_body(response: httpx.Response) -> Any:
    """The answer's JSON, or None when it is not JSON."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def named_task(response: httpx.Response) -> tuple[str, str | None] | None:
    """(task id exactly as sent, model echoed) when a relay answer names a task, else None.

    The id is ``id``, else ``task_id``, at the top level or under ``data``. A create answer
    names the task it started; an error answer that names one proves the relay took the request.
    """
    body = json_body(response)
    for source in (body, body.get("data") if isinstance(body, Mapping) else None):
        if isinstance(source, Mapping):
            for key in ("id", "task_id"):
                value = source.get(key)
                if isinstance(value, bool) or not isinstance(value, (str, int)):
                    continue
                if str(value).strip():
                    model = source.get("model")
                    return str(value), (model if isinstance(model, str) else None)
    return None


def error_details(response: httpx.Response) -> tuple[str, str | None]:
    """(message, code) from any known error body shape, or the raw text."""
    body = json_body(response)
    message: Any = None
    code: Any = None
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):  # OpenAI / new-api / Gemini: {"error": {message, code|status}}
            message = err.get("message")
            # Google repeats the HTTP status as an int code; its status word says more.
            status = err.get("status")
            google = isinstance(err.get("code"), int) and isinstance(status, str) and status
            code = google or err.get("code") or status or err.get("type")
        elif isinstance(err, str):
            message = err
        if message is None:  # new-api task endpoints: {"code", "message", "data"}
            message = body.get("message") or body.get("detail") or body.get("msg")
            code = code or body.get("code")
    if not message:
        message = response.text.strip()[:500] or response.reason_phrase
    return str(message), (str(code) if code not in (None, "") else None)


def api_error(
    response: httpx.Response,
    *,
    task_id: str | None = None,
    secret: Secret | None = None,
    hints: Mapping[int, str] = HINTS,
) -> VeoAPIError:
    """A ``VeoAPIError`` a person can act on, built from an error response; ``hints`` say what
    to check for each status (a relay's key by default; Vertex AI's sign-in has its own)."""
    message, code = error_details(response)
    text = f"HTTP {response.status_code} from {response.request.method} {response.request.url.path}: {message}"
    if _INTERACTIONS_ONLY.search(message):
        hint: str | None = INTERACTIONS_ONLY_HINT
    else:
        hint = QUOTA_HINT if hard_quota(response) else hints.get(response.status_code)
    if hint:
        text += f" ({hint})"
    return VeoAPIError(
        redact(text, secret),
        status_code=response.status_code,
        code=code,
        task_id=task_id,
        detail=redact(message, secret),
    )


class KeyAuth(httpx.Auth):
    """The key, put in its header as each request leaves (never in the URL, never kept in the
    client's default headers, so no repr or event hook of the client can show it).

    Google takes its key in ``x-goog-api-key`` (a Bearer header there means an OAuth token);
    relays take ``Authorization``, with or without "Bearer ", and we send it with.
    """

    def __init__(self, secret: Secret, *, header: str = "Authorization") -> None:
        self._secret = secret
        self._header = header

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        key = self._secret.reveal()
        request.headers[self._header] = key if self._header != "Authorization" else f"Bearer {key}"
        yield request


class Relay:
    """What an adapter needs to talk to one relay.

    ``http`` carries the key (in a header, never the URL) and has the relay's root as base URL;
    ``public`` has no key and is used for result URLs on other hosts (CDNs), so the key never
    leaves for a host that did not ask for it. ``Relay.connect`` builds both.
    """

    @classmethod
    def connect(
        cls,
        base_url: str,
        auth: httpx.Auth,
        *,
        timeout: float,
        secret: Secret | None = None,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        hints: Mapping[int, str] = HINTS,
    ) -> Relay:
        """Open the two HTTP clients for one relay root (on the loop that will use them)."""
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
        timeouts = httpx.Timeout(timeout, connect=15.0)
        http = httpx.AsyncClient(base_url=base_url, auth=auth, timeout=timeouts, limits=limits)
        public = httpx.AsyncClient(timeout=timeouts, limits=limits)
        relay = cls(http, public, secret=secret, idle_timeout=idle_timeout)
        relay.hints = hints
        return relay

    def __init__(
        self,
        http: httpx.AsyncClient,
        public: httpx.AsyncClient,
        *,
        secret: Secret | None = None,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        retry_attempts: int = 8,
        retry_timeout: float = 180.0,
    ) -> None:
        self.http = http
        self.public = public
        self.secret = secret
        self.idle_timeout = idle_timeout
        self.retry_attempts = retry_attempts
        self.retry_timeout = retry_timeout
        self.gateway: Gateway | None = None  # recognised from its answers (LiteLLM's headers)
        self.hints: Mapping[int, str] = HINTS  # what each error status asks the user to check

    def error(self, response: httpx.Response, *, task_id: str | None = None) -> VeoAPIError:
        return api_error(response, task_id=task_id, secret=self.secret, hints=self.hints)

    async def create(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request that may start a paid task; see the module docstring for the rule."""
        try:
            async for attempt in self.attempts(_create_backoff):
                with attempt:
                    response = await self._send_once(method, url, **kwargs)
                    self._judge_create(response)
        except _Retry as exc:
            raise self.error(exc.response) from None
        _retried(attempt)
        self.gateway = self.gateway or from_response(response)
        return self._checked(response)

    @asynccontextmanager
    async def stream_create(
        self, method: str, url: str, **kwargs: Any
    ) -> AsyncIterator[httpx.Response]:
        """Open a streamed create (SSE); same retry rule as ``create``. Yields a 2xx response."""
        try:
            async for attempt in self.attempts(_create_backoff):
                with attempt:
                    request = self.http.build_request(method, url, **kwargs)
                    try:
                        # The stream has no read timeout, so its head gets the idle watchdog's.
                        response = await asyncio.wait_for(
                            self.http.send(request, stream=True), self.idle_timeout
                        )
                    except NOT_SENT_ERRORS:
                        raise
                    except (httpx.TransportError, asyncio.TimeoutError) as exc:
                        raise self._uncertain(exc) from exc
                    if response.status_code >= 400:
                        await response.aread()
                        await response.aclose()
                        self._judge_create(response)
        except _Retry as exc:
            raise self.error(exc.response) from None
        _retried(attempt)
        try:
            if response.status_code >= 400:
                await response.aread()
                raise self.error(response)
            yield response
        finally:
            await response.aclose()

    async def fetch(
        self,
        method: str,
        url: str,
        *,
        task_id: str | None = None,
        public: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """A safe, repeatable request (a poll, a query), retried with backoff; returns a 2xx."""
        response = await self._repeatable(
            method, url, task_id=task_id, public=public, read=True, **kwargs
        )
        return self._checked(response, task_id=task_id)

    @asynccontextmanager
    async def stream_fetch(
        self, method: str, url: str, *, task_id: str | None = None, **kwargs: Any
    ) -> AsyncIterator[httpx.Response]:
        """``fetch``, with the body left unread: a poll or an event stream whose answer may
        carry a whole clip, read as it arrives. Retried like ``fetch`` until the head comes;
        yields a 2xx response (closed on exit)."""
        response = await self._repeatable(
            method, url, task_id=task_id, public=False, read=False, **kwargs
        )
        try:
            if response.status_code >= 400:
                await response.aread()
                raise self.error(response, task_id=task_id)
            yield response
        finally:
            await response.aclose()

    async def _repeatable(
        self, method: str, url: str, *, task_id: str | None, public: bool, read: bool, **kwargs: Any
    ) -> httpx.Response:
        """The retry loop of ``fetch`` and ``stream_fetch``; ``read``: the body too, inside it."""
        client = self.public if public else self.http
        try:
            async for attempt in self.attempts(_poll_backoff):
                with attempt:
                    request = client.build_request(method, url, **kwargs)
                    response = await client.send(request, stream=not read)
                    if response.status_code in RETRY_STATUSES:
                        await response.aread()
                        await response.aclose()
                        raise _Retry(response)
        except _Retry as exc:
            raise self.error(exc.response, task_id=task_id) from None
        except httpx.TransportError as exc:
            raise VeoAPIError(
                f"{method} {url} failed after retries: {type(exc).__name__}", task_id=task_id
            ) from exc
        _retried(attempt)
        self.gateway = self.gateway or from_response(response)
        return response

    def attempts(self, hook: Any) -> Any:
        """stamina's retry loop with this relay's limits; ``hook`` decides what is retried."""
        return stamina.retry_context(
            on=hook,
            attempts=self.retry_attempts,
            timeout=self.retry_timeout,
            wait_initial=0.5,
            wait_max=15.0,
        )

    async def _send_once(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self.http.request(method, url, **kwargs)
        except NOT_SENT_ERRORS:
            raise
        except httpx.TransportError as exc:
            raise self._uncertain(exc) from exc

    def _judge_create(self, response: httpx.Response) -> None:
        """Raise ``_Retry`` for a create the relay provably did not take, ``VeoTaskUncertainError``
        for one it may have taken; return for a 2xx or a certain refusal (4xx, a hard quota)."""
        from .not_sold import sells_none  # here: that module builds on this one

        if hard_quota(response) or sells_none(response):  # waiting will not change either
            return
        if response.status_code in CREATE_NOT_TAKEN_STATUSES:
            if (named := named_task(response)) is None:
                raise _Retry(response)
            raise self._uncertain(
                f"HTTP {response.status_code}", response=response, task_id=named[0]
            )
        if response.status_code >= 500:
            raise self._uncertain(f"HTTP {response.status_code}", response=response)

    def _uncertain(
        self,
        cause: Exception | str,
        *,
        response: httpx.Response | None = None,
        task_id: str | None = None,
    ) -> VeoTaskUncertainError:
        if isinstance(cause, asyncio.TimeoutError):
            what = f"no answer came within {self.idle_timeout:g} s"
        elif isinstance(cause, Exception):
            what = f"no answer came back ({type(cause).__name__})"
        else:
            what = f"the relay answered {cause}"
        code = None
        if response is not None:
            message, code = error_details(response)
            what += f": {message}"
        named = f" It named task {task_id}." if task_id else ""
        text = (
            f"The create request reached the relay, but {what}.{named} The relay may have started "
            "the task and may charge for it, so it was not sent again. Check the relay's dashboard "
            "(task or usage log) for this prompt before submitting again."
        )
        return VeoTaskUncertainError(
            redact(text, self.secret),
            status_code=response.status_code if response is not None else None,
            code=code,
            task_id=task_id,
        )

    def _checked(self, response: httpx.Response, *, task_id: str | None = None) -> httpx.Response:
        if response.status_code >= 400:
            raise self.error(response, task_id=task_id)
        return response

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


_install_retry_hook()


async def with_idle_timeout(items: AsyncIterator[T], seconds: float) -> AsyncIterator[T]:
    """Yield from ``items``; raise ``StreamIdleError`` when nothing arrives for ``seconds``."""
    iterator = items.__aiter__()
    while True:
        try:
            item = await asyncio.wait_for(iterator.__anext__(), seconds)
        except StopAsyncIteration:
            return
        except asyncio.TimeoutError as exc:
            raise StreamIdleError(f"the stream sent nothing for {seconds:g} s") from exc
        yield item
