"""Dist repos (`koji dist-repo`): repos that carry their packages, signed copies chosen by key.

`distRepo` records an INIT repo flagged dist, lays out repos-dist/<tag>/<id>/ (an empty dir
per arch, the uploaded comps as groups/comps.xml, repo.json) and queues the distRepo task in
the createrepo channel. The build host's createdistrepo subtasks upload each arch's repodata
with `kojipkgs` (the rpms chosen) and `repo_manifest` (the files uploaded);
`host.distRepoMove` checks every kojipkgs entry against the rpm rows, moves the files into
the arch dir and hard-links each rpm (the signed copy for its key, else the primary) under
Packages/<first letter>/. `host.repoDone` then makes the repo READY and links `latest`.
devhub has no volumes: only the default one is accepted.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import koji

from adjutant.devhub import clock
from adjutant.devhub.builds import find_rpm, rpm_build_dir
from adjutant.devhub.hosts import require_host
from adjutant.devhub.repos import RS
from adjutant.devhub.rpc import API, Call
from adjutant.devhub.sessions import has_perm, require_login
from adjutant.devhub.tags import build_config, find_tag
from adjutant.devhub.tasks import cancel_task, decode_request, make_task

# The fields of a kojipkgs entry that must match the hub's rpm row (as the hub checks them).
_CHECKED_FIELDS = ("name", "version", "release", "arch", "epoch", "size", "payloadhash", "build_id")


def _inside(base: Path, relpath: Any, what: str) -> Path:
    """base/relpath, refusing paths that leave base (uploaded names come from callers)."""
    if not isinstance(relpath, str) or not relpath:
        raise koji.ParameterError(f"{what} must be a relative path: {relpath!r}")
    path = (base / relpath).resolve()
    if not path.is_relative_to(base.resolve()) or os.path.isabs(relpath):
        raise koji.GenericError(f"{what} leaves {base}: {relpath!r}")
    return path


def dist_repo_dir(topdir: Path, tag_name: str, repo_id: int) -> Path:
    return topdir / "repos-dist" / tag_name / str(repo_id)


def dist_repo_init(call: Call, tag: Any, keys: Any, task_opts: Any) -> tuple[int, int]:
    """Record the INIT repo and lay out its directory; returns (repo_id, event)."""
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise koji.ParameterError(f"distRepo: keys must be a list of key ids: {keys!r}")
    if not isinstance(task_opts, dict):
        raise koji.ParameterError(f"distRepo: task options must be a dict: {task_opts!r}")
    info = find_tag(call.db, tag, strict=True)
    assert info is not None
    volume = task_opts.get("volume")
    if volume not in (None, "DEFAULT"):
        raise koji.GenericError(f"No such volume: {volume} (devhub has only DEFAULT)")
    arches = task_opts.get("arch")
    if not isinstance(arches, list) or not all(isinstance(a, str) for a in arches):
        raise koji.ParameterError(f"distRepo: arch must be a list of arches: {arches!r}")
    # Checked before anything is written: a refused call's repo id is reused by the next one
    # (the INSERT rolls back), so directories made here would turn up in that repo.
    comps = task_opts.get("comps")
    comps_source = _inside(call.config.topdir / "work", comps, "comps") if comps else None
    if comps_source is not None and not comps_source.is_file():
        raise koji.GenericError(f"comps file missing: {comps}")
    event = task_opts.get("event")
    event_id = int(event) if event is not None else call.db.new_event()
    repo_id = call.db.run(
        "INSERT INTO repos (tag_id, state, create_event, create_time, task_id, dist) "
        "VALUES (?, ?, ?, ?, NULL, 1)",
        (info["id"], RS["INIT"], event_id, clock.now()),
    )
    repodir = dist_repo_dir(call.config.topdir, info["name"], repo_id)
    for arch in sorted({koji.canonArch(a) for a in arches}):
        (repodir / arch).mkdir(parents=True, exist_ok=True)
    repodir.mkdir(parents=True, exist_ok=True)
    if comps_source is not None:
        (repodir / "groups").mkdir()
        shutil.copyfile(comps_source, repodir / "groups" / "comps.xml")
    record = {
        "id": repo_id,
        "tag": info["name"],
        "tag_id": info["id"],
        "keys": keys,
        "volume": volume,
        "task_opts": task_opts,
    }
    (repodir / "repo.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    return repo_id, event_id


@API.export("distRepo")
def dist_repo(call: Call, tag: Any, keys: Any, **task_opts: Any) -> int:
    session = require_login(call)
    if not (has_perm(call, "dist-repo") or has_perm(call, "admin")):
        raise koji.ActionNotAllowed(
            "dist-repo permission required (devhub has no dist_repo policy)"
        )
    repo_id, event_id = dist_repo_init(call, tag, keys, task_opts)
    task_opts["event"] = event_id
    if build_config(call.db, tag)["extra"].get("distrepo.cancel_others", False):
        _cancel_other_dist_repos(call, tag)
    task_id = make_task(
        call.db,
        "distRepo",
        [tag, repo_id, keys, task_opts],
        owner=session.user_id,
        priority=15,
        channel="createrepo",
    )
    call.db.run("UPDATE repos SET task_id = ? WHERE id = ?", (task_id, repo_id))
    return task_id


def _cancel_other_dist_repos(call: Call, tag: Any) -> None:
    for row in call.db.rows(
        "SELECT * FROM tasks WHERE method = 'distRepo' AND state IN (?, ?, ?)",
        (koji.TASK_STATES["FREE"], koji.TASK_STATES["OPEN"], koji.TASK_STATES["ASSIGNED"]),
    ):
        request = decode_request(row["request"])
        if request and request[0] == tag:
            cancel_task(call.db, row["id"], recurse=True)


@API.export("host.distRepoMove")
def dist_repo_move(call: Call, repo_id: int, uploadpath: str, arch: str) -> None:
    """Move one arch's uploads into the dist repo and link its rpms (see the module doc)."""
    require_host(call)
    row = call.db.one("SELECT * FROM repos WHERE id = ?", (repo_id,))
    if row is None:
        raise koji.GenericError(f"No such repo: {repo_id}")
    tag = find_tag(call.db, row["tag_id"], strict=True)
    assert tag is not None
    topdir = call.config.topdir
    archdir = dist_repo_dir(topdir, tag["name"], repo_id) / koji.canonArch(arch)
    if not archdir.is_dir():
        raise koji.GenericError(f"Repo arch directory missing: {archdir}")
    if row["state"] != RS["INIT"]:
        raise koji.GenericError(f"Repo is in state: {RS[row['state']]}")
    upload = _inside(topdir / "work", uploadpath, "uploadpath")
    manifest = upload / "repo_manifest"
    if not manifest.is_file():
        raise koji.GenericError("Missing repo manifest")
    kojipkgs_file = upload / "kojipkgs"
    if not kojipkgs_file.is_file():
        raise koji.GenericError("Missing kojipkgs file")
    try:
        files = json.loads(manifest.read_text())
        kojipkgs = json.loads(kojipkgs_file.read_text())
    except (UnicodeDecodeError, ValueError) as exc:
        raise koji.GenericError(f"repo_manifest or kojipkgs is not JSON: {exc}") from None
    if not isinstance(files, list) or not isinstance(kojipkgs, dict):
        raise koji.GenericError("repo_manifest must be a list and kojipkgs a dict")
    moves = []
    for relpath in files:
        src = _inside(upload, relpath, "manifest entry")
        if not src.exists():
            raise koji.GenericError(f"uploaded file missing: {src}")
        moves.append((src, _inside(archdir, relpath, "manifest entry")))
    links = [
        (_rpm_source(call, topdir, bnp, entry), archdir / "Packages" / bnp[0].lower() / bnp)
        for bnp, entry in kojipkgs.items()
    ]
    for src, dest in moves:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(src), dest)
    for src, dest in links:
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():
            raise koji.GenericError(f"File already in repo: {dest}")
        try:
            os.link(src, dest)
        except OSError:
            shutil.copy2(src, dest)


def _rpm_source(call: Call, topdir: Path, bnp: Any, entry: Any) -> Path:
    """The file a kojipkgs entry names, after checking the entry against the rpm row."""
    if (
        not isinstance(bnp, str)
        or "/" in bnp
        or not bnp.endswith(".rpm")
        or not isinstance(entry, dict)
    ):
        raise koji.GenericError(f"bad kojipkgs entry: {bnp!r}")
    rpm = (
        find_rpm(call.db, entry.get("id"), strict=True)
        if isinstance(entry.get("id"), int)
        else None
    )
    if rpm is None or rpm["external_repo_id"]:
        raise koji.GenericError(f"kojipkgs entry names no internal rpm: {bnp}")
    for key in _CHECKED_FIELDS:
        if key not in entry or entry[key] != rpm[key]:
            raise koji.GenericError(f"kojipkgs entry does not match db: file {bnp}, key {key}")
    builddir = rpm_build_dir(call.db, topdir, rpm)
    sigkey = entry.get("sigkey")
    rel = koji.pathinfo.signed(dict(rpm), sigkey) if sigkey else koji.pathinfo.rpm(dict(rpm))
    path = builddir / str(rel)
    if not path.is_file():
        raise koji.GenericError(f"rpm file missing: {path}")
    return path
