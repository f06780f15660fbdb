"""koji's TaskManager with container buildroots: local buildroots are containers, not mock roots.

Subclassed only where containers differ from mock: local buildroots are found by container
label instead of /etc/mock/koji, a finished or killed task's containers are removed (they are
not in its process group, so killing the task does not end them), and the space check looks
at the work dir instead of mockdir. Everything else — heartbeat, scheduling, forking, reporting
— is koji's own code, so the hub sees what kojid does.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import koji
import koji.daemon
import koji.tasks

from adjutant.container.backend import LABEL_TASK_ID, LABEL_WORKER, ContainerBackend
from adjutant.errors import ContainerError, ContainerNotFound
from adjutant.policy.resolver import ImageChoice, ImageResolver
from adjutant.redaction import run_redacted
from adjutant.state import Recorder
from adjutant.task_faults import run_with_host_faults
from adjutant.task_processes import die_with_parent, registered, registry_dir
from adjutant.tasks.container_task import ContainerTask
from adjutant.tasks.context import TaskContext

log = logging.getLogger(__name__)


def task_workdir(workdir: Path, task_id: int) -> Path:
    """The scratch dir koji's BaseTaskHandler uses for a task: <workdir>/tasks/<id%10000>/<id>."""
    return workdir / "tasks" / str(task_id % 10000) / str(task_id)


def sweep_orphans(
    backend: ContainerBackend, worker: str, live_task_ids: Collection[int], workdir: Path
) -> list[str]:
    """Remove this worker's containers that no live task owns, and those tasks' scratch dirs.

    Returns the names of the containers removed; each removal is logged.
    """
    removed: list[str] = []
    for info in backend.list({LABEL_WORKER: worker}):
        task_label = info.labels.get(LABEL_TASK_ID, "")
        task_id = int(task_label) if task_label.isdigit() else None
        if task_id is not None and task_id in live_task_ids:
            continue
        try:
            backend.remove(info.id)
        except ContainerNotFound:
            continue  # gone meanwhile: the task's own cleanup won the race
        log.info("removed orphaned container %s (task %s, %s)", info.name, task_label, info.status)
        removed.append(info.name)
        if task_id is not None and task_id > 0:
            scratch = task_workdir(workdir, task_id)
            if scratch.is_dir():
                shutil.rmtree(scratch, ignore_errors=True)
                log.info("removed scratch dir %s of task %s", scratch, task_id)
    return removed


def remove_task_containers(backend: ContainerBackend, worker: str, task_id: int) -> None:
    """Remove every container of ``task_id`` on this worker (after its process was killed)."""
    for info in backend.list({LABEL_WORKER: worker, LABEL_TASK_ID: str(task_id)}):
        try:
            backend.remove(info.id)
        except ContainerNotFound:
            continue
        log.info("task %s: removed container %s", task_id, info.name)


def record_task(recorder: Recorder, handler: Any, row: Mapping[str, Any]) -> None:
    """Record the task's start now and its end as koji's runTask reports it to the hub
    (CLOSED with the result, FAILED with the fault text, CANCELED when stopped).

    ``row`` is the hub's task entry (parent, arch) when the worker has it.
    """
    task = recorder.for_task(handler.id)
    key = handler.image_key() if isinstance(handler, ContainerTask) else None
    task.started(
        handler.method, arch=key[1] if key else row.get("arch"),
        tag=str(key[0]) if key else None, parent=row.get("parent"),
        work_dir=Path(handler.workdir),
    )  # fmt: skip
    run = handler.run

    def recorded_run() -> Any:
        try:
            result = run()
        except koji.tasks.RefuseTask as exc:
            task.ended("REFUSED", fault=str(exc))
            raise
        except koji.GenericError as exc:
            task.ended("FAILED", fault=str(exc))
            raise
        except Exception as exc:
            task.ended("FAILED", fault=f"{type(exc).__name__}: {exc}")
            raise
        except BaseException:
            task.ended("CANCELED", fault="the task process was stopped")
            raise
        task.ended("CLOSED", result=result)
        return result

    handler.run = recorded_run


class TaskStopped(SystemExit):
    """The task process was told to stop (koji kills a canceled task with SIGINT, SIGTERM)."""


def stop_on_signals() -> None:
    """In a forked task process: turn SIGINT/SIGTERM into an orderly exit.

    The process inherits the daemon's handlers (SIGTERM there means "shut down gracefully",
    which a task must not copy). The first signal raises TaskStopped, so the buildroot's
    cleanup removes its container at once; later signals are ignored so that cleanup can
    finish (koji's SIGKILL still ends the process if it takes too long).
    """

    def stop(signum: int, _frame: Any) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise TaskStopped(f"task process stopped by signal {signum}")

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


class AdjutantTaskManager(koji.daemon.TaskManager):  # type: ignore[misc]
    """TaskManager whose buildroots are containers labelled with this worker's name."""

    def __init__(
        self,
        options: Any,
        session: Any,
        *,
        worker_name: str,
        backend: ContainerBackend,
        context: TaskContext,
        resolver: ImageResolver | None = None,
    ) -> None:
        super().__init__(options, session)
        self.worker_name = worker_name
        self.backend = backend
        self.context = context
        self.resolver = resolver
        self.recorder = context.recorder
        self._task_rows: dict[int, dict[str, Any]] = {}
        self.stopping = False
        self.main_pid = os.getpid()

    def updateBuildroots(self, nolocal: bool = False) -> None:  # noqa: N802 (koji's hook)
        # koji's part expires hub records of buildroots whose task is gone; its local part
        # reads mock's config dir, which we do not have: our local buildroots are containers.
        super().updateBuildroots(nolocal=True)
        if nolocal:
            return
        try:
            sweep_orphans(
                self.backend, self.worker_name, set(self.pids), Path(self.options.workdir)
            )
        except ContainerError as exc:
            log.warning("cannot sweep containers: %s", exc)

    def cleanupTask(self, task_id: int, wait: bool = True) -> bool:  # noqa: N802
        done: bool = super().cleanupTask(task_id, wait=wait)
        if done:
            # A process that was killed could not record its own end.
            self.recorder.for_task(task_id).ended("CANCELED", fault="the task process was stopped")
            self._task_rows.pop(task_id, None)
            try:
                remove_task_containers(self.backend, self.worker_name, task_id)
            except ContainerError as exc:
                log.warning("task %s: cannot remove its containers: %s", task_id, exc)
            # A killed task process could not remove its scratch dir itself.
            scratch = task_workdir(Path(self.options.workdir), task_id)
            if scratch.is_dir():
                shutil.rmtree(scratch, ignore_errors=True)
                log.info("task %s: removed scratch dir %s", task_id, scratch)
        return done

    def takeTask(self, task: dict[str, Any]) -> bool:  # noqa: N802 (koji's hook)
        # The hub's task row (parent, arch) is what the dashboard shows about the task.
        task_id = task.get("id") if isinstance(task, dict) else None
        if isinstance(task_id, int):
            self._task_rows[task_id] = task
        taken: bool = super().takeTask(task)
        if not taken and isinstance(task_id, int):
            self._task_rows.pop(task_id, None)  # not ours: no cleanupTask will come for it
        return taken

    def forkTask(self, handler: Any) -> Any:  # noqa: N802 (koji's hook)
        self.hand_context(handler)
        return super().forkTask(handler)

    def runTask(self, handler: Any) -> None:  # noqa: N802 (koji's hook)
        # koji's runner turns the exception into the fault (message or whole traceback, with
        # chained causes) and logs it: both must be free of secrets such as SCM passwords.
        # A full disk is named, not sent as a raw OSError traceback.
        run = handler.run
        workdir = Path(self.options.workdir)
        handler.run = lambda: run_redacted(lambda: run_with_host_faults(run, workdir))
        if os.getpid() == self.main_pid:
            self.hand_context(handler)  # run in this process (foreground or single mode)
            record_task(self.recorder, handler, self._task_rows.get(handler.id, {}))
            super().runTask(handler)
            return
        # A forked task process (koji puts it in its own process group): it must not outlive
        # a killed daemon, and the next daemon must be able to tell it is still running.
        stop_on_signals()
        die_with_parent(self.main_pid)
        record_task(self.recorder, handler, self._task_rows.get(handler.id, {}))
        with registered(registry_dir(workdir), handler.id):
            super().runTask(handler)

    def hand_context(self, handler: object) -> None:
        """Give a container task its context, with the image chosen for it.

        Runs in the daemon, before the fork, so the image policy's cache (and its warn-once
        state) lives as long as the worker rather than one task process.
        """
        if not isinstance(handler, ContainerTask):
            return
        try:
            choice = self.choose_image(handler)
        except Exception as exc:  # the task's boundary, before its process exists
            # Bad params (an unknown tag, an arch of the wrong type) must fail the task with
            # a fault from its own process, not fail getNextTask on every pass forever.
            log.warning("task %s: no image chosen before the fork: %s", handler.id, exc)
            choice = self.context.image
        handler.bind(self.context.for_task(choice))

    def choose_image(self, handler: ContainerTask) -> ImageChoice:
        """The task image by the build tag's policy, or the default without a policy (or
        with parameters too bad to ask it: the handler reports those as the task's fault)."""
        key = handler.image_key()
        if self.resolver is None or key is None:
            return self.context.image
        tag, arch = key
        arch = koji.canonArch(arch) if arch != "noarch" else "noarch"
        return self.resolver.resolve(tag, arch, handler.method)

    def checkSpace(self) -> bool:  # noqa: N802
        # mock roots live in mockdir; ours are containers, and task data lives in workdir.
        path = Path(self.options.workdir)
        stat = os.statvfs(path)
        available_mb = stat.f_bavail * stat.f_bsize // (1024 * 1024)
        if available_mb < self.options.minspace:
            self.status = (
                f"Insufficient disk space at {path}: {available_mb} MB, "
                f"{self.options.minspace} MB required"
            )
            log.warning("%s", self.status)
            return False
        return True

    def readyForTask(self) -> bool:  # noqa: N802
        if self.stopping:
            self.status = "shutting down: taking no new tasks"
            return False
        ready: bool = super().readyForTask()
        return ready
