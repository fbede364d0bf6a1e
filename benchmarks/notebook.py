"""Figure 6, notebook weight: bytes a saved notebook gains per clip, default versus ``--embed``.

Notebooks of ``%load_ext veo_magic`` and 0, 1 and N+1 ``%%veo --wait`` cells are executed with
nbclient (widget state stored, as nbclient does by default) against a simulator in its own
process, and saved with nbformat. The bytes per clip are the N+1-clip file's size minus the
1-clip file's, divided by N: what each further clip costs (its output, and the closed widget
models its view leaves in the saved state), the one-off bytes (shared layouts and styles, the
notebook shell) left out; those are the 1-clip file minus the 0-clip one.

Since issue 10 each job's final output carries its clip's thumbnail inline (as the poster and
the fallback picture, so GitHub and nbviewer show the clip's look): the budget is 32 KB a clip,
and the thumbnail's share is shown beside, with the figure before it (7.09 KB, no thumbnail).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

from ._common import KEY, PROMPT, Beside, Figure, SimProcess, figure_main, warm_render_cache

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
THUMBNAIL = re.compile(r"data:image/jpeg;base64,[A-Za-z0-9+/=]+")
BEFORE_THUMBNAILS_KB = 7.09  # the README's figure of 2026-11-21, before issue 10


def widget_state(nb: Any) -> dict[str, Any]:
    return nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


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
                    cell = f"%%veo --wait{flag}\n{PROMPT}"
                    sizes, books = {}, {}
                    for count in (0, 1, clips + 1):
                        path = folder / f"{mode}-{count}.ipynb"
                        books[count] = execute(path, ["%load_ext veo_magic"] + [cell] * count)
                        sizes[count] = path.stat().st_size
                    many, one = books[clips + 1], books[1]
                    clip_bytes = max(
                        p.stat().st_size for p in (folder / "veo_outputs").glob("*.mp4")
                    )
                    later = "".join(nbformat.writes(c) for c in many.cells[2:])
                    thumbnails = sum(len(m.encode()) for m in THUMBNAIL.findall(later))
                    models = len(widget_state(many)) - len(widget_state(one))
                    results[mode] = {
                        "file_bytes": sizes,
                        "per_clip_bytes": (sizes[clips + 1] - sizes[1]) / clips,
                        "first_clip_bytes": sizes[1] - sizes[0],
                        "thumbnail_bytes_per_clip": thumbnails / clips,
                        "widget_models_per_clip": models / clips,
                        "output_bytes_last_clip": len(nbformat.writes(many.cells[-1]).encode()),
                        "mp4_bytes": clip_bytes,
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
        limit=32,
        op="<=",
        beside=[
            Beside(
                "of which the inline thumbnail", default["thumbnail_bytes_per_clip"] / 1000, "KB"
            ),
            Beside("before inline thumbnails (issue 10)", BEFORE_THUMBNAILS_KB, "KB"),
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
