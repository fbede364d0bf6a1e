"""Issue 18 §2: a route that will not make the clip says so at once, and why.

A relay that sells no such model now (new-api's 503 ``model_not_found``), a model Google retired,
and a clip Google withheld behind LiteLLM (its polls answer 500 with ``raiMediaFilteredCount`` in
the text): each ends the job without retrying an answer that will not change. Every test counts
what reached the simulator.
"""

from __future__ import annotations

import pytest

import veo_magic as veo
from tests.reliability.support import CREATE_PATHS, PROTOCOLS
from veo_magic.relays import says_sells_none


@pytest.mark.parametrize(
    ("message", "code"),
    [
        # new-api's default language (i18n/locales/en.yaml, distributor.no_available_channel)
        (
            "No available channel for model veo-3.1 under group default (distributor)",
            "model_not_found",
        ),
        # its Chinese, with the channel lookup's own error (distributor.get_channel_failed)
        (
            "获取分组 vip 下模型 veo-3.1 的可用渠道失败（distributor）: no available channel",
            "model_not_found",
        ),
        # builds before its i18n: no code at all
        ("当前分组 default 下对于模型 veo3.1-pro 无可用渠道 (request id: 2026120706)", ""),
        # any wording, as long as the code says it
        ("something else entirely", "model_not_found"),
    ],
)
def test_new_apis_no_channel_answer_in_every_build(message, code):
    assert says_sells_none(message, code or None, 503)


@pytest.mark.parametrize(
    ("message", "code", "status"),
    [
        ("upstream service temporarily unavailable", "fail_to_fetch_task", 503),
        ("The model is overloaded. Please try again later.", "UNAVAILABLE", 503),
        ("The model 'veo-9' does not exist", "model_not_found", 404),  # a 404 is refused anyway
    ],
)
def test_a_busy_503_is_not_that_answer(message, code, status):
    assert not says_sells_none(message, code, status)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_retired_google_id_ends_the_job_naming_its_replacement(make_client, ledger, protocol):
    job = make_client(protocol).submit("a red fox [[sim:retired]]")
    with pytest.raises(veo.VeoGenerationError):
        job.wait(timeout=30)
    assert len(ledger.sent("POST", CREATE_PATHS[protocol])) == 1
    assert "is no longer available" in job.error and "veo-3.1-generate-001" in job.error
    assert job.recovery is None and "Nothing is left to retry or resume" in job.error


def test_a_clip_litellm_says_google_withheld_is_believed_on_the_first_poll(make_client, ledger):
    job = make_client("videos").submit("a lighthouse [[sim:litellm_filtered]]")
    with pytest.raises(veo.VeoGenerationError):
        job.wait(timeout=30)
    polls = [r for r in ledger.sent("GET", "/v1/videos/") if not r.path.endswith("/content")]
    assert [r.status for r in polls] == [500]  # once: it was retried twice, with backoff
    assert job.error.startswith(
        "The relay reported the task done but returned no video, most likely withheld by "
        "Google's safety filter. The relay said: HTTP 500"
    )
    assert "raiMediaFilteredCount" in job.error and job.recovery is None
