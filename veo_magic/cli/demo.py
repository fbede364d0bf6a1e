"""``make demo``: one clip from the built-in simulator (no key), then the quickstart notebook.

Relay settings in the environment are ignored here on purpose: the demo never spends money.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PROMPT = "a red fox running through fresh snow, golden hour"
# In a checkout (where `make demo` runs): <repo>/notebooks, beside the veo_magic package.
NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "quickstart.ipynb"


def main() -> int:
    """Generate one landscape clip offline and say where it is; then run the quickstart."""
    for name in ("VEO_BASE_URL", "VEO_API_KEY", "VEO_PROTOCOL", "VEO_MODEL"):
        os.environ.pop(name, None)
    from ..client import Client
    from ..media import probe
    from .terminal import TerminalBar

    client = Client()
    print(
        f"veo_magic demo: no key configured, so the built-in relay simulator answers.\n"
        f"prompt: {PROMPT!r} (landscape, {client.protocol} protocol)"
    )
    job = client.submit(PROMPT, orientation="landscape")
    job.add_listener(TerminalBar(job))
    job.wait()
    clip = job.videos[0]
    print(
        f"\nplayable MP4: {clip.resolve()}\n  {probe(clip)}; details in {clip.with_suffix('.json').name}"
    )
    if NOTEBOOK.exists():
        _run_quickstart()
    return 0


def _run_quickstart() -> None:
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError:  # an install from a wheel: the notebook is the checkout's, and so is this
        print(f"\nto run {NOTEBOOK.name} too: pip install nbclient nbformat ipykernel")
        return

    executed = NOTEBOOK.with_name("quickstart.executed.ipynb")
    print(f"\nrunning {NOTEBOOK.name} top to bottom (simulated)...")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
        # ipykernel 7 warns on every local start that its TCP transport is unencrypted: noise here
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    ).execute()
    nbformat.write(nb, executed)
    print(
        f"executed notebook: {executed}\nopen it with `make lab` (JupyterLab on notebooks/), "
        f"or open {NOTEBOOK.name} and run it yourself."
    )


if __name__ == "__main__":
    sys.exit(main())
