"""Guarantee 3: restart-proof.

A process running a job is SIGKILLed once the relay's task id is in the journal; a new process
(``veo-magic resume ID``, or ``Client().resume()``) ends with the clip on disk and the journal row
``succeeded``, without a second create. Processes sharing one output dir keep the journal whole.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.support import (
    child_env,
    kill_half_way,
    resume_command,
    resume_in_cli,
    resuming_client,
)
from tests.support import assert_saved_clip
from veo_magic.jobs.journal import JOURNAL_NAME, Journal
from veo_magic.simulator import Simulator

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

# A child that submits one job and waits for it; the test kills it half way.
RUN_ONE = """
import sys, veo_magic as veo
base_url, protocol, out, prompt = sys.argv[1:5]
client = veo.Client(base_url=base_url, protocol=protocol, output_dir=out, poll_interval=(0.05, 0.3))
job = client.submit(prompt)
print(job.id, flush=True)
job.wait()
"""
# A child that runs several jobs at once into a shared output dir.
RUN_MANY = """
import sys, veo_magic as veo
base_url, protocol, out, count = sys.argv[1:5]
client = veo.Client(base_url=base_url, protocol=protocol, output_dir=out, poll_interval=(0.05, 0.3))
jobs = [client.submit(f"crowd {protocol} {i}") for i in range(int(count))]
for job in jobs:
    job.wait(timeout=60)
print(" ".join(job.id for job in jobs), flush=True)
"""


def run_and_kill(sim: Simulator, protocol: str, out: Path, prompt: str) -> str:
    """Start a job in a child process, SIGKILL it once the task id is journalled; the job id."""
    args = [sim.base_url + "/v1", protocol, str(out), prompt]
    job_id, row = kill_half_way(RUN_ONE, args, out, Journal.get)
    task = sim.tasks[row["task_id"]]
    assert task.phase() in ("queued", "running"), "the kill must land half way through"
    assert row["status"] in ("queued", "running") and row["files"] == []
    return job_id


@pytest.mark.slow
@pytest.mark.parametrize(
    ("protocol", "dialect", "resumer"),
    [
        ("videos", None, "cli"),
        ("videos", None, "client"),
        ("create", None, "cli"),
        ("create", None, "client"),
        ("chat", "asyncdata", "cli"),  # the chat dialect that names its task
    ],
)
def test_a_killed_job_is_finished_by_a_new_process(slow_sim, tmp_path, protocol, dialect, resumer):
    slow_sim.set_dialect(dialect)
    try:
        before = slow_sim.accepted_creates
        out = tmp_path / "out"
        job_id = run_and_kill(slow_sim, protocol, out, f"survive a kill on {protocol}")
        posts = len([r for r in slow_sim.requests if r.method == "POST"])
        if resumer == "cli":
            printed = Path(resume_in_cli(slow_sim, job_id, out, timeout=60)[0])
        else:
            with resuming_client(slow_sim, out) as client:
                job = client.resume(job_id).wait(timeout=60)
            assert job.id == job_id and job.protocol == protocol
            printed = job.videos[0]
        row = Journal(out).get(job_id)
        assert row["status"] == "succeeded" and row["files"] == [str(printed)]
        assert_saved_clip(Path(row["files"][0]), out)
        assert slow_sim.accepted_creates == before + 1  # resuming never creates again
        assert len([r for r in slow_sim.requests if r.method == "POST"]) == posts
        assert not list(out.glob("*.part"))
    finally:
        slow_sim.set_dialect(None)


def test_two_processes_share_one_output_dir(sim, tmp_path):
    out = tmp_path / "shared"
    before = sim.accepted_creates
    children = [
        subprocess.Popen(
            [sys.executable, "-c", RUN_MANY, sim.base_url + "/v1", protocol, str(out), "4"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        for protocol in ("videos", "create")
    ]
    ids: list[str] = []
    for child in children:
        stdout, stderr = child.communicate(timeout=90)
        assert child.returncode == 0, stderr
        ids += stdout.split()
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = db.execute("SELECT id, status, files FROM jobs").fetchall()
    assert sorted(r[0] for r in rows) == sorted(ids) and len(ids) == 8
    assert {r[1] for r in rows} == {"succeeded"}
    files = [Path(f) for r in rows for f in json.loads(r[2])]
    assert len(set(files)) == 8
    for path in files:
        assert_saved_clip(path, out)
    assert sim.accepted_creates == before + 8


def test_two_processes_resuming_one_job_leave_one_whole_clip(slow_sim, tmp_path):
    out = tmp_path / "out"
    job_id = run_and_kill(slow_sim, "videos", out, "resumed twice at once")
    resumers = [
        subprocess.Popen(
            resume_command(slow_sim, job_id, out),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        for _ in range(2)
    ]
    for child in resumers:
        _, stderr = child.communicate(timeout=60)
        assert child.returncode == 0, stderr
    row = Journal(out).get(job_id)
    assert row["status"] == "succeeded"
    sidecar = assert_saved_clip(Path(row["files"][0]), out)
    task = slow_sim.tasks[row["task_id"]]
    assert Path(row["files"][0]).read_bytes() == task.clips[0].path.read_bytes()
    assert sidecar["job_id"] == job_id
    assert len(list(out.glob("*.mp4"))) == 1 and not list(out.glob("*.part"))
