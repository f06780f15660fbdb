"""The worker's container-specific TaskManager parts and its main loop, with fakes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import koji
import koji.tasks
import pytest

from adjutant.container.backend import ContainerSpec
from adjutant.container.fake import FakeBackend
from adjutant.daemon import RESTART, WorkerLoop, pidfile
from adjutant.errors import ConfigError
from adjutant.worker import remove_task_containers, sweep_orphans, task_workdir

IMAGE = "localhost/adjutant/debian-bookworm:latest"


def started(backend: FakeBackend, task_id: int, worker: str = "w1", role: str = "buildroot") -> str:
    container_id = backend.create(
        ContainerSpec(image=IMAGE, task_id=task_id, worker=worker, role=role)
    )
    backend.start(container_id)
    return container_id


def names(backend: FakeBackend) -> set[str]:
    return {info.name for info in backend.list({})}


def test_sweep_removes_containers_no_live_task_owns_and_their_scratch(tmp_path: Path) -> None:
    backend = FakeBackend([IMAGE])
    started(backend, 101)
    started(backend, 102)
    started(backend, 103, worker="another-host")
    scratch = task_workdir(tmp_path, 101)
    scratch.mkdir(parents=True)
    (scratch / "build.log").write_text("x")

    removed = sweep_orphans(backend, "w1", live_task_ids={102}, workdir=tmp_path)

    assert removed == ["adjutant-w1-101-buildroot"]
    assert names(backend) == {"adjutant-w1-102-buildroot", "adjutant-another-host-103-buildroot"}
    assert not scratch.exists()
    assert task_workdir(tmp_path, 10101) == tmp_path / "tasks" / "101" / "10101"


def test_removing_a_tasks_containers_leaves_other_tasks_alone() -> None:
    backend = FakeBackend([IMAGE])
    started(backend, 7, role="buildroot")
    started(backend, 7, role="scm")
    started(backend, 8)
    remove_task_containers(backend, "w1", 7)
    assert names(backend) == {"adjutant-w1-8-buildroot"}


class FakeManager:
    """Records the loop's calls; each pass's getNextTask result comes from a script."""

    def __init__(self, script: list[Any]) -> None:
        self.script = script
        self.calls: list[str] = []
        self.pids: dict[int, int] = {}
        self.stopping = False
        self.restart_pending = False

    def updateBuildroots(self) -> None:  # noqa: N802
        self.calls.append("updateBuildroots")

    def updateTasks(self) -> None:  # noqa: N802
        self.calls.append("updateTasks")

    def getNextTask(self) -> bool:  # noqa: N802
        self.calls.append("getNextTask")
        outcome = self.script.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        if callable(outcome):
            return bool(outcome())
        return bool(outcome)


def loop_for(manager: FakeManager, grace_s: float = 60.0) -> WorkerLoop:
    return WorkerLoop(manager, sleeptime_s=0.01, shutdown_grace_s=grace_s)


def test_loop_skips_buildroot_expiry_right_after_taking_a_task_and_survives_errors() -> None:
    manager = FakeManager([True, RuntimeError("hub hiccup"), False, koji.tasks.ServerExit()])
    assert loop_for(manager).run() == 0
    assert manager.calls == [
        "updateBuildroots", "updateTasks", "getNextTask",  # took a task
        "updateTasks", "getNextTask",  # no expiry pass right after taking one; this one raises
        "updateBuildroots", "updateTasks", "getNextTask",
        "updateBuildroots", "updateTasks", "getNextTask",  # ServerExit ends the loop
    ]  # fmt: skip


def test_auth_errors_end_the_loop_with_failure_and_restart_is_reported() -> None:
    assert loop_for(FakeManager([koji.AuthError("expired")])).run() == 1
    assert loop_for(FakeManager([koji.tasks.ServerRestart()])).run() == RESTART


def test_stop_request_waits_for_running_tasks_then_ends() -> None:
    manager = FakeManager([])
    loop = loop_for(manager)
    manager.pids = {5: 1234}

    def task_finishes() -> bool:
        manager.pids.clear()
        return False

    manager.script = [lambda: loop.request_stop() or False, False, task_finishes]
    assert loop.run() == 0
    assert manager.stopping is True
    assert manager.calls.count("getNextTask") == 3  # heartbeats go on while tasks finish


def test_stop_gives_up_on_running_tasks_after_the_grace_period() -> None:
    manager = FakeManager([])
    manager.pids = {5: 1234}
    loop = loop_for(manager, grace_s=0.0)
    manager.script = [lambda: loop.request_stop() or False]
    assert loop.run() == 0
    assert manager.pids == {5: 1234}  # left for TaskManager.shutdown() to kill and free


def test_pidfile_holds_our_pid_and_refuses_a_second_holder(tmp_path: Path) -> None:
    path = tmp_path / "run" / "adjutant.pid"
    with pidfile(path):
        assert path.read_text() == f"{os.getpid()}\n"
        holder = (
            "import fcntl, os, sys\n"
            "fd = os.open(sys.argv[1], os.O_RDWR)\n"
            "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept OSError:\n"
            "    sys.exit(3)\n"
        )
        other = subprocess.run([sys.executable, "-c", holder, str(path)], check=False)
        assert other.returncode == 3
    assert not path.exists()


def test_pidfile_locked_elsewhere_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "adjutant.pid"
    path.write_text("")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys, time\nfd = os.open(sys.argv[1], os.O_RDWR)\n"
         "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(30)\n",
         str(path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        with pytest.raises(ConfigError, match="another worker is running"):
            with pidfile(path):
                pass
    finally:
        holder.kill()
        holder.wait()


def test_two_workers_on_one_podman_run_the_same_task_id_side_by_side(tmp_path: Path) -> None:
    backend = FakeBackend([IMAGE])
    started(backend, 700002, worker="hub-a-builder")
    started(backend, 700002, worker="hub-b-builder")  # the name clash used to refuse this
    assert sweep_orphans(backend, "hub-a-builder", live_task_ids=(), workdir=tmp_path) == [
        "adjutant-hub-a-builder-700002-buildroot"
    ]
    assert names(backend) == {"adjutant-hub-b-builder-700002-buildroot"}


def _task_manager(tmp_path: Path, minspace_mb: int) -> Any:
    import types

    from adjutant.config import AdjutantSettings, KojidSettings, Settings
    from adjutant.tasks.context import TaskContext
    from adjutant.worker import AdjutantTaskManager

    session = types.SimpleNamespace(host=types.SimpleNamespace(getID=lambda: 1),
                                    getSessionInfo=lambda: {"start_ts": 0.0})  # fmt: skip
    options = types.SimpleNamespace(workdir=str(tmp_path), minspace=minspace_mb)
    backend = FakeBackend([IMAGE])
    context = TaskContext.from_settings(Settings(KojidSettings(), AdjutantSettings()),
                                        factory=lambda: backend)  # fmt: skip
    return AdjutantTaskManager(options, session, worker_name="w1", backend=backend,
                               context=context)  # fmt: skip


def test_a_work_dir_below_minspace_refuses_new_tasks_naming_the_dir(tmp_path: Path) -> None:
    manager = _task_manager(tmp_path, minspace_mb=1 << 40)  # more than any disk here
    assert manager.checkSpace() is False
    assert manager.status.startswith(f"Insufficient disk space at {tmp_path}: ")
    assert _task_manager(tmp_path, minspace_mb=1).checkSpace() is True


def test_a_stopping_worker_takes_no_new_tasks(tmp_path: Path) -> None:
    manager = _task_manager(tmp_path, minspace_mb=1)
    manager.stopping = True
    assert manager.readyForTask() is False
    assert manager.status == "shutting down: taking no new tasks"
