"""Packages and tag package lists (owner, blocked, extra arches), with inheritance."""

from __future__ import annotations

from typing import Any

from adjutant.devhub.db import Cursor, Row
from adjutant.devhub.lookup import by_id_or_name
from adjutant.devhub.rpc import API, Call
from adjutant.devhub.sessions import get_user, require_perm
from adjutant.devhub.tags import find_tag, tag_chain, touch_tag


def find_package(db: Cursor, info: Any, strict: bool = False) -> Row | None:
    """A package row by id or name."""
    return by_id_or_name(db, "packages", info, strict, "No such package: {info}")


def ensure_package(db: Cursor, name: str) -> int:
    row = find_package(db, name)
    if row is not None:
        return int(row["id"])
    return db.run("INSERT INTO packages (name) VALUES (?)", (name,))


def add_package(db: Cursor, tag: Any, name: str, owner: int, block: bool = False) -> None:
    row = find_tag(db, tag, strict=True)
    assert row is not None
    db.run(
        "INSERT OR REPLACE INTO tag_packages (tag_id, package_id, owner, blocked) "
        "VALUES (?, ?, ?, ?)",
        (row["id"], ensure_package(db, name), owner, int(block)),
    )
    touch_tag(db, row["id"])


def package_listed(db: Cursor, tag_id: int, package_id: int) -> Row | None:
    """The nearest package-list entry for the package on the tag or an ancestor."""
    for current in tag_chain(db, tag_id):
        entry = db.one(
            "SELECT * FROM tag_packages WHERE tag_id = ? AND package_id = ?", (current, package_id)
        )
        if entry is not None:
            return entry
    return None


def package_blocklist(db: Cursor, tag_id: int) -> list[str]:
    """Names of packages blocked on the tag (nearest entry wins)."""
    names: dict[str, bool] = {}
    for current in tag_chain(db, tag_id):
        for r in db.rows(
            "SELECT p.name, tp.blocked FROM tag_packages tp JOIN packages p "
            "ON p.id = tp.package_id WHERE tp.tag_id = ?",
            (current,),
        ):
            names.setdefault(r["name"], bool(r["blocked"]))
    return sorted(name for name, blocked in names.items() if blocked)


@API.export("packageListAdd")
def package_list_add(
    call: Call,
    taginfo: Any,
    pkginfo: str,
    owner: Any = None,
    block: bool | None = None,
    extra_arches: Any = None,
    force: bool = False,
    update: bool = False,
) -> None:
    session = require_perm(call, "tag")
    user = get_user(call.db, owner) if owner is not None else None
    add_package(call.db, taginfo, pkginfo, user["id"] if user else session.user_id, bool(block))


@API.export("getPackageConfig")
def get_package_config(call: Call, tag: Any, pkg: Any, event: Any = None) -> Any:
    """The package's nearest list entry on the tag (with inheritance), or None."""
    tag_row = find_tag(call.db, tag)
    pkg_row = find_package(call.db, pkg)
    if tag_row is None or pkg_row is None:
        return None
    entry = package_listed(call.db, tag_row["id"], pkg_row["id"])
    if entry is None:
        return None
    owner = get_user(call.db, entry["owner"])
    return {
        "package_id": pkg_row["id"],
        "package_name": pkg_row["name"],
        "tag_id": entry["tag_id"],
        "owner_id": entry["owner"],
        "owner_name": owner["name"] if owner else None,
        "blocked": bool(entry["blocked"]),
        "extra_arches": entry["extra_arches"] or "",
    }


@API.export("getPackage")
def get_package(call: Call, info: Any, strict: bool = False, create: bool = False) -> Any:
    row = find_package(call.db, info, strict and not create)
    if row is None and create:  # the hub asks no permission for this
        row = find_package(call.db, ensure_package(call.db, str(info)))
    return {"id": row["id"], "name": row["name"]} if row is not None else None


@API.export("getPackageID")
def get_package_id(call: Call, name: str, strict: bool = False) -> Any:
    row = find_package(call.db, name, strict)
    return row["id"] if row is not None else None


@API.export("listPackages")
def list_packages(
    call: Call,
    tagID: Any = None,
    userID: Any = None,
    pkgID: Any = None,
    prefix: str | None = None,
    inherited: bool = False,
    with_dups: bool = False,
    event: Any = None,
    queryOpts: Any = None,
    with_owners: bool = True,
    with_blocked: bool = True,
) -> list[dict[str, Any]]:
    if tagID is None:
        rows = call.db.rows("SELECT id AS package_id, name AS package_name FROM packages")
        return rows
    tag = find_tag(call.db, tagID, strict=True)
    assert tag is not None
    out: dict[str, dict[str, Any]] = {}
    for current in tag_chain(call.db, tag["id"]) if inherited else [tag["id"]]:
        for r in call.db.rows(
            "SELECT tp.*, p.name, t.name AS tag_name FROM tag_packages tp "
            "JOIN packages p ON p.id = tp.package_id JOIN tags t ON t.id = tp.tag_id "
            "WHERE tp.tag_id = ?",
            (current,),
        ):
            if r["name"] in out:
                continue
            owner = get_user(call.db, r["owner"])
            out[r["name"]] = {
                "package_id": r["package_id"],
                "package_name": r["name"],
                "tag_id": r["tag_id"],
                "tag_name": r["tag_name"],
                "owner_id": r["owner"],
                "owner_name": owner["name"] if owner else None,
                "blocked": bool(r["blocked"]),
                "extra_arches": r["extra_arches"] or "",
            }
    rows = [v for v in out.values() if with_blocked or not v["blocked"]]
    if prefix:
        rows = [v for v in rows if v["package_name"].startswith(prefix)]
    return sorted(rows, key=lambda v: v["package_name"])
