"""Performance figures for veo_magic, each measured beside what people use today (issue 5).

    python -m benchmarks            # every figure, full size: prints a table, writes results.json
    python -m benchmarks --quick    # a fast smoke of every figure (CI runs this)
    python -m benchmarks --only download,scale

Each figure runs in a fresh subprocess (``python -m benchmarks.<figure>``), so imports, memory
and CPU of one figure never leak into another. The simulator runs in its own process wherever
client CPU or memory is measured, and in-process only where a figure must read a task's clock.
These are figures, not timed tests: nothing here fails because a number came out slow.
"""

from __future__ import annotations

FIGURES = ("load", "cell", "completion", "download", "scale", "notebook", "interactions")
