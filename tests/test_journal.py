import multiprocessing
import sqlite3

from veo_magic.jobs.journal import Journal


def row(job_id, **extra):
    base = {
        "id": job_id,
        "protocol": "chat",
        "base_url": "simulator",
        "simulated": True,
        "prompt": "a fox",
        "model": "veo-3.1",
        "request": {"prompt": "a fox", "n": 1},
        "cost": 0.25,
    }
    return {**base, **extra}


def test_add_update_get_list(tmp_path):
    journal = Journal(tmp_path)
    journal.add(row("a1"))
    journal.update("a1", status="running", task_id="video_123", progress=40.0)
    journal.update("a1", status="succeeded", files=["veo_outputs/x.mp4"], video_urls=["http://x"])
    got = journal.get("video_123")
    assert got is not None and got["id"] == "a1"
    assert got["status"] == "succeeded" and got["files"] == ["veo_outputs/x.mp4"]
    assert got["request"] == {"prompt": "a fox", "n": 1}
    assert journal.get("a1")["task_id"] == "video_123"
    assert journal.get("nope") is None
    assert [r["id"] for r in Journal(tmp_path).list()] == ["a1"]


def test_spend_counts_committed_jobs_only(tmp_path):
    journal = Journal(tmp_path)
    journal.add(row("ok", status="succeeded", task_id="t1"))
    journal.add(row("run", status="running", task_id="t2"))
    journal.add(row("bad", status="failed", task_id="t3"))
    journal.add(row("gone", status="cancelled", task_id=None))
    journal.add(row("real", status="succeeded", simulated=False, cost=1.0))
    assert journal.spend(simulated=True) == 0.5
    assert journal.spend(simulated=False) == 1.0


def test_wal_mode(tmp_path):
    Journal(tmp_path).add(row("a"))
    conn = sqlite3.connect(tmp_path / "veo_journal.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _writer(directory, prefix, count):
    journal = Journal(directory)
    for i in range(count):
        journal.add(row(f"{prefix}{i}"))
        journal.update(f"{prefix}{i}", status="succeeded", progress=100.0)


def test_two_processes_share_one_journal(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(tmp_path, p, 60)) for p in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    rows = Journal(tmp_path).list(limit=500)
    assert len(rows) == 120
    assert all(r["status"] == "succeeded" for r in rows)
    conn = sqlite3.connect(tmp_path / "veo_journal.sqlite3")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
