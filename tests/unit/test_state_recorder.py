"""The recorder never fails or stalls a build: a locked or broken store is logged once and
skipped for a while; writes resume after the pause. Records are per process (fork-safe)."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path

import pytest

from adjutant.state import Recorder, store

LOCK_WAIT_S = 0.05


def test_a_task_records_start_steps_and_end(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "state.db", worker="w1")
    task = recorder.for_task(42)
    task.started("buildArch", arch="x86_64", tag="f40-build", parent=41, work_dir=tmp_path)
    step = task.step_started("install-group", ("dnf", "install", "@build"), user="root",
                             log_name="root.log")  # fmt: skip
    task.step_ended(step, exit_code=0)
    task.ended("CLOSED", result={"brootid": 7})
    task.ended("FAILED", fault="late")  # an end after the end changes nothing

    conn = store.connect(tmp_path / "state.db", timeout_s=1)
    row = store.task(conn, 42)
    assert row is not None
    assert (row["state"], row["result"], row["fault"], row["parent"]) == (
        "CLOSED",
        '{"brootid": 7}',
        None,
        41,
    )
    (recorded,) = store.steps(conn, 42)
    assert recorded["argv"] == '["dnf", "install", "@build"]' and recorded["exit_code"] == 0
    totals = {(m, tuple(sorted(labels.items()))): v for m, labels, v in store.counters(conn)}
    assert totals[("adjutant_tasks_total", (("method", "buildArch"), ("outcome", "closed")))] == 1


def test_locked_store_is_skipped_with_one_warning_then_writes_resume(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "state.db"
    recorder = Recorder(path, worker="w1", lock_wait_s=LOCK_WAIT_S, pause_s=0.5)
    task = recorder.for_task(1)
    task.started("buildArch", arch="x86_64", tag="t", parent=None, work_dir=tmp_path)
    holder = store.connect(path, timeout_s=1)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    caplog.set_level(logging.WARNING, logger="adjutant.state.recorder")
    started = time.monotonic()
    for index in range(20):
        task.log_file(f"log{index}.log", tmp_path / f"log{index}.log")
    elapsed = time.monotonic() - started
    holder.execute("ROLLBACK")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "skipping writes" in warnings[0].getMessage()
    assert recorder.skipped == 20
    assert elapsed < 2.0, "a locked store must not stall the caller"  # 1 wait, 19 skips
    time.sleep(0.6)
    task.log_file("after.log", tmp_path / "after.log")
    assert list(store.logs(holder, 1)) == ["after.log"]


def test_unwritable_store_never_raises(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    recorder = Recorder(blocker / "state.db", worker="w1")
    task = recorder.for_task(1)
    task.started("buildArch", arch=None, tag=None, parent=None, work_dir=tmp_path)
    with task.phase("provide-image"):
        pass
    task.ended("CLOSED")
    recorder.heartbeat(hub_ok=1)
    assert "cannot record the task start" in caplog.text


def test_corrupt_store_never_raises(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not a database" * 100)
    recorder = Recorder(path, worker="w1")
    recorder.for_task(1).started("newRepo", arch=None, tag=None, parent=None, work_dir=tmp_path)
    assert recorder.skipped == 1


def test_phase_records_a_failure_and_reraises(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "state.db", worker="w1")
    task = recorder.for_task(5)
    task.started("buildArch", arch=None, tag=None, parent=None, work_dir=tmp_path)
    with pytest.raises(RuntimeError):
        with task.phase("upload-outputs"):
            raise RuntimeError("hub said no")
    conn = store.connect(tmp_path / "state.db", timeout_s=1)
    (step,) = store.steps(conn, 5)
    assert (step["name"], step["exit_code"], step["error"]) == ("upload-outputs", 1, "hub said no")


def test_a_forked_child_writes_on_its_own_connection(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "state.db", worker="w1")
    recorder.heartbeat(hub_ok=1)  # the parent has a connection open before the fork
    pid = os.fork()
    if pid == 0:  # the task process
        code = 0
        try:
            recorder.for_task(9).started("buildArch", arch=None, tag=None, parent=None,
                                         work_dir=tmp_path)  # fmt: skip
            code = 0 if recorder.skipped == 0 else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    recorder.for_task(10).started("newRepo", arch=None, tag=None, parent=None, work_dir=tmp_path)
    conn = store.connect(tmp_path / "state.db", timeout_s=1)
    assert [t["id"] for t in store.tasks(conn)[0]] == [10, 9]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_disabled_recorder_writes_nothing(tmp_path: Path) -> None:
    recorder = Recorder.disabled()
    recorder.for_task(1).started("x", arch=None, tag=None, parent=None, work_dir=tmp_path)
    assert not recorder.enabled and list(tmp_path.iterdir()) == []


def test_store_reads_fail_loudly_for_the_web(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"garbage" * 1000)
    with pytest.raises(sqlite3.DatabaseError):
        store.connect(path, timeout_s=0.1)


def test_tasks_left_open_by_a_dead_worker_are_closed_at_start(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "state.db", worker="w1")
    other = Recorder(tmp_path / "state.db", worker="w2")
    recorder.for_task(1).started("buildArch", arch=None, tag=None, parent=None, work_dir=tmp_path)
    handle = recorder.for_task(1).step_started("rpmbuild-bb", ("rpmbuild",))
    other.for_task(2).started("newRepo", arch=None, tag=None, parent=None, work_dir=tmp_path)
    assert handle.row_id is not None
    Recorder(tmp_path / "state.db", worker="w1").close_open_tasks("the worker stopped")
    conn = store.connect(tmp_path / "state.db", timeout_s=1)
    mine, theirs = store.task(conn, 1), store.task(conn, 2)
    assert mine is not None and theirs is not None
    assert (mine["state"], mine["fault"]) == ("CANCELED", "the worker stopped")
    assert theirs["state"] == "OPEN"
    (step,) = store.steps(conn, 1)
    assert step["ended_at"] is not None and step["error"] == "interrupted"
