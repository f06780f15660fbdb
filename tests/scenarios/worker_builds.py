"""End-to-end worker scenarios: buildArch tasks submitted through a hub to a running
`adjutant worker`. tests/integration runs them against devhub, tests/live against a real hub.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import koji
import pytest

from adjutant.container.backend import LABEL_TASK_ID, LABEL_WORKER
from adjutant.container.podman import PodmanBackend
from tests.support.srpms import build_srpm, simple_spec

TASK_TIMEOUT_S = 600.0
FINISHED = {koji.TASK_STATES[s] for s in ("CLOSED", "FAILED", "CANCELED")}


@dataclass
class WorkerSite:
    """A hub (admin session), a build tag with a current repo, and a worker serving them."""

    admin: koji.ClientSession
    build_tag: str
    repo_id: int
    workdir: Path
    worker_label: str
    backend: PodmanBackend
    scratch: Path
    stop_grace_s: int
    worker_log: Path | None = None

    def submit(
        self,
        name: str,
        build_script: str = "true",
        build_requires: str = "",
        tag: str | None = None,
        repo_id: int | None = None,
    ) -> int:
        """Upload an SRPM of a one-file package and create its buildArch task (on the
        site's build tag and repo unless given)."""
        spec = simple_spec(name, build_script=build_script, build_requires=build_requires)
        srpm = build_srpm(spec, self.scratch / f"{name}-{time.time_ns()}")
        return self.submit_srpm(srpm, tag=tag, repo_id=repo_id)

    def submit_srpm(self, srpm: Path, tag: str | None = None, repo_id: int | None = None) -> int:
        """Upload ``srpm`` and create its buildArch task for x86_64."""
        upload = f"cli-build/adjutant-{time.time_ns()}"
        self.admin.uploadWrapper(str(srpm), upload)
        params = [
            f"{upload}/{srpm.name}",
            tag or self.build_tag,
            "x86_64",
            True,
            {"repo_id": repo_id or self.repo_id},
        ]
        return int(self.admin.makeTask("buildArch", params, arch="x86_64"))

    def wait(self, task_id: int, states: set[int] = FINISHED) -> dict[str, Any]:
        deadline = time.monotonic() + TASK_TIMEOUT_S
        info: dict[str, Any] = {}
        while time.monotonic() < deadline:
            info = self.admin.getTaskInfo(task_id)
            if info["state"] in states:
                return info
            time.sleep(0.5)
        raise AssertionError(f"task {task_id} still {info.get('state')} after {TASK_TIMEOUT_S}s")

    def containers(self, task_id: int | None = None) -> list[str]:
        labels = {LABEL_WORKER: self.worker_label}
        if task_id is not None:
            labels[LABEL_TASK_ID] = str(task_id)
        return [info.name for info in self.backend.list(labels)]

    def scratch_dir_left(self, task_id: int) -> bool:
        return (self.workdir / "tasks" / str(task_id % 10000) / str(task_id)).exists()

    def assert_clean(self, task_id: int) -> None:
        assert self.containers(task_id) == []
        deadline = time.monotonic() + 15
        while self.scratch_dir_left(task_id) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not self.scratch_dir_left(task_id)


def fault_of(admin: koji.ClientSession, task_id: int) -> koji.GenericError:
    with pytest.raises(koji.GenericError) as caught:
        admin.getTaskResult(task_id)
    return caught.value


def build_succeeds(
    site: WorkerSite, name: str, *, repo_id: int | None = None, tag: str | None = None, **spec: str
) -> dict[str, Any]:
    """A buildArch task closes with kojid's result shape; returns the result."""
    task_id = site.submit(name, tag=tag, repo_id=repo_id, **spec)
    info = site.wait(task_id)
    assert info["state"] == koji.TASK_STATES["CLOSED"], fault_of(site.admin, task_id)
    result: dict[str, Any] = site.admin.getTaskResult(task_id)
    upload = koji.pathinfo.taskrelpath(task_id)
    assert sorted(result) == ["brootid", "logs", "rpms", "srpms"]
    assert [Path(p).parent.as_posix() for p in result["rpms"] + result["srpms"]] == [upload] * (
        len(result["rpms"]) + 1
    )
    for log in (
        "build.log",
        "root.log",
        "state.log",
        "hw_info.log",
        "installed_pkgs.log",
        "mock_output.log",
    ):
        assert f"{upload}/{log}" in result["logs"]
    outputs = site.admin.listTaskOutput(task_id)
    assert all(Path(p).name in outputs for p in result["rpms"] + result["srpms"])
    buildroot = site.admin.getBuildroot(result["brootid"])
    assert buildroot["task_id"] == task_id
    assert buildroot["repo_id"] == (repo_id or site.repo_id)
    assert buildroot["state"] == koji.BR_STATES["EXPIRED"]
    assert site.admin.getBuildrootListing(result["brootid"])  # the build group, at least
    site.assert_clean(task_id)
    result["task_id"] = task_id
    return result


def subpackages_are_imported_under_their_own_names(
    admin: koji.ClientSession, task_id: int, nvr: str
) -> None:
    """A `koji build` of tests.support.srpms.subpackage_spec (NVR ``nvr``) closed; its
    buildArch uploaded three RPMs, each named by its own header, and the hub imported all
    three (the hub refuses a file whose name is not the one its header gives)."""
    assert admin.getTaskInfo(task_id)["state"] == koji.TASK_STATES["CLOSED"], fault_of(
        admin, task_id
    )
    name, version, release = nvr.rsplit("-", 2)
    expected = sorted(
        [
            f"{name}-{version}-{release}.x86_64.rpm",
            f"{name}-devel-{version}-{release}.x86_64.rpm",
            f"{name}-doc-{version}-{release}.noarch.rpm",
        ]
    )
    [build_arch] = [c for c in admin.getTaskChildren(task_id) if c["method"] == "buildArch"]
    uploaded = admin.getTaskResult(build_arch["id"])["rpms"]
    assert sorted(Path(p).name for p in uploaded) == expected
    [build] = admin.listBuilds(taskID=task_id)
    imported = admin.listRPMs(buildID=build["build_id"])
    # listRPMs entries carry name, version, release and arch (no nvr, as on the hub)
    names = [f"{r['name']}-{r['version']}-{r['release']}.{r['arch']}.rpm" for r in imported]
    assert sorted(n for n in names if not n.endswith(".src.rpm")) == expected


def failing_build_points_at_build_log(site: WorkerSite) -> None:
    task_id = site.submit("adjutant-fails", build_script="echo about to fail; exit 3")
    assert site.wait(task_id)["state"] == koji.TASK_STATES["FAILED"]
    fault = fault_of(site.admin, task_id)
    assert isinstance(fault, koji.BuildError) and "build.log" in str(fault)
    outputs = site.admin.listTaskOutput(task_id)
    assert "build.log" in outputs and "root.log" in outputs
    assert b"about to fail" in site.admin.downloadTaskOutput(task_id, "build.log")
    site.assert_clean(task_id)


def missing_buildrequires_is_named(site: WorkerSite) -> None:
    task_id = site.submit("adjutant-wants-ghost", build_requires="adjutant-no-such-package")
    assert site.wait(task_id)["state"] == koji.TASK_STATES["FAILED"]
    assert "adjutant-no-such-package" in str(fault_of(site.admin, task_id))
    site.assert_clean(task_id)


def cancel_stops_the_container_within_stop_grace(site: WorkerSite) -> float:
    """Returns the seconds from the cancel call until the task's container was gone."""
    task_id = site.submit("adjutant-slow", build_script="sleep 300")
    site.wait(task_id, {koji.TASK_STATES["OPEN"]})
    deadline = time.monotonic() + 300
    while not any("buildroot" in n for n in site.containers(task_id)):
        assert time.monotonic() < deadline, "the buildroot container never started"
        time.sleep(0.2)
    time.sleep(3)  # well into the build steps
    canceled_at = time.monotonic()
    site.admin.cancelTask(task_id)  # the hub answers None; the state below is the check
    while site.containers(task_id):
        assert time.monotonic() - canceled_at < 30, "container outlived the cancel by 30 s"
        time.sleep(0.1)
    gone_after = time.monotonic() - canceled_at
    assert gone_after <= site.stop_grace_s + 2, f"container gone only after {gone_after:.1f}s"
    assert site.admin.getTaskInfo(task_id)["state"] == koji.TASK_STATES["CANCELED"]
    site.assert_clean(task_id)
    return gone_after


def two_tasks_run_at_once(site: WorkerSite) -> None:
    """With maxjobs >= 2, two tasks have their containers at the same time; both close."""
    first = site.submit("adjutant-pair-a", build_script="sleep 8")
    second = site.submit("adjutant-pair-b", build_script="sleep 8")
    seen_together = False
    deadline = time.monotonic() + TASK_TIMEOUT_S
    while time.monotonic() < deadline:
        if site.containers(first) and site.containers(second):
            seen_together = True
        if all(site.admin.getTaskInfo(t)["state"] in FINISHED for t in (first, second)):
            break
        time.sleep(0.3)
    assert seen_together, "the two tasks never had containers at the same time"
    for task_id in (first, second):
        assert site.admin.getTaskInfo(task_id)["state"] == koji.TASK_STATES["CLOSED"]
        site.assert_clean(task_id)
