"""A SQLite record of every job in the output dir (stdlib sqlite3, WAL).

It is what makes a job outlive the process: ``client.resume()``, ``veo-magic jobs`` and
``%veo jobs`` read it; spend for the budget guard is summed from it. A storyboard's row lists its
shots and each one's current job, so a restarted process picks the storyboard up where it
stopped. Several processes may share one file: WAL lets readers run beside a writer, and a busy
timeout serialises the writers.
Never holds the key: rows are built from ``VideoRequest.describe()`` and job state only.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["JOURNAL_NAME", "Journal"]

JOURNAL_NAME = "veo_journal.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id          TEXT PRIMARY KEY,
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL,
    protocol    TEXT NOT NULL,
    base_url    TEXT NOT NULL,
    simulated   INTEGER NOT NULL DEFAULT 0,
    prompt      TEXT NOT NULL,
    model       TEXT,
    request     TEXT NOT NULL,           -- JSON of VideoRequest.describe()
    task_id     TEXT,
    status      TEXT NOT NULL,
    progress    REAL NOT NULL DEFAULT 0,
    error       TEXT,
    video_urls  TEXT NOT NULL DEFAULT '[]',
    files       TEXT NOT NULL DEFAULT '[]',
    cost        REAL NOT NULL DEFAULT 0,
    may_charge  INTEGER NOT NULL DEFAULT 0,  -- failed here, but the relay may still bill it
    ready_seconds REAL                       -- submit to the relay's "done", for poll pacing
);
CREATE INDEX IF NOT EXISTS jobs_task_id ON jobs(task_id);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs(created_at);
CREATE TABLE IF NOT EXISTS storyboards (
    id          TEXT PRIMARY KEY,
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL,
    continuity  TEXT NOT NULL,
    protocol    TEXT NOT NULL,
    simulated   INTEGER NOT NULL DEFAULT 0,
    shots       TEXT NOT NULL,           -- JSON: each shot's prompt, options, job id, started
    status      TEXT NOT NULL,
    film        TEXT,                    -- the stitched MP4, once made
    error       TEXT
);
"""

JOB_JSON_COLUMNS = ("request", "video_urls", "files")
JSON_COLUMNS = (*JOB_JSON_COLUMNS, "shots")
# Money is committed for a job that is waiting, running or done, and for one cancelled after the
# relay took it (it may still charge). Failed jobs are left out (relays refund failed tasks, and a
# create refused started nothing) unless the failure was ours, not the relay's: a create whose
# answer never came, a lost stream or poll, a download that failed (``may_charge``).
SPEND_SQL = """
SELECT COALESCE(SUM(cost), 0) FROM jobs
WHERE simulated = ?
  AND (status IN ('queued', 'running', 'succeeded')
       OR (status = 'cancelled' AND task_id IS NOT NULL)
       OR (status = 'failed' AND may_charge = 1))
"""
# Columns added since the first release, with their definitions: added to older files on open.
ADDED_COLUMNS = {"may_charge": "INTEGER NOT NULL DEFAULT 0", "ready_seconds": "REAL"}


class Journal:
    """The jobs table of one output dir."""

    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory) / JOURNAL_NAME
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, timeout=30, check_same_thread=False, isolation_level=None
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            # WAL + NORMAL survives a crash of the process (what resume needs); only an OS crash
            # could lose the last commits, and it keeps each write off the disk-sync path.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(SCHEMA)
            _add_missing_columns(conn)
            self._conn = conn
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def add(self, row: dict[str, Any]) -> None:
        """Insert a new job row (``id``, ``protocol``, ``base_url``, ``prompt``, ``request``, ...)."""
        self._insert("jobs", row)

    def update(self, job_id: str, **fields: Any) -> None:
        """Set some columns of one job."""
        self._set("jobs", job_id, fields)

    def _insert(self, table: str, row: dict[str, Any]) -> None:
        now = time.time()
        values = {"created_at": now, "updated_at": now, "status": "queued", **row}
        values = {k: _encode(k, v) for k, v in values.items()}
        columns = ", ".join(values)
        marks = ", ".join(f":{k}" for k in values)
        with self._write() as conn:
            conn.execute(f"INSERT OR REPLACE INTO {table} ({columns}) VALUES ({marks})", values)

    def _set(self, table: str, key: str, fields: dict[str, Any]) -> None:
        fields["updated_at"] = time.time()
        sets = ", ".join(f"{k} = :{k}" for k in fields)
        values = {k: _encode(k, v) for k, v in fields.items()}
        with self._write() as conn:
            conn.execute(f"UPDATE {table} SET {sets} WHERE id = :_id", {**values, "_id": key})

    # -- storyboards: a list of shots, each pointing at its current job ---------------------------

    def add_storyboard(self, row: dict[str, Any]) -> None:
        """Insert a storyboard (``id``, ``continuity``, ``protocol``, ``shots``, ...)."""
        self._insert("storyboards", row)

    def update_storyboard(self, board_id: str, **fields: Any) -> None:
        """Set some columns of one storyboard."""
        self._set("storyboards", board_id, fields)

    def get_storyboard(self, board_id: str) -> dict[str, Any] | None:
        """The storyboard whose id is ``board_id``, or None."""
        with self._lock:
            row = (
                self._connection()
                .execute("SELECT * FROM storyboards WHERE id = ?", (board_id,))
                .fetchone()
            )
        if row is None:
            return None
        data = dict(row)
        data["shots"] = json.loads(data["shots"])
        data["simulated"] = bool(data["simulated"])
        return data

    def get(self, key: str) -> dict[str, Any] | None:
        """The job whose local id or relay task id is ``key`` (the newest, if several)."""
        with self._lock:
            row = (
                self._connection()
                .execute(
                    "SELECT * FROM jobs WHERE id = ? OR task_id = ? ORDER BY created_at DESC LIMIT 1",
                    (key, key),
                )
                .fetchone()
            )
        return _decode(row) if row else None

    def family(self, root: str) -> list[dict[str, Any]]:
        """Every version of the clip that began as job ``root``: that row and the rows whose
        request's lineage names it as their root, oldest first."""
        with self._lock:
            rows = (
                self._connection()
                .execute(
                    "SELECT * FROM jobs WHERE id = ? OR json_extract(request, '$.lineage.root') = ? "
                    "ORDER BY created_at",
                    (root, root),
                )
                .fetchall()
            )
        return [_decode(r) for r in rows]

    def list(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest ``limit`` jobs, newest first."""
        with self._lock:
            rows = (
                self._connection()
                .execute("SELECT * FROM jobs ORDER BY created_at DESC LIMIT ?", (limit,))
                .fetchall()
            )
        return [_decode(r) for r in rows]

    def spend(self, *, simulated: bool = False) -> float:
        """Estimated USD committed so far: jobs the relay took, simulated or not."""
        with self._lock:
            (total,) = self._connection().execute(SPEND_SQL, (int(simulated),)).fetchone()
        return float(total)

    def typical_seconds(self, base_url: str, *, recent: int = 10) -> float | None:
        """Median time from submit to the relay's "done" of the recent successful jobs on
        ``base_url`` (record to the last update, for rows written before that was kept)."""
        with self._lock:
            rows = (
                self._connection()
                .execute(
                    "SELECT COALESCE(ready_seconds, updated_at - created_at) FROM jobs "
                    "WHERE base_url = ? AND status = 'succeeded' ORDER BY created_at DESC LIMIT ?",
                    (base_url, recent),
                )
                .fetchall()
            )
        durations = sorted(d for (d,) in rows if d and d > 0)
        return durations[len(durations) // 2] if durations else None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Bring a journal written by an older version up to the current schema."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
    for name, definition in ADDED_COLUMNS.items():
        if name not in have:
            try:
                conn.execute(f"ALTER TABLE jobs ADD COLUMN {name} {definition}")
            except sqlite3.OperationalError as exc:  # another process added it first
                if "duplicate column" not in str(exc):
                    raise


def _encode(column: str, value: Any) -> Any:
    if column in JSON_COLUMNS:
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bool):
        return int(value)
    return value


def _decode(row: sqlite3.Row) -> dict[str, Any]:
    data = dict(row)
    for column in JOB_JSON_COLUMNS:
        data[column] = (
            json.loads(data[column]) if data.get(column) else ([] if column != "request" else {})
        )
    data["simulated"] = bool(data["simulated"])
    data["may_charge"] = bool(data.get("may_charge"))
    return data
