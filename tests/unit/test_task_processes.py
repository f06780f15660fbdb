"""Task processes die with their daemon, and a new daemon waits for (then kills) leftovers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from adjutant.task_processes import end_leftovers, registered, start_time

# A "daemon" that forks a "task process" the way koji does (own process group), which asks
# for the parent-death signal, registers itself, and either unwinds on SIGTERM or ignores it.
DAEMON = """
import os, signal, sys, time
from pathlib import Path
from adjutant.task_processes import die_with_parent, registered
registry, ignore = Path(sys.argv[1]), sys.argv[2] == "ignore"
daemon = os.getpid()
child = os.fork()
if child == 0:
    os.setpgrp()
    # as the worker's stop_on_signals: SIGTERM unwinds (or, here, is ignored)
    signal.signal(signal.SIGTERM, signal.SIG_IGN if ignore else lambda *_: sys.exit(0))
    die_with_parent(daemon)
    with registered(registry, 42):
        (registry.parent / "ready").write_text(str(os.getpid()))
        while True:
            time.sleep(0.05)
    os._exit(0)
while True:
    time.sleep(1)
"""


def _wait_for(predicate, timeout_s: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _is_running(pid: int) -> bool:
    started = start_time(pid)
    if started is None:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def _start_daemon(tmp_path: Path, mode: str) -> tuple[subprocess.Popen[bytes], int]:
    registry = tmp_path / "task-pids"
    daemon = subprocess.Popen([sys.executable, "-c", DAEMON, str(registry), mode],
                              cwd=Path(__file__).parents[2])  # fmt: skip
    assert _wait_for(lambda: (tmp_path / "ready").exists()), "the task process did not start"
    return daemon, int((tmp_path / "ready").read_text())


def test_a_task_process_ends_when_its_daemon_is_killed(tmp_path: Path) -> None:
    daemon, task_pid = _start_daemon(tmp_path, "obey")
    try:
        daemon.kill()
        daemon.wait(timeout=10)
        assert _wait_for(lambda: not _is_running(task_pid)), "task process outlived its daemon"
        # it unwound (its registration removed itself) rather than being killed
        assert not (tmp_path / "task-pids" / str(task_pid)).exists()
    finally:
        if _is_running(task_pid):
            os.kill(task_pid, signal.SIGKILL)


def test_a_new_daemon_kills_a_leftover_task_process_that_does_not_end(tmp_path: Path) -> None:
    daemon, task_pid = _start_daemon(tmp_path, "ignore")
    try:
        daemon.kill()
        daemon.wait(timeout=10)
        assert _is_running(task_pid)  # it ignores its SIGTERM
        assert end_leftovers(tmp_path / "task-pids", timeout_s=0.5) == [task_pid]
        assert not _is_running(task_pid)
        assert list((tmp_path / "task-pids").iterdir()) == []
    finally:
        if _is_running(task_pid):
            os.kill(task_pid, signal.SIGKILL)


def test_stale_entries_and_reused_pids_are_not_waited_for(tmp_path: Path) -> None:
    registry = tmp_path / "task-pids"
    registry.mkdir()
    (registry / "999999999").write_text("12345 7\n")  # no such process
    (registry / str(os.getpid())).write_text("1 8\n")  # our pid, but another start time
    started = time.monotonic()
    assert end_leftovers(registry, timeout_s=30) == []
    assert time.monotonic() - started < 5
    assert list(registry.iterdir()) == []
    with registered(registry, 9):
        assert (registry / str(os.getpid())).read_text().split()[1] == "9"
    assert list(registry.iterdir()) == []
