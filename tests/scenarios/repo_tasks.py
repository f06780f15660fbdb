"""End-to-end repo task scenarios (newRepo with external repos, distRepo) through hub calls
only, so tests/integration runs them on devhub and tests/live on a real hub. Repos are read
back over the topurl, as a yum client would.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import koji
import requests

from tests.scenarios import worker_builds
from tests.scenarios.worker_builds import WorkerSite
from tests.support.repodata import RepoContents, read_repo
from tests.support.signing import SigningKey, signed_copy

REPO_TIMEOUT_S = 300.0


@dataclass
class Files:
    """The hub's files over its topurl."""

    topurl: str
    verify: str | bool = True

    def fetch(self, relpath: str) -> bytes:
        response = requests.get(
            f"{self.topurl.rstrip('/')}/{relpath}", verify=self.verify, timeout=60
        )
        response.raise_for_status()
        return response.content

    def exists(self, relpath: str) -> bool:
        """Whether the file is there (404: no; any other error fails the test)."""
        response = requests.get(
            f"{self.topurl.rstrip('/')}/{relpath}", verify=self.verify, timeout=60
        )
        if response.status_code == 404:
            return False
        response.raise_for_status()
        return True

    def repo(self, relpath: str) -> RepoContents:
        return read_repo(lambda rel: self.fetch(f"{relpath}/{rel}"))


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def regen_repo(site: WorkerSite, tag: str) -> dict[str, Any]:
    """Request a new repo of the tag (`koji regen-repo`) and wait until it is READY."""
    request = site.admin.repo.request(tag, force=True)["request"]
    deadline = time.monotonic() + REPO_TIMEOUT_S
    while (repo := site.admin.repo.checkRequest(request["id"])["repo"]) is None:
        check = site.admin.repo.checkRequest(request["id"])
        task_id = check["request"].get("task_id")
        if task_id and site.admin.getTaskInfo(task_id)["state"] == koji.TASK_STATES["FAILED"]:
            raise AssertionError(
                f"newRepo {task_id} failed: {worker_builds.fault_of(site.admin, task_id)}"
            )
        assert time.monotonic() < deadline, check
        time.sleep(1)
    assert repo["state"] == koji.REPO_READY
    return dict(repo)


def createrepo_children(site: WorkerSite, repo: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["label"]: c for c in site.admin.getTaskChildren(repo["task_id"])}


def arch_less_tag_gets_an_arch_less_repo(site: WorkerSite, files: Files, parent: str) -> None:
    """A tag created without arches (under a parent that has them) stays arch-less on the hub:
    its repo is made READY with no createrepo subtasks and no arch dirs."""
    tag = unique("adjutant-archless")
    site.admin.createTag(tag, parent=parent)
    assert site.admin.getTag(tag)["arches"] == ""
    repo = regen_repo(site, tag)
    assert createrepo_children(site, repo) == {}
    repo_json = json.loads(files.fetch(f"repos/{tag}/{repo['id']}/repo.json"))
    assert repo_json["tag"] == tag
    assert files.exists(f"repos/{tag}/{repo['id']}/groups/comps.xml")
    assert not files.exists(f"repos/{tag}/{repo['id']}/x86_64/pkglist")


def external_package_reaches_buildroots(
    site: WorkerSite,
    files: Files,
    tag: str,
    ext_name: str,
    package: str,
    blocked: str | None = None,
) -> None:
    """The tag (with `ext_name` attached) gets a merged repo: its packages plus the external
    ones, minus the tag's `blocked` package; a buildroot installs `package` from it and the
    hub records that rpm as external."""
    repo = regen_repo(site, tag)
    child = createrepo_children(site, repo)["x86_64"]
    assert {"createrepo.log", "mergerepos.log"} <= set(site.admin.listTaskOutput(child["id"]))
    contents = files.repo(f"repos/{tag}/{repo['id']}/x86_64")
    assert f"{package}.x86_64" in contents.packages
    if blocked:
        assert f"{blocked}.x86_64" not in contents.packages
    ext_url = site.admin.getExternalRepo(ext_name)["url"].replace("$arch", "x86_64")
    assert {url for nvra, url in contents.origins.items() if nvra.startswith(package)} == {ext_url}
    # Everything else came from the tag's own repo, merged from its premerge copy.
    assert all(
        url == ext_url or url.endswith(f"/repo_{repo['id']}_premerge/")
        for url in contents.origins.values()
    )
    result = worker_builds.build_succeeds(
        site, unique("adjutant-uses-ext"), build_requires=package, tag=tag, repo_id=repo["id"]
    )
    listing = site.admin.getBuildrootListing(result["brootid"])
    [external] = [r for r in listing if r["name"] == package]
    assert external["external_repo_name"] == ext_name
    assert all(r["external_repo_name"] == "INTERNAL" for r in listing if r["name"] != package)


def import_signature(admin: koji.ClientSession, rpm: Path, key: SigningKey, scratch: Path) -> None:
    """What `koji import-sig` does with a signed copy of an rpm the hub has."""
    signed = signed_copy(rpm, key, scratch)
    info = admin.getRPM(
        koji.get_header_fields(
            koji.get_rpm_header(str(signed)), ["name", "version", "release", "arch"]
        ),
        strict=True,
    )
    admin.addRPMSig(info["id"], base64.b64encode(koji.rip_rpm_sighdr(str(signed))).decode())
    admin.writeSignedRPM(info["id"], key.koji_id)


def dist_repo(
    site: WorkerSite, tag: str, keys: list[str], comps: Path | None, **options: Any
) -> tuple[int, dict[str, Any]]:
    """Run a distRepo as `koji dist-repo` submits it; returns (task id, final task info)."""
    opts: dict[str, Any] = {
        "arch": ["x86_64"],
        "comps": None,
        "delta": [],
        "event": None,
        "volume": None,
        "inherit": True,
        "latest": True,
        "multilib": None,
        "split_debuginfo": False,
        "skip_missing_signatures": False,
        "allow_missing_signatures": False,
        "zck": False,
        "zck_dict_dir": None,
        "write_signed_rpms": False,
        **options,
    }
    if comps is not None:
        upload = f"cli-dist-repo/{uuid.uuid4().hex}"
        site.admin.uploadWrapper(str(comps), upload)
        opts["comps"] = f"{upload}/{comps.name}"
    task_id = int(site.admin.distRepo(tag, keys, **opts))
    return task_id, site.wait(task_id)


def dist_repo_path(site: WorkerSite, task_id: int) -> str:
    repo_id = int(site.admin.getTaskRequest(task_id)[1])
    tag = site.admin.repoInfo(repo_id)["tag_name"]
    return f"repos-dist/{tag}/{repo_id}/x86_64"


COMPS = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">
<comps>
  <group>
    <id>adjutant-tools</id>
    <name>Adjutant tools</name>
    <description>what the dist repo test ships</description>
    <default>true</default>
    <uservisible>true</uservisible>
    <packagelist>
      <packagereq type="mandatory">{package}</packagereq>
    </packagelist>
  </group>
</comps>
"""


def dist_repo_has_signed_copies_and_comps(
    site: WorkerSite,
    files: Files,
    tag: str,
    signed: str,
    unsigned: str,
    key: SigningKey,
    scratch: Path,
) -> str:
    """A dist repo of the tag for `key` (unsigned rpms allowed) with a comps group: both
    packages, the signed one linked from its signed copy, the group in the repodata.
    Returns the repo's arch dir relative to the topdir."""
    comps = scratch / "comps.xml"
    comps.write_text(COMPS.format(package=signed))
    task_id, info = dist_repo(site, tag, [key.koji_id], comps, allow_missing_signatures=True)
    assert info["state"] == koji.TASK_STATES["CLOSED"], worker_builds.fault_of(site.admin, task_id)
    relpath = dist_repo_path(site, task_id)
    contents = files.repo(relpath)
    assert contents.groups == ["adjutant-tools"]
    assert set(contents.packages) == {f"{signed}.x86_64", f"{unsigned}.x86_64"}
    assert contents.packages[f"{signed}.x86_64"] == f"Packages/{signed[0]}/{signed}-1-1.x86_64.rpm"
    [child] = site.admin.getTaskChildren(task_id)
    assert child["method"] == "createdistrepo"
    kojipkgs = json.loads(files.fetch(f"{relpath}/kojipkgs"))
    assert kojipkgs[f"{signed}-1-1.x86_64.rpm"]["sigkey"] == key.koji_id
    assert kojipkgs[f"{unsigned}-1-1.x86_64.rpm"]["sigkey"] is None
    signed_rpm = files.fetch(f"{relpath}/Packages/{signed[0]}/{signed}-1-1.x86_64.rpm")
    assert bytes.fromhex(key.long_id[-8:]) in signed_rpm  # the signature packet's issuer
    repo = site.admin.repoInfo(int(site.admin.getTaskRequest(task_id)[1]))
    assert repo["dist"] and repo["state"] == koji.REPO_READY
    assert site.admin.getRepo(tag, dist=True)["id"] == repo["id"]
    return relpath
