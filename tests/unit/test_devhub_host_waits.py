"""devhub's host-side subtask and wait calls as kojid uses them against koji's hub:
subtask/subtask2, taskSetWait/taskWait/taskWaitResults (with canfail), getHostTasks alerts,
getLoadData, freeTasks and setTaskWeight."""

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
    harness.call(HOST, "host.updateHost", 0.0, True, data={"maxjobs": 10})
    try:
        yield harness
    finally:
        harness.close()


def _parent(hub: HubHarness) -> int:
    with hub.db.transaction() as cur:
        task_id = make_task(cur, "build", [1], owner=1, assign=HOST)
    assert hub.call(HOST, "host.openTask", task_id) is not None
    return task_id


def _finish(hub: HubHarness, task_id: int, fault: bool = False) -> None:
    with hub.db.transaction() as cur:
        cur.run("UPDATE tasks SET state = ?, host_id = (SELECT id FROM hosts) WHERE id = ?",
                (ST["OPEN"], task_id))  # fmt: skip
    if fault:
        hub.call(HOST, "host.failTask", task_id, dumps(Fault(1005, "arch failed")))
    else:
        hub.call(HOST, "host.closeTask", task_id, dumps(({"id": task_id},), methodresponse=1))


def test_subtasks_carry_kwargs_and_subtask2_encodes_its_own(hub: HubHarness) -> None:
    parent = _parent(hub)
    first = hub.call(HOST, "host.subtask", "buildArch", ["a.src.rpm"], parent, label="x86_64",
                     arch="x86_64", kwargs={"keep_srpm": True})  # fmt: skip
    assert hub.admin("getTaskRequest", first) == [
        "a.src.rpm",
        {"__starstar": True, "keep_srpm": True},
    ]
    second = hub.call(HOST, "host.subtask2", parent, {"label": "tag"}, "tagBuild", 20, 900)
    info = hub.admin("getTaskInfo", second, request=True)
    assert (info["method"], info["request"], info["parent"]) == ("tagBuild", [20, 900], parent)
    with pytest.raises(koji.ActionNotAllowed, match="owner"):
        hub.call(HOST, "host.subtask", "x", [], parent, owner=1)
    with pytest.raises(koji.ParameterError, match="unexpected subtask options"):
        hub.call(HOST, "host.subtask", "x", [], parent, color="red")


def test_waiting_reports_finished_children_once_and_alerts_the_host(hub: HubHarness) -> None:
    parent = _parent(hub)
    a = hub.call(HOST, "host.subtask", "buildArch", [1], parent, label="a")
    b = hub.call(HOST, "host.subtask", "buildArch", [2], parent, label="b")
    with pytest.raises(koji.ParameterError, match="tasks must be a list"):
        hub.call(HOST, "host.taskSetWait", parent, 5)
    hub.call(HOST, "host.taskSetWait", parent, None)
    assert hub.call(HOST, "host.taskWait", parent) == [[], [a, b]]
    _finish(hub, a)
    (task,) = hub.call(HOST, "host.getHostTasks")
    assert (task["id"], task["waiting"], task.get("alert")) == (parent, True, True)
    assert hub.call(HOST, "host.taskWait", parent) == [[a], [b]]
    assert hub.call(HOST, "host.taskWait", parent) == [[], [b]]  # reported once
    _finish(hub, b, fault=True)
    assert hub.call(HOST, "host.taskWaitResults", parent, [a], None) == [[a, {"id": a}]]
    with pytest.raises(Fault, match="arch failed"):
        hub.call(HOST, "host.taskWaitResults", parent, None)
    results = hub.call(HOST, "host.taskWaitResults", parent, None, [b])
    assert results == [[a, {"id": a}], [b, {"faultCode": 1005, "faultString": "arch failed"}]]
    assert hub.call(HOST, "host.getHostTasks")[0]["waiting"] is False


def test_a_canceled_child_that_may_fail_is_reported_as_a_fault(hub: HubHarness) -> None:
    parent = _parent(hub)
    child = hub.call(HOST, "host.subtask", "buildArch", [1], parent, label="a")
    hub.call(HOST, "host.taskSetWait", parent, [child])
    hub.admin("cancelTask", child)
    (result,) = hub.call(HOST, "host.taskWaitResults", parent, [child], [child])
    assert result[0] == child and "canceled" in result[1]["faultString"]
    with pytest.raises(koji.GenericError, match="canceled"):
        hub.call(HOST, "host.taskWaitResults", parent, [child])


def test_load_data_weights_and_freeing(hub: HubHarness) -> None:
    parent = _parent(hub)
    hosts, tasks = hub.call(HOST, "host.getLoadData")
    assert hosts[0]["name"] == HOST and hosts[0]["channels"]
    assert isinstance(tasks, list)
    hub.call(HOST, "host.setTaskWeight", parent, 2.5)
    assert hub.admin("getTaskInfo", parent)["weight"] == 2.5
    hub.call(HOST, "host.freeTasks", [parent, 424242])  # unknown ids are skipped
    assert hub.admin("getTaskInfo", parent)["state"] == ST["FREE"]
