"""Checking out an SCM source and making its SRPM in a buildroot, over the fake backend:
the git steps kojid runs (no hooks, fetch then reset), which steps get the network, and the
faults each failure gives (naming the log, never the clone URL's secrets)."""

from __future__ import annotations

from pathlib import Path

import koji
import pytest

from adjutant.buildroot.container_steps import ContainerSteps
from adjutant.buildroot.scm_checkout import SCM_ROOT, Checkout, build_srpm, check_out
from adjutant.container.backend import ContainerSpec, NetworkMode
from adjutant.container.fake import FakeBackend
from adjutant.errors import BuildFailed
from adjutant.task_logs import LogUploader
from tests.support.fake_hub import FakeHub

COMMIT = "0123456789abcdef0123456789abcdef01234567"
CHECKOUT = Checkout("https://git.example.com/pkgs/hello.git", "main", "", "hello", None, None)
REPO_DIR = f"{SCM_ROOT}/hello"


def _site(tmp_path: Path, backend: FakeBackend, bridge: bool = True) -> ContainerSteps:
    network = NetworkMode.BRIDGE if bridge else NetworkMode.NONE
    spec = ContainerSpec(image="img", task_id=1, worker="w", role="r", network=network)
    container_id = backend.create(spec)
    backend.start(container_id)
    hub = FakeHub(task_id=1, repo={}, build_config={})
    (tmp_path / "logs").mkdir(parents=True)
    return ContainerSteps(
        backend,
        container_id,
        log_dir=tmp_path / "logs",
        uploader=LogUploader(hub, "tasks/1/1", retry_delay_s=0),
        staging_dir=tmp_path,
        bridge=bridge,
        keep_network=False,
    )


def _backend() -> FakeBackend:
    backend = FakeBackend(["img"])
    backend.on_exec(("git", "-C", REPO_DIR, "rev-parse", "HEAD"), output=f"{COMMIT}\n".encode())
    return backend


def _git_steps(backend: FakeBackend) -> list[tuple[tuple[str, ...], bool]]:
    return [(c["argv"], c["network"]) for c in backend.calls_to("exec") if c["argv"][0] == "git"]


def test_clone_without_checkout_then_fetch_and_reset_to_the_revision(tmp_path: Path) -> None:
    backend = _backend()
    assert check_out(_site(tmp_path, backend), CHECKOUT, "builder") == COMMIT
    assert _git_steps(backend) == [
        (("git", "clone", "-n", "--", CHECKOUT.clone_url, REPO_DIR), True),
        (("git", "fetch", "origin", "main:KOJI_FETCH_HEAD"), True),
        (("git", "reset", "--hard", "KOJI_FETCH_HEAD"), True),
        (("git", "-C", REPO_DIR, "rev-parse", "HEAD"), False),
    ]
    assert {c["user"] for c in backend.calls_to("exec")} == {"builder"}


def test_a_commit_id_that_fetch_cannot_name_is_reset_to_directly(tmp_path: Path) -> None:
    backend = _backend()
    backend.on_exec(("git", "fetch"), exit_code=128)
    checkout = Checkout(CHECKOUT.clone_url, COMMIT, "", "hello", None, None)
    assert check_out(_site(tmp_path, backend, bridge=False), checkout, "builder") == COMMIT
    steps = _git_steps(backend)
    assert steps[-2] == (("git", "reset", "--hard", COMMIT), False)  # no bridge: no network


def test_a_local_repository_is_trusted_by_path_only(tmp_path: Path) -> None:
    backend = _backend()
    local = Checkout("file:///srv/git/hello.git", "main", "", "hello", None, "/srv/git/hello.git")
    check_out(_site(tmp_path, backend), local, "builder")
    trusted = [argv[-1] for argv, _net in _git_steps(backend) if argv[1] == "config"]
    assert trusted == ["/srv/git/hello.git", "/srv/git/hello.git/.git"]


def test_a_failed_clone_names_the_step_and_the_log(tmp_path: Path) -> None:
    backend = _backend()
    backend.on_exec(("git", "clone"), exit_code=128)
    with pytest.raises(koji.BuildError, match=r'"git clone -n .*", see checkout.log'):
        check_out(_site(tmp_path, backend), CHECKOUT, "builder")
    assert [argv[1] for argv, _net in _git_steps(backend)] == ["clone"]


def test_rev_parse_must_give_a_commit_id(tmp_path: Path) -> None:
    backend = _backend()
    backend.on_exec(("git", "-C", REPO_DIR, "rev-parse"), output=b"fatal: not a repo\n")
    with pytest.raises(koji.BuildError, match="gave no commit id"):
        check_out(_site(tmp_path, backend), CHECKOUT, "builder")


def test_srpm_is_built_offline_after_the_source_command_with_network(tmp_path: Path) -> None:
    backend = _backend()
    checkout = Checkout(CHECKOUT.clone_url, "main", "rpms", "hello", ("make", "sources"), None)
    spec = f"{checkout.source_dir}/hello.spec"
    build_srpm(_site(tmp_path, backend), checkout, spec, checkout.source_dir, "builder", 60.0)
    execs = [(c["argv"], c["network"], c["workdir"]) for c in backend.calls_to("exec")]
    assert execs[0] == (("make", "sources"), True, f"{REPO_DIR}/rpms")
    argv, network, _ = execs[1]
    assert argv[:2] == ("rpmbuild", "-bs") and argv[-1] == spec and network is False
    assert f"_sourcedir {REPO_DIR}/rpms" in argv


def test_source_command_and_rpmbuild_failures(tmp_path: Path) -> None:
    backend = _backend()
    checkout = Checkout(CHECKOUT.clone_url, "main", "", "hello", ("make", "sources"), None)
    backend.on_exec(("make",), exit_code=2)
    with pytest.raises(koji.BuildError, match=r"source command \['make', 'sources'\] \(status 2\)"):
        build_srpm(_site(tmp_path, backend), checkout, "x.spec", "/s", "builder", 60.0)
    backend = _backend()
    backend.on_exec(("rpmbuild",), exit_code=1)
    with pytest.raises(BuildFailed, match="rpmbuild -bs exited with status 1"):
        build_srpm(_site(tmp_path / "b", backend), CHECKOUT, "x.spec", "/s", "builder", 60.0)
