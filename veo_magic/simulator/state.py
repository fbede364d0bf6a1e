"""Everything one running simulator knows: tasks, result files, the request log, the knobs.

Shared between the server's event loop (which mutates it) and the thread that owns the
``Simulator`` (which reads it in tests); plain appends and attribute writes keep that safe enough
for a test double.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from .dialects import Dialect, resolve_dialect
from .ids import file_name
from .render import Renderer, RenderSpec
from .scenarios import ExpireUrl, Hang, Reject, Scenario, Truncate, get_scenario
from .tasks import Clip, FileRef, Task, drawable

if TYPE_CHECKING:
    from .admission import Admission

__all__ = ["LoggedRequest", "SimState"]

log = logging.getLogger("veo_magic.simulator")

FileRoute = Literal["files", "flow", "cdn", "cdn_download"]


@dataclass
class LoggedRequest:
    """One request as the simulator saw it; the key itself is never kept."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # Authorization's value replaced by "<redacted>"
    auth_present: bool
    auth_bearer: bool  # the value started with "Bearer "
    json: Any = None
    form: dict[str, str] | None = None  # multipart text fields
    files: list[dict[str, Any]] = field(default_factory=list)  # field, filename, size, content_type
    status: int | None = None
    at: float = field(default_factory=time.monotonic)  # when it arrived (benchmarks time from it)

    # Mapping-style access too (``entry["method"]``), for tests that treat entries as dicts.
    def __getitem__(self, key: str) -> Any:
        if key not in self.keys():
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self.keys() else default

    def keys(self) -> list[str]:
        return [f.name for f in fields(self)]


class SimState:
    """The simulator's world."""

    def __init__(
        self,
        *,
        generation_seconds: float,
        hang_seconds: float,
        scenario: str | None,
        dialect: str | None,
        renderer: Renderer,
    ) -> None:
        self.generation_seconds = generation_seconds
        self.hang_seconds = hang_seconds
        self.scenario: Scenario = get_scenario(scenario)
        self.dialect: Dialect = resolve_dialect(dialect)
        self.renderer = renderer
        self.tasks: dict[str, Task] = {}
        self.files: dict[str, FileRef] = {}
        self.interactions: dict[str, Any] = {}  # id -> interactions.Interaction (stored ones)
        self.uploads: dict[str, Any] = {}  # file id -> uploads.Uploaded (the Files API's)
        self.requests: list[LoggedRequest] = []
        self.accepted_creates = 0
        self.models: tuple[str, ...] | None = None  # what GET /v1/models lists; None: everything
        self.base_url = ""
        self.counters: Counter[tuple[str, ...]] = Counter()
        self.shutdown: asyncio.Event | None = None  # made on the server's loop at startup
        self._background: set[asyncio.Task[Any]] = set()

    # -- knobs -------------------------------------------------------------------------------

    def set_scenario(self, name: str | None) -> None:
        self.scenario = get_scenario(name)
        self.counters.clear()  # "the first 2 creates" restarts with each selection

    def set_dialect(self, spec: str | None) -> None:
        self.dialect = resolve_dialect(spec)

    def set_models(self, names: object) -> None:
        """List only ``names`` on ``GET /v1/models``; None lists every name the catalog knows."""
        if names is not None and not (
            isinstance(names, list | tuple) and all(isinstance(n, str) for n in names)
        ):
            raise ValueError("models must be a list of names, or null")
        self.models = tuple(names) if names is not None else None

    def sold(self, default: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """The model names a model list names: the server-wide scenario's, else the narrowed
        list, else ``default`` (for ``GET /v1/models``: every name the catalog knows)."""
        if self.scenario.sells is not None:
            return self.scenario.sells
        if self.models is None:
            from .models import default_models

            return default if default is not None else default_models()
        return self.models

    def clock_for(self, scenario: Scenario) -> float:
        """How long a task created under ``scenario`` takes to generate."""
        return self.generation_seconds * scenario.clock_scale

    def new_task(
        self,
        admission: Admission,
        *,
        count: int = 1,
        note: str = "",
        derived: tuple[str, bytes] | None = None,
        **fields: Any,
    ) -> Task:
        """A task started under ``admission`` (its protocol, model, prompt, scenario, dialect,
        clock and drawn text) with ``count`` clips to render, captioned with the model's name,
        ``note`` and their number when there are several; ``derived`` is ``(step, parent MP4)``
        for an edit or extension (``RenderSpec.step``)."""
        for name in ("protocol", "model", "prompt"):
            fields.setdefault(name, getattr(admission, name))
        fields.setdefault("text", admission.tags.text)
        fields.setdefault("size", f"{fields['width']}x{fields['height']}")
        task = Task(
            scenario=admission.scenario,
            dialect=admission.dialect,
            generation_seconds=self.clock_for(admission.scenario),
            **fields,
        )
        caption = " · ".join([task.model, *([note] if note else []), "simulated"])
        task.clips = [
            Clip(
                RenderSpec(
                    task.text,
                    task.width,
                    task.height,
                    task.seconds,
                    caption=caption + (f" · {index + 1}/{count}" if count > 1 else ""),
                    images=drawable(task.images),
                    step=derived[0] if derived else "",
                    source=derived[1] if derived else b"",
                ),
                [],
            )
            for index in range(count)
        ]
        return task

    def fires(self, fault: Reject | Hang | Truncate | ExpireUrl, *key: str) -> bool:
        """Count one occasion for ``fault`` under ``key``; true while it still applies."""
        seen = self.counters[key]
        self.counters[key] = seen + 1
        return fault.times is None or seen < fault.times

    async def hold(self) -> None:
        """Wait ``hang_seconds``, or less if the simulator shuts down first."""
        assert self.shutdown is not None
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.shutdown.wait(), self.hang_seconds)

    # -- tasks -------------------------------------------------------------------------------

    def add_task(self, task: Task, *, file_style: Literal["uuid", "cdn"] = "uuid") -> Task:
        """Register an accepted task (it is charged from here on) and start rendering its clips."""
        for index, clip in enumerate(task.clips):
            clip.names.append(self._new_file(task.id, index, file_style))
        self.tasks[task.id] = task
        self.accepted_creates += 1
        if task.needs_render:
            self._spawn(self._render(task))
        else:
            task.rendered = True
        return task

    def task(self, task_id: str) -> Task | None:
        task = self.tasks.get(task_id)
        return None if task is None or task.deleted else task

    async def _render(self, task: Task) -> None:
        try:
            for clip in task.clips:
                clip.path = await asyncio.to_thread(self.renderer.render, clip.spec)
            task.rendered = True
        except Exception as exc:  # a failed render fails the task, visibly, instead of hanging it
            log.exception("rendering task %s failed", task.id)
            task.render_error = str(exc) or type(exc).__name__

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        job = asyncio.get_running_loop().create_task(coro)
        self._background.add(job)  # keep a reference: the loop holds tasks only weakly
        job.add_done_callback(self._background.discard)

    # -- result files ------------------------------------------------------------------------

    def _new_file(self, task_id: str, clip: int, style: Literal["uuid", "cdn"]) -> str:
        name = file_name(style)
        self.files[name] = FileRef(task_id, clip, style)
        return name

    def rotate_files(self, task: Task) -> None:
        """Give every clip of ``task`` a fresh name; the old names stay expired (403)."""
        for index, clip in enumerate(task.clips):
            old = self.files[clip.name]
            old.expired = True
            clip.names.append(self._new_file(task.id, index, old.style))

    def file_url(self, clip: Clip, route: FileRoute = "files") -> str:
        """The public URL of ``clip``, on the path shape a given relay's CDN uses."""
        name = clip.name
        if route == "flow":  # seed 001: https://veo-video.gptkey.asia/assets/flow/<uuid>.mp4
            return f"{self.base_url}/assets/flow/{name}.mp4"
        if route in ("cdn", "cdn_download"):  # seed 000: /cdn/[download/]<date>/<name>.mp4
            created = self.tasks[self.files[name].task_id].created_at
            middle = "cdn/download" if route == "cdn_download" else "cdn"
            return f"{self.base_url}/{middle}/{datetime.fromtimestamp(created):%Y%m%d}/{name}.mp4"
        return f"{self.base_url}/files/{name}.mp4"
