"""Tasks: creation, the task record, results and cancellation, and the user-side calls.

Requests and results are stored as the real hub stores them: the request as an XML-RPC
methodCall of the arguments, the result as the methodResponse (or fault) text the host sent,
so types (nil, i8, faults) survive exactly. Host-side lifecycle calls live in host_tasks.
"""

from __future__ import annotations

import xmlrpc.client
from typing import Any

import koji
from koji.xmlrpcplus import Fault, dumps

from adjutant.devhub import clock
from adjutant.devhub.db import Cursor, Row
from adjutant.devhub.hosts import find_channel, find_host
from adjutant.devhub.rpc import API, Call
from adjutant.devhub.sessions import has_perm, require_login, require_perm

ST = koji.TASK_STATES
FINISHED = (ST["CLOSED"], ST["CANCELED"], ST["FAILED"])

# Hub channel policy defaults: createrepo tasks go to "createrepo", children to the
# parent's channel, the rest to "default" (a requested channel wins).
_CHANNEL_BY_METHOD = {"createrepo": "createrepo", "createdistrepo": "createrepo"}


def encode_request(method: str, arglist: list[Any]) -> str:
    """The stored form of a task request."""
    text: str = dumps(tuple(arglist), methodname=method, allow_none=1)
    return text


def decode_request(text: str) -> list[Any]:
    params, _method = xmlrpc.client.loads(text, use_builtin_types=False)
    return list(params)


def make_task(
    db: Cursor,
    method: str,
    arglist: list[Any],
    *,
    owner: int | None = None,
    parent: int | None = None,
    label: str | None = None,
    arch: str | None = None,
    priority: int | None = None,
    channel: str | None = None,
    assign: Any = None,
) -> int:
    """Create a task as the hub's make_task does, returning its id."""
    if not isinstance(method, str) or not method:
        raise koji.ParameterError(f"Invalid method: {method!r}")
    parent_row = None
    if parent is not None:
        parent_row = db.one("SELECT * FROM tasks WHERE id = ?", (int(parent),))
        if parent_row is None:
            raise koji.GenericError(f"Invalid parent task: {parent}")
        if parent_row["state"] != ST["OPEN"]:
            raise koji.GenericError(f"Parent task (id {parent}) is not open")
        if label is not None:
            existing = db.value(
                "SELECT id FROM tasks WHERE parent = ? AND label = ?", (parent, label)
            )
            if existing is not None:
                return int(existing)
        owner = parent_row["owner"] if owner is None else owner
        arch = parent_row["arch"] if arch is None else arch
        priority = parent_row["priority"] - 1 if priority is None else priority
    if owner is None:
        raise koji.GenericError("task must have an owner")
    arch = koji.parse_arches(arch or "noarch", strict=True, allow_none=True) or "noarch"
    if channel is not None:
        channel_row = find_channel(db, channel, strict=True)
    elif parent_row is not None:
        channel_row = find_channel(db, parent_row["channel_id"], strict=True)
    else:
        channel_row = find_channel(db, _CHANNEL_BY_METHOD.get(method, "default"))
        channel_row = channel_row or find_channel(db, "default", strict=True)
    assert channel_row is not None
    if not channel_row["enabled"]:
        raise koji.GenericError(f"Channel {channel_row['name']} is disabled.")
    state, host_id = ST["FREE"], None
    if assign is not None:
        host = find_host(db, assign, strict=True)
        assert host is not None
        state, host_id = ST["ASSIGNED"], host["id"]
    return db.run(
        "INSERT INTO tasks (method, state, owner, host_id, parent, label, arch, channel_id, "
        "priority, request, create_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            method,
            state,
            owner,
            host_id,
            parent,
            label,
            arch,
            channel_row["id"],
            koji.PRIO_DEFAULT if priority is None else int(priority),
            encode_request(method, arglist),
            clock.now(),
        ),
    )


def check_task_opts(opts: dict[str, Any], allowed: set[str], what: str) -> None:
    """Refuse `owner` (the hub sets it) and any option the hub call does not take."""
    if "owner" in opts:
        raise koji.ActionNotAllowed(f"owner option not allowed for {what}")
    unknown = set(opts) - allowed
    if unknown:
        raise koji.ParameterError(f"unexpected {what} options: {sorted(unknown)}")


def task_row(db: Cursor, task_id: int, strict: bool = True) -> Row | None:
    row = db.one("SELECT * FROM tasks WHERE id = ?", (int(task_id),))
    if row is None and strict:
        raise koji.GenericError(f"No such task: {task_id}")
    return row


def task_info(row: Row, request: bool = False) -> dict[str, Any]:
    """A task as getTaskInfo returns it."""
    info = {
        "id": row["id"],
        "state": row["state"],
        "create_time": clock.iso(row["create_time"]),
        "create_ts": row["create_time"],
        "start_time": clock.iso(row["start_time"]),
        "start_ts": row["start_time"],
        "completion_time": clock.iso(row["completion_time"]),
        "completion_ts": row["completion_time"],
        "channel_id": row["channel_id"],
        "host_id": row["host_id"],
        "parent": row["parent"],
        "label": row["label"],
        "waiting": None if row["waiting"] is None else bool(row["waiting"]),
        "awaited": None if row["awaited"] is None else bool(row["awaited"]),
        "owner": row["owner"],
        "method": row["method"],
        "arch": row["arch"],
        "priority": row["priority"],
        "weight": row["weight"],
    }
    if request:
        info["request"] = decode_request(row["request"])
    return info


def task_result(db: Cursor, task_id: int, raise_fault: bool = True) -> Any:
    """The decoded result of a finished task, raising its fault as the hub does."""
    row = task_row(db, task_id)
    assert row is not None
    if row["state"] == ST["CANCELED"]:
        raise koji.GenericError(f"Task {task_id} is canceled")
    if row["state"] not in (ST["CLOSED"], ST["FAILED"]):
        raise koji.GenericError(f"Task {task_id} is not finished")
    try:
        params, _ = xmlrpc.client.loads(row["result"], use_builtin_types=False)
    except Fault as fault:
        if raise_fault:
            raise
        return {"faultCode": fault.faultCode, "faultString": fault.faultString}
    return params[0]


def set_state(db: Cursor, task_id: int, state: int, result: str | None = None) -> None:
    """Finish a task (CLOSED/FAILED/CANCELED) with its result text."""
    db.run(
        "UPDATE tasks SET state = ?, result = COALESCE(?, result), completion_time = ? "
        "WHERE id = ?",
        (state, result, clock.now(), task_id),
    )


def cancel_task(db: Cursor, task_id: int, recurse: bool = True) -> bool:
    """Cancel a task and (by default) its descendants; False if it had already finished."""
    row = task_row(db, task_id)
    assert row is not None
    if row["state"] == ST["CANCELED"]:
        return True
    if row["state"] in (ST["CLOSED"], ST["FAILED"]):
        return False
    set_state(db, task_id, ST["CANCELED"])
    for build_id in db.rows(
        "SELECT id FROM builds WHERE task_id = ? AND state = ?",
        (task_id, koji.BUILD_STATES["BUILDING"]),
    ):
        db.run(
            "UPDATE builds SET state = ?, completion_time = ? WHERE id = ?",
            (koji.BUILD_STATES["CANCELED"], clock.now(), build_id["id"]),
        )
    if recurse:
        for child in db.rows("SELECT id FROM tasks WHERE parent = ?", (task_id,)):
            cancel_task(db, child["id"], recurse=True)
    return True


def _require_canceller(call: Call, row: Row) -> None:
    """The hub's rule for cancelTask/cancelTaskChildren: the task's owner, the host that has
    it open, or an admin; anyone else (anonymous callers too) gets ActionNotAllowed."""
    session = call.session
    if session is not None:
        if row["owner"] == session.user_id:
            return
        host = call.db.one("SELECT id FROM hosts WHERE user_id = ?", (session.user_id,))
        if host is not None and row["state"] == ST["OPEN"] and row["host_id"] == host["id"]:
            return
        if has_perm(call, "admin"):
            return
    raise koji.ActionNotAllowed("Cannot cancel task, not owner")


# --- user-side calls ---------------------------------------------------------------------


@API.export("getTaskInfo")
def get_task_info(call: Call, task_id: Any, request: bool = False, strict: bool = False) -> Any:
    if isinstance(task_id, list | tuple):
        return [get_task_info(call, t, request, strict) for t in task_id]
    row = task_row(call.db, int(task_id), strict=strict)
    return task_info(row, request) if row is not None else None


@API.export("getTaskRequest")
def get_task_request(call: Call, taskId: int) -> list[Any]:
    row = task_row(call.db, taskId)
    assert row is not None
    return decode_request(row["request"])


@API.export("getTaskResult")
def get_task_result(call: Call, taskId: int, raise_fault: bool = True) -> Any:
    return task_result(call.db, taskId, raise_fault)


@API.export("getTaskChildren")
def get_task_children(
    call: Call, task_id: int, request: bool = False, strict: bool = False
) -> list[dict[str, Any]]:
    if strict:
        task_row(call.db, task_id)
    rows = call.db.rows("SELECT * FROM tasks WHERE parent = ? ORDER BY id", (task_id,))
    return [task_info(r, request) for r in rows]


@API.export("getTaskDescendents")
def get_task_descendents(call: Call, task_id: int, request: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    pending = [task_id]
    while pending:
        current = pending.pop()
        children = get_task_children(call, current, request)
        out[str(current)] = children
        pending.extend(c["id"] for c in children)
    return out


@API.export("taskFinished")
def task_finished(call: Call, taskId: int) -> bool:
    row = task_row(call.db, taskId)
    assert row is not None
    return row["state"] in FINISHED


@API.export("listTasks")
def list_tasks(call: Call, opts: dict[str, Any] | None = None, queryOpts: Any = None) -> Any:
    """Tasks filtered by listTasks' options (include/exclude lists, parent, method, times)."""
    opts = dict(opts or {})
    query_opts = queryOpts or {}
    rows = call.db.rows(
        "SELECT t.*, u.name AS owner_name, u.usertype AS owner_type FROM tasks t "
        "LEFT JOIN users u ON u.id = t.owner ORDER BY t.id"
    )
    for key in ("arch", "state", "owner", "host_id", "channel_id", "parent"):
        if key in opts:
            rows = [r for r in rows if _matches(r[key], opts[key])]
        if "not_" + key in opts:
            rows = [r for r in rows if not _matches(r[key], opts["not_" + key])]
    if "method" in opts:
        rows = [r for r in rows if r["method"] == opts["method"]]
    for key, column, newer in _TIME_FILTERS:
        if opts.get(key) is not None:
            bound = float(opts[key])
            rows = [
                r
                for r in rows
                if r[column] is not None and (r[column] > bound if newer else r[column] < bound)
            ]
    if query_opts.get("countOnly"):
        return len(rows)
    order = str(query_opts.get("order") or "id")
    reverse = order.startswith("-")
    key_name = order.lstrip("-")
    rows.sort(key=lambda r: (r.get(key_name) is None, r.get(key_name)), reverse=reverse)
    offset = int(query_opts.get("offset") or 0)
    limit = query_opts.get("limit")
    rows = rows[offset : offset + int(limit)] if limit is not None else rows[offset:]
    out = []
    for row in rows:
        info = task_info(row)
        info.update(owner_name=row["owner_name"], owner_type=row["owner_type"])
        if opts.get("decode"):
            info["request"] = decode_request(row["request"])
            info["result"] = _decoded_result(row["result"])
        else:
            info["request"] = row["request"]
            info["result"] = row["result"]
        out.append(info)
    return out


_TIME_FILTERS = (
    ("createdBefore", "create_time", False),
    ("createdAfter", "create_time", True),
    ("startedBefore", "start_time", False),
    ("startedAfter", "start_time", True),
    ("completeBefore", "completion_time", False),
    ("completeAfter", "completion_time", True),
    ("completedBefore", "completion_time", False),
    ("completedAfter", "completion_time", True),
)


def _matches(value: Any, wanted: Any) -> bool:
    if wanted is None:
        return value is None
    if isinstance(wanted, list | tuple):
        return value in wanted
    return bool(value == wanted)


def _decoded_result(text: str | None) -> Any:
    if not text:
        return text
    try:
        params, _ = xmlrpc.client.loads(text, use_builtin_types=False)
    except Fault as fault:
        return {"faultCode": fault.faultCode, "faultString": fault.faultString}
    return params[0]


@API.export("makeTask")
def make_task_call(call: Call, method: str, arglist: list[Any], **opts: Any) -> int:
    """Admin-only arbitrary task creation (for debugging and tests), as on the real hub."""
    session = require_login(call)
    if not has_perm(call, "admin"):
        raise koji.ActionNotAllowed("admin permission required")
    check_task_opts(opts, {"arch", "channel", "priority", "assign", "parent", "label"}, "makeTask")
    return make_task(call.db, method, list(arglist), owner=session.user_id, **opts)


@API.export("cancelTask")
def cancel_task_call(call: Call, task_id: int, recurse: bool = True) -> None:
    """Cancel a task; like the hub, answers None whether or not the task was still running."""
    row = task_row(call.db, task_id)
    assert row is not None
    _require_canceller(call, row)
    cancel_task(call.db, task_id, recurse)


@API.export("cancelTaskChildren")
def cancel_task_children(call: Call, task_id: int) -> None:
    require_login(call)
    row = task_row(call.db, task_id)
    assert row is not None
    _require_canceller(call, row)
    for child in call.db.rows("SELECT id FROM tasks WHERE parent = ?", (task_id,)):
        cancel_task(call.db, child["id"], recurse=True)


@API.export("cancelTaskFull")
def cancel_task_full(call: Call, task_id: int, strict: bool = True) -> None:
    """Admin only on the hub; strict refuses a task that is not top-level."""
    require_perm(call, "admin")
    row = task_row(call.db, task_id)
    assert row is not None
    if row["parent"] is not None and strict:
        raise koji.GenericError(f"Task {task_id} is not top-level (parent={row['parent']})")
    while row["parent"] is not None:
        parent = task_row(call.db, row["parent"])
        assert parent is not None
        row = parent
    # The hub walks the whole tree itself: children of a closed task are canceled too.
    pending = [row["id"]]
    while pending:
        current = pending.pop(0)
        cancel_task(call.db, current, recurse=False)
        children = call.db.rows("SELECT id FROM tasks WHERE parent = ?", (current,))
        pending.extend(child["id"] for child in children)
