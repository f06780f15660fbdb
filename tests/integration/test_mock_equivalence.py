"""What a build sees in its buildroot, compared with what kojid's mock config gives it.

docs/mock-equivalence.md is the table; each of its rows names the case here that checks it.
One probe package (tests/data/specs/adjutant-mockeq-probe) is built once per path, through
buildArch on devhub (a worker, as kojid) and through the local rebuild (`adjutant build`);
its %build prints what it sees, and every case reads that one build's build.log.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator

import koji
import pytest

from adjutant import cli
from adjutant.buildroot.build_config import MOCK_ENVIRONMENT
from tests.scenarios import worker_builds
from tests.support import devhub_site
from tests.support.devhub_worker import devhub_worker_site
from tests.support.srpms import SPECS_DIR, build_srpm

pytestmark = pytest.mark.integration

PROBE = SPECS_DIR / "adjutant-mockeq-probe" / "adjutant-mockeq-probe.spec"
BUILD_USER = "kojibuilder"
# mock's own device nodes (internal_dev_setup) that a build may rely on; console, loop*,
# fuse, btrfs-control, mapper, prandom and hwrng are stated differences (see the table).
MOCK_DEVICES = {"null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts", "shm",
                "fd", "stdin", "stdout", "stderr"}  # fmt: skip


def parse_probe(build_log: str) -> dict[str, str]:
    """The probe's "probe: KEY=VALUE" lines (the executed ones, not rpmbuild's echo of them).

    Not anchored at the line start: podman reads a command's stdout and stderr from two pipes,
    so a line rpm writes to stderr in two pieces ("Executing(%build): ...", then its newline)
    can have the script's first stdout line between them.
    """
    found = dict(re.findall(r"probe: ([\w.]+)=(.*)$", build_log, flags=re.MULTILINE))
    assert found, f"no probe output in build.log:\n{build_log[-3000:]}"
    return found


@pytest.fixture(scope="module")
def koji_probe(
    tmp_path_factory: pytest.TempPathFactory, podman_url: str, task_image: str, worker_label: str
) -> Iterator[dict[str, str]]:
    """The probe built once by buildArch on devhub, as kojid would build it."""
    base = tmp_path_factory.mktemp("mockeq-koji")
    with devhub_worker_site(base, podman_url, task_image, worker_label) as site:
        srpm = build_srpm(PROBE.read_text(), base / "srpm")
        task_id = site.submit_srpm(srpm)
        info = site.wait(task_id)
        assert info["state"] == koji.TASK_STATES["CLOSED"], worker_builds.fault_of(
            site.admin, task_id
        )
        build_log = site.admin.downloadTaskOutput(task_id, "build.log").decode()
        values = parse_probe(build_log)
        values["@state.log"] = site.admin.downloadTaskOutput(task_id, "state.log").decode()
        yield values


@pytest.fixture(scope="module")
def local_probe(
    tmp_path_factory: pytest.TempPathFactory, podman_url: str, task_image: str
) -> dict[str, str]:
    """The probe built once by the local rebuild (`adjutant build`)."""
    base = tmp_path_factory.mktemp("mockeq-local")
    srpm = build_srpm(PROBE.read_text(), base / "srpm")
    status = cli.main(["build", str(srpm), "--image", task_image, "--podman-url", podman_url,
                       "--output", str(base / "out")])  # fmt: skip
    [build_log] = (base / "out").glob("*/build.log")
    assert status == 0, build_log.read_text()[-3000:]
    return parse_probe(build_log.read_text())


@pytest.fixture(params=["koji", "local"])
def probe(request: pytest.FixtureRequest) -> dict[str, str]:
    """Each case runs against both paths: the same buildroot either way."""
    return dict(request.getfixturevalue(f"{request.param}_probe"))


@pytest.mark.parametrize("where", ["spec", "eval"])
def test_rpmfilename_keeps_header_tags_for_each_subpackage(
    probe: dict[str, str], where: str
) -> None:
    assert probe[f"{where}._rpmfilename"] == "%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm"


@pytest.mark.parametrize("where", ["spec", "eval"])
def test_topdir_is_under_the_build_home(probe: dict[str, str], where: str) -> None:
    assert probe[f"{where}._topdir"] == "/builddir/build"


def test_macros_live_in_the_build_users_rpmmacros_as_in_mock(probe: dict[str, str]) -> None:
    assert probe["macros.home_file"] == "present"


@pytest.mark.parametrize("where", ["spec", "eval"])
def test_buildhost_is_the_build_hosts_name(probe: dict[str, str], where: str) -> None:
    # mock: use_container_host_hostname sets %_buildhost to the host's FQDN
    assert probe[f"{where}._buildhost"] == socket.getfqdn()


@pytest.mark.parametrize("where", ["spec", "eval"])
def test_host_macros_name_the_target_arch_and_mockhost(
    koji_probe: dict[str, str], where: str
) -> None:
    assert koji_probe[f"{where}._host_cpu"] == "x86_64"
    assert koji_probe[f"{where}._host"] == "x86_64-koji-linux-gnu"


def test_rpmbuild_targets_the_task_arch(koji_probe: dict[str, str]) -> None:
    assert koji_probe["spec._target_cpu"] == "x86_64"


@pytest.mark.parametrize("where", ["spec", "eval"])
def test_vendor_packager_distribution_are_kojids_defaults(
    koji_probe: dict[str, str], where: str
) -> None:
    values = [koji_probe[f"{where}.{m}"] for m in ("vendor", "packager", "distribution")]
    assert values == ["Koji", "Koji", "Koji"]


def test_dist_comes_from_the_build_tags_macros_package(koji_probe: dict[str, str]) -> None:
    assert koji_probe["spec.dist"] == devhub_site.DIST


@pytest.mark.parametrize("name", sorted(MOCK_ENVIRONMENT))
def test_environment_is_mocks(probe: dict[str, str], name: str) -> None:
    assert probe[f"env.{name}"] == MOCK_ENVIRONMENT[name]


@pytest.mark.parametrize("name", ["USER", "LOGNAME"])
def test_user_and_logname_name_the_build_user_as_a_login_shell_would(
    probe: dict[str, str], name: str
) -> None:
    assert probe[f"env.{name}"] == BUILD_USER


def test_environment_holds_nothing_mock_would_not_set(probe: dict[str, str]) -> None:
    names = set(probe["env.names"].split())
    # rpmbuild's own (RPM_* are filtered out by the probe) and the shell's
    shell = {"PWD", "SHLVL", "_", "OLDPWD", "LC_ALL", "BASH_FUNC_probe%%"}
    allowed = set(MOCK_ENVIRONMENT) | {"USER", "LOGNAME"} | shell
    # stated differences (docs/mock-equivalence.md): the image's ENV and podman's marker
    stated = {"DEBIAN_FRONTEND", "container"}
    assert names - allowed - stated == set()


def test_build_runs_as_the_unprivileged_build_user(probe: dict[str, str]) -> None:
    assert (probe["id.user"], probe["id.uid"], probe["id.group"]) == (
        BUILD_USER,
        "1000",
        BUILD_USER,
    )
    assert probe["id.groups"].split() == [BUILD_USER]


def test_umask_is_rpmbuilds_022(probe: dict[str, str]) -> None:
    assert probe["umask"] == "0022"


def test_build_scripts_run_in_the_build_dir(probe: dict[str, str]) -> None:
    assert probe["cwd"] == probe["cwd.expected"]


def test_smp_mflags_use_every_cpu_the_build_sees(probe: dict[str, str]) -> None:
    assert probe["spec._smp_mflags"] == f"-j{probe['nproc']}"
    assert int(probe["nproc"]) == len(os.sched_getaffinity(0))


def test_timezone_is_the_hosts(probe: dict[str, str]) -> None:
    # mock copies the host's /etc/localtime into the root
    import time

    assert probe["timezone"] in time.tzname


def test_hosts_file_is_mocks_localhost_pair(probe: dict[str, str]) -> None:
    lines = set(filter(None, probe["hosts"].split(";")))
    assert lines == {
        "127.0.0.1 localhost localhost.localdomain",
        "::1 localhost localhost.localdomain localhost6 localhost6.localdomain6",
    }


def test_resolv_conf_is_empty_without_network(probe: dict[str, str]) -> None:
    assert probe["resolv_conf"] == "0"


def test_machine_id_is_fresh_per_buildroot(
    koji_probe: dict[str, str], local_probe: dict[str, str]
) -> None:
    ids = {koji_probe["machine_id"], local_probe["machine_id"]}
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and len(ids) == 2


def test_dev_has_mocks_device_nodes(probe: dict[str, str]) -> None:
    assert MOCK_DEVICES <= set(probe["dev"].split())
    assert probe["dev.null_writable"] == "yes"


def test_proc_is_mounted(probe: dict[str, str]) -> None:
    assert (probe["proc.self"], probe["proc.cpuinfo"]) == ("readable", "readable")


def test_build_has_no_network_but_loopback(probe: dict[str, str]) -> None:
    assert probe["net.interfaces"].split() == ["lo"]


def test_home_and_tmp_are_writable(probe: dict[str, str]) -> None:
    assert (probe["home.writable"], probe["tmp.writable"]) == ("yes", "yes")


def test_dnf_config_is_kojids(koji_probe: dict[str, str]) -> None:
    settings = set(koji_probe["dnf.conf"].split())
    assert {
        "install_weak_deps=0",
        "gpgcheck=0",
        "keepcache=1",
        "strict=1",
        "obsoletes=1",
        "retries=20",
        "reposdir=/dev/null",
        "skip_if_unavailable=0",
    } <= settings


def test_dnf_runs_with_mocks_common_options(koji_probe: dict[str, str]) -> None:
    installs = [line for line in koji_probe["@state.log"].splitlines()
                if "starting as root: dnf" in line]  # fmt: skip
    assert any(line.endswith(" install -y @build") for line in installs), installs
    for line in installs:
        for option in (
            "--setopt=deltarpm=False",
            "--setopt=allow_vendor_change=yes",
            "--allowerasing",
            "--disableplugin=local",
        ):
            assert option in line.split(), line
