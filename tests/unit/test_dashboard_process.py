"""The worker's dashboard child: restarted when it dies (not more often than the delay),
stopped with SIGTERM on shutdown."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from adjutant import dashboard_process
from adjutant.dashboard_process import DashboardProcess


def wait_exit(process: DashboardProcess, timeout_s: float = 10.0) -> None:
    assert process.process is not None
    process.process.wait(timeout=timeout_s)


def test_argv_runs_adjutant_web_with_the_workers_config_files() -> None:
    child = DashboardProcess([Path("/etc/kojid/kojid.conf"), Path("/etc/kojid/conf.d")])
    assert child.argv[1:] == ["-m", "adjutant", "web", "-c", "/etc/kojid/kojid.conf",
                              "-c", "/etc/kojid/conf.d"]  # fmt: skip


def test_a_dead_dashboard_is_restarted_after_the_delay() -> None:
    child = DashboardProcess([])
    child.argv = [sys.executable, "-c", "raise SystemExit(3)"]
    child.start()
    first = child.pid
    wait_exit(child)
    child.check()
    assert child.pid != first  # restarted at once the first time
    second = child.pid
    wait_exit(child)
    child.check()
    assert child.pid == second  # within RESTART_DELAY_S: not yet
    child._next_start = time.monotonic() - 1
    child.check()
    assert child.pid != second
    child.stop()


def test_stop_ends_a_running_dashboard() -> None:
    child = DashboardProcess([])
    child.argv = [sys.executable, "-c", "import time; time.sleep(60)"]
    child.start()
    process = child.process
    assert process is not None
    started = time.monotonic()
    child.stop()
    assert process.returncode is not None and process.returncode != 0
    assert time.monotonic() - started < dashboard_process.STOP_TIMEOUT_S
    assert child.process is None


def test_the_worker_command_line_loads_no_flask_or_gunicorn() -> None:
    import subprocess

    probe = (
        "import sys; from adjutant import cli; cli.build_parser(); import adjutant.daemon; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'gunicorn', 'prometheus_client', 'werkzeug')))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, timeout=60).stdout.strip()  # fmt: skip
    assert loaded == "[]"


def test_the_dashboard_dies_with_a_killed_worker() -> None:
    import signal
    import subprocess

    parent_code = (
        "import sys, time; from adjutant.dashboard_process import DashboardProcess; "
        "d = DashboardProcess([]); "
        "d.argv = [sys.executable, '-c', 'import time; time.sleep(60)']; "
        "d.start(); print(d.pid, flush=True); time.sleep(60)"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code], stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=10)
    deadline = time.monotonic() + 10
    while is_alive(child_pid):
        assert time.monotonic() < deadline, "the dashboard outlived its killed worker"
        time.sleep(0.05)


def is_alive(pid: int) -> bool:
    """Running or sleeping: gone, or a zombie waiting for init to reap it, is dead."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
