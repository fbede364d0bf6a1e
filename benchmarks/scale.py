"""Figure 5, scale: 64 concurrent jobs in one real kernel, then 1,000 queued jobs in one process.

Part one starts an ipykernel (jupyter_client), loads the extension, raises the session client's
``max_concurrency`` to the number of jobs (its default, 8, would queue the rest), and runs one
``%%veo`` cell per job against a simulator in its own process. While every job waits on the
relay, it reads the kernel's CPU time over a window of wall time and counts the widget messages
(``comm_msg`` updates on iopub, attributed to each job through the cell that opened the
widget). Memory per job is the kernel's RSS growth over those jobs. It does this on the chat
stream (the default) and again on ``/v1/videos`` polling. While the clips finish it probes the
background loop (a 50 ms timer) for stalls. An idle kernel is the baseline beside it.

Part two submits 1,000 jobs at once through ``Client(max_concurrency=32)`` in a fresh process
(``benchmarks._queue_worker``) and reads RSS at 0, 250, 500, 750 and 1,000 done.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import psutil

from ._common import (
    KEY,
    MIB,
    PROMPT,
    Beside,
    Figure,
    SimProcess,
    bench_env,
    figure_main,
    median,
    warm_render_cache,
)

SETUP = """
%load_ext veo_magic
import gc, time
import httpx, ipywidgets
import veo_magic.relays.download, veo_magic.relays.protocols.chat, veo_magic.relays.protocols.videos
import veo_magic.notebook.job_view, veo_magic.notebook.display
from veo_magic.notebook.session import current_session as _veo_session
from veo_magic.jobs.runner import started_jobs as _veo_jobs
from veo_magic._loop import background_loop as _veo_loop
"""

# One job per protocol, start to finish, on a fast simulator: every code path (download, sidecar,
# poster frame, clip display) has run once before anything is measured.
WARM = """
%veo config base_url={fast}/v1
get_ipython().run_cell_magic("veo", "--wait", {prompt!r})
get_ipython().run_cell_magic("veo", "--wait --protocol videos", {prompt!r})
%veo config base_url={slow}/v1
_veo_session().client.max_concurrency = {jobs}
gc.collect()
"""

# A 50 ms timer on the background loop; how late it fires is how long the loop was blocked.
PROBE = """
_veo_lateness = []
def _veo_probe(expected=[None]):
    now = time.monotonic()
    if expected[0] is not None:
        _veo_lateness.append(now - expected[0])
    if _veo_probing:
        expected[0] = now + 0.05
        _veo_loop().call_later(0.05, _veo_probe)
_veo_probing = True
_veo_loop().call_soon_threadsafe(_veo_probe)
"""


class IOPub:
    """Every iopub message, with the monotonic time it arrived, read on a thread of its own."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.messages: list[tuple[float, dict[str, Any]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self.client.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                continue
            self.messages.append((time.monotonic(), msg))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class Kernel:
    """An ipykernel in its own process, and a blocking client to it."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        from jupyter_client.manager import start_new_kernel

        self.manager, self.client = start_new_kernel(
            kernel_name="python3", cwd=str(cwd), env=env, startup_timeout=90
        )
        self.process = psutil.Process(self.manager.provisioner.pid)  # type: ignore[union-attr]
        self.iopub = IOPub(self.client)

    def execute(self, code: str, timeout: float = 120, **expressions: str) -> dict[str, Any]:
        """Run ``code``; return the reply's content (and ``user_expressions`` as text)."""
        msg_id = self.client.execute(code, user_expressions=expressions)
        deadline = time.monotonic() + timeout
        while True:
            reply = self.client.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                content = reply["content"]
                if content["status"] != "ok":
                    raise RuntimeError(
                        f"kernel error: {content.get('ename')}: {content.get('evalue')}"
                    )
                content["msg_id"] = msg_id
                return content

    def value(self, expression: str) -> Any:
        found = self.execute("", value=expression)["user_expressions"]["value"]
        if found.get("status") != "ok":
            raise RuntimeError(f"{expression}: {found}")
        return eval(found["data"]["text/plain"], {})  # literals the kernel printed with repr

    def cpu(self) -> float:
        times = self.process.cpu_times()
        return times.user + times.system

    def rss(self) -> int:
        return self.process.memory_info().rss

    def close(self) -> None:
        self.iopub.stop()
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def _wait_for(kernel: Kernel, expression: str, target: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    value = kernel.value(expression)
    while value < target and time.monotonic() < deadline:
        time.sleep(0.5)
        value = kernel.value(expression)
    return value


def phase(kernel: Kernel, *, protocol: str, jobs: int, window: float, timeout: float) -> dict:
    """``jobs`` fire-and-forget cells on ``protocol``; CPU, messages, memory while they wait."""
    kernel.execute("gc.collect()")
    rss_before = kernel.rss()
    option = "" if protocol == "chat" else f" --protocol {protocol}"
    first = len(_session_jobs(kernel))
    empty = []
    for _ in range(5):
        started = time.perf_counter()
        kernel.execute("pass")
        empty.append(time.perf_counter() - started)
    cells: list[str] = []
    returns: list[float] = []
    for _ in range(jobs):
        started = time.perf_counter()
        cells.append(kernel.execute(f"%%veo{option}\n{PROMPT}")["msg_id"])
        returns.append(time.perf_counter() - started)
    running = f"sum(j.status == 'running' for j in _veo_jobs()[{first}:])"
    _wait_for(kernel, running, jobs, timeout=60)
    time.sleep(1.0)
    mark = len(kernel.iopub.messages)
    profiler = _profile(kernel, protocol, window)
    cpu0, wall0 = kernel.cpu(), time.monotonic()
    time.sleep(window)
    cpu1, wall1 = kernel.cpu(), time.monotonic()
    if profiler is not None:
        profiler.wait(window + 30)
    rss_running = kernel.rss()
    in_window = kernel.iopub.messages[mark:]
    kernel.execute(PROBE)
    done = f"sum(j.done() for j in _veo_jobs()[{first}:])"
    finished = _wait_for(kernel, done, jobs, timeout=timeout)
    time.sleep(1.5)  # the views' last messages and clips
    kernel.execute("_veo_probing = False")
    # Summed in the kernel: a long list's repr is cut short ("...") by IPython's printer.
    stall_max, stall_total = kernel.value(
        "(max(_veo_lateness, default=0), sum(x for x in _veo_lateness if x > 0.01))"
    )
    failed = kernel.value(f"[j.error for j in _veo_jobs()[{first}:] if j.status != 'succeeded']")
    kernel.execute("gc.collect()")
    rss_after = kernel.rss()

    owner = _widget_owners(kernel.iopub.messages, set(cells))
    window_counts = _updates_per_job(in_window, owner)
    per_job_rates = [window_counts.get(cell, 0) / (wall1 - wall0) for cell in cells]
    peaks = _peak_per_second(kernel.iopub.messages, owner)
    return {
        "protocol": protocol,
        "jobs": jobs,
        "finished": finished,
        "failed": failed,
        "window_seconds": wall1 - wall0,
        "cpu_percent": (cpu1 - cpu0) / (wall1 - wall0) * 100,
        "messages_per_job_per_s": sum(per_job_rates) / len(per_job_rates),
        "messages_per_job_per_s_max": max(per_job_rates),
        "peak_messages_in_1s_per_job": max(peaks.values(), default=0),
        "rss_per_job": (rss_running - rss_before) / jobs,
        "rss_retained_per_finished_job": (rss_after - rss_before) / jobs,
        "cell_return_ms_median": (median(returns) or 0) * 1000,
        "empty_cell_ms_median": (median(empty) or 0) * 1000,
        "loop_stall_ms_max": stall_max * 1000,
        "loop_stall_ms_total": stall_total * 1000,
    }


def _profile(kernel: Kernel, protocol: str, window: float) -> subprocess.Popen[bytes] | None:
    """With ``BENCH_PROFILE_DIR`` set, py-spy samples the kernel over the window (all threads,
    idle ones left out), writing collapsed stacks there; the CPU figure then includes its cost."""
    folder = os.environ.get("BENCH_PROFILE_DIR")
    if not folder:
        return None
    out = Path(folder) / f"scale-{protocol}.collapsed.txt"
    beside = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen(
        [str(beside) if beside.exists() else "py-spy", "record", "--pid", str(kernel.process.pid), "--duration", f"{window:.0f}",
         "--rate", "200", "--nonblocking", "--format", "raw", "--output", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _session_jobs(kernel: Kernel) -> list[str]:
    return kernel.value("[j.id for j in _veo_jobs()]")


def _widget_owners(messages: list[tuple[float, dict]], cells: set[str]) -> dict[str, str]:
    """comm id -> the cell (execute msg id) that opened it."""
    owner = {}
    for _, msg in messages:
        if msg["msg_type"] == "comm_open":
            parent = msg["parent_header"].get("msg_id")
            if parent in cells:
                owner[msg["content"]["comm_id"]] = parent
    return owner


def _is_update(msg: dict) -> bool:
    return msg["msg_type"] == "comm_msg" and msg["content"]["data"].get("method") == "update"


def _updates_per_job(messages: list[tuple[float, dict]], owner: dict[str, str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for _, msg in messages:
        if _is_update(msg) and (cell := owner.get(msg["content"]["comm_id"])):
            counts[cell] += 1
    return counts


def _peak_per_second(messages: list[tuple[float, dict]], owner: dict[str, str]) -> dict[str, int]:
    """Per job, the most widget updates in any one second (sliding), over the job's life."""
    times: dict[str, list[float]] = defaultdict(list)
    for at, msg in messages:
        if _is_update(msg) and (cell := owner.get(msg["content"]["comm_id"])):
            times[cell].append(at)
    peaks = {}
    for cell, stamps in times.items():
        best, start = 0, 0
        for end, at in enumerate(stamps):
            while at - stamps[start] > 1.0:
                start += 1
            best = max(best, end - start + 1)
        peaks[cell] = best
    return peaks


# A view fed progress far faster than any relay sends it: what its throttle lets through.
FLOOD = """
import asyncio
from IPython.display import display
from veo_magic._events import Progress
from veo_magic.jobs.job import Job
from veo_magic._loop import spawn as _veo_spawn
from veo_magic.notebook.job_view import JobView
_flood_job = Job(protocol="chat", record={{"prompt": {prompt!r}, "model": "veo-3.1"}})
display(JobView(_flood_job))

async def _flood(events={events}, interval={interval}):
    for i in range(events):
        _flood_job._apply(Progress(i * 99 / events, message=f"progress {{i * 99 / events:.1f}}%"))
        await asyncio.sleep(interval)

_veo_spawn(_flood())
"""


def flood(kernel: Kernel, seconds: float, rate: float = 50.0) -> dict[str, float]:
    """Progress events at ``rate`` a second into one view; its widget messages per second."""
    mark = len(kernel.iopub.messages)
    events = int(seconds * rate)
    cell = kernel.execute(FLOOD.format(prompt=PROMPT, events=events, interval=1 / rate))["msg_id"]
    time.sleep(seconds + 1.5)
    messages = kernel.iopub.messages[mark:]
    owner = _widget_owners(messages, {cell})
    updates = [at for at, msg in messages if _is_update(msg) and msg["content"]["comm_id"] in owner]
    span = (updates[-1] - updates[0]) if len(updates) > 1 else seconds
    return {
        "events_per_s": rate,
        "messages_per_s": len(updates) / max(span, 1e-9),
        "peak_in_1s": max(_peak_per_second(messages, owner).values(), default=0),
    }


def idle_cpu(kernel: Kernel, window: float) -> float:
    cpu0, wall0 = kernel.cpu(), time.monotonic()
    time.sleep(window)
    return (kernel.cpu() - cpu0) / (time.monotonic() - wall0) * 100


def queued(base_url: str, jobs: int, concurrency: int, out: Path) -> dict[str, Any]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks._queue_worker",
            base_url,
            str(jobs),
            str(concurrency),
            str(out),
        ],
        capture_output=True,
        text=True,
        env=bench_env(),
        timeout=1800,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the queue worker failed: {result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(quick: bool) -> Figure:
    figure = Figure("scale", "5. Scale: many jobs in one kernel")
    jobs = 12 if quick else 64
    generation = 3.0 if quick else 60.0
    window = 1.5 if quick else 20.0
    total, concurrency = (100, 32) if quick else (1000, 32)
    with tempfile.TemporaryDirectory(prefix="veo-bench-") as tmp_name:
        tmp = Path(tmp_name)
        warm_render_cache(PROMPT, tmp, ("chat", "videos"))
        with (
            SimProcess(generation_seconds=generation) as sim,
            SimProcess(generation_seconds=0.2) as fast,
        ):
            env = bench_env(
                VEO_BASE_URL=sim.base_url + "/v1",
                VEO_API_KEY=KEY,
                VEO_OUTPUT_DIR=str(tmp / "out"),
            )
            kernel = Kernel(tmp, env)
            try:
                kernel.execute(SETUP)
                kernel.execute(
                    WARM.format(fast=fast.base_url, slow=sim.base_url, prompt=PROMPT, jobs=jobs)
                )
                idle = idle_cpu(kernel, window / 2)
                phases = {
                    protocol: phase(
                        kernel,
                        protocol=protocol,
                        jobs=jobs,
                        window=window,
                        timeout=generation * 2 + 120,
                    )
                    for protocol in ("chat", "videos")
                }
                flooded = flood(kernel, seconds=2.0 if quick else 5.0)
            finally:
                kernel.close()
        with SimProcess(generation_seconds=0.2 if quick else 1.0) as sim:
            many = queued(sim.base_url, total, concurrency, tmp / "queue")

    chat, videos = phases["chat"], phases["videos"]
    n = f"{jobs} jobs, {window:g} s window"
    figure.add(
        "scale_cpu_pct",
        f"client CPU while {jobs} jobs wait (chat stream)",
        chat["cpu_percent"],
        "% core",
        limit=5,
        beside=[
            Beside("/v1/videos polling", videos["cpu_percent"], "% core"),
            Beside("idle kernel", idle, "% core"),
        ],
        note=n,
    )
    figure.add(
        "scale_msgs_per_job",
        "widget messages per second per job (while waiting)",
        chat["messages_per_job_per_s"],
        "/s",
        limit=10,
        beside=[
            Beside("/v1/videos polling", videos["messages_per_job_per_s"], "/s"),
            Beside(
                "busiest second of any job",
                max(chat["peak_messages_in_1s_per_job"], videos["peak_messages_in_1s_per_job"]),
                "msgs",
            ),
        ],
        note=n,
    )
    figure.add(
        "scale_msgs_flood",
        "widget messages per second, one view fed 50 progress events/s",
        flooded["messages_per_s"],
        "/s",
        limit=10,
        beside=[Beside("busiest second", flooded["peak_in_1s"], "msgs")],
        note="the shared refresh loop and each view's budget, under a relay that streams fast",
    )
    figure.add(
        "scale_peak_msgs_1s",
        "widget messages in a job's busiest second",
        max(chat["peak_messages_in_1s_per_job"], videos["peak_messages_in_1s_per_job"]),
        "msgs",
        limit=10,
        note="over each job's whole life, the finish included",
    )
    figure.add(
        "kernel_cell_return_ms",
        "%%veo cell round trip in the kernel (median)",
        chat["cell_return_ms_median"],
        "ms",
        beside=[
            Beside("empty cell", chat["empty_cell_ms_median"], "ms"),
            Beside("/v1/videos polling", videos["cell_return_ms_median"], "ms"),
        ],
        note="execute_request to execute_reply, seen from the client",
    )
    figure.add(
        "scale_rss_per_job_kib",
        "kernel memory per running job (view included)",
        chat["rss_per_job"] / 1024,
        "KiB",
        beside=[
            Beside("/v1/videos polling", videos["rss_per_job"] / 1024, "KiB"),
            Beside(
                "retained per finished job", chat["rss_retained_per_finished_job"] / 1024, "KiB"
            ),
        ],
    )
    figure.add(
        "scale_loop_stall_ms",
        f"longest background-loop stall while {jobs} clips finish",
        max(chat["loop_stall_ms_max"], videos["loop_stall_ms_max"]),
        "ms",
        beside=[Beside("stalls added up (chat)", chat["loop_stall_ms_total"], "ms")],
        note="50 ms timer on the jobs' loop; poster frames are made there",
    )
    series = many["series"]
    by_done = {point["done"]: point["rss"] for point in series}
    quarter = total // 4
    growth = (by_done[total] - by_done[quarter]) / MIB
    figure.add(
        "queue_rss_growth_mib",
        f"{total:,} queued jobs, limit {concurrency}: RSS growth from {quarter:,} to {total:,} done",
        growth / (total - quarter) * 1000,
        "MiB/1000 jobs",
        limit=10,
        beside=[
            Beside(f"RSS at {k:,} done", by_done[k] / MIB, "MiB")
            for k in (0, quarter, 2 * quarter, 3 * quarter, total)
        ],
        note=(
            f"{many['seconds']:.0f} s wall, {many['cpu_seconds'] / total * 1000:.1f} ms CPU per job, "
            f"{many['failed']} failed; the jobs stay referenced, as a user's list keeps them"
        ),
    )
    figure.details = {
        "jobs": jobs,
        "generation_seconds": generation,
        "window_seconds": window,
        "idle_kernel_cpu_percent": idle,
        "phases": phases,
        "flood": flooded,
        "queue": many,
    }
    return figure


if __name__ == "__main__":
    figure_main(run)
