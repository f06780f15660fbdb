"""Repo tasks against a real koji hub (variables in conftest): a tag with an external repo gets
a merged repo buildroots install from, and a dist repo of a signed and an unsigned package
carries the signed copy and the comps. Each test makes uniquely named tags, an external repo
and (dist repo) two imported builds, and leaves them on the hub. Keep in step with
tests/integration/test_worker_repos.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import koji
import pytest

from tests.live.markers import needs_external_repo, needs_topdir, needs_worker
from tests.scenarios import repo_tasks
from tests.scenarios.repo_tasks import Files
from tests.scenarios.worker_builds import WorkerSite
from tests.support.hub_endpoint import HubEndpoint
from tests.support.signing import signing_key
from tests.support.srpms import build_rpm, simple_spec

pytestmark = [needs_worker, needs_topdir]


@pytest.fixture
def files(live_endpoint: HubEndpoint) -> Files:
    return Files(live_endpoint.topurl, verify=str(live_endpoint.serverca))


def test_live_arch_less_tag_gets_an_arch_less_repo(
    live_endpoint: HubEndpoint, live_site: WorkerSite, files: Files
) -> None:
    repo_tasks.arch_less_tag_gets_an_arch_less_repo(live_site, files, live_endpoint.build_tag)


@needs_external_repo
def test_live_external_repo_is_merged_and_used_by_buildroots(
    live_endpoint: HubEndpoint, live_site: WorkerSite, files: Files
) -> None:
    admin = live_site.admin
    tag = repo_tasks.unique("adjutant-live-ext")
    # A tag names its arches: the hub gives a tag created without any an arch-less repo.
    build_arches = admin.getBuildConfig(live_endpoint.build_tag)["arches"]
    admin.createTag(tag, parent=live_endpoint.build_tag, arches=build_arches)
    ext_name = repo_tasks.unique("adjutant-live-ext-repo")
    admin.createExternalRepo(ext_name, os.environ["ADJUTANT_LIVE_EXTERNAL_REPO_URL"])
    admin.addExternalRepoToTag(tag, ext_name, 5, merge_mode="koji")
    repo_tasks.external_package_reaches_buildroots(
        live_site, files, tag, ext_name, os.environ["ADJUTANT_LIVE_EXTERNAL_PACKAGE"]
    )


def test_live_dist_repo_has_signed_copies_and_comps(
    live_endpoint: HubEndpoint, live_site: WorkerSite, files: Files, tmp_path: Path
) -> None:
    admin = live_site.admin
    tag = repo_tasks.unique("adjutant-live-dist")
    admin.createTag(tag, arches="x86_64")
    signed, unsigned = (
        repo_tasks.unique("adjutant-live-signed"),
        repo_tasks.unique("adjutant-live-unsigned"),
    )
    rpms = [build_rpm(simple_spec(name), tmp_path / name) for name in (signed, unsigned)]
    config = live_endpoint.write_koji_config(tmp_path)
    done = live_endpoint.koji_cli(config, "import", "--create-build", *map(str, rpms))
    assert done.returncode == 0, done.stdout + done.stderr
    for name in (signed, unsigned):
        admin.packageListAdd(tag, name, owner=admin.getLoggedInUser()["name"])
        admin.tagBuildBypass(tag, f"{name}-1-1", force=True)
    with signing_key(tmp_path / "gnupg") as key:
        repo_tasks.import_signature(admin, rpms[0], key, tmp_path / "signed")
        relpath = repo_tasks.dist_repo_has_signed_copies_and_comps(
            live_site, files, tag, signed, unsigned, key, tmp_path
        )
    assert relpath.startswith(f"repos-dist/{tag}/")
    assert admin.getRepo(tag, dist=True)["state"] == koji.REPO_READY
