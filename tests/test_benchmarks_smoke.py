"""The benchmarks keep working: ``python -m benchmarks --quick`` reports a number for every figure.

Figures, not timed tests: nothing here compares a number with a target.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import FIGURES
from benchmarks._common import Measure
from benchmarks.report import fmt, table

ROOT = Path(__file__).resolve().parent.parent

EXPECTED = {
    "load": {"load_seconds", "load_rss_mib"},
    "cell": {"cell_return_ms", "form_keystroke_ms"},
    "completion": {
        "chat_lag_ms",
        "chat_link_to_get_ms",
        "videos_lag_ms",
        "videos_status_rate",
        "create_lag_ms",
        "create_status_rate",
    },
    "download": {"download_throughput_pct", "download_peak_mib"},
    "scale": {
        "scale_cpu_pct",
        "scale_msgs_per_job",
        "scale_msgs_flood",
        "scale_peak_msgs_1s",
        "kernel_cell_return_ms",
        "scale_rss_per_job_kib",
        "scale_loop_stall_ms",
        "queue_rss_growth_mib",
    },
    "notebook": {"notebook_bytes_per_clip"},
    "interactions": {
        "interactions_streamed_lag_ms",
        "interactions_polled_lag_ms",
        "interactions_polled_rate",
        "interactions_streamed_peak_x_clip",
        "interactions_polled_peak_x_clip",
    },
}


def test_every_figure_has_expected_measures():
    assert set(EXPECTED) == set(FIGURES)


def test_verdicts_and_formatting():
    assert Measure("a", "a", 0.01, "s", limit=0.15).passed is True
    assert Measure("b", "b", 120.0, "%", limit=90, op=">=").passed is True
    assert Measure("c", "c", 10.0, "KB", limit=10, op="<").passed is False
    assert Measure("d", "d", 1.0, "ms").passed is None
    assert Measure("e", "e", 1.0, "/2 s", limit=1.0).target == "≤ 1 /2 s"
    assert fmt(645.94, "ms") == "646 ms"
    assert fmt(0.0101, "s") == "0.0101 s"
    assert fmt(149.2, "%") == "149%"
    assert fmt(None, "ms") == "n/a"


@pytest.mark.slow
@pytest.mark.kernel
@pytest.mark.parametrize("name", list(FIGURES))
def test_quick_run_reports_every_figure(tmp_path, name):
    """``python -m benchmarks --quick --only NAME``, a figure a test (so the runs spread over the
    workers rather than making one long pole), each with its table."""
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", name, "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    results = json.loads(out.read_text())
    (figure,) = results["figures"]
    assert figure["name"] == name and not figure.get("error"), figure.get("error")
    measures = {m["key"]: m for m in figure["measures"]}
    keys = EXPECTED[name]
    assert keys <= set(measures), (name, keys - set(measures))
    for key in keys:
        value = measures[key]["value"]
        assert isinstance(value, int | float) and math.isfinite(value), (name, key, value)
    machine = results["machine"]
    assert machine["cpu"] and machine["cores"] and machine["python"]
    assert "| Figure | Measure |" in done.stdout
    assert done.stdout.count("\n|") >= len(keys)
    assert table(results) in done.stdout
