"""devhub's host-side rules, as the real hub applies them: task locks and ownership,
scheduling, waiting, buildroot states and lists, uploads into task dirs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import koji
import pytest
from koji.xmlrpcplus import Fault, dumps

from adjutant.devhub import scheduler, uploads
from adjutant.devhub.rpc import Call
from adjutant.devhub.sessions import load_session
from adjutant.devhub.tasks import make_task
from tests.support.devhub import HubHarness

HOST, OTHER = "b1.example.com", "b2.example.com"
ST = koji.TASK_STATES


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubHarness]:
    harness = HubHarness(tmp_path / "hub")
    harness.add_host(HOST)
    harness.add_host(OTHER)
    try:
        yield harness
    finally:
        harness.close()


def _task(hub: HubHarness, method: str = "sleep", arch: str = "noarch", **opts: object) -> int:
    with hub.db.transaction() as cur:
        return make_task(cur, method, [1], owner=1, arch=arch, **opts)  # type: ignore[arg-type]


def _ready(hub: HubHarness, host: str, maxjobs: int = 10) -> None:
    hub.call(host, "host.updateHost", 0.0, True, data={"maxjobs": maxjobs})


def _open(hub: HubHarness, host: str, task_id: int) -> None:
    hub.call(host, "host.getTasks")
    assert hub.call(host, "host.openTask", task_id) is not None


def _closed(value: object) -> str:
    text: str = dumps((value,), methodresponse=1, allow_none=1)
    return text


def test_only_the_assigned_host_opens_a_task_and_only_the_owner_closes_it(
    hub: HubHarness,
) -> None:
    task_id = _task(hub, assign=HOST)
    assert hub.call(OTHER, "host.openTask", task_id) is None
    assert hub.call(HOST, "host.openTask", task_id)["state"] == ST["OPEN"]
    assert hub.call(HOST, "host.openTask", task_id) is None  # no double open
    with pytest.raises(koji.ActionNotAllowed):
        hub.call(OTHER, "host.closeTask", task_id, _closed(1))
    hub.call(HOST, "host.closeTask", task_id, _closed({"k": None}))
    assert hub.admin("getTaskResult", task_id) == {"k": None}
    with pytest.raises(koji.ActionNotAllowed):  # not OPEN any more
        hub.call(HOST, "host.failTask", task_id, dumps(Fault(1000, "late")))


def test_a_failed_task_raises_its_fault_to_readers(hub: HubHarness) -> None:
    task_id = _task(hub, assign=HOST)
    _open(hub, HOST, task_id)
    hub.call(HOST, "host.failTask", task_id, dumps(Fault(1005, "broken build")))
    with pytest.raises(Fault, match="broken build"):
        hub.admin("getTaskResult", task_id)
    assert hub.admin("getTaskResult", task_id, raise_fault=False)["faultCode"] == 1005


def test_scheduler_respects_ready_arch_maxjobs_and_refusals(hub: HubHarness) -> None:
    arm = _task(hub, arch="aarch64")
    assert hub.call(HOST, "host.getTasks") == []  # not ready yet
    _ready(hub, HOST, maxjobs=1)
    first, second = _task(hub), _task(hub)
    assigned = [t["id"] for t in hub.call(HOST, "host.getTasks")]
    assert assigned == [first]  # maxjobs 1; the aarch64 task has no host
    hub.call(HOST, "host.refuseTask", first, soft=False, msg="not here")
    _ready(hub, OTHER)
    others = {t["id"] for t in hub.call(OTHER, "host.getTasks")}
    assert first in others  # the refusing host never gets it back
    assert hub.admin("getTaskInfo", second)["state"] == ST["ASSIGNED"]
    assert hub.admin("getTaskInfo", arm)["state"] == ST["FREE"]  # no aarch64 host


def test_silent_hosts_lose_readiness_and_their_open_tasks(hub: HubHarness) -> None:
    _ready(hub, HOST)
    task_id = _task(hub)
    _open(hub, HOST, task_id)
    with hub.db.transaction() as cur:
        cur.run(
            "UPDATE hosts SET update_time = ? WHERE name = ?",
            (time.time() - hub.hub.config.host_timeout_s - 1, HOST),
        )
        scheduler.run(cur, hub.hub.config)
    assert hub.admin("getHost", HOST)["ready"] is False
    info = hub.admin("getTaskInfo", task_id)
    assert info["state"] == ST["FREE"] and info["host_id"] is None


def test_waiting_parents_get_an_alert_when_a_child_finishes(hub: HubHarness) -> None:
    parent = _task(hub, method="waittest", assign=HOST)
    hub.call(HOST, "host.openTask", parent)
    child = hub.call(HOST, "host.subtask", "sleep", [1], parent, label="a")
    assert hub.call(HOST, "host.subtask", "sleep", [2], parent, label="a") == child
    with pytest.raises(koji.ActionNotAllowed):
        hub.call(HOST, "host.subtask", "sleep", [1], parent, owner=1)
    hub.call(HOST, "host.taskSetWait", parent, [child])
    assert hub.call(HOST, "host.taskWait", parent) == [[], [child]]
    with hub.db.transaction() as cur:
        cur.run(
            "UPDATE tasks SET state = ?, host_id = ?, result = ? WHERE id = ?",
            (ST["CLOSED"], 1, _closed(7), child),
        )
    [entry] = hub.call(HOST, "host.getHostTasks")
    assert entry["alert"] is True
    assert hub.call(HOST, "host.taskWait", parent) == [[child], []]
    assert hub.call(HOST, "host.taskWaitResults", parent, [child]) == [[child, 7]]


def test_cancel_reaches_children_and_building_builds(hub: HubHarness) -> None:
    parent = _task(hub, method="build", assign=HOST)
    hub.call(HOST, "host.openTask", parent)
    child = hub.call(HOST, "host.subtask", "buildArch", [1], parent, label="x86_64")
    build_id = hub.call(
        HOST,
        "host.initBuild",
        {"name": "p", "version": "1", "release": "1", "epoch": None, "task_id": parent},
    )
    assert hub.admin("cancelTask", parent) is None  # the hub answers None
    assert hub.admin("getTaskInfo", child)["state"] == ST["CANCELED"]
    assert hub.admin("getBuild", build_id)["state"] == koji.BUILD_STATES["CANCELED"]
    with pytest.raises(koji.GenericError, match="is canceled"):
        hub.admin("getTaskResult", child)


def _repo(hub: HubHarness) -> int:
    hub.admin("createTag", "t", arches="x86_64")
    task_id = _task(hub, method="newRepo", assign=HOST)
    hub.call(HOST, "host.openTask", task_id)
    repo_id, _event = hub.call(HOST, "host.repoInit", "t", task_id=task_id)
    return int(repo_id)


def test_buildroot_states_and_lists_follow_the_hub(hub: HubHarness) -> None:
    repo_id = _repo(hub)
    task_id = _task(hub, method="buildArch", assign=HOST)
    hub.call(HOST, "host.openTask", task_id)
    with pytest.raises(koji.ParameterError):  # no container-type argument on the host API
        hub.call(HOST, "host.newBuildRoot", repo_id, "x86_64", task_id=task_id, ctype="podman")
    br = hub.call(HOST, "host.newBuildRoot", repo_id, "x86_64", task_id=task_id)
    assert hub.admin("getBuildroot", br)["container_type"] == "chroot"
    with pytest.raises(koji.GenericError, match="No such rpm"):
        hub.call(
            HOST,
            "host.setBuildRootList",
            br,
            [{"name": "bash", "version": "5", "release": "1", "arch": "x86_64"}],
        )
    with pytest.raises(koji.GenericError, match="not in BUILDING"):
        hub.call(HOST, "host.updateBuildRootList", br, [])
    with pytest.raises(koji.GenericError, match="INIT"):
        hub.call(HOST, "host.setBuildRootState", br, "INIT")
    with pytest.raises(koji.ActionNotAllowed):
        hub.call(OTHER, "host.setBuildRootState", br, "BUILDING")
    hub.call(HOST, "host.setBuildRootState", br, "BUILDING")
    hub.call(HOST, "host.setBuildRootState", br, "EXPIRED")
    hub.call(HOST, "host.setBuildRootState", br, "EXPIRED")  # again: a no-op
    with pytest.raises(koji.GenericError, match="expired"):
        hub.call(HOST, "host.setBuildRootState", br, "BUILDING")
    assert hub.admin("getBuildroot", br)["retire_ts"] is not None


def _upload(hub: HubHarness, user: str, query: str, body: bytes) -> dict[str, object]:
    headers = hub._session_headers(user, True)  # noqa: SLF001 (test harness internals)
    with hub.db.transaction() as cur:
        call = Call(db=cur, config=hub.hub.config, session=load_session(cur, headers, "x"))
        return uploads.raw_upload(call, query, body)


def test_task_dirs_take_uploads_only_from_the_host_with_the_task_open(hub: HubHarness) -> None:
    task_id = _task(hub, assign=HOST)
    path = koji.pathinfo.taskrelpath(task_id)
    with pytest.raises(koji.ActionNotAllowed):  # assigned, not yet OPEN
        _upload(hub, HOST, f"filename=a.log&filepath={path}&offset=0", b"x")
    hub.call(HOST, "host.openTask", task_id)
    with pytest.raises(koji.ActionNotAllowed):
        _upload(hub, OTHER, f"filename=a.log&filepath={path}&offset=0", b"x")
    reply = _upload(hub, HOST, f"filename=a.log&filepath={path}&offset=0", b"hello")
    assert reply["size"] == 5
    assert reply["hexdigest"] == koji.util.adler32_constructor(b"hello").hexdigest()
    with pytest.raises(koji.GenericError, match="upload path exists"):
        _upload(hub, HOST, f"filename=a.log&filepath={path}&offset=0", b"again")
    _upload(hub, HOST, f"filename=a.log&filepath={path}&offset=2&overwrite=1", b"LP")
    assert (hub.hub.topdir / "work" / path / "a.log").read_bytes() == b"heLP"
    for bad in ("../x", ".hidden", "a%2Fb"):
        with pytest.raises(koji.GenericError, match="Invalid upload filename"):
            _upload(hub, HOST, f"filename={bad}&filepath={path}&offset=0", b"x")
