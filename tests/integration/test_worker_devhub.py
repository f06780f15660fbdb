"""`adjutant worker` end to end: devhub as the hub, real podman and the Debian task image.

One devhub process and one worker process (maxjobs 2) serve the module. The scenarios are
shared with tests/live (tests/scenarios/worker_builds.py); the devhub site also lets us check
exactly what the buildroot listing and the RPM must be.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import koji
import pytest

from adjutant.container.podman import PodmanBackend
from tests.scenarios import worker_builds
from tests.scenarios.worker_builds import WorkerSite
from tests.support import devhub_site
from tests.support.devhub_process import DevHubProcess
from tests.support.worker_process import kojid_conf, running_worker

pytestmark = pytest.mark.integration

STOP_GRACE_S = 3


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, podman_url: str, task_image: str,
         worker_label: str) -> Iterator[WorkerSite]:
    base = tmp_path_factory.mktemp("worker-devhub")
    hub = DevHubProcess(base / "devhub")
    devhub_site.seed_site(hub.admin, base / "seed")
    repo_id = devhub_site.make_repo(hub.admin)
    hub.start()
    workdir = base / "work"
    workdir.mkdir()
    conf = kojid_conf(
        base / "kojid.conf",
        {"server": hub.server, "topurl": hub.topurl, "topdir": str(hub.admin.topdir),
         "workdir": str(workdir), "cert": str(hub.admin.client_cert(devhub_site.HOST)),
         "serverca": str(hub.serverca), "maxjobs": "2", "sleeptime": "1", "minspace": "100",
         "retry_interval": "2", "max_retries": "10"},
        {"worker_name": worker_label, "podman_url": podman_url,
         "task_image_default": task_image, "repo_access": "mount",
         "stop_grace": str(STOP_GRACE_S), "shutdown_grace": "5"},
    )  # fmt: skip
    admin = koji.ClientSession(hub.server, {"serverca": str(hub.serverca)})
    admin.ssl_login(cert=str(hub.admin_cert), serverca=str(hub.serverca))
    try:
        with running_worker(conf, base / "worker.log"):
            yield WorkerSite(admin, devhub_site.BUILD_TAG, repo_id, workdir, worker_label,
                             PodmanBackend(podman_url, retry_attempts=2, retry_delay_s=0.5),
                             base, STOP_GRACE_S)
    finally:
        hub.close()


def test_builds_with_a_buildrequires_only_the_tag_repo_has(site: WorkerSite,
                                                           tmp_path: Path) -> None:
    result = worker_builds.build_succeeds(
        site, "adjutant-needs-dep", build_requires="adjutant-dep",
        build_script='test "$(cat /usr/share/adjutant-dep/marker)" = adjutant-dep',
    )
    upload = koji.pathinfo.taskrelpath(result["task_id"])
    rpm = f"adjutant-needs-dep-1-1{devhub_site.DIST}.x86_64.rpm"
    assert result["rpms"] == [f"{upload}/{rpm}"]  # %dist from the build group's package
    assert result["srpms"] == [f"{upload}/adjutant-needs-dep-1-1{devhub_site.DIST}.src.rpm"]
    listing = {(r["name"], r["is_update"])
               for r in site.admin.getBuildrootListing(result["brootid"])}
    # koji's own rpms only: the build group at init, the BuildRequires after it
    assert listing == {("adjutant-test-macros", False), ("adjutant-dep", True)}
    assert site.admin.getBuildroot(result["brootid"])["container_type"] == "chroot"
    local = tmp_path / rpm
    local.write_bytes(site.admin.downloadTaskOutput(result["task_id"], rpm))
    query = ["rpm", "-qp", "--qf", "%{RELEASE} %{SOURCERPM}", str(local)]
    release = subprocess.run(query, capture_output=True, text=True, check=True).stdout
    assert release == f"1{devhub_site.DIST} adjutant-needs-dep-1-1{devhub_site.DIST}.src.rpm"


def test_failing_build_fails_the_task_pointing_at_build_log(site: WorkerSite) -> None:
    worker_builds.failing_build_points_at_build_log(site)


def test_missing_buildrequires_names_the_dependency(site: WorkerSite) -> None:
    worker_builds.missing_buildrequires_is_named(site)


def test_cancel_during_build_removes_the_container_within_stop_grace(site: WorkerSite) -> None:
    gone_after = worker_builds.cancel_stops_the_container_within_stop_grace(site)
    print(f"cancel: container gone {gone_after:.2f}s after the cancel call")


def test_two_tasks_run_at_once_in_separate_containers(site: WorkerSite) -> None:
    worker_builds.two_tasks_run_at_once(site)
