"""Guarantee 7: checked by a server no one here wrote.

Stoplight Prism serves OpenAI's published ``/v1/videos`` schema as a validating mock (``--errors``
turns any request that breaks the schema into an HTTP error). The ``videos`` protocol's create
(JSON and multipart), remix, retrieve and content requests are sent by the real ``VideosAdapter`` over
the real ``Relay`` and download code, and none may be refused. Prism's canned answers cannot
drive a whole job, so each request is checked on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import veo_magic as veo
from tests.images import write_png
from tests.reliability.support import KEY
from tests.support import free_port
from veo_magic._events import Progress, Submitted
from veo_magic.relays.download import download
from veo_magic.relays.protocols.videos import VideosAdapter, task_path

pytestmark = pytest.mark.prism

REPO = Path(__file__).resolve().parents[2]
# CI checks out shared/ beside the clone; this machine keeps it at /work/shared.
SPECS = (
    REPO.parent / "shared/specs/openai-videos.yml",
    Path("/work/shared/specs/openai-videos.yml"),
)


def _spec() -> Path:
    for path in SPECS:
        if path.is_file():
            return path
    pytest.skip(f"OpenAI's videos spec is not at {' or '.join(map(str, SPECS))}")


def _prism() -> str:
    local = REPO / ".deps/prism/node_modules/.bin/prism"
    found = str(local) if local.exists() else shutil.which("prism")
    if found is None:
        pytest.skip("Prism is not installed: `make test-deps` puts it in .deps/prism")
    return found


@pytest.fixture(scope="module")
def prism(tmp_path_factory) -> Iterator[str]:
    """``prism mock --errors`` on a free loopback port; yields its base URL (no /v1)."""
    spec, binary = _spec(), _prism()
    text = spec.read_text()
    assert "\n  /v1/videos:" in text and "\n  /v1/videos/{video_id}/content:" in text, (
        "the spec's paths must carry the /v1 prefix (PROTOCOLS.md §2)"
    )
    port = free_port()
    log_path = tmp_path_factory.mktemp("prism") / "prism.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [binary, "mock", str(spec), "--errors", "-h", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"Prism exited: {log_path.read_text()[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                httpx.get(f"{base_url}/v1/videos/video_123", timeout=2, trust_env=False)
                break
            if time.monotonic() > deadline:
                pytest.fail(f"Prism did not start within 60 s: {log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Seen:
    """Every response Prism gave our client: (method, path, status, violations, body)."""

    def __init__(self) -> None:
        self.responses: list[tuple[str, str, int, str | None, str]] = []

    async def __call__(self, response: httpx.Response) -> None:
        body = ""
        if response.status_code >= 400 or "violations" in str(response.headers):
            body = (await response.aread()).decode("utf-8", "replace")
        self.responses.append(
            (
                response.request.method,
                response.request.url.path,
                response.status_code,
                response.headers.get("sl-violations"),
                body,
            )
        )

    def assert_valid(self) -> None:
        assert self.responses
        for method, path, status, violations, body in self.responses:
            assert status < 400 and violations is None, f"{method} {path}: {status} {body}"


def run_with_relay(base_url: str, steps) -> Seen:
    """Run ``steps(relay, adapter)`` on a Relay the client builds, recording Prism's answers."""
    client = veo.Client(
        base_url=base_url + "/v1",
        api_key=KEY,
        protocol="videos",
        output_dir=Path("/nonexistent-unused"),
    )
    seen = Seen()

    async def main() -> None:
        relay = client._connection.open()
        for http in (relay.http, relay.public):
            http.event_hooks["response"].append(seen)
        try:
            await steps(relay, VideosAdapter(relay), client)
        finally:
            await relay.http.aclose()
            await relay.public.aclose()

    asyncio.run(main())
    return seen


async def first_event(events):
    async for event in events:
        await events.aclose()
        return event
    return None


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"orientation": "landscape", "seconds": 8},
        {"seconds": 4, "negative_prompt": "rain", "seed": 7},
    ],
    ids=["defaults", "landscape-8s", "with-metadata"],
)
def test_json_create_passes_validation(prism, options):
    async def steps(relay, adapter, client):
        request = client.request("a lighthouse at dusk", **options)
        event = await first_event(adapter.run(request))
        assert isinstance(event, Submitted) and event.task_id

    seen = run_with_relay(prism, steps)
    seen.assert_valid()
    assert [(m, p) for m, p, *_ in seen.responses] == [("POST", "/v1/videos")]


def test_multipart_create_with_an_image_passes_validation(prism, tmp_path):
    frame = write_png(tmp_path / "first.png")

    async def steps(relay, adapter, client):
        request = client.request("the lighthouse wakes", first_frame=frame, seconds=8)
        assert request.images
        event = await first_event(adapter.run(request))
        assert isinstance(event, Submitted)

    seen = run_with_relay(prism, steps)
    seen.assert_valid()
    assert [(m, p) for m, p, *_ in seen.responses] == [("POST", "/v1/videos")]


def test_retrieve_passes_validation(prism):
    async def steps(relay, adapter, client):
        event = await first_event(adapter.follow("video_123"))
        assert isinstance(event, Progress)

    seen = run_with_relay(prism, steps)
    seen.assert_valid()
    assert [(m, p) for m, p, *_ in seen.responses] == [("GET", "/v1/videos/video_123")]


def test_content_passes_validation(prism, tmp_path):
    async def steps(relay, adapter, client):
        # Prism's canned body is not an MP4: the download must say so, after a valid request.
        with pytest.raises(veo.VeoDownloadError, match="not an MP4"):
            await download(
                relay,
                task_path("video_123") + "/content",
                tmp_path / "clip.mp4",
                authenticated=True,
                find_url=lambda body: None,
            )

    seen = run_with_relay(prism, steps)
    seen.assert_valid()
    assert [(m, p) for m, p, *_ in seen.responses] == [("GET", "/v1/videos/video_123/content")]
    assert not list(tmp_path.iterdir())


def test_a_remix_passes_validation(prism):
    """An edit of a relay's Omni clip is its remix: path and body as OpenAI's schema has them."""
    from veo_magic.requests import ParentClip

    async def steps(relay, adapter, client):
        made = client.request("a lighthouse at dusk", model="omni-fast", seconds=4)
        parent = ParentClip(
            job_id="j1",
            protocol="videos",
            status="succeeded",
            task_id="video_123",
            files=(),
            record=made.describe(),
        )
        request = client.derived(parent, "edit", "make it night")
        event = await first_event(adapter.run(request))
        assert isinstance(event, Submitted) and event.task_id

    seen = run_with_relay(prism, steps)
    seen.assert_valid()
    assert [(m, p) for m, p, *_ in seen.responses] == [("POST", "/v1/videos/video_123/remix")]


def test_prism_does_refuse_what_breaks_the_schema(prism):
    """The control: the validator is on, so the passes above mean something."""
    bad = httpx.post(f"{prism}/v1/videos", json={"prompt": "x", "seconds": 8}, trust_env=False)
    assert bad.status_code == 422 and "seconds" in bad.text
    bad = httpx.post(
        f"{prism}/v1/videos",
        data={"prompt": "x", "seconds": "7"},
        files={"input_reference": ("a.png", b"\x89PNG", "image/png")},
        trust_env=False,
    )
    assert bad.status_code == 422 and "seconds" in bad.text
