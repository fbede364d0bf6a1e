"""Saved notebooks tell the final truth wherever they are opened: in a fresh JupyterLab without
running a cell, after a kernel restart, and as an exported HTML file opened from disk.

The tutorials are executed headless with nbclient (as CI and ``make demo`` do), in a folder of
the server's root, then opened in chromium. A reader must see each job's final status at 100 %
with a clip that plays (or at least its poster), and nowhere "queued", a stand-in for a job that
had not ended, or a widget error. ``VEO_SCREENSHOTS=1`` writes ``docs/screenshots/``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.browser.lab import SCREENSHOTS, Lab, LabPage, record, screenshots_wanted
from tests.test_notebooks import execute

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WRONG = ("queued", "not yet ended", "Error displaying widget", "model not found", "Loading widget")
JOBS = {"quickstart.ipynb": 2, "prompt_iteration.ipynb": 10, "editing.ipynb": 5}  # job views


def executed(lab: Lab, name: str, *, trusted: bool = False) -> str:
    """``notebooks/<name>`` executed with nbclient in a folder of the server's root (once per
    module); returns the saved notebook's path for ``LabPage.open``. ``trusted`` signs a copy
    with the server's key, as if its reader had run it there."""
    folder = f"saved-{Path(name).stem}"  # its clips apart from a live run's
    path = lab.root / folder / name
    done = path.with_suffix(".executed.ipynb")
    if not done.exists():
        lab.tutorial(name, folder)
        execute(path)
    if not trusted:
        return str(done.relative_to(lab.root))
    import nbformat
    from nbformat.sign import NotebookNotary

    nb = nbformat.read(done, as_version=4)
    signed = done.with_name(f"{path.stem}.trusted.ipynb")
    NotebookNotary(data_dir=lab.env()["JUPYTER_DATA_DIR"]).sign(nb)
    nbformat.write(nb, signed)
    return str(signed.relative_to(lab.root))


def assert_final(page: LabPage, jobs: int) -> None:
    """Every job's output is its final state, succeeded at 100 %, and its clip plays."""
    text = page.call("outputText")
    for wrong in WRONG:
        assert wrong not in text, f"{page.path}: a reader sees {wrong!r}"
    shown = page.call("jobs")
    assert len(shown) == jobs, shown
    for job in shown:
        assert "succeeded" in job["text"] and "100%" in job["text"], job["text"]
        assert job["video"] and job["inlinePoster"], job
    clips = page.lab.clips(page.path)
    played = page.check_videos(at_least=len(clips))
    assert {c.file for c in played} == set(clips), "every clip is shown and plays"
    posters = [p for p in page.call("posters") if p is not None]
    assert len(posters) >= jobs and all(posters), "every job's poster is a picture"


# Each tutorial as a student's copy opens it (untrusted: HTML sanitized); the first two also as
# one's own (trusted: widgets rendered), which the editing tutorial's static outputs need not.
REOPENED = [(name, False) for name in JOBS] + [(name, True) for name in list(JOBS)[:2]]


@pytest.mark.parametrize(
    ("name", "trusted"),
    REOPENED,
    ids=[f"{name}-{'trusted' if trusted else 'untrusted'}" for name, trusted in REOPENED],
)
def test_a_saved_notebook_reopens_with_every_final_state(lab_page: LabPage, request, name, trusted):
    """Opened without running a cell (a student's copy is untrusted; one's own is trusted),
    then again after a kernel restart."""
    page = lab_page
    path = executed(page.lab, name, trusted=trusted)
    opened = time.monotonic()
    page.open(path)
    record(request, "open -> kernel idle", time.monotonic() - opened)
    assert_final(page, JOBS[name])
    page.restart_kernel()
    assert_final(page, JOBS[name])
    assert page.dialogs == []
    if name == "quickstart.ipynb" and not trusted:
        page.screenshot("reopened-lab", "an owl turning")
    if name == "editing.ipynb" and not trusted:
        page.screenshot("versions-reopened", "%%veo --extend fog")


def test_run_restart_save_and_reopen(lab_page: LabPage, browser):
    """Run live in JupyterLab, restart the kernel, save (JupyterLab keeps no widget state), then
    open the saved file in a fresh page."""
    page = lab_page
    page.open(page.lab.tutorial("quickstart.ipynb"))
    page.run_all()
    page.wait_all_ran(timeout=120)
    assert page.errors() == []
    page.wait_bars_full(count=2)
    page.restart_kernel()
    assert_final(page, 2)
    assert page.page.evaluate("(path) => window.__veo.save(path)", page.path)
    context = browser.new_context(viewport=page.page.viewport_size)
    try:
        again = LabPage(page.lab, context.new_page())
        again.open(page.path)
        assert_final(again, 2)
    finally:
        context.close()


def test_the_exported_page_plays_every_clip_offline(lab: Lab, browser, request, tmp_path):
    """``veo-magic export`` of an executed notebook, opened from disk: every clip plays, every
    poster shows, and the page asks the network for nothing."""
    notebook = lab.root / executed(lab, "quickstart.ipynb")
    out = tmp_path / "shared" / "quickstart.html"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "veo_magic.cli", "export", str(notebook), "-o", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    record(request, "veo-magic export", time.monotonic() - started)
    assert done.returncode == 0, done.stderr
    assert "2 clip(s) embedded" in done.stdout
    context = browser.new_context(viewport={"width": 1100, "height": 1400})
    asked: list[str] = []

    def offline(route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            asked.append(url)
            route.abort()

    context.route("**/*", offline)
    try:
        page = context.new_page()
        page.goto(out.as_uri(), wait_until="load")
        facts = page.evaluate(
            """async () => {
              const videos = [...document.querySelectorAll('video')];
              const out = [];
              for (const v of videos) {
                v.muted = true;
                await v.play();
                await new Promise((done) => {
                  const check = () => (v.currentTime > 0.3 ? done() : setTimeout(check, 50));
                  check();
                });
                const img = new Image();
                img.src = v.getAttribute('poster') || '';
                let poster = false;
                try { await img.decode(); poster = img.naturalWidth > 0; } catch (e) {}
                out.push({ready: v.readyState, time: v.currentTime, error: v.error && v.error.code,
                          inline: v.currentSrc.startsWith('data:video/mp4;base64,'), poster,
                          duration: v.duration});
                v.pause();
              }
              const jobs = [...document.querySelectorAll('.veo-job')].map((j) => j.innerText);
              return {videos: out, jobs};
            }"""
        )
        assert len(facts["videos"]) == 3  # the fox, the owl, and the owl in IPython's Video
        for video in facts["videos"]:
            assert video["inline"] and video["error"] is None, video
            assert video["ready"] >= 2 and video["time"] > 0.3 and video["poster"], video
            assert abs(video["duration"] - 8) <= 0.5, video
        assert len(facts["jobs"]) == 2
        assert all("succeeded" in job and "100%" in job for job in facts["jobs"])
        assert asked == [], f"the page fetched from the network: {asked}"
        if screenshots_wanted():
            page.evaluate(
                "() => document.querySelectorAll('video').forEach((v) => { v.currentTime = 1; })"
            )
            page.mouse.move(0, 0)
            cell = page.locator(".jp-Cell", has_text="a red fox running through").first
            cell.scroll_into_view_if_needed()
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            cell.screenshot(path=str(SCREENSHOTS / "export-html.png"))
    finally:
        context.close()
    print(json.dumps({"export_bytes": out.stat().st_size}), file=sys.stderr)
