"""Importing RPMs and logs into packages/: the build host's initBuild/completeBuild/failBuild,
scratch results, and the admin's importRPM.

The checks are the real hub's import_build/import_rpm checks that would reject a worker's
results: the SRPM must be a source package whose N-V-R-E and task match the build, every file
name must be exactly N-V-R.A.rpm from its header, binary RPMs must name the build's SRPM,
the MD5 header digest must exist, and logs must be regular files not yet imported. Imported
files move into packages/ and leave a symlink in the task's work dir, as on the real hub.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import koji

from adjutant.devhub import clock
from adjutant.devhub.builds import BS, build_dir, build_info, find_build, new_build
from adjutant.devhub.db import Cursor, Row
from adjutant.devhub.host_tasks import assert_task_host
from adjutant.devhub.hosts import require_host
from adjutant.devhub.notifications import notify_build
from adjutant.devhub.rpc import API, Call
from adjutant.devhub.rpm_sigs import record_imported_sig
from adjutant.devhub.sessions import require_perm
from adjutant.devhub.tasks import task_row

_FIELDS = ["name", "version", "release", "epoch", "arch", "sourcepackage", "sourcerpm", "buildtime"]


def read_rpm(path: Path) -> dict[str, Any]:
    """The header fields the hub records, after its file-name and digest checks."""
    if not path.is_file():
        raise koji.GenericError(f"No such file: {path}")
    try:
        hdr = koji.get_rpm_header(str(path))
    except Exception as exc:
        raise koji.GenericError(f"not an rpm: {path.name}: {exc}") from None
    info: dict[str, Any] = koji.get_header_fields(hdr, _FIELDS)
    if info["sourcepackage"] == 1:
        info["arch"] = "src"
    expected = "{name}-{version}-{release}.{arch}.rpm".format(**info)
    if path.name != expected:
        raise koji.GenericError(f"bad filename: {path.name} (expected {expected})")
    sigmd5 = koji.get_header_field(hdr, "sigmd5")
    if not sigmd5:
        raise koji.GenericError(f"{path.name}: no MD5 header digest (payloadhash)")
    info["payloadhash"] = koji.hex_string(sigmd5)
    info["size"] = path.stat().st_size
    return info


def _move_and_link(src: Path, dest: Path) -> None:
    if dest.exists():
        raise koji.GenericError(f"destination already exists: {dest}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(src), str(dest))
    src.symlink_to(dest)


def insert_rpm(
    db: Cursor,
    topdir: Path,
    path: Path,
    build: Row,
    info: dict[str, Any],
    brootid: int | None,
    move: bool,
) -> int:
    """Record one rpm of `build` and put its file under packages/."""
    if build["state"] in (BS["FAILED"], BS["CANCELED"], BS["DELETED"]):
        raise koji.GenericError(f"Build is {BS[build['state']]}: {build['name']}")
    if db.one(
        "SELECT 1 FROM rpms WHERE name = ? AND version = ? AND release = ? AND arch = ? "
        "AND external_repo_id = 0",
        (info["name"], info["version"], info["release"], info["arch"]),
    ):
        raise koji.GenericError(f"rpm already imported: {path.name}")
    dest = build_dir(topdir, build) / info["arch"] / path.name
    if move:
        _move_and_link(path, dest)
    else:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
    rpm_id = db.run(
        "INSERT INTO rpms (build_id, name, version, release, epoch, arch, payloadhash, size, "
        "buildtime, buildroot_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            build["id"],
            info["name"],
            info["version"],
            info["release"],
            info["epoch"],
            info["arch"],
            info["payloadhash"],
            info["size"],
            info["buildtime"],
            brootid,
        ),
    )
    record_imported_sig(db, topdir, rpm_id, dest)
    return rpm_id


def _work(call: Call, relpath: str) -> Path:
    rel = os.path.normpath(relpath)
    if os.path.isabs(rel) or rel.startswith(".."):
        raise koji.GenericError(f"Invalid path: {relpath}")
    return call.config.topdir / "work" / rel


@API.export("host.initBuild")
def init_build(call: Call, data: dict[str, Any]) -> int:
    host = require_host(call)
    task_id = data.get("task_id")
    if task_id is None:
        raise koji.GenericError("initBuild needs a task_id")
    assert_task_host(call.db, task_id, host["id"])
    task = task_row(call.db, task_id)
    assert task is not None
    record = dict(data, owner=task["owner"], state=BS["BUILDING"])
    return new_build(call.db, record)


@API.export("host.failBuild")
def fail_build(call: Call, task_id: int, build_id: int) -> None:
    host = require_host(call)
    assert_task_host(call.db, task_id, host["id"])
    build = find_build(call.db, build_id, strict=True)
    assert build is not None
    if build["state"] != BS["BUILDING"] or build["task_id"] != task_id:
        raise koji.GenericError(f"Build {build_id} is not BUILDING under task {task_id}")
    call.db.run(
        "UPDATE builds SET state = ?, completion_time = ? WHERE id = ?",
        (BS["FAILED"], clock.now(), build_id),
    )
    notify_build(call.db, call.config, task_id, build_id)


@API.export("host.completeBuild")
def complete_build(
    call: Call,
    task_id: int,
    build_id: int,
    srpm: str,
    rpms: list[str],
    brmap: dict[str, int] | None = None,
    logs: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """Import the build's files (SRPM first) and mark it COMPLETE."""
    host = require_host(call)
    assert_task_host(call.db, task_id, host["id"])
    if not isinstance(srpm, str) or not isinstance(rpms, list):
        raise koji.GenericError("Invalid srpm/rpms arguments")
    brmap = brmap or {}
    if not isinstance(brmap, dict):
        raise koji.GenericError("Invalid brmap argument")
    build = find_build(call.db, build_id, strict=True)
    assert build is not None
    if build["state"] != BS["BUILDING"]:
        raise koji.GenericError(f"Unable to complete build: state is {BS[build['state']]}")
    if build["task_id"] != task_id:
        raise koji.GenericError("Unable to complete build: task_id mismatch")
    for br in brmap.values():
        if not call.db.one("SELECT 1 FROM buildroots WHERE id = ?", (br,)):
            raise koji.GenericError(f"No such buildroot: {br}")
    srpm_path = _work(call, srpm)
    info = read_rpm(srpm_path)
    if info["sourcepackage"] != 1:
        raise koji.GenericError(f"not a source package: {srpm}")
    for key in ("name", "version", "release", "epoch"):
        if info[key] != build[key]:
            raise koji.GenericError(
                f"Unable to complete build: {key} mismatch (build: {build[key]}, rpm: {info[key]})"
            )
    srpm_name = "{name}-{version}-{release}.src.rpm".format(**info)
    binaries = []
    for rel in rpms:
        path = _work(call, rel)
        rinfo = read_rpm(path)
        if rinfo["sourcepackage"] != 1 and rinfo["sourcerpm"] != srpm_name:
            raise koji.GenericError(
                f"srpm mismatch for {path.name}: {rinfo['sourcerpm']} (expected {srpm_name})"
            )
        binaries.append((path, rinfo, brmap.get(rel)))
    topdir = call.config.topdir
    insert_rpm(call.db, topdir, srpm_path, build, info, brmap.get(srpm), move=True)
    for path, rinfo, binary_br in binaries:
        insert_rpm(call.db, topdir, path, build, rinfo, binary_br, move=True)
    for arch, paths in (logs or {}).items():
        for rel in paths:
            _import_log(_work(call, rel), build_dir(topdir, build) / "data" / "logs" / arch)
    call.db.run(
        "UPDATE builds SET state = ?, completion_time = ? WHERE id = ?",
        (BS["COMPLETE"], clock.now(), build_id),
    )
    notify_build(call.db, call.config, task_id, build_id)
    done = find_build(call.db, build_id, strict=True)
    assert done is not None
    return build_info(call.db, done)


def _import_log(path: Path, logdir: Path) -> None:
    if path.is_symlink() or not path.is_file():
        raise koji.GenericError(f"Error importing build log. {path} is not a regular file.")
    dest = logdir / path.name
    if dest.exists():
        raise koji.GenericError(f"Error importing build log. {dest} already exists.")
    _move_and_link(path, dest)


@API.export("host.moveBuildToScratch")
def move_build_to_scratch(
    call: Call, task_id: int, srpm: str, rpms: list[str], logs: dict[str, list[str]] | None = None
) -> None:
    """Scratch results: files move to scratch/<owner>/task_<id>/, nothing is imported."""
    host = require_host(call)
    assert_task_host(call.db, task_id, host["id"])
    task = task_row(call.db, task_id)
    assert task is not None
    owner = call.db.value("SELECT name FROM users WHERE id = ?", (task["owner"],))
    dest = call.config.topdir / "scratch" / str(owner) / f"task_{task_id}"
    for rel in [srpm, *rpms]:
        path = _work(call, rel)
        read_rpm(path)
        _move_and_link(path, dest / path.name)
    for arch, paths in (logs or {}).items():
        for rel in paths:
            _import_log(_work(call, rel), dest / "logs" / arch)


@API.export("createEmptyBuild")
def create_empty_build(
    call: Call,
    name: str,
    version: str,
    release: str,
    epoch: int | None,
    owner: Any = None,
    draft: bool = False,
) -> int:
    """A COMPLETE build with no files yet (`koji import --create-build` uses it)."""
    session = require_perm(call, "admin")
    return new_build(
        call.db,
        {
            "name": name,
            "version": version,
            "release": release,
            "epoch": epoch,
            "owner": session.user_id,
            "state": BS["COMPLETE"],
            "completion_time": clock.now(),
        },
    )


def import_rpm_creating_build(call: Call, path: str, basename: str) -> dict[str, Any]:
    """importRPM, first creating the build of a binary rpm from its SOURCERPM if needed."""
    info = read_rpm(_work(call, os.path.join(path, basename)))
    if info["sourcepackage"] != 1:
        nvr = koji.parse_NVRA(info["sourcerpm"])
        if find_build(call.db, nvr) is None:
            create_empty_build(call, nvr["name"], nvr["version"], nvr["release"], info["epoch"])
    result: dict[str, Any] = import_rpm(call, path, basename)
    return result


@API.export("importRPM")
def import_rpm(call: Call, path: str, basename: str) -> dict[str, Any]:
    """Admin import of an uploaded rpm; an SRPM creates its build, a binary needs one."""
    session = require_perm(call, "admin")
    file = _work(call, os.path.join(path, basename))
    info = read_rpm(file)
    if info["sourcepackage"] == 1:
        build = find_build(call.db, info)
        if build is None:
            new_build(
                call.db,
                dict(
                    info, owner=session.user_id, state=BS["COMPLETE"], completion_time=clock.now()
                ),
            )
            build = find_build(call.db, info, strict=True)
    else:
        build = find_build(call.db, koji.parse_NVRA(info["sourcerpm"]))
        if build is None:
            raise koji.GenericError("No such build")
    assert build is not None
    rpm_id = insert_rpm(call.db, call.config.topdir, file, build, info, None, move=False)
    return dict(info, id=rpm_id, build_id=build["id"])
