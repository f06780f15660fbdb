"""Buildroots as the hub records them: creation, state changes and installed-package lists.

As on the real hub, newBuildRoot takes no container type (every host-made buildroot is
recorded as a `chroot`), the task must be OPEN on the calling host, lists may be set only in
INIT and updated only in BUILDING, and every listed package must be an rpm the hub knows
("No such rpm" otherwise) — which is how a worker that reports image packages gets caught.
"""

from __future__ import annotations

from typing import Any

import koji

from adjutant.devhub import clock
from adjutant.devhub.builds import find_rpm, list_rpms
from adjutant.devhub.db import Cursor, Row
from adjutant.devhub.external_repos import add_external_rpm
from adjutant.devhub.host_tasks import assert_task_host
from adjutant.devhub.hosts import find_host, require_host
from adjutant.devhub.rpc import API, Call

BR = koji.BR_STATES


def _row(db: Cursor, br_id: int, strict: bool = True) -> Row | None:
    row = db.one("SELECT * FROM buildroots WHERE id = ?", (int(br_id),))
    if row is None and strict:
        raise koji.GenericError(f"No such buildroot: {br_id}")
    return row


def buildroot_info(db: Cursor, row: Row) -> dict[str, Any]:
    """A buildroot as getBuildroot/listBuildroots return it."""
    host = find_host(db, row["host_id"])
    repo = db.one(
        "SELECT r.*, t.name AS tag_name FROM repos r JOIN tags t ON t.id = r.tag_id WHERE r.id = ?",
        (row["repo_id"],),
    )
    created = db.value("SELECT time FROM events WHERE id = ?", (row["create_event"],))
    retired = db.value("SELECT time FROM events WHERE id = ?", (row["retire_event"],))
    repo_created = db.value(
        "SELECT time FROM events WHERE id = ?", (repo["create_event"] if repo else None,)
    )
    return {
        "id": row["id"],
        "br_type": koji.BR_TYPES["STANDARD"],
        "cg_id": None,
        "cg_name": None,
        "cg_version": None,
        "container_arch": row["arch"],
        "arch": row["arch"],
        "container_type": "chroot",
        "host_os": None,
        "host_arch": None,
        "extra": None,
        "host_id": row["host_id"],
        "host_name": host["name"] if host else None,
        "repo_id": row["repo_id"],
        "tag_id": repo["tag_id"] if repo else None,
        "tag_name": repo["tag_name"] if repo else None,
        "repo_create_event_id": repo["create_event"] if repo else None,
        "repo_create_event_time": clock.iso(repo_created),
        "repo_state": repo["state"] if repo else None,
        "task_id": row["task_id"],
        "state": row["state"],
        "create_event_id": row["create_event"],
        "create_event_time": clock.iso(created),
        "create_ts": created,
        "retire_event_id": row["retire_event"],
        "retire_event_time": clock.iso(retired),
        "retire_ts": retired,
    }


@API.export("host.newBuildRoot")
def new_buildroot(call: Call, repo: int, arch: str, task_id: int | None = None) -> int:
    host = require_host(call)
    if task_id is None:
        raise koji.GenericError("task_id is required (buildroot rows need a task)")
    assert_task_host(call.db, task_id, host["id"])
    if call.db.one("SELECT 1 FROM repos WHERE id = ?", (repo,)) is None:
        raise koji.GenericError(f"No such repo: {repo}")
    arch = koji.parse_arches(arch, strict=True)
    if " " in arch:
        raise koji.GenericError(f"Invalid arch: {arch}")
    return call.db.run(
        "INSERT INTO buildroots (host_id, repo_id, task_id, arch, state, create_event) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (host["id"], repo, task_id, arch, BR["INIT"], call.db.new_event()),
    )


def _owned(call: Call, br_id: int, task_id: int | None) -> Row:
    host = require_host(call)
    row = _row(call.db, br_id)
    assert row is not None
    if row["host_id"] != host["id"]:
        raise koji.ActionNotAllowed(f"Host {host['id']} not owner of buildroot {br_id}")
    if task_id is not None and row["task_id"] != task_id:
        raise koji.ActionNotAllowed(f"Task {task_id} not owner of buildroot {br_id}")
    return row


@API.export("host.setBuildRootState")
def set_buildroot_state(call: Call, brootid: int, state: Any, task_id: int | None = None) -> None:
    row = _owned(call, brootid, task_id)
    new = BR[state] if isinstance(state, str) else int(state)
    if isinstance(state, str) and state not in BR:
        raise koji.GenericError(f"Invalid buildroot state: {state}")
    if new == BR["INIT"]:
        raise koji.GenericError("Cannot change buildroot state to INIT")
    if row["state"] == BR["EXPIRED"]:
        if new == BR["EXPIRED"]:
            return
        raise koji.GenericError("buildroot is expired, cannot change state")
    retire = call.db.new_event() if new == BR["EXPIRED"] else None
    call.db.run(
        "UPDATE buildroots SET state = ?, retire_event = COALESCE(?, retire_event) WHERE id = ?",
        (new, retire, brootid),
    )


def _set_list(call: Call, br_id: int, rpmlist: list[dict[str, Any]], update: bool) -> None:
    ids = []
    for entry in rpmlist:
        if entry.get("location"):
            ids.append(add_external_rpm(call.db, entry, entry["location"]))
            continue
        rpm = find_rpm(call.db, entry, strict=True)
        assert rpm is not None
        ids.append(rpm["id"])
    for rpm_id in ids:
        call.db.run(
            "INSERT OR IGNORE INTO buildroot_listing (buildroot_id, rpm_id, is_update) "
            "VALUES (?, ?, ?)",
            (br_id, rpm_id, int(update)),
        )


@API.export("host.setBuildRootList")
def set_buildroot_list(
    call: Call, brootid: int, rpmlist: list[dict[str, Any]], task_id: int | None = None
) -> None:
    row = _owned(call, brootid, task_id)
    if row["state"] != BR["INIT"]:
        raise koji.GenericError(f"buildroot {brootid} is not in INIT state")
    _set_list(call, brootid, rpmlist, update=False)


@API.export("host.updateBuildRootList")
def update_buildroot_list(
    call: Call, brootid: int, rpmlist: list[dict[str, Any]], task_id: int | None = None
) -> None:
    row = _owned(call, brootid, task_id)
    if row["state"] != BR["BUILDING"]:
        raise koji.GenericError(f"buildroot {brootid} is not in BUILDING state")
    _set_list(call, brootid, rpmlist, update=True)


@API.export("getBuildroot")
def get_buildroot(call: Call, buildrootID: int, strict: bool = False) -> Any:
    row = _row(call.db, buildrootID, strict)
    return buildroot_info(call.db, row) if row is not None else None


@API.export("listBuildroots")
def list_buildroots(
    call: Call,
    hostID: Any = None,
    tagID: Any = None,
    state: Any = None,
    rpmID: Any = None,
    archiveID: Any = None,
    taskID: Any = None,
    buildrootID: Any = None,
    repoID: Any = None,
    queryOpts: Any = None,
) -> list[dict[str, Any]]:
    rows = call.db.rows("SELECT * FROM buildroots ORDER BY id")
    if hostID is not None:
        rows = [r for r in rows if r["host_id"] == hostID]
    if taskID is not None:
        rows = [r for r in rows if r["task_id"] == taskID]
    if repoID is not None:
        rows = [r for r in rows if r["repo_id"] == repoID]
    if buildrootID is not None:
        wanted = set(buildrootID if isinstance(buildrootID, list | tuple) else [buildrootID])
        rows = [r for r in rows if r["id"] in wanted]
    if state is not None:
        states = set(state if isinstance(state, list | tuple) else [state])
        rows = [r for r in rows if r["state"] in states]
    if rpmID is not None:
        used = {
            r["buildroot_id"]
            for r in call.db.rows(
                "SELECT buildroot_id FROM buildroot_listing WHERE rpm_id = ?", (rpmID,)
            )
        }
        rows = [r for r in rows if r["id"] in used]
    infos = [buildroot_info(call.db, r) for r in rows]
    if tagID is not None:
        infos = [i for i in infos if tagID in (i["tag_id"], i["tag_name"])]
    return infos


@API.export("getBuildrootListing")
def get_buildroot_listing(call: Call, id: int) -> list[dict[str, Any]]:
    """The buildroot's rpms with the hub's BuildRoot.getList keys (`rpm_id`, not `id`)."""
    _row(call.db, id)
    return [
        {
            "rpm_id": r["id"],
            "is_update": r["is_update"],
            "name": r["name"],
            "version": r["version"],
            "release": r["release"],
            "epoch": r["epoch"],
            "arch": r["arch"],
            "build_id": r["build_id"],
            "draft": r["draft"],
            "external_repo_id": r["external_repo_id"],
            "external_repo_name": r["external_repo_name"],
        }
        for r in list_rpms(call, componentBuildrootID=id)
    ]
