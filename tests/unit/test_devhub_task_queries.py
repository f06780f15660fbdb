"""devhub's user-side task calls as koji's hub answers them: listTasks filters and query
options, children and descendants, task creation rules, and who may cancel what."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import koji
import pytest
from koji.xmlrpcplus import Fault, dumps

from adjutant.devhub.tasks import make_task
from tests.support.devhub import HubHarness

HOST = "b1.example.com"
ST = koji.TASK_STATES


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubHarness]:
    harness = HubHarness(tmp_path / "hub")
    harness.add_host(HOST)
    harness.add_user("alice")
    harness.add_user("bob")
    try:
        yield harness
    finally:
        harness.close()


def _user_id(hub: HubHarness, name: str) -> int:
    return int(hub.admin("getUser", name)["id"])


def _open_parent(hub: HubHarness, owner: int) -> int:
    """A top-level task OPEN on HOST, so that children can be made under it."""
    with hub.db.transaction() as cur:
        task_id = make_task(cur, "build", ["src", "tgt"], owner=owner, assign=HOST)
    hub.call(HOST, "host.updateHost", 0.0, True, data={"maxjobs": 10})
    assert hub.call(HOST, "host.openTask", task_id) is not None
    return task_id


def _child(hub: HubHarness, parent: int, method: str = "buildArch", **opts: object) -> int:
    with hub.db.transaction() as cur:
        return make_task(cur, method, [1], parent=parent, **opts)  # type: ignore[arg-type]


def test_children_inherit_owner_arch_and_a_lower_priority_and_labels_are_unique(
    hub: HubHarness,
) -> None:
    alice = _user_id(hub, "alice")
    parent = _open_parent(hub, alice)
    first = _child(hub, parent, label="x86_64")
    assert _child(hub, parent, label="x86_64") == first  # same label: the same task
    info = hub.admin("getTaskInfo", first, request=True)
    parent_info = hub.admin("getTaskInfo", parent)
    assert info["owner"] == alice and info["parent"] == parent
    assert info["priority"] == parent_info["priority"] - 1
    assert info["request"] == [1]
    assert hub.admin("getTaskInfo", [parent, first, 999999]) == [
        parent_info,
        hub.admin("getTaskInfo", first),
        None,
    ]
    with pytest.raises(koji.GenericError, match="No such task"):
        hub.admin("getTaskInfo", 999999, strict=True)


def test_children_need_an_open_existing_parent_and_tasks_need_an_owner(hub: HubHarness) -> None:
    alice = _user_id(hub, "alice")
    with hub.db.transaction() as cur:
        free = make_task(cur, "build", [1], owner=alice)
    with pytest.raises(koji.GenericError, match="not open"):
        _child(hub, free)
    with pytest.raises(koji.GenericError, match="Invalid parent"):
        _child(hub, 424242)
    with hub.db.transaction() as cur, pytest.raises(koji.GenericError, match="owner"):
        make_task(cur, "build", [1])
    with hub.db.transaction() as cur, pytest.raises(koji.ParameterError, match="Invalid method"):
        make_task(cur, "", [1], owner=alice)


def test_get_task_children_and_descendents_walk_the_tree(hub: HubHarness) -> None:
    parent = _open_parent(hub, _user_id(hub, "alice"))
    child = _child(hub, parent)
    with pytest.raises(koji.AuthError, match="not a host"):
        hub.admin("host.openTask", child)
    with hub.db.transaction() as cur:
        cur.run("UPDATE tasks SET state = ? WHERE id = ?", (ST["OPEN"], child))
    grandchild = _child(hub, child, method="createrepo")
    children = hub.admin("getTaskChildren", parent, request=True)
    assert [(c["id"], c["request"]) for c in children] == [(child, [1])]
    tree = hub.admin("getTaskDescendents", parent)
    assert set(tree) == {str(parent), str(child), str(grandchild)}
    assert [c["id"] for c in tree[str(child)]] == [grandchild]
    assert tree[str(grandchild)] == []
    assert hub.admin("getTaskChildren", 999999) == []
    with pytest.raises(koji.GenericError, match="No such task"):
        hub.admin("getTaskChildren", 999999, strict=True)
    assert hub.admin("taskFinished", parent) is False
    assert hub.admin("getTaskRequest", parent) == ["src", "tgt"]


def test_list_tasks_filters_by_state_method_parent_and_time(hub: HubHarness) -> None:
    alice, bob = _user_id(hub, "alice"), _user_id(hub, "bob")
    parent = _open_parent(hub, alice)
    child = _child(hub, parent)
    with hub.db.transaction() as cur:
        other = make_task(cur, "newRepo", ["f40-build"], owner=bob)

    def ids(opts: dict[str, object], query: dict[str, object] | None = None) -> list[int]:
        return [t["id"] for t in hub.admin("listTasks", opts, query)]

    assert ids({}) == [parent, child, other]
    assert ids({"state": [ST["FREE"]]}) == [child, other]
    assert ids({"not_state": [ST["FREE"]]}) == [parent]
    assert ids({"parent": None}) == [parent, other]
    assert ids({"parent": parent}) == [child]
    assert ids({"owner": bob}) == [other]
    assert ids({"method": "newRepo"}) == [other]
    assert ids({"startedAfter": 0}) == [parent]  # only the opened task has a start time
    assert ids({"createdBefore": 0}) == []
    assert hub.admin("listTasks", {"state": [ST["FREE"]]}, {"countOnly": True}) == 2
    assert ids({}, {"order": "-id", "limit": 2}) == [other, child]
    assert ids({}, {"order": "id", "offset": 1}) == [child, other]
    listed = hub.admin("listTasks", {"method": "newRepo"})[0]
    assert listed["owner_name"] == "bob"
    assert listed["request"] == hub.admin("listTasks", {"method": "newRepo"})[0]["request"]
    decoded = hub.admin("listTasks", {"method": "newRepo", "decode": True})[0]
    assert decoded["request"] == ["f40-build"] and decoded["result"] is None


def test_list_tasks_decodes_results_and_faults(hub: HubHarness) -> None:
    alice = _user_id(hub, "alice")
    with hub.db.transaction() as cur:
        ok = make_task(cur, "sleep", [1], owner=alice, assign=HOST)
        bad = make_task(cur, "sleep", [1], owner=alice, assign=HOST)
    hub.call(HOST, "host.updateHost", 0.0, True, data={"maxjobs": 10})
    for task_id in (ok, bad):
        hub.call(HOST, "host.openTask", task_id)
    hub.call(HOST, "host.closeTask", ok, dumps(({"done": 1},), methodresponse=1))
    hub.call(HOST, "host.failTask", bad, dumps(Fault(1005, "broken")))
    rows = hub.admin("listTasks", {"decode": True}, {"order": "id"})
    results = {t["id"]: t["result"] for t in rows}
    assert results[ok] == {"done": 1}
    assert results[bad] == {"faultCode": 1005, "faultString": "broken"}
    assert hub.admin("taskFinished", ok) is True


def test_make_task_is_admin_only_and_refuses_owner_and_unknown_options(hub: HubHarness) -> None:
    with pytest.raises(koji.ActionNotAllowed):
        hub.call("alice", "makeTask", "sleep", [1], exclusive=False)
    with pytest.raises(koji.ActionNotAllowed, match="owner"):
        hub.admin("makeTask", "sleep", [1], owner=3)
    with pytest.raises(koji.ParameterError, match="unexpected"):
        hub.admin("makeTask", "sleep", [1], color="red")
    task_id = hub.admin("makeTask", "sleep", [1], arch="x86_64", priority=5)
    info = hub.admin("getTaskInfo", task_id)
    assert (info["arch"], info["priority"], info["state"]) == ("x86_64", 5, ST["FREE"])


def test_only_the_owner_or_an_admin_cancels_and_children_go_with_the_parent(
    hub: HubHarness,
) -> None:
    parent = _open_parent(hub, _user_id(hub, "alice"))
    child = _child(hub, parent)
    with pytest.raises(koji.ActionNotAllowed, match="not owner"):
        hub.call("bob", "cancelTask", parent, exclusive=False)
    with pytest.raises(koji.ActionNotAllowed):
        hub.call(None, "cancelTaskChildren", parent)
    hub.call("alice", "cancelTaskChildren", parent, exclusive=False)
    assert hub.admin("getTaskInfo", child)["state"] == ST["CANCELED"]
    assert hub.admin("getTaskInfo", parent)["state"] == ST["OPEN"]
    # the host that holds the task open may cancel it too
    hub.call(HOST, "cancelTask", parent)
    assert hub.admin("getTaskInfo", parent)["state"] == ST["CANCELED"]
    with pytest.raises(koji.GenericError, match="is canceled"):
        hub.admin("getTaskResult", parent)


def test_cancel_task_full_is_admin_only_and_cancels_the_whole_tree(hub: HubHarness) -> None:
    parent = _open_parent(hub, _user_id(hub, "alice"))
    child = _child(hub, parent)
    with pytest.raises(koji.ActionNotAllowed):
        hub.call("alice", "cancelTaskFull", parent, exclusive=False)
    with pytest.raises(koji.GenericError, match="not top-level"):
        hub.admin("cancelTaskFull", child)
    hub.admin("cancelTaskFull", child, strict=False)  # walks up to the top-level task
    states = {t["id"]: t["state"] for t in hub.admin("listTasks")}
    assert states == {parent: ST["CANCELED"], child: ST["CANCELED"]}
