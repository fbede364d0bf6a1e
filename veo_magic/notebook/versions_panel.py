"""``%veo versions JOB --live``: the versions tree, a compare of any two, and a new version from
any of them, without writing a cell (issue 19).

The panel is a widget over the static strip (``versions_view``):

* the tree, as ``VersionsView`` draws it (posters, steps, costs, "edit from here");
* **Compare**: two menus of the versions with a clip; the two play side by side;
* **From here**: a version, what changes, and Edit or Extend. The new job's view shows below
  while it renders; when it ends it joins the tree, and the compare shows it beside its parent.

It is a live widget, so it is opt-in (``--live``; ``%veo versions`` alone is the static strip,
which every viewer shows the same). Its output carries the static strip beside the widget and is
updated each time a version is added, so a viewer without widgets (GitHub, nbconvert, an
untrusted copy) sees every version; JupyterLab shows the widget itself only while the kernel
that made it runs: after a restart, run the cell again. Client calls are the
client's own (estimate, budget, refusals before anything is sent); a refusal is shown in the
panel, in words. Every value is escaped.
"""

from __future__ import annotations

import contextvars
import html
import threading
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .._exceptions import VeoError
from .job_view import ERROR_COLOR, JobView
from .versions_view import VersionsView, compare_side, has_clip, step_words

if TYPE_CHECKING:
    from ..client import Client
    from ..jobs import Version

__all__ = ["VersionsPanel"]

PROMPT_HINT = "what changes, e.g. make it night; keep everything else the same"


def _show(output: widgets.Output, page: str) -> None:
    """``page`` as the output's one display (settable from any thread, as the job view does)."""
    data = {"text/html": page, "text/plain": ""}
    output.outputs = (
        ({"output_type": "display_data", "data": data, "metadata": {}},) if page else ()
    )


def _shown(output: widgets.Output) -> str:
    return "".join(o["data"]["text/html"] for o in output.outputs)


def _label(version: Version) -> str:
    prompt = version.prompt if len(version.prompt) <= 40 else version.prompt[:39] + "…"
    return f"{step_words(version)} · {prompt} ({version.job_id})"


class VersionsPanel(widgets.VBox):
    """A clip's versions, live: the tree, a compare of any two, and Edit / Extend from any."""

    def __init__(self, client: Client, job: str, *, embed: bool = False) -> None:
        self.client = client
        self.key = job
        self.embed = embed
        self.jobs: list[Any] = []  # the versions started from the panel
        self._lock = threading.RLock()
        self._handle: Any = None
        self._drawing = False
        # Output widgets, not HTML ones: Jupyter resolves the clips' relative URLs only in
        # outputs (a widget's HTML would point the players at the page's own folder).
        self.tree = widgets.Output()
        self.left = widgets.Dropdown(description="Compare", layout=widgets.Layout(width="48%"))
        self.right = widgets.Dropdown(description="with", layout=widgets.Layout(width="48%"))
        self.compare = widgets.Output()
        self.base = widgets.Dropdown(description="From", layout=widgets.Layout(width="48%"))
        self.prompt = widgets.Text(placeholder=PROMPT_HINT, layout=widgets.Layout(width="60%"))
        self.edit_button = widgets.Button(description="Edit", button_style="primary")
        self.extend_button = widgets.Button(description="Extend")
        self.problem = widgets.HTML()
        self.views = widgets.VBox()
        self.left.observe(self._draw_compare, names="value")
        self.right.observe(self._draw_compare, names="value")
        self.edit_button.on_click(lambda _: self._derive("edit"))
        self.extend_button.on_click(lambda _: self._derive("extend"))
        super().__init__(
            [
                self.tree,
                widgets.HBox([self.left, self.right]),
                self.compare,
                widgets.HBox([self.base, self.prompt, self.edit_button, self.extend_button]),
                self.problem,
                self.views,
            ]
        )
        self.versions = self.client.versions(job)
        self._draw()

    # -- drawing -------------------------------------------------------------------------------

    def static(self) -> VersionsView:
        """The strip a viewer without the live widget sees."""
        return VersionsView(self.versions, embed=self.embed)

    def _draw(self, newest: str | None = None) -> None:
        """The tree and the menus from ``self.versions``; the compare shows ``newest`` (or the
        newest version) beside its parent."""
        view = self.static()
        _show(self.tree, view.tree_html())
        options = [(_label(v), v.job_id) for v in self.versions if has_clip(v)]
        shown = view.compare()
        pair: tuple[str | None, str | None] = (None, None)
        if newest is not None and self.versions[newest].parent:
            pair = (self.versions[newest].parent, newest)
        elif shown is not None:
            pair = (shown[0].job_id, shown[1].job_id)
        ids = [value for _, value in options]
        self._drawing = True  # one compare drawn at the end, not one a menu change
        try:
            for menu, wanted, fallback in ((self.left, pair[0], 0), (self.right, pair[1], -1)):
                menu.options = options
                menu.value = wanted if wanted in ids else (ids[fallback] if ids else None)
            self.base.options = [(_label(v), v.job_id) for v in self.versions]
            self.base.value = newest or self.right.value or self.versions.root.job_id
        finally:
            self._drawing = False
        self._draw_compare()

    def _draw_compare(self, _change: object = None) -> None:
        if self._drawing:
            return
        chosen = [self.versions[i] for i in (self.left.value, self.right.value) if i is not None]
        sides = "".join(
            compare_side(v, embed=self.embed, detail=f" ({v.job_id}, ${v.cost:.2f})")
            for v in chosen
        )
        _show(
            self.compare,
            f'<div class="veo-compare" style="display:flex;gap:12px">{sides}</div>'
            if sides
            else "",
        )

    @property
    def tree_html(self) -> str:
        """What the tree shows (HTML)."""
        return _shown(self.tree)

    @property
    def compare_html(self) -> str:
        """What the compare shows (HTML)."""
        return _shown(self.compare)

    # -- actions -------------------------------------------------------------------------------

    def _derive(self, step: str) -> None:
        prompt = self.prompt.value.strip()
        if step == "edit" and not prompt:
            self._say("Say what changes first, e.g. make it night; keep everything else the same.")
            return
        try:
            if step == "edit":
                job = self.client.edit(self.base.value, prompt)
            else:
                job = self.client.extend(self.base.value, None, prompt or None)
        except VeoError as exc:
            self._say(f"{'Edit' if step == 'edit' else 'Extension'} refused: {exc}")
            return
        self._say("")
        self.prompt.value = ""
        self.jobs.append(job)
        view = JobView(job, embed=self.embed)
        self.views.children = (*self.views.children, view)
        view.when_final(lambda v: contextvars.Context().run(self._ended, v))

    def _say(self, text: str) -> None:
        self.problem.value = (
            f'<div style="color:{ERROR_COLOR}">{html.escape(text)}</div>' if text else ""
        )

    def _ended(self, view: JobView) -> None:
        """A version started here ended (on the background loop's thread): it joins the tree,
        beside its parent in the compare, and the saved output follows."""
        with self._lock:
            job = view.job
            self.versions = self.client.versions(self.key)
            if job is not None and job.status == "succeeded":
                self._draw(newest=job.id)
                self.views.children = tuple(v for v in self.views.children if v is not view)
                view.close_parts()
            else:  # a failed version stays in view, saying why
                self._draw()
            self._publish()

    # -- display -------------------------------------------------------------------------------

    def _bundle(self) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_() or {}
        return {**bundle, "text/html": self.static()._repr_html_(), "text/plain": repr(self)}

    def _ipython_display_(self) -> None:
        from IPython.display import display

        self._handle = display(self._bundle(), raw=True, display_id=True)

    def _publish(self) -> None:
        if self._handle is not None:
            self._handle.update(self._bundle(), raw=True)

    def __repr__(self) -> str:
        return str(self.versions)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self.versions))
