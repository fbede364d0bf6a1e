"""One refresh loop for every live job view, and the message budget each view keeps.

Every changed widget trait is one comm message, and a kernel drops iopub traffic past about 1000
messages a second, so views are redrawn here, on one timer on the background loop, and only
where something changed:

* each tick (``TICK`` seconds) redraws every view whose job said something new;
* a view whose only change is its elapsed clock is redrawn in turn, at most
  ``CLOCKS_PER_TICK`` views a tick, so many idle views cost a bounded number of messages;
* a view never sends more than ``MAX_MESSAGES`` in any second; ``FINAL_MESSAGES`` of those are
  kept for its final state, which the view sends at once when its job ends (not from here).

The clock is injected, so the budget can be tested without sleeping.
"""

from __future__ import annotations

import collections
import enum
import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from .._loop import background_loop

__all__ = [
    "FINAL_MESSAGES",
    "MAX_MESSAGES",
    "TICK",
    "Budget",
    "Redraw",
    "Refresher",
    "refresher",
]

log = logging.getLogger(__name__)

MAX_MESSAGES = 10  # widget messages a view sends in any one second, its final state included
FINAL_MESSAGES = 4  # kept for the final state: a message per part (header, bar, text, Cancel)
WINDOW = 1.25  # seconds the budget counts over: one, plus a margin for delivery jitter
TICK = 0.4  # seconds between redraws
CLOCKS_PER_TICK = 6  # views redrawn a tick for their elapsed clock alone (15 a second)


class Budget:
    """When a view may send: ``MAX_MESSAGES`` a ``WINDOW``, ``FINAL_MESSAGES`` kept back."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._sent: collections.deque[float] = collections.deque()

    def allows(self, count: int) -> bool:
        """Whether ``count`` more messages fit now, leaving room for the final state."""
        return count <= self.room()

    def room(self) -> int:
        """How many more messages fit now, leaving room for the final state."""
        now = self._clock()
        while self._sent and self._sent[0] <= now - WINDOW:
            self._sent.popleft()
        return max(0, MAX_MESSAGES - FINAL_MESSAGES - len(self._sent))

    def spend(self, count: int) -> None:
        now = self._clock()
        self._sent.extend([now] * count)


class Redraw(enum.Enum):
    """What one redraw did."""

    NOTHING = "nothing"  # nothing changed, or it had to wait for its budget
    CLOCK = "clock"  # only the elapsed clock moved, and was sent
    NEWS = "news"  # the job said something new, and it was sent
    FINISHED = "finished"  # the view has shown its final state: no more redraws


class Redrawable(Protocol):
    def redraw(self, *, clock_ok: bool) -> Redraw:
        """Send what changed (a clock-only change only when ``clock_ok``)."""
        ...


class Refresher:
    """The one timer that redraws every live view (``add`` it; it leaves once it says so)."""

    def __init__(self, *, tick: float = TICK, start: bool = True) -> None:
        self.tick = tick
        self._start = start
        self._lock = threading.Lock()
        self._views: list[Redrawable] = []
        self._turn = 0  # where the round of clock-only redraws goes on
        self._armed = False

    def __len__(self) -> int:
        return len(self._views)

    def add(self, view: Redrawable) -> None:
        with self._lock:
            if any(v is view for v in self._views):
                return
            self._views.append(view)
            if self._armed or not self._start:
                return
            self._armed = True
        loop = background_loop()
        try:
            loop.call_soon_threadsafe(loop.call_later, self.tick, self._fire)
        except RuntimeError:  # the loop closes with the process: nothing to show
            with self._lock:
                self._armed = False

    def discard(self, view: Redrawable) -> None:
        with self._lock:
            self._views = [v for v in self._views if v is not view]

    def clear(self) -> None:
        with self._lock:
            self._views.clear()

    def redraw_all(self) -> None:
        """One tick's work: every view with news, and the next few whose clock alone moved."""
        with self._lock:
            views = list(self._views)
            start = self._turn % len(views) if views else 0
        clocks = 0
        finished = []
        for offset in range(len(views)):
            view = views[(start + offset) % len(views)]
            try:
                done = view.redraw(clock_ok=clocks < CLOCKS_PER_TICK)
            except Exception:  # a broken view must not stop the others
                log.exception("veo_magic: a job view could not be redrawn")
                done = Redraw.FINISHED
            if done is Redraw.CLOCK:
                clocks += 1
            elif done is Redraw.FINISHED:
                finished.append(view)
        with self._lock:
            self._turn = start + clocks
            self._views = [v for v in self._views if not any(v is f for f in finished)]

    def _fire(self) -> None:
        """On the loop: one tick, then the next while any view is left."""
        self.redraw_all()
        with self._lock:
            if not self._views:
                self._armed = False
                return
        background_loop().call_later(self.tick, self._fire)


_refresher: Refresher | None = None
_refresher_lock = threading.Lock()


def refresher() -> Refresher:
    """The process's refresh loop."""
    global _refresher
    with _refresher_lock:
        if _refresher is None:
            _refresher = Refresher()
        return _refresher
