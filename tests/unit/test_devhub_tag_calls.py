"""devhub's tag, package-list, target, policy and small informational calls as a koji client
sees them: permissions, inheritance, edits, and the faults for unknown names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import koji
import pytest

from adjutant.devhub.misc import HUB_VERSION
from tests.support.devhub import HubHarness

HOST = "b1.example.com"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubHarness]:
    harness = HubHarness(tmp_path / "hub")
    harness.add_host(HOST)
    harness.add_user("alice")
    harness.add_user("tagger", "tag")
    harness.add_user("targeter", "target")
    try:
        yield harness
    finally:
        harness.close()


def test_tag_edits_need_the_tag_permission_and_change_what_readers_see(hub: HubHarness) -> None:
    with pytest.raises(koji.ActionNotAllowed):
        hub.call("alice", "createTag", "f40", exclusive=False)
    base = hub.call("tagger", "createTag", "f40", arches="x86_64", exclusive=False)
    child = hub.call("tagger", "createTag", "f40-build", parent="f40", exclusive=False)
    assert hub.admin("getTagID", "f40-build") == child
    assert hub.admin("getTagID", "nope") is None
    with pytest.raises(koji.GenericError):
        hub.admin("getTagID", "nope", strict=True)
    with pytest.raises(koji.GenericError, match="create=True"):
        hub.admin("getTagID", "new", create=True)
    before = hub.admin("getLastEvent")["id"]
    hub.call(
        "tagger",
        "editTag2",
        "f40-build",
        arches="x86_64 aarch64",
        locked=True,
        extra={"mock.new_chroot": 0, "keep": 1},
        exclusive=False,
    )
    hub.call("tagger", "editTag2", child, remove_extra=["mock.new_chroot"], exclusive=False)
    info = hub.admin("getTag", child)
    assert info["arches"] == "x86_64 aarch64" and info["locked"] is True
    assert info["extra"] == {"keep": 1}
    assert hub.admin("getLastEvent")["id"] > before  # edits are events, as on the hub
    hub.call("tagger", "editTag2", child, name="f40-build2", exclusive=False)
    assert hub.admin("getTag", "f40-build2")["id"] == child
    assert hub.admin("getTag", "f40-build") is None
    with pytest.raises(koji.ActionNotAllowed):
        hub.call("alice", "editTag2", child, locked=False, exclusive=False)
    assert [t["name"] for t in hub.admin("listTags")] == ["f40", "f40-build2"]
    assert hub.admin("getInheritanceData", child)[0]["parent_id"] == base


def test_inheritance_data_can_be_replaced_and_links_deleted(hub: HubHarness) -> None:
    a = hub.admin("createTag", "a", arches="x86_64")
    b = hub.admin("createTag", "b")
    child = hub.admin("createTag", "child", parent="a")
    hub.call(
        "tagger",
        "setInheritanceData",
        child,
        [{"parent_id": b, "priority": 5, "maxdepth": None, "intransitive": False}],
        exclusive=False,
    )
    parents = sorted(
        (link["parent_id"], link["priority"]) for link in hub.admin("getInheritanceData", child)
    )
    assert parents == [(a, 0), (b, 5)]
    hub.admin("setInheritanceData", child, [{"parent_id": a, "delete link": True}])
    assert [link["parent_id"] for link in hub.admin("getFullInheritance", child)] == [b]
    hub.admin("setInheritanceData", child, [{"parent_id": a}], clear=True)
    assert [link["parent_id"] for link in hub.admin("getInheritanceData", child)] == [a]
    with pytest.raises(koji.ActionNotAllowed):
        hub.call("alice", "setInheritanceData", child, [], exclusive=False)
    with pytest.raises(koji.GenericError):
        hub.admin("getFullInheritance", "nope")


def test_package_lists_inherit_and_blocks_hide_packages(hub: HubHarness) -> None:
    hub.admin("createTag", "base", arches="x86_64")
    hub.admin("createTag", "child", parent="base")
    with pytest.raises(koji.ActionNotAllowed):
        hub.call("alice", "packageListAdd", "base", "bash", "alice", exclusive=False)
    hub.call("tagger", "packageListAdd", "base", "bash", "alice", exclusive=False)
    hub.call("tagger", "packageListAdd", "base", "zsh", exclusive=False)
    hub.admin("packageListAdd", "child", "zsh", "alice", block=True)
    config = hub.admin("getPackageConfig", "child", "bash")
    assert (config["tag_id"], config["owner_name"], config["blocked"]) == (
        hub.admin("getTagID", "base"),
        "alice",
        False,
    )
    assert hub.admin("getPackageConfig", "child", "zsh")["blocked"] is True
    assert hub.admin("getPackageConfig", "child", "fish") is None
    assert hub.admin("getPackageConfig", "nope", "bash") is None
    own = hub.admin("listPackages", tagID="child")
    assert [(p["package_name"], p["blocked"]) for p in own] == [("zsh", True)]
    inherited = hub.admin("listPackages", tagID="child", inherited=True, with_blocked=False)
    assert [p["package_name"] for p in inherited] == ["bash"]
    assert hub.admin("listPackages", tagID="base", prefix="z")[0]["owner_name"] == "tagger"
    assert {p["package_name"] for p in hub.admin("listPackages")} == {"bash", "zsh"}
    assert [t["name"] for t in hub.admin("listTags", package="zsh")] == ["base", "child"]
    with pytest.raises(koji.GenericError, match="No such package"):
        hub.admin("listTags", package="fish")
    with pytest.raises(koji.GenericError, match="No such build"):
        hub.admin("listTags", build="fish-1-1")


def test_get_package_creates_only_when_asked(hub: HubHarness) -> None:
    assert hub.admin("getPackage", "fish") is None
    assert hub.admin("getPackageID", "fish") is None
    with pytest.raises(koji.GenericError):
        hub.admin("getPackage", "fish", strict=True)
    made = hub.call("alice", "getPackage", "fish", create=True, exclusive=False)
    assert made == {"id": hub.admin("getPackageID", "fish"), "name": "fish"}
    assert hub.admin("getPackage", made["id"]) == made


def test_build_targets_need_the_target_permission_and_unique_names(hub: HubHarness) -> None:
    build = hub.admin("createTag", "f40-build", arches="x86_64")
    dest = hub.admin("createTag", "f40")
    with pytest.raises(koji.ActionNotAllowed):
        hub.call("alice", "createBuildTarget", "f40", "f40-build", "f40", exclusive=False)
    hub.call("targeter", "createBuildTarget", "f40", "f40-build", "f40", exclusive=False)
    with pytest.raises(koji.GenericError, match="already exists"):
        hub.admin("createBuildTarget", "f40", "f40-build", "f40")
    with pytest.raises(koji.GenericError):
        hub.admin("createBuildTarget", "f41", "nope", "f40")
    target = hub.admin("getBuildTarget", "f40")
    assert (target["build_tag"], target["dest_tag_name"]) == (build, "f40")
    assert hub.admin("getBuildTarget", target["id"]) == target
    assert hub.admin("getBuildTarget", "nope") is None
    with pytest.raises(koji.GenericError, match="No such build target"):
        hub.admin("getBuildTarget", "nope", strict=True)
    assert hub.admin("getBuildTargets", buildTagID=build) == [target]
    assert hub.admin("getBuildTargets", destTagID="f40") == [target]
    assert hub.admin("getBuildTargets", "f40") == [target]
    assert hub.admin("getBuildTargets", destTagID=build) == []
    assert dest == target["dest_tag"]


def test_default_policies_match_the_hub(hub: HubHarness) -> None:
    alice = int(hub.admin("getUser", "alice")["id"])
    admin = int(hub.admin("getLoggedInUser")["id"])
    assert hub.call("alice", "evalPolicy", "build_rpm", {}, exclusive=False) == "allow"
    assert hub.call("alice", "evalPolicy", "build_from_srpm", {}, exclusive=False).startswith(
        "deny"
    )
    assert hub.admin("evalPolicy", "build_from_scm", {}) == "allow"
    assert hub.call(None, "evalPolicy", "package_list", {}).startswith("deny")
    assert hub.admin("evalPolicy", "some_other_policy", {}) == "allow"
    # host calls judge the task owner named in the data
    assert hub.call(HOST, "host.evalPolicy", "build_from_srpm", {"user_id": admin}) == "allow"
    assert hub.call(HOST, "host.checkPolicy", "build_from_srpm", {"user_id": alice}) == [
        False,
        "Only admin can do this via default policy",
    ]
    with pytest.raises(koji.ActionNotAllowed, match="policy violation"):
        hub.call(HOST, "host.checkPolicy", "build_from_srpm", {"user_id": alice}, strict=True)
    with pytest.raises(koji.ActionNotAllowed, match=r"policy violation \(package_list\)"):
        hub.call(HOST, "host.assertPolicy", "package_list", {"user_id": alice})
    hub.call(HOST, "host.assertPolicy", "package_list", {"user_id": admin})
    with pytest.raises(koji.AuthError):
        hub.call("alice", "host.evalPolicy", "build_rpm", {}, exclusive=False)


def test_informational_calls(hub: HubHarness) -> None:
    assert hub.call(None, "echo", 1, "a") == [1, "a"]
    assert hub.call(None, "getKojiVersion") == HUB_VERSION
    assert hub.call(None, "getAPIVersion") == koji.API_VERSION
    assert hub.call(None, "hello") == "Hello World"
    assert hub.call(None, "mavenEnabled") is False and hub.call(None, "winEnabled") is False
    methods = hub.call(None, "system.listMethods")
    assert {"getTaskInfo", "host.openTask", "multiCall"} <= set(methods)
    assert "admin" in {p["name"] for p in hub.call(None, "getAllPerms")}
    hub.admin("createTag", "t")
    last = hub.call(None, "getLastEvent")
    assert hub.call(None, "getEvent", last["id"]) == last
    assert hub.call(None, "getLastEvent", last["ts"] + 1) == last
    with pytest.raises(koji.GenericError, match="no events before"):
        hub.call(None, "getLastEvent", 0)
    assert hub.call(None, "getLastEvent", 0, strict=False) is None
    with pytest.raises(koji.GenericError, match="No such event"):
        hub.call(None, "getEvent", 10**9)
    assert hub.call(None, "getEvent", 10**9, strict=False) is None
