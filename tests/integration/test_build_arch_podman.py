"""buildArch end to end on real podman and the Debian task image, against a fake hub.

The koji side is a repo laid out as koji's newRepo leaves it (packages/ under topdir, the
repo's arch dir with toplink, pkglist, rpmlist.jsonl and repodata with the tag's comps
groups), reached through the read-only topdir mount. The hub is FakeHub, which refuses any
package it does not know: so the listings it accepted hold only packages from that repo.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import koji
import pytest

from adjutant.config import AdjutantSettings, KojidSettings, RepoAccess, Settings
from adjutant.container.backend import LABEL_WORKER
from adjutant.container.podman import PodmanBackend
from adjutant.tasks.build_arch import BuildArchTask
from adjutant.tasks.context import TaskContext
from tests.support.devhub_site import DIST, MACROS_SPEC
from tests.support.fake_hub import FakeHub
from tests.support.srpms import build_rpm, build_srpm, simple_spec

pytestmark = pytest.mark.integration

TASK_ID = 2002468
REPO_ID = 31
TAG_ID = 17
TAG_NAME = "adj-build"
COMPS = """\
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">
<comps>
  <group><id>build</id><name>build</name><description/><default>false</default>
    <uservisible>true</uservisible>
    <packagelist><packagereq type="mandatory">adjutant-test-macros</packagereq></packagelist>
  </group>
  <group><id>srpm-build</id><name>srpm-build</name><description/><default>false</default>
    <uservisible>true</uservisible>
    <packagelist><packagereq type="mandatory">adjutant-test-macros</packagereq></packagelist>
  </group>
</comps>
"""


def rpm_row(path: Path, rpm_id: int) -> dict[str, object]:
    """The rpm as the hub lists it in a repo's rpmlist.jsonl."""
    fields = koji.get_header_fields(
        str(path), ["name", "version", "release", "epoch", "arch", "sigmd5", "size", "buildtime"]
    )
    return {
        "id": rpm_id, "name": fields["name"], "version": fields["version"],
        "release": fields["release"], "epoch": fields["epoch"], "arch": fields["arch"],
        "draft": False, "payloadhash": koji.hex_string(fields["sigmd5"]), "size": fields["size"],
        "buildtime": fields["buildtime"], "buildroot_id": 1, "build_id": rpm_id,
        "metadata_only": False,
    }  # fmt: skip


def make_koji_repo(topdir: Path, rpms: list[Path]) -> list[dict[str, object]]:
    """Lay ``rpms`` out as koji's topdir and repo ``REPO_ID`` of ``TAG_NAME``; returns rows."""
    repo_dir = topdir / "repos" / TAG_NAME / str(REPO_ID)
    arch_dir = repo_dir / "x86_64"
    arch_dir.mkdir(parents=True)
    (repo_dir / "groups").mkdir()
    (repo_dir / "groups" / "comps.xml").write_text(COMPS)
    (arch_dir / "toplink").symlink_to("../../../..")
    rows, pkglist = [], []
    for rpm_id, rpm in enumerate(rpms, start=3001):
        row = rpm_row(rpm, rpm_id)
        build_dir = Path("packages", str(row["name"]), str(row["version"]), str(row["release"]))
        target = topdir / build_dir / str(row["arch"]) / rpm.name
        target.parent.mkdir(parents=True)
        target.write_bytes(rpm.read_bytes())
        pkglist.append(f"toplink/{build_dir}/{row['arch']}/{rpm.name}\n")
        rows.append(row)
    (arch_dir / "pkglist").write_text("".join(pkglist))
    (arch_dir / "rpmlist.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    subprocess.run(
        ["createrepo_c", "--quiet", "-g", "../groups/comps.xml", "-i", "pkglist", "."],
        cwd=arch_dir, check=True, capture_output=True,
    )  # fmt: skip
    return rows


def test_build_arch_builds_with_the_repos_dist_and_reports_only_koji_packages(
    tmp_path: Path, podman_url: str, task_image: str, worker_label: str
) -> None:
    topdir = tmp_path / "koji"
    macros = build_rpm(MACROS_SPEC, tmp_path / "macros")
    dependency = build_rpm(simple_spec("adjutant-dep"), tmp_path / "dep")
    rows = make_koji_repo(topdir, [macros, dependency])
    needs_dep = simple_spec(
        "adjutant-needs-dep",
        build_requires="adjutant-dep",
        build_script='test "$(cat /usr/share/adjutant-dep/marker)" = adjutant-dep',
    )
    srpm = build_srpm(needs_dep, tmp_path / "srpm")
    pkg = f"cli-build/1700000000.1.AbCd/{srpm.name}"
    (topdir / "work" / pkg).parent.mkdir(parents=True)
    (topdir / "work" / pkg).write_bytes(srpm.read_bytes())
    settings = Settings(
        kojid=KojidSettings(topdir=topdir, workdir=tmp_path / "work"),
        adjutant=AdjutantSettings(
            worker_name=worker_label, podman_url=podman_url, task_image_default=task_image,
            repo_access=RepoAccess.MOUNT,
        ),
    )  # fmt: skip
    hub = FakeHub(
        task_id=TASK_ID,
        repo={"id": REPO_ID, "tag_id": TAG_ID, "tag_name": TAG_NAME, "state": koji.REPO_READY,
              "create_event": 900, "dist": False},
        build_config={"id": TAG_ID, "name": TAG_NAME, "arches": "x86_64", "extra": {}},
        rpms=rows,
        upload_dir=tmp_path / "hub",
    )  # fmt: skip
    task = BuildArchTask(TASK_ID, "buildArch", [pkg, TAG_NAME, "x86_64", True,
                                                {"repo_id": REPO_ID}], hub,
                         settings.kojid_options())  # fmt: skip
    task.bind(TaskContext.from_settings(settings))

    result = task.run()

    upload = koji.pathinfo.taskrelpath(TASK_ID)
    rpm_name, srpm_name = (
        f"adjutant-needs-dep-1-1{DIST}.x86_64.rpm",
        f"adjutant-needs-dep-1-1{DIST}.src.rpm",
    )
    assert result["rpms"] == [f"{upload}/{rpm_name}"]
    assert result["srpms"] == [f"{upload}/{srpm_name}"]
    assert f"{upload}/root.log" in result["logs"] and f"{upload}/build.log" in result["logs"]
    built = tmp_path / "hub" / upload / rpm_name
    query = ["rpm", "-qp", "--qf", "%{RELEASE} %{SOURCERPM} %{VENDOR}", str(built)]
    assert subprocess.run(query, capture_output=True, text=True, check=True).stdout == (
        f"1{DIST} {srpm_name} Koji"
    )
    # The hub accepted both listings, so every package in them is one of the repo's.
    (buildroot,) = hub.buildroots.values()
    assert buildroot.id == result["brootid"] and buildroot.state == "EXPIRED"
    assert [(e["name"], e["id"]) for e in buildroot.listing] == [("adjutant-test-macros", 3001)]
    assert [(e["name"], e["id"]) for e in buildroot.updates] == [("adjutant-dep", 3002)]
    (listing,) = hub.calls_to("host.setBuildRootList")
    assert [e["name"] for e in listing.args[1]] == ["adjutant-test-macros"]
    image_log = (tmp_path / "hub" / upload / "image.log").read_text()
    assert "adjutant-image-provides" in image_log
    assert "Complete!" in (tmp_path / "hub" / upload / "root.log").read_text()
    assert PodmanBackend(podman_url).list({LABEL_WORKER: worker_label}) == []
    assert not (tmp_path / "work" / upload).exists()
