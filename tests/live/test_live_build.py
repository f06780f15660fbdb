"""The build pipeline against a real koji hub, with the stock koji CLI submitting (variables
in conftest). Scratch builds only: they need no package list entry and import nothing.
Keep in step with the `koji build` tests in tests/integration/test_worker_devhub.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import koji

from tests.scenarios import worker_builds
from tests.scenarios.worker_builds import WorkerSite
from tests.support.hub_endpoint import HubEndpoint
from tests.support.srpms import build_srpm, simple_spec


def _scratch_build(endpoint: HubEndpoint, site: WorkerSite, tmp_path: Path, source: str) -> int:
    config = endpoint.write_koji_config(tmp_path)
    done = endpoint.koji_cli(config, "build", "--scratch", "--nowait", endpoint.target, source)
    assert done.returncode == 0, done.stdout + done.stderr
    match = re.search(r"Created task: (\d+)", done.stdout)
    assert match, done.stdout
    return int(match.group(1))


def test_live_scratch_build_from_an_srpm(live_endpoint: HubEndpoint, live_site: WorkerSite,
                                         tmp_path: Path) -> None:
    srpm = build_srpm(simple_spec("adjutant-live-scratch"), tmp_path / "s")
    task_id = _scratch_build(live_endpoint, live_site, tmp_path, str(srpm))
    assert live_site.wait(task_id)["state"] == koji.TASK_STATES["CLOSED"], \
        worker_builds.fault_of(live_site.admin, task_id)
    methods = {c["method"] for c in live_site.admin.getTaskChildren(task_id)}
    assert {"rebuildSRPM", "buildArch"} <= methods
    assert live_site.admin.listBuilds(taskID=task_id) == []


def test_live_failing_scratch_build_fails_the_parent(live_endpoint: HubEndpoint,
                                                    live_site: WorkerSite,
                                                    tmp_path: Path) -> None:
    srpm = build_srpm(simple_spec("adjutant-live-breaks", build_script="exit 1"),
                      tmp_path / "s")
    task_id = _scratch_build(live_endpoint, live_site, tmp_path, str(srpm))
    assert live_site.wait(task_id)["state"] == koji.TASK_STATES["FAILED"]
    assert "build.log" in str(worker_builds.fault_of(live_site.admin, task_id))


def test_live_password_in_scm_url_is_refused(live_endpoint: HubEndpoint,
                                            live_site: WorkerSite, tmp_path: Path) -> None:
    task_id = _scratch_build(live_endpoint, live_site, tmp_path,
                             "git+https://joe:secret@git.example.com/x.git#main")
    assert live_site.wait(task_id)["state"] == koji.TASK_STATES["FAILED"]
    srpm = {c["label"]: c for c in live_site.admin.getTaskChildren(task_id)}["srpm"]
    fault = str(worker_builds.fault_of(live_site.admin, srpm["id"]))
    assert "username:password format not supported" in fault
    if srpm["host_id"] == live_site.admin.getHost(live_endpoint.host_name)["id"]:
        assert "secret" not in fault  # kojid quotes the password; adjutant does not
