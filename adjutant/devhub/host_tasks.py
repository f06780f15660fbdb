"""The `host.*` task calls: take, open, finish, free and refuse tasks, subtasks and waiting.

Each call checks what the real hub checks (an exclusive host session; the task OPEN and owned
by this host where the hub asserts it), so a worker that passes here behaves on a real hub.
"""

from __future__ import annotations

from typing import Any

import koji

from adjutant.devhub import clock, scheduler
from adjutant.devhub.db import Cursor
from adjutant.devhub.hosts import channel_ids, host_info, require_host
from adjutant.devhub.rpc import API, Call
from adjutant.devhub.tasks import (
    FINISHED,
    ST,
    check_task_opts,
    make_task,
    set_state,
    task_info,
    task_result,
    task_row,
)


def assert_task_host(db: Cursor, task_id: int, host_id: int) -> None:
    """The task must be OPEN and locked by this host (the hub's Task.assertHost)."""
    row = task_row(db, task_id)
    assert row is not None
    if row["state"] != ST["OPEN"] or row["host_id"] != host_id:
        raise koji.ActionNotAllowed(f"host {host_id} does not own task {task_id}")


@API.export("host.getTasks")
def get_tasks(call: Call) -> list[dict[str, Any]]:
    """This host's ASSIGNED tasks; when there are none, run the scheduler and look again."""
    host = require_host(call)
    tasks = scheduler.assigned_tasks(call.db, host["id"])
    if not tasks and scheduler.due(call.db, call.config):
        scheduler.run(call.db, call.config)
        tasks = scheduler.assigned_tasks(call.db, host["id"])
    return tasks


@API.export("host.getLoadData")
def get_load_data(call: Call) -> list[Any]:
    host = require_host(call)
    info = host_info(host)
    info["channels"] = channel_ids(call.db, host["id"])
    return [[info], get_tasks(call)]


@API.export("host.openTask")
def open_task(call: Call, task_id: int) -> dict[str, Any] | None:
    """Lock the task for this host (from FREE, or ASSIGNED to this host); None otherwise."""
    host = require_host(call)
    row = task_row(call.db, task_id)
    assert row is not None
    free_ok = row["state"] == ST["FREE"] and row["host_id"] is None
    assigned_ok = row["state"] == ST["ASSIGNED"] and row["host_id"] == host["id"]
    if not (free_ok or assigned_ok):
        return None
    call.db.run(
        "UPDATE tasks SET state = ?, host_id = ?, start_time = ? WHERE id = ?",
        (ST["OPEN"], host["id"], clock.now(), task_id),
    )
    opened = task_row(call.db, task_id)
    assert opened is not None
    info = task_info(opened)
    info["request"] = opened["request"]
    return info


@API.export("host.closeTask")
def close_task(call: Call, task_id: int, response: str) -> None:
    host = require_host(call)
    assert_task_host(call.db, task_id, host["id"])
    set_state(call.db, task_id, ST["CLOSED"], response)


@API.export("host.failTask")
def fail_task(call: Call, task_id: int, response: str) -> None:
    host = require_host(call)
    assert_task_host(call.db, task_id, host["id"])
    set_state(call.db, task_id, ST["FAILED"], response)


@API.export("host.freeTasks")
def free_tasks(call: Call, tasks: list[int]) -> None:
    """Free this host's OPEN tasks; others are skipped silently (they moved on)."""
    host = require_host(call)
    for task_id in tasks:
        row = task_row(call.db, task_id, strict=False)
        if row and row["state"] == ST["OPEN"] and row["host_id"] == host["id"]:
            scheduler.free_task(call.db, task_id)


@API.export("host.setTaskWeight")
def set_task_weight(call: Call, task_id: int, weight: float) -> None:
    host = require_host(call)
    assert_task_host(call.db, task_id, host["id"])
    call.db.run("UPDATE tasks SET weight = ? WHERE id = ?", (float(weight), task_id))


@API.export("host.refuseTask")
def refuse_task(call: Call, task_id: int, soft: bool = True, msg: str = "") -> None:
    host = require_host(call)
    row = task_row(call.db, task_id)
    assert row is not None
    if row["host_id"] != host["id"]:
        return
    scheduler.set_refusal(call.db, host["id"], task_id, bool(soft), str(msg))
    scheduler.free_task(call.db, task_id)


@API.export("host.subtask")
def subtask(call: Call, method: str, arglist: list[Any], parent: int, **opts: Any) -> int:
    """Create a child task; a child with the same label is returned instead of a new one."""
    host = require_host(call)
    assert_task_host(call.db, parent, host["id"])
    check_task_opts(opts, {"label", "arch", "priority", "channel", "assign", "kwargs"}, "subtask")
    kwargs = opts.pop("kwargs", None)
    if kwargs:
        arglist = koji.encode_args(*arglist, **kwargs)
    return make_task(call.db, method, list(arglist), parent=parent, **opts)


@API.export("host.subtask2")
def subtask2(
    call: Call, __parent: int, __taskopts: dict[str, Any], __method: str, *args: Any, **opts: Any
) -> int:
    arglist = list(koji.encode_args(*args, **opts))
    return int(subtask(call, __method, arglist, __parent, **__taskopts))


@API.export("host.taskSetWait")
def task_set_wait(call: Call, parent: int, tasks: list[int] | None) -> None:
    require_host(call)
    if tasks is not None and not isinstance(tasks, list | tuple):
        raise koji.ParameterError(f"tasks must be a list, not {type(tasks).__name__}")
    call.db.run("UPDATE tasks SET waiting = 1 WHERE id = ?", (parent,))
    if tasks is None:
        call.db.run("UPDATE tasks SET awaited = 1 WHERE parent = ?", (parent,))
    elif tasks:
        marks = ",".join("?" * len(tasks))
        call.db.run(
            f"UPDATE tasks SET awaited = 1 WHERE parent = ? AND id IN ({marks})",
            (parent, *tasks),
        )
        call.db.run(
            f"UPDATE tasks SET awaited = 0 WHERE parent = ? AND awaited = 1 "
            f"AND id NOT IN ({marks})",
            (parent, *tasks),
        )


def _wait_check(db: Cursor, parent: int) -> tuple[list[int], list[int]]:
    finished: list[int] = []
    unfinished: list[int] = []
    for row in db.rows(
        "SELECT id, state FROM tasks WHERE parent = ? AND awaited = 1 ORDER BY id", (parent,)
    ):
        (finished if row["state"] in FINISHED else unfinished).append(row["id"])
    return finished, unfinished


@API.export("host.taskWait")
def task_wait(call: Call, parent: int) -> list[list[int]]:
    """[finished, unfinished] awaited children; finished ones stop being awaited."""
    require_host(call)
    finished, unfinished = _wait_check(call.db, parent)
    for task_id in finished:
        call.db.run("UPDATE tasks SET awaited = 0 WHERE id = ?", (task_id,))
    return [finished, unfinished]


def _unwait(db: Cursor, parent: int) -> None:
    db.run("UPDATE tasks SET waiting = 0 WHERE id = ?", (parent,))
    db.run("UPDATE tasks SET awaited = 0 WHERE parent = ?", (parent,))


@API.export("host.taskWaitResults")
def task_wait_results(
    call: Call, parent: int, tasks: list[int] | None, canfail: list[int] | None = None
) -> list[list[Any]]:
    require_host(call)
    canfail = canfail or []
    _unwait(call.db, parent)
    if tasks is None:
        marks = ",".join("?" * len(FINISHED))
        tasks = [
            r["id"]
            for r in call.db.rows(
                f"SELECT id FROM tasks WHERE parent = ? AND state IN ({marks}) ORDER BY id",
                (parent, *FINISHED),
            )
        ]
    results: list[list[Any]] = []
    for task_id in tasks:
        may_fail = task_id in canfail
        try:
            results.append([task_id, task_result(call.db, task_id, raise_fault=not may_fail)])
        except koji.GenericError as exc:
            row = task_row(call.db, task_id)
            if may_fail and row is not None and row["state"] == ST["CANCELED"]:
                results.append([task_id, {"faultCode": exc.faultCode, "faultString": str(exc)}])
                continue
            raise
    return results


@API.export("host.getHostTasks")
def get_host_tasks(call: Call) -> list[dict[str, Any]]:
    """This host's OPEN tasks; `alert` marks a waiting task whose awaited child finished."""
    host = require_host(call)
    tasks = call.db.rows(
        "SELECT id, waiting, weight FROM tasks WHERE host_id = ? AND state = ? ORDER BY id",
        (host["id"], ST["OPEN"]),
    )
    for task in tasks:
        task["waiting"] = None if task["waiting"] is None else bool(task["waiting"])
        if task["waiting"] and _wait_check(call.db, task["id"])[0]:
            task["alert"] = True
    return tasks
