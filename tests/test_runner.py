"""The runner owns a job until it is fully done: clips, posters, sidecar and journal, in order."""

from __future__ import annotations

import threading
import time

import pytest

import veo_magic as veo
from veo_magic import media
from veo_magic._events import Completed, Downloaded
from veo_magic.jobs.runner import find_job, running_jobs

KEY = "sk-runner-test"


@pytest.fixture
def make_client(simulator, tmp_path):
    clients = []

    def make(protocol: str, **options):
        client = veo.Client(
            base_url=simulator.base_url,
            api_key=KEY,
            protocol=protocol,
            output_dir=tmp_path / "out",
            poll_interval=(0.05, 0.3),
            **options,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.mark.parametrize("protocol", ["chat", "videos", "create"])
def test_completed_means_every_clip_and_poster_is_on_disk(make_client, protocol):
    client = make_client(protocol)
    seen = {}

    def listener(event):
        if isinstance(event, Downloaded):
            seen.setdefault("posters", []).append(event.poster)
        if isinstance(event, Completed):  # what a waiting cell sees first
            seen["on_disk"] = [(p.exists(), p.with_suffix(".jpg").exists()) for p in job.videos]
            seen["sidecars"] = [p.with_suffix(".json").exists() for p in job.videos]
            seen["journal"] = client.journal.get(job.id)

    n = 2 if protocol == "chat" else 1
    job = client.submit("a heron lifting off a lake", n=n)
    job.add_listener(listener)
    job.wait(timeout=60)
    assert seen["on_disk"] == [(True, True)] * n
    assert seen["sidecars"] == [True] * n
    # clips download side by side, so their posters come in any order
    assert sorted(p.name for p in seen["posters"]) == sorted(
        p.with_suffix(".jpg").name for p in job.videos
    )
    assert job.posters == [p.with_suffix(".jpg") for p in job.videos]
    # the journal was written before any listener heard of the end: one writer, in order
    row = seen["journal"]
    assert row["status"] == "succeeded" and row["files"] == [str(p) for p in job.videos]


def test_poster_frames_are_made_off_the_jobs_loop(make_client, monkeypatch):
    threads = []
    real = media.poster_for

    def poster_for(video, **kwargs):
        threads.append(threading.current_thread().name)
        return real(video, **kwargs)

    monkeypatch.setattr(media, "poster_for", poster_for)
    job = make_client("videos").generate("a lantern on a jetty")
    assert job.posters[0] is not None and job.posters[0].exists()
    assert threads and "veo_magic-loop" not in threads


def test_a_fresh_job_teaches_the_journal_how_long_the_relay_takes(make_client, simulator):
    client = make_client("create")
    started = time.monotonic()
    job = client.generate("a kite over dunes")
    elapsed = time.monotonic() - started
    row = client.journal.get(job.id)
    # the middle of the window in which polling saw the task end: after half the relay's own
    # length (the window opens at the submit at the earliest) and within the job's whole life;
    # bounds, not a timing, so a loaded machine cannot fail it
    assert simulator.generation_seconds / 2 <= row["ready_seconds"] <= elapsed
    assert client.journal.typical_seconds(client.base_url) == pytest.approx(row["ready_seconds"])


def test_the_registry_knows_running_jobs_by_either_id(make_client):
    client = make_client("videos")
    job = client.submit("a slow tide")
    assert job in running_jobs()
    job.wait(timeout=60)
    assert job not in running_jobs()
    assert find_job(job.id) is job and find_job(job.task_id) is job


def test_closing_the_client_lets_running_jobs_finish(make_client):
    client = make_client("videos")
    job = client.submit("a train crossing a viaduct")
    client.close()
    assert job.wait(timeout=60).status == "succeeded"
    assert client._runner.relay is None  # closed once its last job ended


def test_a_chat_clip_downloads_as_soon_as_its_link_arrives(make_client):
    """With n=2, the first clip is on disk (and shown) while the stream still goes on."""
    order = []
    client = make_client("chat")
    job = client.submit("two gulls over a harbour [[sim:slow_links]]", n=2)
    job.add_listener(lambda event: order.append(type(event).__name__))
    job.wait(timeout=60)
    ready = [i for i, name in enumerate(order) if name == "VideoReady"]
    downloaded = [i for i, name in enumerate(order) if name == "Downloaded"]
    assert len(ready) == 2 and len(downloaded) == 2
    assert downloaded[0] < ready[1]  # clip 1 was saved before clip 2's link even came
