"""What every figure shares: the result shape, a simulator in its own process, RSS, the CLI."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

__all__ = [
    "KEY",
    "MIB",
    "PROMPT",
    "Beside",
    "Figure",
    "Measure",
    "SimProcess",
    "bench_env",
    "figure_main",
    "machine_info",
    "median",
    "percentile",
    "rss",
    "warm_render_cache",
]

MIB = 1024 * 1024
KEY = "sk-bench"
# One prompt for every job: the simulator caches rendered clips by what they show, so after
# ``warm_render_cache`` no task waits for ffmpeg and no run grows the cache.
PROMPT = "benchmark: a lighthouse at dusk, waves below"


@dataclass
class Beside:
    """A comparison shown next to a measure: another tool, or the baseline it is measured from."""

    label: str
    value: float | str | None
    unit: str = ""
    note: str = ""


@dataclass
class Measure:
    """One figure's number, its target (``op`` ``limit``, or none) and what it is compared with."""

    key: str
    label: str
    value: float | None
    unit: str
    limit: float | None = None
    op: str = "<="  # "<=", "<" or ">="
    beside: list[Beside] = field(default_factory=list)
    note: str = ""

    @property
    def passed(self) -> bool | None:
        if self.limit is None or self.value is None or not math.isfinite(self.value):
            return None
        compare = {
            "<=": lambda a, b: a <= b,
            "<": lambda a, b: a < b,
            ">=": lambda a, b: a >= b,
        }
        return compare[self.op](self.value, self.limit)

    @property
    def target(self) -> str:
        if self.limit is None:
            return ""
        sign = {"<=": "≤", "<": "<", ">=": "≥"}[self.op]
        return f"{sign} {_fmt(self.limit)} {self.unit}".strip()

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["target"] = self.target
        data["passed"] = self.passed
        return data


@dataclass
class Figure:
    """One figure: its measures, and details (raw samples, series) kept in the JSON only."""

    name: str
    title: str
    measures: list[Measure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def add(self, *args: Any, **kwargs: Any) -> Measure:
        measure = Measure(*args, **kwargs)
        self.measures.append(measure)
        return measure

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "measures": [m.as_dict() for m in self.measures],
            "details": self.details,
        }


def _fmt(value: float) -> str:
    if value == 0 or abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def median(values: Iterable[float]) -> float | None:
    data = [v for v in values if v is not None]
    return statistics.median(data) if data else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100), nearest-rank; None for no data."""
    data = sorted(values)
    if not data:
        return None
    rank = max(1, math.ceil(q / 100 * len(data)))
    return data[rank - 1]


def rss(pid: int | None = None) -> int:
    """Resident set size in bytes, of this process or ``pid``."""
    return psutil.Process(pid).memory_info().rss


def machine_info() -> dict[str, Any]:
    """CPU model, cores, memory, Python and the versions that shape the figures."""
    from importlib.metadata import PackageNotFoundError, version

    cpu = platform.processor() or platform.machine()
    try:
        text = Path("/proc/cpuinfo").read_text()
        if match := re.search(r"^model name\s*:\s*(.+)$", text, re.M):
            cpu = match[1].strip()
    except OSError:
        pass
    versions = {}
    for name in ("veo_magic", "httpx", "ipython", "ipykernel", "ipywidgets", "openai", "uvicorn"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 1024**3, 1),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "versions": versions,
    }


def bench_env(**extra: str) -> dict[str, str]:
    """This process's environment without any VEO_* setting (or an editor's), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VEO_", "VSCODE_"))}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


class SimProcess:
    """The relay simulator in a process of its own, so it costs the measured client nothing
    (``benchmarks._simulator``: the simulator with Nagle's algorithm off).

    >>> with SimProcess(generation_seconds=30) as sim:   # doctest: +SKIP
    ...     sim.base_url, sim.requests()
    """

    def __init__(self, *, generation_seconds: float, cache_dir: Path | None = None) -> None:
        self.generation_seconds = generation_seconds
        self.cache_dir = cache_dir
        self.base_url = ""
        self._proc: subprocess.Popen[str] | None = None
        self._log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in __exit__

    def __enter__(self) -> SimProcess:
        argv = [sys.executable, "-m", "benchmarks._simulator", "--port", "0"]
        argv += ["--generation-seconds", f"{self.generation_seconds:g}"]
        if self.cache_dir is not None:
            argv += ["--cache-dir", str(self.cache_dir)]
        self._proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=bench_env(),
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        if match is None:
            self._log.seek(0)
            self.__exit__()
            raise RuntimeError(f"the simulator did not start: {line!r} {self._log.read()[-2000:]}")
        self.base_url = match[1]
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/__sim__/state", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"the simulator at {self.base_url} did not answer")

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def requests(self) -> list[dict[str, Any]]:
        import httpx

        return httpx.get(f"{self.base_url}/__sim__/requests", timeout=30).json()

    def __exit__(self, *exc: object) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        self._log.close()


def warm_render_cache(
    prompt: str,
    tmp: Path,
    protocols: Sequence[str] = ("chat", "videos", "create"),
    *,
    openai: bool = False,
) -> None:
    """Render the clip each protocol's job will ask for, once, into the shared render cache."""
    from veo_magic import Client
    from veo_magic.simulator import Simulator

    from ._simulator import nodelay

    nodelay()
    with Simulator(generation_seconds=0.05) as sim:
        for protocol in protocols:
            client = Client(
                base_url=sim.base_url + "/v1",
                api_key=KEY,
                protocol=protocol,
                output_dir=tmp / "warm",
                poll_interval=(0.05, 0.2),
            )
            client.generate(prompt)
            client.close()
        if openai:
            import warnings

            import openai as openai_sdk

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                client = openai_sdk.OpenAI(base_url=sim.base_url + "/v1", api_key=KEY)
                client.videos.create_and_poll(model="veo-3.1", prompt=prompt, poll_interval_ms=50)


def figure_main(run: Callable[[bool], Figure]) -> None:
    """The command line of one figure module: ``--quick``, ``--out FILE`` (JSON)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    figure = run(args.quick)
    data = figure.as_dict()
    data["seconds"] = round(time.perf_counter() - started, 2)
    text = json.dumps(data, indent=2, default=str)
    if args.out is not None:
        args.out.write_text(text)
    else:
        print(text)
