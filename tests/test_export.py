"""Sharing a notebook: ``veo-magic export`` as one self-contained HTML page, or a zip.

The notebook here is built the way a run leaves it: each job's static final output (made by the
view's own ``final_bundle`` from real clips and thumbnails), a widget output with its stand-in
and saved widget state, an IPython ``Video``, and a journal beside it that must never travel.
Playing the page in a browser, offline, is the browser tests' part.
"""

from __future__ import annotations

import base64
import json
import re
import zipfile
from pathlib import Path

import nbformat
import pytest

from tests.support import code_notebook, make_mp4
from veo_magic import VeoInputError
from veo_magic._events import Completed, Downloaded, Submitted
from veo_magic.cli import main
from veo_magic.export.exporter import clips_shown, export_html, export_zip
from veo_magic.jobs.job import Job
from veo_magic.media.stills import poster_for
from veo_magic.notebook.job_view import final_bundle

KEY = "sk-export-secret-0123456789"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def make_clip(path: Path, seconds: float = 1.0) -> Path:
    """A clip with its poster, thumbnail and sidecar, as the runner leaves it."""
    make_mp4(path, seconds, size="320x180")
    poster_for(path)
    path.with_suffix(".json").write_text(json.dumps({"file": path.name}))
    return path


def finished_job(clip: Path) -> Job:
    job = Job(protocol="videos", record={"prompt": f"clip {clip.stem}", "model": "veo-3.1"})
    job._apply(Submitted("video_1"))
    job._apply(Downloaded(0, clip, "http://relay/v.mp4", clip.stat().st_size, None))
    job._apply(Completed("succeeded"))
    return job


def output(bundle: dict) -> dict:
    return nbformat.v4.new_output("display_data", data=bundle)


@pytest.fixture
def notebook(tmp_path, monkeypatch) -> Path:
    """``work/run.ipynb``: two jobs' final outputs, a widget with its stand-in, a ``Video``."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)  # as the kernel's cwd: clips are shown relative to it
    first = make_clip(folder / "veo_outputs" / "first clip.mp4")
    second = make_clip(folder / "veo_outputs" / "second.mp4", seconds=0.5)
    (folder / "veo_outputs" / "veo_journal.sqlite3").write_bytes(b"SQLite format 3\x00 jobs")
    nb = code_notebook(["%%veo\nclip one", "%%veo\nclip two", "%veo form", "Video(...)"])
    nb.cells[0].outputs = [output(final_bundle(finished_job(first)))]
    nb.cells[1].outputs = [output(final_bundle(finished_job(second)))]
    widget = {"version_major": 2, "version_minor": 0, "model_id": "m1"}
    nb.cells[2].outputs = [
        output({WIDGET_VIEW: widget, "text/html": "<div>the form</div>", "text/plain": "Form()"})
    ]
    nb.cells[3].outputs = [
        output({"text/html": '<video src="veo_outputs/second.mp4" controls width="320"></video>'})
    ]
    nb.metadata["widgets"] = {
        WIDGET_STATE: {"state": {"m1": {"model_name": "VBoxModel", "state": {}}}}
    }
    path = folder / "run.ipynb"
    nbformat.write(nb, path)
    return path


def embedded_videos(page: str) -> list[bytes]:
    return [
        base64.b64decode(data) for data in re.findall(r'src="data:video/mp4;base64,([^"]+)"', page)
    ]


def test_clips_shown_in_order_once(notebook):
    nb = nbformat.read(notebook, as_version=4)
    assert [str(p) for p in clips_shown(nb)] == [
        "veo_outputs/first clip.mp4",
        "veo_outputs/second.mp4",
    ]


def test_the_page_holds_every_clip_and_fetches_nothing(notebook):
    result = export_html(notebook)
    assert result.path == notebook.with_suffix(".html")
    page = result.path.read_text()
    clips = sorted(notebook.parent.glob("veo_outputs/*.mp4"))
    videos = embedded_videos(page)
    assert len(videos) == 3  # both jobs' clips, and the Video output of the second
    assert {bytes(v) for v in videos} == {c.read_bytes() for c in clips}
    assert sorted(result.embedded) == clips and result.linked == []
    # every <video> has its thumbnail as a poster, and the fallback <img> is inline too
    assert page.count("<video") == 3 and page.count('poster="data:image/jpeg;base64,') == 3
    assert 'src="veo_outputs/' not in page and 'href="veo_outputs/' not in page
    assert ">download</a>" not in page  # no dead link: the video's own menu saves it
    # nothing from the network: no script with a URL, no widget manager
    assert not re.findall(r"<script[^>]+src=", page)
    assert WIDGET_VIEW not in page and "the form" in page  # the widget's stand-in instead
    assert "succeeded" in page and "clip first clip" in page
    assert "2 clip(s) embedded" in result.summary()


def test_over_the_cap_the_clips_are_linked_beside_the_page(notebook, tmp_path):
    out = tmp_path / "shared" / "page.html"
    size = (notebook.parent / "veo_outputs" / "first clip.mp4").stat().st_size
    result = export_html(notebook, out, max_mb=(size + 1) / 1e6)  # room for the first only
    page = out.read_text()
    assert len(embedded_videos(page)) == 1
    (linked,) = result.linked
    assert linked == tmp_path / "shared" / "page_files" / "second.mp4" and linked.is_file()
    assert page.count('src="page_files/second.mp4"') == 2  # relative to the page: it plays
    assert 'href="page_files/second.mp4"' in page
    summary = result.summary()
    assert "did not fit in --max-mb" in summary and "keep page_files/ beside page.html" in summary


def test_the_zip_opens_in_jupyter_with_every_link_intact(notebook, tmp_path):
    result = export_zip(notebook)
    assert result.path == notebook.with_suffix(".zip")
    with zipfile.ZipFile(result.path) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "unpacked")
    assert names[0] == "run.ipynb"
    for stem in ("first clip", "second"):
        for suffix in (".mp4", ".json", ".jpg", ".thumb.jpg"):
            assert f"veo_outputs/{stem}{suffix}" in names
    assert not [n for n in names if "journal" in n]  # never the journal
    unpacked = nbformat.read(tmp_path / "unpacked" / "run.ipynb", as_version=4)
    for clip in clips_shown(unpacked):
        assert (tmp_path / "unpacked" / clip).read_bytes() == (notebook.parent / clip).read_bytes()


@pytest.mark.parametrize("as_zip", [False, True])
def test_an_export_never_holds_the_key(notebook, monkeypatch, as_zip):
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[0].outputs.append(nbformat.v4.new_output("stream", text=f"key={KEY}\n"))
    nbformat.write(nb, notebook)
    monkeypatch.setenv("VEO_API_KEY", KEY)
    with pytest.raises(VeoInputError, match="contains the API key") as caught:
        (export_zip if as_zip else export_html)(notebook)
    assert KEY not in str(caught.value)
    assert not notebook.with_suffix(".zip").exists() and not notebook.with_suffix(".html").exists()


def test_a_key_entered_with_login_is_refused_too(notebook):
    from veo_magic._secret import Secret

    nb = nbformat.read(notebook, as_version=4)
    nb.cells[0].source = f"api_key = {KEY!r}"
    nbformat.write(nb, notebook)
    with pytest.raises(VeoInputError, match="contains the API key"):
        export_html(notebook, keys=[Secret(KEY)])


def test_the_command(notebook, capsys, tmp_path):
    assert main(["export", str(notebook)]) == 0
    assert notebook.with_suffix(".html").is_file()
    assert "2 clip(s) embedded" in capsys.readouterr().out
    assert main(["export", str(notebook), "--zip", "-o", str(tmp_path / "x.zip")]) == 0
    assert zipfile.is_zipfile(tmp_path / "x.zip")
    assert main(["export", str(tmp_path / "missing.ipynb")]) == 2
    assert "is not a file" in capsys.readouterr().err
    (tmp_path / "bad.ipynb").write_text("not json")
    assert main(["export", str(tmp_path / "bad.ipynb")]) == 2
    assert main(["export", str(notebook), "--max-mb", "-1"]) == 2
