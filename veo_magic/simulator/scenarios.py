"""Named scenarios: refusals and faults the simulator plays on purpose.

A scenario is data: which fault (from a small vocabulary) it injects at which point of a task's
life. Select one server-wide (``Simulator(scenario=…)``, ``set_scenario``, ``--scenario``,
``POST /__sim__/scenario``) or per request with a tag in the prompt, ``[[sim:refuse]]``; a tag may
also name dialects, ``[[sim:refuse,fullwidth]]``. Tags are stripped from the text drawn on frames.

A task keeps the scenario it was created under, so switching the server-wide scenario later does
not change tasks already running. Adding a scenario is one ``Scenario(...)`` entry in ``_ALL``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .dialects import is_dialect

__all__ = [
    "SCENARIOS",
    "Corrupt",
    "ExpireUrl",
    "Hang",
    "Redirect",
    "Reject",
    "Scenario",
    "Truncate",
    "get_scenario",
    "parse_tags",
]


# The words Google's RAI filter uses for a video it withheld (DaWe35/image-router#41).
RAI_FILTERED = (
    "Veo could not generate 1 videos because they violated Google's Responsible AI practices. "
    "Support codes: 42237218"
)


@dataclass(frozen=True)
class Reject:
    """Answer with ``errors.relay_error(kind)`` instead of doing the work (the first ``times``
    requests only, when set)."""

    kind: str
    times: int | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class Hang:
    """Hold the request for the simulator's ``hang_seconds`` (or until shutdown), then answer."""

    times: int | None = None


@dataclass(frozen=True)
class Truncate:
    """Send half of the bytes promised by Content-Length, then drop the connection."""

    times: int | None = 1


@dataclass(frozen=True)
class ExpireUrl:
    """Answer 403 for a result URL and give the task fresh URLs (the old ones stay dead)."""

    times: int | None = 1


@dataclass(frozen=True)
class Redirect:
    """Answer a download with a 302: to this server under another host name (``localhost``, so
    a client must drop the key), or to a ``file://`` / ``ftp://`` location it must refuse."""

    to: Literal["other_host", "file", "ftp"]
    times: int | None = 1


@dataclass(frozen=True)
class Corrupt:
    """Answer a download 200 with the wrong body: a login page (``text/html``), or bytes that
    claim to be ``video/mp4`` but have no ``ftyp`` box."""

    kind: Literal["html", "no_ftyp"]
    times: int | None = None


Fault = Reject | Hang | Truncate | ExpireUrl | Redirect | Corrupt
Outcome = Literal["video", "refused", "no_video"]


@dataclass(frozen=True)
class Scenario:
    """What goes wrong, and where. Every field left at its default means "works normally"."""

    name: str
    description: str
    outcome: Outcome = "video"
    # Every authenticated /v1 request while server-wide; only the create when given as a tag.
    on_request: Reject | None = None
    on_create: Reject | None = None  # a create, before any task exists (so nothing is charged)
    after_accept: Reject | Hang | None = None  # a create, after its task exists (charged)
    on_poll: Reject | Hang | None = None  # GET /v1/videos/{id}, GET /v1/video/query
    on_download: Reject | Truncate | ExpireUrl | Redirect | Corrupt | None = None  # /content, URLs
    no_video_reason: str | None = None  # why a ``no_video`` task has none, said in every view
    stream: Literal["cut", "idle"] | None = None  # chat stream, once progress passes 40 %
    malformed: bool = False  # garbage SSE lines, choice-less chunks, unknown status words
    unknown_task: Literal["openai", "task_error"] = "openai"  # body for an id nobody created
    clock_scale: float = 1.0  # multiplies the simulator's generation_seconds for this task
    link_gap: float = 0.0  # chat: seconds the stream goes on after each video link
    # The generation fails at 30 % with this error (every protocol shows it as a failed task).
    fails_with: str | None = None
    # Interactions only: the status a finished interaction ends in instead of ``completed``
    # (its create is then accepted, not refused as other protocols refuse it).
    interactions_end: Literal["incomplete", "budget_exceeded"] | None = None
    delivery: Literal["uri"] | None = None  # Interactions: the clip as a Files API uri, always
    sells: tuple[str, ...] | None = None  # while server-wide: what every model list names


_ALL = (
    Scenario("normal", "everything works"),
    Scenario(
        "slow",
        "generation takes 5x the simulator's generation_seconds (long progress bars)",
        clock_scale=5.0,
    ),
    Scenario(
        "stuck",
        "the task never ends by itself (a day per clip): only a cancel stops it",
        clock_scale=86_400.0,
    ),
    Scenario(
        "refuse",
        "content policy: the task fails with Google's unsafe-prompt message",
        outcome="refused",
    ),
    Scenario(
        "auth",
        "401 new_api_error 无效的令牌 (server-wide: every /v1 request)",
        on_request=Reject("auth"),
    ),
    Scenario("quota", "403 insufficient_user_quota on create", on_create=Reject("quota")),
    Scenario(
        "budget_exceeded",
        "422 budget_exceeded on create: LiteLLM's proxy when a key's budget (kept in its "
        "database) is spent",
        on_create=Reject("budget_exceeded"),
        interactions_end="budget_exceeded",
    ),
    Scenario(
        "failed",
        "the generation fails at 30 %: an interaction ends `failed` with `errors`, a task fails",
        fails_with="Video generation failed due to an internal error. Please try again.",
    ),
    Scenario(
        "incomplete",
        "an interaction ends `incomplete` with no video (other protocols: completes, no video)",
        outcome="no_video",
        interactions_end="incomplete",
    ),
    Scenario(
        "forgotten",
        "Google no longer knows an edit's previous interaction (retention, store off): the "
        "create answers 404 NOT_FOUND for it",
    ),
    Scenario(
        "uri_delivery",
        "an interaction's clip comes back as a Files API uri whatever delivery was asked",
        delivery="uri",
    ),
    Scenario(
        "no_channel",
        "503 model_not_found 'No available channel for model M under group default' on create: "
        "new-api when no channel sells the model (its relay stopped selling it)",
        on_create=Reject("no_channel"),
    ),
    Scenario(
        "rate_limit",
        "429 当前分组上游负载已饱和 with Retry-After: 1 on the first 2 creates",
        on_create=Reject("rate_limit", times=2, retry_after=1),
    ),
    Scenario(
        "server_error_after_accept",
        "the task is created (and charged), then the create answers 500/502",
        after_accept=Reject("upstream_failed"),
    ),
    Scenario(
        "create_timeout",
        "the task is created, then the create answer is held past any client timeout",
        after_accept=Hang(),
    ),
    Scenario(
        "poll_503",
        "the first 3 polls of a task answer 503 with Retry-After: 1",
        on_poll=Reject("unavailable", times=3, retry_after=1),
    ),
    Scenario(
        "poll_slow", "the first poll of a task hangs (a client read timeout)", on_poll=Hang(times=1)
    ),
    Scenario(
        "stream_cut",
        "the chat stream is dropped after 40 %; the task itself carries on",
        stream="cut",
    ),
    Scenario(
        "stream_idle", "the chat stream goes silent after 40 % without closing", stream="idle"
    ),
    Scenario(
        "slow_links",
        "the chat stream sends each video link, then goes on for 1 s before the next or the end",
        link_gap=1.0,
    ),
    Scenario(
        "malformed",
        "garbage data: lines, chunks without choices, unknown status words (warming_up)",
        malformed=True,
    ),
    Scenario(
        "truncated_download",
        "the first download of a task is cut after half its bytes; Range resumes",
        on_download=Truncate(),
    ),
    Scenario(
        "content_404_then_200",
        "the first download of a task answers 404, later ones work",
        on_download=Reject("content_missing", times=1),
    ),
    Scenario(
        "url_expired",
        "the first GET of a result URL answers 403; re-querying gives a fresh URL",
        on_download=ExpireUrl(),
    ),
    Scenario(
        "completed_no_video",
        "the task completes with no URL anywhere and /content 404 (safety filter)",
        outcome="no_video",
    ),
    Scenario(
        "filtered",
        "the task completes with no video and says why (a relay passing on Google's RAI filter)",
        outcome="no_video",
        no_video_reason=RAI_FILTERED,
    ),
    Scenario(
        "litellm_filtered",
        "every poll answers LiteLLM 1.108.7's 500 for a Gemini operation Google's filter left "
        "without samples (raiMediaFilteredCount in its text)",
        on_poll=Reject("litellm_withheld"),
    ),
    Scenario(
        "sells_no_video",
        "a relay (or Google project) that sells no video model: its model lists name two text "
        "models only, and a create answers new-api's 503 no channel",
        on_create=Reject("no_channel"),
        sells=("gpt-4o-mini", "gemini-2.5-flash"),
    ),
    Scenario(
        "busy_then_ok",
        "503 upstream unavailable on the first 2 creates (no task made), then accepted",
        on_create=Reject("unavailable", times=2, retry_after=0),
    ),
    Scenario(
        "redirect_other_host",
        "the first download of a task is redirected to this server as http://localhost:PORT "
        "(another host: the key must not follow)",
        on_download=Redirect("other_host"),
    ),
    Scenario(
        "redirect_file",
        "downloads redirect to file:///etc/passwd",
        on_download=Redirect("file", times=None),
    ),
    Scenario(
        "redirect_ftp", "downloads redirect to ftp://", on_download=Redirect("ftp", times=None)
    ),
    Scenario(
        "html_download",
        "downloads answer 200 text/html (a login page) instead of the clip",
        on_download=Corrupt("html"),
    ),
    Scenario(
        "not_mp4",
        "downloads answer 200 video/mp4 whose bytes have no ftyp box",
        on_download=Corrupt("no_ftyp"),
    ),
    Scenario(
        "retired",
        "404 'This model models/… is no longer available' on create: Google's answer for a "
        "retired model (the Veo 3.1 previews since 2026-10-22), or a relay passing it on",
        on_create=Reject("retired"),
    ),
    Scenario(
        "task_error_shape",
        "an unknown task id answers new-api's 400 task_not_exist body",
        unknown_task="task_error",
    ),
)

_BY_NAME: dict[str, Scenario] = {s.name: s for s in _ALL}
SCENARIOS: dict[str, str] = {s.name: s.description for s in _ALL}
NORMAL = _BY_NAME["normal"]

_TAG = re.compile(r"\s*\[\[sim:([^\]]*)\]\]")


def get_scenario(name: str | None) -> Scenario:
    """The scenario called ``name`` (``None`` or ``""`` means ``normal``)."""
    if not name:
        return NORMAL
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; known: {', '.join(_BY_NAME)}") from None


@dataclass(frozen=True)
class Tags:
    """What the ``[[sim:…]]`` tags of one prompt asked for."""

    text: str  # the prompt without its tags
    scenario: str | None
    dialects: str | None  # comma-separated dialect names


def parse_tags(prompt: str) -> Tags:
    """Split ``[[sim:NAME,…]]`` tags off ``prompt``; each name is a scenario or a dialect.

    >>> parse_tags("a cat [[sim:refuse,fullwidth]]")
    Tags(text='a cat', scenario='refuse', dialects='fullwidth')
    """
    scenario: str | None = None
    dialects: list[str] = []
    for match in _TAG.finditer(prompt):
        for name in (part.strip() for part in match.group(1).split(",")):
            if not name:
                continue
            if name in _BY_NAME:
                if scenario is not None and scenario != name:
                    raise ValueError(
                        f"two simulator scenarios in one prompt: {scenario!r} and {name!r}"
                    )
                scenario = name
            elif is_dialect(name):
                dialects.append(name)
            else:
                raise ValueError(
                    f"unknown simulator tag {name!r}; scenarios: {', '.join(_BY_NAME)}; "
                    "dialects: see `python -m veo_magic.simulator --help`"
                )
    text = _TAG.sub("", prompt).strip()
    return Tags(text=text, scenario=scenario, dialects=",".join(dialects) or None)
