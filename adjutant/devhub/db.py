"""SQLite store of the development hub: schema, connection and transactions.

Owns the one database connection and the lock that serialises every request, so each hub
call runs as one transaction like on the real hub. It does not know any hub semantics.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Row = dict[str, Any]

# Column names follow koji's schema where a hub call returns the column directly.
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE NOT NULL,
    usertype INTEGER NOT NULL DEFAULT 0, status INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS user_krb_principals (
    user_id INTEGER NOT NULL, principal TEXT UNIQUE NOT NULL, PRIMARY KEY (user_id, principal));
CREATE TABLE IF NOT EXISTS user_perms (
    user_id INTEGER NOT NULL, perm TEXT NOT NULL, PRIMARY KEY (user_id, perm));
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL, key TEXT NOT NULL,
    authtype INTEGER NOT NULL, master INTEGER, exclusive INTEGER, expired INTEGER DEFAULT 0,
    closed INTEGER DEFAULT 0, callnum INTEGER, start_time REAL NOT NULL, update_time REAL);
CREATE TABLE IF NOT EXISTS channels (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1, description TEXT, comment TEXT);
CREATE TABLE IF NOT EXISTS hosts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER UNIQUE NOT NULL,
    name TEXT UNIQUE NOT NULL, arches TEXT NOT NULL, capacity REAL NOT NULL DEFAULT 2.0,
    enabled INTEGER NOT NULL DEFAULT 1, ready INTEGER NOT NULL DEFAULT 0,
    task_load REAL NOT NULL DEFAULT 0, update_time REAL, description TEXT, comment TEXT,
    data TEXT);
CREATE TABLE IF NOT EXISTS host_channels (
    host_id INTEGER NOT NULL, channel_id INTEGER NOT NULL, PRIMARY KEY (host_id, channel_id));
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, method TEXT NOT NULL, state INTEGER NOT NULL,
    owner INTEGER NOT NULL, host_id INTEGER, parent INTEGER, label TEXT, arch TEXT NOT NULL,
    channel_id INTEGER NOT NULL, priority INTEGER NOT NULL, weight REAL NOT NULL DEFAULT 1.0,
    waiting INTEGER, awaited INTEGER, request TEXT NOT NULL, result TEXT,
    create_time REAL NOT NULL, start_time REAL, completion_time REAL,
    assign_time REAL);
CREATE TABLE IF NOT EXISTS task_refusals (
    task_id INTEGER NOT NULL, host_id INTEGER NOT NULL, soft INTEGER NOT NULL, msg TEXT,
    time REAL NOT NULL, PRIMARY KEY (task_id, host_id));
CREATE TABLE IF NOT EXISTS scheduler_state (key TEXT PRIMARY KEY, value REAL);
CREATE TABLE IF NOT EXISTS tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE NOT NULL, arches TEXT,
    locked INTEGER NOT NULL DEFAULT 0, perm_id INTEGER, maven_support INTEGER DEFAULT 0,
    maven_include_all INTEGER DEFAULT 0, extra TEXT NOT NULL DEFAULT '{}',
    create_event INTEGER, change_event INTEGER);
CREATE TABLE IF NOT EXISTS tag_inheritance (
    tag_id INTEGER NOT NULL, parent_id INTEGER NOT NULL, priority INTEGER NOT NULL,
    maxdepth INTEGER, intransitive INTEGER DEFAULT 0, noconfig INTEGER DEFAULT 0,
    pkg_filter TEXT DEFAULT '', PRIMARY KEY (tag_id, parent_id));
CREATE TABLE IF NOT EXISTS packages (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE);
CREATE TABLE IF NOT EXISTS tag_packages (
    tag_id INTEGER NOT NULL, package_id INTEGER NOT NULL, owner INTEGER NOT NULL,
    blocked INTEGER DEFAULT 0, extra_arches TEXT, PRIMARY KEY (tag_id, package_id));
CREATE TABLE IF NOT EXISTS tag_groups (
    tag_id INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY (tag_id, name));
CREATE TABLE IF NOT EXISTS group_packages (
    tag_id INTEGER NOT NULL, group_name TEXT NOT NULL, package TEXT NOT NULL,
    type TEXT NOT NULL DEFAULT 'mandatory', PRIMARY KEY (tag_id, group_name, package));
CREATE TABLE IF NOT EXISTS targets (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE NOT NULL,
    build_tag INTEGER NOT NULL, dest_tag INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS builds (
    id INTEGER PRIMARY KEY AUTOINCREMENT, pkg_id INTEGER NOT NULL, version TEXT NOT NULL,
    release TEXT NOT NULL, epoch INTEGER, state INTEGER NOT NULL, task_id INTEGER,
    owner INTEGER NOT NULL, create_event INTEGER NOT NULL, start_time REAL,
    completion_time REAL, source TEXT, extra TEXT, UNIQUE (pkg_id, version, release));
CREATE TABLE IF NOT EXISTS rpms (
    id INTEGER PRIMARY KEY AUTOINCREMENT, build_id INTEGER, name TEXT NOT NULL,
    version TEXT NOT NULL, release TEXT NOT NULL, epoch INTEGER, arch TEXT NOT NULL,
    payloadhash TEXT NOT NULL, size INTEGER NOT NULL, buildtime INTEGER NOT NULL,
    buildroot_id INTEGER, external_repo_id INTEGER NOT NULL DEFAULT 0,
    UNIQUE (name, version, release, arch, external_repo_id));
CREATE TABLE IF NOT EXISTS tag_listing (
    tag_id INTEGER NOT NULL, build_id INTEGER NOT NULL, create_event INTEGER NOT NULL,
    revoke_event INTEGER);
CREATE TABLE IF NOT EXISTS buildroots (
    id INTEGER PRIMARY KEY AUTOINCREMENT, host_id INTEGER NOT NULL, repo_id INTEGER NOT NULL,
    task_id INTEGER NOT NULL, arch TEXT NOT NULL, state INTEGER NOT NULL,
    create_event INTEGER NOT NULL, retire_event INTEGER);
CREATE TABLE IF NOT EXISTS buildroot_listing (
    buildroot_id INTEGER NOT NULL, rpm_id INTEGER NOT NULL, is_update INTEGER NOT NULL,
    PRIMARY KEY (buildroot_id, rpm_id));
CREATE TABLE IF NOT EXISTS repos (
    id INTEGER PRIMARY KEY AUTOINCREMENT, tag_id INTEGER NOT NULL, state INTEGER NOT NULL,
    create_event INTEGER NOT NULL, create_time REAL NOT NULL, task_id INTEGER,
    opts TEXT NOT NULL DEFAULT '{}', custom_opts TEXT NOT NULL DEFAULT '{}',
    dist INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS build_notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL, package_id INTEGER,
    tag_id INTEGER, success_only INTEGER NOT NULL DEFAULT 0, email TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS repo_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT, tag_id INTEGER NOT NULL, min_event INTEGER,
    at_event INTEGER, opts TEXT NOT NULL DEFAULT '{}', owner INTEGER NOT NULL,
    priority INTEGER NOT NULL, active INTEGER NOT NULL DEFAULT 1, task_id INTEGER,
    repo_id INTEGER, tries INTEGER NOT NULL DEFAULT 0, create_time REAL NOT NULL,
    update_time REAL);
CREATE TABLE IF NOT EXISTS external_repos (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE NOT NULL, url TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tag_external_repos (
    tag_id INTEGER NOT NULL, external_repo_id INTEGER NOT NULL, priority INTEGER NOT NULL,
    merge_mode TEXT NOT NULL, arches TEXT, PRIMARY KEY (tag_id, external_repo_id),
    UNIQUE (tag_id, priority));
CREATE TABLE IF NOT EXISTS rpm_sigs (
    rpm_id INTEGER NOT NULL, sigkey TEXT NOT NULL, sighash TEXT NOT NULL,
    PRIMARY KEY (rpm_id, sigkey));
"""

# Columns added after a table first shipped: (table, column, declaration). A devhub home made
# by an older adjutant gets them on open, so its hub keeps working.
_ADDED_COLUMNS = (("repos", "dist", "INTEGER NOT NULL DEFAULT 0"),)


class Database:
    """One SQLite connection shared by the server threads, guarded by one lock.

    Calls are short and the hub never blocks inside a call, so serialising requests is
    simpler than connection pooling and gives every call a consistent view.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=30
        )
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.executescript(SCHEMA)
            self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        for table, column, declaration in _ADDED_COLUMNS:
            present = {row["name"] for row in self._conn.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """Run the block as one transaction: commit on success, roll back on any exception."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Cursor(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        """Close the connection; the database file stays."""
        with self._lock:
            self._conn.close()


class Cursor:
    """Query helpers over the connection inside one transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._savepoints = 0

    def rows(self, sql: str, params: Any = ()) -> list[Row]:
        """Return all rows of a query as dicts."""
        return [dict(r) for r in self._conn.execute(sql, params).fetchall()]

    def one(self, sql: str, params: Any = ()) -> Row | None:
        """Return the first row of a query, or None."""
        row = self._conn.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    def value(self, sql: str, params: Any = ()) -> Any:
        """Return the first column of the first row, or None."""
        row = self._conn.execute(sql, params).fetchone()
        return row[0] if row is not None else None

    def run(self, sql: str, params: Any = ()) -> int:
        """Execute a statement; returns the last inserted row id."""
        cur = self._conn.execute(sql, params)
        return int(cur.lastrowid or 0)

    def changes(self) -> int:
        """Total rows changed on this connection so far (to tell a write from a read)."""
        return self._conn.total_changes

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Undo the block's writes if it raises, keeping the outer transaction (multicall)."""
        self._savepoints += 1
        name = f"sp{self._savepoints}"
        self._conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self._conn.execute(f"ROLLBACK TO {name}")
            self._conn.execute(f"RELEASE {name}")
            raise
        self._conn.execute(f"RELEASE {name}")

    def new_event(self) -> int:
        """Record a new event (koji's unit of history) and return its id."""
        return self.run("INSERT INTO events (time) VALUES (?)", (time.time(),))

    def last_event(self) -> Row:
        """Return the newest event as koji's getLastEvent does, creating the first one."""
        row = self.one("SELECT id, time AS ts FROM events ORDER BY id DESC LIMIT 1")
        if row is None:
            event_id = self.new_event()
            row = self.one("SELECT id, time AS ts FROM events WHERE id = ?", (event_id,))
            assert row is not None
        return row
