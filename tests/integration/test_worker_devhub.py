"""`adjutant worker` end to end: devhub as the hub, real podman and the Debian task image.

One devhub process and one worker process (maxjobs 2) serve the module; each test submits
buildArch tasks through the hub as an admin would and checks what the hub recorded, what
the task returned or the fault it gave, and that no container or scratch dir remains.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import koji
import pytest

from adjutant.container.backend import LABEL_TASK_ID, LABEL_WORKER
from adjutant.container.podman import PodmanBackend
from tests.support import devhub_site
from tests.support.devhub_process import DevHubProcess
from tests.support.srpms import build_srpm, simple_spec

pytestmark = pytest.mark.integration

STOP_GRACE_S = 3
TASK_TIMEOUT_S = 180.0
FINISHED = {koji.TASK_STATES[s] for s in ("CLOSED", "FAILED", "CANCELED")}


@dataclass
class Site:
    hub: DevHubProcess
    admin: koji.ClientSession
    repo_id: int
    workdir: Path
    worker_label: str
    backend: PodmanBackend
    scratch: Path

    def submit(self, name: str, build_script: str = "true", build_requires: str = "") -> int:
        """Upload an SRPM of a one-file package and create its buildArch task."""
        spec = simple_spec(name, build_script=build_script, build_requires=build_requires)
        srpm = build_srpm(spec, self.scratch / name)
        upload = f"cli-build/{name}"
        self.admin.uploadWrapper(str(srpm), upload)
        params = [f"{upload}/{srpm.name}", devhub_site.BUILD_TAG, "x86_64", True,
                  {"repo_id": self.repo_id}]
        return int(self.admin.makeTask("buildArch", params, arch="x86_64"))

    def wait(self, task_id: int, states: set[int] = FINISHED) -> dict[str, object]:
        deadline = time.monotonic() + TASK_TIMEOUT_S
        while time.monotonic() < deadline:
            info: dict[str, object] = self.admin.getTaskInfo(task_id)
            if info["state"] in states:
                return info
            time.sleep(0.5)
        raise AssertionError(f"task {task_id} still {info['state']} after {TASK_TIMEOUT_S}s")

    def containers(self, task_id: int | None = None) -> list[str]:
        labels = {LABEL_WORKER: self.worker_label}
        if task_id is not None:
            labels[LABEL_TASK_ID] = str(task_id)
        return [info.name for info in self.backend.list(labels)]

    def scratch_dir_left(self, task_id: int) -> bool:
        return (self.workdir / "tasks" / str(task_id % 10000) / str(task_id)).exists()


def _kojid_conf(site_dir: Path, hub: DevHubProcess, podman_url: str, image: str,
                label: str, workdir: Path) -> Path:
    path = site_dir / "kojid.conf"
    path.write_text(f"""\
[kojid]
server = {hub.server}
topurl = {hub.topurl}
topdir = {hub.admin.topdir}
workdir = {workdir}
cert = {hub.admin.client_cert(devhub_site.HOST)}
serverca = {hub.serverca}
maxjobs = 2
sleeptime = 1
minspace = 100
retry_interval = 2
max_retries = 10

[adjutant]
worker_name = {label}
podman_url = {podman_url}
task_image_default = {image}
repo_access = mount
stop_grace = {STOP_GRACE_S}
shutdown_grace = 5
""")
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, podman_url: str, task_image: str,
         worker_label: str) -> Iterator[Site]:
    base = tmp_path_factory.mktemp("worker-devhub")
    hub = DevHubProcess(base / "devhub")
    devhub_site.seed_site(hub.admin, base / "seed")
    repo_id = devhub_site.make_repo(hub.admin)
    hub.start()
    workdir = base / "work"
    workdir.mkdir()
    conf = _kojid_conf(base, hub, podman_url, task_image, worker_label, workdir)
    log = (base / "worker.log").open("w")
    worker = subprocess.Popen([sys.executable, "-m", "adjutant", "worker", "-c", str(conf),
                               "--fg"], stdout=log, stderr=subprocess.STDOUT,
                              env=dict(os.environ, PYTHONUNBUFFERED="1"))
    admin = koji.ClientSession(hub.server, {"serverca": str(hub.serverca)})
    admin.ssl_login(cert=str(hub.admin_cert), serverca=str(hub.serverca))
    try:
        yield Site(hub, admin, repo_id, workdir, worker_label,
                   PodmanBackend(podman_url, retry_attempts=2, retry_delay_s=0.5), base)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()
        hub.close()
        print((base / "worker.log").read_text()[-5000:])


def _fault(admin: koji.ClientSession, task_id: int) -> koji.GenericError:
    with pytest.raises(koji.GenericError) as caught:
        admin.getTaskResult(task_id)
    return caught.value


def test_builds_with_a_buildrequires_only_the_tag_repo_has(site: Site) -> None:
    task_id = site.submit("adjutant-needs-dep", build_requires="adjutant-dep",
                          build_script='test "$(cat /usr/share/adjutant-dep/marker)" = '
                                       "adjutant-dep")
    info = site.wait(task_id)
    assert info["state"] == koji.TASK_STATES["CLOSED"], site.admin.getTaskResult(task_id)
    result = site.admin.getTaskResult(task_id)
    upload = koji.pathinfo.taskrelpath(task_id)
    rpm = f"adjutant-needs-dep-1-1{devhub_site.DIST}.x86_64.rpm"
    srpm = f"adjutant-needs-dep-1-1{devhub_site.DIST}.src.rpm"
    assert sorted(result) == ["brootid", "logs", "rpms", "srpms"]  # kojid's buildArch result
    assert result["rpms"] == [f"{upload}/{rpm}"] and result["srpms"] == [f"{upload}/{srpm}"]
    for log in ("build.log", "root.log", "state.log", "hw_info.log", "installed_pkgs.log",
                "mock_output.log"):
        assert f"{upload}/{log}" in result["logs"]
    assert rpm in site.admin.listTaskOutput(task_id)
    buildroot = site.admin.getBuildroot(result["brootid"])
    assert buildroot["task_id"] == task_id and buildroot["repo_id"] == site.repo_id
    assert buildroot["state"] == koji.BR_STATES["EXPIRED"]
    assert buildroot["container_type"] == "chroot"  # as kojid's, whatever ran it
    listing = {(r["name"], r["is_update"]) for r in site.admin.getBuildrootListing(
        result["brootid"])}
    # the build group (the macros package) at init, the BuildRequires after: koji's own rpms
    assert listing == {("adjutant-test-macros", False), ("adjutant-dep", True)}
    assert site.containers(task_id) == [] and not site.scratch_dir_left(task_id)


def test_failing_build_fails_the_task_pointing_at_build_log(site: Site) -> None:
    task_id = site.submit("adjutant-fails", build_script="echo about to fail; exit 3")
    assert site.wait(task_id)["state"] == koji.TASK_STATES["FAILED"]
    fault = _fault(site.admin, task_id)
    assert isinstance(fault, koji.BuildError) and "build.log" in str(fault)
    outputs = site.admin.listTaskOutput(task_id)
    assert "build.log" in outputs and "root.log" in outputs
    assert b"about to fail" in site.admin.downloadTaskOutput(task_id, "build.log")
    assert site.containers(task_id) == [] and not site.scratch_dir_left(task_id)


def test_missing_buildrequires_names_the_dependency(site: Site) -> None:
    task_id = site.submit("adjutant-wants-ghost", build_requires="adjutant-no-such-package")
    assert site.wait(task_id)["state"] == koji.TASK_STATES["FAILED"]
    fault = _fault(site.admin, task_id)
    assert "adjutant-no-such-package" in str(fault)
    assert site.containers(task_id) == [] and not site.scratch_dir_left(task_id)


def test_cancel_during_build_removes_the_container_within_stop_grace(site: Site) -> None:
    task_id = site.submit("adjutant-slow", build_script="sleep 300")
    site.wait(task_id, {koji.TASK_STATES["OPEN"]})
    deadline = time.monotonic() + 60
    while not any("buildroot" in n for n in site.containers(task_id)):
        assert time.monotonic() < deadline, "the buildroot container never started"
        time.sleep(0.2)
    time.sleep(3)  # well into the build steps
    canceled_at = time.monotonic()
    assert site.admin.cancelTask(task_id)
    while site.containers(task_id):
        assert time.monotonic() - canceled_at < 30, "container outlived the cancel by 30 s"
        time.sleep(0.1)
    gone_after = time.monotonic() - canceled_at
    print(f"cancel: container gone {gone_after:.2f}s after the cancel call")
    assert gone_after <= STOP_GRACE_S + 2, f"container gone only after {gone_after:.1f}s"
    assert site.admin.getTaskInfo(task_id)["state"] == koji.TASK_STATES["CANCELED"]
    deadline = time.monotonic() + 15
    while site.scratch_dir_left(task_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not site.scratch_dir_left(task_id)


def test_two_tasks_run_at_once_in_separate_containers(site: Site) -> None:
    first = site.submit("adjutant-pair-a", build_script="sleep 8")
    second = site.submit("adjutant-pair-b", build_script="sleep 8")
    seen_together = False
    deadline = time.monotonic() + TASK_TIMEOUT_S
    while time.monotonic() < deadline:
        if site.containers(first) and site.containers(second):
            seen_together = True
        states = [site.admin.getTaskInfo(t)["state"] for t in (first, second)]
        if all(s in FINISHED for s in states):
            break
        time.sleep(0.3)
    assert seen_together, "the two tasks never had containers at the same time"
    for task_id in (first, second):
        assert site.admin.getTaskInfo(task_id)["state"] == koji.TASK_STATES["CLOSED"]
    assert site.containers() == []
