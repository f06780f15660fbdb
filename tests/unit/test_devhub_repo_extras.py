"""devhub's external repos, rpm signatures and dist repos, as the real hub keeps them: the
repo lists build hosts merge, external rpm rows from buildroot listings, cached signature
headers and signed copies, and dist repos laid out, filled by distRepoMove and made READY."""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import koji
import pytest

from adjutant.devhub.admin_cli import import_files
from adjutant.devhub.tags import create_tag
from tests.support.devhub import HubHarness
from tests.support.signing import SigningKey, signed_copy, signing_key
from tests.support.srpms import build_rpm, simple_spec

HOST = "b1.example.com"
TAG = "dist-tag"
RS = koji.REPO_STATES


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubHarness]:
    harness = HubHarness(tmp_path / "hub")
    harness.add_host(HOST)
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Binary rpms `foo` and `bar`, a key, and `foo` signed with it; built once."""
    base = tmp_path_factory.mktemp("rpms")
    foo = build_rpm(simple_spec("foo"), base / "foo")
    bar = build_rpm(simple_spec("bar"), base / "bar")
    with signing_key(base / "gnupg") as key:
        yield {"foo": foo, "bar": bar, "key": key, "signed": signed_copy(foo, key, base / "sig")}


def _arch(packages: dict[str, Any]) -> str:
    arch: str = packages["foo"].parent.name
    return arch


def _tag(
    hub: HubHarness,
    name: str,
    arches: str | None = None,
    parents: list[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    with hub.db.transaction() as cur:
        create_tag(cur, name, arches, extra or {}, parents)


def _sighdr(path: Path) -> str:
    return base64.b64encode(koji.rip_rpm_sighdr(str(path))).decode()


def _foo_in_tag(hub: HubHarness, packages: dict[str, Any]) -> dict[str, Any]:
    """`foo` imported (unsigned) into TAG; returns its getRPM entry."""
    _tag(hub, TAG, _arch(packages))
    import_files(hub.hub, TAG, [packages["foo"]])
    rpm: dict[str, Any] = hub.admin("getRPM", packages["foo"].name[: -len(".rpm")], strict=True)
    return rpm


# --- external repos -------------------------------------------------------------------------


def test_create_external_repo_normalises_url_and_is_found_by_id_name_and_url(
    hub: HubHarness,
) -> None:
    repo = hub.admin("createExternalRepo", "fedora", "https://example.com/f40")
    assert repo["url"] == "https://example.com/f40/"
    other = hub.admin("createExternalRepo", "epel", "https://example.com/epel/")
    assert other["url"] == "https://example.com/epel/"
    assert hub.admin("getExternalRepo", repo["id"]) == repo
    assert hub.admin("getExternalRepo", "fedora") == repo
    assert hub.admin("getExternalRepo", {"name": "epel"}) == other
    assert hub.admin("getExternalRepo", "nope") is None
    assert [r["name"] for r in hub.admin("listExternalRepos")] == ["fedora", "epel"]
    assert hub.admin("listExternalRepos", url="https://example.com/epel/") == [other]
    assert hub.admin("listExternalRepos", info="fedora") == [repo]
    assert hub.admin("listExternalRepos", info="nope") == []


def test_create_external_repo_refuses_duplicates_bad_names_and_non_admins(
    hub: HubHarness,
) -> None:
    hub.admin("createExternalRepo", "fedora", "https://example.com/f40/")
    with pytest.raises(koji.GenericError, match="already exists"):
        hub.admin("createExternalRepo", "fedora", "https://example.com/other/")
    for bad in ("has space", "a/b", ""):
        with pytest.raises(koji.GenericError, match="Invalid external repo name"):
            hub.admin("createExternalRepo", bad, "https://example.com/x/")
    with pytest.raises(koji.ParameterError, match="url"):
        hub.admin("createExternalRepo", "blank", "  ")
    hub.add_user("alice")
    with pytest.raises(koji.ActionNotAllowed):
        hub.call("alice", "createExternalRepo", "mine", "https://example.com/m/")
    assert [r["name"] for r in hub.admin("listExternalRepos")] == ["fedora"]


def test_edit_external_repo_renames_and_moves_but_not_onto_a_taken_name(
    hub: HubHarness,
) -> None:
    repo = hub.admin("createExternalRepo", "fedora", "https://example.com/f40/")
    hub.admin("createExternalRepo", "epel", "https://example.com/epel/")
    hub.admin("editExternalRepo", "fedora", name="f40", url="https://mirror.example.com/f40")
    assert hub.admin("getExternalRepo", repo["id"]) == {
        "id": repo["id"],
        "name": "f40",
        "url": "https://mirror.example.com/f40/",
    }
    with pytest.raises(koji.GenericError, match="already taken"):
        hub.admin("editExternalRepo", "f40", name="epel")
    assert hub.admin("getExternalRepo", repo["id"])["name"] == "f40"
    with pytest.raises(koji.GenericError, match="No such repo"):
        hub.admin("editExternalRepo", "fedora", url="https://x.example.com/")


def test_delete_external_repo_drops_its_tag_links_and_touches_the_tags(
    hub: HubHarness,
) -> None:
    _tag(hub, "t1")
    hub.admin("createExternalRepo", "fedora", "https://example.com/f40/")
    hub.admin("addExternalRepoToTag", "t1", "fedora", 5)
    before = hub.admin("tagLastChangeEvent", "t1")
    hub.admin("deleteExternalRepo", "fedora")
    assert hub.admin("getExternalRepo", "fedora") is None
    assert hub.admin("getTagExternalRepos", "t1") == []
    assert hub.admin("tagLastChangeEvent", "t1") > before
    with pytest.raises(koji.GenericError, match="No such repo"):
        hub.admin("getExternalRepo", "fedora", strict=True)


def test_add_external_repo_to_tag_records_the_link_and_touches_the_tag(
    hub: HubHarness,
) -> None:
    _tag(hub, "t1")
    repo = hub.admin("createExternalRepo", "fedora", "https://example.com/f40")
    before = hub.admin("tagLastChangeEvent", "t1")
    hub.admin("addExternalRepoToTag", "t1", "fedora", 5, merge_mode="bare", arches="x86_64 aarch64")
    [link] = hub.admin("getTagExternalRepos", "t1")
    assert link == {
        "external_repo_id": repo["id"],
        "external_repo_name": "fedora",
        "priority": 5,
        "tag_id": hub.admin("getTag", "t1")["id"],
        "tag_name": "t1",
        "url": "https://example.com/f40/",
        "merge_mode": "bare",
        "arches": "x86_64 aarch64",
    }
    assert hub.admin("tagLastChangeEvent", "t1") > before


def test_add_external_repo_to_tag_refuses_duplicate_repo_priority_and_merge_mode(
    hub: HubHarness,
) -> None:
    _tag(hub, "t1")
    hub.admin("createExternalRepo", "fedora", "https://example.com/f40/")
    hub.admin("createExternalRepo", "epel", "https://example.com/epel/")
    hub.admin("addExternalRepoToTag", "t1", "fedora", 5)
    with pytest.raises(koji.GenericError, match="already associated with external repo fedora"):
        hub.admin("addExternalRepoToTag", "t1", "fedora", 6)
    with pytest.raises(koji.GenericError, match="at priority 5"):
        hub.admin("addExternalRepoToTag", "t1", "epel", 5)
    with pytest.raises(koji.GenericError, match="No such merge mode: yum"):
        hub.admin("addExternalRepoToTag", "t1", "epel", 6, merge_mode="yum")
    with pytest.raises(koji.ParameterError, match="Invalid priority"):
        hub.admin("addExternalRepoToTag", "t1", "epel", "high")
    assert [link["external_repo_name"] for link in hub.admin("getTagExternalRepos", "t1")] == [
        "fedora"
    ]


def test_remove_external_repo_from_tag_faults_when_not_linked(hub: HubHarness) -> None:
    _tag(hub, "t1")
    hub.admin("createExternalRepo", "fedora", "https://example.com/f40/")
    hub.admin("addExternalRepoToTag", "t1", "fedora", 5)
    hub.admin("removeExternalRepoFromTag", "t1", "fedora")
    assert hub.admin("getTagExternalRepos", "t1") == []
    with pytest.raises(koji.GenericError, match="not associated with tag t1"):
        hub.admin("removeExternalRepoFromTag", "t1", "fedora")
    assert hub.admin("getExternalRepo", "fedora") is not None  # the repo itself stays


def test_edit_tag_external_repo_changes_fields_and_reports_no_change(hub: HubHarness) -> None:
    _tag(hub, "t1")
    hub.admin("createExternalRepo", "fedora", "https://example.com/f40/")
    hub.admin("addExternalRepoToTag", "t1", "fedora", 5)
    assert hub.admin("editTagExternalRepo", "t1", "fedora", priority=5) is False
    assert hub.admin("editTagExternalRepo", "t1", "fedora", merge_mode="koji") is False
    assert hub.admin("editTagExternalRepo", "t1", "fedora", priority=9, merge_mode="simple") is True
    [link] = hub.admin("getTagExternalRepos", "t1")
    assert (link["priority"], link["merge_mode"], link["arches"]) == (9, "simple", None)
    assert hub.admin("editTagExternalRepo", "t1", "fedora", arches="x86_64") is True
    [link] = hub.admin("getTagExternalRepos", "t1")
    assert (link["priority"], link["merge_mode"], link["arches"]) == (9, "simple", "x86_64")
    hub.admin("createExternalRepo", "epel", "https://example.com/epel/")
    with pytest.raises(koji.GenericError, match="not associated"):
        hub.admin("editTagExternalRepo", "t1", "epel", priority=1)


def test_get_tag_external_repos_filters_by_repo_across_tags(hub: HubHarness) -> None:
    _tag(hub, "t1")
    _tag(hub, "t2")
    hub.admin("createExternalRepo", "fedora", "https://example.com/f40/")
    hub.admin("createExternalRepo", "epel", "https://example.com/epel/")
    hub.admin("addExternalRepoToTag", "t1", "fedora", 5)
    hub.admin("addExternalRepoToTag", "t2", "fedora", 1)
    hub.admin("addExternalRepoToTag", "t2", "epel", 3)
    by_repo = hub.admin("getTagExternalRepos", repo_info="fedora")
    assert [(x["tag_name"], x["priority"]) for x in by_repo] == [("t2", 1), ("t1", 5)]
    assert [x["external_repo_name"] for x in hub.admin("getTagExternalRepos", "t2")] == [
        "fedora",
        "epel",
    ]
    assert len(hub.admin("getTagExternalRepos")) == 3


def test_external_repo_list_walks_ancestors_depth_first_and_drops_duplicates(
    hub: HubHarness,
) -> None:
    _tag(hub, "gp")
    _tag(hub, "p1", parents=["gp"])
    _tag(hub, "p2")
    _tag(hub, "child", parents=["p1", "p2"])
    for name in ("a", "b", "c", "d", "e"):
        hub.admin("createExternalRepo", name, f"https://example.com/{name}/")
    hub.admin("addExternalRepoToTag", "child", "b", 20)
    hub.admin("addExternalRepoToTag", "child", "a", 10)
    hub.admin("addExternalRepoToTag", "p1", "a", 1)  # already seen on child: dropped
    hub.admin("addExternalRepoToTag", "p1", "c", 2)
    hub.admin("addExternalRepoToTag", "p2", "e", 1)
    hub.admin("addExternalRepoToTag", "gp", "d", 50)
    got = hub.admin("getExternalRepoList", "child")
    assert [(x["external_repo_name"], x["tag_name"]) for x in got] == [
        ("a", "child"),
        ("b", "child"),
        ("c", "p1"),
        ("d", "gp"),
        ("e", "p2"),
    ]
    assert [x["external_repo_name"] for x in hub.admin("getExternalRepoList", "p1")] == [
        "a",
        "c",
        "d",
    ]


def _buildroot(hub: HubHarness) -> int:
    _tag(hub, "br", "x86_64")
    task_id = hub.admin("makeTask", "newRepo", ["br"], assign=HOST)
    hub.call(HOST, "host.openTask", task_id)
    repo_id, _event = hub.call(HOST, "host.repoInit", "br", task_id=task_id)
    build_task = hub.admin("makeTask", "buildArch", [1], assign=HOST)
    hub.call(HOST, "host.openTask", build_task)
    return int(hub.call(HOST, "host.newBuildRoot", repo_id, "x86_64", task_id=build_task))


def _ext_rpm(
    name: str = "bash", payloadhash: str = "ab" * 16, location: str = "fedora", **changes: Any
) -> dict[str, Any]:
    entry = {
        "name": name,
        "version": "5.2",
        "release": "1.fc40",
        "epoch": None,
        "arch": "x86_64",
        "payloadhash": payloadhash,
        "size": 1234,
        "buildtime": 1700000000,
        "location": location,
    }
    entry.update(changes)
    return entry


def test_buildroot_list_entries_with_a_location_become_external_rpms(hub: HubHarness) -> None:
    repo = hub.admin("createExternalRepo", "fedora", "https://example.com/f40/")
    hub.admin("createExternalRepo", "epel", "https://example.com/epel/")
    br = _buildroot(hub)
    hub.call(
        HOST,
        "host.setBuildRootList",
        br,
        [_ext_rpm(), _ext_rpm(location="epel"), _ext_rpm("zsh", epoch=2)],
    )
    listed = hub.admin("listRPMs", componentBuildrootID=br)
    assert [(r["name"], r["external_repo_name"], r["epoch"]) for r in listed] == [
        ("bash", "fedora", None),
        ("bash", "epel", None),
        ("zsh", "fedora", 2),
    ]
    assert listed[0]["external_repo_id"] == repo["id"]
    assert listed[0]["build_id"] is None and listed[0]["payloadhash"] == "ab" * 16
    # the same NVRA from the same repo with the same hash is the same row
    hub.call(HOST, "host.setBuildRootState", br, "BUILDING")
    hub.call(HOST, "host.updateBuildRootList", br, [_ext_rpm()])
    assert len(hub.admin("listRPMs", componentBuildrootID=br)) == 3
    assert len(hub.admin("listRPMs")) == 3


def test_an_external_rpm_whose_hash_changed_is_refused(hub: HubHarness) -> None:
    hub.admin("createExternalRepo", "fedora", "https://example.com/f40/")
    br = _buildroot(hub)
    hub.call(HOST, "host.setBuildRootState", br, "BUILDING")
    hub.call(HOST, "host.updateBuildRootList", br, [_ext_rpm()])
    with pytest.raises(
        koji.GenericError,
        match=r"hash changed for external rpm: "
        r"bash-5\.2-1\.fc40\.x86_64@fedora",
    ):
        hub.call(HOST, "host.updateBuildRootList", br, [_ext_rpm(payloadhash="cd" * 16)])
    [row] = hub.admin("listRPMs", componentBuildrootID=br)
    assert row["payloadhash"] == "ab" * 16


def test_external_rpm_entries_with_missing_or_mistyped_fields_are_refused(
    hub: HubHarness,
) -> None:
    hub.admin("createExternalRepo", "fedora", "https://example.com/f40/")
    br = _buildroot(hub)
    missing = _ext_rpm()
    del missing["buildtime"]
    with pytest.raises(koji.GenericError, match="buildtime field missing"):
        hub.call(HOST, "host.setBuildRootList", br, [missing])
    with pytest.raises(koji.GenericError, match="Invalid value for size"):
        hub.call(HOST, "host.setBuildRootList", br, [_ext_rpm(size="1234")])
    with pytest.raises(koji.GenericError, match="Invalid value for epoch"):
        hub.call(HOST, "host.setBuildRootList", br, [_ext_rpm(epoch=True)])
    with pytest.raises(koji.GenericError, match="No such repo: nowhere"):
        hub.call(HOST, "host.setBuildRootList", br, [_ext_rpm(location="nowhere")])
    assert hub.admin("listRPMs") == []  # each refused call rolled back


# --- rpm signatures -------------------------------------------------------------------------


def test_imported_rpms_get_an_unsigned_signature_row_and_cached_header(
    hub: HubHarness, packages: dict[str, Any]
) -> None:
    rpm = _foo_in_tag(hub, packages)
    [sig] = hub.admin("queryRPMSigs", rpm_id=rpm["id"])
    assert sig["sigkey"] == "" and sig["rpm_id"] == rpm["id"]
    cached = hub.hub.topdir / "packages/foo/1/1" / koji.pathinfo.sighdr(rpm, "")
    assert cached.read_bytes() == koji.rip_rpm_sighdr(str(packages["foo"]))
    with pytest.raises(koji.GenericError, match="Signature already exists"):
        hub.admin("addRPMSig", rpm["id"], _sighdr(packages["foo"]))


def test_add_rpm_sig_caches_a_keyed_header_and_refuses_duplicates(
    hub: HubHarness, packages: dict[str, Any]
) -> None:
    rpm = _foo_in_tag(hub, packages)
    key: SigningKey = packages["key"]
    hub.add_user("signer", "sign")
    hub.call("signer", "addRPMSig", rpm["id"], _sighdr(packages["signed"]))
    assert [s["sigkey"] for s in hub.admin("queryRPMSigs", rpm_id=rpm["id"])] == ["", key.koji_id]
    nvra = f"foo-1-1.{rpm['arch']}"
    [keyed] = hub.admin("queryRPMSigs", rpm_id=nvra, sigkey=key.koji_id.upper())
    assert keyed["sigkey"] == key.koji_id
    cached = hub.hub.topdir / "packages/foo/1/1" / koji.pathinfo.sighdr(rpm, key.koji_id)
    assert cached.read_bytes() == koji.rip_rpm_sighdr(str(packages["signed"]))
    with pytest.raises(koji.GenericError, match=f"Signature already exists.*{key.koji_id}"):
        hub.call("signer", "addRPMSig", rpm["id"], _sighdr(packages["signed"]))
    assert hub.admin("queryRPMSigs", rpm_id="nope-1-1.x86_64") == []


def test_add_rpm_sig_needs_sign_permission_valid_base64_and_the_right_md5(
    hub: HubHarness, packages: dict[str, Any]
) -> None:
    rpm = _foo_in_tag(hub, packages)
    hub.add_user("alice")
    with pytest.raises(koji.ActionNotAllowed, match="sign permission"):
        hub.call("alice", "addRPMSig", rpm["id"], _sighdr(packages["signed"]))
    with pytest.raises(koji.ParameterError, match="base64"):
        hub.admin("addRPMSig", rpm["id"], "not base64!!")
    with pytest.raises(koji.GenericError, match="wrong md5"):
        hub.admin("addRPMSig", rpm["id"], _sighdr(packages["bar"]))
    assert [s["sigkey"] for s in hub.admin("queryRPMSigs", rpm_id=rpm["id"])] == [""]


def test_write_signed_rpm_splices_the_cached_header_into_a_copy(
    hub: HubHarness, packages: dict[str, Any]
) -> None:
    rpm = _foo_in_tag(hub, packages)
    key: SigningKey = packages["key"]
    with pytest.raises(koji.GenericError, match="No cached signature"):
        hub.admin("writeSignedRPM", rpm["id"], key.koji_id)
    hub.admin("addRPMSig", rpm["id"], _sighdr(packages["signed"]))
    hub.admin("writeSignedRPM", rpm["id"], key.koji_id.upper())
    signed = (
        hub.hub.topdir
        / "packages/foo/1/1/data/signed"
        / key.koji_id
        / rpm["arch"]
        / packages["foo"].name
    )
    assert signed.is_file()
    assert koji.rip_rpm_sighdr(str(signed)) == koji.rip_rpm_sighdr(str(packages["signed"]))
    header = koji.get_rpm_header(str(signed))
    assert koji.hex_string(koji.get_header_field(header, "sigmd5")) == rpm["payloadhash"]
    primary = hub.hub.topdir / "packages/foo/1/1" / rpm["arch"] / packages["foo"].name
    assert koji.rip_rpm_sighdr(str(primary)) == koji.rip_rpm_sighdr(str(packages["foo"]))


def test_list_tagged_rpms_gives_one_entry_per_signature_key(
    hub: HubHarness, packages: dict[str, Any]
) -> None:
    rpm = _foo_in_tag(hub, packages)
    hub.admin("addRPMSig", rpm["id"], _sighdr(packages["signed"]))
    rpms, builds = hub.admin("listTaggedRPMS", TAG, rpmsigs=True)
    assert [(r["id"], r["sigkey"]) for r in rpms] == [
        (rpm["id"], ""),
        (rpm["id"], packages["key"].koji_id),
    ]
    assert [b["name"] for b in builds] == ["foo"]
    plain, _builds = hub.admin("listTaggedRPMS", TAG)
    assert len(plain) == 1 and "sigkey" not in plain[0]


# --- dist repos -----------------------------------------------------------------------------


def _dist_repo(
    hub: HubHarness, arch: str, keys: list[str] | None = None, user: str | None = None, **opts: Any
) -> tuple[int, int]:
    """A distRepo call; returns (task_id, repo_id)."""
    if user is None:
        task_id = hub.admin("distRepo", TAG, keys or [], arch=[arch], **opts)
    else:
        task_id = hub.call(user, "distRepo", TAG, keys or [], arch=[arch], **opts)
    return int(task_id), int(hub.admin("getTaskRequest", task_id)[1])


def test_dist_repo_lays_out_the_repo_and_queues_a_create_repo_task(
    hub: HubHarness, packages: dict[str, Any]
) -> None:
    _foo_in_tag(hub, packages)
    comps = hub.hub.topdir / "work" / "uploads" / "comps.xml"
    comps.parent.mkdir(parents=True)
    comps.write_text("<comps/>")
    task_id = hub.admin(
        "distRepo", TAG, ["abcd1234"], arch=["x86_64", "i686"], comps="uploads/comps.xml"
    )
    tag_name, repo_id, keys, opts = hub.admin("getTaskRequest", task_id)
    assert (tag_name, keys) == (TAG, ["abcd1234"])
    repodir = hub.hub.topdir / "repos-dist" / TAG / str(repo_id)
    assert sorted(p.name for p in repodir.iterdir()) == ["groups", "i386", "repo.json", "x86_64"]
    assert (repodir / "groups/comps.xml").read_text() == "<comps/>"
    record = json.loads((repodir / "repo.json").read_text())
    assert (record["id"], record["tag"], record["keys"]) == (repo_id, TAG, ["abcd1234"])
    info = hub.admin("getTaskInfo", task_id)
    assert info["method"] == "distRepo"
    assert hub.admin("getChannel", info["channel_id"])["name"] == "createrepo"
    repo = hub.admin("repoInfo", repo_id)
    assert repo["dist"] is True and repo["state"] == RS["INIT"]
    assert repo["task_id"] == task_id and opts["event"] == repo["create_event"]


def test_dist_repo_needs_dist_repo_or_admin_permission(
    hub: HubHarness, packages: dict[str, Any]
) -> None:
    _foo_in_tag(hub, packages)
    hub.add_user("alice")
    hub.add_user("distributor", "dist-repo")
    with pytest.raises(koji.ActionNotAllowed, match="dist-repo"):
        _dist_repo(hub, "x86_64", user="alice")
    with pytest.raises(koji.ActionNotAllowed, match="logged in"):
        hub.call(None, "distRepo", TAG, [], arch=["x86_64"])
    assert hub.admin("getRepo", TAG, state=RS["INIT"], dist=True) is None
    task_id, repo_id = _dist_repo(hub, "x86_64", user="distributor")
    assert hub.admin("repoInfo", repo_id)["task_id"] == task_id


def test_dist_repo_refuses_comps_outside_work_missing_comps_and_other_volumes(
    hub: HubHarness, packages: dict[str, Any]
) -> None:
    _foo_in_tag(hub, packages)
    secret = hub.hub.topdir / "secret.xml"
    secret.write_text("<comps/>")
    inside = hub.hub.topdir / "work" / "comps.xml"
    inside.write_text("<comps/>")
    for bad in ("../secret.xml", str(secret), str(inside)):  # absolute: refused even inside
        with pytest.raises(koji.GenericError, match="comps leaves"):
            _dist_repo(hub, "x86_64", comps=bad)
    with pytest.raises(koji.GenericError, match="comps file missing"):
        _dist_repo(hub, "x86_64", comps="nope/comps.xml")
    with pytest.raises(koji.GenericError, match="No such volume: vol2"):
        _dist_repo(hub, "x86_64", volume="vol2")
    assert hub.admin("getRepo", TAG, state=RS["INIT"], dist=True) is None
    _task_id, repo_id = _dist_repo(hub, "x86_64", volume="DEFAULT")
    assert hub.admin("repoInfo", repo_id)["dist"] is True


def test_a_refused_dist_repo_leaves_no_directory_for_the_next_repo(
    hub: HubHarness, packages: dict[str, Any]
) -> None:
    _foo_in_tag(hub, packages)
    with pytest.raises(koji.GenericError, match="comps file missing"):
        _dist_repo(hub, "aarch64", comps="nope/comps.xml")
    _task_id, repo_id = _dist_repo(hub, "x86_64")
    repodir = hub.hub.topdir / "repos-dist" / TAG / str(repo_id)
    assert sorted(p.name for p in repodir.iterdir()) == ["repo.json", "x86_64"]


def test_dist_repo_with_cancel_others_cancels_the_tags_pending_dist_repo_tasks(
    hub: HubHarness,
) -> None:
    _tag(hub, TAG, "x86_64", extra={"distrepo.cancel_others": True})
    first, _repo = _dist_repo(hub, "x86_64")
    second, _repo = _dist_repo(hub, "x86_64")
    assert hub.admin("getTaskInfo", first)["state"] == koji.TASK_STATES["CANCELED"]
    assert hub.admin("getTaskInfo", second)["state"] == koji.TASK_STATES["FREE"]


def _stage(hub: HubHarness, repo_id: int, arch: str, kojipkgs: Any, manifest: Any = None) -> str:
    """Upload one arch's dist repo output as a createdistrepo task would; returns its path."""
    task_id = hub.admin("makeTask", "createdistrepo", [TAG, repo_id, arch], assign=HOST)
    hub.call(HOST, "host.openTask", task_id)
    rel = f"{koji.pathinfo.taskrelpath(task_id)}/{arch}"
    upload = hub.hub.topdir / "work" / rel
    (upload / "repodata").mkdir(parents=True)
    (upload / "repodata" / "repomd.xml").write_text("<repomd/>")
    (upload / "repo_manifest").write_text(
        json.dumps(["repodata/repomd.xml"] if manifest is None else manifest)
    )
    (upload / "kojipkgs").write_text(json.dumps(kojipkgs))
    return rel


def _kojipkgs(hub: HubHarness, key: str, **changes: Any) -> dict[str, Any]:
    """A kojipkgs mapping for `foo` from listTaggedRPMS' entry for `key`, with `changes`."""
    rpms, _builds = hub.admin("listTaggedRPMS", TAG, rpmsigs=True)
    [entry] = [r for r in rpms if r["sigkey"] == key]
    entry.update(changes)
    return {"foo-1-1.{}.rpm".format(entry["arch"]): entry}


def test_dist_repo_move_places_repodata_and_links_the_signed_copy(
    hub: HubHarness, packages: dict[str, Any]
) -> None:
    rpm = _foo_in_tag(hub, packages)
    key = packages["key"].koji_id
    hub.admin("addRPMSig", rpm["id"], _sighdr(packages["signed"]))
    hub.admin("writeSignedRPM", rpm["id"], key)
    arch = rpm["arch"]
    _task_id, repo_id = _dist_repo(hub, arch, [key])
    rel = _stage(hub, repo_id, arch, _kojipkgs(hub, key))
    hub.call(HOST, "host.distRepoMove", repo_id, rel, arch)
    archdir = hub.hub.topdir / "repos-dist" / TAG / str(repo_id) / arch
    assert (archdir / "repodata/repomd.xml").read_text() == "<repomd/>"
    assert not (hub.hub.topdir / "work" / rel / "repodata/repomd.xml").exists()
    linked = archdir / "Packages" / "f" / packages["foo"].name
    signed = hub.hub.topdir / "packages/foo/1/1" / koji.pathinfo.signed(rpm, key)
    assert os.path.samefile(linked, signed)
    assert koji.rip_rpm_sighdr(str(linked)) == koji.rip_rpm_sighdr(str(packages["signed"]))


def test_dist_repo_move_links_the_primary_rpm_without_a_sigkey(
    hub: HubHarness, packages: dict[str, Any]
) -> None:
    rpm = _foo_in_tag(hub, packages)
    arch = rpm["arch"]
    _task_id, repo_id = _dist_repo(hub, arch)
    rel = _stage(hub, repo_id, arch, _kojipkgs(hub, ""))
    hub.call(HOST, "host.distRepoMove", repo_id, rel, arch)
    linked = (
        hub.hub.topdir
        / "repos-dist"
        / TAG
        / str(repo_id)
        / arch
        / "Packages/f"
        / packages["foo"].name
    )
    assert os.path.samefile(linked, hub.hub.topdir / "packages/foo/1/1" / koji.pathinfo.rpm(rpm))


def test_dist_repo_move_refuses_entries_that_do_not_match_the_rpm_row(
    hub: HubHarness, packages: dict[str, Any]
) -> None:
    rpm = _foo_in_tag(hub, packages)
    arch = rpm["arch"]
    _task_id, repo_id = _dist_repo(hub, arch)
    for field, value in (
        ("size", rpm["size"] + 1),
        ("payloadhash", "00" * 16),
        ("epoch", 3),
        ("build_id", rpm["build_id"] + 100),
    ):
        rel = _stage(hub, repo_id, arch, _kojipkgs(hub, "", **{field: value}))
        with pytest.raises(koji.GenericError, match=f"does not match db: .*key {field}$"):
            hub.call(HOST, "host.distRepoMove", repo_id, rel, arch)
        # nothing moved: the checks come before any file is touched
        assert (hub.hub.topdir / "work" / rel / "repodata/repomd.xml").is_file()
    entry = _kojipkgs(hub, "")
    del next(iter(entry.values()))["release"]
    rel = _stage(hub, repo_id, arch, entry)
    with pytest.raises(koji.GenericError, match="key release"):
        hub.call(HOST, "host.distRepoMove", repo_id, rel, arch)
    rel = _stage(hub, repo_id, arch, _kojipkgs(hub, "", sigkey="deadbeef"))
    with pytest.raises(koji.GenericError, match="rpm file missing"):
        hub.call(HOST, "host.distRepoMove", repo_id, rel, arch)
    archdir = hub.hub.topdir / "repos-dist" / TAG / str(repo_id) / arch
    assert list(archdir.iterdir()) == []


def test_dist_repo_move_refuses_missing_uploads_and_paths_leaving_their_dirs(
    hub: HubHarness, packages: dict[str, Any]
) -> None:
    rpm = _foo_in_tag(hub, packages)
    arch = rpm["arch"]
    _task_id, repo_id = _dist_repo(hub, arch)
    rel = _stage(hub, repo_id, arch, _kojipkgs(hub, ""))
    upload = hub.hub.topdir / "work" / rel
    with pytest.raises(koji.GenericError, match="uploadpath leaves"):
        hub.call(HOST, "host.distRepoMove", repo_id, "../repos-dist", arch)
    (upload / "kojipkgs").rename(upload / "kojipkgs.off")
    with pytest.raises(koji.GenericError, match="Missing kojipkgs file"):
        hub.call(HOST, "host.distRepoMove", repo_id, rel, arch)
    (upload / "kojipkgs.off").rename(upload / "kojipkgs")
    (upload / "repo_manifest").rename(upload / "manifest.off")
    with pytest.raises(koji.GenericError, match="Missing repo manifest"):
        hub.call(HOST, "host.distRepoMove", repo_id, rel, arch)
    (upload / "manifest.off").rename(upload / "repo_manifest")
    outside = hub.hub.topdir / "work" / "outside.txt"
    outside.write_text("x")
    for manifest, message in (
        (["../outside.txt"], "manifest entry leaves"),
        (["repodata/missing.xml"], "uploaded file missing"),
    ):
        rel2 = _stage(hub, repo_id, arch, _kojipkgs(hub, ""), manifest)
        with pytest.raises(koji.GenericError, match=message):
            hub.call(HOST, "host.distRepoMove", repo_id, rel2, arch)
    assert outside.is_file()
    bad_name = {"../foo.rpm": next(iter(_kojipkgs(hub, "").values()))}
    rel3 = _stage(hub, repo_id, arch, bad_name)
    with pytest.raises(koji.GenericError, match="bad kojipkgs entry"):
        hub.call(HOST, "host.distRepoMove", repo_id, rel3, arch)
    with pytest.raises(koji.GenericError, match="arch directory missing"):
        hub.call(HOST, "host.distRepoMove", repo_id, rel, "ppc64le")
    hub.add_user("alice")
    with pytest.raises(koji.AuthError):
        hub.call("alice", "host.distRepoMove", repo_id, rel, arch)


def test_dist_repo_move_manifest_entries_may_not_leave_the_arch_dir(
    hub: HubHarness, packages: dict[str, Any]
) -> None:
    rpm = _foo_in_tag(hub, packages)
    arch = rpm["arch"]
    _task_id, repo_id = _dist_repo(hub, arch)
    # Through a symlink the entry stays inside the upload dir, but under the arch dir (where
    # the link does not exist) it climbs out of it.
    entry = "deep/../../../f"
    rel = _stage(hub, repo_id, arch, _kojipkgs(hub, ""), ["repodata/repomd.xml", entry])
    upload = hub.hub.topdir / "work" / rel
    (upload / "a/b/c").mkdir(parents=True)
    (upload / "deep").symlink_to("a/b/c")
    (upload / "f").write_text("f")
    assert (upload / entry).resolve() == (upload / "f").resolve()
    archdir = hub.hub.topdir / "repos-dist" / TAG / str(repo_id) / arch
    with pytest.raises(koji.GenericError, match=f"manifest entry leaves {re.escape(str(archdir))}"):
        hub.call(HOST, "host.distRepoMove", repo_id, rel, arch)
    assert (upload / "repodata/repomd.xml").is_file() and (upload / "f").is_file()
    assert not (archdir.parent.parent / "f").exists()
