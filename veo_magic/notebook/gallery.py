"""Prompt iteration: one template, the cartesian product of some values, a grid of views.

    %%veo --vary style=watercolor,noir,claymation --vary model=veo-3.1,veo-3.1-fast
    a lighthouse in a storm, {style}

or ``veo_magic.batch("a lighthouse, {style}", vary={"style": ["watercolor", "noir"]})``.
A key used in the template as ``{key}`` fills it; a key that is a request option (``model``,
``orientation``, ``seconds``, ``fast``, …) sets that option; one can do both. Every variant is
validated and priced before anything starts; at most ``concurrency`` jobs run at once.
"""

from __future__ import annotations

import contextlib
import contextvars
import html
import itertools
import threading
import time
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .._events import Completed
from .._exceptions import VeoError, VeoInputError
from .job_view import JobView, final_html, final_text
from .template import fill, names

if TYPE_CHECKING:
    from ..client import Client
    from ..jobs import Job
    from ..requests import VideoRequest

__all__ = [
    "DEFAULT_CONCURRENCY",
    "VARY_OPTIONS",
    "Gallery",
    "Variant",
    "batch",
    "expand",
    "parse_vary",
]

DEFAULT_CONCURRENCY = 4
# --vary KEY -> Client.submit keyword
VARY_OPTIONS = {
    "model": "model",
    "orientation": "orientation",
    "fast": "fast",
    "seconds": "seconds",
    "size": "size",
    "n": "n",
    "negative": "negative_prompt",
    "negative_prompt": "negative_prompt",
    "seed": "seed",
    "protocol": "protocol",
}
_TRUE = {"1", "true", "yes", "on", "fast"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass
class Variant:
    """One cell of the product: its label, filled prompt and submit keywords."""

    label: str
    prompt: str
    options: dict[str, Any]
    values: dict[str, str] = field(default_factory=dict)
    estimated_cost: float = 0.0
    request: VideoRequest | None = None  # validated and priced by ``build``


def parse_vary(items: Sequence[str]) -> dict[str, list[str]]:
    """``["style=a,b", "seconds=4,8"]`` -> ``{"style": ["a", "b"], "seconds": ["4", "8"]}``."""
    vary: dict[str, list[str]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise VeoInputError(
                "vary",
                item,
                "is not written KEY=value1,value2 (KEY a name such as style)",
                "KEY=v1,v2,...",
            )
        if key in vary:
            raise VeoInputError(
                "vary", key, "is given twice; put all its values in one", f"{key}=a,b,c"
            )
        parts = [v.strip() for v in values.split(",")]
        if not any(parts) or any(not v for v in parts):
            raise VeoInputError(
                "vary",
                item,
                "has an empty value",
                f"comma-separated values, none empty, e.g. {key}=a,b",
            )
        vary[key] = parts
    return vary


def _option_value(key: str, value: Any) -> Any:
    if key != "fast" or isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise VeoInputError("fast", value, "is not a yes or a no", ("true", "false", "yes", "no"))


def expand(
    template: str,
    vary: Mapping[str, Sequence[Any]],
    *,
    namespace: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
) -> list[Variant]:
    """Every combination of ``vary``'s values, as variants with filled prompts and options."""
    used = set(names(template))
    for key, values in vary.items():
        if key not in used and key not in VARY_OPTIONS:
            raise VeoInputError(
                "vary",
                key,
                f"matches no {{{key}}} in the prompt and is not a request option",
                tuple(sorted(VARY_OPTIONS)),
            )
        if not values:
            raise VeoInputError("vary", key, "has no values", "one or more")
    keys = list(vary)
    variants = []
    for combo in itertools.product(*(vary[k] for k in keys)):
        values = dict(zip(keys, combo, strict=True))
        prompt = fill(template, {**(namespace or {}), **values})
        kwargs = dict(options or {})
        for key, value in values.items():
            if key in VARY_OPTIONS:
                kwargs[VARY_OPTIONS[key]] = _option_value(key, value)
        label = " · ".join(f"{k}={v}" for k, v in values.items())
        variants.append(Variant(label, prompt, kwargs, {k: str(v) for k, v in values.items()}))
    return variants


class Gallery(widgets.VBox):
    """A grid of job views, one per variant: a view of jobs the client schedules.

    Every variant is submitted at once (recorded, priced against the budget as a whole) and the
    client runs at most ``concurrency`` of them at a time; the rest wait, queued, for a slot.
    ``gallery.jobs`` lists the jobs, in the grid's order; ``gallery.wait()`` / ``await gallery``
    return when every one has ended (failures show in their views, not raised).
    """

    def __init__(
        self,
        client: Client,
        variants: Sequence[Variant],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        embed: bool = False,
    ) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise VeoInputError("concurrency", concurrency, "is not a whole number of jobs", ">= 1")
        self.client = client
        self.variants = list(variants)
        self.concurrency = concurrency
        self.embed = embed
        # Each view shows its clip as soon as it is on disk (in an Output widget of its own):
        # the grid's static final state waits for the last variant.
        self.views = [JobView(None, label=v.label, embed=embed) for v in self.variants]
        self.jobs: list[Job] = []
        self._handle: Any = None
        self._settled = threading.Event()
        total = sum(v.estimated_cost for v in self.variants)
        sim = " (simulated: nothing is charged)" if client.simulated else ""
        self.summary = (
            f"{len(self.variants)} jobs, estimated ${total:.2f} in total{sim}; "
            f"at most {concurrency} at a time"
        )
        grid = widgets.GridBox(
            self.views,
            layout=widgets.Layout(
                grid_template_columns="repeat(auto-fill, minmax(340px, 1fr))", grid_gap="10px"
            ),
        )
        super().__init__([grid])

    @property
    def estimated_cost(self) -> float:
        return sum(v.estimated_cost for v in self.variants)

    def start(self) -> Gallery:
        """Submit every variant to the client's scheduler (once)."""
        if self.jobs:
            return self
        requests = [v.request or self.client.request(v.prompt, **v.options) for v in self.variants]
        self.jobs = self.client.submit_all(requests, concurrency=self.concurrency)
        for view, job in zip(self.views, self.jobs, strict=True):
            view.attach(job)
            job.add_listener(self._on_event)
        self._settle()  # in case every job had ended already
        return self

    def _on_event(self, event: object) -> None:
        if isinstance(event, Completed):
            contextvars.Context().run(self._settle)

    def _settle(self) -> None:
        """Once every job has ended: the grid's output becomes its static final state."""
        if not self.done() or self._settled.is_set():
            return
        self._settled.set()
        if self._handle is not None:
            self._handle.update(self.final_bundle(), raw=True)
            for view in self.views:
                view.close_parts()
            self.close()

    def final_bundle(self) -> dict[str, str]:
        """Every variant's final state, as static HTML and text, in the grid's order: each a
        figure captioned with its label, its clips' thumbnails inline."""
        pairs = list(zip(self.variants, self.jobs, strict=True))
        cells = "".join(
            '<figure class="veo-variant" style="margin:0;min-width:0">'
            f'<figcaption style="font-weight:600">{html.escape(v.label)}</figcaption>'
            f"{final_html(j, embed=self.embed)}</figure>"
            for v, j in pairs
        )
        return {
            "text/html": (
                # The summary is printed above it already (`veo: 3 jobs, …`).
                '<div class="veo-gallery" style="display:grid;grid-template-columns:'
                f'repeat(auto-fill,minmax(340px,1fr));gap:10px">{cells}</div>'
            ),
            "text/plain": "\n".join(
                [self.summary, *(final_text(j, label=v.label) for v, j in pairs)]
            ),
        }

    def standin_bundle(self) -> dict[str, str]:
        """What a viewer without the live widget shows while the gallery runs (or if saved
        mid-way): the variants, and how to follow them."""
        lead = f"veo_magic gallery: {self.summary}; not yet ended when this output was saved."
        lines = [f"{v.label}: {v.prompt}" for v in self.variants]
        follow = [
            f"{v.label}: %veo resume {j.task_id}"
            for v, j in zip(self.variants, self.jobs, strict=False)
            if j.task_id and not j.done()
        ]
        items = "".join(f"<li>{html.escape(line)}</li>" for line in lines + follow)
        return {
            "text/plain": "\n".join([lead, *lines, *follow]),
            "text/html": f'<div class="veo-standin"><div>{html.escape(lead)}</div><ul>{items}</ul></div>',
        }

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The grid, with a stand-in for viewers that cannot show widgets."""
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        return {**bundle, **self.standin_bundle()}

    def done(self) -> bool:
        return bool(self.jobs) and all(job.done() for job in self.jobs)

    def wait(self, timeout: float | None = None) -> Gallery:
        """Block until every variant has ended (failures show in their views, not raised)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for job in self.jobs:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                job.wait(left)
            except TimeoutError:
                ended = sum(j.done() for j in self.jobs)
                raise TimeoutError(f"{ended} of {len(self.jobs)} variants ended") from None
            except VeoError:
                pass  # its view says what happened
        return self

    def __await__(self) -> Generator[Any, None, Gallery]:
        return self._wait_async().__await__()

    async def _wait_async(self) -> Gallery:
        for job in self.jobs:
            with contextlib.suppress(VeoError):
                await job
        return self

    def cancel(self) -> None:
        """Cancel every job that has not ended, the ones still waiting for a slot included."""
        for job in self.jobs:
            job.cancel()

    def show(self) -> Gallery:
        """Display the grid in the running cell; it becomes static once every variant ends."""
        from IPython.display import display

        self._handle = display(self, display_id=True)
        return self

    def __repr__(self) -> str:
        states = [job.status for job in self.jobs] or ["waiting"] * len(self.variants)
        counts = {s: states.count(s) for s in dict.fromkeys(states)}
        return f"<veo_magic Gallery {len(self.variants)} jobs {counts}>"


def build(
    client: Client,
    template: str,
    vary: Mapping[str, Sequence[Any]],
    *,
    namespace: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    embed: bool = False,
) -> Gallery:
    """Expand, validate and price every variant, check the budget; nothing is sent yet."""
    variants = expand(template, vary, namespace=namespace, options=options)
    for variant in variants:
        variant.request = client.request(variant.prompt, **variant.options)
        variant.estimated_cost = variant.request.estimated_cost
    total = sum(v.estimated_cost for v in variants)
    client.check_budget(total, what=f"these {len(variants)} jobs")
    return Gallery(client, variants, concurrency=concurrency, embed=embed)


def batch(
    template: str,
    vary: Mapping[str, Sequence[Any]],
    *,
    values: Mapping[str, Any] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    wait: bool = False,
    embed: bool = False,
    **options: Any,
) -> Gallery:
    """Fan ``template`` out over ``vary`` and show the jobs as a gallery in the running cell.

    ``{key}`` in the template takes each value of ``vary[key]``; other names come from
    ``values``. ``options`` are ``Client.submit`` keywords shared by every job.

        >>> g = batch("a fox, {style}", vary={"style": ["watercolor", "noir"]}, seconds=8)  # doctest: +SKIP
    """
    from .session import current_session

    session = current_session()
    gallery = build(
        session.client,
        template,
        vary,
        namespace=values,
        options=options,
        concurrency=concurrency,
        embed=embed,
    )
    print(f"veo: {gallery.summary}")
    gallery.show().start()
    if wait:
        gallery.wait()
    return gallery
