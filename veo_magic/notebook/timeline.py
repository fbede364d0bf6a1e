"""TimelineView: a storyboard as a row of shot cards, and its film once stitched.

``timeline_state(board, …)`` is a pure function from a storyboard (and the time) to what every
part shows: a header (shots, continuity, total estimate, status), and per shot a card (poster
frame, prompt, status, progress, cost) with a Retry button. ``TimelineView`` sends the parts
that differ, from the shared refresh loop and within its own message budget, as ``JobView``
does. ``show_timeline`` puts it in the running cell's output, with a static stand-in; when the
storyboard ends, the output becomes ``final_bundle(board)``: the cards and the film as static
HTML, which every viewer shows the same (JupyterLab after a restart, nbconvert, GitHub).

Retry renders a shot again and every shot that continues from it (``board.retry``); it is on
the live cards while the storyboard runs, and a finished storyboard's static output says how
to do it from a cell (``%veo retry ID K``). Every piece of text from a user is escaped.
"""

from __future__ import annotations

import contextvars
import html
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .._exceptions import VeoError
from ..media import still_data_url
from .display import relative_url
from .job_view import BAR_STYLES, ERROR_COLOR, MUTED, _clip, _clock, _static_bar
from .live_view import Changes, LiveView, shared_model
from .refresh import Budget, Redraw, Refresher

if TYPE_CHECKING:
    from ..jobs import Job
    from ..storyboards import Storyboard

__all__ = ["TimelineView", "final_bundle", "show_timeline", "standin_bundle", "timeline_state"]

CARD_WIDTH = 210  # px
Thumb = Callable[[Path], "str | None"]  # a clip -> a URL of a still of it

State = dict[str, Any]  # {"header": {...}, "cancel": {...}, "cards": [{"html", "bar", "retry"}]}


def notebook_retry(board_id: str, index: int) -> str:
    return f"%veo retry {board_id} {index}"


# -- the pure part -------------------------------------------------------------------------------


def timeline_state(
    board: Storyboard, *, now: float, thumb: Thumb = lambda _: None, notice: str = ""
) -> State:
    """What each part of a timeline shows for ``board`` at time ``now``; ``thumb`` gives a still
    of a clip as an image URL, ``notice`` is a line to show under the header (a refused retry)."""
    running = not board.done()
    cards = []
    for index in range(len(board.shots)):
        job = board.jobs[index] if index < len(board.jobs) else None
        status = job.status if job is not None else "planned"
        picture = _picture(index, thumb(job.videos[0]) if job is not None and job.videos else None)
        cards.append(
            {
                "html": {"value": _card_html(board, index, job, now, picture)},
                "bar": {
                    "value": int(job.progress) if job is not None else 0,
                    "bar_style": BAR_STYLES.get(status, ""),
                },
                "retry": {
                    "disabled": not (running and job is not None and job.done()),
                    "tooltip": f"Render shot {index} again"
                    + (", and the shots that continue from it" if _chained(board, index) else ""),
                },
            }
        )
    line = _header_html(board)
    if notice:
        line += f'<div style="color:{ERROR_COLOR}">{html.escape(notice)}</div>'
    return {"header": {"value": line}, "cancel": {"disabled": not running}, "cards": cards}


def _chained(board: Storyboard, index: int) -> bool:
    return board.continuity != "none" and index < len(board.shots) - 1


def _header_html(board: Storyboard) -> str:
    count = len(board.shots)
    parts = [f"<b>Storyboard</b> · {count} shot{'s' if count != 1 else ''}"]
    parts.append(f"continuity <code>{html.escape(board.continuity)}</code>")
    if board.simulated:
        parts.append(
            '<span style="background:#6a1b9a;color:#fff;border-radius:3px;padding:0 4px" '
            'title="made by the built-in simulator">simulated</span>'
        )
    parts.append(f"≈ ${board.estimated_cost:.2f}")
    parts.append(f"<b>{html.escape(board.status)}</b>")
    parts.append(f'<span style="{MUTED}">storyboard {html.escape(board.id)}</span>')
    line = f"<div>{' · '.join(parts)}</div>"
    if board.status == "failed" and board.error:
        line += f'<div style="color:{ERROR_COLOR}">{html.escape(board.error)}</div>'
    return line


FRAME_STYLE = "width:100%;aspect-ratio:16/9;object-fit:contain;background:#222;border-radius:4px"


def _picture(index: int, image: str | None) -> str:
    """The shot's poster frame, or a dark box saying which shot it will be."""
    if image:
        return (
            f'<img src="{html.escape(image, quote=True)}" alt="shot {index}" style="{FRAME_STYLE}">'
        )
    return (
        f'<div style="{FRAME_STYLE};display:flex;align-items:center;justify-content:center;'
        f'color:#bbb">shot {index}</div>'
    )


def _player(index: int, job: Job | None, thumb: Thumb) -> str:
    """The shot's clip, playable where Jupyter serves the notebook's folder; its poster frame
    shows where it cannot play (a relative ``src`` works in a cell's output, not in a widget)."""
    image = thumb(job.videos[0]) if job is not None and job.videos else None
    url = relative_url(job.videos[0]) if job is not None and job.videos else None
    if url is None:
        return _picture(index, image)
    poster_attr = f' poster="{html.escape(image, quote=True)}"' if image else ""
    return (
        f'<video controls playsinline preload="metadata" src="{html.escape(url, quote=True)}"'
        f'{poster_attr} style="{FRAME_STYLE}"></video>'
    )


def _card_html(board: Storyboard, index: int, job: Job | None, now: float, picture: str) -> str:
    prompt = board.shots[index].prompt
    if job is None:
        status_line = "planned"
    else:
        elapsed = (job.finished_at or now) - (job.started_at or job.created_at)
        waiting = job.status == "queued" and job.started_at is None
        word = "waiting for the shot before" if waiting and index else job.status
        clock = "" if waiting else f" · {_clock(elapsed)}"
        status_line = f"{html.escape(word)} · {int(job.progress)}%{clock}"
    cost = f"≈ ${job.estimated_cost:.2f}" if job is not None else ""
    job_id = f' · <span style="{MUTED}">job {html.escape(job.id)}</span>' if job else ""
    problem = ""
    if job is not None and job.status in ("failed", "cancelled") and job.error:
        problem = f'<div style="color:{ERROR_COLOR};font-size:90%">{html.escape(job.error)}</div>'
    return (
        f'<div class="veo-shot" data-status="{html.escape(job.status if job else "planned")}">'
        f"{picture}<div><b>Shot {index}</b> · {status_line}</div>"
        f'<div style="white-space:pre-wrap;max-height:4.5em;overflow:auto;font-size:90%">'
        f"{html.escape(prompt)}</div>"
        f'<div style="font-size:90%">{cost}{job_id}</div>{problem}</div>'
    )


def _film_line(board: Storyboard) -> str:
    facts = board.film_facts
    if board.film is None:
        return ""
    if facts is None:
        return f"Film: {len(board.jobs)} shots"
    how = "stream copy" if facts.stream_copy else "re-encoded"
    trimmed = f", the repeated handoff frame left out at {facts.trimmed_frames} cut(s)"
    return (
        f"Film: {len(board.jobs)} shots, {facts.cuts} cut{'s' if facts.cuts != 1 else ''}, "
        f"{facts.seconds:.1f} s ({how}{trimmed if facts.trimmed_frames else ''})"
    )


def final_bundle(board: Storyboard, *, embed: bool = False, thumb: Thumb | None = None) -> dict:
    """The storyboard's final state as static ``text/html`` and ``text/plain``: its cards, the
    film playing below them, and how to render a shot again."""
    thumb = thumb or still_data_url
    now = time.time()
    cards = "".join(
        f'<div style="flex:0 0 {CARD_WIDTH}px;min-width:0">'
        f"{_card_html(board, index, job, now, _player(index, job, thumb))}"
        f"{_static_bar(int(job.progress), BAR_STYLES.get(job.status, ''))}</div>"
        for index, job in enumerate(board.jobs)
    )
    film = ""
    if board.film is not None:
        film = f"<div><b>{html.escape(_film_line(board))}</b></div>{_clip(board.film, embed)}"
    retry = ""
    if board.jobs:
        example = notebook_retry(board.id, board.failed_shot() or 0)
        retry = (
            f'<div style="{MUTED};font-size:90%">Render a shot again (and the shots that '
            f"continue from it): <code>{html.escape(example)}</code>, or "
            f"<code>board.retry(K)</code> on the Storyboard.</div>"
        )
    page = (
        f'<div class="veo-storyboard" data-status="{html.escape(board.status)}">'
        f"{_header_html(board)}"
        f'<div style="display:flex;gap:10px;overflow-x:auto;padding:6px 0">{cards}</div>'
        f"{film}{retry}</div>"
    )
    return {"text/html": page, "text/plain": _plain(board)}


def _plain(board: Storyboard) -> str:
    lines = [
        f"veo_magic storyboard {board.id}: {board.status}, {len(board.shots)} shots "
        f"({board.continuity}), estimated ${board.estimated_cost:.2f}"
    ]
    for index, job in enumerate(board.jobs):
        files = ", ".join(str(path) for path in job.videos)
        lines.append(
            f"  shot {index}: job {job.id} {job.status} {job.progress:.0f}% · "
            f"{job.prompt[:80]!r}" + (f" · {files}" if files else "")
        )
    if board.film is not None:
        lines.append(f"  {_film_line(board)}: {board.film}")
    if board.error and board.status != "succeeded":
        lines.append(f"  {board.error}")
    return "\n".join(lines)


def standin_bundle(board: Storyboard) -> dict[str, str]:
    """What a viewer without the live widget shows while the storyboard runs."""
    done = sum(job.status == "succeeded" for job in board.jobs)
    text = (
        f"veo_magic storyboard {board.id}: {board.status}, {done} of {len(board.shots)} shots "
        f"done when this output was saved; follow it with `%veo resume {board.id}`"
    )
    return {"text/plain": text, "text/html": f"<div>{html.escape(text)}</div>"}


# -- the widget ----------------------------------------------------------------------------------


class _Card:
    """One shot's card: its text and picture, a progress bar, Retry."""

    def __init__(self, on_retry: Callable[[Any], None]) -> None:
        self.html = widgets.HTML(layout=shared_model("layout"), style=shared_model("html_style"))
        self.bar = widgets.IntProgress(
            min=0,
            max=100,
            layout=shared_model("timeline_card_bar_layout", lambda: widgets.Layout(width="100%")),
            style=shared_model("bar_style"),
        )
        self.retry = widgets.Button(
            description="Retry", layout=_auto_layout(), style=shared_model("button_style")
        )
        self.retry.on_click(on_retry)
        self.box = widgets.VBox(
            [self.html, self.bar, self.retry],
            layout=shared_model(
                "timeline_card_layout",
                lambda: widgets.Layout(
                    width=f"{CARD_WIDTH}px", flex="0 0 auto", margin="0 10px 0 0"
                ),
            ),
        )

    def parts(self) -> dict[str, widgets.Widget]:
        return {"html": self.html, "bar": self.bar, "retry": self.retry}


def _auto_layout() -> widgets.Layout:
    return shared_model(
        "timeline_auto_layout", lambda: widgets.Layout(width="auto", flex="0 0 auto")
    )


class TimelineView(LiveView):
    """A storyboard's header with Cancel, and a row of shot cards, each with Retry."""

    # show_timeline replaces the output with the static final state: the widgets are not seen again.
    final_state_when_replaced = False

    def __init__(
        self,
        board: Storyboard,
        *,
        clock: Callable[[], float] = time.time,
        budget: Budget | None = None,
        loop: Refresher | None = None,
    ) -> None:
        self.board = board
        self._notice = ""
        self._thumbs: dict[Path, str | None] = {}
        self.header = widgets.HTML(layout=shared_model("layout"), style=shared_model("html_style"))
        self.cancel_button = widgets.Button(
            description="Cancel",
            tooltip="Stop the storyboard: shots under way are cancelled, the rest not rendered",
            layout=_auto_layout(),
            style=shared_model("button_style"),
        )
        self.cancel_button.on_click(lambda _: self._cancel())
        self.cards = [_Card(lambda _, k=index: self._retry(k)) for index in range(len(board.shots))]
        row = widgets.HBox(
            [card.box for card in self.cards],
            layout=shared_model(
                "timeline_row_layout", lambda: widgets.Layout(overflow="auto", padding="4px 0")
            ),
        )
        top = widgets.HBox([self.header, self.cancel_button], layout=shared_model("layout"))
        super().__init__([top, row], clock=clock, budget=budget, loop=loop)
        self._send_now()
        self._remove_listener = board.add_listener(self._on_board)
        self._follow(done=board.done())

    # -- drawing -------------------------------------------------------------------------------

    def _thumb(self, clip: Path) -> str | None:
        if clip not in self._thumbs:
            self._thumbs[clip] = still_data_url(clip)
        return self._thumbs[clip]

    def _state(self, now: float) -> State:
        return timeline_state(self.board, now=now, thumb=self._thumb, notice=self._notice)

    def _parts(self, state: State) -> Changes:
        parts: Changes = [(self.header, state["header"]), (self.cancel_button, state["cancel"])]
        for card, card_state in zip(self.cards, state["cards"], strict=True):
            parts += [(widget, card_state[name]) for name, widget in card.parts().items()]
        return parts

    def _redraw(self, clock_ok: bool) -> Redraw:
        """As many of the changed parts as the budget allows, in order, a message each."""
        changes = self._changes(self._state(self._clock()))
        if not changes:
            return Redraw.NOTHING
        fits = changes[: self._budget.room()]
        if not fits:
            return Redraw.NOTHING
        self._send(fits, spend=True)
        return Redraw.NEWS

    # -- events --------------------------------------------------------------------------------

    def _on_board(self, board: Storyboard) -> None:
        """The storyboard's listener, on the background loop's thread."""
        if board.done():
            contextvars.Context().run(self._final)

    def _retry(self, index: int) -> None:
        try:
            self.board.retry(index)
            self._notice = ""
        except VeoError as exc:
            self._notice = f"Retry of shot {index} refused: {exc}"
        self._send_now()

    def _cancel(self) -> None:
        self.board.cancel()

    def _own_widgets(self) -> list[widgets.Widget]:
        cards = [widget for card in self.cards for widget in (*card.parts().values(), card.box)]
        return [*cards, self.header, self.cancel_button]

    def _standin(self) -> dict[str, str]:
        return standin_bundle(self.board)


def show_timeline(board: Storyboard, *, embed: bool | None = None) -> TimelineView:
    """Display ``board``'s timeline in the running cell; once the storyboard ends, the output
    becomes its static final state (the cards and the film). ``embed`` as for a clip."""
    from IPython.display import display

    from .display import embed_by_default

    embed = embed_by_default() if embed is None else embed
    view = TimelineView(board)
    handle = display(view, display_id=True)

    def settle(view: TimelineView) -> None:
        if handle is not None:
            handle.update(final_bundle(board, embed=embed, thumb=view._thumb), raw=True)
        view.close_parts()

    view.when_final(settle)
    return view
