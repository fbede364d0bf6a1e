"""veo_magic through LiteLLM's proxy (1.108.7), as a new user meets it: the issue's matrix.

Each row ends in a clip whose probed size and length match, or in a clear error within 10 s of
submitting, and counts the creates that reached the upstream (the simulator's
``predictLongRunning``, what Google would bill). Retries run with their real waits, so the
10 s are the user's 10 s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

import veo_magic as veo
from tests.gateway.conftest import BUDGET_MODEL, MASTER_KEY, Gateway
from tests.images import png_bytes
from tests.support import assert_saved_clip, wait_until
from veo_magic._events import Retrying
from veo_magic.jobs.journal import Journal

pytestmark = [pytest.mark.gateway, pytest.mark.retry_mode(waits=True)]

FAST = 10.0  # seconds: how soon a gateway's failure reaches the user


class Upstream:
    """What reached the simulator behind LiteLLM during one row."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.first_create = len(gateway.creates())
        self.first_accepted = gateway.upstream.accepted_creates

    @property
    def creates(self) -> list[Any]:
        return self.gateway.creates()[self.first_create :]

    @property
    def accepted(self) -> int:
        return self.gateway.upstream.accepted_creates - self.first_accepted

    def parameters(self) -> dict[str, Any]:
        (create,) = self.creates
        return create.json["parameters"]

    def instance(self) -> dict[str, Any]:
        (create,) = self.creates
        return create.json["instances"][0]


def failed_within(job: veo.Job, started: float) -> str:
    with pytest.raises(veo.VeoGenerationError):
        job.wait(timeout=60)
    took = time.monotonic() - started
    assert job.status == "failed" and job.videos == []
    assert took < FAST, f"the failure took {took:.1f} s"
    return job.error or ""


# -- rows that end in a clip --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "options", "shape", "sent"),
    [
        ("text", {}, (720, 1280, 8), {"aspectRatio": "9:16", "resolution": "720p"}),
        (
            "landscape",
            {"orientation": "landscape"},
            (1280, 720, 8),
            {"aspectRatio": "16:9", "resolution": "720p"},
        ),
        ("4 s", {"seconds": 4}, (720, 1280, 4), {"durationSeconds": 4}),
        ("6 s", {"seconds": 6}, (720, 1280, 6), {"durationSeconds": 6}),
        ("8 s", {"seconds": 8}, (720, 1280, 8), {"durationSeconds": 8}),
        (
            "negative prompt",
            {"negative_prompt": "rain"},
            (720, 1280, 8),
            {"negativePrompt": "rain"},
        ),
        (
            "person generation",
            {"person_generation": "allow_all"},
            (720, 1280, 8),
            {"personGeneration": "allow_all"},
        ),
    ],
)
def test_a_clip_through_litellm(through, gateway, row, options, shape, sent):
    upstream = Upstream(gateway)
    client = through()
    job = client.generate(f"a lighthouse, {row}", **options)
    width, height, seconds = shape
    assert_saved_clip(job.videos[0], width=width, height=height, seconds=seconds)
    assert job.record["wire_model"] == "veo-3.1"  # the listed name: size carries the shape
    assert upstream.parameters().items() >= sent.items()
    assert (len(upstream.creates), upstream.accepted) == (1, 1)


def test_a_first_frame_reaches_google_as_the_instance_image(through, gateway, tmp_path):
    upstream = Upstream(gateway)
    frame = tmp_path / "start.png"
    frame.write_bytes(png_bytes(72, 128))
    job = through().generate("a lighthouse from a first frame", first_frame=frame, seconds=6)
    assert_saved_clip(job.videos[0], width=720, height=1280, seconds=6)
    image = upstream.instance()["image"]
    assert image["mimeType"] == "image/png" and image["bytesBase64Encoded"]
    assert upstream.parameters()["durationSeconds"] == 6
    assert (len(upstream.creates), upstream.accepted) == (1, 1)


def test_a_rate_limit_with_retry_after_is_retried_and_shown(through, gateway):
    """Google's 429 with Retry-After reaches us as LiteLLM's llm_provider-retry-after."""
    upstream = Upstream(gateway)
    client = through()
    job = client.submit("a lighthouse in a queue [[sim:rate_limit]]")
    notices: list[str | None] = []
    job.add_listener(
        lambda event: notices.append(event.message) if isinstance(event, Retrying) else None
    )
    job.wait(timeout=60)
    assert_saved_clip(job.videos[0], width=720, height=1280, seconds=8)
    assert (len(upstream.creates), upstream.accepted) == (3, 1)  # two 429s, then the task
    shown = [n for n in notices if n]
    assert all("relay busy (HTTP 429), retrying in 1 s (" in n for n in shown), shown


# -- resume after the process died ---------------------------------------------------------------


def test_resume_by_job_id_and_by_task_id_after_sigkill(gateway, tmp_path):
    upstream = Upstream(gateway)
    out = tmp_path / "out"
    env = {
        **os.environ,
        "VEO_BASE_URL": f"{gateway.base_url}/v1",
        "VEO_API_KEY": MASTER_KEY,
        "VEO_OUTPUT_DIR": str(out),
        "VEO_PROTOCOL": "videos",
    }
    cli = subprocess.Popen(
        [sys.executable, "-m", "veo_magic.cli", "generate", "a long take [[sim:slow]]"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        journal = Journal(out)
        row = wait_until(lambda: next((r for r in journal.list() if r["task_id"]), None), 30)
        cli.send_signal(signal.SIGKILL)
        cli.wait(timeout=10)
    finally:
        if cli.poll() is None:
            cli.kill()
    journal.close()
    assert row["status"] not in ("succeeded", "failed")  # killed while the task ran

    by_job = veo.Client(base_url=env["VEO_BASE_URL"], api_key=MASTER_KEY, output_dir=out)
    by_task = veo.Client(
        base_url=env["VEO_BASE_URL"],
        api_key=MASTER_KEY,
        protocol="videos",
        output_dir=tmp_path / "elsewhere",
    )
    try:
        resumed = by_job.resume(row["id"]).wait(timeout=60)
        assert_saved_clip(resumed.videos[0], out, width=720, height=1280, seconds=8)
        again = by_task.resume(row["task_id"]).wait(timeout=60)
        assert_saved_clip(again.videos[0], tmp_path / "elsewhere", width=720, height=1280)
        assert again.task_id == row["task_id"]  # LiteLLM's ~290-character id, kept exactly
    finally:
        by_job.close()
        by_task.close()
    assert (len(upstream.creates), upstream.accepted) == (1, 1)


# -- rows that end in a clear error --------------------------------------------------------------


@pytest.mark.parametrize("field", ["last_frame", "references"])
def test_what_litellm_cannot_carry_is_refused_before_sending(through, gateway, tmp_path, field):
    upstream = Upstream(gateway)
    start, end = tmp_path / "start.png", tmp_path / "end.png"
    start.write_bytes(png_bytes(72, 128))
    end.write_bytes(png_bytes(72, 128, (20, 200, 20)))
    images = (
        {"first_frame": start, "last_frame": end}
        if field == "last_frame"
        else {"references": [start, end]}
    )
    with pytest.raises(veo.VeoInputError) as info:
        through().submit("a lighthouse between two frames", **images)
    assert info.value.field == field
    message = str(info.value)
    assert "cannot reach Veo through LiteLLM's /v1/videos" in message
    assert "protocol='gemini'" in message and "-fl / -components" in message
    assert upstream.creates == []


def test_fast_where_only_the_standard_model_is_sold_is_refused(through, gateway):
    upstream = Upstream(gateway)
    with pytest.raises(veo.VeoInputError) as info:
        through().submit("a quick lighthouse", fast=True)
    message = str(info.value)
    assert info.value.field == "model"
    assert "'veo-3.1-fast', which this relay does not sell" in message
    assert "allowed: veo-3.1, classroom-veo" in message and "--model NAME" in message
    assert upstream.creates == []


def test_a_filtered_clip_fails_fast_without_promising_a_resume(through, gateway):
    """LiteLLM answers every poll of a filtered Gemini operation with the same 500."""
    upstream = Upstream(gateway)
    started = time.monotonic()
    job = through().submit("a lighthouse [[sim:filtered]]")
    error = failed_within(job, started)
    assert error.startswith(
        "The relay reported the task done but returned no video, most likely withheld by "
        "Google's safety filter. The relay said: HTTP 500"
    )
    assert "GeminiLongRunningOperationResponse" in error  # LiteLLM's own words, quoted
    assert job.recovery is None and "resume" not in error
    assert (len(upstream.creates), upstream.accepted) == (1, 1)  # Google bills the attempt


def test_a_hard_quota_is_not_retried(through, gateway):
    upstream = Upstream(gateway)
    started = time.monotonic()
    job = through().submit("a lighthouse [[sim:quota]]")
    error = failed_within(job, started)
    assert "HTTP 429" in error and "RESOURCE_EXHAUSTED" in error
    assert "quota or budget behind this key is used up; waiting will not help" in error
    assert (len(upstream.creates), upstream.accepted) == (1, 0)  # sent once, nothing made


def test_over_budget_is_refused_by_litellm_and_said_plainly(through, gateway):
    """The model's own budget, which LiteLLM enforces in memory, without its database. It
    checks "spent so far >= budget" before each request and books a clip's price at its create:
    at $0.25/s, a 4 s clip is $1.00 against $1.50. So the first clip passes; the second create
    passes too (spent $1.00) and crosses the budget, after which LiteLLM refuses even its polls;
    the third create is refused before it reaches Google."""
    upstream = Upstream(gateway)
    client = through()
    first = client.request("the first lighthouse", model=BUDGET_MODEL, seconds=4)
    assert first.wire_model == BUDGET_MODEL and not first.spec.priced  # the admin's own name
    job = client.generate("the first lighthouse", model=BUDGET_MODEL, seconds=4)
    assert_saved_clip(job.videos[0], width=720, height=1280, seconds=4)

    started = time.monotonic()
    crossing = client.submit("the second lighthouse", model=BUDGET_MODEL, seconds=4)
    error = failed_within(crossing, started)
    assert "HTTP 429 from GET /v1/videos/" in error and "crossed budget" in error
    assert "quota or budget behind this key is used up; waiting will not help" in error
    assert crossing.recovery == "resume"  # made and billed: once the budget is raised

    started = time.monotonic()
    refused = client.submit("the third lighthouse", model=BUDGET_MODEL, seconds=4)
    error = failed_within(refused, started)
    assert "HTTP 429 from POST /v1/videos" in error and "crossed budget" in error
    assert "waiting will not help" in error and refused.recovery is None
    assert (len(upstream.creates), upstream.accepted) == (2, 2)  # the third never left


def test_chat_through_litellm_says_to_use_videos(through, gateway):
    upstream = Upstream(gateway)
    started = time.monotonic()
    job = through(protocol="chat").submit("a lighthouse over chat")
    error = failed_within(job, started)
    assert "HTTP 404 from POST /v1/chat/completions" in error
    assert "use the videos protocol, --protocol videos" in error
    assert upstream.accepted == 0


# -- what the relay sells ------------------------------------------------------------------------


def test_the_model_list_is_asked_once_and_shows_beside_the_catalog(through, gateway):
    client = through()
    offer = client.offer()
    assert offer is not None and offer.gateway == "litellm"
    assert offer.names == ("veo-3.1", BUDGET_MODEL)
    assert client.offer() is offer and client.gateway == "litellm"
    env = {
        **os.environ,
        "VEO_BASE_URL": f"{gateway.base_url}/v1",
        "VEO_API_KEY": MASTER_KEY,
        "VEO_PROTOCOL": "videos",
    }
    listing = subprocess.run(
        [sys.executable, "-m", "veo_magic.cli", "models"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    relay = listing[listing.index("This relay sells") :]
    assert "veo-3.1" in relay and "$0.25/clip" in relay
    assert BUDGET_MODEL in relay and "price unknown" in relay


def test_check_through_litellm_says_what_its_admin_sells(through, gateway):
    upstream = Upstream(gateway)
    result = through().check()
    assert result.ok, result.text()
    assert result.findings[0].says.endswith("answered HTTP 200 (litellm)")
    assert result.findings[2].says == f"veo-3.1, {BUDGET_MODEL}"
    # A key LiteLLM cannot check (no database: only its master key passes) is refused.
    refused = veo.Client(
        base_url=f"{gateway.base_url}/v1", api_key="sk-not-a-litellm-key", protocol="videos"
    ).check()
    assert [(f.question, f.ok) for f in refused.findings] == [("answers", True), ("key", False)]
    assert "No connected db." in refused.findings[-1].says
    assert upstream.creates == []  # nothing reached Google
