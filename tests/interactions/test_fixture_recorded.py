"""Google's recorded Interactions answers (vercel/ai, 2026-08-28; fixtures/SOURCE.md), replayed
over loopback HTTP to a real ``Client(protocol="interactions")``.

The recording's video bytes are cut short, so the job must end ``failed`` saying the clip is
"not a playable MP4", naming the interaction, rather than crash or claim success. A small
Starlette app under uvicorn plays Google: the create answers the background interaction (the
recording has no id: it was made with ``store: false``, so the id is ours), then the event
stream replays ``.chunks.txt`` (one ``data:`` line per recorded payload), or, with no stream,
the first look answers ``in_progress`` in JSON and the next poll ``.json``, byte for byte.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from interactions_helpers import EVENTS
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

import veo_magic as veo
from tests.support import free_port, wait_until
from veo_magic.relays.protocols.interactions import read_interaction
from veo_magic.relays.protocols.spill import EventLines, Spill

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED_JSON = FIXTURES / "video-response-format.json"
RECORDED_CHUNKS = FIXTURES / "video-response-format.chunks.txt"
INTERACTION_ID = "v1_ChdyZWNvcmRlZC1vbW5pLXJlcGxheQ"
KEY = "AIza-recorded-replay-key"


def _recorded_bytes() -> bytes:
    import base64

    recorded = json.loads(RECORDED_JSON.read_text())
    return base64.b64decode(recorded["steps"][1]["content"][0]["data"])


class Replay:
    """Google, as recorded: every request it was sent, and the answers of the recording."""

    def __init__(self, *, stream: bool) -> None:
        self.stream = stream
        self.seen: list[tuple[str, str, dict[str, str], str | None]] = []
        app = Starlette(
            routes=[
                Route("/v1beta/interactions", self.create, methods=["POST"]),
                Route("/v1beta/interactions/{id}", self.get, methods=["GET"]),
            ]
        )
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _log(self, request: Request) -> None:
        key = request.headers.get("x-goog-api-key")
        self.seen.append((request.method, request.url.path, dict(request.query_params), key))

    async def create(self, request: Request) -> Response:
        self._log(request)
        recorded = json.loads(RECORDED_JSON.read_text())
        head = {"id": INTERACTION_ID, "status": "in_progress", "object": "interaction"}
        return JSONResponse({**head, "model": recorded["model"]})

    async def get(self, request: Request) -> Response:
        self._log(request)
        if request.query_params.get("stream") == "true" and self.stream:

            async def events() -> Iterator[bytes]:
                for line in RECORDED_CHUNKS.read_text().splitlines():
                    yield f"data: {line}\n\n".encode()
                    await asyncio.sleep(0)

            return StreamingResponse(events(), media_type="text/event-stream")
        if len(self.seen) == 2:  # the first look: still running (a gateway answers JSON so)
            return JSONResponse({"id": INTERACTION_ID, "status": "in_progress"})
        return Response(RECORDED_JSON.read_bytes(), media_type="application/json")

    def __enter__(self) -> Replay:
        self.thread.start()
        wait_until(lambda: self.server.started, timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.mark.parametrize("stream", [True, False], ids=["event-stream", "polled"])
def test_the_recorded_answers_end_in_not_a_playable_mp4(tmp_path, stream):
    with Replay(stream=stream) as google:
        client = veo.Client(
            base_url=f"{google.base_url}/v1beta",
            api_key=KEY,
            protocol="interactions",
            output_dir=tmp_path,
            poll_interval=(0.05, 0.2),
        )
        try:
            job = client.submit("a red kite over a beach", seconds=4)
            with pytest.raises(veo.VeoGenerationError):
                job.wait(timeout=30)
        finally:
            client.close()
    assert job.status == "failed"
    assert "not a playable MP4" in job.error and INTERACTION_ID in job.error, job.error
    assert "the file ends" in job.error  # the ftyp box claims more bytes than came
    assert job.task_id == INTERACTION_ID and job.videos == []
    assert job.relay_model == json.loads(RECORDED_JSON.read_text())["model"]
    (kept,) = tmp_path.glob("*.incomplete")  # Google's bytes are kept, never lost
    assert kept.read_bytes() == _recorded_bytes()
    methods = [(method, path, query) for method, path, query, _ in google.seen]
    assert methods[0] == ("POST", "/v1beta/interactions", {})
    follow = [query for method, path, query in methods[1:]]
    assert follow == ([{"stream": "true"}] if stream else [{"stream": "true"}, {}])
    assert all(key == KEY for *_, key in google.seen)


def test_the_recorded_poll_answer_reads_field_for_field():
    spill = Spill()
    text = spill.feed(RECORDED_JSON.read_bytes()) + spill.close()
    body = json.loads(text)
    outcome = read_interaction(body, spill)
    assert outcome.status == "completed" and outcome.error is None
    (clip,) = outcome.clips
    assert clip.path is not None and clip.path.read_bytes() == _recorded_bytes()
    # The rest of the answer is as recorded; only the bytes left for a file.
    recorded = json.loads(RECORDED_JSON.read_text())
    recorded["steps"][1]["content"][0]["data"] = "@spill:0"
    assert body == recorded
    clip.path.unlink()


def test_the_recorded_stream_reads_event_for_event():
    spill, lines = Spill(), EventLines()
    wire = "".join(f"data: {line}\n\n" for line in RECORDED_CHUNKS.read_text().splitlines())
    events = []
    for piece in (wire.encode()[i : i + 7] for i in range(0, len(wire), 7)):  # cut anywhere
        events += lines.feed(spill.feed(piece))
    events += lines.feed(spill.close()) + lines.close()
    kinds = [json.loads(e.data)["event_type"] for e in events]
    assert kinds == EVENTS
    (path,) = spill.files
    assert path.read_bytes() == _recorded_bytes()
    assert json.loads(events[3].data)["delta"]["data"] == "@spill:0"
    path.unlink()
