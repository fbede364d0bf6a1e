"""JobView: the widget that shows one job, drawn from the job's state and nothing else.

``view_state(job, …)`` is a pure function from a job (and the time) to what each part of the view
shows; ``JobView`` sends the parts that differ from what they show. Three things make it redraw:

* the shared refresh loop (``refresh.py``), a few times a second, within the view's budget;
* ``Downloaded``: the clip is shown at once, with its poster frame (the runner made it already);
* ``Completed``: the final state, sent at once, and the view leaves the refresh loop.

A view shown in a cell (``show_job``) lives in a display handle. Its output carries, beside the
widget, a plain ``text/html`` / ``text/plain`` stand-in for viewers without a live widget; once
the job ends the handle is updated to ``final_bundle(job)`` alone, static HTML that every viewer
shows the same (JupyterLab after a restart, nbconvert, VS Code, GitHub), and the widgets close.
That final state has everything a reader wants: the request, the outcome, the task id and the
clips, each with its thumbnail inline (``display.clip_html(inline_poster=True)``).

Threads and messages: job events arrive on the background loop's thread. Setting widget traits
there is fine (ipykernel sends comm messages from any thread), printing or ``display`` there is
not, so live clips go to an ``Output`` widget's outputs. Every message is sent from a fresh ``contextvars``
context: ipykernel then gives it the parent of the cell running at that moment, which is what
headless runners (nbclient) record; the cell that made the view may be long finished.
Every piece of text from a user or a relay is escaped.
"""

from __future__ import annotations

import contextvars
import html
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .._events import Completed, Downloaded
from .._exceptions import VeoError
from .display import clip_html, shown_path
from .live_view import Changes, LiveView, shared_model
from .refresh import FINAL_MESSAGES, MAX_MESSAGES, Budget, Redraw, Refresher
from .versions_view import strip_html

if TYPE_CHECKING:
    from .._events import Event
    from ..jobs import Job

__all__ = [
    "FINAL_MESSAGES",
    "MAX_MESSAGES",
    "JobView",
    "final_bundle",
    "final_html",
    "final_text",
    "show_job",
    "standin_bundle",
    "view_state",
]

ERROR_COLOR = "var(--jp-error-color1, #c62828)"
MUTED = "opacity:.75"
BAR_STYLES = {"succeeded": "success", "failed": "danger", "cancelled": "warning"}
PARTS = ("header", "bar", "status", "cancel_button")

State = dict[str, dict[str, Any]]  # part name -> trait -> value


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(max(0.0, seconds)), 60)
    return f"{minutes}:{secs:02d}"


def notebook_resume(ref: str) -> str:
    """How a notebook says "resume": ``%veo resume ID`` (plain text)."""
    return f"`%veo resume {ref}`"


# -- the pure part -------------------------------------------------------------------------------


def view_state(
    job: Job | None,
    *,
    now: float,
    label: str = "",
    waiting: str = "waiting for a free slot",
    refused: bool = False,
    cancelling: bool = False,
) -> State:
    """What each part of a view shows for ``job`` at time ``now`` (seconds since the epoch).

    ``job=None`` is a view still waiting for its job, with ``waiting`` saying why (``refused``:
    it will never get one).
    """
    if job is None:
        reason = html.escape(waiting)
        return {
            "header": {"value": " · ".join(_label(label))},
            "bar": {"value": 0, "bar_style": ""},
            "status": {
                "value": f'<span style="color:{ERROR_COLOR}">{reason}</span>' if refused else reason
            },
            "cancel_button": {"disabled": True},
        }
    done = job.done()
    percent = int(job.progress)
    elapsed = (job.finished_at or now) - (job.started_at or job.created_at)
    word = waiting if job.status == "queued" and job.started_at is None and waiting else job.status
    line = (
        f'<div style="white-space:nowrap"><b>{percent}%</b> · {_clock(elapsed)} · '
        f"{html.escape(word)}</div>"
    )
    return {
        "header": {"value": _header_html(job, label)},
        "bar": {"value": percent, "bar_style": BAR_STYLES.get(job.status, "")},
        "status": {"value": line + _detail_html(job, elapsed)},
        "cancel_button": {
            "disabled": done or cancelling,
            "description": "Cancelling…" if cancelling and not done else "Cancel",
        },
    }


def _orientation(record: dict[str, Any]) -> str:
    """The clip's shape: as asked, else as its pixel size says (Google's default is landscape,
    the relays' portrait)."""
    if record.get("orientation"):
        return str(record["orientation"])
    width, _, height = str(record.get("pixel_size") or "").partition("x")
    if width.isdigit() and height.isdigit():
        return "landscape" if int(width) > int(height) else "portrait"
    return "portrait"


def _label(label: str) -> list[str]:
    return [f"<b>{html.escape(label)}</b>"] if label else []


def _header_html(job: Job, label: str) -> str:
    parts = _label(label)
    record = job.record
    if job.simulated:
        parts.append(
            '<span style="background:#6a1b9a;color:#fff;border-radius:3px;padding:0 4px" '
            'title="made by the built-in simulator">simulated</span>'
        )
    if job.model:
        parts.append(f"<code>{html.escape(job.model)}</code>")
    parts.append(html.escape(_orientation(record)))
    if record.get("resolution"):
        parts.append(html.escape(str(record["resolution"])))
    if record.get("seconds"):
        parts.append(f"{html.escape(str(record['seconds']))} s")
    n = record.get("n") or 1
    if str(n) != "1":
        parts.append(f"{html.escape(str(n))} clips")
    parts.append(f"≈ ${job.estimated_cost:.2f}")
    parts.append(f'<span style="{MUTED}">job {html.escape(job.id)}</span>')
    # What the request chose for the user, and why (1080p needs 8 s, …): on the summary line.
    parts += [f'<span style="{MUTED}">{html.escape(note)}</span>' for note in _notes(job)]
    prompt = job.prompt or (f"(resumed task {job.task_id})" if job.task_id else "")
    return (
        f"<div>{' · '.join(parts)}</div>"
        f'<div style="white-space:pre-wrap;max-height:8em;overflow:auto">{html.escape(prompt)}</div>'
    )


def _notes(job: Job) -> list[str]:
    notes = job.record.get("notes")
    return [str(note) for note in notes] if isinstance(notes, list) else []


def _expiry(job: Job) -> str:
    """When the server deletes its copy of the clip, if it says (Google: 2 days)."""
    if job.remote_expires_at is None:
        return ""
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(job.remote_expires_at))
    who = "Google" if job.protocol in ("gemini", "vertex") else "The server"
    return f"{who} deletes its copy after {when}; the clip saved here stays."


def _resume_hint(job: Job) -> str:
    if step := job.next_step(notebook_resume):
        return f"<div>{html.escape(step)}</div>"
    if job.task_id:
        task = html.escape(job.task_id)
        return (
            f"<div>Relay task <code>{task}</code>. To follow it again: "
            f"<code>%veo resume {task}</code></div>"
        )
    return (
        "<div>The relay gave no task id, so there is nothing to resume; run the cell again.</div>"
    )


def _detail_html(job: Job, elapsed: float) -> str:
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
        expiry = f" {html.escape(note)}" if (note := _expiry(job)) else ""
        return (
            f'<div style="{MUTED}">Done in {_clock(elapsed)}: '
            f"{count} clip{'s' if count != 1 else ''} saved.{expiry}</div>"
        )
    message = (job.notice or job.message or "").strip()
    if len(message) > 300:
        message = message[:299] + "…"
    return (
        f'<div style="{MUTED};white-space:pre-wrap">{html.escape(message)}</div>' if message else ""
    )


def _facts(job: Job, *, ended: bool = True) -> list[tuple[str, str]]:
    """The job's facts a reader of a saved notebook wants, as (name, plain text) pairs.

    ``ended=False``: what was asked only (a saved stand-in must not freeze a progress number).
    """
    record = job.record
    elapsed = (job.finished_at or job.created_at) - (job.started_at or job.created_at)
    status = [
        ("status", f"{job.status}, {job.progress:.0f}%"),
        ("elapsed", _clock(elapsed) if job.done() else ""),
    ]
    asked = [
        ("prompt", job.prompt or (f"(resumed task {job.task_id})" if job.task_id else "")),
        ("model", job.model + (" (simulated)" if job.simulated else "")),
        ("orientation", _orientation(record)),
        ("resolution", str(record.get("resolution") or "")),
        ("seconds", str(record.get("seconds") or "")),
        ("estimated cost", f"${job.estimated_cost:.2f}"),
        ("notes", "; ".join(_notes(job))),
        ("task id", job.task_id or ""),
        ("job", job.id),
    ]
    result = [
        ("files", ", ".join(shown_path(path) for path in job.videos)),
        ("remote copy", _expiry(job)),
        ("error", (job.error or "") if job.status == "failed" else ""),
    ]
    facts = [*status, *asked, *result] if ended else asked
    return [(name, value) for name, value in facts if value]


def _static_bar(percent: int, style: str) -> str:
    color = {"success": "#2e7d32", "danger": "#c62828", "warning": "#ef6c00"}.get(style, "#1976d2")
    return (
        f'<div class="veo-bar" role="progressbar" aria-valuenow="{percent}" aria-valuemin="0" '
        'aria-valuemax="100" style="background:#e0e0e0;border-radius:3px;height:8px;'
        'width:50%;min-width:100px;margin:2px 0">'
        f'<div style="background:{color};width:{percent}%;height:8px;border-radius:3px"></div>'
        "</div>"
    )


def final_html(job: Job, *, label: str = "", embed: bool = False) -> str:
    """The job's final state as static HTML: what the view showed, its clips with their
    thumbnails inline, and the relay's task id."""
    state = view_state(job, now=job.finished_at or job.created_at, label=label)
    task = (
        f'<div style="{MUTED}">relay task <code>{html.escape(job.task_id)}</code></div>'
        if job.task_id
        else ""
    )
    clips = "".join(_clip(video, embed) for video in job.videos)
    return (
        f'<div class="veo-job" data-status="{html.escape(job.status)}">'
        f"{state['header']['value']}"
        f"{_static_bar(int(job.progress), state['bar']['bar_style'])}"
        f"{state['status']['value']}{task}{clips}</div>"
    )


def final_text(job: Job, *, label: str = "") -> str:
    """The job's final state as plain text, a fact a line."""
    title = f"veo_magic job {job.id}" + (f" [{label}]" if label else "")
    return "\n".join([title, *(f"  {name}: {value}" for name, value in _facts(job))])


def final_bundle(job: Job, *, label: str = "", embed: bool = False) -> dict[str, str]:
    """The job's final state as static ``text/html`` and ``text/plain``, for every viewer."""
    return {
        "text/html": final_html(job, label=label, embed=embed),
        "text/plain": final_text(job, label=label),
    }


def _clip(video: Path, embed: bool, *, inline_poster: bool = True) -> str:
    """A clip as HTML (its poster already on disk), or a line saying why it cannot be shown."""
    try:
        return clip_html(video, embed=embed, make_poster=False, inline_poster=inline_poster)
    except OSError as exc:
        return (
            f'<div style="color:{ERROR_COLOR}">Cannot show {html.escape(str(video))}: '
            f"{html.escape(str(exc))}</div>"
        )


def standin_bundle(job: Job | None, *, label: str = "") -> dict[str, str]:
    """What a viewer without the live widget shows while the job runs (or if saved mid-way):
    what was asked, and how to follow it; never a progress number that would stay frozen."""
    if job is None:
        text = f"veo_magic job {label}: it was waiting for a free slot when this was saved"
        return {"text/plain": text, "text/html": f"<div>{html.escape(text)}</div>"}
    follow = (
        f"follow it with %veo resume {job.task_id}"
        if job.task_id
        else "run the cell again for its result"
    )
    title = f"veo_magic job {job.id}" + (f" [{label}]" if label else "")
    lead = f"{title}: not yet ended when this output was saved; {follow}."
    facts = _facts(job, ended=False)
    rows = "".join(
        f'<tr><th style="text-align:left">{html.escape(name)}</th>'
        f'<td style="text-align:left">{html.escape(value)}</td></tr>'
        for name, value in facts
    )
    return {
        "text/plain": "\n".join([lead, *(f"  {name}: {value}" for name, value in facts)]),
        "text/html": f'<div class="veo-standin"><div>{html.escape(lead)}</div>'
        f"<table>{rows}</table></div>",
    }


# -- the widget ----------------------------------------------------------------------------------


class JobView(LiveView):
    """Prompt, model and cost; progress with elapsed time; the relay's message; Cancel; the clips.

    Each clip shows as soon as it is on disk, in an ``Output`` widget of the view's own, or
    through ``clips`` (a function given each new ``{"text/html", "text/plain"}`` bundle), or not
    at all with ``live_clips=False`` (the final state shows them).
    """

    def __init__(
        self,
        job: Job | None = None,
        *,
        label: str = "",
        embed: bool = False,
        clips: Callable[[dict[str, str]], None] | None = None,
        live_clips: bool = True,
        waiting_text: str = "waiting for a free slot",
        clock: Callable[[], float] = time.time,
        budget: Budget | None = None,
        loop: Refresher | None = None,
    ) -> None:
        self.job: Job | None = None
        self.label = label
        self.embed = embed
        self._waiting = waiting_text
        self._refused = False
        self._cancelling = False
        self._drawn_at = 0.0  # the `now` the shown state was drawn for
        self._clip_body: str | None = None
        self.header = widgets.HTML(layout=shared_model("layout"), style=shared_model("html_style"))
        self.bar = widgets.IntProgress(
            min=0,
            max=100,
            layout=shared_model(
                "bar_layout", lambda: widgets.Layout(width="50%", min_width="100px")
            ),
            style=shared_model("bar_style"),
        )
        # The status line and the relay's message, in one widget: one message where two were.
        self.status = widgets.HTML(layout=shared_model("layout"), style=shared_model("html_style"))
        self.cancel_button = widgets.Button(
            description="Cancel",
            tooltip="Stop following this job (the relay may still finish it)",
            layout=shared_model(
                "button_layout",
                lambda: widgets.Layout(width="auto", flex="0 0 auto", margin="0 0 0 8px"),
            ),
            style=shared_model("button_style"),
        )
        self.cancel_button.on_click(self._on_cancel)
        row = widgets.HBox(
            [self.bar, self.cancel_button],
            layout=shared_model("row_layout", lambda: widgets.Layout(align_items="center")),
        )
        children: list[widgets.Widget] = [self.header, row, self.status]
        self._output: widgets.Output | None = None
        if live_clips and clips is None:
            self._output = widgets.Output()
            children.append(self._output)
            clips = self._show_in_output
        self._clips = clips if live_clips else None
        super().__init__(children, clock=clock, budget=budget, loop=loop)
        if job is not None:
            self.attach(job)
        else:
            self._send_now()

    # -- wiring --------------------------------------------------------------------------------

    def attach(self, job: Job) -> None:
        """Start showing ``job``."""
        with self._lock:
            self.job = job
            self._remove_listener = job.add_listener(self._on_event)
            self._send_now()
        if job.videos:  # clips it already has, e.g. a resumed job
            self._publish()
        self._follow(done=job.done())

    def not_started(self, reason: str) -> None:
        """Show why this view will get no job."""
        with self._lock:
            self._waiting, self._refused = reason, True
            self._send_now()

    def _on_event(self, event: Event) -> None:
        """The job's listener, on the background loop's thread."""
        if isinstance(event, Downloaded):
            contextvars.Context().run(self._publish)
        elif isinstance(event, Completed):
            contextvars.Context().run(self._final)

    def _on_cancel(self, _button: object) -> None:
        if self.job is not None and self.job.cancel():
            with self._lock:
                self._cancelling = True
                self._send(self._changes(self._state(self._clock())), spend=True)

    # -- drawing -------------------------------------------------------------------------------

    def _state(self, now: float) -> State:
        return view_state(
            self.job,
            now=now,
            label=self.label,
            waiting=self._waiting,
            refused=self._refused,
            cancelling=self._cancelling,
        )

    def _parts(self, state: State) -> Changes:
        return [(getattr(self, name), state[name]) for name in PARTS]

    def _redraw(self, clock_ok: bool) -> Redraw:
        if self.job is None:
            return Redraw.FINISHED  # never given a job: nothing will change
        now = self._clock()
        changes = self._changes(self._state(now))
        if not changes:
            return Redraw.NOTHING
        # Drawn for the time already shown, does it still differ? Then the job said something.
        news = bool(self._changes(self._state(self._drawn_at)))
        if (not news and not clock_ok) or not self._budget.allows(len(changes)):
            return Redraw.NOTHING
        self._send(changes, spend=True)
        self._drawn_at = now
        return Redraw.NEWS if news else Redraw.CLOCK

    def close_parts(self) -> None:
        """Close the view and its own widgets; a saved notebook keeps no copy of the clips in the
        widget state (the static output has them)."""
        if self._output is not None:
            self._output.outputs = ()
        super().close_parts()

    def _own_widgets(self) -> list[widgets.Widget]:
        return [self.header, self.bar, self.status, self.cancel_button]

    def _standin(self) -> dict[str, str]:
        return standin_bundle(self.job, label=self.label)

    # -- clips ---------------------------------------------------------------------------------

    def _publish(self) -> None:
        """Show the job's clips so far (their poster frames are on disk already)."""
        job = self.job
        if job is None or self._clips is None:
            return
        body = "".join(_clip(video, self.embed, inline_poster=False) for video in job.videos)
        with self._lock:
            if body == self._clip_body:
                return
            self._clip_body = body
            plain = "\n".join(str(video) for video in job.videos)
            self._clips({"text/html": body, "text/plain": plain})

    def _show_in_output(self, bundle: dict[str, str]) -> None:
        assert self._output is not None
        self._output.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)

    def __repr__(self) -> str:
        job = self.job
        if job is None:
            return f"<veo_magic JobView {self.label or ''} waiting>"
        return f"<veo_magic JobView job={job.id} {job.status} {job.progress:.0f}%>"


def _versions_strip(job: Job, *, embed: bool) -> str:
    """An edit's or extension's versions, below its final state ("" for a new clip)."""
    if job.parent_id is None:
        return ""
    try:
        return strip_html(job.versions(), job.id, embed=embed)
    except (VeoError, KeyError) as exc:  # no journal row to read: say so, lose nothing
        return f'<div style="{MUTED}">The versions cannot be listed: {html.escape(str(exc))}</div>'


def show_job(job: Job, *, embed: bool = False) -> JobView:
    """Display ``job``'s view in the running cell; once the job ends, the output becomes its
    static final state (its clips included), the same in every viewer."""
    from IPython.display import display

    # One output per job, which becomes the static final state, clips included. While it runs,
    # a job of several clips (chat's n) shows each as soon as it is on disk, the stream going on.
    several = int(job.record.get("n") or 1) > 1
    view = JobView(job, embed=embed, live_clips=several)
    handle = display(view, display_id=True)

    def settle(view: JobView) -> None:
        if handle is not None:
            bundle = final_bundle(job, label=view.label, embed=embed)
            bundle["text/html"] += _versions_strip(job, embed=embed)
            handle.update(bundle, raw=True)
        view.close_parts()

    view.when_final(settle)
    return view
