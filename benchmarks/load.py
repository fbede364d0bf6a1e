"""Figure 1, load: ``%load_ext veo_magic`` in a fresh IPython shell, versus the bare shell.

Each sample is a fresh process: it builds ``InteractiveShell.instance()`` (the bare shell, timed
from interpreter start), reads its RSS, runs ``%load_ext NAME`` and reads the time and RSS again.
Extensions alternate between processes so drift hits each alike; the median is reported.
``jupyter_ai_magics`` is measured the same way when it is installed (it is not a dependency: it
pulls langchain and langchain-community).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

from ._common import MIB, Beside, Figure, bench_env, figure_main, median

PROBE = r"""
import os, sys, time
started = time.perf_counter()

def rss():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import psutil
        return psutil.Process().memory_info().rss

from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell_s = time.perf_counter() - started
before = rss()
t = time.perf_counter()
if sys.argv[1]:
    shell.run_line_magic("load_ext", sys.argv[1])
load_s = time.perf_counter() - t
after = rss()
import json
print(json.dumps({"shell_s": shell_s, "shell_rss": before, "load_s": load_s, "delta": after - before}))
"""


def probe(extension: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, extension],
        capture_output=True,
        text=True,
        env=bench_env(),
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick: bool) -> Figure:
    figure = Figure("load", "1. Load: %load_ext in a fresh IPython shell")
    samples = 3 if quick else 9
    extensions = {"": "bare shell", "veo_magic": "veo_magic"}
    if importlib.util.find_spec("jupyter_ai_magics") is not None:
        extensions["jupyter_ai_magics"] = "jupyter_ai_magics"
    for extension in extensions:  # warm the bytecode caches; not counted
        probe(extension)
    results: dict[str, list[dict[str, float]]] = {e: [] for e in extensions}
    for _ in range(samples):
        for extension in extensions:
            results[extension].append(probe(extension))

    def med(extension: str, key: str) -> float | None:
        return median(r[key] for r in results[extension])

    bare_s, bare_rss = med("", "shell_s"), med("", "shell_rss")
    ai_time: Beside
    ai_mem: Beside
    if "jupyter_ai_magics" in results:
        ai_time = Beside("jupyter_ai_magics", (med("jupyter_ai_magics", "load_s") or 0), "s")
        ai_mem = Beside("jupyter_ai_magics", (med("jupyter_ai_magics", "delta") or 0) / MIB, "MiB")
    else:
        why = "not installed (pulls langchain + langchain-community; issue quotes ~1.2 s, 64 MiB)"
        ai_time = Beside("jupyter_ai_magics", None, note=why)
        ai_mem = Beside("jupyter_ai_magics", None, note=why)
    figure.add(
        "load_seconds",
        "%load_ext veo_magic: time",
        med("veo_magic", "load_s"),
        "s",
        limit=0.15,
        beside=[Beside("bare shell start", bare_s, "s"), ai_time],
    )
    figure.add(
        "load_rss_mib",
        "%load_ext veo_magic: RSS added",
        (med("veo_magic", "delta") or 0) / MIB,
        "MiB",
        limit=20,
        beside=[Beside("bare shell RSS", (bare_rss or 0) / MIB, "MiB"), ai_mem],
    )
    figure.details = {"samples": samples, "raw": results}
    return figure


if __name__ == "__main__":
    figure_main(run)
