"""Repo tasks end to end on devhub with a running `adjutant worker`: newRepo/createrepo merging
an external repo (served over HTTP from a container), and distRepo/createdistrepo making dist
repos of signed copies with comps. The scenarios are shared with tests/live.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import koji
import pytest

from adjutant.devhub import package_lists, tags
from tests.scenarios import repo_tasks, worker_builds
from tests.scenarios.repo_tasks import Files
from tests.support import devhub_site
from tests.support.devhub_worker import DevhubSite, devhub_worker_site
from tests.support.http_container import served_over_http
from tests.support.signing import SigningKey, signing_key
from tests.support.srpms import build_rpm, simple_spec

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, podman_url: str, task_image: str, worker_label: str
) -> Iterator[DevhubSite]:
    # maxjobs 4: a repo task's parent holds a slot while its children run.
    with devhub_worker_site(
        tmp_path_factory.mktemp("worker-repos"),
        podman_url,
        task_image,
        worker_label,
        {"maxjobs": "4"},
    ) as site:
        yield site


@pytest.fixture(scope="module")
def files(site: DevhubSite) -> Files:
    return Files(site.topurl)


def _new_tag(site: DevhubSite, name: str) -> None:
    """An x86_64 tag inheriting the build tag (its groups and content; a tag names its own
    arches, as on the hub)."""
    assert site.hub_admin is not None
    with site.hub_admin.admin_call() as call:
        tags.create_tag(call.db, name, "x86_64", {}, [devhub_site.BUILD_TAG])


@pytest.fixture
def external_repo(tmp_path: Path, task_image: str) -> Iterator[tuple[str, str]]:
    """A yum repo outside koji with `adjutant-ext` and `adjutant-ext-blocked`, served over
    HTTP per arch (…/ext/x86_64/); yields (url with $arch, name of the wanted package)."""
    arch_dir = tmp_path / "srv" / "ext" / "x86_64"
    for name in ("adjutant-ext", "adjutant-ext-blocked"):
        rpm = build_rpm(simple_spec(name), tmp_path / name)
        arch_dir.mkdir(parents=True, exist_ok=True)
        rpm.rename(arch_dir / rpm.name)
    subprocess.run(["createrepo_c", "-q", str(arch_dir)], check=True)
    with served_over_http(tmp_path / "srv", task_image) as base_url:
        yield f"{base_url}/ext/$arch/", "adjutant-ext"


def test_an_arch_less_tag_gets_an_arch_less_repo(site: DevhubSite, files: Files) -> None:
    repo_tasks.arch_less_tag_gets_an_arch_less_repo(site, files, devhub_site.BUILD_TAG)


def test_a_tag_with_an_external_repo_gets_a_merged_repo_buildroots_install_from(
    site: DevhubSite, files: Files, external_repo: tuple[str, str]
) -> None:
    url, package = external_repo
    tag = repo_tasks.unique("adj-ext")
    _new_tag(site, tag)
    ext_name = repo_tasks.unique("ext-repo")
    site.admin.createExternalRepo(ext_name, url)
    site.admin.addExternalRepoToTag(tag, ext_name, 5, merge_mode="koji")
    # Blocking a package on the tag drops it from the external repo's content too.
    assert site.hub_admin is not None
    with site.hub_admin.admin_call() as call:
        package_lists.add_package(
            call.db, tag, "adjutant-ext-blocked", call.session.user_id, block=True
        )
    repo_tasks.external_package_reaches_buildroots(
        site, files, tag, ext_name, package, blocked="adjutant-ext-blocked"
    )


def test_mixed_merge_modes_fail_the_createrepo_with_kojids_fault(
    site: DevhubSite, external_repo: tuple[str, str]
) -> None:
    url, _package = external_repo
    tag = repo_tasks.unique("adj-mixed")
    _new_tag(site, tag)
    names = {}
    for priority, mode in ((1, "koji"), (2, "bare")):
        names[mode] = repo_tasks.unique(f"ext-{mode}")
        site.admin.createExternalRepo(names[mode], url)
        site.admin.addExternalRepoToTag(tag, names[mode], priority, merge_mode=mode)
    request = site.admin.repo.request(tag, force=True)["request"]
    deadline = time.monotonic() + 60
    while (task_id := site.admin.repo.checkRequest(request["id"])["request"]["task_id"]) is None:
        assert time.monotonic() < deadline, "no newRepo task for the request"
        time.sleep(0.5)
    assert site.wait(task_id)["state"] == koji.TASK_STATES["FAILED"]
    [child] = site.admin.getTaskChildren(task_id)
    assert "Found multiple merge modes for external repos" in str(
        worker_builds.fault_of(site.admin, child["id"])
    )
    # With one mode left, the queue's retry of the same request makes the repo.
    site.admin.removeExternalRepoFromTag(tag, names["bare"])
    while (repo := site.admin.repo.checkRequest(request["id"])["repo"]) is None:
        assert time.monotonic() < deadline + 240, "the retried request never made a repo"
        time.sleep(1)
    assert repo["state"] == koji.REPO_READY


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SigningKey]:
    with signing_key(tmp_path_factory.mktemp("gnupg") / "home") as made:
        yield made


@pytest.fixture
def dist_tag(site: DevhubSite, tmp_path: Path, key: SigningKey) -> tuple[str, str, str]:
    """A tag holding two fresh packages: one with a signed copy, one unsigned.
    Returns (tag, signed package, unsigned package)."""
    tag = repo_tasks.unique("adj-dist")
    signed_name, unsigned_name = (
        repo_tasks.unique("adjutant-signed"),
        repo_tasks.unique("adjutant-unsigned"),
    )
    rpms = [build_rpm(simple_spec(n), tmp_path / n) for n in (signed_name, unsigned_name)]
    assert site.hub_admin is not None
    with site.hub_admin.admin_call() as call:
        tags.create_tag(call.db, tag, "x86_64", {})
    devhub_site.import_into(site.hub_admin, tag, rpms)
    repo_tasks.import_signature(site.admin, rpms[0], key, tmp_path / "signed")
    return tag, signed_name, unsigned_name


def test_a_dist_repo_has_the_signed_copies_the_fallbacks_and_the_comps(
    site: DevhubSite,
    files: Files,
    tmp_path: Path,
    key: SigningKey,
    dist_tag: tuple[str, str, str],
    task_image: str,
) -> None:
    tag, signed, unsigned = dist_tag
    relpath = repo_tasks.dist_repo_has_signed_copies_and_comps(
        site, files, tag, signed, unsigned, key, tmp_path
    )
    assert site.admin.getRepo(tag) is None  # a dist repo is not a build repo
    # dnf in a task container installs the package group from the repo, and the signed
    # package it gets carries our key.
    assert site.hub_admin is not None
    repo_dir = site.hub_admin.topdir / relpath
    installed = subprocess.run(
        [
            "podman",
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            f"{repo_dir}:/dist:ro",
            task_image,
            "sh",
            "-c",
            "dnf -q -y --disablerepo='*' --repofrompath=dist,file:///dist --nogpgcheck "
            "--setopt=install_weak_deps=False group install adjutant-tools && "
            f"rpm -q --qf '%{{NAME}} %{{RSAHEADER:pgpsig}}\\n' {signed}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert f"Key ID {key.long_id.lower()}" in installed.stdout


def test_a_dist_repo_skips_or_refuses_unsigned_packages_as_asked(
    site: DevhubSite,
    files: Files,
    key: SigningKey,
    dist_tag: tuple[str, str, str],
) -> None:
    tag, signed, unsigned = dist_tag
    task_id, info = repo_tasks.dist_repo(
        site, tag, [key.koji_id], None, skip_missing_signatures=True
    )
    assert info["state"] == koji.TASK_STATES["CLOSED"], worker_builds.fault_of(site.admin, task_id)
    contents = files.repo(repo_tasks.dist_repo_path(site, task_id))
    assert set(contents.packages) == {f"{signed}.x86_64"}
    assert contents.groups == []
    [child] = site.admin.getTaskChildren(task_id)
    log = site.admin.downloadTaskOutput(child["id"], "missing_signatures.log").decode()
    assert f"{unsigned}-1-1.x86_64: ['']" in log

    task_id, info = repo_tasks.dist_repo(site, tag, [key.koji_id], None)
    assert info["state"] == koji.TASK_STATES["FAILED"]
    [child] = site.admin.getTaskChildren(task_id)
    assert "Unsigned packages found. See missing_signatures.log" in str(
        worker_builds.fault_of(site.admin, child["id"])
    )
    repo_id = int(site.admin.getTaskRequest(task_id)[1])
    assert site.admin.repoInfo(repo_id)["state"] == koji.REPO_INIT  # never made READY


def test_a_multilib_dist_repo_is_refused_with_a_fault_naming_it(
    site: DevhubSite,
    key: SigningKey,
    dist_tag: tuple[str, str, str],
) -> None:
    tag, _signed, _unsigned = dist_tag
    task_id, info = repo_tasks.dist_repo(
        site, tag, [key.koji_id], None, multilib="work/multilib.conf"
    )
    assert info["state"] == koji.TASK_STATES["FAILED"]
    assert "multilib" in str(worker_builds.fault_of(site.admin, task_id))
