"""What a relay sells and what a gateway cannot carry, against the simulator (no LiteLLM needed):
the model list read once and resolved against, Veo parameters where both gateways read them,
hard quotas not retried, quiet retries shown in the job instead of logged.

LiteLLM itself is in tests/gateway (marked ``gateway``).
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys

import httpx
import pytest

import veo_magic as veo
from tests.images import write_png
from tests.support import LITELLM_MODELS, assert_saved_clip
from veo_magic._events import Retrying
from veo_magic.catalog.listing import model_lines
from veo_magic.cli.terminal import TerminalBar
from veo_magic.relays.gateways import from_models, litellm_task_id
from veo_magic.relays.relay_models import read_relay_models
from veo_magic.simulator import Simulator


def creates(sim: Simulator, since: int, path: str = "/v1/videos") -> list:
    return [r for r in sim.requests[since:] if r.method == "POST" and r.path == path]


# -- reading the list ----------------------------------------------------------------------------


def test_the_list_says_which_gateway_answered():
    lite = read_relay_models(LITELLM_MODELS)
    assert lite is not None and (lite.gateway, lite.names) == ("litellm", ("veo-3.1",))
    assert lite.videos() == ("veo-3.1",)
    new_api = {"success": True, "object": "list", "data": [{"id": "veo3.1", "owned_by": "x"}]}
    assert read_relay_models(new_api).gateway == "new-api"
    plain = read_relay_models({"object": "list", "data": [{"id": "gpt-4o"}, {"id": "video-hq"}]})
    assert plain.gateway is None and plain.videos() == ("video-hq",)  # named like a video model
    assert read_relay_models({"error": "nope"}) is None and read_relay_models([1, 2]) is None
    assert from_models({}, {"x-litellm-version": "1.108.7"}) == "litellm"


def test_litellm_ids_are_recognised():
    lite = "video_bGl0ZWxsbTpjdXN0b21fbGxtX3Byb3ZpZGVyOmdlbWluaQ%3D%3D"  # litellm:custom_llm_…
    assert litellm_task_id(lite) and litellm_task_id(lite.replace("%3D", ""))
    assert not litellm_task_id("video_55cb73b3-60af-40c8-95fd-eae8fd758ade")
    assert not litellm_task_id("task_abc")


# -- resolving against it ------------------------------------------------------------------------


def test_the_list_is_asked_once_before_the_first_create(make_client, relay, out_dir):
    seen = len(relay.requests)
    client = make_client("videos")
    request = client.request("a fox")
    assert len(relay.requests) == seen  # validating asks nothing
    client.generate("a fox", seconds=4)
    client.generate("a second fox", seconds=4)
    asked = [r for r in relay.requests[seen:] if r.path == "/v1/models"]
    assert len(asked) == 1 and asked[0].auth_present
    assert request.wire_model == "veo-3.1" and client.gateway == "new-api"


@pytest.mark.parametrize(
    ("sold", "protocol", "options", "sent"),
    [
        # apiyi sells the suffixed names: the composed one is sent
        (None, "videos", {"orientation": "landscape", "fast": True}, "veo-3.1-landscape-fast"),
        # a gateway relay the base name only: orientation rides in size
        (["veo-3.1", "sora-2"], "videos", {"orientation": "landscape"}, "veo-3.1"),
        (
            ["veo-3.1", "veo-3.1-fast"],
            "videos",
            {"fast": True, "orientation": "landscape"},
            "veo-3.1-fast",
        ),
        # another spelling of the same model
        (
            ["veo_3_1", "veo_3_1-landscape"],
            "chat",
            {"orientation": "landscape"},
            "veo_3_1-landscape",
        ),
        (["veo3.1"], "create", {"orientation": "landscape"}, "veo3.1"),
    ],
)
def test_a_request_resolves_to_a_name_the_relay_lists(
    make_client, relay, sold, protocol, options, sent
):
    relay.set_models(sold)
    seen = len(relay.requests)
    job = make_client(protocol).generate("a heron", **options)
    assert job.status == "succeeded" and job.record["wire_model"] == sent
    path = {"videos": "/v1/videos", "chat": "/v1/chat/completions", "create": "/v1/video/create"}
    (create,) = creates(relay, seen, path[protocol])
    assert (create.json or create.form)["model"] == sent


@pytest.mark.parametrize(
    ("sold", "protocol", "options", "words"),
    [
        (["veo-3.1"], "videos", {"fast": True}, "none of the names it sells makes a fast"),
        (["veo-3.1"], "chat", {"orientation": "landscape"}, "makes a landscape"),
        (["veo-3.1", "veo-3.1-fast"], "videos", {"seconds": 5}, "5 s clip"),
    ],
)
def test_nothing_listed_can_serve_it_is_refused_before_any_create(
    make_client, relay, sold, protocol, options, words
):
    relay.set_models(sold)
    seen, made = len(relay.requests), relay.accepted_creates
    with pytest.raises(veo.VeoInputError) as info:
        make_client(protocol).submit("a heron", **options)
    message = str(info.value)
    assert info.value.field in ("model", "seconds")
    if info.value.field == "model":
        assert words in message and f"allowed: {', '.join(sold)}" in message
        assert "--model NAME" in message
    assert [r.path for r in relay.requests[seen:]] in ([], ["/v1/models"])
    assert relay.accepted_creates == made


def test_a_gateway_that_lists_like_litellm_gets_no_last_frame(make_client, relay, tmp_path):
    """Recognised from its model list before anything is sent (the real LiteLLM: tests/gateway)."""
    relay.set_dialect("litellm_models")
    relay.set_models(["veo-3.1"])
    client = make_client("videos")
    assert client.offer().gateway == "litellm" and client.gateway == "litellm"
    seen = len(relay.requests)
    with pytest.raises(veo.VeoInputError) as info:
        client.submit(
            "a heron",
            first_frame=write_png(tmp_path / "a.png"),
            last_frame=write_png(tmp_path / "b.png"),
        )
    assert info.value.field == "last_frame"
    assert "cannot reach Veo through LiteLLM's /v1/videos" in str(info.value)
    assert relay.requests[seen:] == []


def test_a_listed_name_the_catalog_does_not_know_is_sent_as_given(make_client, relay, out_dir):
    relay.set_models(["veo-3.1", "video-hq"])
    client = make_client("videos")
    request = client.request("a heron", model="video-hq", seconds=6)
    assert (request.wire_model, request.spec.priced) == ("video-hq", False)
    assert request.estimated_cost == client.request("a heron", seconds=6).estimated_cost
    seen = len(relay.requests)
    job = client.generate("a heron", model="video-hq", seconds=6)
    assert_saved_clip(job.videos[0], out_dir, width=720, height=1280, seconds=6)
    (create,) = creates(relay, seen)
    assert create.json["model"] == "video-hq"
    lines = model_lines(offer=client.offer())
    lines = lines[lines.index("This relay sells (new-api's GET /v1/models):") :]
    assert any(line.split()[:3] == ["video-hq", "price", "unknown"] for line in lines)
    assert any(line.split()[:2] == ["veo-3.1", "$0.25/clip"] for line in lines)
    with pytest.raises(veo.VeoInputError, match=r"nor does this relay list it \(it sells: veo-3"):
        client.request("a heron", model="video-lq")


def test_an_unreadable_list_leaves_the_composed_names(make_client, relay, caplog):
    caplog.set_level(logging.INFO, logger="veo_magic")
    client = veo.Client(
        base_url="http://127.0.0.1:9/v1", api_key="sk-test", protocol="videos"
    )  # nothing listens on port 9
    assert client.offer() is None and client.offer() is None
    assert client.request("a heron", orientation="landscape").wire_model == "veo-3.1-landscape"
    assert sum("model list could not be read" in r.getMessage() for r in caplog.records) == 1
    client.close()


# -- what reaches the upstream -------------------------------------------------------------------


def test_veo_parameters_travel_in_metadata_and_at_the_top(make_client, relay, out_dir):
    """new-api (the simulator's default /v1/videos) reads metadata, durationSeconds an integer;
    LiteLLM reads the top level. A JSON seconds alone would make new-api's clip 8 s."""
    seen = len(relay.requests)
    job = make_client("videos").generate(
        "a heron", seconds=4, negative_prompt="rain", person_generation="allow_all"
    )
    assert_saved_clip(job.videos[0], out_dir, width=720, height=1280, seconds=4)
    (create,) = creates(relay, seen)
    parameters = {"durationSeconds": 4, "negativePrompt": "rain", "personGeneration": "allow_all"}
    assert create.json["metadata"] == parameters and create.json.items() >= parameters.items()
    assert create.json["seconds"] == "4"
    task = relay.tasks[job.task_id]
    assert task.request["parameters"] == {**parameters, "sampleCount": 1}  # what Google is sent


def test_a_ratio_size_is_sent_in_pixels_to_new_api(make_client, relay, out_dir):
    """new-api reads only WxH: "9:16" would silently become 16:9."""
    client = make_client("videos")
    client.offer()  # the list says new-api
    job = client.generate("a heron", size="9:16", seconds=4)
    assert_saved_clip(job.videos[0], out_dir, width=720, height=1280, seconds=4)
    assert relay.tasks[job.task_id].size == "720x1280"


# -- failures that end fast ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("protocol", "scenario", "said"),
    [
        ("videos", "budget_exceeded", "HTTP 422 from POST /v1/videos: Budget has been exceeded!"),
        ("gemini", "quota", "HTTP 429 from POST /v1beta/models/veo-3.1-generate-preview"),
    ],
)
def test_a_spent_quota_or_budget_is_not_retried(make_client, relay, protocol, scenario, said):
    """LiteLLM's 422 for a key's spent budget (replayed byte for byte), Google's 429
    RESOURCE_EXHAUSTED: sent once, ended at once, no promise that resuming helps."""
    seen = len(relay.requests)
    job = make_client(protocol).submit(f"a heron [[sim:{scenario}]]")
    with pytest.raises(veo.VeoGenerationError):
        job.wait(timeout=30)
    assert job.error.startswith(said)
    assert "quota or budget behind this key is used up; waiting will not help" in job.error
    posts = [r for r in relay.requests[seen:] if r.method == "POST"]
    assert len(posts) == 1 and job.recovery is None


def test_a_rate_limit_naming_its_wait_is_still_retried(make_client, relay, out_dir):
    seen, made = len(relay.requests), relay.accepted_creates
    job = make_client("videos").generate("a heron [[sim:rate_limit]]")
    assert_saved_clip(job.videos[0], out_dir)
    assert [r.status for r in creates(relay, seen)] == [429, 429, 200]
    assert relay.accepted_creates == made + 1


def test_a_quota_429_that_names_its_wait_is_a_rate_limit():
    from veo_magic.relays.http import google_retry_delay, hard_quota

    def answer(error: dict, headers: dict | None = None) -> httpx.Response:
        request = httpx.Request("POST", "https://generativelanguage.googleapis.com/v1beta/x")
        return httpx.Response(429, json={"error": error}, headers=headers, request=request)

    spent = {
        "code": 429,
        "message": "You exceeded your current quota",
        "status": "RESOURCE_EXHAUSTED",
    }
    per_minute = {
        **spent,
        "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "38s"}],
    }
    assert hard_quota(answer(spent))
    assert not hard_quota(answer(per_minute)) and google_retry_delay(answer(per_minute)) == 38.0
    assert not hard_quota(answer(spent, {"Retry-After": "2"}))
    assert not hard_quota(answer(spent, {"llm_provider-retry-after": "2"}))  # LiteLLM's copy
    budget = {"message": "Budget has been exceeded!", "type": "budget_exceeded", "code": "422"}
    assert not hard_quota(answer({"message": "当前分组上游负载已饱和", "code": "rate_limit"}))
    assert hard_quota(
        httpx.Response(422, json={"error": budget}, request=httpx.Request("POST", "http://x"))
    )


# -- quiet retries -------------------------------------------------------------------------------


@pytest.mark.retry_mode(waits=True)  # the notice says the real wait: Retry-After's 1 s
def test_retries_show_in_the_job_not_in_a_log(make_client, relay, out_dir, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    client = make_client("videos")
    job = client.submit("a heron [[sim:poll_503]]")
    seen: list[str | None] = []
    bar = io.StringIO()
    terminal = TerminalBar(job, bar)
    job.add_listener(
        lambda event: seen.append(event.message) if isinstance(event, Retrying) else None
    )
    job.add_listener(terminal)
    job.wait(timeout=30)
    assert_saved_clip(job.videos[0], out_dir)
    notices = [n for n in seen if n]
    assert notices and notices[0] == "relay busy (HTTP 503), retrying in 1 s (1/7)"
    assert seen[-1] is None and job.notice is None  # the retried poll went through
    assert f"\n{notices[0]}\n" in "\n" + bar.getvalue()  # a line of its own
    assert not [r for r in caplog.records if r.name == "stamina"]
    assert "stamina" not in capfd.readouterr().err


def test_the_command_line_prints_retries_on_their_own_line(relay, tmp_path):
    env = {
        **os.environ,
        "VEO_BASE_URL": f"{relay.base_url}/v1",
        "VEO_API_KEY": "sk-test",
        "VEO_OUTPUT_DIR": str(tmp_path),
        "VEO_PROTOCOL": "videos",
    }
    done = subprocess.run(
        [sys.executable, "-m", "veo_magic.cli", "generate", "a heron [[sim:poll_503]]"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert "relay busy (HTTP 503), retrying in 1 s (1/7)" in lines
    assert "stamina" not in done.stderr
