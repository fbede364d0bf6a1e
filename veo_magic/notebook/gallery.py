"""Prompt iteration: one template, the cartesian product of some values, a grid of views.

    %%veo --vary style=watercolor,noir,claymation --vary model=veo-3.1,veo-3.1-fast
    a lighthouse in a storm, {style}

or ``veo_magic.batch("a lighthouse, {style}", vary={"style": ["watercolor", "noir"]})``.
A key used in the template as ``{key}`` fills it; a key that is a request option (``model``,
``orientation``, ``seconds``, ``fast``, …) sets that option; one can do both. Every variant is
validated and priced before anything starts; at most ``concurrency`` jobs run at once.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .._events import Completed
from .._exceptions import VeoError, VeoInputError
from .display import ClipArea
from .template import fill, names
from .view import JobView

if TYPE_CHECKING:
    from .._client import Client
    from .._job import Job
    from .session import Session

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


def parse_vary(items: Sequence[str]) -> dict[str, list[str]]:
    """``["style=a,b", "seconds=4,8"]`` -> ``{"style": ["a", "b"], "seconds": ["4", "8"]}``."""
    vary: dict[str, list[str]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise VeoInputError(
                f"--vary {item!r}: write KEY=value1,value2 (KEY a name such as style)",
                field="vary",
                value=item,
                allowed="KEY=v1,v2,...",
            )
        if key in vary:
            raise VeoInputError(
                f"--vary {key} is given twice; put all its values in one: {key}=a,b,c",
                field="vary",
                value=key,
                allowed="each key once",
            )
        parts = [v.strip() for v in values.split(",")]
        if not any(parts) or any(not v for v in parts):
            raise VeoInputError(
                f"--vary {key}: give comma-separated values with none empty, e.g. {key}=a,b",
                field="vary",
                value=item,
                allowed="KEY=v1,v2,...",
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
    raise VeoInputError(
        f"--vary fast={value}: use true/false (or yes/no)",
        field="fast",
        value=value,
        allowed="true, false",
    )


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
                f"--vary {key}: the prompt has no {{{key}}} and {key!r} is not a request option "
                f"({', '.join(sorted(VARY_OPTIONS))})",
                field="vary",
                value=key,
                allowed=sorted(VARY_OPTIONS),
            )
        if not values:
            raise VeoInputError(
                f"--vary {key} has no values", field="vary", value=key, allowed="one or more"
            )
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
    """A grid of job views, one per variant, started under a concurrency limit.

    ``gallery.jobs`` lists the jobs started so far (None for a variant not yet started);
    ``gallery.wait()`` / ``await gallery`` return when every variant has ended.
    """

    def __init__(
        self,
        client: Client,
        variants: Sequence[Variant],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        embed: bool = False,
        session: Session | None = None,
    ) -> None:
        if concurrency < 1:
            raise VeoInputError(
                f"concurrency must be 1 or more, not {concurrency}",
                field="concurrency",
                value=concurrency,
                allowed=">= 1",
            )
        self.client = client
        self.variants = list(variants)
        self.concurrency = concurrency
        self.session = session
        self.clips = ClipArea(labelled=True)
        self.views = [
            JobView(None, label=v.label, embed=embed, clips=self.clips, slot=i)
            for i, v in enumerate(self.variants)
        ]
        self.jobs: list[Job | None] = [None] * len(self.variants)
        self._lock = threading.RLock()
        self._next = 0
        self._running = 0
        self._ended: set[int] = set()
        self._all_done = threading.Event()
        self._callbacks: list[Callable[[], None]] = []
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
        """Start the first ``concurrency`` variants; each end starts the next."""
        self._start_next()
        return self

    def _start_next(self) -> None:
        with self._lock:
            while self._running < self.concurrency and self._next < len(self.variants):
                index = self._next
                self._next += 1
                variant = self.variants[index]
                try:
                    job = self.client.submit(variant.prompt, **variant.options)
                except VeoError as exc:  # e.g. the budget ran out meanwhile: shown, not raised
                    self.views[index].not_started(str(exc))
                    self._end(index)
                    continue
                self._running += 1
                self.jobs[index] = job
                if self.session is not None:
                    self.session.keep(job)
                self.views[index].attach(job)
                job.add_listener(lambda event, i=index: self._on_event(i, event))
                if job.done():
                    self._on_event(index, Completed(job.status))  # type: ignore[arg-type]
            if len(self._ended) == len(self.variants) and not self._all_done.is_set():
                self._all_done.set()
                for callback in self._callbacks:
                    callback()

    def _on_event(self, index: int, event: object) -> None:
        if isinstance(event, Completed):
            with self._lock:
                if index in self._ended:
                    return
                self._running -= 1
                self._end(index)
            self._start_next()

    def _end(self, index: int) -> None:
        self._ended.add(index)

    def done(self) -> bool:
        return self._all_done.is_set()

    def wait(self, timeout: float | None = None) -> Gallery:
        """Block until every variant has ended (failures show in their views, not raised)."""
        if not self._all_done.wait(timeout):
            raise TimeoutError(f"{len(self._ended)} of {len(self.variants)} variants ended")
        self.finish()
        return self

    def finish(self) -> None:
        """Send every view's final state (main thread, after waiting)."""
        for view in self.views:
            view.finish()
            view.resend()

    def __await__(self) -> Generator[Any, None, Gallery]:
        return self._wait_async().__await__()

    async def _wait_async(self) -> Gallery:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            loop.call_soon_threadsafe(lambda: waiter.done() or waiter.set_result(None))

        with self._lock:
            if self._all_done.is_set():
                wake()
            else:
                self._callbacks.append(wake)
        await waiter
        self.finish()
        return self

    def cancel(self) -> None:
        """Cancel running jobs and drop the variants not yet started."""
        with self._lock:
            while self._next < len(self.variants):
                self.views[self._next].not_started("not started: the gallery was cancelled")
                self._end(self._next)
                self._next += 1
            running = [job for job in self.jobs if job is not None and not job.done()]
        for job in running:
            job.cancel()
        self._start_next()  # fires the callbacks if nothing was running

    def show(self) -> Gallery:
        """Display the grid, then the clips below it, in the running cell."""
        from IPython.display import display

        from .display import handle_sink

        display(self)
        self.clips.attach(handle_sink())
        return self

    def __repr__(self) -> str:
        states = [job.status if job else "waiting" for job in self.jobs]
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
    session: Session | None = None,
) -> Gallery:
    """Expand, validate and price every variant, check the budget; nothing is sent yet."""
    variants = expand(template, vary, namespace=namespace, options=options)
    for variant in variants:
        variant.estimated_cost = client.request(variant.prompt, **variant.options).estimated_cost
    total = sum(v.estimated_cost for v in variants)
    client.check_budget(total, what=f"these {len(variants)} jobs")
    return Gallery(client, variants, concurrency=concurrency, embed=embed, session=session)


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
        session=session,
    )
    print(f"veo: {gallery.summary}")
    gallery.show().start()
    if wait:
        gallery.wait()
    return gallery
