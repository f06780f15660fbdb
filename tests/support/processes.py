"""Stopping the processes tests start: a signal first, a kill if it does not end in time."""

from __future__ import annotations

import signal
import subprocess
from typing import Any


def stop_process(proc: subprocess.Popen[Any], timeout_s: float,
                 sig: int = signal.SIGTERM) -> None:
    """Send ``sig`` (if still running), wait up to ``timeout_s``, then kill."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
