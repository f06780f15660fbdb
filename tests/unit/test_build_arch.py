"""buildArch as the hub sees it: parameters, calls, uploads and kojid's result shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import koji
import koji.rpmdiff
import pytest
from koji.tasks import RefuseTask

from adjutant.buildroot.container_steps import LOG_NAMES
from adjutant.config import AdjutantSettings, KojidSettings, RepoAccess, Settings
from adjutant.container.fake import FakeBackend
from adjutant.errors import BuildFailed, BuildrootError, ContainerUnavailable, TaskParamError
from adjutant.tasks import HANDLERS
from adjutant.tasks.build_arch import BuildArchTask
from adjutant.tasks.context import TaskContext
from tests.support.fake_hub import (
    CREATE_EVENT,
    REPO_ID,
    RPM_NAMES,
    RPMS_DIR,
    SRPM_NAME,
    TAG_NAME,
    TASK_ID,
    FakeHub,
    make_hub,
    script_buildroot,
    write_koji_repo,
)

IMAGE = "localhost/adjutant/test:1"
UPLOAD_PATH = koji.pathinfo.taskrelpath(TASK_ID)
PKG = f"cli-build/1700000000.1.AbCd/{SRPM_NAME}"
BUILDROOT_SEQUENCE = [
    "repoInfo",
    "getBuildConfig",
    "host.newBuildRoot",
    "getExternalRepoList",
    "host.setBuildRootList",
    "host.setBuildRootState",
    "getExternalRepoList",
    "host.updateBuildRootList",
]


class Harness:
    """A BuildArchTask on a FakeHub and a FakeBackend, with the SRPM in the topdir's work dir."""

    def __init__(self, tmp_path: Path, *, script: bool = True, **hub: Any) -> None:
        self.settings = Settings(
            kojid=KojidSettings(topdir=tmp_path / "koji", workdir=tmp_path / "work"),
            adjutant=AdjutantSettings(
                worker_name="unit-worker", repo_access=RepoAccess.MOUNT, task_image_default=IMAGE
            ),
        )
        write_koji_repo(tmp_path / "koji")
        srpm = tmp_path / "koji" / "work" / PKG
        srpm.parent.mkdir(parents=True)
        srpm.write_bytes((RPMS_DIR / SRPM_NAME).read_bytes())
        self.hub: FakeHub = make_hub(**hub)
        self.backend = FakeBackend([IMAGE])
        if script:
            script_buildroot(self.backend)

    def task(self, *params: Any) -> BuildArchTask:
        backend = self.backend
        context = TaskContext.from_settings(self.settings, factory=lambda: backend)
        task = BuildArchTask(TASK_ID, "buildArch", list(params), self.hub,
                             self.settings.kojid_options())  # fmt: skip
        task.bind(context)
        return task

    def run(self, arch: str = "x86_64", keep_srpm: bool = True, **opts: Any) -> Any:
        return self.task(PKG, TAG_NAME, arch, keep_srpm, {"repo_id": REPO_ID, **opts}).run()


def test_build_arch_returns_kojids_result_shape(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    result = harness.run()

    assert result == {
        "rpms": [f"{UPLOAD_PATH}/{name}" for name in RPM_NAMES],
        "srpms": [f"{UPLOAD_PATH}/{SRPM_NAME}"],
        "logs": [f"{UPLOAD_PATH}/{name}" for name in (*LOG_NAMES, "noarch_rpmdiff.json")],
        "brootid": 501,
    }
    for path in result["rpms"] + result["srpms"] + result["logs"]:
        name = path.rsplit("/", 1)[1]
        assert (UPLOAD_PATH, name) in harness.hub.uploads, name
    for name in RPM_NAMES:
        assert harness.hub.uploaded(name) == (RPMS_DIR / name).read_bytes()
    assert harness.backend.containers == {}


def test_hub_sees_kojids_call_sequence_with_uploads_before_expiry(tmp_path: Path) -> None:
    harness = Harness(tmp_path, average_build_s=9600.0)
    harness.run()

    assert harness.hub.methods == [
        "repoInfo", "getAverageBuildDuration", "host.setTaskWeight", "host.getHost",
        "getBuildConfig", *BUILDROOT_SEQUENCE,
        "uploadWrapper", "uploadWrapper", "uploadWrapper", "uploadWrapper",
        "host.setBuildRootState",
    ]  # fmt: skip
    calls = harness.hub.calls
    assert calls[1].args == ("adjutant-demo",) and calls[1].kwargs == {"age": 6}
    assert calls[2].args == (TASK_ID, 1.5 + 9600.0 / 4800.0)
    assert calls[4].args == (TAG_NAME,) and calls[4].kwargs == {"event": CREATE_EVENT}
    uploads = [Path(c.args[0]).name for c in harness.hub.calls_to("uploadWrapper")]
    assert uploads == ["noarch_rpmdiff.json", *RPM_NAMES, SRPM_NAME]
    assert all(c.args[1] == UPLOAD_PATH for c in harness.hub.calls_to("uploadWrapper"))
    assert calls[-1].args[1] == "EXPIRED"


def test_noarch_packages_get_kojis_rpmdiff_hashes(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.run()
    noarch = "adjutant-demo-data-1.0-1.fc40.noarch.rpm"
    path = str(RPMS_DIR / noarch)
    expected = koji.rpmdiff.Rpmdiff(path, path, ignore="S5TN").kojihash()
    assert json.loads(harness.hub.uploaded("noarch_rpmdiff.json")) == {
        str(TASK_ID): {noarch: expected}
    }


def test_srpm_is_neither_uploaded_nor_returned_unless_kept(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    result = harness.run(keep_srpm=False)
    assert result["srpms"] == []
    assert SRPM_NAME not in harness.hub.uploaded_names


def test_kept_srpm_without_packager_fails_as_kojid_does(tmp_path: Path) -> None:
    harness = Harness(tmp_path, script=False)
    script_buildroot(harness.backend, srpm=RPMS_DIR / "plain" / SRPM_NAME)
    with pytest.raises(BuildFailed, match="^The build system failed to set the packager tag$"):
        harness.run()
    assert SRPM_NAME not in harness.hub.uploaded_names
    assert harness.hub.calls[-1].args[1] == "EXPIRED"
    assert harness.backend.containers == {}


def test_failed_rpmbuild_fails_the_task_uploads_logs_and_no_packages(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.backend.on_exec(("rpmbuild", "-bb"), exit_code=1, output=b"error: File not found\n")
    with pytest.raises(BuildFailed, match=r"^error building package \(arch x86_64\), .*build.log"):
        harness.run()
    assert harness.hub.calls_to("uploadWrapper") == []
    assert b"error: File not found" in harness.hub.uploaded("build.log")
    assert "host.updateBuildRootList" in harness.hub.methods
    assert harness.hub.calls[-1].args[1] == "EXPIRED"
    assert harness.backend.containers == {}


@pytest.mark.parametrize(
    ("pkg", "root", "arch", "keep", "opts", "message"),
    [
        (PKG, TAG_NAME, "x86_64", True, None, "missing repo_id"),
        (PKG, TAG_NAME, "x86_64", True, {}, "missing repo_id"),
        (PKG, TAG_NAME, "x86_64", True, {"repo_id": "7"}, "repo_id must be a positive integer"),
        (PKG, TAG_NAME, "x86_64", True, {"repo_id": True}, "repo_id must be a positive integer"),
        (PKG, TAG_NAME, "x86_64", True, ["repo_id"], "opts must be a mapping"),
        (f"../{SRPM_NAME}", TAG_NAME, "x86_64", True, {"repo_id": 7}, "unsafe SRPM path"),
        (f"/etc/{SRPM_NAME}", TAG_NAME, "x86_64", True, {"repo_id": 7}, "unsafe SRPM path"),
        ("cli-build/x/.hidden.src.rpm", TAG_NAME, "x86_64", True, {"repo_id": 7}, "invalid SRPM"),
        ("cli-build/x/foo.x86_64.rpm", TAG_NAME, "x86_64", True, {"repo_id": 7}, "not an SRPM"),
        (PKG, TAG_NAME, "x86_64 i686", True, {"repo_id": 7}, "invalid arch"),
        (PKG, TAG_NAME, "../x", True, {"repo_id": 7}, "invalid arch"),
        (PKG, "", "x86_64", True, {"repo_id": 7}, "invalid build tag"),
        (PKG, True, "x86_64", True, {"repo_id": 7}, "invalid build tag"),
        (PKG, TAG_NAME, "x86_64", "yes", {"repo_id": 7}, "keep_srpm must be a boolean"),
    ],
)
def test_bad_parameters_fail_at_entry_naming_the_problem(
    tmp_path: Path, pkg: Any, root: Any, arch: Any, keep: Any, opts: Any, message: str
) -> None:
    harness = Harness(tmp_path)
    with pytest.raises(TaskParamError, match=message) as failure:
        harness.task(pkg, root, arch, keep, opts).run()
    assert failure.value.faultCode == koji.ParameterError.faultCode
    assert harness.hub.calls == [] and harness.backend.calls == []


def test_wrong_number_of_parameters_is_kojis_parameter_error(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    with pytest.raises(koji.ParameterError):
        harness.task(PKG, TAG_NAME).run()


def test_binary_rpm_given_as_srpm_is_refused(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    binary = tmp_path / "koji" / "work" / "cli-build" / "b" / "adjutant-demo-1.0-1.fc40.src.rpm"
    binary.parent.mkdir(parents=True)
    binary.write_bytes((RPMS_DIR / RPM_NAMES[0]).read_bytes())
    task = harness.task("cli-build/b/adjutant-demo-1.0-1.fc40.src.rpm", TAG_NAME, "x86_64",
                        True, {"repo_id": REPO_ID})  # fmt: skip
    with pytest.raises(TaskParamError, match="not a source RPM"):
        task.run()
    assert "host.newBuildRoot" not in harness.hub.methods


def test_noarch_task_builds_in_a_buildroot_of_an_arch_host_and_tag_share(tmp_path: Path) -> None:
    harness = Harness(tmp_path, task_arch="noarch")
    harness.run(arch="noarch")
    assert "getTaskInfo" in harness.hub.methods
    (new,) = harness.hub.calls_to("host.newBuildRoot")
    assert new.args == (REPO_ID, "x86_64")
    rpmbuild = [c["argv"] for c in harness.backend.calls_to("exec") if c["argv"][0] == "rpmbuild"]
    assert all(argv[3:5] == ("--target", "noarch") for argv in rpmbuild)


def test_host_without_a_tag_arch_fails_before_a_buildroot_exists(tmp_path: Path) -> None:
    harness = Harness(tmp_path, host_info={"id": 1, "name": "arm-builder", "arches": "ppc64le"})
    with pytest.raises(koji.BuildError, match="does not support any arches"):
        harness.run(arch="noarch")
    assert "host.newBuildRoot" not in harness.hub.methods


def test_missing_image_fails_before_a_buildroot_exists(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.backend.images.clear()
    unavailable = rf"task image {IMAGE} \(task_image_default\) is not available"
    with pytest.raises(BuildrootError, match=unavailable):
        harness.run()
    assert "host.newBuildRoot" not in harness.hub.methods


def test_unreachable_podman_refuses_the_task_for_another_host(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.backend.fail_next("ensure_image", ContainerUnavailable("socket refused"))
    with pytest.raises(RefuseTask, match="podman service is unavailable"):
        harness.run()
    assert "host.newBuildRoot" not in harness.hub.methods


@pytest.mark.parametrize(
    ("average", "weight"), [(None, None), (0, None), (-5.0, None), (1e9, 1.5 + 18.0)]
)
def test_weight_follows_kojids_rule(
    tmp_path: Path, average: float | None, weight: float | None
) -> None:
    harness = Harness(tmp_path, average_build_s=average)
    harness.task(PKG, TAG_NAME, "x86_64", True, {"repo_id": REPO_ID}).update_weight("x")
    sent = [c.args[1] for c in harness.hub.calls_to("host.setTaskWeight")]
    assert sent == ([] if weight is None else [weight])


@pytest.mark.parametrize(
    ("host_arches", "tag_arches", "expected"),
    [("x86_64", "x86_64 aarch64", True), ("i686 x86_64", "i686", False),
     ("i386", "i686", True), ("aarch64", "x86_64", False), ("aarch64", "", True)],
)  # fmt: skip
def test_check_host_needs_a_tag_arch_the_host_has(
    tmp_path: Path, host_arches: str, tag_arches: str, expected: bool
) -> None:
    harness = Harness(tmp_path)
    harness.hub.build_config["arches"] = tag_arches
    task = harness.task(PKG, TAG_NAME, "x86_64", True, {"repo_id": REPO_ID})
    assert task.checkHost({"arches": host_arches}) is expected
    (call,) = harness.hub.calls
    assert (call.method, call.args, call.kwargs) == ("getBuildConfig", (TAG_NAME,), {"event": None})


def test_build_arch_is_registered_with_kojis_weight() -> None:
    assert BuildArchTask in HANDLERS
    assert BuildArchTask.Methods == ["buildArch"]
    assert BuildArchTask._taskWeight == 1.5


def test_a_container_task_without_a_context_fails_naming_the_task(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    task = BuildArchTask(TASK_ID, "buildArch", [PKG, TAG_NAME, "x86_64", True,
                                                {"repo_id": REPO_ID}], harness.hub,
                         harness.settings.kojid_options())  # fmt: skip
    with pytest.raises(RuntimeError, match=f"task {TASK_ID} \\(buildArch\\) was run without"):
        task.run()
    assert harness.backend.calls == []
