"""Run one buildroot step in a container and record its argv, exit code and timing.

The record goes to state.log as one line per step, so an operator reading a task's logs sees
exactly what ran, as whom, for how long and how it ended, and to the state store (the
dashboard's timeline) through the task's recorder. Output goes to the step's own log.
"""

from __future__ import annotations

import io
import logging
import re
import shlex
import time
from dataclasses import dataclass
from pathlib import Path

from adjutant.container.backend import ContainerBackend
from adjutant.errors import ContainerError
from adjutant.state import TaskRecorder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepRecord:
    name: str
    argv: tuple[str, ...]
    user: str
    exit_code: int
    duration_s: float
    log_name: str


class StepRunner:
    """Runs steps in one container; appends each step's record to ``state_log``."""

    def __init__(
        self, backend: ContainerBackend, container_id: str, state_log: Path,
        recorder: TaskRecorder | None = None,
    ) -> None:  # fmt: skip
        self.backend = backend
        self.container_id = container_id
        self.state_log = state_log
        self.recorder = recorder
        self.records: list[StepRecord] = []

    def run(
        self,
        name: str,
        argv: tuple[str, ...],
        *,
        log_path: Path,
        user: str = "root",
        workdir: str | None = None,
        timeout_s: float | None = None,
        network: bool = False,
    ) -> StepRecord:
        """Run ``argv``, appending its output to ``log_path``; a non-zero exit is not raised.

        Raises:
            ContainerError: the backend failed, or the step ran past ``timeout_s``
                (ContainerTimeout); the state log records the failure first.
        """
        self._note(f"step {name} starting as {user}: {shlex.join(argv)}")
        started = time.monotonic()
        step = None
        if self.recorder is not None:
            step = self.recorder.step_started(name, argv, user=user, log_name=log_path.name)
        try:
            with log_path.open("ab") as sink:
                result = self.backend.exec(
                    self.container_id, argv, output=sink, user=user, workdir=workdir,
                    timeout_s=timeout_s, network=network,
                )  # fmt: skip
        except ContainerError as exc:
            self._note(f"step {name} failed after {time.monotonic() - started:.1f}s: {exc}")
            if self.recorder is not None and step is not None:
                self.recorder.step_ended(step, exit_code=None, error=str(exc)[:500])
            raise
        if self.recorder is not None and step is not None:
            self.recorder.step_ended(step, exit_code=result.exit_code)
        record = StepRecord(name, tuple(argv), user, result.exit_code, result.duration_s,
                            log_path.name)  # fmt: skip
        self.records.append(record)
        self._note(f"step {name} exited {record.exit_code} after {record.duration_s:.1f}s")
        log.debug("step %s exited %s", name, record.exit_code)
        return record

    def _note(self, message: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        with self.state_log.open("a", encoding="utf-8") as state:
            state.write(f"{stamp} {message}\n")


_MISSING_DEPENDENCY = re.compile(r"No matching package to install: '([^']+)'")


def missing_dependencies(root_log: Path) -> list[str]:
    """The packages dnf could not find, as it names them in root.log."""
    return _MISSING_DEPENDENCY.findall(root_log.read_text(errors="replace"))


def find_files(
    backend: ContainerBackend, container_id: str, directory: str, pattern: str
) -> list[str]:
    """Sorted paths of files matching ``pattern`` directly in ``directory`` in the container.

    A directory that does not exist holds nothing, so a failing ``find`` gives an empty list.
    """
    listing = io.BytesIO()
    argv = ("find", directory, "-maxdepth", "1", "-name", pattern, "-print0")
    if backend.exec(container_id, argv, output=listing, timeout_s=60).exit_code:
        return []
    return sorted(p for p in listing.getvalue().decode(errors="replace").split("\0") if p)
