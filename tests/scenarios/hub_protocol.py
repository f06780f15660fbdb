"""End-to-end hub-protocol scenarios, run against devhub (tests/devhub) and a real hub
(tests/live) alike: the stock koji CLI and the stock koji TaskManager must work unchanged.
"""

from __future__ import annotations

import re
import time
import types
from pathlib import Path

import koji
import koji.daemon
import koji.tasks

from tests.support.hub_endpoint import HubEndpoint

TASK_MANAGER_TIMEOUT_S = 90.0


def cli_basics(endpoint: HubEndpoint, srpm: Path, workdir: Path) -> None:
    """koji hello, list-tags, list-hosts, build --nowait (task FREE) and taskinfo."""
    config = endpoint.write_koji_config(workdir)
    hello = endpoint.koji_cli(config, "hello")
    assert hello.returncode == 0, hello.stderr
    assert f"You are using the hub at {endpoint.server}" in hello.stdout

    tags = endpoint.koji_cli(config, "list-tags")
    assert tags.returncode == 0, tags.stderr
    assert endpoint.build_tag in tags.stdout.split()

    hosts = endpoint.koji_cli(config, "list-hosts")
    assert hosts.returncode == 0, hosts.stderr
    assert endpoint.host_name in hosts.stdout

    build = endpoint.koji_cli(config, "build", "--nowait", endpoint.target, str(srpm))
    assert build.returncode == 0, build.stderr + build.stdout
    match = re.search(r"Created task: (\d+)", build.stdout)
    assert match, build.stdout
    task_id = int(match.group(1))
    try:
        info = endpoint.session().getTaskInfo(task_id, request=True)
        assert koji.TASK_STATES[info["state"]] == "FREE"
        assert info["method"] == "build"
        assert info["request"][0].endswith(srpm.name)
        assert info["request"][1] == endpoint.target

        shown = endpoint.koji_cli(config, "taskinfo", str(task_id))
        assert shown.returncode == 0, shown.stderr
        assert "Type: build" in shown.stdout and "State: free" in shown.stdout
    finally:
        endpoint.koji_cli(config, "cancel", str(task_id))


def _task_manager_options(workdir: Path) -> types.SimpleNamespace:
    """The options the stock TaskManager and BaseTaskHandler read."""
    (workdir / "tasks").mkdir(parents=True, exist_ok=True)
    return types.SimpleNamespace(
        maxjobs=5,
        minspace=1,
        mockdir=str(workdir),
        workdir=str(workdir / "tasks"),
        failed_buildroot_lifetime=3600,
        buildroot_basic_cleanup_delay=120,
        buildroot_final_cleanup_delay=86400,
        sleeptime=1,
        topdir=None,
        topurl=None,
    )


def stock_task_manager(endpoint: HubEndpoint, workdir: Path) -> None:
    """koji's own TaskManager, logged in with the host cert, runs the library's test tasks."""
    admin = endpoint.session(endpoint.admin_cert)
    sleep_id = admin.makeTask("sleep", [1], assign=endpoint.host_name)
    waittest_id = admin.makeTask(
        "waittest", koji.encode_args(2, seconds=1), assign=endpoint.host_name
    )
    dependant_id = admin.makeTask(
        "dependantTask", [[sleep_id], [["sleep", [1]], ["sleep", [1]]]], assign=endpoint.host_name
    )
    wanted = [sleep_id, waittest_id, dependant_id]

    host = endpoint.session(endpoint.host_cert)
    host.exclusiveSession(force=True)
    manager = koji.daemon.TaskManager(_task_manager_options(workdir), host)
    manager.findHandlers(vars(koji.tasks))
    deadline = time.monotonic() + TASK_MANAGER_TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            manager.updateBuildroots(nolocal=True)
            manager.updateTasks()
            if not manager.getNextTask():
                states = [admin.getTaskInfo(t)["state"] for t in wanted]
                if (
                    all(
                        s in (koji.TASK_STATES["CLOSED"], koji.TASK_STATES["FAILED"])
                        for s in states
                    )
                    and not manager.pids
                ):
                    break
                time.sleep(0.5)
    finally:
        manager.shutdown()
        host.logout()

    for task_id in wanted:
        info = admin.getTaskInfo(task_id)
        assert koji.TASK_STATES[info["state"]] == "CLOSED", (task_id, info)
        assert info["host_id"] == admin.getHost(endpoint.host_name)["id"]
        assert admin.getTaskResult(task_id) is None  # these handlers return nothing
    children = {c["label"]: c for c in admin.getTaskChildren(waittest_id)}
    assert set(children) == {"0", "1", "bad"}
    assert koji.TASK_STATES[children["bad"]["state"]] == "FAILED"  # canfail: parent still CLOSED
    assert all(koji.TASK_STATES[children[k]["state"]] == "CLOSED" for k in ("0", "1"))
    assert len(admin.getTaskChildren(dependant_id)) == 2
