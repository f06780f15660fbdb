"""The podman service going away mid-build and coming back, under a running worker.

The worker gets a podman service of its own (started here on a temp socket, same storage as
every other), so stopping it disturbs no other test. The running task fails with a fault
naming podman, the worker stays up and refuses tasks (RefuseTask, the hub offers them again)
while podman is down, takes the next task when it returns, and its sweep removes the
container the failed task could not.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import koji
import pytest

from tests.failure.test_worker_recovery import blocked_build, wait_until
from tests.scenarios.worker_builds import fault_of
from tests.support.devhub_worker import DevhubSite, devhub_worker_site
from tests.support.processes import stop_process

pytestmark = pytest.mark.integration


class PodmanService:
    """`podman system service` on ``socket``, stoppable and restartable."""

    def __init__(self, socket: Path) -> None:
        self.socket = socket
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        self.socket.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            ["podman", "system", "service", "--time=0", self.url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self.answers, "the podman service to answer", timeout_s=30)

    def answers(self) -> bool:
        ping = [
            "curl",
            "-sf",
            "--max-time",
            "2",
            "--unix-socket",
            str(self.socket),
            "http://d/_ping",
        ]
        return subprocess.run(ping, capture_output=True, check=False).returncode == 0

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, timeout_s=15)
            self.proc = None


@pytest.fixture
def podman(tmp_path: Path) -> Iterator[PodmanService]:
    service = PodmanService(tmp_path / "own-podman.sock")
    service.start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def site(tmp_path: Path, podman: PodmanService, task_image: str, worker_label: str):  # type: ignore[no-untyped-def]
    adjutant = {"podman_retry_attempts": "2", "podman_retry_delay": "0.5"}
    with devhub_worker_site(tmp_path / "site", podman.url, task_image, worker_label, None,
                            adjutant) as site:  # fmt: skip
        yield site


def test_podman_gone_mid_build_fails_the_task_then_the_worker_resumes(
    site: DevhubSite, podman: PodmanService
) -> None:
    first = blocked_build(site, "adjutant-podman-gone", "gate-podman")
    podman.stop()
    assert site.wait(first)["state"] == koji.TASK_STATES["FAILED"]
    fault = str(fault_of(site.admin, first))
    assert "podman" in fault and "Traceback" not in fault, fault

    # A task offered while podman is down is refused (the hub may offer it elsewhere; like
    # koji's hub, devhub does not offer it to the refusing host again for a while).
    refused = site.submit("adjutant-podman-down")
    log = site.worker_log
    assert log is not None
    wait_until(lambda: f"Refusing task {refused}" in log.read_text(errors="replace"),
               "the worker to refuse the task")  # fmt: skip
    assert site.admin.getTaskInfo(refused)["state"] == koji.TASK_STATES["FREE"]
    site.admin.cancelTask(refused)

    podman.start()
    second = site.submit("adjutant-podman-back")
    info = site.wait(second)
    assert info["state"] == koji.TASK_STATES["CLOSED"], fault_of(site.admin, second)
    wait_until(
        lambda: site.containers(first) == [], "the sweep to remove the failed task's container"
    )
    site.assert_clean(first)
    site.assert_clean(second)
