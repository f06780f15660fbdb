"""The state store: one SQLite database (WAL) the worker writes and the dashboard reads.

It owns the schema, the connection settings and every query. WAL lets the web processes read
while the daemon and its forked task processes write; each process opens its own connection
(a SQLite connection must not cross a fork). Writing *safely* (never failing a build) is the
recorder's job, not this module's: here errors are raised as ``sqlite3.Error``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
OPEN_STATES = ("OPEN",)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS workers (
    name TEXT PRIMARY KEY, pid INTEGER, version TEXT, started_at REAL, heartbeat_at REAL,
    hub_url TEXT, hub_ok INTEGER, hub_error TEXT, podman_ok INTEGER, podman_version TEXT,
    podman_error TEXT, maxjobs INTEGER, running INTEGER, load REAL, capacity REAL,
    free_mb INTEGER, minspace_mb INTEGER, workdir TEXT, topurl TEXT
);
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY, worker TEXT, method TEXT NOT NULL, arch TEXT, tag TEXT,
    parent INTEGER, state TEXT NOT NULL, started_at REAL NOT NULL, ended_at REAL,
    result TEXT, fault TEXT, image TEXT, image_digest TEXT, image_reason TEXT,
    buildroot_id INTEGER, work_dir TEXT
);
CREATE INDEX IF NOT EXISTS tasks_started ON tasks (started_at);
CREATE INDEX IF NOT EXISTS tasks_state ON tasks (state);
CREATE TABLE IF NOT EXISTS steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT, task_id INTEGER NOT NULL, name TEXT NOT NULL,
    argv TEXT NOT NULL, user TEXT, log_name TEXT, started_at REAL NOT NULL, ended_at REAL,
    exit_code INTEGER, error TEXT
);
CREATE INDEX IF NOT EXISTS steps_task ON steps (task_id);
CREATE TABLE IF NOT EXISTS containers (
    id TEXT PRIMARY KEY, task_id INTEGER, name TEXT, image TEXT, image_digest TEXT, role TEXT,
    created_at REAL NOT NULL, started_at REAL, removed_at REAL
);
CREATE INDEX IF NOT EXISTS containers_task ON containers (task_id);
CREATE TABLE IF NOT EXISTS logs (
    task_id INTEGER NOT NULL, name TEXT NOT NULL, path TEXT NOT NULL,
    PRIMARY KEY (task_id, name)
);
CREATE TABLE IF NOT EXISTS counters (
    metric TEXT NOT NULL, labels TEXT NOT NULL, value REAL NOT NULL,
    PRIMARY KEY (metric, labels)
);
"""


def connect(path: Path, *, timeout_s: float, readonly: bool = False) -> sqlite3.Connection:
    """A connection to the store at ``path`` in WAL mode, the schema created if missing.

    ``timeout_s`` is how long a write waits for another writer's lock before
    ``sqlite3.OperationalError`` ("database is locked").
    """
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout_s,
                               check_same_thread=False)  # fmt: skip
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=timeout_s, isolation_level=None,
                               check_same_thread=False)  # fmt: skip
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable across process crashes in WAL mode; only power loss can drop
        # the last commits, which a status history may lose.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(_SCHEMA)
        conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
    conn.row_factory = sqlite3.Row
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT: take the write lock up front, so a busy store fails fast."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# -- writes (called through the recorder) -------------------------------------------------


def upsert(conn: sqlite3.Connection, table: str, key: Mapping[str, Any],
           values: Mapping[str, Any]) -> None:  # fmt: skip
    """Insert the row of ``key`` or update ``values`` in it; column names are ours, not input."""
    columns = {**key, **values}
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    updates = ", ".join(f"{name} = excluded.{name}" for name in values) or None
    conflict = ", ".join(key)
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    conn.execute(
        f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({conflict}) {action}",
        tuple(columns.values()),
    )


def update(conn: sqlite3.Connection, table: str, key: Mapping[str, Any],
           values: Mapping[str, Any]) -> None:  # fmt: skip
    """Update ``values`` in the row of ``key`` (no row: nothing happens)."""
    sets = ", ".join(f"{name} = ?" for name in values)
    where = " AND ".join(f"{name} = ?" for name in key)
    conn.execute(f"UPDATE {table} SET {sets} WHERE {where}", (*values.values(), *key.values()))


def add_counter(conn: sqlite3.Connection, metric: str, labels: Mapping[str, str],
                amount: float) -> None:  # fmt: skip
    key = json.dumps(dict(sorted(labels.items())))
    conn.execute(
        "INSERT INTO counters VALUES (?, ?, ?) "
        "ON CONFLICT (metric, labels) DO UPDATE SET value = value + excluded.value",
        (metric, key, amount),
    )


def prune(conn: sqlite3.Connection, before: float) -> int:
    """Delete finished tasks that ended before ``before`` with their steps, containers and
    logs; returns the number of tasks deleted. Counters are never pruned (they are totals)."""
    old = "SELECT id FROM tasks WHERE ended_at IS NOT NULL AND ended_at < ?"
    for table in ("steps", "containers", "logs"):
        conn.execute(f"DELETE FROM {table} WHERE task_id IN ({old})", (before,))
    conn.execute("DELETE FROM containers WHERE removed_at IS NOT NULL AND removed_at < ?",
                 (before,))  # fmt: skip
    return conn.execute("DELETE FROM tasks WHERE id IN (" + old + ")", (before,)).rowcount


# -- reads (the dashboard) ----------------------------------------------------------------


def _row(row: sqlite3.Row | None) -> dict[str, Any] | None:
    return None if row is None else dict(row)


def workers(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute("SELECT * FROM workers ORDER BY name")]


def task(conn: sqlite3.Connection, task_id: int) -> dict[str, Any] | None:
    return _row(conn.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone())


def tasks(
    conn: sqlite3.Connection, *, states: Sequence[str] = (), methods: Sequence[str] = (),
    limit: int = 50, offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:  # fmt: skip
    """A page of tasks, newest first, and the total matching the filters."""
    where, args = [], []
    if states:
        where.append(f"state IN ({', '.join('?' for _ in states)})")
        args += list(states)
    if methods:
        where.append(f"method IN ({', '.join('?' for _ in methods)})")
        args += list(methods)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    total = conn.execute(f"SELECT COUNT(*) FROM tasks {clause}", args).fetchone()[0]
    rows = conn.execute(
        f"SELECT * FROM tasks {clause} ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?",
        [*args, limit, offset],
    )
    return [dict(r) for r in rows], int(total)


def task_counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {r[0]: r[1] for r in conn.execute("SELECT state, COUNT(*) FROM tasks GROUP BY state")}


def steps(conn: sqlite3.Connection, task_id: int) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT * FROM steps WHERE task_id = ? ORDER BY started_at, id",
                        (task_id,))  # fmt: skip
    return [dict(r) for r in rows]


def containers(conn: sqlite3.Connection, *, task_id: int | None = None,
               live_only: bool = False, limit: int = 200) -> list[dict[str, Any]]:  # fmt: skip
    where, args = [], []
    if task_id is not None:
        where.append("task_id = ?")
        args.append(task_id)
    if live_only:
        where.append("removed_at IS NULL")
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = conn.execute(
        f"SELECT * FROM containers {clause} ORDER BY created_at DESC LIMIT ?", [*args, limit]
    )
    return [dict(r) for r in rows]


def container(conn: sqlite3.Connection, container_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM containers WHERE id = ? OR id LIKE ? ORDER BY id LIMIT 2",
                       (container_id, f"{container_id}%")).fetchall()  # fmt: skip
    return dict(row[0]) if len(row) == 1 else None


def logs(conn: sqlite3.Connection, task_id: int) -> dict[str, str]:
    rows = conn.execute("SELECT name, path FROM logs WHERE task_id = ? ORDER BY name",
                        (task_id,))  # fmt: skip
    return {r["name"]: r["path"] for r in rows}


def counters(conn: sqlite3.Connection) -> list[tuple[str, dict[str, str], float]]:
    rows = conn.execute("SELECT metric, labels, value FROM counters ORDER BY metric, labels")
    return [(r["metric"], json.loads(r["labels"]), float(r["value"])) for r in rows]


def now() -> float:
    return time.time()
