"""A devhub process with an `adjutant worker` serving it: the site end-to-end tests build on.

The hub is seeded by devhub_site (tags, target, host, a current repo); the worker (maxjobs 2,
topdir shared with the hub, buildroots mounting it) logs in with the host's client cert.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import koji

from adjutant.container.podman import PodmanBackend
from adjutant.devhub.app import DevHub
from tests.scenarios.worker_builds import WorkerSite
from tests.support import devhub_site
from tests.support.devhub_process import DevHubProcess
from tests.support.worker_process import kojid_conf, running_worker

STOP_GRACE_S = 3
# long enough that two builds reach their buildroots within it on a busy 2-core CI machine
POLICY_TTL_S = 20


@dataclass
class DevhubSite(WorkerSite):
    """The worker site, plus direct admin access to devhub (to make tags and repos)."""

    hub_admin: DevHub | None = None
    kojid_conf: Path | None = None
    topurl: str = ""
    worker_pid: int = 0


@contextmanager
def devhub_worker_site(
    base: Path,
    podman_url: str,
    task_image: str,
    worker_label: str,
    kojid_extra: dict[str, str] | None = None,
    adjutant_extra: dict[str, str] | None = None,
) -> Iterator[DevhubSite]:
    """Start devhub and the worker under ``base``; stop both when the block ends."""
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
         "retry_interval": "2", "max_retries": "10", **(kojid_extra or {})},
        {"worker_name": worker_label, "podman_url": podman_url,
         "task_image_default": task_image, "repo_access": "mount",
         "stop_grace": str(STOP_GRACE_S), "shutdown_grace": "5",
         "policy_enabled": "true", "policy_cache_ttl": str(POLICY_TTL_S),
         "image_pull_policy": "never", "state_db": str(base / "state.db"),
         "dashboard_enabled": "false", **(adjutant_extra or {})},
    )  # fmt: skip
    admin = koji.ClientSession(hub.server, {"serverca": str(hub.serverca)})
    admin.ssl_login(cert=str(hub.admin_cert), serverca=str(hub.serverca))
    try:
        with running_worker(conf, base / "worker.log") as worker:
            yield DevhubSite(
                admin,
                devhub_site.BUILD_TAG,
                repo_id,
                workdir,
                worker_label,
                PodmanBackend(podman_url, retry_attempts=2, retry_delay_s=0.5),
                base,
                STOP_GRACE_S,
                worker_log=base / "worker.log",
                hub_admin=hub.admin,
                kojid_conf=conf,
                topurl=hub.topurl,
                worker_pid=worker.pid,
            )
    finally:
        hub.close()
