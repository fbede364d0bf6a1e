"""Figure 7, Gemini Omni on the Interactions API: interaction done → clip on disk, and memory.

Latency: jobs of ``protocol="interactions"`` on one in-process simulator (its task clocks are
read from ``Simulator.tasks``), followed two ways: by the event stream (the default) and by
polling alone (the stream turned off, as behind LiteLLM, which drops ``?stream=true``), each
with the client's defaults for a real API (0.5 to 10 s between polls). When the simulator marks
the interaction done: its clock running out, or its render finishing if that came later (as in
the completion figure). The lag is ``Completed`` minus that instant, less the move of the clip
into place (``Downloaded`` minus ``VideoReady``). GETs of the interaction are counted from the
simulator's log and averaged over the job's length.

Memory: a 20 MB clip sent inline, as Google sends it (base64 inside the JSON: ~27 MB on one
line), by a loopback server in another process, read by the adapter's reader (``spill``), on
the event stream and as a poll answer. The peak is Python's allocations (``tracemalloc``) while
the answer arrives, beside the usual way (``response.json()`` then ``b64decode``).
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from ._common import KEY, MIB, PROMPT, Beside, Figure, figure_main, median, warm_render_cache
from .completion import RenderWatch, Timeline

CLIP_BYTES = 20 * 1024 * 1024
_SERVER = """
import base64, json, os, sys
import uvicorn
from starlette.applications import Starlette
from starlette.responses import StreamingResponse
from starlette.routing import Route

size = int(sys.argv[2])
clip = b"\\x00\\x00\\x00\\x18ftypmp42" + os.urandom(size - 12)
b64 = base64.b64encode(clip)
head = json.dumps({"id": "bench", "status": "completed", "steps": [
    {"type": "model_output", "content": [{"type": "video", "mime_type": "video/mp4",
     "data": "@@"}]}]}).encode()
before, after = head.split(b"@@")

def pieces(prefix, suffix):
    yield prefix + before
    for i in range(0, len(b64), 65536):
        yield b64[i:i + 65536]
    yield after + suffix

async def poll(request):
    return StreamingResponse(pieces(b"", b""), media_type="application/json")

async def stream(request):
    delta = json.dumps({"event_type": "step.delta", "index": 0,
        "delta": {"type": "video", "mime_type": "video/mp4", "data": "@@"}}).encode()
    b, a = delta.split(b"@@")
    done = json.dumps({"event_type": "interaction.completed",
        "interaction": {"id": "bench", "status": "completed"}}).encode()
    def events():
        yield b"data: " + b
        for i in range(0, len(b64), 65536):
            yield b64[i:i + 65536]
        yield a + b"\\n\\n"
        yield b'data: {"event_type": "step.stop", "index": 0}\\n\\n'
        yield b"data: " + done + b"\\n\\n"
    return StreamingResponse(events(), media_type="text/event-stream")

app = Starlette(routes=[Route("/poll", poll), Route("/stream", stream)])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _latency(quick: bool, tmp: Path) -> dict[str, dict[str, list[float]]]:
    from veo_magic import Client
    from veo_magic.relays.protocols import interactions
    from veo_magic.simulator import Simulator

    from ._simulator import nodelay

    nodelay()
    generation = 2.0 if quick else 20.0
    jobs = 2 if quick else 6
    warm_render_cache(PROMPT, tmp)
    out: dict[str, dict[str, list[float]]] = {}
    original = interactions.InteractionsAdapter.__init__
    with Simulator(generation_seconds=generation) as sim, RenderWatch(sim) as renders:
        for how in ("streamed", "polled"):

            def init(self: Any, *args: Any, _stream: bool = how == "streamed", **kw: Any) -> None:
                original(self, *args, **kw)
                self.stream = _stream

            interactions.InteractionsAdapter.__init__ = init  # type: ignore[method-assign]
            client = Client(
                base_url=sim.base_url,
                api_key=KEY,
                protocol="interactions",
                output_dir=tmp / how,
                poll_interval=(0.5, 10.0),  # the defaults for a real API
            )
            lags: list[float] = []
            rates: list[float] = []
            try:
                for _ in range(jobs):
                    sim.requests.clear()
                    job = client.submit(PROMPT, seconds=3, resolution="360p")
                    timeline = Timeline()
                    job.add_listener(timeline)
                    job.wait(timeout=generation * 4 + 30)
                    task = sim.tasks[sim._state.interactions[job.task_id].task.id]
                    deadline = task.started + task.generation_seconds
                    done = max(deadline, renders.rendered_at.get(task.id, deadline))
                    moved = timeline.at["Downloaded"] - timeline.at["VideoReady"]
                    lags.append((timeline.at["Completed"] - moved - done) * 1000)
                    path = f"/v1beta/interactions/{job.task_id}"
                    polls = [r for r in sim.requests if r.method == "GET" and r.path == path]
                    rates.append(len(polls) / (done - task.started))
            finally:
                interactions.InteractionsAdapter.__init__ = original  # type: ignore[method-assign]
                client.close()
            out[how] = {"lag_ms": lags, "gets_per_s": rates}
    return out


def _port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _peak(read: Any) -> tuple[float, Any]:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        result = asyncio.run(read())
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def _memory_figures(tmp: Path) -> dict[str, float]:
    import httpx

    from veo_magic.relays.protocols.interactions import _read_streamed
    from veo_magic.relays.protocols.spill import EventLines, Spill

    port = _port()
    script = tmp / "server.py"
    script.write_text(_SERVER)
    server = subprocess.Popen([sys.executable, str(script), str(port), str(CLIP_BYTES)])
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/nothing", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)

        async def polled() -> int:
            async with (
                httpx.AsyncClient(timeout=60) as client,
                client.stream("GET", f"{base}/poll") as response,
            ):
                outcome = await _read_streamed(response)
            (clip,) = outcome.clips
            size = clip.path.stat().st_size
            clip.path.unlink()
            return size

        async def streamed() -> int:
            spill, lines = Spill(), EventLines()
            async with (
                httpx.AsyncClient(timeout=60) as client,
                client.stream("GET", f"{base}/stream") as response,
            ):
                async for chunk in response.aiter_bytes():
                    lines.feed(spill.feed(chunk))
            lines.feed(spill.close())
            size = spill.files[0].stat().st_size
            spill.discard()
            return size

        async def usual() -> int:
            async with httpx.AsyncClient(timeout=60) as client:
                body = (await client.get(f"{base}/poll")).json()
            data = base64.b64decode(body["steps"][0]["content"][0]["data"])
            (tmp / "usual.mp4").write_bytes(data)
            return len(data)

        figures = {}
        for name, read in (("polled", polled), ("streamed", streamed), ("usual", usual)):
            peak, size = _peak(read)
            assert size == CLIP_BYTES, (name, size)
            figures[name] = peak
        return figures
    finally:
        server.terminate()
        server.wait(timeout=10)


def run(quick: bool) -> Figure:
    with tempfile.TemporaryDirectory(prefix="veo-bench-") as tmp_name:
        tmp = Path(tmp_name)
        figure = Figure("interactions", "7. Gemini Omni (Interactions API): done → clip on disk")
        latency = _latency(quick, tmp)
        streamed, polled = latency["streamed"], latency["polled"]
        figure.add(
            "interactions_streamed_lag_ms",
            "done → clip on disk, event stream (median)",
            median(streamed["lag_ms"]),
            "ms",
            limit=50,
            beside=[Beside("GETs of the interaction per s", median(streamed["gets_per_s"]), "/s")],
            note="the simulator's stream ticks every 50 ms",
        )
        figure.add(
            "interactions_streamed_polls",
            "polls while streaming (the one GET is the stream)",
            max(streamed["gets_per_s"]) if streamed["gets_per_s"] else None,
            "/s",
        )
        figure.add(
            "interactions_polled_lag_ms",
            "done → clip on disk, polled, 0.5-10 s (median)",
            median(polled["lag_ms"]),
            "ms",
            limit=500,
        )
        figure.add(
            "interactions_polled_rate",
            "GETs of the interaction per second, polled",
            median(polled["gets_per_s"]),
            "/s",
            limit=0.5,
        )
        memory = _memory_figures(tmp)
        clip_mib = CLIP_BYTES / MIB
        for how in ("streamed", "polled"):
            figure.add(
                f"interactions_{how}_peak_x_clip",
                f"peak memory while a 20 MB inline clip arrives ({how}), × the clip",
                memory[how] / CLIP_BYTES,
                "×",
                limit=3.0,
                beside=[Beside("response.json() + b64decode", memory["usual"] / CLIP_BYTES, "×")],
                note=f"{memory[how] / MIB:.1f} MiB for a {clip_mib:.0f} MiB clip (tracemalloc)",
            )
        figure.details = {"latency": latency, "memory_bytes": memory, "pid": os.getpid()}
        return figure


if __name__ == "__main__":
    figure_main(run)
