"""JobView: the widget that shows one job. It listens to the Job; it never drives it.

Threads: the job calls its listeners on the background loop's thread. Setting widget traits
there is fine (ipykernel sends comm messages from any thread), but printing or ``display`` there
is not, so clips go through a ``ClipArea`` (a display handle made in the cell, or an ``Output``
widget's outputs).

Budget: every changed widget is one comm message, so updates are budgeted by messages: at most
``MAX_MESSAGES`` in any second per view, the final state included. The status line and the
relay's message share one widget (a progress update is two messages: bar and text), updates are
paced at ``MAX_RATE`` a second, and a ledger of what was sent keeps room for the final state,
which always goes out at once. The elapsed clocks of all live views share one timer.

Clips: when the job ends its clips are published at once, naming poster frames that ffmpeg then
makes in a worker thread, never on the jobs' loop. (The frame is the ``<video>``'s fallback
content, never shown where the video plays, so the clip is not published again once it is made:
that would replace a video someone may be playing. Only a clip left without a frame, or an
embedded one, whose frame is a data URL, is published by the worker.) A cell that waits (``--wait``, ``gallery.wait()``, ``await gallery``) calls ``finish()``, which
waits a little for the frames, and a cell that does ``await job`` is held back on the kernel's
loop until they are made: so a saved notebook has them, and the next cell finds ``clip.jpg``.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import contextvars
import html
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
from ipywidgets.widgets.widget_int import ProgressStyle
from ipywidgets.widgets.widget_string import HTMLStyle

from .._events import Completed
from .._frames import existing_poster, poster_for
from .._loop import background_loop, in_background_thread
from .display import ClipArea, clip_html

if TYPE_CHECKING:
    from .._events import Event
    from .._job import Job

__all__ = ["MAX_MESSAGES", "MAX_RATE", "JobView", "show_job"]

log = logging.getLogger(__name__)

MAX_MESSAGES = 10  # widget messages a view sends in any one second, its final state included
MAX_RATE = 2.5  # updates a second at most while the job runs (each one or two messages)
BUDGET_WINDOW = 1.25  # seconds the ledger counts over: one, plus a margin for delivery jitter
FINAL_MESSAGES = 4  # kept for the final state: a message per part (header, bar, text, Cancel)
PUBLISH_TIMEOUT = 60.0  # seconds a waiting cell waits for another thread to publish the clips
POSTER_WAIT = 5.0  # seconds a waiting cell waits for the poster frames before going on without
POSTER_WORKERS = 2  # ffmpeg processes making poster frames at once, for every view
TICK = 1.0  # seconds between a view's elapsed-time refreshes (while there are few views)
TICKS_PER_SECOND = 16  # elapsed-time refreshes a second, all views together
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


class _Ticker:
    """One timer on the background loop that refreshes every live view's elapsed time.

    Each firing refreshes the next view, round robin, and the next firing comes
    ``TICK / min(views, TICKS_PER_SECOND)`` later: every view once a second up to 16 views, each
    every ``views / 16`` seconds beyond, so the clocks never cost more than 16 messages a second.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._views: list[JobView] = []
        self._next = 0
        self._armed = False

    def __len__(self) -> int:
        return len(self._views)

    def add(self, view: JobView) -> None:
        with self._lock:
            if any(v is view for v in self._views):
                return
            self._views.append(view)
            if self._armed:
                return
            self._armed = True
        loop = background_loop()
        try:
            loop.call_soon_threadsafe(loop.call_later, TICK, self._fire)
        except RuntimeError:  # the loop closes with the process: nothing to show
            with self._lock:
                self._armed = False

    def discard(self, view: JobView) -> None:
        with self._lock:
            for index, v in enumerate(self._views):
                if v is view:
                    del self._views[index]
                    if index < self._next:
                        self._next -= 1
                    return

    def clear(self) -> None:
        with self._lock:
            self._views.clear()

    def _fire(self) -> None:
        """On the loop: refresh one view, then come back for the next."""
        with self._lock:
            if not self._views:
                self._armed = False
                return
            self._next %= len(self._views)
            view = self._views[self._next]
            self._next += 1
            interval = TICK / min(len(self._views), TICKS_PER_SECOND)
        try:
            alive = view._tick()
        except Exception:  # a broken view must not stop the others' clocks
            log.exception("veo_magic: a job view's clock failed")
            alive = False
        if not alive:
            self.discard(view)
        background_loop().call_later(interval, self._fire)


class _CellWatch:
    """Whether the kernel is running a cell (only a running cell can ``await`` a job), from
    IPython's ``pre_execute`` and ``post_execute`` events; until it has seen one, it assumes so."""

    def __init__(self) -> None:
        self.hooked = False
        self.running = True

    def hook(self) -> None:
        if self.hooked:
            return
        self.hooked = True
        try:
            from IPython import get_ipython

            shell = get_ipython()
            if shell is not None:
                shell.events.register("pre_execute", self._pre)
                shell.events.register("post_execute", self._post)
        except Exception:  # no IPython, or another one: assume a cell may be running
            log.debug("veo_magic: not following IPython's cells", exc_info=True)

    def _pre(self) -> None:
        self.running = True

    def _post(self) -> None:
        self.running = False


_ticker = _Ticker()
_cells = _CellWatch()
_poster_pool: concurrent.futures.ThreadPoolExecutor | None = None
_poster_pool_lock = threading.Lock()


def _posters() -> concurrent.futures.ThreadPoolExecutor:
    """The worker threads where ffmpeg makes poster frames (made on first use)."""
    global _poster_pool
    with _poster_pool_lock:
        if _poster_pool is None:
            _poster_pool = concurrent.futures.ThreadPoolExecutor(
                POSTER_WORKERS, thread_name_prefix="veo_magic-poster"
            )
        return _poster_pool


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
        self._sent: collections.deque[float] = collections.deque()  # when each message went
        self._flush_pending = False
        self._finished = False
        self._cancelling = False
        self._published = threading.Event()
        self._poster_future: concurrent.futures.Future[None] | None = None
        self._clip_body: str | None = None
        self._not_started = False
        self._remove_listener: Any = None
        # The loop a cell that awaits the job runs on (the kernel's), when made in one.
        self._kernel_loop: asyncio.AbstractEventLoop | None = None
        if not in_background_thread():  # never the jobs' own loop: that one must not wait
            with contextlib.suppress(RuntimeError):
                self._kernel_loop = asyncio.get_running_loop()
                _cells.hook()
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
        # The status line and the relay's message, in one widget: one message where two were.
        self.status = widgets.HTML(layout=shared_layout, style=html_style)
        self.cancel_button = widgets.Button(
            description="Cancel",
            tooltip="Stop following this job (the relay may still finish it)",
            layout=_shared_widget(
                "button_layout",
                lambda: widgets.Layout(width="auto", flex="0 0 auto", margin="0 0 0 8px"),
            ),
            style=_shared_widget("button_style", widgets.ButtonStyle),
        )
        self.cancel_button.on_click(self._on_cancel)
        row = widgets.HBox(
            [self.bar, self.cancel_button],
            layout=_shared_widget("row_layout", lambda: widgets.Layout(align_items="center")),
        )
        children: list[widgets.Widget] = [self.header, row, self.status]
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
            _ticker.add(self)

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

    def close(self) -> None:
        _ticker.discard(self)
        super().close()

    def _on_event(self, event: Event) -> None:
        """The job's listener: runs on the background loop's thread."""
        if isinstance(event, Completed):
            # Here, not on another thread: this listener runs before the one that wakes
            # `await job`, so an awaiting cell is still running when the clip is published.
            # It never waits for ffmpeg: the poster frames are made on a worker thread.
            self._finish()
            self._hold_awaiting_cell()
        else:
            self._request_render()

    def _on_cancel(self, _button: object) -> None:
        if self.job is not None and self.job.cancel():
            with self._lock:
                self._cancelling = True
                self._send(self._changes())

    def _tick(self) -> bool:
        """The shared clock's call: refresh the elapsed time; False once there is none to show."""
        job = self.job
        if self._finished or job is None or job.done() or self.comm is None:
            return False  # ended, or closed
        self._request_render()
        return True

    # -- budget --------------------------------------------------------------------------------

    def _request_render(self) -> None:
        """Send what changed now if the budget allows, else as soon as it does (the state then)."""
        with self._lock:
            if self._finished or self._flush_pending:
                return
            changes = self._changes()
            if not changes:
                return
            delay = self._budget_delay(len(changes))
            if delay <= 0:
                self._send(changes)
                return
            self._flush_pending = True
        loop = background_loop()
        try:
            loop.call_soon_threadsafe(loop.call_later, delay, self._flush)
        except RuntimeError:  # the loop closes with the process: nothing to show
            with self._lock:
                self._flush_pending = False

    def _flush(self) -> None:
        with self._lock:
            self._flush_pending = False
        self._request_render()

    def _budget_delay(self, cost: int) -> float:
        """Seconds until ``cost`` more messages fit: paced at ``MAX_RATE``, and within
        ``MAX_MESSAGES`` per ``BUDGET_WINDOW`` with ``FINAL_MESSAGES`` kept for the final state."""
        now = time.monotonic()
        sent = self._sent
        while sent and sent[0] <= now - BUDGET_WINDOW:
            sent.popleft()
        at = self._last_render + 1.0 / MAX_RATE
        over = len(sent) + cost - (MAX_MESSAGES - FINAL_MESSAGES)
        if over > 0 and sent:
            at = max(at, sent[min(over, len(sent)) - 1] + BUDGET_WINDOW)
        return at - now

    # -- state ---------------------------------------------------------------------------------

    def _render(self) -> None:
        """Push the job's state to the widgets now, only the traits that changed (no budget:
        for the first and the final state)."""
        with self._lock:
            self._send(self._changes())

    def _changes(self) -> list[tuple[widgets.Widget, dict[str, Any]]]:
        """Each part whose state differs from what it shows, with the traits that differ."""
        changes = []
        for widget, traits in self._state().items():
            changed = {k: v for k, v in traits.items() if getattr(widget, k) != v}
            if changed:
                changes.append((widget, changed))
        return changes

    def _send(self, changes: list[tuple[widgets.Widget, dict[str, Any]]]) -> None:
        """Set the traits: one comm message per widget, each noted in the ledger."""
        now = time.monotonic()
        self._last_render = now
        self.renders += 1
        for widget, changed in changes:
            with widget.hold_sync():
                for name, value in changed.items():
                    setattr(widget, name, value)
            self._sent.append(now)

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
            }
        status = job.status
        percent = int(job.progress)
        bar_style = {"succeeded": "success", "failed": "danger", "cancelled": "warning"}.get(
            status, ""
        )
        line = (
            f'<div style="white-space:nowrap"><b>{percent}%</b> · {_clock(job.elapsed)} · '
            f"{html.escape(status)}</div>"
        )
        done = job.done()
        cancel: dict[str, Any] = {
            "disabled": done or self._cancelling,
            "description": "Cancelling…" if self._cancelling and not done else "Cancel",
        }
        return {
            self.header: {"value": self._header_html(job)},
            self.bar: {"value": percent, "bar_style": bar_style},
            self.status: {"value": line + self._detail_html(job)},
            self.cancel_button: cancel,
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
        """Send the final state and show the clips; then wait for their poster frames.

        A cell that waited with ``job.wait()`` calls it, since ``wait`` can return before
        listeners run, so the final state goes out while the cell still runs (headless runners
        record only the running cell's messages); and it waits up to ``POSTER_WAIT`` seconds for
        the clips to go out again with their poster frames, so a saved notebook has them. On the
        jobs' loop (the ``Completed`` listener) it never waits for ffmpeg.
        """
        self._finish()
        if not in_background_thread():
            self.wait_for_posters(POSTER_WAIT)

    def _finish(self) -> None:
        """The final state, and the clips published: once, from whichever thread gets here first.

        The clips go out at once, naming their poster frames; a worker thread makes those (~50 ms
        of ffmpeg a clip) and publishes the clips again only if the markup changes (no frame
        could be made). Embedded clips are published by the worker only, with their frames, so
        their bytes are read, encoded and sent once, and off the loop.
        """
        job = self.job
        if job is None or not job.done():
            return
        with self._lock:
            first = not self._finished
            self._finished = True  # no more paced updates or ticks: this is the last state
            self._render()
        _ticker.discard(self)
        if not first:  # another thread is publishing the clips: return once it has
            self._published.wait(PUBLISH_TIMEOUT)
            return
        self.detach()
        try:
            videos = list(job.videos)
            if videos:
                if not self.embed:
                    self._publish(videos, make_posters=False)
                if self.embed or any(existing_poster(path) is None for path in videos):
                    # The worker publishes in this context, so its messages have the same parent
                    # (the cell) as those sent here.
                    context = contextvars.copy_context()
                    self._poster_future = _posters().submit(
                        context.run, self._publish_with_posters, videos
                    )
        finally:
            self._published.set()

    def _hold_awaiting_cell(self) -> None:
        """Keep a cell that awaits the job from going on until the clips have poster frames.

        ``await job`` wakes through a listener added after this view's, which asks the kernel's
        loop to resume the cell; a callback queued on that loop here runs before it. It blocks
        that loop (never the jobs' loop) until the frames are made, ``POSTER_WAIT`` seconds at
        most, and only while a cell runs: with none, nothing awaits (and nothing is held up).
        """
        loop, future = self._kernel_loop, self._poster_future
        if loop is None or future is None or future.done():
            return

        def hold() -> None:
            if _cells.running:
                concurrent.futures.wait([future], POSTER_WAIT)

        with contextlib.suppress(RuntimeError):  # the kernel's loop is gone: nothing to hold
            loop.call_soon_threadsafe(hold)

    def _publish_with_posters(self, videos: list[Any]) -> None:
        """On a worker thread: make the poster frames, then publish the clips if that changes
        them (embedded, or no frame made)."""
        try:
            for path in videos:
                with contextlib.suppress(OSError):
                    poster_for(path)
            self._publish(videos, make_posters=True)
        except Exception:
            log.exception("veo_magic: could not publish the clips of job %s", self.job)

    def _publish(self, videos: list[Any], *, make_posters: bool) -> None:
        """Show the clips (unless they would look the same as what is shown)."""
        bodies = []
        for path in videos:
            try:
                bodies.append(clip_html(path, embed=self.embed, make_poster=make_posters))
            except OSError as exc:
                bodies.append(
                    f'<div style="color:{ERROR_COLOR}">Cannot show {html.escape(str(path))}: '
                    f"{html.escape(str(exc))}</div>"
                )
        body = "".join(bodies)
        with self._lock:
            if body == self._clip_body:
                return
            self._clip_body = body
            plain = "\n".join(str(path) for path in videos)
            self.clips.set(self._slot, body, self.label, plain)

    def wait_for_posters(self, timeout: float = POSTER_WAIT) -> bool:
        """Block until the clips are published with their poster frames (True), or ``timeout``."""
        if not self._finished:  # no job, or not ended: nothing is published yet
            return False
        if not self._published.wait(PUBLISH_TIMEOUT):
            return False
        future = self._poster_future
        if future is None:
            return True
        done, _ = concurrent.futures.wait([future], timeout)
        return bool(done)

    def resend(self) -> None:
        """Send every part's full state again (after a wait, for headless runners)."""
        with self._lock:
            for widget in (self.header, self.bar, self.status, self.cancel_button):
                widget.send_state()
                self._sent.append(time.monotonic())

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
