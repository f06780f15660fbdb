"""A koji buildroot as the hub sees it: call order, package lists, states, faults, cleanup."""

from __future__ import annotations

import dataclasses
import gzip
import os
from pathlib import Path
from typing import Any

import koji
import pytest

from adjutant.buildroot.container_steps import INSTALL_CAPS, MEMORY_EVENTS_ARGV
from adjutant.buildroot.koji_buildroot import BuildrootRequest, KojiBuildroot
from adjutant.buildroot.packages import RPMDB_QUERY_ARGV
from adjutant.buildroot.repo_config import MOCK_DNF_OPTIONS
from adjutant.config import AdjutantSettings, KojidSettings, RepoAccess, Settings
from adjutant.container.backend import (
    LABEL_BUILDROOT_ID,
    LABEL_ROLE,
    LABEL_TASK_ID,
    LABEL_WORKER,
    ContainerSpec,
    NetworkMode,
    Ulimit,
)
from adjutant.container.fake import FakeBackend
from adjutant.errors import BuildFailed, BuildrootError, ContainerError, TaskParamError
from tests.support.fake_hub import (
    BUILDREQUIRES_PKGS,
    CREATE_EVENT,
    GROUP_PKGS,
    IMAGE_PKGS,
    REPO_ID,
    RPMS_DIR,
    SRPM_NAME,
    TAG_ID,
    TAG_NAME,
    TASK_ID,
    FakeHub,
    Pkg,
    build_config,
    make_hub,
    repo_info,
    rpmdb,
    script_buildroot,
    write_koji_repo,
)

IMAGE = "localhost/adjutant/test:1"
WORKER = "unit-worker"
SUCCESS_SEQUENCE = [
    "repoInfo",
    "getBuildConfig",
    "host.newBuildRoot",
    "getExternalRepoList",
    "host.setBuildRootList",
    "host.setBuildRootState",
    "getExternalRepoList",
    "host.updateBuildRootList",
    "host.setBuildRootState",
]


def make_settings(tmp_path: Path, **adjutant: Any) -> Settings:
    values: dict[str, Any] = {"worker_name": WORKER, "repo_access": RepoAccess.MOUNT}
    values.update(adjutant)
    return Settings(
        kojid=KojidSettings(
            topdir=tmp_path / "koji", workdir=tmp_path / "work", rpmbuild_timeout=3600,
            vendor="Acme", packager="Acme Builders", distribution="Acme 40",
        ),
        adjutant=AdjutantSettings(**values),
    )  # fmt: skip


class Setup:
    """A buildroot on a FakeBackend and a FakeHub over a koji repo in a temp topdir."""

    def __init__(self, tmp_path: Path, *, script: bool = True, **adjutant: Any) -> None:
        self.settings = make_settings(tmp_path, **adjutant)
        write_koji_repo(tmp_path / "koji")
        self.hub: FakeHub = make_hub()
        self.backend = FakeBackend([IMAGE])
        if script:
            script_buildroot(self.backend)
        self.work_dir = tmp_path / "work" / "tasks" / "1234" / str(TASK_ID)
        self.work_dir.mkdir(parents=True)
        self.request = BuildrootRequest(
            task_id=TASK_ID, tag=TAG_NAME, arch="x86_64", repo_id=REPO_ID, image=IMAGE,
            work_dir=self.work_dir,
        )  # fmt: skip

    def buildroot(self) -> KojiBuildroot:
        return KojiBuildroot(self.hub, self.backend, self.settings, self.request)

    def build(self) -> KojiBuildroot:
        with self.buildroot() as buildroot:
            buildroot.build(RPMS_DIR / SRPM_NAME, "x86_64")
        return buildroot

    @property
    def spec(self) -> ContainerSpec:
        (create,) = self.backend.calls_to("create")
        spec: ContainerSpec = create["spec"]
        return spec

    def execs(self) -> list[tuple[tuple[str, ...], str | None]]:
        return [(c["argv"], c["user"]) for c in self.backend.calls_to("exec")]

    def step(self, prefix: tuple[str, ...]) -> dict[str, Any]:
        (call,) = [c for c in self.backend.calls_to("exec") if c["argv"][: len(prefix)] == prefix]
        return dict(call)

    def log(self, name: str) -> str:
        return (self.work_dir / "logs" / name).read_text()


def listed(entries: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    return [(e["name"], e.get("id")) for e in entries]


def test_successful_build_makes_kojis_hub_calls_in_kojis_order(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    buildroot = setup.build()

    assert setup.hub.methods == SUCCESS_SEQUENCE
    calls = setup.hub.calls
    assert (calls[0].args, calls[0].kwargs) == ((REPO_ID,), {"strict": True})
    assert (calls[1].args, calls[1].kwargs) == ((TAG_NAME,), {"event": CREATE_EVENT})
    # Exactly kojid's newBuildRoot: repo, canonical arch, task_id, nothing else.
    assert (calls[2].args, calls[2].kwargs) == ((REPO_ID, "x86_64"), {"task_id": TASK_ID})
    assert calls[3].args == (TAG_ID,) and calls[3].kwargs == {"event": CREATE_EVENT}
    assert calls[5].args == (buildroot.id, "BUILDING")
    assert calls[8].args == (buildroot.id, "EXPIRED")
    assert buildroot.name == f"{TAG_NAME}-{buildroot.id}-{REPO_ID}"
    assert setup.hub.buildroots[buildroot.id].state == "EXPIRED"


def test_only_packages_from_the_koji_repo_are_reported(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    buildroot = setup.build()

    (initial,) = setup.hub.calls_to("host.setBuildRootList")
    assert listed(initial.args[1]) == [("redhat-rpm-config", 2001), ("fedora-release-common", 2002)]
    (update,) = setup.hub.calls_to("host.updateBuildRootList")
    assert listed(update.args[1]) == [
        ("redhat-rpm-config", 2001), ("fedora-release-common", 2002), ("zlib-devel", 2003),
    ]  # fmt: skip
    zlib = update.args[1][2]
    assert zlib == {
        "name": "zlib-devel", "version": "1.3", "release": "1.fc40", "epoch": 1,
        "arch": "x86_64", "size": 1000, "buildtime": 1700000000, "payloadhash": "c1" * 16,
        "id": 2003,
    }  # fmt: skip
    reported = {e["name"] for call in (initial, update) for e in call.args[1]}
    assert not reported & {p.name for p in IMAGE_PKGS}
    assert [e["name"] for e in setup.hub.buildroots[buildroot.id].updates] == ["zlib-devel"]
    # The image's packages are recorded in image.log instead; installed_pkgs.log has all.
    image_log = setup.log("image.log")
    assert f"image: {IMAGE}" in image_log and "adjutant-image-provides-1-1.noarch" in image_log
    installed = setup.log("installed_pkgs.log")
    assert "bash-5.2.15-2.x86_64" in installed and "zlib-devel-1:1.3-1.fc40.x86_64" in installed


def test_container_is_labelled_locked_down_and_limited_from_settings(tmp_path: Path) -> None:
    ulimits = (Ulimit("nofile", 1024, 4096), Ulimit("nproc", 500, 1000))
    setup = Setup(tmp_path, container_pids=512, container_memory=1 << 30,
                  container_ulimits=ulimits, stop_grace=7)  # fmt: skip
    buildroot = setup.build()

    spec = setup.spec
    assert spec.image == IMAGE and spec.container_name == f"adjutant-{WORKER}-{TASK_ID}-buildroot"
    assert spec.labels == {
        LABEL_TASK_ID: str(TASK_ID), LABEL_WORKER: WORKER, LABEL_ROLE: "buildroot",
        LABEL_BUILDROOT_ID: str(buildroot.id),
    }  # fmt: skip
    assert spec.network is NetworkMode.NONE  # mount mode: no network at all
    assert spec.cap_drop == ("ALL",) and spec.cap_add == INSTALL_CAPS
    assert (spec.limits.pids, spec.limits.memory_bytes) == (512, 1 << 30)
    assert spec.ulimits == ulimits and spec.stop_timeout_s == 7
    (topdir,) = spec.mounts
    assert (topdir.source, topdir.target, topdir.read_only) == (
        tmp_path / "koji", "/mnt/koji", True,
    )  # fmt: skip
    assert spec.env["HOME"] == "/builddir"
    assert not any(call["network"] for call in setup.backend.calls_to("exec"))


def test_topdir_mount_source_is_translated_for_a_containerised_worker(tmp_path: Path) -> None:
    from adjutant.config import PathMapping

    mapping = PathMapping(inside=tmp_path / "koji", outside=Path("/srv/koji"))
    setup = Setup(tmp_path, host_path_map=(mapping,))
    setup.build()
    assert [m.source for m in setup.spec.mounts] == [Path("/srv/koji")]


def test_repo_config_macros_and_steps_run_as_kojid_runs_them(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    setup.build()

    staged = {Path(c["source"]).name: c["target_dir"] for c in setup.backend.calls_to("copy_in")}
    # the /etc files in one copy unpacked at /, the build user's macros alone into its home
    assert staged["etc"] == "/" and staged[".rpmmacros"] == "/builddir"
    with Setup(tmp_path / "again").buildroot() as buildroot:
        files = buildroot.backend.containers[buildroot._ready().container_id].files  # type: ignore[attr-defined]
        assert b"[build]" in files["/etc/dnf/dnf.conf"]
        assert b"%dist .fc40" in files["/builddir/.rpmmacros"]
        assert {"/etc/machine-id", "/etc/hosts", "/etc/resolv.conf"} <= set(files)
    # mock's root: the host's timezone, no podman-written /etc/hosts or resolv.conf
    assert (setup.spec.timezone, setup.spec.image_hosts, setup.spec.image_resolv_conf) == (
        "local",
        True,
        True,
    )
    config = setup.log("mock_config.log")
    assert f"baseurl=file:///mnt/koji/repos/{TAG_NAME}/{REPO_ID}/x86_64" in config
    assert "%dist .fc40" in config and "%vendor Acme" in config
    assert "%_host x86_64-koji-linux-gnu" in config
    dnf = ("dnf", "--config=/etc/dnf/dnf.conf", *MOCK_DNF_OPTIONS)
    steps = [(argv, user) for argv, user in setup.execs() if argv[0] in ("dnf", "rpm", "rpmbuild")]
    assert steps == [
        (RPMDB_QUERY_ARGV, None),
        ((*dnf, "install", "-y", "@build"), "root"),
        (RPMDB_QUERY_ARGV, None),
        (("rpm", "-i", "--nodeps", f"/builddir/{SRPM_NAME}"), "kojibuilder"),
        (("rpmbuild", "-bs", "--nodeps", "--target", "x86_64",
          "/builddir/build/SPECS/adjutant-demo.spec"), "kojibuilder"),
        ((*dnf, "builddep", "-y", f"/builddir/build/SRPMS/{SRPM_NAME}"), "root"),
        (("rpmbuild", "-bb", "--nodeps", "--target", "x86_64",
          "/builddir/build/SPECS/adjutant-demo.spec"), "kojibuilder"),
        (RPMDB_QUERY_ARGV, None),
    ]  # fmt: skip
    assert setup.step(("rpmbuild", "-bb"))["timeout_s"] == 3600
    # The spec comes from the SRPM's header and the new SRPM from rpmbuild's Wrote: line.
    assert not [argv for argv, _ in setup.execs() if argv[0] == "find"]
    state = setup.log("state.log")
    assert "step rpmbuild-bb starting as kojibuilder" in state and "step hw-info exited 0" in state
    assert os.uname().release in setup.log("root.log")  # the kernel, as mock logs it


def test_result_dir_holds_the_rebuilt_packages(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    with setup.buildroot() as buildroot:
        result_dir = buildroot.build(RPMS_DIR / SRPM_NAME, "x86_64")
        names = sorted(p.name for p in result_dir.rglob("*.rpm"))
    assert names == sorted([SRPM_NAME, "adjutant-demo-1.0-1.fc40.x86_64.rpm",
                            "adjutant-demo-data-1.0-1.fc40.noarch.rpm"])  # fmt: skip


def test_logs_are_uploaded_under_the_task_with_kojis_names(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    buildroot = setup.build()

    expected = {"mock_output.log", "mock_config.log", "state.log", "root.log", "hw_info.log",
                "build.log", "installed_pkgs.log", "image.log"}  # fmt: skip
    assert set(buildroot.log_names) == expected
    assert set(setup.hub.uploaded_names) == expected
    for name in expected:
        assert setup.hub.uploaded(name) == (setup.work_dir / "logs" / name).read_bytes()
    assert b"Wrote: RPMs" in setup.hub.uploaded("build.log")
    assert b"Complete!" in setup.hub.uploaded("root.log")


def test_topurl_mode_attaches_the_bridge_only_while_installing(tmp_path: Path) -> None:
    setup = Setup(tmp_path, repo_access=RepoAccess.TOPURL)
    kojid = dataclasses.replace(setup.settings.kojid, topurl="https://kojipkgs.example/")
    setup.settings = dataclasses.replace(setup.settings, kojid=kojid)
    setup.backend.on_exec(("dnf",), exit_code=1, output=b"Curl error: no route\n")
    with pytest.raises(BuildrootError, match="see root.log"):
        setup.buildroot().__enter__()
    assert setup.spec.network is NetworkMode.BRIDGE and setup.spec.mounts == ()
    # Only the install fetches from the repo: only it has the network.
    execs = setup.backend.calls_to("exec")
    assert [c["argv"][0] for c in execs if c["network"]] == ["dnf"]
    assert not execs[0]["network"]  # the rpmdb baseline, right after start
    # dnf in the container resolves the repo host: podman's resolv.conf stays, hosts is mock's
    assert (setup.spec.image_hosts, setup.spec.image_resolv_conf) == (True, False)
    assert "resolv.conf" not in {Path(c["source"]).name for c in setup.backend.calls_to("copy_in")}
    config = setup.log("mock_config.log")
    assert f"baseurl=https://kojipkgs.example/repos/{TAG_NAME}/{REPO_ID}/x86_64" in config
    assert setup.backend.containers == {}


def test_failed_group_install_fails_with_root_log_hint_and_cleans_up(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    setup.backend.on_exec(("dnf",), exit_code=1, output=b"No match for group build\n")
    with pytest.raises(BuildrootError, match=r"installing group build .* see root.log"):
        setup.buildroot().__enter__()

    assert setup.hub.methods == ["repoInfo", "getBuildConfig", "host.newBuildRoot",
                                 "host.setBuildRootState"]  # fmt: skip
    assert setup.hub.calls[-1].args[1] == "EXPIRED"
    assert setup.backend.containers == {}
    assert b"No match for group build" in setup.hub.uploaded("root.log")
    assert b"ERROR: could not init the buildroot" in setup.hub.uploaded("mock_output.log")


def test_rpmbuild_failure_fails_with_build_log_hint_and_still_updates_the_list(
    tmp_path: Path,
) -> None:
    setup = Setup(tmp_path)
    setup.backend.on_exec(("rpmbuild", "-bb"), exit_code=1, output=b"error: Bad exit status\n")
    with setup.buildroot() as buildroot, pytest.raises(BuildFailed) as failure:
        buildroot.build(RPMS_DIR / SRPM_NAME, "x86_64")

    assert str(failure.value) == (
        "error building package (arch x86_64), rpmbuild -bb exited with status 1; "
        "see build.log for more information"
    )
    assert isinstance(failure.value, koji.BuildError)
    assert failure.value.faultCode == koji.BuildError.faultCode
    assert setup.hub.methods == SUCCESS_SEQUENCE
    assert setup.backend.containers == {}
    assert b"error: Bad exit status" in setup.hub.uploaded("build.log")


def test_missing_build_requires_fail_with_root_log_hint_and_still_update_the_list(
    tmp_path: Path,
) -> None:
    setup = Setup(tmp_path)
    setup.backend.on_exec(("dnf", "--config=/etc/dnf/dnf.conf", *MOCK_DNF_OPTIONS, "builddep"),
                          exit_code=1,
                          output=b"No matching package to install: 'libfoo-devel'\n")  # fmt: skip
    with setup.buildroot() as buildroot, pytest.raises(BuildrootError) as failure:
        buildroot.build(RPMS_DIR / SRPM_NAME, "x86_64")

    assert "BuildRequires not satisfied: missing libfoo-devel; see root.log" in str(failure.value)
    assert "host.updateBuildRootList" in setup.hub.methods
    assert setup.hub.calls[-1].args[1] == "EXPIRED"
    assert not any(argv[:2] == ("rpmbuild", "-bb") for argv, _ in setup.execs())


def test_container_failure_becomes_a_buildroot_error(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    setup.backend.on_exec(("rpmbuild", "-bs"), error=ContainerError("OCI runtime error"))
    with setup.buildroot() as buildroot, pytest.raises(BuildrootError, match="OCI runtime"):
        buildroot.build(RPMS_DIR / SRPM_NAME, "x86_64")
    assert setup.hub.calls[-1].args[1] == "EXPIRED"
    assert setup.backend.containers == {}


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_cancelled_build_removes_the_container_and_makes_no_more_hub_calls(
    tmp_path: Path, interrupt: type[BaseException]
) -> None:
    setup = Setup(tmp_path)
    setup.backend.on_exec(("rpmbuild", "-bb"), error=interrupt())  # type: ignore[arg-type]
    with pytest.raises(interrupt), setup.buildroot() as buildroot:
        buildroot.build(RPMS_DIR / SRPM_NAME, "x86_64")

    assert setup.backend.containers == {}
    # SIGINT/SIGTERM: the worker loop expires the record; nothing here delays the exit.
    assert setup.hub.methods[-1] == "host.setBuildRootState"
    assert setup.hub.calls[-1].args[1] == "BUILDING"
    staged = [Path(c["source"]) for c in setup.backend.calls_to("copy_in")]
    assert not any(p.parent.exists() for p in staged if p.name != SRPM_NAME)


def test_interrupt_while_preparing_removes_the_container(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    setup.backend.on_exec(("dnf",), error=KeyboardInterrupt())  # type: ignore[arg-type]
    with pytest.raises(KeyboardInterrupt):
        setup.buildroot().__enter__()
    assert setup.backend.containers == {}
    assert setup.hub.methods == ["repoInfo", "getBuildConfig", "host.newBuildRoot"]


def test_error_in_the_callers_block_still_expires_and_cleans_up(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    with pytest.raises(BuildFailed, match="checks"), setup.buildroot() as buildroot:
        buildroot.build(RPMS_DIR / SRPM_NAME, "x86_64")
        raise BuildFailed("result checks failed")
    assert setup.hub.methods == SUCCESS_SEQUENCE
    assert setup.backend.containers == {}


@pytest.mark.parametrize(("state", "message"), [(koji.REPO_INIT, "is INIT"),
                                                 (koji.REPO_DELETED, "is DELETED")])  # fmt: skip
def test_unusable_repo_is_refused_before_a_buildroot_exists(
    tmp_path: Path, state: int, message: str
) -> None:
    setup = Setup(tmp_path)
    setup.hub = make_hub(repo=repo_info(state))
    with pytest.raises(BuildrootError, match=rf"Requested repo \({REPO_ID}\) {message}"):
        setup.buildroot().__enter__()
    assert setup.hub.methods == ["repoInfo"]
    assert setup.backend.calls_to("create") == []


def test_expired_repo_is_used_as_kojid_uses_it(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    setup.hub = make_hub(repo=repo_info(koji.REPO_EXPIRED))
    setup.build()
    assert setup.hub.methods == SUCCESS_SEQUENCE


def test_tag_that_is_not_the_repos_tag_is_refused(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    setup.hub = make_hub(repo={**repo_info(), "tag_id": 99, "tag_name": "other"})
    with pytest.raises(BuildrootError, match=f"tag/repo mismatch: {TAG_NAME} vs other"):
        setup.buildroot().__enter__()
    assert "host.newBuildRoot" not in setup.hub.methods


def test_bad_tag_macro_is_a_parameter_error_before_a_buildroot_exists(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    setup.hub = make_hub(build_config=build_config(**{"rpm.macro.bad name": "x"}))
    with pytest.raises(TaskParamError, match="not a valid rpm macro name"):
        setup.buildroot().__enter__()
    assert "host.newBuildRoot" not in setup.hub.methods


def test_package_unknown_to_the_repo_is_named_before_the_hub_refuses_it(tmp_path: Path) -> None:
    setup = Setup(tmp_path, script=False)
    stray = Pkg("stray", "1", "1", "x86_64", "ee" * 16)
    script_buildroot(setup.backend, installed=(*GROUP_PKGS, stray))
    with pytest.raises(BuildrootError, match="stray-1-1.x86_64; see root.log"):
        setup.buildroot().__enter__()
    assert "host.setBuildRootList" not in setup.hub.methods
    assert setup.hub.calls[-1].args[1] == "EXPIRED"


def test_payload_hash_differing_from_the_repo_is_a_buildroot_error(tmp_path: Path) -> None:
    setup = Setup(tmp_path, script=False)
    changed = Pkg("redhat-rpm-config", "300", "1.fc40", "noarch", "ff" * 16)
    script_buildroot(setup.backend, installed=(changed, GROUP_PKGS[1]))
    with pytest.raises(BuildrootError, match="payloadhash"):
        setup.buildroot().__enter__()


def test_external_packages_are_marked_from_the_merged_repos_pkgorigins(tmp_path: Path) -> None:
    setup = Setup(tmp_path, script=False)
    external = {"external_repo_id": 3, "external_repo_name": "fedora-40",
                "url": "https://mirror.example.org/fedora/40/$arch/", "merge_mode": "koji",
                "priority": 5}  # fmt: skip
    setup.hub = make_hub(external_repos=[external])
    carp = Pkg("perl-Carp", "1.54", "502.fc40", "noarch", "ab" * 16)
    arch_dir = tmp_path / "koji" / "repos" / TAG_NAME / str(REPO_ID) / "x86_64"
    (arch_dir / "repodata").mkdir()
    (arch_dir / "repodata" / "repomd.xml").write_text(
        (Path(__file__).parents[1] / "data/buildroot/repomd.xml").read_text()
    )
    premerge = f"file:///var/tmp/koji/tasks/1/repo_{REPO_ID}_premerge/"
    origins = "".join(f"{p.name}-{p.version}-{p.release}.{p.arch} {premerge}\n"
                      for p in GROUP_PKGS)  # fmt: skip
    origins += "perl-Carp-1.54-502.fc40.noarch https://mirror.example.org/fedora/40/x86_64/\n"
    href = "repodata/1111-pkgorigins.gz"
    assert href in (arch_dir / "repodata" / "repomd.xml").read_text()
    (arch_dir / href).write_bytes(gzip.compress(origins.encode()))
    script_buildroot(setup.backend, installed=(*GROUP_PKGS, carp))
    with setup.buildroot():
        pass

    (initial,) = setup.hub.calls_to("host.setBuildRootList")
    carp_entry = initial.args[1][2]
    assert carp_entry["external_repo"] == external and carp_entry["location"] == 3
    assert "id" not in carp_entry
    assert listed(initial.args[1][:2]) == [("redhat-rpm-config", 2001),
                                           ("fedora-release-common", 2002)]  # fmt: skip


def test_repo_without_rpmlist_falls_back_to_the_hubs_draft_rpms(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    (tmp_path / "koji" / "repos" / TAG_NAME / str(REPO_ID) / "x86_64" / "rpmlist.jsonl").unlink()
    setup.build()
    drafts = setup.hub.calls_to("listTaggedRPMS")
    assert drafts and drafts[0].kwargs == {"event": CREATE_EVENT, "latest": True, "draft": True}
    (initial,) = setup.hub.calls_to("host.setBuildRootList")
    assert listed(initial.args[1]) == [("redhat-rpm-config", None),
                                       ("fedora-release-common", None)]  # fmt: skip


def test_build_before_entering_is_refused(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    with pytest.raises(BuildrootError, match="not ready"):
        setup.buildroot().build(RPMS_DIR / SRPM_NAME, "x86_64")


def test_noarch_build_targets_noarch_in_an_arch_buildroot(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    with setup.buildroot() as buildroot:
        buildroot.build(RPMS_DIR / SRPM_NAME, "noarch")
    assert setup.hub.calls[2].args == (REPO_ID, "x86_64")
    assert setup.step(("rpmbuild", "-bb"))["argv"][3:5] == ("--target", "noarch")


def test_i686_buildroot_uses_the_canonical_arch_for_the_hub_and_repo(tmp_path: Path) -> None:
    setup = Setup(tmp_path, script=False)
    write_koji_repo(tmp_path / "koji", arch="i386")
    script_buildroot(setup.backend, built=GROUP_PKGS)
    setup.request = BuildrootRequest(TASK_ID, TAG_NAME, "i686", REPO_ID, IMAGE, setup.work_dir)
    with setup.buildroot() as buildroot:
        buildroot.build(RPMS_DIR / SRPM_NAME, "i686")
    assert setup.hub.calls[2].args == (REPO_ID, "i386")
    assert "%_host_cpu i686" in setup.log("mock_config.log")
    assert f"{REPO_ID}/i386" in setup.log("mock_config.log")


# -- the fake hub enforces the rules the buildroot relies on ---------------------------------


def test_fake_hub_refuses_extra_new_buildroot_arguments() -> None:
    hub = make_hub()
    with pytest.raises(koji.ParameterError):
        hub.host.newBuildRoot(REPO_ID, "x86_64", task_id=TASK_ID, ctype="podman")  # type: ignore[call-arg]
    with pytest.raises(koji.GenericError, match="task_id"):
        hub.host.newBuildRoot(REPO_ID, "x86_64")


def test_fake_hub_enforces_buildroot_states_and_known_rpms() -> None:
    hub = make_hub()
    brootid = hub.host.newBuildRoot(REPO_ID, "x86_64", task_id=TASK_ID)
    with pytest.raises(koji.GenericError, match="not BUILDING"):
        hub.host.updateBuildRootList(brootid, [])
    image_pkg = {k: v for k, v in IMAGE_PKGS[1].rpm_row.items() if k != "id"}
    with pytest.raises(koji.GenericError, match="No such rpm: bash"):
        hub.host.setBuildRootList(brootid, [image_pkg])
    hub.host.setBuildRootList(brootid, [GROUP_PKGS[0].rpm_row])
    hub.host.setBuildRootState(brootid, "BUILDING")
    with pytest.raises(koji.GenericError, match="not INIT"):
        hub.host.setBuildRootList(brootid, [])
    hub.host.updateBuildRootList(brootid, [BUILDREQUIRES_PKGS[0].rpm_row])
    hub.host.setBuildRootState(brootid, "EXPIRED")
    hub.host.setBuildRootState(brootid, "EXPIRED")
    with pytest.raises(koji.GenericError, match="expired"):
        hub.host.setBuildRootState(brootid, "BUILDING")
    second = hub.host.newBuildRoot(REPO_ID, "x86_64", task_id=TASK_ID)
    with pytest.raises(koji.GenericError, match="INIT"):
        hub.host.setBuildRootState(second, "INIT")


def test_fake_hub_refuses_uploads_to_a_task_that_is_not_open() -> None:
    hub = make_hub()
    hub.task_state = "CANCELED"
    with pytest.raises(koji.ActionNotAllowed):
        hub.rawUpload(b"x", 0, koji.pathinfo.taskrelpath(TASK_ID), "root.log", overwrite=True)


def test_rpmdb_helper_matches_the_query_format() -> None:
    from adjutant.buildroot.packages import parse_rpmdb_listing

    (pkg,) = parse_rpmdb_listing(rpmdb(BUILDREQUIRES_PKGS[0]).decode())
    assert (pkg.nevra, pkg.payloadhash) == ("zlib-devel-1:1.3-1.fc40.x86_64", "c1" * 16)


def test_network_enabled_gives_build_steps_the_network_too(tmp_path: Path) -> None:
    setup = Setup(tmp_path, network_enabled=True)
    setup.build()
    assert setup.spec.network is NetworkMode.BRIDGE
    rpmbuilds = [c for c in setup.backend.calls_to("exec") if c["argv"][0] == "rpmbuild"]
    assert rpmbuilds and all(call["network"] for call in rpmbuilds)


def test_a_build_killed_at_the_memory_limit_says_so_and_names_the_limit(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    setup.backend.on_exec(("rpmbuild", "-bb"), exit_code=1, output=b"gcc: fatal: Killed\n")
    setup.backend.on_exec(
        MEMORY_EVENTS_ARGV, output=b"low 0\nhigh 0\nmax 12\noom 3\noom_kill 1\n2147483648\n"
    )
    with setup.buildroot() as buildroot, pytest.raises(BuildFailed) as failure:
        buildroot.build(RPMS_DIR / SRPM_NAME, "x86_64")

    assert str(failure.value) == (
        "error building package (arch x86_64), rpmbuild -bb ran out of memory: a process was "
        "killed at the buildroot's memory limit of 2048 MiB ([adjutant] container_memory); "
        "see build.log"
    )
    assert setup.backend.containers == {}


def test_memory_limit_text_needs_an_oom_kill() -> None:
    from adjutant.buildroot.container_steps import memory_limit_text

    assert memory_limit_text("oom 0\noom_kill 0\nmax\n") is None
    assert memory_limit_text("oom_kill 2\nmax\n") == "max"
    v1 = "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n402653184\n"
    assert memory_limit_text(v1) == "384 MiB"


def test_new_srpm_is_listed_when_rpmbuild_reports_no_single_wrote_line(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    top = "/builddir/build"
    setup.backend.on_exec(
        ("rpmbuild", "-bs"),
        output=b"(quiet)\n",
        writes={f"{top}/SRPMS/{SRPM_NAME}": (RPMS_DIR / SRPM_NAME).read_bytes()},
    )
    setup.build()
    listed = [argv for argv, _ in setup.execs() if argv[0] == "find"]
    assert listed == [("find", f"{top}/SRPMS", "-maxdepth", "1", "-name", "*.src.rpm", "-print0")]
    assert setup.step(("dnf", "--config=/etc/dnf/dnf.conf", *MOCK_DNF_OPTIONS, "builddep"))["argv"][
        -1
    ] == (f"{top}/SRPMS/{SRPM_NAME}")
