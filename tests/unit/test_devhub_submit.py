"""devhub's calls that start work, as koji's hub checks them: build and chainBuild task
creation, and tagBuild from the user's request to the host's tagging of the build."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import koji
import pytest

from adjutant.devhub.builds import BS, new_build
from tests.support.devhub import HubHarness

HOST = "b1.example.com"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubHarness]:
    harness = HubHarness(tmp_path / "hub")
    harness.add_host(HOST)
    harness.add_user("alice")
    harness.admin("createTag", "f40-build", arches="x86_64")
    harness.admin("createTag", "f40")
    harness.admin("createTag", "f40-old")
    harness.admin("createBuildTarget", "f40", "f40-build", "f40")
    try:
        yield harness
    finally:
        harness.close()


def _build(hub: HubHarness, state: str = "COMPLETE", release: str = "1") -> int:
    with hub.db.transaction() as cur:
        return new_build(
            cur,
            {
                "name": "fish",
                "version": "1",
                "release": release,
                "epoch": None,
                "owner": 1,
                "state": BS[state],
            },
        )


def _as_alice(hub: HubHarness, method: str, *args: object, **kwargs: object) -> Any:
    return hub.call("alice", method, *args, exclusive=False, **kwargs)


def test_build_makes_a_task_owned_by_the_caller_with_its_request(hub: HubHarness) -> None:
    task_id = _as_alice(hub, "build", "cli-build/1/fish.src.rpm", "f40", {"scratch": True}, 5)
    info = hub.admin("getTaskInfo", task_id, request=True)
    assert info["method"] == "build"
    assert info["owner"] == hub.admin("getUser", "alice")["id"]
    assert info["priority"] == koji.PRIO_DEFAULT + 5
    assert info["request"] == ["cli-build/1/fish.src.rpm", "f40", {"scratch": True}]
    with pytest.raises(koji.ActionNotAllowed, match="high-priority"):
        _as_alice(hub, "build", "x.src.rpm", "f40", None, -1)
    assert (
        hub.admin("getTaskInfo", hub.admin("build", "x.src.rpm", "f40", None, -1))["priority"]
        == koji.PRIO_DEFAULT - 1
    )
    with pytest.raises(koji.GenericError, match="No such build target"):
        _as_alice(hub, "build", "x.src.rpm", "nope")
    with pytest.raises(koji.ParameterError, match="Invalid build source"):
        _as_alice(hub, "build", "", "f40")
    with pytest.raises(koji.GenericError):
        _as_alice(hub, "build", "x.src.rpm", "f40", None, None, "no-such-channel")
    with pytest.raises(koji.ActionNotAllowed, match="must be logged in"):  # as koji's assertLogin
        hub.call(None, "build", "x.src.rpm", "f40")


def test_chain_build_takes_a_list_of_groups(hub: HubHarness) -> None:
    srcs = [["git://a#1"], ["git://b#2", "git://c#3"]]
    task_id = _as_alice(hub, "chainBuild", srcs, "f40")
    assert hub.admin("getTaskRequest", task_id) == [srcs, "f40", {}]
    assert hub.admin("getTaskInfo", task_id)["method"] == "chainbuild"
    with pytest.raises(koji.ParameterError, match="list of lists"):
        _as_alice(hub, "chainBuild", "git://a#1", "f40")
    with pytest.raises(koji.GenericError, match="No such build target"):
        _as_alice(hub, "chainBuild", srcs, "nope")


def test_tag_build_refuses_incomplete_and_unlisted_builds(hub: HubHarness) -> None:
    building = _build(hub, "BUILDING", release="2")
    with pytest.raises(koji.TagError, match="not complete: state BUILDING"):
        _as_alice(hub, "tagBuild", "f40", building)
    done = _build(hub)
    with pytest.raises(koji.TagError, match="not in list for f40"):
        _as_alice(hub, "tagBuild", "f40", done)
    hub.admin("packageListAdd", "f40", "fish", "alice", block=True)
    with pytest.raises(koji.TagError, match="blocked in f40"):
        _as_alice(hub, "tagBuild", "f40", "fish-1-1")
    with pytest.raises(koji.TagError):  # force is for admins only
        _as_alice(hub, "tagBuild", "f40", done, force=True)
    with pytest.raises(koji.GenericError):
        _as_alice(hub, "tagBuild", "nope", done)


def test_tag_build_task_tags_the_build_on_the_host_and_moves_it_from_fromtag(
    hub: HubHarness,
) -> None:
    done = _build(hub)
    hub.admin("packageListAdd", "f40", "fish", "alice")
    hub.admin("tagBuildBypass", "f40-old", done, force=True)
    task_id = _as_alice(hub, "tagBuild", "f40", done, fromtag="f40-old")
    request = hub.admin("getTaskRequest", task_id)
    f40, old = hub.admin("getTagID", "f40"), hub.admin("getTagID", "f40-old")
    assert request == [f40, done, False, old]
    hub.call(HOST, "host.updateHost", 0.0, True, data={"maxjobs": 10})
    assert [t["id"] for t in hub.call(HOST, "host.getTasks")] == [task_id]
    assert hub.call(HOST, "host.openTask", task_id) is not None
    with pytest.raises(koji.GenericError):
        hub.call(HOST, "host.tagBuild", task_id + 1000, f40, done)
    hub.call(HOST, "host.tagBuild", task_id, *request)
    assert [b["build_id"] for b in hub.admin("listTagged", "f40")] == [done]
    assert hub.admin("listTagged", "f40-old") == []


def test_admin_force_adds_the_package_to_the_list(hub: HubHarness) -> None:
    done = _build(hub)
    hub.admin("tagBuild", "f40", done, force=True)
    assert hub.admin("getPackageConfig", "f40", "fish")["blocked"] is False


def test_untag_build_bypass_revokes_the_tagging_and_needs_the_tag_permission(
    hub: HubHarness,
) -> None:
    done = _build(hub)
    hub.admin("tagBuildBypass", "f40", done)
    assert [b["build_id"] for b in hub.admin("listTagged", "f40")] == [done]
    with pytest.raises(koji.ActionNotAllowed):
        _as_alice(hub, "untagBuildBypass", "f40", done)
    hub.admin("untagBuildBypass", "f40", done)
    assert hub.admin("listTagged", "f40") == []
    assert [t["name"] for t in hub.admin("listTags", build=done)] == []


def test_list_builds_filters_and_average_duration(hub: HubHarness) -> None:
    done = _build(hub)
    building = _build(hub, "BUILDING", release="2")
    with hub.db.transaction() as cur:
        cur.run(
            "UPDATE builds SET start_time = 100, completion_time = 160, source = ? WHERE id = ?",
            ("git://a/fish#1", done),
        )

    def ids(**kwargs: Any) -> list[int]:
        return [b["build_id"] for b in hub.admin("listBuilds", **kwargs)]

    assert ids() == [done, building]
    assert ids(state=koji.BUILD_STATES["COMPLETE"]) == [done]
    assert ids(pattern="FISH-1-2") == [building]
    assert ids(prefix="fi") == [done, building] and ids(prefix="x") == []
    assert ids(source="git://a/*") == [done]
    assert ids(packageID="fish") == [done, building] and ids(packageID="nope") == []
    assert ids(completeBefore=200) == [done] and ids(completeAfter=200) == []
    assert ids(type="maven") == [] and ids(draft=True) == []
    assert hub.admin("listBuilds", queryOpts={"countOnly": True}) == 2
    assert hub.admin("listBuilds", type="win", queryOpts={"countOnly": True}) == 0
    with pytest.raises(koji.GenericError, match="unsupported build type"):
        hub.admin("listBuilds", type="container")
    assert hub.admin("getAverageBuildDuration", "fish") == 60.0
    assert hub.admin("getAverageBuildDuration", "nope") is None
