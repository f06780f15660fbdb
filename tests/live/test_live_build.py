"""The build pipeline against a real koji hub, with the stock koji CLI submitting (variables
in conftest). Non-scratch builds add a uniquely named package to the destination tag's list
and leave a build on the hub. Keep in step with the `koji build` tests in
tests/integration/test_worker_devhub.py.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import koji
import pytest

from tests.live.markers import needs_worker
from tests.scenarios import worker_builds
from tests.scenarios.worker_builds import WorkerSite
from tests.support.hub_endpoint import HubEndpoint
from tests.support.srpms import build_srpm, simple_spec, subpackage_spec

pytestmark = needs_worker


def _scratch_build(endpoint: HubEndpoint, site: WorkerSite, tmp_path: Path, source: str) -> int:
    return _submit(endpoint, tmp_path, "build", "--scratch", endpoint.target, source)


def _submit(endpoint: HubEndpoint, tmp_path: Path, *args: str) -> int:
    """Run `koji <args> --nowait` and return the task it created."""
    config = endpoint.write_koji_config(tmp_path)
    done = endpoint.koji_cli(config, *args, "--nowait")
    assert done.returncode == 0, done.stdout + done.stderr
    match = re.search(r"Created task: (\d+)", done.stdout)
    assert match, done.stdout
    return int(match.group(1))


def test_live_scratch_build_from_an_srpm(
    live_endpoint: HubEndpoint, live_site: WorkerSite, tmp_path: Path
) -> None:
    srpm = build_srpm(simple_spec("adjutant-live-scratch"), tmp_path / "s")
    task_id = _scratch_build(live_endpoint, live_site, tmp_path, str(srpm))
    assert live_site.wait(task_id)["state"] == koji.TASK_STATES["CLOSED"], worker_builds.fault_of(
        live_site.admin, task_id
    )
    methods = {c["method"] for c in live_site.admin.getTaskChildren(task_id)}
    assert {"rebuildSRPM", "buildArch"} <= methods
    assert live_site.admin.listBuilds(taskID=task_id) == []


def test_live_failing_scratch_build_fails_the_parent(
    live_endpoint: HubEndpoint, live_site: WorkerSite, tmp_path: Path
) -> None:
    srpm = build_srpm(simple_spec("adjutant-live-breaks", build_script="exit 1"), tmp_path / "s")
    task_id = _scratch_build(live_endpoint, live_site, tmp_path, str(srpm))
    assert live_site.wait(task_id)["state"] == koji.TASK_STATES["FAILED"]
    assert "build.log" in str(worker_builds.fault_of(live_site.admin, task_id))


def test_live_password_in_scm_url_is_refused(
    live_endpoint: HubEndpoint, live_site: WorkerSite, tmp_path: Path
) -> None:
    task_id = _scratch_build(
        live_endpoint, live_site, tmp_path, "git+https://joe:secret@git.example.com/x.git#main"
    )
    assert live_site.wait(task_id)["state"] == koji.TASK_STATES["FAILED"]
    srpm = {c["label"]: c for c in live_site.admin.getTaskChildren(task_id)}["srpm"]
    fault = str(worker_builds.fault_of(live_site.admin, srpm["id"]))
    assert "username:password format not supported" in fault
    if srpm["host_id"] == live_site.admin.getHost(live_endpoint.host_name)["id"]:
        assert "secret" not in fault  # kojid quotes the password; adjutant does not


def _list_in_dest(endpoint: HubEndpoint, site: WorkerSite, name: str) -> str:
    dest = site.admin.getBuildTarget(endpoint.target)["dest_tag_name"]
    owner = site.admin.getLoggedInUser()["name"]
    site.admin.packageListAdd(dest, name, owner)
    return str(dest)


def test_live_build_completes_and_is_tagged(
    live_endpoint: HubEndpoint, live_site: WorkerSite, tmp_path: Path
) -> None:
    name = f"adjutant-live-{uuid.uuid4().hex[:8]}"
    dest = _list_in_dest(live_endpoint, live_site, name)
    srpm = build_srpm(simple_spec(name), tmp_path / "s")
    task_id = _submit(live_endpoint, tmp_path, "build", live_endpoint.target, str(srpm))
    assert live_site.wait(task_id)["state"] == koji.TASK_STATES["CLOSED"], worker_builds.fault_of(
        live_site.admin, task_id
    )
    [build] = live_site.admin.listBuilds(taskID=task_id)
    assert build["state"] == koji.BUILD_STATES["COMPLETE"]
    assert [b["nvr"] for b in live_site.admin.listTagged(dest, package=name)] == [build["nvr"]]


def test_live_build_imports_every_subpackage_under_its_own_name(
    live_endpoint: HubEndpoint, live_site: WorkerSite, tmp_path: Path
) -> None:
    name = f"adjutant-live-lib-{uuid.uuid4().hex[:8]}"
    _list_in_dest(live_endpoint, live_site, name)
    srpm = build_srpm(subpackage_spec(name), tmp_path / "s")
    task_id = _submit(live_endpoint, tmp_path, "build", live_endpoint.target, str(srpm))
    assert live_site.wait(task_id)["state"] == koji.TASK_STATES["CLOSED"], worker_builds.fault_of(
        live_site.admin, task_id
    )
    [build] = live_site.admin.listBuilds(taskID=task_id)
    worker_builds.subpackages_are_imported_under_their_own_names(
        live_site.admin, task_id, build["nvr"]
    )


def _urls(variable: str) -> list[str]:
    return os.environ.get(variable, "").split()


def _needs_urls(variable: str, count: int) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        len(_urls(variable)) != count, reason=f"{variable} is not set to {count} git URL(s)"
    )


@_needs_urls("ADJUTANT_LIVE_GIT_URL", 1)
def test_live_build_from_git(
    live_endpoint: HubEndpoint, live_site: WorkerSite, tmp_path: Path
) -> None:
    [url] = _urls("ADJUTANT_LIVE_GIT_URL")
    task_id = _submit(live_endpoint, tmp_path, "build", "--scratch", live_endpoint.target, url)
    assert live_site.wait(task_id)["state"] == koji.TASK_STATES["CLOSED"], worker_builds.fault_of(
        live_site.admin, task_id
    )
    srpm_task = {c["label"]: c for c in live_site.admin.getTaskChildren(task_id)}["srpm"]
    assert srpm_task["method"] == "buildSRPMFromSCM"


@_needs_urls("ADJUTANT_LIVE_CHAIN_URLS", 2)
def test_live_chain_build(
    live_endpoint: HubEndpoint, live_site: WorkerSite, tmp_path: Path
) -> None:
    first, second = _urls("ADJUTANT_LIVE_CHAIN_URLS")
    task_id = _submit(
        live_endpoint, tmp_path, "chain-build", live_endpoint.target, first, ":", second
    )
    assert live_site.wait(task_id)["state"] == koji.TASK_STATES["CLOSED"], worker_builds.fault_of(
        live_site.admin, task_id
    )
    methods = [c["method"] for c in live_site.admin.getTaskChildren(task_id)]
    assert methods.count("build") == 2 and "waitrepo" in methods
