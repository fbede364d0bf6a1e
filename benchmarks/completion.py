"""Figure 3, noticing completion: from the relay marking a job done to the clip on disk.

All jobs run side by side on one in-process simulator (its task clocks are read from
``Simulator.tasks``), every client with its defaults for a real relay: veo_magic on the chat
stream and on the two polling protocols (adaptive ``PollSchedule``, 1 to 10 s), and the ``openai``
package's ``videos.create_and_poll`` (fixed 1 s). Google's Veo quickstart (sleep 20 s, poll
again) is computed, not run.

When the relay marks a job done:

* chat: ``Task.finished_at``, set by the stream's tick that declares the task done, right before
  it sends the result line;
* polling: the task's clock running out (``Task.started + generation_seconds``, on the monotonic
  clock), or its render finishing if that came later. ``Task.finished_at`` cannot serve: it is
  set lazily, by the first poll that observes the end.

The lag is ``Completed`` minus that instant, less the transfer (``Downloaded`` minus
``VideoReady``), so clip size and disk speed stay out of it. Status requests are counted from
the simulator's request log and averaged over the job's length. Each task gets its own length
(60 s plus up to 2 s at random), so that no fixed-interval poller is lucky or unlucky with the
phase of one exact clock. A fourth veo_magic client runs ``/v1/videos`` with the proposed
0.5 s floor for the poll interval, beside the default.
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ._common import (
    KEY,
    PROMPT,
    Beside,
    Figure,
    figure_main,
    median,
    percentile,
    warm_render_cache,
)

QUICKSTART_SLEEP = 20.0  # seconds, Google's Veo quickstart: while not done: sleep(20); get()
# create reports no progress numbers: its poller aims at the relay's usual job length, which a
# client learns from its finished jobs (and from the journal). WARM has finished one job first.
WARM = "create, job length learned"
JITTER = 2.0  # seconds added at random to each task's length (see varied_length)


class Timeline:
    """A job's events on the monotonic clock (first occurrence of each kind)."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.url: str | None = None
        self.view_shown: float | None = None

    def __call__(self, event: object) -> None:
        now = time.monotonic()
        name = type(event).__name__
        self.at.setdefault(name, now)
        if name == "VideoReady" and self.url is None:
            self.url = event.url  # type: ignore[attr-defined]


class RenderWatch:
    """When each task's clips finished rendering (polled every 5 ms; the simulator keeps no time)."""

    def __init__(self, sim: Any) -> None:
        self.sim = sim
        self.rendered_at: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.005):
            for task_id, task in list(self.sim.tasks.items()):
                if task.rendered and task_id not in self.rendered_at:
                    self.rendered_at[task_id] = time.monotonic()

    def __enter__(self) -> RenderWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _task_for_url(sim: Any, url: str | None) -> Any:
    if not url:
        return None
    for task in sim.tasks.values():
        if any(name in url for clip in task.clips for name in clip.names):
            return task
    return None


def _done_at(task: Any, protocol: str, renders: RenderWatch, wall_offset: float) -> float:
    """When the simulator marked ``task`` done, on the monotonic clock."""
    if protocol == "chat":
        return task.finished_at - wall_offset
    deadline = task.started + task.generation_seconds
    return max(deadline, renders.rendered_at.get(task.id, deadline))


def _link_to_get(quick: bool, tmp: Path) -> dict[str, list[float]]:
    """On the chat stream, how soon a clip's download starts once its link frame is sent; beside
    it, how much longer the stream goes on (what waiting for its end, as before, would cost)."""
    from urllib.parse import urlsplit

    from veo_magic import Client
    from veo_magic.simulator import Simulator

    out: dict[str, list[float]] = {"link_to_get_ms": [], "link_to_end_ms": []}
    with Simulator(generation_seconds=0.5) as sim:
        client = Client(
            base_url=sim.base_url, api_key=KEY, protocol="chat", output_dir=tmp / "links"
        )
        for _ in range(2 if quick else 8):
            job = client.submit(f"{PROMPT} [[sim:slow_links]]", n=2).wait(timeout=60)
            task = _task_for_url(sim, job.video_urls[0])
            ended = max(task.links_sent.values()) + task.scenario.link_gap
            for url, sent in task.links_sent.items():
                path = urlsplit(url).path
                got = min(r.at for r in sim.requests if r.method == "GET" and r.path == path)
                out["link_to_get_ms"].append((got - sent) * 1000)
                out["link_to_end_ms"].append((ended - sent) * 1000)
        client.close()
    return out


def run(quick: bool) -> Figure:
    with tempfile.TemporaryDirectory(prefix="veo-bench-") as tmp_name:
        return _run(quick, Path(tmp_name))


def _run(quick: bool, tmp: Path) -> Figure:
    import openai

    from veo_magic import Client
    from veo_magic.notebook.job_view import JobView
    from veo_magic.simulator import Simulator

    from ._simulator import nodelay

    nodelay()  # see benchmarks/_simulator.py: ~40 ms per request otherwise
    warnings.simplefilter("ignore", DeprecationWarning)  # openai marks the Sora API deprecated
    figure = Figure("completion", "3. Noticing completion: relay done → clip on disk")
    generation = 3.0 if quick else 60.0
    per_client = 3 if quick else 10
    # Start offsets, so that jobs seldom end at the same instant: each finish blocks the shared
    # loop while its view makes a poster frame (see the scale figure's loop stall).
    spread = 1.0 if quick else 20.0
    rng = random.Random(5)
    warm_render_cache(PROMPT, tmp, openai=True)
    # name -> (protocol, poll_interval); None is the client's default for a real relay (1 to 10 s).
    variants: dict[str, tuple[str, tuple[float, float] | None]] = {
        "chat": ("chat", None),
        "videos": ("videos", None),
        "create": ("create", None),
        WARM: ("create", None),
    }
    runs: list[dict[str, Any]] = []
    openai_runs: list[dict[str, Any]] = []
    wall_offset = time.time() - time.monotonic()
    # /v1/videos as the seeds' relays report it, with progress numbers to aim polls at (new-api's
    # own Gemini channel, the simulator's default, reports a fixed 50 while the clip renders).
    with (
        Simulator(generation_seconds=generation, dialect="passthrough") as sim,
        RenderWatch(sim) as renders,
    ):
        clients = {
            name: Client(
                base_url=sim.base_url + "/v1",
                api_key=KEY,
                protocol=protocol,
                output_dir=tmp / name,
                poll_interval=interval,
                max_concurrency=32,  # every job starts at once (the default, 8, queues some)
            )
            for name, (protocol, interval) in variants.items()
        }
        oa = openai.OpenAI(base_url=sim.base_url + "/v1", api_key=KEY, max_retries=0)

        def varied_length() -> None:
            """Give the next task its own length. A real render's length is not a whole number
            of poll intervals; with one exact clock, every fixed-interval poller would land at
            the same phase of the end each time and report a lag that is luck, not design."""
            sim._state.generation_seconds = generation + rng.uniform(0, JITTER)  # no public setter

        def accepted(before: int) -> None:
            deadline = time.monotonic() + 10
            while sim.accepted_creates == before and time.monotonic() < deadline:
                time.sleep(0.001)

        def start_veo(name: str) -> None:
            varied_length()
            before = sim.accepted_creates
            job = clients[name].submit(PROMPT)
            timeline = Timeline()
            job.add_listener(timeline)  # before the view, so the view's work is not in it

            def shown(_bundle: dict[str, str], timeline: Timeline = timeline) -> None:
                timeline.view_shown = time.monotonic()

            view = JobView(job, clips=shown)
            runs.append({"variant": name, "job": job, "timeline": timeline, "view": view})
            accepted(before)

        def start_openai() -> Any:
            varied_length()
            video = oa.videos.create(model="veo-3.1", prompt=PROMPT)
            return video.id

        def poll_openai(video_id: str) -> None:
            video = oa.videos.poll(video_id)  # what create_and_poll does after create: 1 s polls
            openai_runs.append(
                {"id": video.id, "returned": time.monotonic(), "status": video.status}
            )

        warm_up = clients[WARM].submit(PROMPT)  # one whole job teaches the relay's length
        warm_up.wait(timeout=generation + JITTER + 60)
        plan = [
            (rng.uniform(0, spread), p) for p in (*variants, "openai") for _ in range(per_client)
        ]
        plan.sort()
        began = time.monotonic()
        with ThreadPoolExecutor(max_workers=per_client) as pool:
            futures = []
            for offset, who in plan:
                time.sleep(max(0.0, began + offset - time.monotonic()))
                if who == "openai":
                    futures.append(pool.submit(poll_openai, start_openai()))
                else:
                    start_veo(who)
            limit = generation + JITTER + 60
            for entry in runs:
                entry["job"].wait(timeout=limit)
            for future in futures:
                future.result(timeout=limit)
        time.sleep(0.5)  # let the views publish their clips (poster frames)
        requests = list(sim.requests)
        tasks = dict(sim.tasks)
        for client in clients.values():
            client.close()

    def status_requests(task_id: str, protocol: str) -> int:
        if protocol == "create":
            return sum(
                1
                for r in requests
                if r.method == "GET"
                and r.path == "/v1/video/query"
                and r.query.get("id") == task_id
            )
        return sum(1 for r in requests if r.method == "GET" and r.path == f"/v1/videos/{task_id}")

    rows: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    for entry in runs:
        name, job, timeline = entry["variant"], entry["job"], entry["timeline"]
        protocol = variants[name][0]
        task = tasks.get(job.task_id) if job.task_id else None
        task = task or _task_for_url(sim, timeline.url)
        at = timeline.at
        if task is None or job.status != "succeeded" or "Completed" not in at:
            rows[name].append({"error": job.error or "no task"})
            continue
        done = _done_at(task, protocol, renders, wall_offset)
        transfer = at["Downloaded"] - at["VideoReady"]
        rows[name].append(
            {
                "lag_ms": (at["Completed"] - done - transfer) * 1000,
                "notice_ms": (at["VideoReady"] - done) * 1000,
                "transfer_ms": transfer * 1000,
                "view_ms": ((timeline.view_shown or at["Completed"]) - done - transfer) * 1000,
                "status_requests": status_requests(task.id, protocol),
                "task_seconds": task.generation_seconds,
                "render_late_ms": max(
                    0.0,
                    (renders.rendered_at.get(task.id, 0) - task.started - task.generation_seconds)
                    * 1000,
                ),
            }
        )
    openai_rows = []
    for entry in openai_runs:
        task = tasks[entry["id"]]
        done = _done_at(task, "videos", renders, wall_offset)
        openai_rows.append(
            {
                "lag_ms": (entry["returned"] - done) * 1000,
                "status_requests": status_requests(task.id, "videos"),
                "task_seconds": task.generation_seconds,
            }
        )

    def stat(values: list[dict[str, Any]], key: str) -> float | None:
        return median(v[key] for v in values if key in v)

    def rate(values: list[dict[str, Any]]) -> float | None:
        """Status requests per 2 s of the job, averaged."""
        rates = [
            v["status_requests"] / (v["task_seconds"] / 2) for v in values if "task_seconds" in v
        ]
        return sum(rates) / len(rates) if rates else None

    oa_lag = stat(openai_rows, "lag_ms")
    oa_rate = rate(openai_rows)
    quickstart_requests = generation / QUICKSTART_SLEEP
    google_lag = Beside("Veo quickstart, sleep 20 s (computed)", QUICKSTART_SLEEP / 2 * 1000, "ms")
    google_rate = Beside(
        "Veo quickstart (computed)", round(quickstart_requests / (generation / 2), 3), "/2 s"
    )

    def spread_note(values: list[dict[str, Any]]) -> str:
        lags = [v["lag_ms"] for v in values if "lag_ms" in v]
        errors = [v["error"] for v in values if "error" in v]
        text = f"n={len(lags)}, p90 {percentile(lags, 90) or 0:.0f} ms, max {max(lags, default=0):.0f} ms"
        return text + (f"; {len(errors)} failed: {errors[0]}" if errors else "")

    chat = rows["chat"]
    figure.add(
        "chat_lag_ms",
        "chat stream: done → on disk + Completed (median)",
        stat(chat, "lag_ms"),
        "ms",
        limit=50,
        beside=[Beside("clip shown in view (poster frame)", stat(chat, "view_ms"), "ms")],
        note=spread_note(chat),
    )
    warm = rows[WARM]
    for protocol in ("videos", "create"):
        values = rows[protocol]
        extra_lag = [Beside(WARM, stat(warm, "lag_ms"), "ms")] if protocol == "create" else []
        extra_rate = [Beside(WARM, rate(warm), "/2 s")] if protocol == "create" else []
        figure.add(
            f"{protocol}_lag_ms",
            f"{protocol} polling: done → on disk + Completed (median)",
            stat(values, "lag_ms"),
            "ms",
            limit=500,
            beside=[
                Beside("openai create_and_poll (1 s)", oa_lag, "ms"),
                google_lag,
                *extra_lag,
                Beside("clip shown in view (poster frame)", stat(values, "view_ms"), "ms"),
            ],
            note=spread_note(values),
        )
        count = median(v["status_requests"] for v in values if "status_requests" in v) or 0
        figure.add(
            f"{protocol}_status_rate",
            f"{protocol} polling: status requests per 2 s over a {generation:g} s job",
            rate(values),
            "/2 s",
            limit=1.0,
            beside=[
                Beside("openai create_and_poll (1 s)", oa_rate, "/2 s"),
                google_rate,
                *extra_rate,
            ],
            note=f"{count:.0f} requests per job (median)",
        )
    links = _link_to_get(quick, tmp)
    figure.add(
        "chat_link_to_get_ms",
        "chat stream: link frame sent → first GET of that clip (median)",
        median(links["link_to_get_ms"]) or 0,
        "ms",
        limit=50,
        beside=[
            Beside("the stream's end after that link", median(links["link_to_end_ms"]) or 0, "ms")
        ],
        note=f"{len(links['link_to_get_ms'])} links, n=2 clips a job, the stream going on 1 s "
        f"after each; p90 {percentile(links['link_to_get_ms'], 90) or 0:.0f} ms",
    )
    figure.details = {
        "links": links,
        "generation_seconds": generation,
        "jobs_per_client": per_client,
        "veo": rows,
        "openai": openai_rows,
        "quickstart": {
            "lag_ms_expected": QUICKSTART_SLEEP / 2 * 1000,
            "requests": quickstart_requests,
        },
    }
    return figure


if __name__ == "__main__":
    figure_main(run)
