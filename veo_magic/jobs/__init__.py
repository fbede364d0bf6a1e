"""Jobs: the ``Job`` a user holds, the budget it is counted in, the runner that drives it through a protocol adapter, the
journal that records it before anything is sent, and the listeners that hear of each change."""

from __future__ import annotations

from .budget import Budget
from .job import TERMINAL, Job, Maker, Status, new_job_id
from .journal import JOURNAL_NAME, Journal
from .listeners import Listeners
from .rebuild import ended, finished, rebuilt
from .runner import Lane, Runner, RunnerSetup, find_job, output_name, running_jobs, started_jobs
from .versions import Version, Versions

__all__ = [
    "JOURNAL_NAME",
    "TERMINAL",
    "Budget",
    "Job",
    "Journal",
    "Lane",
    "Listeners",
    "Maker",
    "Runner",
    "RunnerSetup",
    "Status",
    "Version",
    "Versions",
    "ended",
    "find_job",
    "finished",
    "new_job_id",
    "output_name",
    "rebuilt",
    "running_jobs",
    "started_jobs",
]
