"""Storyboards: shots chained into one film.

    >>> board = veo_magic.storyboard(
    ...     ["a fox wakes in its den", "the fox steps out into the snow",
    ...      {"prompt": "the fox runs across the field", "seconds": 4}],
    ...     continuity="last-frame", orientation="landscape", protocol="videos")  # doctest: +SKIP
    >>> board.wait().film                                                        # doctest: +SKIP
    PosixPath('veo_outputs/storyboards/20261121-101500_a-fox-wakes-in-its-den_3fa2c1.mp4')

A storyboard is a list of jobs, one per shot, and a film. ``continuity`` says how shots join:

* ``"last-frame"``: shot k+1 starts from shot k's last frame, decoded from the downloaded clip at
  its full size (``clip.last.png`` beside it) and sent as the next request's first frame, checked
  against that model's image rules first. The film leaves out the frame each cut would repeat.
* ``"extend"``: shot k+1 extends shot k's clip: on ``interactions`` by Gemini Omni (a new turn of
  shot k's interaction, 3–10 s, the shot's ``seconds``; 30 s in all on 1.2), on ``gemini`` and
  ``vertex`` by Veo 3.1 (7 s). Google returns the whole video each time, so the film is the last
  shot's clip.
* ``"none"``: independent shots, rendered at once, joined in order.

Every shot is validated and priced before anything is sent (later shots against a stand-in for
the frame or clip they will continue from), and the budget guard sees the whole storyboard. A
shot that fails ends the storyboard; the shots after it are not rendered (nothing is spent on
them) and ``board.retry(k)`` renders shot k and the shots that continue from it again.

The journal keeps a row per storyboard listing each shot's prompt, options and current job, so
``resume`` (``%veo resume ID``, ``veo-magic resume ID``) finishes it in a new process: finished
shots come from disk, a shot the relay was rendering is followed by its task id, and only shots
never sent are created. A shot whose create was under way when the process died, with no task
id recorded, is not sent again (that could be paid twice): it fails, and says how to go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import threading
import time
import weakref
from collections.abc import Callable, Generator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import VeoCancelledError, VeoError, VeoGenerationError, VeoInputError
from .._loop import run_sync, wait_until
from ..jobs import TERMINAL, Job, Listeners, ended, new_job_id, rebuilt
from ..requests import ImageInput
from .shots import (
    Continuity,
    Shot,
    check_continuity,
    for_shot,
    shot_from,
    shots_from,
    validate,
)

if TYPE_CHECKING:
    from ..client import Client
    from ..media import Film
    from ..requests import VideoRequest

__all__ = [
    "Storyboard",
    "find_storyboard",
    "plan",
    "resume",
]

log = logging.getLogger("veo_magic")

FOLDER = "storyboards"  # under the output dir: films, their sidecars, the images shots were given
IMAGE_OPTIONS = ("first_frame", "last_frame", "references")
Listener = Callable[["Storyboard"], None]

_boards: weakref.WeakValueDictionary[str, Storyboard] = weakref.WeakValueDictionary()
_boards_lock = threading.Lock()


def find_storyboard(board_id: str) -> Storyboard | None:
    """A storyboard of this process by id."""
    with _boards_lock:
        return _boards.get(board_id)


def plan(
    client: Client, shots: Sequence[Any], *, continuity: str = "last-frame", **options: Any
) -> Storyboard:
    """Validate and price every shot and check the budget for all of them; nothing is sent."""
    kind = check_continuity(continuity)
    specs = shots_from(shots, options, kind)
    requests: list[VideoRequest] = []
    for index, shot in enumerate(specs):
        requests.append(validate(client, index, shot, kind, requests[-1] if requests else None))
    if kind == "extend" and len(specs) == 1:  # nothing to extend, but say so now if it never could
        validate(client, 1, specs[0], kind, requests[0])
    board = Storyboard(client, specs, kind, requests=requests)
    client.check_budget(board.estimated_cost, what=f"this storyboard of {len(specs)} shots")
    return board


def handoff_frame(video: Path) -> Path:
    """``video``'s last frame, as the next shot's first frame will carry it (under the image
    size limit of the next request)."""
    from ..media import last_frame
    from ..requests import max_image_bytes

    return last_frame(video, max_bytes=max_image_bytes())


# -- the storyboard -------------------------------------------------------------------------------


class Storyboard:
    """Shots chained into a film: ``jobs`` (one per shot, in order), ``film`` once stitched.

    ``board.wait()`` / ``await board`` return the finished storyboard, or raise
    ``VeoGenerationError`` naming the shot that failed; ``board.retry(k)`` renders shot k again
    (with a new prompt or options, if given) and every shot that continues from it.
    """

    def __init__(
        self,
        client: Client,
        shots: Sequence[Shot],
        continuity: Continuity,
        *,
        requests: Sequence[VideoRequest] = (),
        board_id: str | None = None,
    ) -> None:
        self.id = board_id or new_job_id()
        self.client = client
        self.continuity: Continuity = continuity
        self.shots = list(shots)
        self.jobs: list[Job] = []
        self.film: Path | None = None
        self.film_facts: Film | None = None  # how the film was made: length, cuts, stream copy
        self.status: str = "queued"
        self.error: str | None = None
        self.created_at = time.time()
        self._costs = [r.estimated_cost for r in requests]
        # Each shot's request as validated (a stand-in for what it continues from); none on resume.
        self._requests: dict[int, VideoRequest] = dict(enumerate(requests))
        self._started: set[int] = set()  # shots whose current job was handed to the runner
        self._task: asyncio.Task[None] | None = None  # the chain, on the background loop
        self._listeners: Listeners[Storyboard] = Listeners(f"storyboard {self.id}")
        self._removers: dict[str, Callable[[], None]] = {}
        self._lock = threading.RLock()
        self._done = threading.Event()
        with _boards_lock:
            _boards[self.id] = self

    # -- what the user reads -------------------------------------------------------------------

    @property
    def estimated_cost(self) -> float:
        """Estimated USD for every shot as it stands (re-rendered shots counted once)."""
        if self.jobs:
            return round(sum(job.estimated_cost for job in self.jobs), 4)
        return round(sum(self._costs), 4)

    @property
    def simulated(self) -> bool:
        return self.client.simulated

    @property
    def protocol(self) -> str:
        first = self._requests.get(0)
        return first.protocol if first is not None else self.client.protocol

    def done(self) -> bool:
        return self.status in TERMINAL

    def summary(self) -> str:
        """One line for before it starts: shots, continuity, the total estimate."""
        sim = " (simulated: nothing is charged)" if self.simulated else ""
        count = len(self.shots)
        return (
            f"storyboard {self.id}: {count} shot{'s' if count != 1 else ''}, continuity "
            f"{self.continuity}, estimated ${self.estimated_cost:.2f} in total{sim}"
        )

    def failed_shot(self) -> int | None:
        """The first shot that failed, if any."""
        return next((k for k, job in enumerate(self.jobs) if job.status == "failed"), None)

    def __repr__(self) -> str:
        states = [job.status for job in self.jobs] or ["planned"] * len(self.shots)
        film = f" film={self.film.name}" if self.film else ""
        return (
            f"<veo_magic.Storyboard {self.id} {self.continuity} {len(self.shots)} shots "
            f"{self.status} {states}{film}>"
        )

    # -- listeners -----------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(board)`` after every change (on the background loop's thread)."""
        return self._listeners.add(listener)

    def _changed(self) -> None:
        self._listeners(self)

    def _watch(self, job: Job) -> None:
        self._removers[job.id] = job.add_listener(lambda _event: self._changed())

    def _unwatch(self, job: Job) -> None:
        remove = self._removers.pop(job.id, None)
        if remove is not None:
            remove()

    # -- starting ------------------------------------------------------------------------------

    def start(self) -> Storyboard:
        """Record every shot's job (queued), then render them; returns at once."""
        with self._lock:
            if self.jobs:
                return self
            self.jobs = [self.client.prepare(self._requests[k]) for k in range(len(self.shots))]
        for job in self.jobs:
            self._watch(job)
        self._record(new=True)
        run_sync(self._launch())
        return self

    async def _launch(self) -> None:
        self.status, self.error, self.film, self.film_facts = "running", None, None, None
        self._done.clear()
        self._task = asyncio.ensure_future(self._chain())

    def _record(self, *, new: bool = False) -> None:
        """The storyboard's journal row: its shots, each one's current job, status and film."""
        shots = [
            {
                "prompt": shot.prompt,
                "options": self._journal_options(k, shot),
                "job": self.jobs[k].id if k < len(self.jobs) else None,
                "started": k in self._started,
            }
            for k, shot in enumerate(self.shots)
        ]
        fields = {
            "shots": shots,
            "status": self.status,
            "film": str(self.film) if self.film else None,
            "error": self.error,
        }
        journal = self.client.journal
        if new:
            journal.add_storyboard(
                {
                    "id": self.id,
                    "created_at": self.created_at,
                    "continuity": self.continuity,
                    "protocol": self.protocol,
                    "simulated": self.simulated,
                    **fields,
                }
            )
        else:
            journal.update_storyboard(self.id, **fields)

    def _journal_options(self, index: int, shot: Shot) -> dict[str, Any]:
        """``shot``'s keywords as JSON: images the user gave as bytes or objects are saved in
        the storyboard's folder and recorded by path, so a new process can send them again."""
        options = {k: v for k, v in shot.options.items() if k not in IMAGE_OPTIONS}
        request = self._requests.get(index)
        if request is None:
            return {**options, **{k: v for k, v in shot.options.items() if k in IMAGE_OPTIONS}}
        folder = self.client.output_dir / FOLDER / self.id

        def kept(image: ImageInput | None, name: str) -> str | None:
            if image is None or (image.data is None and image.url is None):
                return None  # absent, or the stand-in for the shot before's last frame
            if image.url is not None:
                return image.url
            path = folder / f"shot{index}-{name}-{image.filename}"
            if not path.exists():
                folder.mkdir(parents=True, exist_ok=True)
                path.write_bytes(image.data or b"")
            return str(path)

        for name, image in (("first", request.first_frame), ("last", request.last_frame)):
            if (value := kept(image, name)) is not None:
                options[f"{name}_frame"] = value
        if request.references:
            options["references"] = [
                kept(image, f"reference{i}") for i, image in enumerate(request.references)
            ]
        return options

    # -- the chain, on the background loop -----------------------------------------------------

    async def _chain(self) -> None:
        """Render every shot not yet done (in order, or all at once for ``none``), then stitch."""
        self._changed()
        try:
            count = len(self.jobs)
            if self.continuity == "none":
                await asyncio.gather(*(self._shot(k) for k in range(count)))
            else:
                for k in range(count):
                    if not await self._shot(k):
                        self._skip_after(k)
                        break
            failed = self.failed_shot()
            if failed is not None or any(job.status != "succeeded" for job in self.jobs):
                self._end_unsucceeded(failed)
            else:
                facts = await asyncio.to_thread(self._stitch)
                self.film, self.film_facts, self.status = facts.path, facts, "succeeded"
        except asyncio.CancelledError:
            raise  # a retry or cancel took over; it says what the storyboard is now
        except Exception as exc:
            self.status = "failed"
            self.error = f"the film could not be made: {exc}"
            if not isinstance(exc, OSError | VeoError):
                log.exception("storyboard %s crashed", self.id)
        else:
            if self.status == "succeeded":
                self.error = None
        self._finish()

    def _finish(self) -> None:
        with contextlib.suppress(Exception):  # the journal is best effort at the very end
            self._record()
        self._changed()
        self._done.set()  # after the listeners, so a waiter sees their final output first

    def _end_unsucceeded(self, failed: int | None) -> None:
        if failed is not None:
            job = self.jobs[failed]
            self.status = "failed"
            self.error = f"shot {failed} failed: {job.error or 'the generation failed'}"
        else:
            self.status = "cancelled"
            self.error = "cancelled before every shot was rendered"

    async def _shot(self, index: int) -> bool:
        """Shot ``index`` to its end: started here if it never was; True if it succeeded."""
        job = self.jobs[index]
        if not job.done() and index not in self._started:
            try:
                request = await self._request_for(index)
            except VeoError as exc:
                self.client.skip(job, str(exc), status="failed")
                return False
            self._started.add(index)
            self._record()
            self.client.start(job, request)
        with contextlib.suppress(VeoError):
            await job
        return job.status == "succeeded"

    async def _request_for(self, index: int) -> VideoRequest:
        """The shot's real request, now that what it continues from exists."""
        shot = self.shots[index]
        options = dict(shot.options)
        if index and self.continuity == "last-frame":
            previous = self.jobs[index - 1]
            try:
                options["first_frame"] = await asyncio.to_thread(handoff_frame, previous.videos[0])
            except (OSError, IndexError) as exc:
                raise VeoError(
                    f"shot {index}: no first frame from shot {index - 1}: {exc}"
                ) from exc
        try:
            if index and self.continuity == "extend" and self.client.protocol == "interactions":
                return self.client.derived(self.jobs[index - 1], "extend", shot.prompt, **options)
            if index and self.continuity == "extend":
                options["extend"] = self.jobs[index - 1]
            return self.client.request(shot.prompt, **options)
        except VeoInputError as exc:  # e.g. the frame is over the next model's size limit
            raise for_shot(index, exc) from None

    def _skip_after(self, index: int) -> None:
        for later in range(index + 1, len(self.jobs)):
            job = self.jobs[later]
            if job.done():
                continue
            if later in self._started:
                job.cancel()
            else:
                self.client.skip(job, f"not rendered: shot {index} did not succeed")

    def _stitch(self) -> Film:
        from ..media import poster_for, stitch

        clips = [job.videos[0] for job in self.jobs]
        if self.continuity == "extend":  # each extension holds the whole video so far
            clips = clips[-1:]
        stamp = time.strftime("%Y%m%d-%H%M%S")
        slug = "-".join(re.findall(r"[a-z0-9]+", self.shots[0].prompt.lower()))[:40].strip("-")
        dest = self.client.output_dir / FOLDER / f"{stamp}_{slug or 'film'}_{self.id[:6]}.mp4"
        film = stitch(clips, dest, trim_handoff=self.continuity == "last-frame")
        poster_for(film.path)  # the film's poster frame, as every clip has one
        self._write_sidecar(film)
        return film

    def _write_sidecar(self, film: Film) -> None:
        record = {
            "storyboard": self.id,
            "continuity": self.continuity,
            "simulated": self.simulated,
            "file": film.path.name,
            "seconds": round(film.seconds, 3),
            "cuts": film.cuts,
            "trimmed_frames": film.trimmed_frames,
            "stream_copy": film.stream_copy,
            "estimated_cost": self.estimated_cost,
            "shots": [
                {
                    "shot": k,
                    "prompt": job.prompt,
                    "job_id": job.id,
                    "task_id": job.task_id,
                    "model": job.model,
                    "estimated_cost": job.estimated_cost,
                    "file": str(job.videos[0]) if job.videos else None,
                    "first_frame": next(
                        (i.get("source") for i in job.record.get("images", [])
                         if i.get("role") == "first_frame"),
                        None,
                    ),
                }
                for k, job in enumerate(self.jobs)
            ],
        }  # fmt: skip
        sidecar = film.path.with_suffix(".json")
        tmp = sidecar.with_name(f"{sidecar.name}.{os.getpid()}.part")
        tmp.write_text(json.dumps(record, ensure_ascii=False, indent=2, default=str), "utf-8")
        os.replace(tmp, sidecar)

    # -- retry and cancel ----------------------------------------------------------------------

    def retry(self, index: int, prompt: str | None = None, **options: Any) -> Storyboard:
        """Render shot ``index`` again (with ``prompt`` and ``options`` changed, if given) and
        every later shot that continues from it; the others are kept. Checked and priced first:
        nothing is sent for a request the model would refuse, or past the budget."""
        if (
            isinstance(index, bool)
            or not isinstance(index, int)
            or not 0 <= index < len(self.shots)
        ):
            raise VeoInputError(
                "shot", index, "is not a shot of this storyboard", range(len(self.shots))
            )
        if not self.jobs:
            raise VeoInputError(
                "shot", index, "cannot be rendered again before the storyboard has started"
            )
        old = self.shots[index]
        changed = Shot(prompt if prompt is not None else old.prompt, {**old.options, **options})
        shots = list(self.shots)
        shots[index] = shot_from(index, changed, {}, self.continuity)
        again = [index] if self.continuity == "none" else list(range(index, len(shots)))
        requests = dict(self._validated(shots, again))
        cost = sum(r.estimated_cost for r in requests.values())
        self.client.check_budget(cost, what=f"re-rendering {len(again)} shot(s)")
        run_sync(self._restart(shots, requests))
        return self

    def _validated(self, shots: list[Shot], indices: list[int]) -> list[tuple[int, VideoRequest]]:
        found: list[tuple[int, VideoRequest]] = []
        for k in indices:
            previous = found[-1][1] if found and found[-1][0] == k - 1 else None
            if previous is None and k:
                previous = self.jobs[k - 1].request
            found.append((k, validate(self.client, k, shots[k], self.continuity, previous)))
        return found

    async def _restart(self, shots: list[Shot], requests: dict[int, VideoRequest]) -> None:
        """On the loop: stop the chain, replace the re-rendered shots' jobs, start again."""
        await self._stop_chain()
        for k, request in requests.items():
            old = self.jobs[k]
            self._unwatch(old)
            if not old.done():
                if k in self._started:
                    old.cancel()
                else:
                    self.client.skip(old, "replaced by a retry")
            self.jobs[k] = self.client.prepare(request)
            self._watch(self.jobs[k])
            self._started.discard(k)
            self._requests[k] = request
        self.shots = shots
        await self._launch()
        self._record()

    async def _stop_chain(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def cancel(self) -> None:
        """Stop rendering: shots under way are cancelled, the rest are not rendered."""
        if self.jobs and not self.done():
            run_sync(self._cancel())

    async def _cancel(self) -> None:
        await self._stop_chain()
        for k, job in enumerate(self.jobs):
            if job.done():
                continue
            if k in self._started:
                job.cancel()
                with contextlib.suppress(VeoError):
                    await job
            else:
                self.client.skip(job, "not rendered: the storyboard was cancelled")
        self.status, self.error = "cancelled", "cancelled by the user"
        self._finish()

    # -- resuming ------------------------------------------------------------------------------

    def _job_again(self, index: int, entry: Mapping[str, Any]) -> Job:
        """Shot ``index``'s job as the journal left it: finished, to follow, or to start."""
        row = self.client.journal.get(entry["job"]) if entry.get("job") else None
        if row is None:  # recorded before its job was: make it now
            previous = self.jobs[index - 1].request if index and self.jobs else None
            return self.client.prepare(
                validate(self.client, index, self.shots[index], self.continuity, previous)
            )
        status = row["status"]
        files = [Path(f) for f in row["files"]]
        if status == "succeeded" and files and all(f.exists() for f in files):
            return ended(row, "succeeded", None, files)
        if status in ("failed", "cancelled"):
            return ended(row, status, row.get("error"), [])
        if row.get("task_id"):
            self._started.add(index)
            return self.client.resume(row["id"])
        job = rebuilt(row)
        if entry.get("started"):  # the create may have reached the relay: never send it twice
            self._started.add(index)
            job.recovery = "find_task"
            job.may_charge = True
            message = (
                f"the process stopped while shot {index} was being created, before the relay gave a "
                "task id; the relay may have it. Check its dashboard (and follow the task with "
                "resume), or render the shot again with retry"
            )
            run_sync(_end_now(self.client, job, message))
        return job

    # -- waiting -------------------------------------------------------------------------------

    def _outcome(self) -> Storyboard:
        if self.status == "failed":
            failed = self.failed_shot()
            hint = (
                f" Render it (and what follows) again with board.retry({failed})."
                if failed is not None
                else ""
            )
            task = self.jobs[failed].task_id if failed is not None else None
            message = (self.error or "failed").rstrip(".")
            raise VeoGenerationError(f"storyboard {self.id}: {message}.{hint}", task_id=task)
        if self.status == "cancelled":
            raise VeoCancelledError(f"storyboard {self.id} was cancelled")
        return self

    def wait(self, timeout: float | None = None) -> Storyboard:
        """Block until the film is made (or a shot failed); return the storyboard, or raise."""
        if not self.jobs:
            raise RuntimeError("the storyboard has not started: call start() first")
        if not self._done.wait(timeout):
            finished = sum(job.status == "succeeded" for job in self.jobs)
            raise TimeoutError(
                f"storyboard {self.id}: {finished} of {len(self.jobs)} shots done after "
                f"{timeout} s; it keeps running"
            )
        return self._outcome()

    def __await__(self) -> Generator[Any, None, Storyboard]:
        return self._wait_async().__await__()

    async def _wait_async(self) -> Storyboard:
        def subscribe(wake: Callable[[], None]) -> Callable[[], None]:
            return self.add_listener(lambda board: wake() if board.done() else None)

        await wait_until(self._done, subscribe)
        return self._outcome()


# -- resuming -------------------------------------------------------------------------------------


def resume(client: Client, board_id: str) -> Storyboard:
    """The recorded storyboard ``board_id``, going again from where it stopped."""
    key = str(board_id).strip()
    live = find_storyboard(key)
    if live is not None and live.jobs:
        return live
    row = client.journal.get_storyboard(key)
    if row is None:
        raise VeoInputError("storyboard", key, f"is not recorded in {client.journal.path}")
    # Shots not yet sent go out on the storyboard's protocol, whatever this client's default.
    shots = [
        Shot(entry["prompt"], {"protocol": row["protocol"], **(entry.get("options") or {})})
        for entry in row["shots"]
    ]
    board = Storyboard(client, shots, row["continuity"], board_id=row["id"])
    board.created_at = row["created_at"]
    for k, entry in enumerate(row["shots"]):
        board.jobs.append(board._job_again(k, entry))
        board._watch(board.jobs[-1])
    film = Path(row["film"]) if row.get("film") else None
    done = all(job.status == "succeeded" for job in board.jobs)
    if row["status"] == "succeeded" and done and film is not None and film.exists():
        board.film, board.film_facts, board.status = film, _film_facts(film), "succeeded"
        board._done.set()
        return board
    run_sync(board._launch())
    return board


def _film_facts(film: Path) -> Film | None:
    """How a film made by an earlier process was made, from its sidecar."""
    from ..media import Film

    try:
        facts = json.loads(film.with_suffix(".json").read_text(encoding="utf-8"))
        return Film(
            film,
            float(facts["seconds"]),
            bool(facts["stream_copy"]),
            int(facts["cuts"]),
            int(facts["trimmed_frames"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


async def _end_now(client: Client, job: Job, message: str) -> None:
    client.skip(job, message, status="failed")
