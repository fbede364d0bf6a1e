"""%veo jobs: the journal as an escaped table with commands to copy."""

from pathlib import Path

from veo_magic.notebook.history import JobTable

EVIL = "<img src=x onerror=alert(1)>"


def row(**fields):
    base = {
        "id": "job1",
        "created_at": 1_700_000_000.0,
        "prompt": "a fox",
        "model": "veo-3.1",
        "status": "succeeded",
        "cost": 0.25,
        "files": [],
        "error": None,
        "task_id": "t1",
        "simulated": False,
        "progress": 100.0,
    }
    return {**base, **fields}


def table(rows, running=frozenset()):
    return JobTable(
        rows, spend=1.5, simulated=False, output_dir=Path("veo_outputs"), running=running
    )


def test_everything_is_escaped():
    page = table(
        [row(prompt=EVIL, model=EVIL, error=EVIL, status="failed", task_id=EVIL)]
    )._repr_html_()
    assert "<img" not in page and "&lt;img" in page


def test_commands():
    t = table(
        [
            row(id="a", status="running", task_id="ta"),
            row(id="b", status="failed", task_id="tb"),
            row(id="c"),
            row(id="d", status="failed", task_id=None),
        ],
        running=frozenset({"a"}),
    )
    assert [t.command(r) for r in t.rows] == ["%veo cancel a", "%veo resume tb", "", ""]


def test_file_links_are_relative(tmp_path):
    clip = tmp_path / "veo_outputs" / "x.mp4"
    page = table([row(files=["veo_outputs/x.mp4"]), row(files=[str(clip)])])._repr_html_()
    assert 'href="veo_outputs/x.mp4"' in page


def test_spend_and_text_form():
    t = table([row(prompt="p" * 200)])
    assert "$1.50" in t._repr_html_() and "$1.50" in str(t)
    assert len(str(t).splitlines()[0]) < 200
    assert "No jobs" in table([])._repr_html_()
