"""What happens to a job, as frozen events.

Protocol adapters yield ``Submitted``, ``Progress``, ``VideoReady`` and ``Failed``; the runner
adds ``Retrying``, ``Downloaded`` and ``Completed``, and the ``Job`` hands every event to its
listeners (views, the terminal bar). Events carry plain data only, never the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

__all__ = [
    "Completed",
    "Downloaded",
    "Event",
    "Failed",
    "JobListener",
    "Noted",
    "Progress",
    "Retrying",
    "Submitted",
    "VideoReady",
]

Phase = Literal["queued", "running"]


@dataclass(frozen=True, slots=True)
class Submitted:
    """The relay accepted the request. ``task_id`` is its id exactly as sent (None if it gave none)."""

    task_id: str | None
    model: str | None = None  # the model the relay echoed back, which may differ from the one sent


@dataclass(frozen=True, slots=True)
class Progress:
    """The relay reported progress. ``percent`` is 0..100 or None when the relay gave no number."""

    percent: float | None
    phase: Phase = "running"
    message: str | None = None  # the relay's own words, as plain text (never HTML)
    task_id: str | None = None  # set when the id only becomes known mid-way


@dataclass(frozen=True, slots=True)
class Retrying:
    """A request to the relay failed in a way worth another try, and will be sent again:
    ``message`` says why and when (``relay busy (HTTP 429), retrying in 4 s (2/7)``). None: the
    retried request went through."""

    message: str | None


@dataclass(frozen=True, slots=True)
class Noted:
    """Something the adapter decided for the user while sending, for the job's notes (a stateless
    edit when Google no longer knows the parent's interaction)."""

    note: str


@dataclass(frozen=True, slots=True)
class VideoReady:
    """Clip ``index`` can be fetched from ``url``; ``authenticated`` means send the key with it.

    ``path``: the clip is already on disk there (a clip that came inline in the answer, decoded
    as it arrived); the runner moves it into place instead of fetching ``url`` (where it came
    from, for the sidecar)."""

    index: int
    url: str
    authenticated: bool = False
    path: Path | None = None


@dataclass(frozen=True, slots=True)
class Failed:
    """The generation failed or was refused; ``message`` quotes the relay where it said why.

    ``may_charge``: the relay may still run (and bill) it, though it cannot be followed (a chat
    stream that broke off with no task id).
    """

    message: str
    task_id: str | None = None
    code: str | None = None
    may_charge: bool = False


@dataclass(frozen=True, slots=True)
class Downloaded:
    """Clip ``index`` is on disk at ``path``, verified as an MP4, with its poster frame (None
    where no ffmpeg could make one) and its sidecar beside it."""

    index: int
    path: Path
    url: str
    size: int
    poster: Path | None = None


@dataclass(frozen=True, slots=True)
class Completed:
    """The job reached a terminal status: succeeded, failed or cancelled."""

    status: Literal["succeeded", "failed", "cancelled"]
    error: str | None = None


Event = Submitted | Progress | Retrying | Noted | VideoReady | Failed | Downloaded | Completed


class JobListener(Protocol):
    """Anything called with each event of a job, on the job's worker thread."""

    def __call__(self, event: Event, /) -> None: ...
