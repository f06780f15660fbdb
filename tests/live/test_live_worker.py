"""The worker scenarios against a real koji hub (variables in conftest, plus these):

    ADJUTANT_LIVE_PODMAN_URL  podman API for the worker (default unix:///run/podman/podman.sock)
    ADJUTANT_LIVE_TASK_IMAGE  a task image that can install the live tag's build group

The host of ADJUTANT_LIVE_HOST_CERT must be free (no other worker logged in as it), in the
default channel, and the tag must have a current repo. Keep in step with
tests/integration/test_worker_devhub.py.
"""

from __future__ import annotations

from tests.live.markers import needs_worker
from tests.scenarios import worker_builds
from tests.scenarios.worker_builds import WorkerSite

pytestmark = needs_worker


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
