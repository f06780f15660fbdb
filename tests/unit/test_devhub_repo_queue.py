"""devhub's repo request queue as koji's hub (and kojira's checkQueue step) runs it: requests,
duplicates, options, the newRepo tasks made for them and their retries, and newRepo itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import koji
import pytest

from adjutant.devhub.repos import check_queue, repo_opts
from tests.support.devhub import HubHarness

ST = koji.TASK_STATES


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubHarness]:
    harness = HubHarness(tmp_path / "hub")
    harness.add_user("alice")
    harness.add_user("kojira", "repo")
    harness.admin("createTag", "f40-build", arches="x86_64")
    try:
        yield harness
    finally:
        harness.close()


def _as(hub: HubHarness, user: str, method: str, *args: Any, **kwargs: Any) -> Any:
    return hub.call(user, method, *args, exclusive=False, **kwargs)


def test_repo_options_come_from_the_tag_and_only_differences_are_custom() -> None:
    tag = {"extra": {"with_debuginfo": True, "repo.opts": {"src": True, "bogus": 1}}}
    full, custom = repo_opts(tag, {"src": True, "separate_src": True})
    assert full == {"src": True, "debuginfo": True, "separate_src": True, "maven": False}
    assert custom == {"separate_src": True}
    with pytest.raises(koji.ParameterError, match="Invalid repo option: color"):
        repo_opts({"extra": {}}, {"color": "red"})


def test_a_request_is_queued_once_and_later_ones_are_duplicates(hub: HubHarness) -> None:
    first = _as(hub, "alice", "repo.request", "f40-build")
    assert first["repo"] is None and first["duplicate"] is False
    request = first["request"]
    assert request["tag_id"] == hub.admin("getTagID", "f40-build")
    again = _as(hub, "alice", "repo.request", "f40-build")
    assert again["duplicate"] is True and again["request"]["id"] == request["id"]
    other = _as(hub, "alice", "repo.request", "f40-build", opts={"src": True})
    assert other["duplicate"] is False and other["request"]["id"] != request["id"]
    assert [r["id"] for r in hub.admin("repo.queryQueue")] == [
        request["id"],
        other["request"]["id"],
    ]
    assert [
        r["id"] for r in hub.admin("repo.queryQueue", [["id", "=", other["request"]["id"]]])
    ] == [other["request"]["id"]]
    assert hub.admin("repo.checkRequest", request["id"])["repo"] is None
    with pytest.raises(koji.GenericError, match="No such request"):
        hub.admin("repo.checkRequest", 9999)


def test_requests_refuse_conflicting_events_and_unprivileged_priority(hub: HubHarness) -> None:
    with pytest.raises(koji.ParameterError, match="conflict"):
        _as(hub, "alice", "repo.request", "f40-build", min_event=1, at_event=1)
    with pytest.raises(koji.ActionNotAllowed, match="high-priority"):
        _as(hub, "alice", "repo.request", "f40-build", priority=-5)
    urgent = hub.admin("repo.request", "f40-build", priority=-5)["request"]
    assert urgent["priority"] == koji.PRIO_DEFAULT - 5
    with pytest.raises(koji.ActionNotAllowed):
        hub.call(None, "repo.request", "f40-build")
    with pytest.raises(koji.GenericError):
        _as(hub, "alice", "repo.request", "no-such-tag")


def test_check_queue_makes_one_newrepo_task_per_request_and_retries_failed_ones(
    hub: HubHarness,
) -> None:
    req = _as(hub, "alice", "repo.request", "f40-build", opts={"src": True})["request"]
    at = _as(hub, "alice", "repo.request", "f40-build", at_event=1)["request"]
    with pytest.raises(koji.ActionNotAllowed):
        _as(hub, "alice", "repo.checkQueue")
    _as(hub, "kojira", "repo.checkQueue")
    tasks = hub.admin("listTasks", {"method": "newRepo", "decode": True})
    assert len(tasks) == 2
    tag = {"id": hub.admin("getTagID", "f40-build"), "name": "f40-build"}
    requests = [t["request"] for t in tasks]
    assert [tag, {"__starstar": True, "opts": {}, "event": 1}] in requests
    assert [tag, {"__starstar": True, "opts": {"src": True}}] in requests
    checked = hub.admin("repo.checkRequest", req["id"])
    assert checked["task"]["method"] == "newRepo"
    with hub.db.transaction() as cur:
        assert check_queue(cur, "kojira") == []  # both still running
        task_id = checked["task"]["id"]
        cur.run("UPDATE tasks SET state = ? WHERE id = ?", (ST["FAILED"], task_id))
        retried = check_queue(cur, "kojira")
    assert len(retried) == 1 and retried != [task_id]
    assert hub.admin("repo.checkRequest", req["id"])["task"]["id"] == retried[0]
    assert hub.admin("repo.checkRequest", at["id"])["request"]["active"] is True
    with hub.db.transaction() as cur, pytest.raises(koji.GenericError, match="does not exist"):
        check_queue(cur, "nobody")


def test_check_queue_gives_up_after_three_tries(hub: HubHarness) -> None:
    req = _as(hub, "alice", "repo.request", "f40-build")["request"]
    for _ in range(3):
        with hub.db.transaction() as cur:
            (task_id,) = check_queue(cur, "kojira")
            cur.run("UPDATE tasks SET state = ? WHERE id = ?", (ST["FAILED"], task_id))
    with hub.db.transaction() as cur:
        assert check_queue(cur, "kojira") == []
    assert hub.admin("repo.checkRequest", req["id"])["request"]["active"] is False


def test_check_queue_runs_at_most_max_tasks(hub: HubHarness) -> None:
    for arch_opts in ({}, {"src": True}, {"debuginfo": True}):
        _as(hub, "alice", "repo.request", "f40-build", opts=arch_opts)
    with hub.db.transaction() as cur:
        assert len(check_queue(cur, "kojira", max_tasks=2)) == 2
        assert check_queue(cur, "kojira", max_tasks=2) == []
        assert len(check_queue(cur, "kojira", max_tasks=3)) == 1


def test_new_repo_needs_the_repo_permission_and_keeps_the_legacy_request(
    hub: HubHarness,
) -> None:
    with pytest.raises(koji.ActionNotAllowed):
        _as(hub, "alice", "newRepo", "f40-build")
    task_id = _as(hub, "kojira", "newRepo", "f40-build", event=3, src=True)
    info = hub.admin("getTaskInfo", task_id, request=True)
    assert info["request"] == ["f40-build", {"__starstar": True, "event": 3, "src": True}]
    assert info["priority"] == 15
    assert hub.admin("getChannel", info["channel_id"])["name"] == "createrepo"
    with pytest.raises(koji.GenericError):
        _as(hub, "kojira", "newRepo", "no-such-tag")


def test_repo_lookups_and_tag_change_events(hub: HubHarness) -> None:
    assert hub.admin("getRepo", "f40-build") is None
    assert hub.admin("repo.get", "f40-build") is None
    assert hub.admin("repoInfo", 12345) is None
    with pytest.raises(koji.GenericError, match="No such repo"):
        hub.admin("repoInfo", 12345, strict=True)
    created = hub.admin("tagFirstChangeEvent", "f40-build")
    assert hub.admin("tagLastChangeEvent", "f40-build") >= created
    hub.admin("editTag2", "f40-build", extra={"x": 1})
    assert hub.admin("tagLastChangeEvent", "f40-build") > created
    with pytest.raises(koji.ActionNotAllowed):
        _as(hub, "alice", "repoExpire", 1)
