"""Live-hub tests: the devhub end-to-end scenarios against a real koji hub.

Set these to run them (they are skipped otherwise, since no real hub is reachable here):

    ADJUTANT_LIVE_SERVER      hub URL, e.g. https://koji.example.com/kojihub
    ADJUTANT_LIVE_TOPURL      files URL, e.g. https://koji.example.com/kojifiles
    ADJUTANT_LIVE_SERVERCA    CA bundle that signed the hub's certificate
    ADJUTANT_LIVE_ADMIN_CERT  client cert+key (PEM) of a user with the admin permission
    ADJUTANT_LIVE_HOST_CERT   client cert+key (PEM) of a registered build host
    ADJUTANT_LIVE_HOST_NAME   that host's name on the hub
    ADJUTANT_LIVE_TARGET      a build target
    ADJUTANT_LIVE_TAG         that target's build tag

Worker tests also need ADJUTANT_LIVE_TASK_IMAGE (and ADJUTANT_LIVE_PODMAN_URL if not the
default socket); the SCM build tests need ADJUTANT_LIVE_GIT_URL (a git+http(s) URL of a
repository holding one spec) and ADJUTANT_LIVE_CHAIN_URLS (two such URLs, space-separated,
the second BuildRequiring the first). ADJUTANT_LIVE_ALLOWED_SCMS sets the worker's
allowed_scms (default: every SCM, no source command). The repo task tests need
ADJUTANT_LIVE_TOPDIR (the hub's topdir, mounted read-write here, as for kojid; the host must
be in the createrepo channel); the external repo test also ADJUTANT_LIVE_EXTERNAL_REPO_URL
(a yum repo, `$arch` allowed, reachable from here and from buildroots) and
ADJUTANT_LIVE_EXTERNAL_PACKAGE (a package it has).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from adjutant.container.podman import PodmanBackend
from tests.live.markers import MISSING, PATHS, VARIABLES
from tests.scenarios.worker_builds import WorkerSite
from tests.support.hub_endpoint import HubEndpoint
from tests.support.worker_process import kojid_conf, running_worker


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/live/" in str(item.fspath):
            item.add_marker(pytest.mark.live)
            item.add_marker(
                pytest.mark.skipif(
                    bool(MISSING),
                    reason=f"no live koji hub configured (unset: {', '.join(MISSING)})",
                )
            )


@pytest.fixture(scope="session")
def live_endpoint() -> HubEndpoint:
    values: dict[str, object] = {key: os.environ[var] for key, var in VARIABLES.items()}
    for key in PATHS:
        values[key] = Path(str(values[key]))
    return HubEndpoint(**values)  # type: ignore[arg-type]


STOP_GRACE_S = 5


# Per module, not per session: test_live_hub logs in as the same host with a forced
# exclusive session, which would end a worker left running across modules.
@pytest.fixture(scope="module")
def live_site(
    live_endpoint: HubEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerSite]:
    image = os.environ["ADJUTANT_LIVE_TASK_IMAGE"]  # tests using this are marked needs_worker
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
         "serverca": str(live_endpoint.serverca), "sleeptime": "2",
         # a chain build holds 3 slots on a host that runs all of it
         "maxjobs": "4",
         "allowed_scms": os.environ.get("ADJUTANT_LIVE_ALLOWED_SCMS", "*:*:no:"),
         **({"topdir": os.environ["ADJUTANT_LIVE_TOPDIR"]}
            if os.environ.get("ADJUTANT_LIVE_TOPDIR") else {})},
        {"worker_name": label, "podman_url": podman_url, "task_image_default": image,
         "repo_access": "topurl", "stop_grace": str(STOP_GRACE_S), "shutdown_grace": "10",
         # its own state, and no dashboard on the default port beside other test workers
         "state_db": str(base / "state.db"), "dashboard_enabled": "false"},
    )  # fmt: skip
    with running_worker(conf, base / "worker.log"):
        yield WorkerSite(
            admin,
            live_endpoint.build_tag,
            repo["id"],
            workdir,
            label,
            PodmanBackend(podman_url),
            base,
            STOP_GRACE_S,
        )
