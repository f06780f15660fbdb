"""The worker scenarios against a real koji hub (variables in conftest, plus these):

    ADJUTANT_LIVE_PODMAN_URL  podman API for the worker (default unix:///run/podman/podman.sock)
    ADJUTANT_LIVE_TASK_IMAGE  a task image that can install the live tag's build group

The host of ADJUTANT_LIVE_HOST_CERT must be free (no other worker logged in as it), in the
default channel, and the tag must have a current repo. Keep in step with
tests/integration/test_worker_devhub.py.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from adjutant.container.podman import PodmanBackend
from tests.scenarios import worker_builds
from tests.scenarios.worker_builds import WorkerSite
from tests.support.hub_endpoint import HubEndpoint
from tests.support.worker_process import kojid_conf, running_worker

STOP_GRACE_S = 5


@pytest.fixture(scope="module")
def live_site(live_endpoint: HubEndpoint,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerSite]:
    image = os.environ.get("ADJUTANT_LIVE_TASK_IMAGE")
    if not image:
        pytest.skip("ADJUTANT_LIVE_TASK_IMAGE is not set")
    podman_url = os.environ.get("ADJUTANT_LIVE_PODMAN_URL", "unix:///run/podman/podman.sock")
    base = tmp_path_factory.mktemp("live-worker")
    workdir = base / "work"
    workdir.mkdir()
    label = f"live-{uuid.uuid4().hex[:8]}"
    admin = live_endpoint.session(live_endpoint.admin_cert)
    repo = admin.getRepo(live_endpoint.build_tag)
    assert repo, f"tag {live_endpoint.build_tag} has no current repo"
    conf = kojid_conf(
        base / "kojid.conf",
        {"server": live_endpoint.server, "topurl": live_endpoint.topurl,
         "workdir": str(workdir), "cert": str(live_endpoint.host_cert),
         "serverca": str(live_endpoint.serverca), "maxjobs": "2", "sleeptime": "2"},
        {"worker_name": label, "podman_url": podman_url, "task_image_default": image,
         "repo_access": "topurl", "stop_grace": str(STOP_GRACE_S), "shutdown_grace": "10"},
    )  # fmt: skip
    with running_worker(conf, base / "worker.log"):
        yield WorkerSite(admin, live_endpoint.build_tag, repo["id"], workdir, label,
                         PodmanBackend(podman_url), base, STOP_GRACE_S)


def test_live_build_succeeds(live_site: WorkerSite) -> None:
    worker_builds.build_succeeds(live_site, "adjutant-live-hello")


def test_live_failing_build(live_site: WorkerSite) -> None:
    worker_builds.failing_build_points_at_build_log(live_site)


def test_live_missing_buildrequires(live_site: WorkerSite) -> None:
    worker_builds.missing_buildrequires_is_named(live_site)


def test_live_cancel(live_site: WorkerSite) -> None:
    worker_builds.cancel_stops_the_container_within_stop_grace(live_site)


def test_live_two_at_once(live_site: WorkerSite) -> None:
    worker_builds.two_tasks_run_at_once(live_site)
