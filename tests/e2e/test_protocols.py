"""Every protocol end to end against the simulator: text, frames, references, n=2, refusals."""

from __future__ import annotations

import asyncio
import json

import pytest

import veo_magic as veo
from tests.images import write_png
from tests.support import assert_saved_clip

PROTOCOLS = ("chat", "videos", "create")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_text_to_video(make_client, relay, protocol):
    client = make_client(protocol)
    before = relay.accepted_creates
    job = client.generate("a red fox in snow", orientation="landscape")
    assert job.status == "succeeded" and job.progress == 100.0
    assert len(job.videos) == 1
    sidecar = assert_saved_clip(job.videos[0])
    assert sidecar["prompt"] == "a red fox in snow"
    assert relay.accepted_creates == before + 1
    row = client.journal.get(job.id)
    assert row["status"] == "succeeded" and row["files"] == [str(job.videos[0])]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_first_and_last_frame(make_client, relay, protocol, tmp_path):
    first, last = write_png(tmp_path / "a.png"), write_png(tmp_path / "b.png", color=(0, 0, 255))
    job = make_client(protocol).generate("morph", first_frame=first, last_frame=last)
    assert_saved_clip(job.videos[0])
    create = [r for r in relay.requests if r["method"] == "POST"][-1]
    assert "sk-e2e" not in json.dumps(create, default=str)


@pytest.mark.parametrize("protocol", ("videos", "create"))
def test_three_references(make_client, protocol, tmp_path):
    refs = [write_png(tmp_path / f"r{i}.png", color=(i * 80, 10, 10)) for i in range(3)]
    job = make_client(protocol).generate("a product shot", references=refs)
    assert_saved_clip(job.videos[0])


def test_chat_two_videos(make_client):
    job = make_client("chat").generate("a pig flying over the sea", n=2)
    assert len(job.videos) == 2 and len(set(job.videos)) == 2
    for path in job.videos:
        assert_saved_clip(path)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_refusal_is_a_failed_job_with_the_relays_words(make_client, relay, protocol):
    relay.set_scenario("refuse")
    job = make_client(protocol).submit("something the relay refuses")
    with pytest.raises(veo.VeoGenerationError) as info:
        job.wait(timeout=30)
    assert job.status == "failed" and job.error
    assert job.videos == []
    if protocol != "chat":
        assert job.task_id and job.task_id in str(info.value)


def test_auth_error_maps_to_api_error(make_client, relay):
    relay.set_scenario("auth")
    job = make_client("videos").submit("x")
    with pytest.raises(veo.VeoGenerationError):
        job.wait(timeout=30)
    assert "401" in job.error


def test_works_from_asyncio_run(make_client):
    client = make_client("videos")

    async def main():
        return await client.submit("inside asyncio.run")

    job = asyncio.run(main())
    assert job.status == "succeeded"


def test_works_inside_a_running_loop_blocking(make_client):
    """The notebook case: code already inside a running loop may still block on wait()."""
    client = make_client("create")

    async def cell():
        job = client.submit("inside a running loop")
        return job.wait(timeout=30)  # blocks this loop; the job runs on its own thread

    assert asyncio.run(cell()).status == "succeeded"


def test_resume_by_task_id_in_a_new_client(make_client):
    first = make_client("videos")
    job = first.submit("resume me")
    job.wait(timeout=30)
    again = make_client("videos").resume(job.task_id)
    assert again.wait(timeout=30).status == "succeeded"
    assert again.id == job.id
