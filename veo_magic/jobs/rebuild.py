"""A Job rebuilt from its journal row: the one way a job of an earlier process comes back.

``rebuilt`` gives the job as recorded, not started (``client.resume`` then follows its task);
``ended`` gives one that ended in an earlier process, its clips and posters on disk, nothing sent;
``finished`` is ``ended`` for a row that succeeded with every clip still on disk, else None.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._events import Completed, Downloaded
from .job import Job

__all__ = ["ended", "finished", "rebuilt"]


def rebuilt(row: Mapping[str, Any]) -> Job:
    """The job of ``row`` as recorded (queued, nothing sent)."""
    job = Job(
        protocol=row["protocol"],
        record=row["request"],
        job_id=row["id"],
        task_id=row.get("task_id"),
        simulated=bool(row["simulated"]),
    )
    job.created_at = row["created_at"]
    return job


def ended(row: Mapping[str, Any], status: str, error: str | None, files: list[Path]) -> Job:
    """A job that ended in an earlier process, with ``files`` as its clips (nothing is sent)."""
    from ..media import existing_poster

    job = rebuilt(row)
    urls = list(row.get("video_urls") or [])
    for index, path in enumerate(files):
        url = urls[index] if index < len(urls) else ""
        job._apply(Downloaded(index, path, url, path.stat().st_size, existing_poster(path)))
    job._apply(Completed(status, error=error))  # type: ignore[arg-type]
    job.started_at, job.finished_at = row["created_at"], row["updated_at"]
    return job


def finished(row: Mapping[str, Any]) -> Job | None:
    """The succeeded job of ``row`` with its clips, if every clip is still on disk."""
    files = [Path(f) for f in row.get("files") or ()]
    if row.get("status") != "succeeded" or not files or not all(f.is_file() for f in files):
        return None
    return ended(row, "succeeded", None, files)
