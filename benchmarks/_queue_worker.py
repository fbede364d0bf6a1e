"""Many jobs through one concurrency limit, in a fresh process: RSS as they finish.

    python -m benchmarks._queue_worker BASE_URL JOBS CONCURRENCY OUTPUT_DIR

Every job is submitted at once (all queued behind ``Client(max_concurrency=...)``) and kept, as a
user's list would keep them. Prints JSON: RSS before submitting and at every quarter done, the
wall and CPU seconds, and any failures.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import psutil

from veo_magic import Client, Completed

from ._common import KEY, PROMPT


def main() -> None:
    base, total, concurrency, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    process = psutil.Process()
    client = Client(
        base_url=base + "/v1",
        api_key=KEY,
        protocol="chat",
        output_dir=out,
        max_concurrency=concurrency,
    )
    done = 0
    changed = threading.Condition()

    def count(event: object) -> None:
        nonlocal done
        if isinstance(event, Completed):
            with changed:
                done += 1
                changed.notify_all()

    marks = [total * k // 4 for k in range(1, 5)]
    series: list[dict[str, float]] = [{"done": -1, "rss": process.memory_info().rss}]
    started = time.perf_counter()
    cpu_started = process.cpu_times()
    jobs = []
    for _ in range(total):
        job = client.submit(PROMPT)
        job.add_listener(count)
        jobs.append(job)
    series.append({"done": 0, "rss": process.memory_info().rss, "seconds": 0.0})
    submitted = time.perf_counter() - started
    deadline = time.monotonic() + 1800
    for mark in marks:
        with changed:
            while done < mark and time.monotonic() < deadline:
                changed.wait(1.0)
        series.append(
            {
                "done": mark,
                "rss": process.memory_info().rss,
                "seconds": time.perf_counter() - started,
            }
        )
    cpu = process.cpu_times()
    seconds = time.perf_counter() - started
    failed = [job.error for job in jobs if job.status != "succeeded"]
    print(
        json.dumps(
            {
                "jobs": total,
                "concurrency": concurrency,
                "series": series,
                "seconds": seconds,
                "submit_seconds": submitted,
                "cpu_seconds": (cpu.user - cpu_started.user) + (cpu.system - cpu_started.system),
                "failed": len(failed),
                "first_error": failed[0] if failed else None,
            }
        )
    )


if __name__ == "__main__":
    main()
