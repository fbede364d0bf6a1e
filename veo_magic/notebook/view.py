"""JobView: the widget that shows one job. It listens to the Job; it never drives it.

Threads: the job calls its listeners on the background loop's thread. Setting widget traits
there is fine (ipykernel sends comm messages from any thread), but printing or ``display`` there
is not, so clips go through a ``ClipArea`` (a display handle made in the cell, or an ``Output``
widget's outputs). Updates are throttled to ``MAX_RATE`` a second; the final state always goes out.
"""

from __future__ import annotations

import contextlib
import html
import threading
import time
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
from ipywidgets.widgets.widget_int import ProgressStyle
from ipywidgets.widgets.widget_string import HTMLStyle

from .._events import Completed
from .._runner import background_loop
from .display import ClipArea, clip_html

if TYPE_CHECKING:
    from .._events import Event
    from .._job import Job

__all__ = ["MAX_RATE", "JobView", "show_job"]

MAX_RATE = 10.0  # widget updates per second per job
PUBLISH_TIMEOUT = 60.0  # seconds a waiting cell waits for another thread to publish the clips
TICK = 1.0  # seconds between elapsed-time refreshes while nothing else happens
ERROR_COLOR = "var(--jp-error-color1, #c62828)"
MUTED = "opacity:.75"

_shared: dict[str, Any] = {}


def _shared_widget(name: str, factory: Any) -> Any:
    """One Layout/Style model shared by every view, so a saved notebook holds it once."""
    if name not in _shared:
        _shared[name] = factory()
    return _shared[name]


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(max(0.0, seconds)), 60)
    return f"{minutes}:{secs:02d}"


def _resume_hint(job: Job) -> str:
    if job.task_id:
        task = html.escape(job.task_id)
        return (
            f"<div>Relay task <code>{task}</code>. To follow it again: "
            f"<code>%veo resume {task}</code></div>"
        )
    return (
        "<div>The relay gave no task id, so there is nothing to resume; run the cell again.</div>"
    )


class JobView(widgets.VBox):
    """Prompt, model and cost; progress with elapsed time; the relay's message; Cancel; the clips.

    ``JobView(job)`` puts its clips in an ``Output`` widget of its own (for callbacks, such as the
    form); ``show_job(job)`` in a cell uses a display handle instead, which outlives the kernel.
    """

    def __init__(
        self,
        job: Job | None = None,
        *,
        label: str = "",
        embed: bool = False,
        clips: ClipArea | None = None,
        slot: int = 0,
        waiting_text: str = "waiting for a free slot",
    ) -> None:
        self.job: Job | None = None
        self.label = label
        self.embed = embed
        self._slot = slot
        self._waiting_text = waiting_text
        self._lock = threading.RLock()
        self._last_render = 0.0
        self._flush_pending = False
        self._finished = False
        self._published = threading.Event()
        self._not_started = False
        self._remove_listener: Any = None
        self.renders = 0  # how many times state was pushed (for tests and curiosity)
        shared_layout = _shared_widget("layout", widgets.Layout)
        html_style = _shared_widget("html_style", HTMLStyle)
        self.header = widgets.HTML(layout=shared_layout, style=html_style)
        self.bar = widgets.IntProgress(
            min=0,
            max=100,
            layout=_shared_widget(
                "bar_layout", lambda: widgets.Layout(width="50%", min_width="100px")
            ),
            style=_shared_widget("bar_style", ProgressStyle),
        )
        self.status = widgets.HTML(
            layout=_shared_widget(
                "status_layout", lambda: widgets.Layout(flex="1 1 auto", margin="0 8px")
            ),
            style=html_style,
        )
        self.cancel_button = widgets.Button(
            description="Cancel",
            tooltip="Stop following this job (the relay may still finish it)",
            layout=_shared_widget(
                "button_layout", lambda: widgets.Layout(width="auto", flex="0 0 auto")
            ),
            style=_shared_widget("button_style", widgets.ButtonStyle),
        )
        self.cancel_button.on_click(self._on_cancel)
        self.detail = widgets.HTML(layout=shared_layout, style=html_style)
        row = widgets.HBox(
            [self.bar, self.status, self.cancel_button],
            layout=_shared_widget("row_layout", lambda: widgets.Layout(align_items="center")),
        )
        children: list[widgets.Widget] = [self.header, row, self.detail]
        if clips is None:
            out = widgets.Output()
            clips = ClipArea(lambda body: _set_output(out, body))
            children.append(out)
        self.clips = clips
        super().__init__(children, layout=shared_layout)
        if job is not None:
            self.attach(job)
        else:
            self._render()

    # -- wiring --------------------------------------------------------------------------------

    def attach(self, job: Job) -> None:
        """Start showing ``job`` (a gallery's views wait for a free slot before they get one)."""
        with self._lock:
            self.job = job
            self._remove_listener = job.add_listener(self._on_event)
        self._render()
        if job.done():
            self.finish()
        else:
            self._schedule(TICK, tick=True)

    def not_started(self, reason: str) -> None:
        """Show why this view will get no job (a gallery variant that could not start)."""
        with self._lock:
            self._waiting_text = reason
            self._not_started = True
        self._render()

    def detach(self) -> None:
        """Stop listening (the job goes on)."""
        if self._remove_listener is not None:
            self._remove_listener()

    def _on_event(self, event: Event) -> None:
        """The job's listener: runs on the background loop's thread."""
        if isinstance(event, Completed):
            # Here, not on another thread: this listener runs before the one that wakes
            # `await job`, so an awaiting cell is still running when the clip is published.
            self.finish()
        else:
            self._request_render()

    def _on_cancel(self, _button: object) -> None:
        if self.job is not None and self.job.cancel():
            self.cancel_button.description = "Cancelling…"
            self.cancel_button.disabled = True

    # -- throttle ------------------------------------------------------------------------------

    def _request_render(self) -> None:
        """Render now if the last render is old enough, else once at the end of the interval."""
        with self._lock:
            wait = self._last_render + 1.0 / MAX_RATE - time.monotonic()
            if wait <= 0:
                self._render()
            elif not self._flush_pending:
                self._flush_pending = True
                self._schedule(wait)

    def _schedule(self, delay: float, *, tick: bool = False) -> None:
        loop = background_loop()

        def fire() -> None:
            if tick:
                alive = self.comm is not None  # a closed view stops ticking
                if alive and self.job is not None and not self.job.done() and not self._finished:
                    self._request_render()
                    loop.call_later(TICK, fire)
                return
            with self._lock:
                self._flush_pending = False
            if not self._finished:
                self._render()

        def arm() -> None:
            loop.call_later(delay, fire)

        with contextlib.suppress(RuntimeError):  # the loop closes with the process: nothing to show
            loop.call_soon_threadsafe(arm)

    # -- state ---------------------------------------------------------------------------------

    def _render(self) -> None:
        """Push the job's state to the widgets, only the traits that changed."""
        with self._lock:
            self._last_render = time.monotonic()
            self.renders += 1
            for widget, traits in self._state().items():
                changed = {k: v for k, v in traits.items() if getattr(widget, k) != v}
                if changed:
                    with widget.hold_sync():
                        for name, value in changed.items():
                            setattr(widget, name, value)

    def _state(self) -> dict[widgets.Widget, dict[str, Any]]:
        job = self.job
        if job is None:
            return {
                self.header: {"value": self._header_html(None)},
                self.bar: {"value": 0, "bar_style": ""},
                self.status: {
                    "value": f'<span style="color:{ERROR_COLOR}">{html.escape(self._waiting_text)}</span>'
                    if self._not_started
                    else html.escape(self._waiting_text)
                },
                self.cancel_button: {"disabled": True},
                self.detail: {"value": ""},
            }
        status = job.status
        percent = int(job.progress)
        bar_style = {"succeeded": "success", "failed": "danger", "cancelled": "warning"}.get(
            status, ""
        )
        line = (
            f'<span style="white-space:nowrap"><b>{percent}%</b> · {_clock(job.elapsed)} · '
            f"{html.escape(status)}</span>"
        )
        cancel: dict[str, Any] = {"disabled": job.done()}
        if job.done():
            cancel["description"] = "Cancel"
        return {
            self.header: {"value": self._header_html(job)},
            self.bar: {"value": percent, "bar_style": bar_style},
            self.status: {"value": line},
            self.cancel_button: cancel,
            self.detail: {"value": self._detail_html(job)},
        }

    def _header_html(self, job: Job | None) -> str:
        parts: list[str] = []
        if self.label:
            parts.append(f"<b>{html.escape(self.label)}</b>")
        if job is None:
            return " · ".join(parts)
        record = job.record
        if job.simulated:
            parts.append(
                '<span style="background:#6a1b9a;color:#fff;border-radius:3px;padding:0 4px" '
                'title="made by the built-in simulator">simulated</span>'
            )
        if job.model:
            parts.append(f"<code>{html.escape(job.model)}</code>")
        parts.append(html.escape(str(record.get("orientation") or "portrait")))
        if record.get("seconds"):
            parts.append(f"{html.escape(str(record['seconds']))} s")
        n = record.get("n") or 1
        if str(n) != "1":
            parts.append(f"{html.escape(str(n))} clips")
        parts.append(f"≈ ${job.estimated_cost:.2f}")
        parts.append(f'<span style="{MUTED}">job {html.escape(job.id)}</span>')
        prompt = job.prompt or (f"(resumed task {job.task_id})" if job.task_id else "")
        return (
            f"<div>{' · '.join(parts)}</div>"
            f'<div style="white-space:pre-wrap;max-height:8em;overflow:auto">{html.escape(prompt)}</div>'
        )

    def _detail_html(self, job: Job) -> str:
        if job.status == "failed":
            return (
                f'<div style="color:{ERROR_COLOR}"><b>Failed:</b> '
                f"{html.escape(job.error or 'the generation failed')}</div>{_resume_hint(job)}"
            )
        if job.status == "cancelled":
            return (
                "<div><b>Cancelled.</b> Stopped following it here; the relay may still finish "
                f"(and charge) the task.</div>{_resume_hint(job) if job.task_id else ''}"
            )
        if job.status == "succeeded":
            count = len(job.videos)
            return f'<div style="{MUTED}">Done in {_clock(job.elapsed)}: {count} clip{"s" if count != 1 else ""} saved.</div>'
        message = (job.message or "").strip()
        if len(message) > 300:
            message = message[:299] + "…"
        return (
            f'<div style="{MUTED};white-space:pre-wrap">{html.escape(message)}</div>'
            if message
            else ""
        )

    # -- the end -------------------------------------------------------------------------------

    def finish(self) -> None:
        """Send the final state and show the clips: once, from whichever thread gets here first.

        The job's ``Completed`` listener calls it (the poster frame takes ~50 ms of ffmpeg); a cell
        that waited with ``job.wait()`` calls it too, since ``wait`` can return before listeners
        run, so the final state goes out while the cell still runs (headless runners record only
        the running cell's messages).
        """
        job = self.job
        if job is None or not job.done():
            return
        with self._lock:
            self._render()
            first = not self._finished
            self._finished = True
        if not first:  # another thread is publishing the clips: return once it has
            self._published.wait(PUBLISH_TIMEOUT)
            return
        self.detach()
        try:
            bodies = []
            for path in job.videos:
                try:
                    bodies.append(clip_html(path, embed=self.embed))
                except OSError as exc:
                    bodies.append(
                        f'<div style="color:{ERROR_COLOR}">Cannot show {html.escape(str(path))}: '
                        f"{html.escape(str(exc))}</div>"
                    )
            if bodies:
                plain = "\n".join(str(path) for path in job.videos)
                self.clips.set(self._slot, "".join(bodies), self.label, plain)
        finally:
            self._published.set()

    def resend(self) -> None:
        """Send every part's full state again (after a wait, for headless runners)."""
        for widget in (self.header, self.bar, self.status, self.cancel_button, self.detail):
            widget.send_state()

    def __repr__(self) -> str:
        job = self.job
        if job is None:
            return f"<veo_magic JobView {self.label or ''} waiting>"
        return f"<veo_magic JobView job={job.id} {job.status} {job.progress:.0f}%>"


def _set_output(out: widgets.Output, bundle: dict[str, str]) -> None:
    out.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)


def show_job(job: Job, *, embed: bool = False) -> JobView:
    """Display ``job``'s view in the running cell, with its clips in a display handle below."""
    from IPython.display import display

    from .display import handle_sink

    clips = ClipArea()
    view = JobView(job, embed=embed, clips=clips)
    display(view)
    clips.attach(handle_sink())
    return view
