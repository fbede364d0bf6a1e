"""Conformance: google-genai 3.x's own Interactions client, against the simulator.

The project's dev extra pins google-genai<3 (its gemini tests need ``generate_videos``, which 3.x
dropped for API keys), so 3.x lives in an environment of its own, ``.deps/genai3`` (``make
test-deps`` installs the newest that installs here; 3.6.1 when written), and runs as a
subprocess: ``genai3_session.py`` makes every call through the SDK's public API and reports what
it got. Where the SDK and the simulator disagree, the simulator is the one to change.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from interactions_helpers import EVENTS

from tests.support import assert_clip
from veo_magic.simulator import Simulator

REPO = Path(__file__).resolve().parents[2]
GENAI3 = REPO / ".deps/genai3/bin/python"
GENAI3_READY = REPO / ".deps/genai3/.installed"  # make test-deps writes it once pip is done
SESSION = Path(__file__).with_name("genai3_session.py")

pytestmark = pytest.mark.skipif(
    not GENAI3_READY.exists(),
    reason="google-genai 3.x is not installed in .deps/genai3: `make test-deps` installs it",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Simulator]:
    """One SDK session against a simulator of its own (its request log is the test's)."""
    out = tmp_path_factory.mktemp("genai3")
    with Simulator(generation_seconds=0.4) as google:
        done = subprocess.run(
            [str(GENAI3), str(SESSION), google.base_url, str(out)],
            capture_output=True,
            text=True,
            timeout=240,
            env={"PATH": "/usr/bin:/bin", "NO_PROXY": "127.0.0.1,localhost"},
        )
        assert done.returncode == 0, done.stderr[-3000:]
        requests = list(google.requests)
    return json.loads(done.stdout), requests


def test_background_create_then_get_gives_output_video(report):
    got, requests = report
    assert got["started"]["status"] == "in_progress"
    assert got["done"]["status"] == "completed" and got["done"]["mime_type"] == "video/mp4"
    assert_clip(Path(got["done"]["clip"]), width=360, height=640, seconds=4)
    creates = [r for r in requests if r.method == "POST" and r.path == "/v1beta/interactions"]
    assert creates and all(r.headers["x-goog-api-key"] == "<redacted>" for r in creates)
    assert all("key" not in r.query for r in requests)


def test_the_sdk_reads_the_event_stream_and_resumes_it(report):
    got, _ = report
    assert got["stream"] == [[name, str(i)] for i, name in enumerate(EVENTS, start=1)]
    assert got["resumed"] == ["4", "5", "6"]
    assert got["create_stream"] == EVENTS
    assert_clip(Path(got["stream_clip"]), width=360, height=640, seconds=4)


def test_a_second_turn_by_previous_interaction_id(report):
    got, _ = report
    second = got["second"]
    assert second["previous"] == got["started"]["id"] and second["status"] == "completed"
    assert_clip(Path(second["clip"]), width=360, height=640, seconds=4)


def test_the_sdk_extends_by_the_previous_turn_and_edits_a_clip_sent_as_a_part(report):
    got, _ = report
    assert got["extended"]["status"] == "completed"
    assert_clip(Path(got["extended"]["clip"]), width=360, height=640, seconds=4 + 3)
    stateless = got["stateless"]
    assert stateless["status"] == "completed" and stateless["previous"] is None
    assert_clip(Path(stateless["clip"]), width=360, height=640, seconds=4)


def test_uri_filtered_and_failed_read_as_the_sdk_types_them(report):
    got, _ = report
    assert got["uri"]["status"] == "completed" and "/v1beta/files/" in got["uri"]["uri"]
    assert got["filtered"] == {
        "status": "completed",
        "video": False,
        "text": got["filtered"]["text"],
    }
    assert got["filtered"]["text"]
    assert got["failed"]["status"] == "failed" and got["failed"]["errors"][0][1]


def test_errors_reach_the_sdk_with_their_status(report):
    got, requests = report
    errors = got["errors"]
    assert errors["too_long"]["status_code"] == 400 and "3s to 10s" in errors["too_long"]["text"]
    assert errors["unknown_model"]["status_code"] == 404
    assert errors["quota"]["status_code"] == 429 and "RESOURCE_EXHAUSTED" in errors["quota"]["text"]
    quota = [r for r in requests if r.status == 429]
    assert len(quota) == 1  # with the SDK's retries off it was sent once
    assert got["cancel"] == "cancelled" and got["after_delete"] == 404


def test_the_sdk_runs_from_its_own_environment():
    version = subprocess.run(
        [str(GENAI3), "-c", "import google.genai as g; print(g.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert tuple(int(p) for p in version.split(".")[:2]) >= (3, 1), version
    assert sys.executable != str(GENAI3)
