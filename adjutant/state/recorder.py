"""The recorder: how the worker and its task processes write to the state store.

A build must never fail or wait because of the dashboard. Every write waits at most
``lock_wait_s`` for the store's lock; any ``sqlite3.Error`` (locked, full disk, corrupt file,
unwritable directory) is logged once as a WARNING and writes are skipped for ``pause_s``,
then tried again. The worker makes one ``Recorder`` and hands it down explicitly: to the task
handler, which binds it to its task (``for_task``) and gives that to the buildroot and its
steps. No module keeps a recorder. Connections are per process (the daemon forks tasks).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from adjutant.state import store
from adjutant.task_logs import redact_line

log = logging.getLogger(__name__)

LOCK_WAIT_S = 0.25
PAUSE_S = 10.0
PRUNE_EVERY_S = 600.0

# Histogram buckets (seconds); the collector reads the cumulative rows these produce.
TASK_BUCKETS = (10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0)
STEP_BUCKETS = (0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
CONTAINER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

# Metric names of the counters and histograms kept in the store (see adjutant.web.metrics).
TASKS_TOTAL = "adjutant_tasks_total"
TASK_DURATION = "adjutant_task_duration_seconds"
STEP_DURATION = "adjutant_step_duration_seconds"
CONTAINER_OP = "adjutant_container_operation_seconds"
IMAGE_PROVISIONS = "adjutant_image_provisions_total"
POLICY_LOOKUPS = "adjutant_image_policy_lookups_total"
HUB_CALL_ERRORS = "adjutant_hub_call_errors_total"
STORE_WRITES_SKIPPED = "adjutant_state_writes_skipped_total"


class Recorder:
    """Writes what the worker does to the state store, never raising into its caller."""

    def __init__(
        self, path: Path | None, *, worker: str = "", retention_s: float = 7 * 86400.0,
        lock_wait_s: float = LOCK_WAIT_S, pause_s: float = PAUSE_S,
    ) -> None:  # fmt: skip
        self.path = path
        self.worker = worker
        self.retention_s = retention_s
        self.lock_wait_s = lock_wait_s
        self.pause_s = pause_s
        self.skipped = 0  # writes dropped while paused (this process)
        self._paused_until = 0.0
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        # Connections inherited across a fork are never used or closed in the child.
        self._inherited: list[sqlite3.Connection] = []
        self._last_prune = 0.0

    @classmethod
    def disabled(cls) -> Recorder:
        """A recorder that records nothing (local rebuilds, unit tests that do not look)."""
        return cls(None)

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def for_task(self, task_id: int) -> TaskRecorder:
        return TaskRecorder(self, task_id)

    # -- the one guarded write path --------------------------------------------------------

    def write(self, what: str, work: Callable[[sqlite3.Connection], object]) -> bool:
        """Run ``work`` in one write transaction; False when skipped or failed (logged)."""
        if self.path is None:
            return False
        if time.monotonic() < self._paused_until:
            self.skipped += 1
            return False
        try:
            with store.transaction(self._connection()) as conn:
                work(conn)
        except (sqlite3.Error, OSError) as exc:
            self._paused_until = time.monotonic() + self.pause_s
            self.skipped += 1
            log.warning("state store %s: cannot record %s (%s); skipping writes for %.0fs",
                        self.path, what, exc, self.pause_s)  # fmt: skip
            self._drop_connection()
            return False
        return True

    def _connection(self) -> sqlite3.Connection:
        assert self.path is not None
        if self._conn is not None and self._pid != os.getpid():
            self._inherited.append(self._conn)
            self._conn = None
        if self._conn is None:
            self._conn = store.connect(self.path, timeout_s=self.lock_wait_s)
            self._pid = os.getpid()
        return self._conn

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and self._pid == os.getpid():
            try:
                conn.close()
            except sqlite3.Error:
                pass

    # -- worker-level records ---------------------------------------------------------------

    def heartbeat(self, **fields: Any) -> None:
        """The worker's status row (``workers`` columns); prunes old history now and then."""
        self.write("the worker status",
                   lambda c: store.upsert(c, "workers", {"name": self.worker},
                                          {"heartbeat_at": time.time(), **fields}))  # fmt: skip
        now = time.monotonic()
        if now - self._last_prune >= PRUNE_EVERY_S:
            self._last_prune = now
            self.prune()

    def close_open_tasks(self, reason: str) -> None:
        """End this worker's tasks still OPEN in the store (at start: a previous run died
        with them); a task the hub gives back is recorded afresh when it is taken."""

        def work(conn: sqlite3.Connection) -> None:
            rows = conn.execute(
                "SELECT id FROM tasks WHERE state = 'OPEN' AND worker = ?", (self.worker,)
            ).fetchall()
            for row in rows:
                end_task(conn, row["id"], "CANCELED", result=None, fault=reason)

        self.write("the end of tasks left open", work)

    def prune(self) -> None:
        """Forget tasks that ended more than ``retention_s`` ago."""
        before = time.time() - self.retention_s
        self.write("pruning", lambda c: store.prune(c, before))

    def count(self, metric: str, labels: Mapping[str, str], amount: float = 1.0) -> None:
        self.write(metric, lambda c: store.add_counter(c, metric, labels, amount))

    def observe(self, metric: str, labels: Mapping[str, str], value: float,
                buckets: Sequence[float]) -> None:  # fmt: skip
        """One observation of a histogram, kept as Prometheus' cumulative bucket counts."""
        self.write(metric, lambda c: observe_in(c, metric, labels, value, buckets))


def end_task(
    conn: sqlite3.Connection, task_id: int, state: str, *, result: str | None, fault: str | None
) -> None:
    """Mark an OPEN task ended, count it, and close its unfinished steps (once per task)."""
    ended = time.time()
    row = conn.execute(
        "SELECT method, started_at, state FROM tasks WHERE id = ?", (task_id,)
    ).fetchone()
    if row is None or row["state"] != "OPEN":
        return  # already ended (or never recorded): count it once
    conn.execute(
        "UPDATE tasks SET state = ?, ended_at = ?, result = ?, fault = ? WHERE id = ?",
        (state, ended, result, fault, task_id),
    )
    store.add_counter(conn, TASKS_TOTAL, {"method": row["method"], "outcome": state.lower()}, 1)
    elapsed = ended - row["started_at"]
    observe_in(conn, TASK_DURATION, {"method": row["method"]}, elapsed, TASK_BUCKETS)
    conn.execute(
        "UPDATE steps SET ended_at = ?, error = 'interrupted' "
        "WHERE task_id = ? AND ended_at IS NULL",
        (ended, task_id),
    )


def observe_in(conn: sqlite3.Connection, metric: str, labels: Mapping[str, str],
               value: float, buckets: Sequence[float]) -> None:  # fmt: skip
    for bound in (*buckets, float("inf")):
        if value <= bound:
            le = "+Inf" if bound == float("inf") else repr(bound)
            store.add_counter(conn, f"{metric}_bucket", {**labels, "le": le}, 1)
    store.add_counter(conn, f"{metric}_sum", labels, value)
    store.add_counter(conn, f"{metric}_count", labels, 1)


class TaskRecorder:
    """The recorder bound to one task: what the handler, buildroot and steps write."""

    def __init__(self, recorder: Recorder, task_id: int) -> None:
        self.recorder = recorder
        self.task_id = task_id
        self._method = ""
        self._started = 0.0

    def _update(self, what: str, **values: Any) -> None:
        self.recorder.write(what, lambda c: store.update(c, "tasks", {"id": self.task_id},
                                                         values))  # fmt: skip

    def started(self, method: str, *, arch: str | None, tag: str | None,
                parent: int | None, work_dir: Path) -> None:  # fmt: skip
        self._method, self._started = method, time.time()
        values = {
            "worker": self.recorder.worker, "method": method, "arch": arch, "tag": tag,
            "parent": parent, "state": "OPEN", "started_at": self._started, "ended_at": None,
            "result": None, "fault": None, "work_dir": str(work_dir),
        }  # fmt: skip
        self.recorder.write(
            "the task start", lambda c: store.upsert(c, "tasks", {"id": self.task_id}, values)
        )

    def ended(self, state: str, *, result: object = None, fault: str | None = None) -> None:
        """The task's end: CLOSED with its result, FAILED with its fault, or CANCELED."""
        text = None if result is None else json.dumps(result, default=str)
        fault = None if fault is None else redact_line(fault)  # an SCM URL may hold a password
        self.recorder.write(
            "the task end", lambda c: end_task(c, self.task_id, state, result=text, fault=fault)
        )

    def image(self, image: str, *, reason: str, digest: str | None = None) -> None:
        values: dict[str, Any] = {"image": image, "image_reason": reason}
        if digest is not None:
            values["image_digest"] = digest
        self._update("the task image", **values)

    def buildroot(self, buildroot_id: int, *, tag: str | None = None) -> None:
        """The hub's buildroot id, and the build tag by name (tasks may name it by id)."""
        values: dict[str, Any] = {"buildroot_id": buildroot_id}
        if tag is not None:
            values["tag"] = tag
        self._update("the buildroot id", **values)

    def log_file(self, name: str, path: Path) -> None:
        self.recorder.write(
            "a log file",
            lambda c: store.upsert(
                c, "logs", {"task_id": self.task_id, "name": name}, {"path": str(path)}
            ),
        )

    # -- steps --------------------------------------------------------------------------------

    def step_started(self, name: str, argv: Sequence[str], *, user: str | None = None,
                     log_name: str | None = None) -> StepHandle:  # fmt: skip
        handle = StepHandle(name, time.time())

        def work(conn: sqlite3.Connection) -> None:
            cursor = conn.execute(
                "INSERT INTO steps (task_id, name, argv, user, log_name, started_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    self.task_id,
                    name,
                    json.dumps([redact_line(arg) for arg in argv]),
                    user,
                    log_name,
                    handle.started_at,
                ),
            )
            handle.row_id = cursor.lastrowid

        self.recorder.write(f"step {name}", work)
        return handle

    def step_ended(self, handle: StepHandle, *, exit_code: int | None,
                   error: str | None = None) -> None:  # fmt: skip
        ended = time.time()
        error = None if error is None else redact_line(error)[:500]

        def work(conn: sqlite3.Connection) -> None:
            if handle.row_id is not None:
                conn.execute(
                    "UPDATE steps SET ended_at = ?, exit_code = ?, error = ? WHERE id = ?",
                    (ended, exit_code, error, handle.row_id),
                )
            observe_in(conn, STEP_DURATION, {"step": step_family(handle.name)},
                       ended - handle.started_at, STEP_BUCKETS)  # fmt: skip

        self.recorder.write(f"step {handle.name}", work)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """A step of the task's own (no container command): image provision, uploads."""
        handle = self.step_started(name, ())
        try:
            yield
        except BaseException as exc:
            self.step_ended(handle, exit_code=1, error=str(exc))
            raise
        self.step_ended(handle, exit_code=0)

    # -- containers ---------------------------------------------------------------------------

    def container_created(self, container_id: str, *, name: str, image: str, role: str,
                          seconds: float) -> None:  # fmt: skip
        def work(conn: sqlite3.Connection) -> None:
            store.upsert(conn, "containers", {"id": container_id},
                         {"task_id": self.task_id, "name": name, "image": image, "role": role,
                          "created_at": time.time()})  # fmt: skip
            observe_in(conn, CONTAINER_OP, {"operation": "create"}, seconds, CONTAINER_BUCKETS)

        self.recorder.write("a container", work)

    def container_started(self, container_id: str, *, seconds: float) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE containers SET started_at = ? WHERE id = ?",
                         (time.time(), container_id))  # fmt: skip
            observe_in(conn, CONTAINER_OP, {"operation": "start"}, seconds, CONTAINER_BUCKETS)

        self.recorder.write("a container start", work)

    def container_image_digest(self, container_id: str, digest: str) -> None:
        self.recorder.write(
            "an image digest",
            lambda c: c.execute(
                "UPDATE containers SET image_digest = ? WHERE id = ?", (digest, container_id)
            ),
        )

    def container_removed(self, container_id: str, *, seconds: float) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE containers SET removed_at = ? WHERE id = ?",
                         (time.time(), container_id))  # fmt: skip
            observe_in(conn, CONTAINER_OP, {"operation": "remove"}, seconds, CONTAINER_BUCKETS)

        self.recorder.write("a container removal", work)


class StepHandle:
    """A started step: its row (None when the write was skipped) and start time."""

    def __init__(self, name: str, started_at: float) -> None:
        self.name = name
        self.started_at = started_at
        self.row_id: int | None = None


def step_family(name: str) -> str:
    """The step's name without per-instance suffixes, so metric labels stay few
    (``hw-info-lscpu`` → ``hw-info``)."""
    return "hw-info" if name.startswith("hw-info-") else name
