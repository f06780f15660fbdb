"""A small koji site on devhub for build tests: tags, a target, a host, packages and a repo.

The build group holds only a macros package that sets %dist (as a distribution's release
package does), so a built RPM's release shows the group came from the tag's repo; a
dependency package exists only in the tag's repo. The repo is made the way a build host's
newRepo/createrepo tasks make it (repoInit, createrepo_c over the pkglist, repoDone), calling
the hub in-process as the registered host.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import koji

from adjutant.devhub import groups, hosts, tags, targets
from adjutant.devhub.admin_cli import import_files
from adjutant.devhub.app import DevHub
from tests.support.devhub import HubHarness
from tests.support.srpms import build_rpm, simple_spec

HOST = "adjutant-test-host.example.com"
BASE_TAG = "adj-base"
BUILD_TAG = "adj-build"
DEST_TAG = "adj-dest"
TARGET = "adj-target"
DIST = ".adj9"
MACROS_SPEC = f"""\
Name: adjutant-test-macros
Version: 1
Release: 1
Summary: sets %dist, as a distribution's release package does
License: MIT
BuildArch: noarch

%description
Sets %dist for builds in the test tag.

%install
mkdir -p %{{buildroot}}/etc/rpm
echo '%%dist {DIST}' > %{{buildroot}}/etc/rpm/macros.adjutant-dist

%files
/etc/rpm/macros.adjutant-dist
"""


def seed_site(hub: DevHub, scratch: Path) -> None:
    """Tags, target, host, groups; import the macros and dependency packages into the base."""
    rpms = [
        build_rpm(MACROS_SPEC, scratch / "macros"),
        build_rpm(simple_spec("adjutant-dep"), scratch / "dep"),
    ]
    with hub.admin_call() as call:
        hosts.add_host(call.db, HOST, ["x86_64"], capacity=4.0)
        hosts.add_host_to_channel(call, HOST, "createrepo")
        tags.create_tag(call.db, BASE_TAG, "x86_64", {})
        tags.create_tag(call.db, BUILD_TAG, "x86_64", {}, [BASE_TAG])
        tags.create_tag(call.db, DEST_TAG, "x86_64", {}, [BASE_TAG])
        targets.create_target(call.db, TARGET, BUILD_TAG, DEST_TAG)
        for group in ("build", "srpm-build"):
            groups.add_group(call.db, BUILD_TAG, group, ["adjutant-test-macros"])
    import_into(hub, BASE_TAG, rpms)


def import_into(hub: DevHub, tag: str, rpms: list[Path]) -> None:
    """Import rpms into the tag as `adjutant devhub import` does."""
    import_files(hub, tag, rpms)


# The host that makes repos by hand: not the worker's, whose task loop would free a task
# open on its host that it has no process for (as kojid does after a restart).
REPO_MAKER = "adjutant-repo-maker.example.com"


def make_repo(hub: DevHub, tag: str = BUILD_TAG) -> int:
    """A READY repo of the tag, made as newRepo + createrepo would; returns its id."""
    harness = HubHarness(hub.home)
    try:
        if harness.admin("getHost", REPO_MAKER) is None:
            harness.add_host(REPO_MAKER)
        task_id = harness.admin("makeTask", "newRepo", [tag], assign=REPO_MAKER)
        harness.call(REPO_MAKER, "host.openTask", task_id)
        repo_id, _event = harness.call(REPO_MAKER, "host.repoInit", tag, task_id=task_id)
        repo_dir = hub.topdir / "repos" / tag / str(repo_id)
        data = {}
        for arch_dir in sorted(p for p in repo_dir.iterdir() if (p / "pkglist").exists()):
            upload = f"{koji.pathinfo.taskrelpath(task_id)}/{arch_dir.name}"
            out = hub.topdir / "work" / upload
            out.mkdir(parents=True)
            subprocess.run(
                ["createrepo_c", "--quiet", "-g", str(repo_dir / "groups" / "comps.xml"),
                 "-i", str(arch_dir / "pkglist"), "-o", str(out), str(arch_dir)],
                check=True, capture_output=True,
            )  # fmt: skip
            data[arch_dir.name] = [
                f"{upload}/repodata",
                sorted(p.name for p in (out / "repodata").iterdir()),
            ]
        harness.call(REPO_MAKER, "host.repoDone", repo_id, data)
        harness.call(
            REPO_MAKER,
            "host.closeTask",
            task_id,
            koji.xmlrpcplus.dumps(([repo_id, _event],), methodresponse=1),
        )
        return int(repo_id)
    finally:
        harness.close()
