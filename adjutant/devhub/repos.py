"""Repos and the repo request queue: records, lookups and the calls that change them.

Requests (`repo.request`, what `koji regen-repo` and waiting builds make) queue up until
`repo.checkQueue` (kojira's job, or devhub's built-in loop) turns them into `newRepo` tasks;
a repo becomes current when the build host's newRepo calls `host.repoDone`. The on-disk part
of repoInit is repo_layout's job.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

import koji

from adjutant.devhub import clock
from adjutant.devhub.db import Cursor, Row
from adjutant.devhub.hosts import require_host
from adjutant.devhub.repo_layout import write_repo_layout
from adjutant.devhub.rpc import API, Call
from adjutant.devhub.sessions import get_user, has_perm, require_login, require_perm
from adjutant.devhub.tags import find_tag, last_change_event, tag_info
from adjutant.devhub.tasks import ST, make_task, task_info, task_row

RS = koji.REPO_STATES
_DEFAULT_OPTS = {"src": False, "debuginfo": False, "separate_src": False, "maven": False}


def repo_opts(
    tag: dict[str, Any], override: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(full options, the custom part) as the hub's get_repo_opts computes them."""
    opts = dict(_DEFAULT_OPTS)
    extra_opts = tag["extra"].get("repo.opts") or {}
    if tag["extra"].get("with_debuginfo"):
        opts["debuginfo"] = True
    if isinstance(extra_opts, dict):
        opts.update({k: bool(v) for k, v in extra_opts.items() if k in _DEFAULT_OPTS})
    custom = {}
    for key, value in (override or {}).items():
        if key not in _DEFAULT_OPTS:
            raise koji.ParameterError(f"Invalid repo option: {key}")
        if bool(value) != opts[key]:
            custom[key] = bool(value)
        opts[key] = bool(value)
    return opts, custom


def repo_info(db: Cursor, row: Row) -> dict[str, Any]:
    tag = find_tag(db, row["tag_id"], strict=True)
    assert tag is not None
    task_state = db.value("SELECT state FROM tasks WHERE id = ?", (row["task_id"],))
    # As the hub's RepoQuery: create_ts is the create event's time, creation_time/_ts the row's.
    event_ts = db.value("SELECT time FROM events WHERE id = ?", (row["create_event"],))
    return {
        "id": row["id"],
        "state": row["state"],
        "tag_id": row["tag_id"],
        "tag_name": tag["name"],
        "create_event": row["create_event"],
        "begin_event": row["create_event"],
        "end_event": None,
        "begin_ts": event_ts,
        "end_ts": None,
        "creation_time": clock.iso(row["create_time"]),
        "creation_ts": row["create_time"],
        "create_ts": event_ts,
        "state_time": clock.iso(row["create_time"]),
        "state_ts": row["create_time"],
        "task_id": row["task_id"],
        "task_state": task_state,
        "dist": bool(row["dist"]),
        "opts": json.loads(row["opts"]),
        "custom_opts": json.loads(row["custom_opts"]),
    }


def current_repo(
    db: Cursor, tag_id: int, min_event: int | None = None, opts: dict[str, Any] | None = None
) -> Row | None:
    """The newest READY (build) repo of the tag with these options, made at or after min_event."""
    for row in db.rows(
        "SELECT * FROM repos WHERE tag_id = ? AND state = ? AND dist = 0 ORDER BY id DESC",
        (tag_id, RS["READY"]),
    ):
        if min_event is not None and row["create_event"] < min_event:
            continue
        if opts is not None and json.loads(row["opts"]) != opts:
            continue
        return row
    return None


def _tag_dict(db: Cursor, tag: Any) -> dict[str, Any]:
    # The hub reads repo arches and options from the tag itself (getTag), not its build config:
    # an arch-less tag gets an arch-less repo even when its parents have arches.
    row = find_tag(db, tag, strict=True)
    assert row is not None
    return tag_info(row)


@API.export("getRepo")
def get_repo(
    call: Call,
    tag: Any,
    state: Any = None,
    event: Any = None,
    dist: bool = False,
    min_event: Any = None,
) -> Any:
    tag_row = find_tag(call.db, tag, strict=True)
    assert tag_row is not None
    wanted = RS["READY"] if state is None else state
    for row in call.db.rows(
        "SELECT * FROM repos WHERE tag_id = ? AND state = ? AND dist = ? ORDER BY id DESC",
        (tag_row["id"], wanted, int(bool(dist))),
    ):
        if min_event is not None and row["create_event"] < int(min_event):
            continue
        if json.loads(row["custom_opts"]):
            continue
        return repo_info(call.db, row)
    return None


@API.export("repoInfo")
def repo_info_call(call: Call, repo_id: int, strict: bool = False) -> Any:
    row = call.db.one("SELECT * FROM repos WHERE id = ?", (repo_id,))
    if row is None:
        if strict:
            raise koji.GenericError(f"No such repo: {repo_id}")
        return None
    return repo_info(call.db, row)


@API.export("host.repoInit")
def repo_init(
    call: Call,
    tag: Any,
    task_id: int | None = None,
    event: int | None = None,
    opts: dict[str, Any] | None = None,
) -> list[int]:
    """Create an INIT repo and its directory layout; returns [repo_id, event_id]."""
    require_host(call)
    info = _tag_dict(call.db, tag)
    full, custom = repo_opts(info, opts)
    event_id = int(event) if event is not None else call.db.new_event()
    repo_id = call.db.run(
        "INSERT INTO repos (tag_id, state, create_event, create_time, task_id, opts, "
        "custom_opts) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            info["id"],
            RS["INIT"],
            event_id,
            clock.now(),
            task_id,
            json.dumps(full),
            json.dumps(custom),
        ),
    )
    write_repo_layout(call.db, call.config.topdir, info, repo_id, event_id, task_id, full, custom)
    return [repo_id, event_id]


@API.export("host.repoDone")
def repo_done(
    call: Call,
    repo_id: int,
    data: dict[str, Any],
    expire: bool = False,
    repo_json_updates: dict[str, Any] | None = None,
) -> None:
    """Move each arch's uploaded repodata into place and make the repo READY."""
    require_host(call)
    row = call.db.one("SELECT * FROM repos WHERE id = ?", (repo_id,))
    if row is None:
        raise koji.GenericError(f"No such repo: {repo_id}")
    if row["state"] != RS["INIT"]:
        raise koji.GenericError(f"Repo {repo_id} not in INIT state")
    tag = find_tag(call.db, row["tag_id"], strict=True)
    assert tag is not None
    # Dist repos have their content moved in by host.distRepoMove, arch by arch.
    repodir = (
        call.config.topdir / ("repos-dist" if row["dist"] else "repos") / tag["name"] / str(repo_id)
    )
    work = call.config.topdir / "work"
    for arch, (uploadpath, files) in ({} if row["dist"] else data).items():
        archdir = repodir / koji.canonArch(arch)
        if not archdir.is_dir():
            raise koji.GenericError(f"Repo arch directory missing: {archdir}")
        datadir = archdir / "repodata"
        datadir.mkdir(exist_ok=True)
        for name in files:
            src = work / os.path.normpath(uploadpath) / name
            if not src.is_file():
                raise koji.GenericError(f"uploaded file missing: {src}")
            shutil.move(str(src), datadir / name)
    if repo_json_updates:
        path = repodir / "repo.json"
        payload = json.loads(path.read_text())
        payload.update(repo_json_updates)
        path.write_text(json.dumps(payload, indent=2))
    state = RS["EXPIRED"] if expire else RS["READY"]
    call.db.run("UPDATE repos SET state = ? WHERE id = ?", (state, repo_id))
    if expire:
        return
    if not json.loads(row["custom_opts"]):
        latest = repodir.parent / "latest"
        if latest.is_symlink() or latest.exists():
            latest.unlink()
        latest.symlink_to(str(repo_id))
    if not row["dist"]:
        _satisfy_requests(call.db, row)


def _satisfy_requests(db: Cursor, repo: Row) -> None:
    for req in db.rows(
        "SELECT * FROM repo_queue WHERE tag_id = ? AND active = 1", (repo["tag_id"],)
    ):
        same_task = req["task_id"] is not None and req["task_id"] == repo["task_id"]
        fits = (
            json.loads(req["opts"]) == json.loads(repo["custom_opts"])
            and (req["min_event"] is None or repo["create_event"] >= req["min_event"])
            and req["at_event"] is None
        )
        if same_task or fits:
            db.run(
                "UPDATE repo_queue SET repo_id = ?, active = 0, update_time = ? WHERE id = ?",
                (repo["id"], clock.now(), req["id"]),
            )


def request_info(db: Cursor, row: Row) -> dict[str, Any]:
    tag = find_tag(db, row["tag_id"], strict=True)
    assert tag is not None
    return {
        "id": row["id"],
        "owner": row["owner"],
        "owner_name": db.value("SELECT name FROM users WHERE id = ?", (row["owner"],)),
        "priority": row["priority"],
        "tag_id": row["tag_id"],
        "tag_name": tag["name"],
        "at_event": row["at_event"],
        "min_event": row["min_event"],
        "opts": json.loads(row["opts"]),
        "active": bool(row["active"]),
        "task_id": row["task_id"],
        "repo_id": row["repo_id"],
        "tries": row["tries"],
        "create_time": clock.iso(row["create_time"]),
        "create_ts": row["create_time"],
        "update_time": clock.iso(row["update_time"]),
        "update_ts": row["update_time"],
        "task_state": db.value("SELECT state FROM tasks WHERE id = ?", (row["task_id"],)),
    }


@API.export("repo.request")
def request_repo(
    call: Call,
    tag: Any,
    min_event: Any = None,
    at_event: Any = None,
    opts: dict[str, Any] | None = None,
    priority: int | None = None,
    force: bool = False,
) -> dict[str, Any]:
    session = require_login(call)
    info = _tag_dict(call.db, tag)
    _full, custom = repo_opts(info, opts)
    if at_event is not None and min_event is not None:
        raise koji.ParameterError("The min_event and at_event options conflict")
    if at_event is None:
        if min_event in (None, "last"):
            min_event = last_change_event(call.db, info["id"])
        min_event = int(min_event)
    prio = koji.PRIO_DEFAULT + int(priority or 0)
    if priority is not None and priority < 0 and not has_perm(call, "admin"):
        raise koji.ActionNotAllowed("only admins may create high-priority requests")
    if not force and at_event is None:
        repo = current_repo(call.db, info["id"], min_event)
        if repo is not None and json.loads(repo["custom_opts"]) == custom:
            return {"repo": repo_info(call.db, repo), "request": None, "duplicate": False}
    for req in call.db.rows(
        "SELECT * FROM repo_queue WHERE tag_id = ? AND active = 1 ORDER BY priority, id",
        (info["id"],),
    ):
        same_event = (
            req["at_event"] == at_event
            if at_event is not None
            else req["at_event"] is None and (req["min_event"] or 0) >= min_event
        )
        if json.loads(req["opts"]) == custom and same_event:
            return {"repo": None, "request": request_info(call.db, req), "duplicate": True}
    req_id = call.db.run(
        "INSERT INTO repo_queue (tag_id, min_event, at_event, opts, owner, priority, "
        "create_time) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (info["id"], min_event, at_event, json.dumps(custom), session.user_id, prio, clock.now()),
    )
    row = call.db.one("SELECT * FROM repo_queue WHERE id = ?", (req_id,))
    assert row is not None
    return {"repo": None, "request": request_info(call.db, row), "duplicate": False}


@API.export("repo.checkRequest")
def check_request(call: Call, req_id: int) -> dict[str, Any]:
    row = call.db.one("SELECT * FROM repo_queue WHERE id = ?", (int(req_id),))
    if row is None:
        raise koji.GenericError("No such request")
    out: dict[str, Any] = {"repo": None, "request": request_info(call.db, row)}
    if row["repo_id"]:
        out["repo"] = repo_info_call(call, row["repo_id"])
    elif row["task_id"]:
        task = task_row(call.db, row["task_id"])
        assert task is not None
        out["task"] = task_info(task)
    return out


@API.export("repo.get")
def repo_get(
    call: Call,
    tag: Any,
    min_event: Any = None,
    at_event: Any = None,
    opts: dict[str, Any] | None = None,
) -> Any:
    info = _tag_dict(call.db, tag)
    _full, custom = repo_opts(info, opts)
    for row in call.db.rows(
        "SELECT * FROM repos WHERE tag_id = ? AND state = ? ORDER BY id DESC",
        (info["id"], RS["READY"]),
    ):
        if json.loads(row["custom_opts"]) != custom:
            continue
        if at_event is not None and row["create_event"] != int(at_event):
            continue
        if min_event is not None and row["create_event"] < int(min_event):
            continue
        return repo_info(call.db, row)
    return None


@API.export("repo.queryQueue")
def query_queue(
    call: Call, clauses: Any = None, fields: Any = None, opts: Any = None
) -> list[dict[str, Any]]:
    rows = call.db.rows("SELECT * FROM repo_queue ORDER BY priority, id")
    infos = [request_info(call.db, r) for r in rows]
    for clause in clauses or []:
        key, op, value = clause
        if op == "=":
            infos = [i for i in infos if i.get(key) == value]
        elif op == "IS":
            infos = [i for i in infos if i.get(key) is value or i.get(key) == value]
    return infos


def check_queue(db: Cursor, owner_name: str, max_tasks: int = 10) -> list[int]:
    """kojira's step: make newRepo tasks for waiting requests (and retry failed ones)."""
    owner = get_user(db, owner_name)
    if owner is None:
        raise koji.GenericError(f"repo queue user {owner_name!r} does not exist")
    waiting = db.rows(
        "SELECT * FROM repo_queue WHERE active = 1 AND repo_id IS NULL ORDER BY priority, id"
    )
    running = 0
    for req in waiting:
        if req["task_id"] is None:
            continue
        state = db.value("SELECT state FROM tasks WHERE id = ?", (req["task_id"],))
        if state in (ST["FAILED"], ST["CANCELED"], ST["CLOSED"]):
            active = int(req["tries"] < 3)
            db.run(
                "UPDATE repo_queue SET task_id = NULL, active = ?, update_time = ? WHERE id = ?",
                (active, clock.now(), req["id"]),
            )
            req["task_id"], req["active"] = None, active
        else:
            running += 1
    made = []
    for req in waiting:
        # A request that just ran out of tries is inactive: it gets no further task.
        if req["task_id"] is not None or not req["active"] or running >= max_tasks:
            continue
        tag = find_tag(db, req["tag_id"], strict=True)
        assert tag is not None
        kwargs: dict[str, Any] = {"opts": json.loads(req["opts"])}
        if req["at_event"] is not None:
            kwargs["event"] = req["at_event"]
        args = koji.encode_args({"id": tag["id"], "name": tag["name"]}, **kwargs)
        task_id = make_task(
            db, "newRepo", list(args), owner=owner["id"], priority=15, channel="createrepo"
        )
        db.run(
            "UPDATE repo_queue SET task_id = ?, tries = tries + 1, update_time = ? WHERE id = ?",
            (task_id, clock.now(), req["id"]),
        )
        made.append(task_id)
        running += 1
    return made


@API.export("repo.checkQueue")
def check_queue_call(call: Call) -> None:
    require_perm(call, "repo")
    check_queue(call.db, call.config.repo_user)


@API.export("newRepo")
def new_repo(
    call: Call,
    tag: Any,
    event: Any = None,
    src: bool = False,
    debuginfo: bool = False,
    separate_src: bool = False,
) -> int:
    """Create a newRepo task directly (`koji regen-repo --make-task`)."""
    # The hub takes the repo or the regen-repo permission (admin holds both); devhub acts as a
    # hub with AllowNewRepo on.
    session = require_login(call)
    if not has_perm(call, "repo"):
        require_perm(call, "regen-repo")
    info = find_tag(call.db, tag, strict=True)
    assert info is not None
    # The request is the hub's: the tag as given and the legacy keyword options.
    kwargs: dict[str, Any] = {} if event is None else {"event": event}
    kwargs.update(
        {
            k: True
            for k, v in (("src", src), ("separate_src", separate_src), ("debuginfo", debuginfo))
            if v
        }
    )
    args = koji.encode_args(tag, **kwargs)
    return make_task(
        call.db, "newRepo", list(args), owner=session.user_id, priority=15, channel="createrepo"
    )


@API.export("repoExpire")
def repo_expire(call: Call, repo_id: int) -> None:
    require_perm(call, "repo")
    call.db.run("UPDATE repos SET state = ? WHERE id = ?", (RS["EXPIRED"], repo_id))


@API.export("tagLastChangeEvent")
def tag_last_change_event(call: Call, tag: Any, before: Any = None, inherit: bool = True) -> int:
    row = find_tag(call.db, tag, strict=True)
    assert row is not None
    return last_change_event(call.db, row["id"])


@API.export("tagFirstChangeEvent")
def tag_first_change_event(
    call: Call, tag: Any, after: Any = None, inherit: bool = True
) -> int | None:
    row = find_tag(call.db, tag, strict=True)
    assert row is not None
    return int(row["create_event"])
