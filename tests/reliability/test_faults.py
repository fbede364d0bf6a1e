"""Guarantee 2: a finished clip is never lost.

Each scripted fault of the simulator, on each protocol it applies to, ends either with the clip
on disk (recovered) or with a failure whose message says what happened and what is known. The
fault matrix in the closing note is this file's table of outcomes.
"""

from __future__ import annotations

import logging

import httpx
import pytest

import veo_magic as veo
from tests.reliability.support import PROTOCOLS
from tests.support import SHORT_TIMEOUT, assert_saved_clip
from veo_magic.relays.protocols import status
from veo_magic.simulator.scenarios import RAI_FILTERED

TASK_PROTOCOLS = ("videos", "create")
POLL_PATHS = {"videos": "/v1/videos/", "create": "/v1/video/query"}


def seeds(protocol: str) -> str:
    """The tag that makes ``/v1/videos`` a seed relay's (an upstream's object passed through:
    URLs, progress, error objects, Range); new-api's own Gemini channel has its tests below."""
    return ",passthrough" if protocol == "videos" else ""


def task_of(sim, prompt: str):
    """The simulator's task for the (unique) prompt a test sent."""
    (task,) = [t for t in sim.tasks.values() if t.prompt == prompt]
    return task


def failed(job) -> str:
    with pytest.raises(veo.VeoGenerationError):
        job.wait(timeout=30)
    assert job.status == "failed" and job.videos == []
    return job.error


# -- polls -------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", TASK_PROTOCOLS)
def test_poll_503s_are_retried(make_client, ledger, out_dir, protocol, retries):
    job = make_client(protocol).generate("poll me [[sim:poll_503]]")
    assert_saved_clip(job.videos[0], out_dir)
    polls = ledger.sent("GET", POLL_PATHS[protocol])
    assert [r.status for r in polls[:3]] == [503, 503, 503] and polls[3].status == 200
    assert len([r for r in retries if "503" in str(r.caused_by)]) == 3
    assert ledger.creates == 1


@pytest.mark.retry_mode(waits=True)
def test_poll_503_waits_as_long_as_retry_after_says(make_client, ledger, out_dir, retries):
    job = make_client("videos").generate("poll me patiently [[sim:poll_503]]")
    assert_saved_clip(job.videos[0], out_dir)
    assert [r.wait_for for r in retries] == [1.0, 1.0, 1.0]  # Retry-After: 1, three times
    assert ledger.creates == 1


@pytest.mark.parametrize("protocol", TASK_PROTOCOLS)
def test_a_poll_that_times_out_is_retried(make_client, ledger, out_dir, protocol, retries):
    client = make_client(protocol, timeout=SHORT_TIMEOUT)
    job = client.generate("a hung poll [[sim:poll_slow]]")
    assert_saved_clip(job.videos[0], out_dir)
    assert any(isinstance(r.caused_by, httpx.ReadTimeout) for r in retries)
    assert ledger.creates == 1


@pytest.mark.retry_mode(attempts=2)  # 2 polls answer 503: the retries run out
def test_polls_that_keep_failing_end_with_a_resumable_job(make_client, ledger, out_dir):
    """When every retry fails, the job says the task is not lost, and resuming it works."""
    client = make_client("videos")
    job = client.submit("an outage [[sim:poll_503]]")
    with pytest.raises(veo.VeoGenerationError) as info:
        job.wait(timeout=30)
    error = job.error
    assert error.startswith(f"HTTP 503 from GET /v1/videos/{job.task_id}")
    assert job.recovery == "resume" and "resume" not in error  # the advice is the front end's
    assert (
        f"The relay's task {job.task_id} is not lost: resume it with client.resume('{job.id}')"
        in str(info.value)
    )
    assert client.journal.get(job.id)["may_charge"] is True
    again = client.resume(job.id).wait(timeout=30)
    assert again.status == "succeeded" and again.id == job.id
    assert_saved_clip(again.videos[0], out_dir)
    assert client.journal.get(job.id)["status"] == "succeeded"
    assert ledger.creates == 1


@pytest.mark.parametrize("protocol", TASK_PROTOCOLS)
def test_resuming_a_task_the_relay_does_not_know_fails_clearly(
    make_client, relay, ledger, protocol
):
    relay.set_scenario("task_error_shape")  # new-api's {"code": "task_not_exist", ...}
    job = make_client(protocol).resume("task_nope")
    error = failed(job)
    assert (
        error.startswith(f"HTTP 400 from GET {POLL_PATHS[protocol]}") and "task_not_exist" in error
    )
    assert "not lost" not in error and job.recovery is None
    assert ledger.creates == 0 and not ledger.sent("POST")


# -- the chat stream ---------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["stream_cut", "stream_idle"])
def test_a_broken_stream_is_followed_by_task_id(make_client, ledger, out_dir, fault):
    """The asyncdata dialect names its task: the job carries on through GET /v1/videos/{id}."""
    client = make_client("chat", idle_timeout=SHORT_TIMEOUT)
    job = client.generate(f"a long take [[sim:{fault},asyncdata]]")
    assert_saved_clip(job.videos[0], out_dir)
    assert job.task_id and ledger.sent("GET", f"/v1/videos/{job.task_id}")
    assert ledger.creates == 1


@pytest.mark.parametrize(
    ("fault", "why"),
    [
        ("stream_cut", "RemoteProtocolError"),
        ("stream_idle", f"sent nothing for {SHORT_TIMEOUT:g} s"),
    ],
)
def test_a_broken_stream_without_task_id_fails_quoting_the_last_progress(
    make_client, ledger, fault, why
):
    client = make_client("chat", idle_timeout=SHORT_TIMEOUT)
    job = client.submit(f"a long take [[sim:{fault}]]")
    error = failed(job)
    assert error.startswith("The relay's stream broke off (")
    assert why in error and "after “🏃 进度:" in error
    assert "gave no task id" in error and "check its dashboard" in error
    assert client.journal.get(job.id)["may_charge"] is True  # the relay works on: count it
    assert ledger.creates == 1


# -- malformed data ----------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_malformed_chunks_and_unknown_words_are_skipped_and_logged(
    make_client, ledger, out_dir, protocol, caplog, monkeypatch
):
    monkeypatch.setattr(status, "_reported", set())  # unknown words are logged once per process
    caplog.set_level(logging.INFO, logger="veo_magic")
    job = make_client(protocol).generate(f"sloppy relay [[sim:malformed{seeds(protocol)}]]")
    assert_saved_clip(job.videos[0], out_dir)
    logged = [r.getMessage() for r in caplog.records if r.name == "veo_magic"]
    if protocol == "chat":
        assert any("not JSON" in m for m in logged)
        assert any("no choices" in m for m in logged)
    else:
        assert any("'warming_up', which veo_magic does not know" in m for m in logged)
    assert ledger.creates == 1


# -- downloads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_truncated_download_resumes_with_range(make_client, relay, ledger, out_dir, protocol):
    prompt = f"cut short on {protocol} [[sim:truncated_download{seeds(protocol)}]]"
    job = make_client(protocol).generate(prompt)
    assert_saved_clip(job.videos[0], out_dir)
    ranged = [r for r in ledger.requests if "range" in r.headers]
    assert ranged and ranged[0].headers["range"].startswith("bytes=") and ranged[0].status == 206
    assert job.videos[0].read_bytes() == task_of(relay, prompt).clips[0].path.read_bytes()
    assert not list(out_dir.glob("*.part"))
    assert ledger.creates == 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_content_404_then_200(make_client, ledger, out_dir, protocol):
    job = make_client(protocol).generate("not there yet [[sim:content_404_then_200]]")
    assert_saved_clip(job.videos[0], out_dir)
    downloads = [
        r
        for r in ledger.requests
        if r.method == "GET" and r.status in (404, 200) and (r.path.endswith((".mp4", "/content")))
    ]
    assert [r.status for r in downloads[:2]] == [404, 200]
    assert ledger.creates == 1


@pytest.mark.parametrize(
    ("protocol", "tag"), [("videos", ",passthrough"), ("create", ""), ("chat", ",asyncdata")]
)
def test_an_expired_url_is_renewed_by_asking_the_task_again(
    make_client, ledger, out_dir, protocol, tag
):
    job = make_client(protocol).generate(f"a stale link [[sim:url_expired{tag}]]")
    sidecar = assert_saved_clip(job.videos[0], out_dir)
    expired = [r for r in ledger.requests if r.status == 403]
    assert len(expired) == 1 and sidecar["source_url"] != expired[0].path
    assert ledger.creates == 1


def test_an_expired_url_without_task_id_fails_clearly(make_client, ledger):
    job = make_client("chat").submit("a stale link [[sim:url_expired]]")
    error = failed(job)
    assert "answered HTTP 403: the link may have expired" in error
    assert "The relay gave no task id, so no fresh link can be asked for" in error
    assert ledger.creates == 1


# -- "completed", yet no video ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("protocol", "start"),
    [
        ("videos", "The relay reported the video ready, but /v1/videos/"),
        ("create", "The relay reported 'completed' but gave no video URL."),
        ("chat", "The relay ended the stream without a video. It said: "),
    ],
)
def test_completed_with_no_video_is_a_failure(make_client, ledger, protocol, start):
    job = make_client(protocol).submit(f"withheld [[sim:completed_no_video{seeds(protocol)}]]")
    error = failed(job)
    assert error.startswith(start)
    if protocol == "videos":
        assert "Video content not found" in error and "safety filter" in error
        assert "check the base URL" not in error  # the 404 is about the clip, not the relay
    assert ledger.creates == 1


@pytest.mark.parametrize(
    ("protocol", "start"),
    [
        ("videos", "The relay reported 'completed' but returned no video: Veo could not"),
        ("create", "The relay reported 'completed' but returned no video: Veo could not"),
        ("chat", "The relay ended the stream without a video. It said: "),
    ],
)
def test_completed_but_filtered_fails_with_the_relays_reasons(make_client, ledger, protocol, start):
    job = make_client(protocol).submit(f"withheld, with reasons [[sim:filtered{seeds(protocol)}]]")
    error = failed(job)
    assert error.startswith(start) and RAI_FILTERED in error
    assert "```json" not in error  # chat: the echo of our own prompt is not quoted back
    assert ledger.creates == 1
    assert not ledger.sent("GET", "/files/")  # nothing to download, nothing fetched


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_refusal_quotes_the_relay(make_client, ledger, protocol):
    job = make_client(protocol).submit(f"refused [[sim:refuse{seeds(protocol)}]]")
    assert "your request contains unsafe prompt" in failed(job)
    assert ledger.creates == 1


# -- new-api's own /v1/videos (a Gemini channel; the simulator's default) ------------------------


@pytest.mark.parametrize("scenario", ["filtered", "completed_no_video"])
def test_new_api_completed_without_a_video_ends_fast_without_a_promise(
    make_client, ledger, scenario
):
    """new-api calls a filtered Gemini task completed; its /content answers 502 for ever."""
    job = make_client("videos").submit(f"withheld [[sim:{scenario}]]")
    error = failed(job)
    assert error.startswith(
        "The relay reported the task done but returned no video, most likely withheld by "
        "Google's safety filter. The relay said: HTTP 502 from /v1/videos/"
    )
    assert "Failed to resolve Gemini video URL" in error
    assert job.recovery is None and "resume" not in error  # resuming cannot help
    contents = [r for r in ledger.sent("GET", "/v1/videos/") if r.path.endswith("/content")]
    assert [r.status for r in contents] == [502, 502, 502]  # retried twice, then believed
    assert ledger.creates == 1


def test_new_api_refusal_says_the_relay_gave_no_reason(make_client, ledger):
    job = make_client("videos").submit("refused [[sim:refuse]]")
    assert failed(job) == "The relay reported 'failed' and gave no reason."
    assert ledger.creates == 1


def test_new_api_truncated_download_starts_over_whole(make_client, relay, ledger, out_dir):
    """new-api's /content ignores Range: a cut download is fetched again from the start."""
    prompt = "cut short on new-api [[sim:truncated_download]]"
    job = make_client("videos").generate(prompt)
    assert_saved_clip(job.videos[0], out_dir)
    contents = [r for r in ledger.sent("GET", "/v1/videos/") if r.path.endswith("/content")]
    assert [r.status for r in contents] == [200, 200]
    assert job.videos[0].read_bytes() == task_of(relay, prompt).clips[0].path.read_bytes()
    assert ledger.creates == 1
