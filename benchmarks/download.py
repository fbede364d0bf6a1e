"""Figure 4, download: a 200 MB clip over loopback, veo_magic beside a bare httpx stream.

A file with a valid ``ftyp`` box is served by ``benchmarks._fileserver`` (its own process,
``sendfile``). Each download runs in a fresh process (``benchmarks._download_worker``), so its
peak memory growth is exact; veo_magic and bare httpx alternate, and the medians are compared.
Beside them, the ``openai`` package's ``videos.download_content``, which reads the whole body
into memory before ``write_to_file``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from ._common import MIB, Beside, Figure, bench_env, figure_main, median

FTYP = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"


def make_clip(path: Path, size: int) -> None:
    block = bytes(MIB)
    with path.open("wb") as f:
        f.write(FTYP)
        left = size - len(FTYP)
        while left > 0:
            f.write(block[: min(left, len(block))])
            left -= len(block)


def worker(variant: str, base: str, dest: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks._download_worker", variant, base, str(dest)],
        capture_output=True,
        text=True,
        env=bench_env(),
        timeout=300,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{variant} download failed: {out.stderr[-2000:]}")
    dest.unlink(missing_ok=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick: bool) -> Figure:
    figure = Figure("download", "4. Download: a 200 MB clip over loopback")
    size = 64 * 10**6 if quick else 200 * 10**6
    rounds = 1 if quick else 5
    with tempfile.TemporaryDirectory(prefix="veo-bench-") as tmp:
        clip = Path(tmp) / "clip.mp4"
        make_clip(clip, size)
        server = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._fileserver", str(clip)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        try:
            assert server.stdout is not None
            match = re.match(r"http://127\.0\.0\.1:\d+", server.stdout.readline())
            if match is None:
                raise RuntimeError("the file server did not start")
            base = match[0]
            results: dict[str, list[dict[str, float]]] = {
                "veo_magic": [],
                "httpx": [],
                "openai": [],
            }
            dest = Path(tmp) / "out.mp4"
            worker("httpx", base, dest)  # warm: page cache, bytecode
            for _ in range(rounds):
                for variant in ("httpx", "veo_magic"):
                    results[variant].append(worker(variant, base, dest))
            for _ in range(max(1, rounds // 2)):
                results["openai"].append(worker("openai", base, dest))
        finally:
            server.terminate()
            server.wait(10)

    def mbps(variant: str) -> float | None:
        return median(r["bytes"] / r["seconds"] / 1e6 for r in results[variant])

    def growth(variant: str) -> float:
        return max(r["peak_growth"] for r in results[variant]) / MIB

    veo, bare, oa = mbps("veo_magic"), mbps("httpx"), mbps("openai")
    figure.add(
        "download_throughput_pct",
        "throughput vs bare httpx stream",
        (veo or 0) / (bare or 1) * 100,
        "%",
        limit=90,
        op=">=",
        beside=[
            Beside("veo_magic", veo, "MB/s"),
            Beside("bare httpx", bare, "MB/s"),
            Beside("openai download_content", oa, "MB/s"),
        ],
        note=f"{size / 1e6:.0f} MB, median of {rounds}",
    )
    figure.add(
        "download_peak_mib",
        "peak memory growth during the download",
        growth("veo_magic"),
        "MiB",
        limit=32,
        beside=[
            Beside("bare httpx", growth("httpx"), "MiB"),
            Beside("openai download_content", growth("openai"), "MiB"),
        ],
        note="worst of the runs; ru_maxrss in a fresh process",
    )
    figure.details = {"bytes": size, "rounds": rounds, "runs": results}
    return figure


if __name__ == "__main__":
    figure_main(run)
