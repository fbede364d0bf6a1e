"""Figure 2, cell return: how long a fire-and-forget ``%%veo`` cell holds the shell.

An ``InteractiveShell`` with the extension loaded, pointed at a simulator in its own process
(``VEO_BASE_URL`` / ``VEO_API_KEY``), runs ``%%veo`` cells whose generation outlasts the
measurement, so what is timed is only what the cell does before it returns: parse, validate,
journal, submit, show the view. The first cell (which imports httpx and ipywidgets and makes the
client) is reported apart; an empty cell is the floor beside it.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

from ._common import Beside, Figure, SimProcess, figure_main, median, percentile


def _form_keystrokes(count: int) -> list[float]:
    """Seconds the form takes to validate and price one change of its prompt."""
    from veo_magic.notebook.form_view import Form

    form = Form()
    times = []
    for i in range(count):
        started = time.perf_counter()
        form.prompt.value = f"a lighthouse at dusk, take {i}"
        times.append(time.perf_counter() - started)
    form.close()
    return times


def run(quick: bool) -> Figure:
    figure = Figure("cell", "2. Cell return: fire-and-forget %%veo")
    cells = 15 if quick else 60
    home = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp, SimProcess(generation_seconds=600) as sim:
        os.environ.update(
            VEO_BASE_URL=sim.base_url + "/v1",
            VEO_API_KEY="sk-bench",
            VEO_OUTPUT_DIR=str(Path(tmp) / "out"),
        )
        os.chdir(tmp)
        from IPython.core.interactiveshell import InteractiveShell

        shell = InteractiveShell.instance()
        sink = io.StringIO()  # the views' text reprs; a terminal would print them

        def timed(code: str) -> float:
            started = time.perf_counter()
            with redirect_stdout(sink):
                result = shell.run_cell(code, store_history=True)
            elapsed = time.perf_counter() - started
            result.raise_error()
            return elapsed

        timed("%load_ext veo_magic")
        first = timed("%%veo\na lighthouse at dusk, cell 0")
        empty = [timed("pass") for _ in range(cells)]
        times = [timed(f"%%veo\na lighthouse at dusk, cell {i}") for i in range(1, cells + 1)]
        from veo_magic.jobs.runner import started_jobs

        jobs = started_jobs()
        running = sum(not job.done() for job in jobs)
        failed = [job.error for job in jobs if job.status == "failed"]
        for job in jobs:
            job.cancel()
        keystrokes = _form_keystrokes(30 if quick else 200)
        os.chdir(home)
    figure.add(
        "cell_return_ms",
        "%%veo cell returns (median)",
        (median(times) or 0) * 1000,
        "ms",
        limit=20,
        beside=[
            Beside("empty cell", (median(empty) or 0) * 1000, "ms"),
            Beside("first %%veo cell (imports)", first * 1000, "ms"),
        ],
        note=f"{cells} cells; p90 {(percentile(times, 90) or 0) * 1000:.1f} ms",
    )
    figure.add(
        "form_keystroke_ms",
        "form: a keystroke in the prompt, validated and priced (median)",
        (median(keystrokes) or 0) * 1000,
        "ms",
        limit=50,
        note=f"{len(keystrokes)} keystrokes; p90 {(percentile(keystrokes, 90) or 0) * 1000:.1f} ms",
    )
    figure.details = {
        "form_keystroke_ms": [t * 1000 for t in keystrokes],
        "cells": cells,
        "first_ms": first * 1000,
        "cell_ms": [t * 1000 for t in times],
        "empty_ms": [t * 1000 for t in empty],
        "jobs_running_at_end": running,
        "jobs_failed": failed,
    }
    return figure


if __name__ == "__main__":
    figure_main(run)
