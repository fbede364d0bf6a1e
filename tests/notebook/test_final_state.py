"""What a saved notebook keeps of a job once it has ended: static HTML and text that any viewer
shows (no widget), with every fact a reader wants and each clip's thumbnail inline.

The jobs here are fed events by hand, with real clips and thumbnails made by ffmpeg, so each
outcome (succeeded, failed, cancelled) is checked without a relay.
"""

from __future__ import annotations

import base64
import json
import re

import pytest

from tests.notebook.test_view import make_job
from tests.support import make_mp4
from veo_magic._events import Completed, Downloaded, Failed, Submitted
from veo_magic.media.stills import THUMB_MAX_BYTES, existing_thumbnail, poster_for
from veo_magic.notebook.job_view import final_bundle, standin_bundle

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
EVIL = "<img src=x onerror=alert(1)>"
# What the issue allows a saved notebook to grow by, per clip (its widget state included).
CLIP_BUDGET = 32_000
# The widget models a finished view leaves in an nbclient-saved notebook (7.09 KB measured
# before posters, see benchmarks/notebook.py): what the final output may use is the rest.
WIDGET_STATE_BYTES = 7_500


def finished(job, clip=None, outcome=None):
    job.started_at = job.created_at
    job._apply(Submitted("video_123"))
    if clip is not None:
        job._apply(Downloaded(0, clip, "http://relay/v.mp4", clip.stat().st_size, poster_for(clip)))
    job._apply(outcome or Completed("succeeded"))
    job.finished_at = job.started_at + 83  # 1:23
    return job


def facts(bundle):
    """The plain text's ``name: value`` lines."""
    return dict(
        line.strip().split(": ", 1)
        for line in bundle["text/plain"].splitlines()[1:]
        if ": " in line
    )


def test_a_finished_job_keeps_every_fact(mp4):
    job = finished(make_job(), mp4)
    bundle = final_bundle(job)
    assert set(bundle) == {"text/html", "text/plain"}  # no widget: every viewer shows this
    page, said = bundle["text/html"], facts(bundle)
    assert said == {
        "status": "succeeded, 100%",
        "elapsed": "1:23",
        "prompt": "a red fox in snow",
        "model": "veo-3.1-landscape (simulated)",
        "orientation": "landscape",
        "seconds": "8",
        "estimated cost": "$0.25",
        "task id": "video_123",
        "job": job.id,
        "files": "veo_outputs/clip.mp4",
    }
    for shown in ("succeeded", "100%", "1:23", "a red fox in snow", "veo-3.1-landscape",
                  "landscape", "8 s", "$0.25", "video_123", "veo_outputs/clip.mp4"):  # fmt: skip
        assert shown in page, shown
    assert 'data-status="succeeded"' in page and 'aria-valuenow="100"' in page
    assert "queued" not in page and "queued" not in bundle["text/plain"]


def test_the_clip_keeps_its_link_and_an_inline_thumbnail(mp4):
    job = finished(make_job(), mp4)
    page = final_bundle(job)["text/html"]
    assert 'src="veo_outputs/clip.mp4"' in page  # Jupyter serves it: it plays
    assert 'href="veo_outputs/clip.mp4" download="clip.mp4"' in page
    thumb = existing_thumbnail(mp4)
    picture = f"data:image/jpeg;base64,{base64.b64encode(thumb.read_bytes()).decode()}"
    # as the poster (all a CSP without media shows) and as the fallback (no <video> at all)
    assert f'poster="{picture}"' in page
    assert f'<img src="{picture}"' in page
    assert "data:video/mp4" not in page  # the clip itself stays a file


def test_a_failed_job_says_why_and_how_to_resume():
    job = finished(
        make_job(prompt=EVIL),
        outcome=Completed("failed", error="content policy <refused>"),
    )
    job._apply(Failed("content policy <refused>", task_id="video_123"))
    bundle = final_bundle(job)
    said = facts(bundle)
    assert said["status"] == "failed, 0%" and said["error"] == "content policy <refused>"
    assert said["task id"] == "video_123" and "files" not in said
    page = bundle["text/html"]
    assert 'data-status="failed"' in page
    assert "content policy &lt;refused&gt;" in page and "%veo resume video_123" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<video" not in page


def test_a_cancelled_job_says_it_may_still_be_charged(make_mp4, tmp_path):
    clip = make_mp4(tmp_path / "veo_outputs" / "first.mp4", seconds=0.5)
    job = finished(make_job(n=2), clip, Completed("cancelled", error="cancelled by the user"))
    bundle = final_bundle(job)
    assert facts(bundle)["status"] == "cancelled, 0%"
    page = bundle["text/html"]
    assert 'data-status="cancelled"' in page and "Cancelled." in page
    assert "may still finish (and charge)" in page and "%veo resume video_123" in page
    assert page.count("<video") == 1  # the clip it had before the cancel is still shown


def test_a_gallery_label_shows_in_text():
    job = finished(make_job(), outcome=Completed("failed", error="x"))
    bundle = final_bundle(job, label="style=<b>noir</b>")
    assert bundle["text/plain"].splitlines()[0] == f"veo_magic job {job.id} [style=<b>noir</b>]"
    assert "style=&lt;b&gt;noir&lt;/b&gt;" in bundle["text/html"]


def test_the_stand_in_never_freezes_a_number():
    job = make_job()
    job._apply(Submitted("video_9"))
    job.progress = 37.0
    bundle = standin_bundle(job)
    for text in bundle.values():
        words = text.replace(job.id, "<job id>")  # a random hex id may hold "37"
        assert "37" not in words and "queued" not in words and "running" not in words
        assert "not yet ended when this output was saved" in text
        assert "%veo resume video_9" in text and "a red fox in snow" in text
    assert "not yet ended" in standin_bundle(make_job())["text/plain"]  # no task id yet
    assert "run the cell again" in standin_bundle(make_job())["text/plain"]


def test_the_live_view_carries_the_stand_in():
    from veo_magic.notebook.job_view import JobView
    from veo_magic.notebook.refresh import Refresher

    view = JobView(make_job(), live_clips=False, loop=Refresher(start=False))
    bundle = view._repr_mimebundle_()
    assert WIDGET_VIEW in bundle  # live frontends show the widget
    assert "not yet ended" in bundle["text/plain"] and "not yet ended" in bundle["text/html"]
    view.close_parts()


# -- weight --------------------------------------------------------------------------------------


def test_a_thumbnail_stays_small_even_for_a_detailed_portrait_frame(tmp_path):
    """A fractal is about the worst a JPEG meets: the thumbnail still fits its budget."""
    clip = make_mp4(tmp_path / "veo_outputs" / "portrait.mp4", 1.5, "720x1280", source="mandelbrot")
    poster_for(clip)
    thumb = existing_thumbnail(clip)
    assert thumb is not None and 0 < thumb.stat().st_size <= THUMB_MAX_BYTES
    jpeg = thumb.read_bytes()
    # SOF0: height then width, the longer side at most 320 (a portrait is not 320 wide)
    sof = jpeg.index(b"\xff\xc0")
    height, width = int.from_bytes(jpeg[sof + 5 : sof + 7]), int.from_bytes(jpeg[sof + 7 : sof + 9])
    assert (width, height) == (180, 320)


def test_one_clips_final_output_fits_the_per_clip_budget(mp4):
    job = finished(make_job(), mp4)
    output = {"output_type": "display_data", "data": final_bundle(job), "metadata": {}}
    size = len(json.dumps(output, indent=1).encode())  # as nbformat writes it
    assert size <= CLIP_BUDGET - WIDGET_STATE_BYTES, size
    # the inline thumbnail is what weighs: the rest is the same few hundred bytes as before
    rest = re.sub(r"data:image/jpeg;base64,[A-Za-z0-9+/=]+", "", output["data"]["text/html"])
    assert len(rest.encode()) < 4_000


@pytest.mark.parametrize("embed", [False, True])
def test_embed_puts_the_clip_in_the_final_output_too(mp4, embed):
    job = finished(make_job(), mp4)
    page = final_bundle(job, embed=embed)["text/html"]
    assert ("data:video/mp4;base64," in page) == embed
    assert 'poster="data:image/jpeg;base64,' in page
