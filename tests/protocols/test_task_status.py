"""Status words, URL fields and failure reasons of task objects (PROTOCOLS.md §1.2, §1.3, §5)."""

from __future__ import annotations

import logging

import pytest

from veo_magic.relays.protocols import status
from veo_magic.relays.protocols.status import (
    failure_reason,
    progress_percent,
    read_task,
    task_state,
    video_urls,
)


@pytest.mark.parametrize(
    "word", ["completed", "COMPLETED", "Success", "succeeded", "complete", "finished"]
)
def test_success_words(word):
    assert task_state(word) == "succeeded"


@pytest.mark.parametrize(
    "word",
    [
        "failed",
        "FAILURE",
        "error",
        "cancelled",
        "canceled",
        "fail",
        "video_generation_failed",
        "video_upsampling_failed",
    ],
)
def test_failure_words(word):
    assert task_state(word) == "failed"


@pytest.mark.parametrize(
    "word", ["queued", "pending", "SUBMITTED", "not_start", "preparing", "unknown", "", None]
)
def test_queued_words(word):
    assert task_state(word) == "queued"


@pytest.mark.parametrize(
    "word",
    [
        "in_progress",
        "IN_PROGRESS",
        "processing",
        "running",
        "generating",
        "image_downloading",
        "video_generating",
        "video_generation_completed",
        "video_upsampling",
        "video_upsampling_completed",
    ],
)
def test_running_words_are_not_terminal(word):
    assert task_state(word) == "running"


def test_unknown_word_means_running_and_is_logged_once(caplog, monkeypatch):
    monkeypatch.setattr(status, "_reported", set())
    with caplog.at_level(logging.INFO, logger="veo_magic"):
        assert task_state("Rendering_Frames") == "running"
        assert task_state("rendering_frames") == "running"
    logged = [r for r in caplog.records if "rendering_frames" in r.getMessage()]
    assert len(logged) == 1 and logged[0].levelno == logging.INFO


@pytest.mark.parametrize(
    ("body", "url"),
    [
        ({"video_url": "https://a/1.mp4"}, "https://a/1.mp4"),
        ({"url": "https://a/2.mp4"}, "https://a/2.mp4"),
        ({"metadata": {"url": "https://a/3.mp4"}}, "https://a/3.mp4"),
        ({"metadata": {"video_url": "https://a/4.mp4"}}, "https://a/4.mp4"),
        ({"detail": {"upsample_video_url": "https://a/5.mp4"}}, "https://a/5.mp4"),
        ({"detail": {"video_url": "https://a/6.mp4"}}, "https://a/6.mp4"),
        ({"detail": {"url": "https://a/7.mp4"}}, "https://a/7.mp4"),
        ({"metadata": {"url": "/v1/videos/task_1/content"}}, "/v1/videos/task_1/content"),
    ],
)
def test_every_url_field(body, url):
    assert video_urls(body) == (url,)


def test_url_field_order():
    body = {
        "video_url": None,
        "url": "",
        "metadata": {"url": "https://a/meta.mp4", "video_url": "https://a/meta-video.mp4"},
        "detail": {"video_url": "https://a/base.mp4", "upsample_video_url": "https://a/up.mp4"},
    }
    assert video_urls(body) == ("https://a/meta.mp4",)
    assert video_urls({"detail": body["detail"]}) == ("https://a/up.mp4",)


def test_url_lists_for_several_clips():
    assert video_urls(
        {"video_url": "https://a/1.mp4", "video_urls": ["https://a/1.mp4", "https://a/2.mp4"]}
    ) == (
        "https://a/1.mp4",
        "https://a/2.mp4",
    )
    assert video_urls({"metadata": {"urls": ["https://a/x.mp4", None]}}) == ("https://a/x.mp4",)
    assert video_urls({"video_url": "not a url"}) == ()


@pytest.mark.parametrize(
    ("body", "reason", "code"),
    [
        (
            {"error": {"message": "unsafe prompt", "code": "content_policy"}},
            "unsafe prompt",
            "content_policy",
        ),
        ({"error": "quota exceeded"}, "quota exceeded", None),
        ({"detail": {"video_generation_error": "rejected by google"}}, "rejected by google", None),
        ({"detail": {"error_message": "upsample failed"}}, "upsample failed", None),
        (
            {"message": "task_not_exist", "code": "task_not_exist"},
            "task_not_exist",
            "task_not_exist",
        ),
        ({"fail_reason": "timeout"}, "timeout", None),
        ({"error": None}, None, None),
    ],
)
def test_failure_reasons(body, reason, code):
    assert failure_reason(body) == (reason, code)


def test_failure_reason_order():
    body = {
        "error": {"message": "first"},
        "detail": {"video_generation_error": "second"},
        "message": "third",
    }
    assert failure_reason(body)[0] == "first"
    assert (
        failure_reason({"detail": {"video_generation_error": "second"}, "message": "third"})[0]
        == "second"
    )


@pytest.mark.parametrize(
    ("value", "percent"),
    [
        (45, 45.0),
        (45.9, 45.9),
        ("45%", 45.0),
        (" 7 % ", 7.0),
        (150, 100.0),
        (-3, 0.0),
        (None, None),
        ("n/a", None),
        (True, None),
    ],
)
def test_progress_values(value, percent):
    assert progress_percent(value) == percent


def test_read_task():
    report = read_task({"id": "task_1", "status": "in_progress", "progress": "40%"})
    assert (report.state, report.word, report.progress, report.urls) == (
        "running",
        "in_progress",
        40.0,
        (),
    )
    done = read_task(
        {"status": "completed", "progress": 100, "metadata": {"url": "https://a/x.mp4"}}
    )
    assert (done.state, done.urls) == ("succeeded", ("https://a/x.mp4",))
    failed = read_task({"status": "FAILED", "error": {"message": "nope", "code": 7}})
    assert (failed.state, failed.reason, failed.code) == ("failed", "nope", "7")


def test_read_task_without_top_level_status():
    assert read_task({"detail": {"status": "video_generating"}}).state == "running"
    assert (
        read_task({"video_url": "https://a/x.mp4"}).state == "succeeded"
    )  # poloapi-style, no status
    assert read_task({"id": "x"}).state == "queued"
    assert read_task(None).state == "queued"
    assert read_task(["not", "an", "object"]).state == "queued"


def test_spaces_and_hyphens_in_words():
    assert task_state("In-Progress") == "running"
    assert task_state(" not start ") == "queued"
    assert task_state("Video Generation Failed") == "failed"
