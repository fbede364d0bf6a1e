"""``python -m benchmarks [--quick] [--only NAMES] [--json PATH]``: run the figures, print the table.

Each figure runs in its own process, one after another (they measure CPU and memory, so they do
not share the machine). The JSON holds every measure, its target and verdict, the raw samples,
and the machine; the table is Markdown, ready for the README.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import FIGURES
from ._common import bench_env, machine_info
from .report import table

ROOT = Path(__file__).resolve().parent.parent


def run_figure(name: str, *, quick: bool, timeout: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="veo-bench-") as tmp:
        out = Path(tmp) / f"{name}.json"
        argv = [sys.executable, "-m", f"benchmarks.{name}", "--out", str(out)]
        if quick:
            argv.append("--quick")
        started = time.perf_counter()
        try:
            done = subprocess.run(
                argv,
                cwd=ROOT,
                env=bench_env(),
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return _failed(name, f"timed out after {timeout:g} s", started)
        if done.returncode != 0 or not out.exists():
            return _failed(name, done.stderr.strip()[-4000:] or f"exit {done.returncode}", started)
        return json.loads(out.read_text())


def _failed(name: str, error: str, started: float) -> dict[str, Any]:
    return {
        "name": name,
        "title": name,
        "measures": [],
        "details": {},
        "error": error,
        "seconds": round(time.perf_counter() - started, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="A fast smoke of every figure.")
    parser.add_argument(
        "--only", default=",".join(FIGURES), help=f"Comma-separated figures ({', '.join(FIGURES)})."
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help="Where to write the results (default benchmarks/results.json, "
        "or benchmarks/results-quick.json with --quick).",
    )
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = sorted(set(names) - set(FIGURES))
    if unknown:
        parser.error(f"unknown figure(s): {', '.join(unknown)}")
    path = args.json or ROOT / "benchmarks" / (
        "results-quick.json" if args.quick else "results.json"
    )
    timeout = 180.0 if args.quick else 1200.0
    started = time.perf_counter()
    figures = []
    for index, name in enumerate(names, 1):
        print(f"[{index}/{len(names)}] {name} …", file=sys.stderr, flush=True)
        figure = run_figure(name, quick=args.quick, timeout=timeout)
        print(
            f"      {figure.get('seconds', 0):.1f} s"
            + (f"  FAILED: {figure['error'][-300:]}" if figure.get("error") else ""),
            file=sys.stderr,
            flush=True,
        )
        figures.append(figure)
    results = {
        "quick": args.quick,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
        "machine": machine_info(),
        "figures": figures,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(table(results))
    print(f"\n{results['seconds']:.0f} s; results in {path}", file=sys.stderr)
    return 1 if any(f.get("error") for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
