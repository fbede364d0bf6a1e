"""LiveView: what the job view and the storyboard timeline share as live widgets.

A live view draws a pure function of its model (a ``Job``, a ``Storyboard``) into its parts and
sends only the traits that differ. It is on the shared refresh loop (``refresh.py``) until its
model ends; then it sends its final state at once, outside the budget (``FINAL_MESSAGES`` are
kept for it), leaves the loop, and calls back whoever replaces its output with static HTML
(``when_final``). Where it is displayed, it carries a plain stand-in for viewers without a live
widget. Every message is sent from a fresh ``contextvars`` context (see ``job_view.py``).

A subclass says what it shows (``_state``), which widget shows each part (``_parts``), how a
redraw spends the budget (``_redraw``), its own widgets (``_own_widgets``) and its stand-in.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Any, ClassVar

import ipywidgets as widgets
from ipywidgets.widgets.widget_int import ProgressStyle
from ipywidgets.widgets.widget_string import HTMLStyle

from .refresh import Budget, Redraw, Refresher, refresher

__all__ = ["Changes", "LiveView", "shared_model"]

Changes = list[tuple[widgets.Widget, dict[str, Any]]]  # a widget and the traits it must change

# The Layout/Style models every view of every kind uses when it asks for nothing special.
_DEFAULT_MODELS: dict[str, Callable[[], Any]] = {
    "layout": widgets.Layout,
    "html_style": HTMLStyle,
    "bar_style": ProgressStyle,
    "button_style": widgets.ButtonStyle,
}
_models: dict[str, Any] = {}


def shared_model(name: str, factory: Callable[[], Any] | None = None) -> Any:
    """One Layout/Style model shared by every view, so a saved notebook holds it once (a headless
    run keeps the state of every widget it ever saw). ``factory`` makes it the first time; the
    names in ``_DEFAULT_MODELS`` need none."""
    if name not in _models:
        _models[name] = (factory or _DEFAULT_MODELS[name])()
    return _models[name]


class LiveView(widgets.VBox):
    """A widget redrawn from its model by the refresh loop, within a budget, until it ends."""

    # Whether the final state is sent even when ``when_final``'s callback will replace the output
    # (a job view may stay where it is, in a form inside another widget).
    final_state_when_replaced: ClassVar[bool] = True

    def __init__(
        self,
        children: list[widgets.Widget],
        *,
        clock: Callable[[], float],
        budget: Budget | None,
        loop: Refresher | None,
    ) -> None:
        self._clock = clock
        self._budget = budget or Budget()
        self._refresher = loop if loop is not None else refresher()
        self._lock = threading.RLock()
        self._finished = False
        self._on_final: Callable[[Any], None] | None = None
        self._remove_listener: Callable[[], None] = lambda: None  # the listener may fire at once
        self.renders = 0  # how many times state was pushed (for tests and curiosity)
        super().__init__(children, layout=shared_model("layout"))

    # -- what a subclass says ------------------------------------------------------------------

    def _state(self, now: float) -> Any:
        """What every part shows at time ``now``."""
        raise NotImplementedError

    def _parts(self, state: Any) -> Changes:
        """Each widget with the traits ``state`` wants it to show."""
        raise NotImplementedError

    def _redraw(self, clock_ok: bool) -> Redraw:
        """One redraw, under the lock, of a view that has not ended."""
        raise NotImplementedError

    def _own_widgets(self) -> list[widgets.Widget]:
        """The widgets ``close_parts`` closes (never the shared layouts and styles)."""
        raise NotImplementedError

    def _standin(self) -> dict[str, str]:
        """What a viewer without the live widget shows."""
        raise NotImplementedError

    # -- drawing -------------------------------------------------------------------------------

    def _changes(self, state: Any) -> Changes:
        """Each part whose state differs from what it shows, with the traits that differ."""
        changes = []
        for widget, wanted in self._parts(state):
            changed = {k: v for k, v in wanted.items() if getattr(widget, k) != v}
            if changed:
                changes.append((widget, changed))
        return changes

    def _send(self, changes: Changes, *, spend: bool = False) -> None:
        """Set the traits: one comm message per widget (counted against the budget if ``spend``)."""
        self.renders += 1
        for widget, changed in changes:
            with widget.hold_sync():
                for name, value in changed.items():
                    setattr(widget, name, value)
        if spend:
            self._budget.spend(len(changes))

    def _send_now(self) -> None:
        """What changed, at once and outside the budget (the user's own click, a new model)."""
        with self._lock:
            self._send(self._changes(self._state(self._clock())))

    def redraw(self, *, clock_ok: bool = True) -> Redraw:
        """The refresh loop's call: send what changed, within the budget."""
        return contextvars.Context().run(self._redraw_live, clock_ok)

    def _redraw_live(self, clock_ok: bool) -> Redraw:
        with self._lock:
            if self._finished or self.comm is None:
                return Redraw.FINISHED  # ended, or closed
            return self._redraw(clock_ok)

    # -- its life ------------------------------------------------------------------------------

    def _follow(self, *, done: bool) -> None:
        """End now if the model has ended, else join the refresh loop."""
        if done:
            self._final()
        else:
            self._refresher.add(self)

    def when_final(self, callback: Callable[[Any], None]) -> None:
        """Call ``callback(view)`` once the model has ended (at once if it has)."""
        with self._lock:
            if not self._finished:
                self._on_final = callback
                return
        callback(self)

    def _final(self) -> None:
        """The final state, at once (the budget keeps room for it); then no more redraws."""
        with self._lock:
            if self._finished:
                return
            self._finished = True
            if self._on_final is None or self.final_state_when_replaced:
                self._send(self._changes(self._state(self._clock())), spend=True)
        self._refresher.discard(self)
        self._remove_listener()
        if self._on_final is not None:
            self._on_final(self)

    def close(self) -> None:
        self._refresher.discard(self)
        self._remove_listener()
        super().close()

    def close_parts(self) -> None:
        """Close the view and every widget of its own (not the shared layouts and styles)."""
        self._refresher.discard(self)
        for widget in (*self._own_widgets(), *self.children):
            widget.close()
        self.close()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The widget, with a stand-in for viewers that cannot show it."""
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        return {**bundle, **self._standin()}
