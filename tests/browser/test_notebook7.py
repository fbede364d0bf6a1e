"""Jupyter Notebook 7 (the ``notebook`` package) works as JupyterLab does: the quickstart runs
with its bars to 100 % and its clips playing, the form generates and cancels, and a saved
notebook reopens with every job's final state.

Notebook 7 is JupyterLab's components in another shell, so the same page helpers drive it; only
the server (``jupyter notebook``) and the page's URL (``/notebooks/…``) differ.
"""

from __future__ import annotations

import importlib.util
import time

import pytest

from tests.browser.lab import LabPage, record
from tests.browser.test_saved import assert_final, executed

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def lab_app() -> str:
    """``jupyter notebook`` (Notebook 7) in place of ``jupyter lab`` for this module's pages."""
    if importlib.util.find_spec("notebook") is None:
        pytest.skip("the notebook package (Notebook 7) is not installed: pip install -e '.[dev]'")
    return "notebook"


def test_quickstart_runs_and_plays(lab_page: LabPage, request):
    page = lab_page
    record(request, "server start -> /api/status", page.lab.startup_seconds)
    page.open(page.lab.tutorial("quickstart.ipynb"))
    started = page.run_all()
    page.wait("hasBar", what="a progress bar", timeout=60)
    page.wait_all_ran(timeout=120)
    assert page.errors() == []
    page.wait_bars_full(count=2)
    record(request, "run all -> every bar at 100 %", time.monotonic() - started)
    clips = page.lab.clips(page.path)
    assert len(clips) == 2, clips
    shown = page.check_videos(at_least=3)  # the owl twice: its view, and IPython's Video
    assert {c.file for c in shown} == set(clips)
    assert page.dialogs == []
    page.screenshot("notebook7", "a red fox running")


def test_form_generates_and_cancels(lab_page: LabPage):
    page = lab_page
    page.open(page.lab.notebook("form7.ipynb", ["%load_ext veo_magic", "%veo form"]))
    page.run_all()
    page.wait_all_ran(timeout=60)
    # a relay that goes silent at 40 %: only Cancel ends this job
    page.generate("a kite over the dunes [[sim:stream_idle]]")
    page.wait("hasBar", what="the job's bar", timeout=30)
    cancel = page.form().locator("button", has_text="Cancel")
    page.page.wait_for_function("(b) => !b.disabled", arg=cancel.element_handle())
    cancel.click()
    page.wait_job("Cancelled", timeout=30)
    page.generate("a kite over the dunes")
    page.wait_job("succeeded")
    page.wait("settled", what="the job to leave the form", timeout=30)
    (clip,) = page.lab.clips(page.path)
    (shown,) = page.check_videos(at_least=1)
    assert shown.file == clip
    texts = [job["text"] for job in page.call("jobs")]
    assert len(texts) == 2 and "Cancelled" in texts[0] and "100%" in texts[1]
    assert page.errors() == [] and page.dialogs == []


def test_a_saved_notebook_reopens_with_every_final_state(lab_page: LabPage):
    page = lab_page
    page.open(executed(page.lab, "quickstart.ipynb"))
    assert_final(page, 2)
    page.restart_kernel()
    assert_final(page, 2)
    page.screenshot("reopened-notebook7", "an owl turning")
