"""The worker killed or stopped mid-build, then started again, against devhub and podman.

SIGKILL: the task process dies with its daemon (parent-death signal) and removes its own
container; a restart without --force-lock says what to do in one line; with it, the hub task
is freed as kojid frees a stale task, retaken and finished; another worker's container on the
same podman is left alone. SIGTERM: a running task past shutdown_grace is stopped and freed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import koji
import pytest

from adjutant.container.backend import ContainerSpec
from tests.scenarios.worker_builds import fault_of
from tests.support.devhub_worker import DevhubSite, devhub_worker_site
from tests.support.processes import children_of, command_of
from tests.support.worker_process import running_worker

pytestmark = pytest.mark.integration

WAIT_S = 120.0


def wait_until(predicate, what: str, timeout_s: float = WAIT_S) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")


def blocked_build(site: DevhubSite, name: str, gate: str) -> int:
    """A build that prints "started" and waits (up to 5 min) for ``gate`` in the topdir."""
    script = (f"set +x; exec 1>&2; echo started; for i in $(seq 1 1500); do "
              f"test -e /mnt/koji/{gate} && break; sleep 0.2; done")  # fmt: skip
    task_id = site.submit(name, build_script=script)
    wait_until(lambda: "build.log" in site.admin.listTaskOutput(task_id)
               and b"started" in site.admin.downloadTaskOutput(task_id, "build.log"),
               f"task {task_id} to start its build")  # fmt: skip
    return task_id


def task_processes(worker_pid: int) -> list[int]:
    return [pid for pid in children_of(worker_pid) if "adjutant" in command_of(pid)]


@pytest.fixture
def site(tmp_path: Path, podman_url: str, task_image: str, worker_label: str):  # type: ignore[no-untyped-def]
    with devhub_worker_site(tmp_path, podman_url, task_image, worker_label) as site:
        yield site


def test_sigkill_mid_build_then_restart_frees_and_finishes_the_task(
    site: DevhubSite, podman_url: str, task_image: str, worker_label: str
) -> None:
    assert site.hub_admin is not None and site.kojid_conf is not None
    other = site.backend.create(
        ContainerSpec(image=task_image, task_id=1, worker=f"{worker_label}-other", role="buildroot")
    )
    try:
        task_id = blocked_build(site, "adjutant-killed", "gate-killed")
        orphans = task_processes(site.worker_pid)
        assert orphans, "no task process under the worker"
        os.kill(site.worker_pid, signal.SIGKILL)
        wait_until(lambda: not any(command_of(pid) for pid in orphans),
                   "the task processes to end with their daemon")  # fmt: skip
        wait_until(lambda: site.containers(task_id) == [], "the task's container to go")
        assert site.admin.getTaskInfo(task_id)["state"] == koji.TASK_STATES["OPEN"]

        refused = subprocess.run(
            [sys.executable, "-m", "adjutant", "worker", "-c", str(site.kojid_conf), "--fg"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert refused.returncode == 2, refused.stderr
        assert "--force-lock" in refused.stderr and "Traceback" not in refused.stderr

        (site.hub_admin.topdir / "gate-killed").touch()
        with running_worker(site.kojid_conf, site.scratch / "worker-2.log", ("--force-lock",)):
            info = site.wait(task_id)
            assert info["state"] == koji.TASK_STATES["CLOSED"], fault_of(site.admin, task_id)
        site.assert_clean(task_id)
        assert [c.id for c in site.backend.list({"io.adjutant.worker": f"{worker_label}-other"})] \
            == [other]  # fmt: skip
    finally:
        site.backend.remove(other)


def test_sigterm_past_shutdown_grace_stops_and_frees_the_running_task(site: DevhubSite) -> None:
    task_id = blocked_build(site, "adjutant-stopped", "gate-never")
    started = time.monotonic()
    os.kill(site.worker_pid, signal.SIGTERM)
    wait_until(lambda: not command_of(site.worker_pid) or _is_zombie(site.worker_pid),
               "the worker to exit after its shutdown grace")  # fmt: skip
    assert time.monotonic() - started < 5 + 30  # shutdown_grace 5 s, stop_grace 3 s
    assert site.containers(task_id) == []
    assert site.admin.getTaskInfo(task_id)["state"] == koji.TASK_STATES["FREE"]
    site.assert_clean(task_id)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
