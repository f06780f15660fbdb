"""`adjutant worker --fg` as a subprocess for end-to-end tests, stopped with SIGTERM."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.processes import stop_process


def kojid_conf(path: Path, kojid: dict[str, str], adjutant: dict[str, str]) -> Path:
    """Write a kojid.conf with these [kojid] and [adjutant] values."""
    lines = [
        "[kojid]",
        *(f"{k} = {v}" for k, v in kojid.items()),
        "",
        "[adjutant]",
        *(f"{k} = {v}" for k, v in adjutant.items()),
        "",
    ]
    path.write_text("\n".join(lines))
    return path


@contextmanager
def running_worker(
    conf: Path, log_path: Path, extra_args: tuple[str, ...] = ()
) -> Iterator[subprocess.Popen[bytes]]:
    """Run the worker until the block ends; its output goes to log_path (shown on exit)."""
    with log_path.open("ab") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "adjutant", "worker", "-c", str(conf), "--fg", *extra_args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        try:
            yield worker
        finally:
            stop_process(worker, timeout_s=60)
            print(f"--- worker log (tail) ---\n{log_path.read_text(errors='replace')[-4000:]}")
