"""Builds, RPMs and tagging: the records and the queries the CLI and build hosts use.

Importing files (headers, checks, moving into packages/) is rpm_import's job; this module
keeps the rows: build states, the NVR recycling rules of the real hub's new_build, tag
listings with inheritance and `latest`, and getRPM/listRPMs lookups.
"""

from __future__ import annotations

import datetime
import fnmatch
import json
from pathlib import Path
from typing import Any

import koji

from adjutant.devhub import clock
from adjutant.devhub.db import Cursor, Row
from adjutant.devhub.package_lists import ensure_package, find_package, package_listed
from adjutant.devhub.rpc import API, Call
from adjutant.devhub.sessions import get_user, require_perm
from adjutant.devhub.tags import find_tag, tag_chain, touch_tag

BS = koji.BUILD_STATES


def find_build(db: Cursor, info: Any, strict: bool = False) -> Row | None:
    """A build row (joined with its package name) by id, NVR string or dict."""
    base = "SELECT b.*, p.name FROM builds b JOIN packages p ON p.id = b.pkg_id"
    row: Row | None = None
    if isinstance(info, int):
        row = db.one(f"{base} WHERE b.id = ?", (info,))
    elif isinstance(info, str):
        try:
            nvr = koji.parse_NVR(info)
        except koji.GenericError:
            nvr = None
        if nvr is not None:
            row = db.one(
                f"{base} WHERE p.name = ? AND b.version = ? AND b.release = ?",
                (nvr["name"], nvr["version"], nvr["release"]),
            )
    elif isinstance(info, dict):
        if "id" in info:
            return find_build(db, int(info["id"]), strict)
        row = db.one(
            f"{base} WHERE p.name = ? AND b.version = ? AND b.release = ?",
            (info.get("name"), info.get("version"), info.get("release")),
        )
    if row is None and strict:
        raise koji.GenericError(f"No such build: {info}")
    return row


def build_info(db: Cursor, row: Row) -> dict[str, Any]:
    """A build as getBuild returns it."""
    owner = get_user(db, row["owner"])
    event_time = db.value("SELECT time FROM events WHERE id = ?", (row["create_event"],))
    return {
        "id": row["id"],
        "build_id": row["id"],
        "package_id": row["pkg_id"],
        "package_name": row["name"],
        "name": row["name"],
        "version": row["version"],
        "release": row["release"],
        "epoch": row["epoch"],
        "nvr": f"{row['name']}-{row['version']}-{row['release']}",
        "draft": False,
        "state": row["state"],
        "task_id": row["task_id"],
        "owner_id": row["owner"],
        "owner_name": owner["name"] if owner else None,
        "creation_event_id": row["create_event"],
        "creation_time": clock.iso(event_time),
        "creation_ts": event_time,
        "start_time": clock.iso(row["start_time"]),
        "start_ts": row["start_time"],
        "completion_time": clock.iso(row["completion_time"]),
        "completion_ts": row["completion_time"],
        "volume_id": 0,
        "volume_name": "DEFAULT",
        "source": row["source"],
        "extra": json.loads(row["extra"]) if row["extra"] else None,
        "cg_id": None,
        "cg_name": None,
        "promoter_id": None,
        "promoter_name": None,
        "promotion_time": None,
        "promotion_ts": None,
    }


def new_build(db: Cursor, data: dict[str, Any]) -> int:
    """Create a build, or recycle a dead one as the real hub's new_build/recycle_build do."""
    for key in ("name", "version", "release", "epoch"):
        if key not in data:
            raise koji.GenericError(f"No {key} value for build")
    pkg_id = ensure_package(db, data["name"])
    old = db.one(
        "SELECT * FROM builds WHERE pkg_id = ? AND version = ? AND release = ?",
        (pkg_id, data["version"], data["release"]),
    )
    if old is not None:
        nvr = f"{data['name']}-{data['version']}-{data['release']}"
        if old["state"] == BS["BUILDING"] and old["task_id"] == data.get("task_id"):
            return int(old["id"])
        if old["state"] == BS["BUILDING"]:
            raise koji.GenericError(f"Build already in progress (task {old['task_id']})")
        recyclable = old["state"] in (BS["FAILED"], BS["CANCELED"]) and not db.one(
            "SELECT 1 FROM tag_listing WHERE build_id = ? UNION SELECT 1 FROM rpms "
            "WHERE build_id = ?",
            (old["id"], old["id"]),
        )
        if not recyclable:
            raise koji.GenericError(
                f"Build already exists (id={old['id']}, state={BS[old['state']]}): {nvr}"
            )
        db.run(
            "UPDATE builds SET state = ?, task_id = ?, owner = ?, epoch = ?, "
            "start_time = ?, completion_time = NULL, create_event = ? WHERE id = ?",
            (
                data.get("state", BS["BUILDING"]),
                data.get("task_id"),
                data["owner"],
                data["epoch"],
                clock.now(),
                db.new_event(),
                old["id"],
            ),
        )
        return int(old["id"])
    return db.run(
        "INSERT INTO builds (pkg_id, version, release, epoch, state, task_id, owner, "
        "create_event, start_time, completion_time, source, extra) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            pkg_id,
            data["version"],
            data["release"],
            data["epoch"],
            data.get("state", BS["BUILDING"]),
            data.get("task_id"),
            data["owner"],
            db.new_event(),
            clock.now(),
            data.get("completion_time"),
            data.get("source"),
            json.dumps(data["extra"]) if data.get("extra") else None,
        ),
    )


def build_dir(topdir: Path, build: Row) -> Path:
    """Where a build's files live: <topdir>/packages/<name>/<version>/<release>."""
    return topdir.joinpath(
        "packages", str(build["name"]), str(build["version"]), str(build["release"])
    )


def rpm_build_dir(db: Cursor, topdir: Path, rpm: Row) -> Path:
    """The build dir of an internal rpm's build."""
    build = find_build(db, rpm["build_id"], strict=True)
    assert build is not None
    return build_dir(topdir, build)


def _external_repo_name(row: Row) -> str | None:
    """'INTERNAL' for koji's own rpms, else the repo's name (rows joined by RPM_SELECT)."""
    if not row["external_repo_id"]:
        return "INTERNAL"
    return row["external_repo_name"] if "external_repo_name" in row.keys() else None


def rpm_info(row: Row) -> dict[str, Any]:
    """An rpm as getRPM/listRPMs return it."""
    # The hub's getRPM/listRPMs keys: no `nvr` (builds have one, rpms do not).
    return {
        "id": row["id"],
        "name": row["name"],
        "version": row["version"],
        "release": row["release"],
        "epoch": row["epoch"],
        "arch": row["arch"],
        "draft": False,
        "payloadhash": row["payloadhash"],
        "size": row["size"],
        "buildtime": row["buildtime"],
        "build_id": row["build_id"],
        "buildroot_id": row["buildroot_id"],
        "external_repo_id": row["external_repo_id"],
        "external_repo_name": _external_repo_name(row),
        "metadata_only": False,
        "extra": None,
    }


# rpm rows with their external repo's name (NULL for internal rpms).
RPM_SELECT = (
    "SELECT r.*, er.name AS external_repo_name FROM rpms r "
    "LEFT JOIN external_repos er ON er.id = r.external_repo_id"
)


def find_rpm(db: Cursor, info: Any, strict: bool = False) -> Row | None:
    """An rpm by id, or an internal one by NVRA string or dict (id, or name/version/...)."""
    row = None
    if isinstance(info, int):
        row = db.one(f"{RPM_SELECT} WHERE r.id = ?", (info,))
    elif isinstance(info, str):
        nvra = koji.parse_NVRA(info)
        row = db.one(
            "SELECT * FROM rpms WHERE name = ? AND version = ? AND release = ? "
            "AND arch = ? AND external_repo_id = 0",
            (nvra["name"], nvra["version"], nvra["release"], nvra["arch"]),
        )
    elif isinstance(info, dict):
        if info.get("id") is not None:
            return find_rpm(db, int(info["id"]), strict)
        row = db.one(
            "SELECT * FROM rpms WHERE name = ? AND version = ? AND release = ? "
            "AND arch = ? AND external_repo_id = 0",
            (info.get("name"), info.get("version"), info.get("release"), info.get("arch")),
        )
    if row is None and strict:
        raise koji.GenericError(f"No such rpm: {info}")
    return row


def tag_build(db: Cursor, tag_id: int, build_id: int) -> None:
    """Add a build to a tag (no-op if it is already there)."""
    if db.one(
        "SELECT 1 FROM tag_listing WHERE tag_id = ? AND build_id = ? AND revoke_event IS NULL",
        (tag_id, build_id),
    ):
        return
    db.run(
        "INSERT INTO tag_listing (tag_id, build_id, create_event) VALUES (?, ?, ?)",
        (tag_id, build_id, touch_tag(db, tag_id)),
    )


def tagged_builds(
    db: Cursor,
    tag_id: int,
    inherit: bool,
    latest: bool,
    package: str | None = None,
    extra: bool = False,
) -> list[dict[str, Any]]:
    """Builds in the tag (and ancestors), newest tagging first; `latest` keeps one per name."""
    chain = tag_chain(db, tag_id) if inherit else [tag_id]
    out: list[dict[str, Any]] = []
    seen_names: set[str] = set()
    seen_ids: set[int] = set()
    for current in chain:
        tag = find_tag(db, current, strict=True)
        assert tag is not None
        rows = db.rows(
            "SELECT b.*, p.name, tl.create_event AS tag_event FROM tag_listing tl "
            "JOIN builds b ON b.id = tl.build_id JOIN packages p ON p.id = b.pkg_id "
            "WHERE tl.tag_id = ? AND tl.revoke_event IS NULL AND b.state = ? "
            "ORDER BY tl.create_event DESC",
            (current, BS["COMPLETE"]),
        )
        for row in rows:
            if package and row["name"] != package:
                continue
            if row["id"] in seen_ids or (latest and row["name"] in seen_names):
                continue
            if _blocked(db, tag_id, row["pkg_id"]):
                continue
            seen_ids.add(row["id"])
            seen_names.add(row["name"])
            info = build_info(db, row)
            info.update(tag_id=tag["id"], tag_name=tag["name"], create_event=row["tag_event"])
            keys = (*_TAGGED_BUILD_KEYS, "extra") if extra else _TAGGED_BUILD_KEYS
            out.append({key: info[key] for key in keys})
    return out


# readTaggedBuilds' fields on the hub (listTagged, listTaggedRPMS); `extra` only when asked.
_TAGGED_BUILD_KEYS = (
    "tag_id",
    "tag_name",
    "id",
    "build_id",
    "version",
    "release",
    "epoch",
    "state",
    "completion_time",
    "promotion_time",
    "start_time",
    "task_id",
    "draft",
    "owner_id",
    "owner_name",
    "promoter_id",
    "promoter_name",
    "creation_event_id",
    "creation_time",
    "volume_id",
    "volume_name",
    "package_id",
    "package_name",
    "name",
    "nvr",
    "create_event",
)
# readTaggedRPMS' fields on the hub; `sigkey` with rpmsigs, `extra` when asked (the default).
_TAGGED_RPM_KEYS = (
    "name",
    "version",
    "release",
    "arch",
    "id",
    "epoch",
    "draft",
    "payloadhash",
    "size",
    "buildtime",
    "buildroot_id",
    "build_id",
    "metadata_only",
)


def list_tagged_rpms_rows(
    db: Cursor, tag_id: int, latest: bool, package: str | None = None
) -> list[dict[str, Any]]:
    """The rpms of the tag's builds (with inheritance), as the hub's readTaggedRPMS lists them
    (the entries repoInit writes to rpmlist.jsonl)."""
    rpms: list[dict[str, Any]] = []
    for build in tagged_builds(db, tag_id, inherit=True, latest=latest, package=package):
        for r in db.rows("SELECT * FROM rpms WHERE build_id = ? ORDER BY id", (build["id"],)):
            info = rpm_info(r)
            rpms.append({key: info[key] for key in (*_TAGGED_RPM_KEYS, "extra")})
    return rpms


def _blocked(db: Cursor, tag_id: int, pkg_id: int) -> bool:
    entry = package_listed(db, tag_id, pkg_id)
    return bool(entry and entry["blocked"])


@API.export("getBuild")
def get_build(call: Call, buildInfo: Any, strict: bool = False) -> Any:
    row = find_build(call.db, buildInfo, strict)
    return build_info(call.db, row) if row is not None else None


def _epoch(value: Any) -> float:
    """A time filter as the hub takes it: seconds since the epoch, or an ISO date string."""
    if isinstance(value, str):
        parsed = datetime.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.UTC)
        return parsed.timestamp()
    return float(value)


# A build's creation time (its event's), for the createdBefore/After filters.
_CREATED = "(SELECT time FROM events e WHERE e.id = b.create_event)"


@API.export("listBuilds")
def list_builds(
    call: Call,
    packageID: Any = None,
    userID: Any = None,
    taskID: Any = None,
    prefix: str | None = None,
    state: Any = None,
    volumeID: Any = None,
    source: str | None = None,
    createdBefore: Any = None,
    createdAfter: Any = None,
    completeBefore: Any = None,
    completeAfter: Any = None,
    type: Any = None,
    typeInfo: Any = None,
    queryOpts: Any = None,
    pattern: str | None = None,
    cgID: Any = None,
    draft: bool | None = None,
    promotedBefore: Any = None,
    promotedAfter: Any = None,
    promoter: Any = None,
) -> Any:
    """The hub's filters. devhub builds are rpm builds on the DEFAULT volume, never drafts,
    never promoted and from no content generator, so those filters select all or nothing."""
    if type not in (None, "rpm") and type not in ("maven", "win", "image"):
        raise koji.GenericError(f"unsupported build type: {type}")
    if (
        type in ("maven", "win", "image")
        or draft
        or cgID
        or volumeID not in (None, 0)
        or promoter is not None
        or promotedBefore
        or promotedAfter
    ):
        return 0 if queryOpts and queryOpts.get("countOnly") else []
    clauses: list[str] = []
    values: list[Any] = []
    if taskID is not None:
        clauses.append("b.task_id IS NOT NULL" if taskID == -1 else "b.task_id = ?")
        values += [] if taskID == -1 else [int(taskID)]
    for bound, column, op in (
        (createdBefore, _CREATED, "<"),
        (createdAfter, _CREATED, ">"),
        (completeBefore, "b.completion_time", "<"),
        (completeAfter, "b.completion_time", ">"),
    ):
        if bound:
            clauses.append(f"{column} {op} ?")
            values.append(_epoch(bound))
    if state is not None:
        clauses.append("b.state = ?")
        values.append(int(state))
    where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
    rows = call.db.rows(
        f"SELECT b.*, p.name FROM builds b JOIN packages p ON p.id = b.pkg_id {where}ORDER BY b.id",
        tuple(values),
    )
    if packageID is not None:
        pkg = find_package(call.db, packageID)
        rows = [r for r in rows if pkg is not None and r["pkg_id"] == pkg["id"]]
    if prefix:
        rows = [r for r in rows if r["name"].lower().startswith(prefix.lower())]
    if pattern:
        rows = [
            r
            for r in rows
            if fnmatch.fnmatch(
                f"{r['name']}-{r['version']}-{r['release']}".lower(), pattern.lower()
            )
        ]
    if source is not None:
        rows = [
            r
            for r in rows
            if r["source"] is not None and fnmatch.fnmatch(r["source"].lower(), source.lower())
        ]
    if userID is not None:
        user = get_user(call.db, userID)
        rows = [r for r in rows if user is not None and r["owner"] == user["id"]]
    if queryOpts and queryOpts.get("countOnly"):
        return len(rows)
    return [_listed_build(call.db, r) for r in rows]


def _listed_build(db: Cursor, row: Row) -> dict[str, Any]:
    """A build as listBuilds returns it: getBuild's keys without `id` (only `build_id`) and
    without the content generator's, as the hub's listBuilds fields are."""
    info = build_info(db, row)
    for key in ("id", "cg_id", "cg_name"):
        del info[key]
    return info


@API.export("getRPM")
def get_rpm(call: Call, rpminfo: Any, strict: bool = False, multi: bool = False) -> Any:
    row = find_rpm(call.db, rpminfo, strict)
    if multi:
        return [rpm_info(row)] if row is not None else []
    return rpm_info(row) if row is not None else None


@API.export("listRPMs")
def list_rpms(
    call: Call,
    buildID: Any = None,
    buildrootID: Any = None,
    imageID: Any = None,
    componentBuildrootID: Any = None,
    hostID: Any = None,
    arches: Any = None,
    queryOpts: Any = None,
    draft: Any = None,
) -> list[dict[str, Any]]:
    if componentBuildrootID is not None:
        rows = call.db.rows(
            "SELECT r.*, er.name AS external_repo_name, bl.is_update FROM rpms r "
            "LEFT JOIN external_repos er ON er.id = r.external_repo_id "
            "JOIN buildroot_listing bl ON bl.rpm_id = r.id WHERE bl.buildroot_id = ? "
            "ORDER BY r.id",
            (componentBuildrootID,),
        )
    else:
        rows = call.db.rows(f"{RPM_SELECT} ORDER BY r.id")
    if buildID is not None:
        rows = [r for r in rows if r["build_id"] == buildID]
    if buildrootID is not None:
        rows = [r for r in rows if r["buildroot_id"] == buildrootID]
    if arches is not None:
        wanted = arches if isinstance(arches, list | tuple) else [arches]
        rows = [r for r in rows if r["arch"] in wanted]
    out = []
    for r in rows:
        info = rpm_info(r)
        if componentBuildrootID is not None:
            info["component_buildroot_id"] = componentBuildrootID
            info["is_update"] = bool(r["is_update"])
        out.append(info)
    return out


@API.export("listTagged")
def list_tagged(
    call: Call,
    tag: Any,
    event: Any = None,
    inherit: bool = False,
    prefix: str | None = None,
    latest: bool = False,
    package: Any = None,
    owner: Any = None,
    type: Any = None,
    strict: bool = True,
    extra: bool = False,
    draft: Any = None,
) -> list[dict[str, Any]]:
    row = find_tag(call.db, tag, strict=True)
    assert row is not None
    builds = tagged_builds(call.db, row["id"], inherit, bool(latest), package, bool(extra))
    if prefix:
        builds = [b for b in builds if b["name"].startswith(prefix)]
    return builds


@API.export("listTaggedRPMS")
def list_tagged_rpms(
    call: Call,
    tag: Any,
    event: Any = None,
    inherit: bool = False,
    latest: bool = False,
    package: Any = None,
    arch: Any = None,
    rpmsigs: bool = False,
    owner: Any = None,
    type: Any = None,
    strict: bool = True,
    extra: bool = True,
    draft: Any = None,
) -> list[Any]:
    builds = list_tagged(call, tag, inherit=inherit, latest=latest, package=package)
    rpms: list[dict[str, Any]] = []
    for build in builds:
        for r in call.db.rows("SELECT * FROM rpms WHERE build_id = ? ORDER BY id", (build["id"],)):
            if arch is not None and r["arch"] not in (arch if isinstance(arch, list) else [arch]):
                continue
            full = rpm_info(r)
            info = {key: full[key] for key in (*_TAGGED_RPM_KEYS, *(("extra",) if extra else ()))}
            if not rpmsigs:
                rpms.append(info)
                continue
            # One entry per cached signature, as the hub's outer join gives them.
            keys = [
                r["sigkey"]
                for r in call.db.rows(
                    "SELECT sigkey FROM rpm_sigs WHERE rpm_id = ? ORDER BY sigkey", (info["id"],)
                )
            ]
            rpms += [dict(info, sigkey=key) for key in keys or [None]]
    return [rpms, builds]


@API.export("tagBuildBypass")
def tag_build_bypass(
    call: Call, tag: Any, build: Any, force: bool = False, notify: bool = False
) -> None:
    require_perm(call, "tag")  # the hub's permission; its tag policy allows everything here
    tag_row = find_tag(call.db, tag, strict=True)
    build_row = find_build(call.db, build, strict=True)
    assert tag_row is not None and build_row is not None
    tag_build(call.db, tag_row["id"], build_row["id"])


@API.export("untagBuildBypass")
def untag_build_bypass(
    call: Call, tag: Any, build: Any, strict: bool = True, force: bool = False, notify: bool = False
) -> None:
    require_perm(call, "tag")  # the hub's permission; its tag policy allows everything here
    tag_row = find_tag(call.db, tag, strict=True)
    build_row = find_build(call.db, build, strict=True)
    assert tag_row is not None and build_row is not None
    call.db.run(
        "UPDATE tag_listing SET revoke_event = ? WHERE tag_id = ? AND build_id = ? "
        "AND revoke_event IS NULL",
        (touch_tag(call.db, tag_row["id"]), tag_row["id"], build_row["id"]),
    )


@API.export("getAverageBuildDuration")
def get_average_build_duration(call: Call, package: Any, age: int | None = None) -> Any:
    """Mean seconds from start to completion of the package's COMPLETE builds (or None)."""
    pkg = find_package(call.db, package)
    if pkg is None:
        return None
    since = clock.now() - age * 30 * 86400 if age else 0.0
    value = call.db.value(
        "SELECT AVG(completion_time - start_time) FROM builds WHERE pkg_id = ? AND state = ? "
        "AND start_time IS NOT NULL AND completion_time IS NOT NULL AND completion_time >= ?",
        (pkg["id"], BS["COMPLETE"], since),
    )
    return float(value) if value is not None else None
