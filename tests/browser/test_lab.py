"""In a real JupyterLab and chromium: the tutorials run, the form generates, prompts stay text,
storyboard films play, every version of an edited clip plays.

Each test opens a notebook in a fresh browser context, runs it with JupyterLab's own command and
checks what a person sees: progress bars at 100 %, clips that load, last as long as asked and
play. Timings go to the "browser timings" summary at the end of the run.
"""

from __future__ import annotations

import json
import math
import time

import pytest

from tests.browser.lab import Clip, Lab, LabPage, record
from veo_magic.notebook.versions_panel import PROMPT_HINT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

XSS = "<img src=x onerror=alert(1)>"
XSS_VARY = "<img/src=x/onerror=alert(2)>"  # a --vary value has no spaces
XSS_FORM = "<img src=x onerror=alert(3)>"


def record_clips(request: pytest.FixtureRequest, clips: list[Clip]) -> None:
    loads = [c.load_seconds for c in clips if not math.isnan(c.load_seconds)]
    if loads:
        record(request, f"<video> loadstart -> readyState 2 (max, {len(clips)})", max(loads))
    nudged = sum(c.nudged for c in clips)
    if nudged:  # not a failure (browsers may wait for play), but worth seeing
        record(request, "clips that loaded only once played", nudged)


def test_server_starts(lab: Lab, request):
    record(request, "server start -> /api/status", lab.startup_seconds)
    assert lab.process.poll() is None


def test_quickstart_runs_and_plays(lab_page: LabPage, request):
    page = lab_page
    opened = time.monotonic()
    page.open(page.lab.tutorial("quickstart.ipynb"))
    record(request, "open -> kernel idle", time.monotonic() - opened)
    started = page.run_all()
    page.wait("hasBar", what="a progress bar", timeout=60)
    bars = page.call("bars")
    assert bars[0]["visible"], bars
    page.wait_all_ran(timeout=120)
    assert page.errors() == []
    page.wait_bars_full(count=2)  # the fire-and-forget view gets there by itself
    record(request, "run all -> every bar at 100 %", time.monotonic() - started)
    clips = page.lab.clips(page.path)
    assert len(clips) == 2, clips  # the fox and the owl
    shown = page.check_videos(at_least=3)  # the owl twice: its view, and IPython's Video
    record_clips(request, shown)
    assert {c.file for c in shown} == set(clips), "every clip is shown"
    assert all(c.requested_seconds == 8 for c in shown)
    assert page.dialogs == []
    page.screenshot("quickstart", "a red fox running")


@pytest.mark.parametrize("name", ["form.ipynb", "prompt_iteration.ipynb", "relays.ipynb"])
def test_tutorial_runs_to_the_end(lab_page: LabPage, request, name):
    page = lab_page
    page.open(page.lab.tutorial(name))
    started = page.run_all()
    page.wait_all_ran(timeout=150)
    assert page.errors() == []
    clips = page.lab.clips(page.path)
    page.wait_bars_full(count=len({c.stem for c in clips}))
    record(request, "run all -> every bar at 100 %", time.monotonic() - started)
    shown = page.check_videos(at_least=len(clips))
    record_clips(request, shown)
    assert {c.file for c in shown} == set(clips), "every clip is shown"
    assert page.dialogs == []


def test_form_generates_a_clip(lab_page: LabPage, request):
    page = lab_page
    page.open(page.lab.notebook("form_check.ipynb", ["%load_ext veo_magic", "%veo form"]))
    page.run_all()
    page.wait_all_ran(timeout=60)
    form = page.page.locator(".jp-OutputArea-output").filter(has=page.page.locator("textarea"))
    prompt = form.locator("textarea").first
    prompt.wait_for(state="visible")
    generate = form.locator("button", has_text="Generate")
    assert generate.is_disabled()  # no prompt yet
    form.locator("button", has_text="Landscape").click()
    prompt.fill("a hot-air balloon drifting over a patchwork of fields")
    page.page.wait_for_function("(b) => !b.disabled", arg=generate.element_handle())
    clicked = time.monotonic()
    generate.click()
    page.wait_bars_full(count=1)
    record(request, "Generate -> bar at 100 %", time.monotonic() - clicked)
    shown = page.check_videos(at_least=1)
    record_clips(request, shown)
    assert len(shown) == 1
    assert page.errors() == []
    sidecar = json.loads(shown[0].file.with_suffix(".json").read_text())
    assert sidecar["request"]["orientation"] == "landscape"
    assert sidecar["prompt"] == "a hot-air balloon drifting over a patchwork of fields"
    page.screenshot("form", "%veo form")


def test_prompt_markup_shows_as_text(lab_page: LabPage):
    page = lab_page
    cells = [
        "%load_ext veo_magic",
        f"%%veo --wait\n{XSS} a fox in the snow",
        f"%%veo --wait --vary tag={XSS_VARY},plain\n{{tag}} a fox",
        "%veo form",
    ]
    page.open(page.lab.notebook("markup_check.ipynb", cells))
    page.run_all()
    page.wait_all_ran(timeout=90)
    assert page.errors() == []
    page.wait_bars_full(count=3)
    page.check_videos(at_least=3)
    form = page.page.locator(".jp-OutputArea-output").filter(has=page.page.locator("textarea"))
    form.locator("textarea").first.fill(XSS_FORM)
    form.locator("button", has_text="Show as %%veo").click()
    outputs = page.page.locator(".jp-OutputArea-output")  # not the cells' source
    for text in (XSS, XSS_VARY, XSS_FORM):
        outputs.get_by_text(text).first.wait_for(state="visible", timeout=30_000)
    assert page.call("injected") == []
    assert page.dialogs == []


def test_vary_gallery(lab_page: LabPage, request):
    page = lab_page
    cells = [
        "%load_ext veo_magic",
        'subject = "a lighthouse on a rocky cliff at dusk"',
        "%%veo --vary style=watercolor,noir,claymation --landscape --fast --wait\n"
        "{subject}, {style} style",
    ]
    page.open(page.lab.notebook("gallery_check.ipynb", cells))
    started = page.run_all()
    page.wait_all_ran(timeout=90)
    assert page.errors() == []
    page.wait_bars_full(count=3)
    record(request, "run all -> 3 bars at 100 %", time.monotonic() - started)
    shown = page.check_videos(at_least=3)
    record_clips(request, shown)
    assert len(shown) == 3
    captions = page.page.locator(".jp-OutputArea-output figcaption").all_inner_texts()
    assert captions == ["style=watercolor", "style=noir", "style=claymation"]
    page.screenshot("gallery", "--vary style")


def test_storyboard_films_play(lab_page: LabPage, request):
    """The storyboard tutorial: each film shows below its timeline, lasts as long as its shots
    stitched (less one frame a cut), and plays; so does every shot on its card."""
    page = lab_page
    page.open(page.lab.tutorial("storyboard.ipynb"))
    started = page.run_all()
    page.wait_all_ran(timeout=240)
    assert page.errors() == []
    record(request, "run all -> every cell ran", time.monotonic() - started)
    films, clips = page.lab.films(page.path), page.lab.clips(page.path)
    assert len(films) == 3, films  # the cell's, the Python one's, and its retry's
    shown = page.check_videos(at_least=len(films) + len(clips))
    record_clips(request, shown)
    assert {c.file for c in shown} == set(films) | set(clips), "every film and shot is shown"
    for film in films:
        facts = json.loads(film.with_suffix(".json").read_text())
        assert facts["cuts"] == 2 and facts["trimmed_frames"] == 2
    timelines = page.page.locator(".jp-OutputArea-output .veo-storyboard")
    assert timelines.count() == 4  # the cell, the Python call, the retry, and the resume
    assert page.dialogs == []
    page.screenshot("storyboard", "--storyboard")


def test_every_version_of_an_edited_clip_plays(lab_page: LabPage, request):
    """The editing tutorial: a clip, two edits, a branch, an extension and one more edit from
    Python; every version plays (an extension as long as its whole clip), each edit's view ends
    with its versions strip, and ``%veo versions`` shows the whole tree."""
    page = lab_page
    page.open(page.lab.tutorial("editing.ipynb"))
    started = page.run_all()
    page.wait_all_ran(timeout=240)
    assert page.errors() == []
    clips = page.lab.clips(page.path)
    assert len(clips) == 6, clips  # first, night, fog, autumn, longer, rainy
    page.wait_bars_full(count=len(clips) - 1)  # the Python edit has no view, only its text
    record(request, "run all -> every bar at 100 %", time.monotonic() - started)
    shown = page.check_videos(at_least=len(clips))
    record_clips(request, shown)
    assert {c.file for c in shown} == set(clips), "every version is shown and plays"
    outputs = page.page.locator(".jp-OutputArea-output")
    strips = outputs.locator(".veo-strip")
    assert strips.count() == 4  # each --edit / --extend cell's view: night, fog, autumn, longer
    assert strips.last.locator(".veo-version").count() == 5  # the tree when `longer` ended
    tree = outputs.locator(".veo-versions:not(.veo-strip)")
    assert tree.count() == 2  # `%veo versions longer` and `rainy.versions()`
    assert tree.first.locator(".veo-version").count() == 5
    assert tree.first.locator(".veo-compare video").count() == 2  # the newest beside its parent
    assert page.dialogs == []
    page.screenshot("edit-view", "%%veo --extend fog")


def test_the_live_versions_panel_compares_and_edits(lab_page: LabPage, request):
    """``%veo versions JOB --live``: compare any two, then an edit from the first version with
    no cell written; it renders below and joins the tree, beside its parent, and plays."""
    page = lab_page
    cells = [
        "%load_ext veo_magic",
        "%veo config protocol=interactions",
        "%%veo --seconds 3 --resolution 360p --wait --out first\na lighthouse at dusk",
        "%%veo --edit --wait --out night\nmake it night",
        "%veo versions night --live",
    ]
    page.open(page.lab.notebook("versions_live.ipynb", cells))
    page.run_all()
    page.wait_all_ran(timeout=120)
    assert page.errors() == []
    panel = page.page.locator(".jp-OutputArea-output").filter(
        has=page.page.locator(f"input[placeholder='{PROMPT_HINT}']")
    )
    assert panel.count() == 1
    assert panel.locator(".veo-version").count() == 2
    assert panel.locator(".veo-compare video").count() == 2  # night beside first
    started = time.monotonic()
    panel.locator("select").nth(2).select_option(index=0)  # From: the first version
    panel.locator(f"input[placeholder='{PROMPT_HINT}']").fill("make it snow")
    panel.get_by_role("button", name="Edit").click()
    panel.locator(".veo-version").nth(2).wait_for(timeout=60_000)  # it joined the tree
    record(request, "Edit clicked -> the new version in the tree", time.monotonic() - started)
    assert page.errors() == []
    clips = page.lab.clips(page.path)
    assert len(clips) == 3
    snow = next(clip for clip in clips if "make-it-snow" in clip.name)
    assert snow.name in panel.locator(".veo-compare").inner_html()  # beside its parent
    shown = page.check_videos(at_least=len(clips))
    assert snow in {c.file for c in shown}, "the new version plays"
    assert page.dialogs == []
    page.screenshot("versions", "%veo versions night --live")
