"""Prompt iteration: --vary parsing, the cartesian product, costs, the concurrency limit."""

import asyncio
import re
import time

import pytest

import veo_magic
from veo_magic import VeoInputError
from veo_magic.notebook.gallery import Gallery, Variant, batch, build, expand, parse_vary


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
    with pytest.raises(VeoInputError, match="fast='maybe' is not a yes or a no"):
        expand("a fox", {"fast": ["maybe"]})
    with pytest.raises(VeoInputError, match="'animal'"):
        expand("a {animal}, {style}", {"style": ["ink"]})
    with pytest.raises(VeoInputError, match="no values"):
        expand("a {style}", {"style": []})


def make_gallery(count, *, concurrency=4, prompt="p{}"):
    """A gallery of ``count`` variants on the embedded simulator, not started yet."""
    variants = [Variant(f"v={i}", prompt.format(i), {}) for i in range(count)]
    return Gallery(veo_magic.Client(), variants, concurrency=concurrency)


def test_one_scheduler_runs_at_most_concurrency_at_a_time_in_order():
    gallery = make_gallery(5, concurrency=2).start()
    assert len(gallery.jobs) == 5  # all recorded at once, queued for the client's scheduler
    assert [j.prompt for j in gallery.jobs] == ["p0", "p1", "p2", "p3", "p4"]
    busiest = 0
    while not gallery.done():
        running = sum(j.started_at is not None and not j.done() for j in gallery.jobs)
        assert running <= 2
        busiest = max(busiest, running)
        time.sleep(0.01)
    assert busiest == 2
    assert gallery.wait(timeout=30).done()
    assert all(j.status == "succeeded" and j.videos for j in gallery.jobs)


def test_queued_variants_say_they_wait_for_a_slot():
    gallery = make_gallery(3, concurrency=1).start()
    assert "waiting for a free slot" in gallery.views[2].status.value
    gallery.cancel()
    gallery.wait(timeout=30)


def test_cancel_stops_the_running_and_the_waiting():
    gallery = make_gallery(4, concurrency=1).start()
    gallery.cancel()
    assert gallery.wait(timeout=30).done()
    assert {j.status for j in gallery.jobs[1:]} == {"cancelled"}
    assert "Cancelled" in gallery.views[3].status.value


def test_the_budget_is_checked_for_the_whole_gallery_before_anything_starts():
    client = veo_magic.Client(budget_usd=0.5)
    with pytest.raises(veo_magic.VeoBudgetError, match="these 3 jobs"):
        build(client, "a {style} fox", {"style": ["ink", "oil", "clay"]})
    assert client.jobs() == []


def test_await_gallery():
    gallery = make_gallery(1).start()

    async def main():
        return await gallery

    assert asyncio.run(main()) is gallery
    assert gallery.jobs[0].status == "succeeded"


def test_the_output_becomes_static_once_every_variant_ends():
    class Handle:
        def __init__(self):
            self.bundles = []

        def update(self, bundle, raw=False):
            self.bundles.append(bundle)

    gallery = make_gallery(2, prompt="a <b>{}</b> fox")
    gallery._handle = handle = Handle()
    gallery.start().wait(timeout=30)
    (bundle,) = handle.bundles
    assert bundle["text/html"].count('data-status="succeeded"') == 2
    assert "&lt;b&gt;0&lt;/b&gt;" in bundle["text/html"] and "<b>0</b>" not in bundle["text/html"]
    assert "v=0" in bundle["text/plain"] and "succeeded, 100%" in bundle["text/plain"]
    assert "application/vnd.jupyter.widget-view+json" not in bundle
    page = bundle["text/html"]
    # each variant a captioned figure, with its clip and the clip's thumbnail inline
    assert re.findall(r"<figcaption[^>]*>([^<]*)</figcaption>", page) == ["v=0", "v=1"]
    assert page.count("<video") == 2 and page.count('poster="data:image/jpeg;base64,') == 2
    for job in gallery.jobs:
        assert f'src="veo_outputs/{job.videos[0].name}"' in page


def test_the_stand_in_names_the_variants_without_a_number():
    gallery = make_gallery(2, prompt="a <b>{}</b> fox")
    bundle = gallery._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    for text in (bundle["text/plain"], bundle["text/html"]):
        assert "not yet ended when this output was saved" in text and "%" not in text
    assert "v=1: a <b>1</b> fox" in bundle["text/plain"]
    assert "a &lt;b&gt;1&lt;/b&gt; fox" in bundle["text/html"]


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
    gallery = make_gallery(1)
    assert "1 jobs" in repr(gallery) and "waiting" in repr(gallery)
