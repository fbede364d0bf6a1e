"""Figure 6, notebook weight: bytes a saved notebook gains per clip, default versus ``--embed``.

A notebook of ``%load_ext veo_magic`` and N ``%%veo --wait`` cells is executed with nbclient
(widget state stored, as nbclient does by default) against a simulator in its own process, and
saved with nbformat. The bytes per clip are the saved size minus the size of the same notebook
with only its first clip cell (and without the widget models only the others used), divided by
the others' number: what each further clip costs, the one-off bytes (shared layouts and styles,
the notebook shell) left out.
"""

from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path
from typing import Any

from ._common import KEY, PROMPT, Beside, Figure, SimProcess, figure_main, warm_render_cache

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _models_in(value: Any) -> set[str]:
    """Model ids referenced anywhere in ``value`` (``IPY_MODEL_<id>`` strings, view outputs)."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "model_id" in item and isinstance(item["model_id"], str):
                found.add(item["model_id"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and item.startswith("IPY_MODEL_"):
            found.add(item.removeprefix("IPY_MODEL_"))
    return found


def _closure(roots: set[str], state: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        model = stack.pop()
        if model in seen or model not in state:
            continue
        seen.add(model)
        stack.extend(_models_in(state[model]) - seen)
    return seen


def without_cells(nb: Any, drop: list[int]) -> Any:
    """``nb`` without the cells at ``drop`` and without the widget models only they reach."""
    slim = copy.deepcopy(nb)
    state = slim.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    kept = [c for i, c in enumerate(slim.cells) if i not in drop]
    dropped = [c for i, c in enumerate(slim.cells) if i in drop]
    keep = _closure(set().union(*(_models_in(c.get("outputs", [])) for c in kept)), state)
    gone = _closure(set().union(*(_models_in(c.get("outputs", [])) for c in dropped)), state)
    for model in gone - keep:
        state.pop(model, None)
    slim.cells = kept
    return slim


def breakdown(nb: Any, index: int) -> dict[str, Any]:
    """Where cell ``index``'s bytes go: its outputs, and each widget model only it reaches."""
    import nbformat

    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    others = [c for i, c in enumerate(nb.cells) if i != index]
    shared = _closure(set().union(*(_models_in(c.get("outputs", [])) for c in others)), state)
    cell = nb.cells[index]
    own = _closure(_models_in(cell.get("outputs", [])), state) - shared
    models: dict[str, int] = {}
    for model in own:
        name = state[model].get("model_name", "?")
        size = len(nbformat.writes(nbformat.from_dict({"x": state[model]})).encode())
        models[name] = models.get(name, 0) + size
    return {
        "cell_bytes": len(nbformat.writes(nbformat.from_dict({"x": dict(cell)})).encode()),
        "widget_model_bytes": models,
    }


def execute(path: Path, cells: list[str]) -> Any:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    nbformat.write(nb, path)
    return nb


def run(quick: bool) -> Figure:
    import nbformat

    figure = Figure("notebook", "6. Notebook weight: bytes saved per clip")
    clips = 1 if quick else 5
    results: dict[str, dict[str, Any]] = {}
    home = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="veo-bench-") as tmp_name:
        tmp = Path(tmp_name)
        warm_render_cache(PROMPT, tmp, ("chat",))
        with SimProcess(generation_seconds=0.5) as sim:
            saved = {
                k: os.environ.get(k) for k in ("VEO_BASE_URL", "VEO_API_KEY", "VEO_OUTPUT_DIR")
            }
            os.environ.update(VEO_BASE_URL=sim.base_url + "/v1", VEO_API_KEY=KEY)
            os.environ["VEO_OUTPUT_DIR"] = "veo_outputs"  # relative: beside the notebook
            try:
                os.chdir(tmp)
                for mode, flag in (("default", ""), ("embed", " --embed")):
                    folder = tmp / mode
                    folder.mkdir()
                    cells = ["%load_ext veo_magic"]
                    cells += [f"%%veo --wait{flag}\n{PROMPT}"] * (clips + 1)
                    path = folder / f"{mode}.ipynb"
                    nb = execute(path, cells)
                    # Keep the first clip cell: the shared models it brings are one-off bytes.
                    slim = without_cells(nb, list(range(2, clips + 2)))
                    size = path.stat().st_size
                    base = len(nbformat.writes(slim).encode()) + 1  # nbformat.write adds "\n"
                    bare = without_cells(nb, list(range(1, clips + 2)))
                    bare_size = len(nbformat.writes(bare).encode()) + 1
                    clip_bytes = max(
                        p.stat().st_size for p in (folder / "veo_outputs").glob("*.mp4")
                    )
                    results[mode] = {
                        "file_bytes": size,
                        "without_clip_cells_bytes": base,
                        "per_clip_bytes": (size - base) / clips,
                        "first_clip_bytes": base - bare_size,
                        "mp4_bytes": clip_bytes,
                        "last_clip": breakdown(nb, len(nb.cells) - 1),
                    }
            finally:
                os.chdir(home)
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value
    default, embed = results["default"], results["embed"]
    figure.add(
        "notebook_bytes_per_clip",
        "saved notebook growth per clip (default)",
        default["per_clip_bytes"] / 1000,
        "KB",
        limit=10,
        op="<",
        beside=[
            Beside("--embed", embed["per_clip_bytes"] / 1000, "KB"),
            Beside("first clip, shared models included", default["first_clip_bytes"] / 1000, "KB"),
            Beside("the MP4 itself", default["mp4_bytes"] / 1000, "KB"),
        ],
        note=f"{clips + 1} clips, the first one's shared bytes left out; nbclient keeps widget state",
    )
    figure.details = {"clips": clips, "results": results}
    return figure


if __name__ == "__main__":
    figure_main(run)
