"""Tag groups (build, srpm-build, ...): what a buildroot installs, with inheritance."""

from __future__ import annotations

from typing import Any

import koji

from adjutant.devhub.db import Cursor
from adjutant.devhub.rpc import API, Call
from adjutant.devhub.sessions import require_perm
from adjutant.devhub.tags import find_tag, tag_chain, touch_tag

GROUP_TYPES = ("mandatory", "default", "optional", "conditional")


def add_group(db: Cursor, tag: Any, group: str, packages: list[str] | None = None) -> None:
    """Add a group (and mandatory packages) to a tag."""
    row = find_tag(db, tag, strict=True)
    assert row is not None
    db.run("INSERT OR IGNORE INTO tag_groups (tag_id, name) VALUES (?, ?)", (row["id"], group))
    for package in packages or []:
        db.run(
            "INSERT OR REPLACE INTO group_packages (tag_id, group_name, package, type) "
            "VALUES (?, ?, ?, 'mandatory')",
            (row["id"], group, package),
        )
    touch_tag(db, row["id"])


def tag_groups(db: Cursor, tag_id: int) -> list[dict[str, Any]]:
    """Groups of the tag with inheritance (nearest tag's definition of a group wins)."""
    groups: dict[str, dict[str, Any]] = {}
    for current in tag_chain(db, tag_id):
        for g in db.rows("SELECT * FROM tag_groups WHERE tag_id = ? ORDER BY name", (current,)):
            if g["name"] in groups:
                continue
            packages = db.rows(
                "SELECT * FROM group_packages WHERE tag_id = ? AND group_name = ? ORDER BY package",
                (current, g["name"]),
            )
            group_id = len(groups) + 1
            groups[g["name"]] = {
                "group_id": group_id,
                "name": g["name"],
                "display_name": g["name"],
                "description": None,
                "langonly": None,
                "biarchonly": False,
                "exported": True,
                "uservisible": True,
                "is_default": None,
                "tag_id": current,
                "blocked": False,
                "grouplist": [],
                "packagelist": [
                    {
                        "group_id": group_id,
                        "package": p["package"],
                        "type": p["type"],
                        "basearchonly": None,
                        "requires": None,
                        "tag_id": current,
                        "blocked": False,
                    }
                    for p in packages
                ],
            }
    return list(groups.values())


@API.export("getTagGroups")
def get_tag_groups(
    call: Call,
    tag: Any,
    event: Any = None,
    inherit: bool = True,
    incl_pkgs: bool = True,
    incl_reqs: bool = True,
    incl_blocked: bool = False,
) -> list[dict[str, Any]]:
    row = find_tag(call.db, tag, strict=True)
    assert row is not None
    return tag_groups(call.db, row["id"])


@API.export("groupListAdd")
def group_list_add(
    call: Call, taginfo: Any, grpinfo: str, block: bool = False, force: bool = False, **opts: Any
) -> None:
    require_perm(call, "tag")
    add_group(call.db, taginfo, grpinfo)


@API.export("groupPackageListAdd")
def group_package_list_add(
    call: Call,
    taginfo: Any,
    grpinfo: str,
    pkg_name: str,
    block: bool = False,
    force: bool = False,
    **opts: Any,
) -> None:
    require_perm(call, "tag")
    kind = opts.get("type", "mandatory")
    if kind not in GROUP_TYPES:
        raise koji.GenericError(f"Invalid group package type: {kind}")
    add_group(call.db, taginfo, grpinfo, [pkg_name])
