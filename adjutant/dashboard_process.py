"""`adjutant worker`'s dashboard child: start `adjutant web` beside the worker, restart it when
it dies, stop it on shutdown.

The dashboard is a separate process (gunicorn and its workers), so a crash there never reaches
the build loop; here we only look at its exit status once per loop and restart it, at most
once per ``RESTART_DELAY_S``. The child asks the kernel for SIGTERM when the worker dies, so a
killed worker does not leave it behind.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)

RESTART_DELAY_S = 10.0
STOP_TIMEOUT_S = 15.0
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class DashboardProcess:
    """One `adjutant web` child process, kept running while the worker runs."""

    def __init__(self, config_paths: Sequence[Path], *, debug: bool = False) -> None:
        self.argv = [sys.executable, "-m", "adjutant", *(["--debug"] if debug else []), "web",
                     *(arg for path in config_paths for arg in ("-c", str(path)))]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None
        self._next_start = 0.0

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                        preexec_fn=_die_with_parent)  # fmt: skip
        log.info("dashboard started (pid %s)", self.process.pid)

    def check(self) -> None:
        """Restart the dashboard if it exited (not more often than every RESTART_DELAY_S)."""
        if self.process is None or self.process.poll() is None:
            return
        now = time.monotonic()
        if now < self._next_start:
            return
        log.warning("dashboard exited with status %s; restarting it", self.process.returncode)
        self._next_start = now + RESTART_DELAY_S
        self.start()

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            log.warning("dashboard did not stop within %.0fs; killing it", STOP_TIMEOUT_S)
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)
        log.info("dashboard stopped")

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid
