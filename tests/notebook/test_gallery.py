"""Prompt iteration: --vary parsing, the cartesian product, costs, the concurrency limit."""

import asyncio
import threading
import time

import pytest

from veo_magic import VeoInputError
from veo_magic._events import Completed
from veo_magic._job import Job
from veo_magic.notebook.gallery import Gallery, Variant, batch, expand, parse_vary


def test_parse_vary():
    assert parse_vary(["style=a, b", "seconds=4,8"]) == {"style": ["a", "b"], "seconds": ["4", "8"]}
    for bad in (["style"], ["=a"], ["two words=a"], ["s=a,,b"], ["s="]):
        with pytest.raises(VeoInputError):
            parse_vary(bad)


def test_expand_product_labels_and_options():
    variants = expand(
        "a {animal}, {style}",
        {"style": ["ink", "oil"], "model": ["veo-3.1", "veo-3.1-fast"]},
        namespace={"animal": "fox", "style": "ignored: vary wins"},
        options={"seconds": "8"},
    )
    assert len(variants) == 4
    assert variants[0].prompt == "a fox, ink" and variants[0].options == {
        "seconds": "8",
        "model": "veo-3.1",
    }
    assert variants[0].label == "style=ink · model=veo-3.1"
    assert {v.options["model"] for v in variants} == {"veo-3.1", "veo-3.1-fast"}


def test_expand_key_in_template_and_option():
    (variant,) = expand("made with {model}", {"model": ["veo-3.1"]})
    assert variant.prompt == "made with veo-3.1" and variant.options["model"] == "veo-3.1"


def test_expand_errors():
    with pytest.raises(VeoInputError, match="no \\{colour\\}"):
        expand("a fox", {"colour": ["red"]})
    with pytest.raises(VeoInputError, match="fast=maybe"):
        expand("a fox", {"fast": ["maybe"]})
    with pytest.raises(VeoInputError, match="'animal'"):
        expand("a {animal}, {style}", {"style": ["ink"]})
    with pytest.raises(VeoInputError, match="no values"):
        expand("a {style}", {"style": []})


class FakeClient:
    """Counts what a gallery starts; jobs end when the test says."""

    simulated = True
    budget_usd = None

    def __init__(self, fail_at=None):
        self.jobs: list[Job] = []
        self.fail_at = fail_at
        self.lock = threading.Lock()

    def submit(self, prompt, **options):
        with self.lock:
            if self.fail_at is not None and len(self.jobs) == self.fail_at:
                self.fail_at = None
                raise VeoInputError("budget", None, "would be passed")
            job = Job(protocol="chat", record={"prompt": prompt, **options}, simulated=True)
            self.jobs.append(job)
            return job


def finish(job, status="succeeded"):
    thread = threading.Thread(target=job._apply, args=(Completed(status),))
    thread.start()
    thread.join()


def test_concurrency_limit_and_order():
    client = FakeClient()
    variants = [Variant(f"v={i}", f"p{i}", {}) for i in range(5)]
    gallery = Gallery(client, variants, concurrency=2).start()
    assert [j is not None for j in gallery.jobs] == [True, True, False, False, False]
    assert "waiting" in gallery.views[2].status.value
    finish(gallery.jobs[0])
    assert [j is not None for j in gallery.jobs] == [True, True, True, False, False]
    for index in range(1, 5):
        while gallery.jobs[index] is None:
            time.sleep(0.01)
        finish(gallery.jobs[index], "failed" if index == 3 else "succeeded")
    assert gallery.wait(timeout=5).done()
    assert [j.prompt for j in client.jobs] == ["p0", "p1", "p2", "p3", "p4"]


def test_a_variant_that_cannot_start_is_shown_and_the_rest_go_on():
    client = FakeClient(fail_at=1)
    gallery = Gallery(client, [Variant(f"v={i}", f"p{i}", {}) for i in range(3)], concurrency=1)
    gallery.start()
    finish(gallery.jobs[0])
    assert "budget would be passed" in gallery.views[1].status.value
    finish(gallery.jobs[2])
    assert gallery.wait(timeout=5).done()


def test_cancel_drops_waiting_variants():
    client = FakeClient()
    gallery = Gallery(client, [Variant(f"v={i}", f"p{i}", {}) for i in range(4)], concurrency=1)
    gallery.start()
    gallery.jobs[0]._future = None  # a fake job: cancel() says no, end it by hand
    gallery.cancel()
    finish(gallery.jobs[0], "cancelled")
    assert gallery.wait(timeout=5).done()
    assert len(client.jobs) == 1
    assert "cancelled" in gallery.views[3].status.value


def test_await_gallery():
    client = FakeClient()
    gallery = Gallery(client, [Variant("v", "p", {})]).start()
    threading.Timer(0.1, finish, args=(gallery.jobs[0],)).start()

    async def main():
        return await gallery

    assert asyncio.run(main()) is gallery


def test_batch_in_python(capsys):
    gallery = batch(
        "a {animal}, {style}",
        vary={"style": ["ink", "oil"]},
        values={"animal": "fox"},
        concurrency=1,
        fast=True,
    )
    assert [v.prompt for v in gallery.variants] == ["a fox, ink", "a fox, oil"]
    assert all(v.options == {"fast": True} for v in gallery.variants)
    assert "2 jobs" in capsys.readouterr().out
    gallery.cancel()


def test_repr():
    gallery = Gallery(FakeClient(), [Variant("v", "p", {})])
    assert "1 jobs" in repr(gallery) and "waiting" in repr(gallery)
