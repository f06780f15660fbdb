"""Task processes that end with their daemon, and a record of them for the next daemon.

koji forks each task into its own process group, so a SIGKILLed daemon leaves its task
processes running: holding hub sockets and containers, racing the next daemon's start-up
sweep. Two measures: each task process asks the kernel for SIGTERM when its daemon dies
(PR_SET_PDEATHSIG; the task's SIGTERM handler unwinds its buildroot), and registers its pid
and start time under the work dir, so a new daemon can wait for (then kill) those still alive
before it sweeps their containers. Signals and containers themselves are the worker's business.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
POLL_S = 0.1


def registry_dir(workdir: Path) -> Path:
    """Where a worker's task processes register: one file per pid."""
    return workdir / "task-pids"


def die_with_parent(parent_pid: int, signum: int = signal.SIGTERM) -> None:
    """Have the kernel send ``signum`` to this process when its parent ends.

    If the parent ended before the request took effect, send it now, so no window is left.

    Raises:
        OSError: prctl refused (not Linux).
    """
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl(PR_SET_PDEATHSIG): {os.strerror(errno)}")
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), signum)


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat),
    which tells a live task process from a later process that reused its pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    fields = stat[stat.rindex(")") + 2 :].split()
    return fields[19]


def _state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()[0]


@contextlib.contextmanager
def registered(registry: Path, task_id: int) -> Iterator[None]:
    """Record this process as running ``task_id`` for as long as the block runs."""
    registry.mkdir(parents=True, exist_ok=True)
    entry = registry / str(os.getpid())
    entry.write_text(f"{start_time(os.getpid())} {task_id}\n")
    try:
        yield
    finally:
        entry.unlink(missing_ok=True)


def _is_alive(pid: int, started: str) -> bool:
    # A zombie has ended: only its parent's wait is missing (the dead daemon's is never coming).
    return start_time(pid) == started and _state(pid) not in (None, "Z", "X")


def end_leftovers(registry: Path, timeout_s: float) -> list[int]:
    """Wait up to ``timeout_s`` for the task processes a previous daemon left, then SIGKILL
    those still running; returns the pids that were alive. Stale entries are removed.

    They normally end by themselves (their parent-death SIGTERM unwinds the task); waiting
    keeps the start-up sweep from removing containers they are still using or creating.
    """
    alive: dict[int, str] = {}
    for entry in registry.glob("*") if registry.is_dir() else ():
        fields = entry.read_text().split() if entry.is_file() else []
        if entry.name.isdigit() and fields and _is_alive(int(entry.name), fields[0]):
            alive[int(entry.name)] = fields[0]
        else:
            entry.unlink(missing_ok=True)
    if not alive:
        return []
    log.info("waiting up to %.0fs for task processes of the previous worker: %s",
             timeout_s, sorted(alive))  # fmt: skip
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(_is_alive(p, s) for p, s in alive.items()):
        time.sleep(POLL_S)
    for pid, started in alive.items():
        if _is_alive(pid, started):
            log.warning("task process %s of the previous worker did not end: killing it", pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    kill_deadline = time.monotonic() + 5.0
    while time.monotonic() < kill_deadline and any(_is_alive(p, s) for p, s in alive.items()):
        time.sleep(POLL_S)
    for pid in alive:
        (registry / str(pid)).unlink(missing_ok=True)
    return sorted(alive)
