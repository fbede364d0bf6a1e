"""The tutorials in ``notebooks/`` run top to bottom on the simulator and keep what they show.

Each notebook is executed with nbclient in a temporary copy of ``notebooks/`` (so clips and
journals never land in the repository), with no relay configured. The executed notebook must
have no errors, and for every clip the run produced: a ``<video>`` whose ``src`` is that file, and
its job at 100 % (the view's bar in the saved widget state, or the ``Job``'s own text). A second
run through ``pytest --nbval-lax`` checks them the way CI tools usually do.

The committed notebooks themselves stay clean: no outputs, no widget state.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from tests.support import assert_clip

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NAMES = [
    "quickstart.ipynb",
    "form.ipynb",
    "prompt_iteration.ipynb",
    "relays.ipynb",
    "storyboard.ipynb",
    "editing.ipynb",
]
SIM_SECONDS = "1"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
VIDEO_SRC = re.compile(r"<video\b[^>]*?\bsrc=\"([^\"]+)\"")


def kernel_env(sim_seconds: str = SIM_SECONDS) -> dict[str, str]:
    """This process's environment without relay settings: the built-in simulator answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VEO_", "VSCODE_"))}
    env.update({"VEO_SIM_SECONDS": sim_seconds, "PYTHONUNBUFFERED": "1"})
    return env


def copy_notebooks(dest: Path, names: list[str]) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy2(NOTEBOOKS / name, dest / name)
    return dest


# -- the committed files ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_is_clean(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    assert "widgets" not in nb.metadata, "saved widget state: clear outputs before committing"
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code and nb.cells[0].cell_type == "markdown"  # a tutorial starts by saying what it is
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, cell.source


def test_relays_notebook_covers_every_protocol():
    from veo_magic.relays.protocols import PROTOCOLS

    nb = nbformat.read(NOTEBOOKS / "relays.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    # a cell per protocol: `%%veo --protocol NAME`, or `%veo config protocol=NAME` before one
    missing = [
        name
        for name in PROTOCOLS
        if not re.search(rf"--protocol {name}\b|^%veo config protocol={name}$", code, re.M)
    ]
    assert not missing, f"relays.ipynb has no section for the protocol(s): {missing}"


# -- executed --------------------------------------------------------------------------------------


def widget_state(nb: nbformat.NotebookNode) -> dict[str, dict]:
    return nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def _ref(value: str) -> str:
    return value.removeprefix("IPY_MODEL_")


def bars_by_job(state: dict[str, dict]) -> dict[str, list[dict]]:
    """Job id -> the saved state of its views' progress bars.

    A job view is a VBox of [header HTML ("… job <id>"), HBox [bar, status, Cancel], …].
    """
    found: dict[str, list[dict]] = {}
    for model in state.values():
        children = model["state"].get("children") or []
        if model["model_name"] != "VBoxModel" or len(children) < 2:
            continue
        header = state.get(_ref(children[0]), {}).get("state", {}).get("value", "")
        row = state.get(_ref(children[1]), {}).get("state", {}).get("children") or []
        match = re.search(r"job ([0-9a-f]+)</span>", str(header))
        bar = state.get(_ref(row[0]), {}) if row else {}
        if match and bar.get("model_name") == "IntProgressModel":
            found.setdefault(match.group(1), []).append(bar["state"])
    return found


def texts(nb: nbformat.NotebookNode) -> list[str]:
    """Every text and HTML output, including those held in saved Output widgets."""
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    for model in widget_state(nb).values():
        outputs += model["state"].get("outputs") or []
    found = []
    for output in outputs:
        if output.get("output_type") == "stream":
            found.append(output["text"])
        for mime in ("text/plain", "text/html"):
            value = output.get("data", {}).get(mime)
            if value:
                found.append("".join(value) if isinstance(value, list) else value)
    return found


def execute(path: Path) -> tuple[nbformat.NotebookNode, float]:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    started = time.monotonic()
    NotebookClient(
        nb,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute(env=kernel_env())  # the kernel's cwd is the notebook's folder (resources)
    seconds = time.monotonic() - started
    nbformat.write(nb, path.with_suffix(".executed.ipynb"))
    return nb, seconds


@pytest.mark.slow
@pytest.mark.kernel
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_and_shows_every_clip(name, tmp_path, record_property):
    workdir = copy_notebooks(tmp_path, [name])
    nb, seconds = execute(workdir / name)
    record_property("execution_seconds", round(seconds, 2))
    print(f"{name}: executed in {seconds:.1f} s", file=sys.stderr)

    for cell in nb.cells:
        if cell.cell_type == "code" and "raises-exception" not in cell.metadata.get("tags", []):
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert not errors, f"{cell.source!r} failed: {errors}"
    shown = texts(nb)
    html = "\n".join(shown)
    sources = {src.split("?")[0] for src in VIDEO_SRC.findall(html)}
    for src in sources:
        assert (workdir / src).is_file(), f"<video src={src!r}> names no file"
    clips = sorted((workdir / "veo_outputs").glob("*.mp4"))
    assert clips, "the notebook made no clip"
    bars = bars_by_job(widget_state(nb))
    for clip in clips:
        assert f"veo_outputs/{clip.name}" in sources, f"no <video> shows {clip.name}"
        facts = json.loads(clip.with_suffix(".json").read_text())
        job_id, asked = facts["job_id"], facts["request"]
        at_100 = any(
            b.get("value") == 100 and b.get("bar_style") == "success" for b in bars.get(job_id, [])
        )
        said = re.compile(rf"{job_id}(?: task='[^']*')? succeeded 100%")  # the Job's repr
        said_100 = any(said.search(text) for text in shown)
        assert at_100 or said_100, f"job {job_id} ({clip.name}) is nowhere shown at 100 %"
        width, height = map(int, asked["pixel_size"].split("x"))
        seconds = (asked.get("lineage") or {}).get("total_seconds") or asked["seconds"]
        assert_clip(
            clip, width, height, seconds
        )  # a real MP4, shaped as asked (an extension whole)
    assert "Traceback" not in html


@pytest.mark.slow
@pytest.mark.kernel
def test_notebooks_pass_nbval_lax(tmp_path):
    """What CI tools run: ``pytest --nbval-lax`` (every cell runs, no error where none is tagged)."""
    pytest.importorskip("nbval")
    workdir = copy_notebooks(tmp_path / "nbval", NAMES)
    (workdir / "pytest.ini").write_text("[pytest]\n")  # not this repository's configuration
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-cell-timeout=180",
            "-p", "no:cacheprovider", "-q", "-c", str(workdir / "pytest.ini"),
            "--rootdir", str(workdir), *NAMES,
        ],
        cwd=workdir, env=kernel_env("0.3"), capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    print(f"nbval-lax: {time.monotonic() - started:.1f} s", file=sys.stderr)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    cells = sum(
        c.cell_type == "code"
        for n in NAMES
        for c in nbformat.read(NOTEBOOKS / n, as_version=4).cells
    )
    assert f"{cells} passed" in result.stdout, result.stdout[-2000:]
