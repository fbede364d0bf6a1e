"""One download in a fresh process, so its peak memory is exact: ``ru_maxrss`` after, minus RSS before.

    python -m benchmarks._download_worker {veo_magic|httpx|openai} BASE_URL DEST

Prints JSON: ``seconds``, ``bytes``, ``peak_growth`` (bytes). Everything is imported and every
client is built before the baseline is read, so only the transfer itself is measured.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
import warnings
from pathlib import Path

import httpx


def current_rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


async def bare_httpx(url: str, dest: Path) -> None:
    """What a careful user writes with httpx: stream the body to a file."""
    async with httpx.AsyncClient(timeout=60) as client, client.stream("GET", url) as response:
        response.raise_for_status()
        with dest.open("wb") as f:
            async for chunk in response.aiter_bytes():
                f.write(chunk)


def main() -> None:
    variant, base, dest = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    url = f"{base}/v1/videos/video_bench/content"
    if variant == "veo_magic":
        from veo_magic.relays.download import download
        from veo_magic.relays.http import Relay

        async def fetch() -> None:
            timeout = httpx.Timeout(60.0, connect=15.0)
            relay = Relay(
                httpx.AsyncClient(base_url=base, timeout=timeout),
                httpx.AsyncClient(timeout=timeout),
            )
            await asyncio.sleep(0)
            baseline["rss"] = current_rss()
            started = time.perf_counter()
            await download(relay, url, dest, authenticated=False, find_url=lambda _body: None)
            baseline["seconds"] = time.perf_counter() - started

        baseline: dict[str, float] = {}
        asyncio.run(fetch())
        seconds, before = baseline["seconds"], baseline["rss"]
    elif variant == "httpx":
        baseline = {}

        async def fetch_bare() -> None:
            baseline["rss"] = current_rss()
            started = time.perf_counter()
            await bare_httpx(url, dest)
            baseline["seconds"] = time.perf_counter() - started

        asyncio.run(fetch_bare())
        seconds, before = baseline["seconds"], baseline["rss"]
    elif variant == "openai":
        import openai

        warnings.simplefilter("ignore", DeprecationWarning)
        client = openai.OpenAI(base_url=f"{base}/v1", api_key="sk-bench", max_retries=0)
        before = current_rss()
        started = time.perf_counter()
        content = client.videos.download_content("video_bench")
        content.write_to_file(dest)
        seconds = time.perf_counter() - started
    else:
        raise SystemExit(f"unknown variant {variant!r}")
    size = dest.stat().st_size
    print(
        json.dumps({"seconds": seconds, "bytes": size, "peak_growth": max(0, peak_rss() - before)})
    )


if __name__ == "__main__":
    main()
