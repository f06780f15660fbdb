"""Tags, inheritance and build configs (targets, groups and package lists have their own
modules).

getBuildConfig applies inheritance as the real hub does: arches from the first ancestor that
has them, but only for a tag whose arches are NULL (the hub stores a tag created without
arches as an empty list, which inherits nothing), every missing `extra` key from the nearest
ancestor, links marked noconfig skipped,
and `config_inheritance` naming where each value came from. devhub keeps current state only,
so `event` arguments are accepted and ignored (documented in docs/devhub.md).
"""

from __future__ import annotations

import json
from typing import Any

import koji

from adjutant.devhub.db import Cursor, Row
from adjutant.devhub.lookup import by_id_or_name
from adjutant.devhub.rpc import API, Call
from adjutant.devhub.sessions import require_perm


def find_tag(db: Cursor, info: Any, strict: bool = False) -> Row | None:
    """A tag row by id, name or {id|name} dict."""
    return by_id_or_name(db, "tags", info, strict, "No such tagInfo: {info!r}")


def tag_info(row: Row) -> dict[str, Any]:
    """A tag as getTag returns it."""
    return {
        "id": row["id"],
        "name": row["name"],
        "perm_id": row["perm_id"],
        "perm": None,
        "arches": row["arches"],
        "locked": bool(row["locked"]),
        "maven_support": bool(row["maven_support"]),
        "maven_include_all": bool(row["maven_include_all"]),
        "extra": json.loads(row["extra"]),
    }


def create_tag(
    db: Cursor,
    name: str,
    arches: str | None = None,
    extra: dict[str, Any] | None = None,
    parents: list[str] | None = None,
) -> int:
    """Create a tag (optionally inheriting from `parents` in priority order)."""
    if not name or "/" in name or any(c.isspace() for c in name):
        raise koji.GenericError(f"Invalid tag name: {name!r}")
    if find_tag(db, name) is not None:
        raise koji.GenericError(f"A tag with the name {name!r} already exists")
    # The hub stores "" for a tag created without arches: it stays arch-less (no inheritance).
    arch_text = koji.parse_arches(arches, strict=True, allow_none=True)
    event = db.new_event()
    tag_id = db.run(
        "INSERT INTO tags (name, arches, extra, create_event, change_event) VALUES (?, ?, ?, ?, ?)",
        (name, arch_text, json.dumps(extra or {}), event, event),
    )
    for priority, parent in enumerate(parents or []):
        add_inheritance(db, tag_id, parent, priority * 10)
    return tag_id


def add_inheritance(
    db: Cursor,
    tag_id: int,
    parent: Any,
    priority: int,
    maxdepth: int | None = None,
    intransitive: bool = False,
    noconfig: bool = False,
) -> None:
    parent_row = find_tag(db, parent, strict=True)
    assert parent_row is not None
    if parent_row["id"] == tag_id:
        raise koji.GenericError("a tag cannot inherit from itself")
    db.run(
        "INSERT OR REPLACE INTO tag_inheritance (tag_id, parent_id, priority, maxdepth, "
        "intransitive, noconfig) VALUES (?, ?, ?, ?, ?, ?)",
        (tag_id, parent_row["id"], priority, maxdepth, int(intransitive), int(noconfig)),
    )
    touch_tag(db, tag_id)


def touch_tag(db: Cursor, tag_id: int) -> int:
    """Record a change to the tag's content or config; returns the event."""
    event = db.new_event()
    db.run("UPDATE tags SET change_event = ? WHERE id = ?", (event, tag_id))
    return event


def last_change_event(db: Cursor, tag_id: int) -> int:
    """The newest event that changed the tag or anything it inherits."""
    events = [
        db.value("SELECT COALESCE(change_event, create_event) FROM tags WHERE id = ?", (t,))
        for t in tag_chain(db, tag_id)
    ]
    return int(max(e for e in events if e is not None))


def full_inheritance(db: Cursor, tag_id: int) -> list[dict[str, Any]]:
    """Ancestors depth first in priority order, each once (readFullInheritance)."""
    out: list[dict[str, Any]] = []
    seen = {tag_id}

    def walk(child: int, depth: int, maxdepth: int | None) -> None:
        links = db.rows(
            "SELECT i.*, t.name FROM tag_inheritance i JOIN tags t ON t.id = i.parent_id "
            "WHERE i.tag_id = ? ORDER BY i.priority",
            (child,),
        )
        for link in links:
            if link["parent_id"] in seen:
                continue
            if depth > 1 and link["intransitive"]:
                continue
            seen.add(link["parent_id"])
            limit = link["maxdepth"] if link["maxdepth"] is not None else maxdepth
            if maxdepth is not None:
                limit = min(limit, maxdepth) if limit is not None else maxdepth
            out.append(
                {
                    "parent_id": link["parent_id"],
                    "name": link["name"],
                    "child_id": child,
                    "priority": link["priority"],
                    "maxdepth": link["maxdepth"],
                    "intransitive": bool(link["intransitive"]),
                    "noconfig": bool(link["noconfig"]),
                    "pkg_filter": link["pkg_filter"] or "",
                    "currdepth": depth,
                    "nextdepth": None if limit is None else limit - 1,
                    "filter": [],
                }
            )
            if limit is None or limit > 1:
                walk(link["parent_id"], depth + 1, None if limit is None else limit - 1)

    walk(tag_id, 1, None)
    return out


def tag_chain(db: Cursor, tag_id: int) -> list[int]:
    """The tag followed by its ancestors, nearest first (for inherited content)."""
    return [tag_id] + [link["parent_id"] for link in full_inheritance(db, tag_id)]


def build_config(db: Cursor, tag: Any) -> dict[str, Any]:
    """getBuildConfig's result: the tag with inherited arches and extra."""
    row = find_tag(db, tag, strict=True)
    assert row is not None
    info = tag_info(row)
    origin: dict[str, Any] = {"arches": None, "extra": {}}
    for link in full_inheritance(db, row["id"]):
        if link["noconfig"]:
            continue
        parent = find_tag(db, link["parent_id"], strict=True)
        assert parent is not None
        if info["arches"] is None and parent["arches"] is not None:
            info["arches"] = parent["arches"]
            origin["arches"] = {"id": parent["id"], "name": parent["name"]}
        for key, value in json.loads(parent["extra"]).items():
            if key not in info["extra"]:
                info["extra"][key] = value
                origin["extra"][key] = {"id": parent["id"], "name": parent["name"]}
    info["config_inheritance"] = origin
    return info


@API.export("getTag")
def get_tag(
    call: Call, tagInfo: Any, strict: bool = False, event: Any = None, blocked: bool = False
) -> Any:
    row = find_tag(call.db, tagInfo, strict)
    return tag_info(row) if row is not None else None


def _build_id(db: Cursor, build: Any) -> int:
    if isinstance(build, int):
        return build
    nvr = koji.parse_NVR(str(build))
    build_id = db.value(
        "SELECT b.id FROM builds b JOIN packages p ON p.id = b.pkg_id "
        "WHERE p.name = ? AND b.version = ? AND b.release = ?",
        (nvr["name"], nvr["version"], nvr["release"]),
    )
    if build_id is None:
        raise koji.GenericError(f"No such build: {build}")
    return int(build_id)


@API.export("getTagID")
def get_tag_id(call: Call, info: Any, strict: bool = False, create: bool = False) -> Any:
    # The hub's create=True inserts a bare name row with no tag config; devhub has no such
    # half-made tags (createTag makes whole ones), so it refuses instead.
    if create:
        raise koji.GenericError("devhub: getTagID(create=True) is not supported; use createTag")
    row = find_tag(call.db, info, strict)
    return row["id"] if row is not None else None


@API.export("listTags")
def list_tags(
    call: Call,
    build: Any = None,
    package: Any = None,
    perms: bool = True,
    queryOpts: Any = None,
    pattern: str | None = None,
) -> list[dict[str, Any]]:
    rows = call.db.rows("SELECT * FROM tags ORDER BY name")
    if build is not None:
        ids = {
            r["tag_id"]
            for r in call.db.rows(
                "SELECT tag_id FROM tag_listing WHERE build_id = ? AND revoke_event IS NULL",
                (_build_id(call.db, build),),
            )
        }
        rows = [r for r in rows if r["id"] in ids]
    if package is not None:
        column = "p.id" if isinstance(package, int) else "p.name"
        ids = {
            r["tag_id"]
            for r in call.db.rows(
                f"SELECT tp.tag_id FROM tag_packages tp JOIN packages p ON p.id = tp.package_id "
                f"WHERE {column} = ?",
                (package,),
            )
        }
        if (
            not ids
            and call.db.one(f"SELECT 1 FROM packages p WHERE {column} = ?", (package,)) is None
        ):
            raise koji.GenericError(f"No such package: {package}")
        rows = [r for r in rows if r["id"] in ids]
    return [tag_info(r) for r in rows]


@API.export("createTag")
def create_tag_call(
    call: Call,
    name: str,
    parent: Any = None,
    arches: str | None = None,
    perm: Any = None,
    locked: bool = False,
    maven_support: bool = False,
    maven_include_all: bool = False,
    extra: Any = None,
) -> int:
    require_perm(call, "tag")
    return create_tag(call.db, name, arches, extra, [parent] if parent else None)


@API.export("editTag2")
def edit_tag2(call: Call, tagInfo: Any, **kwargs: Any) -> None:
    require_perm(call, "tag")
    row = find_tag(call.db, tagInfo, strict=True)
    assert row is not None
    extra = json.loads(row["extra"])
    extra.update(kwargs.pop("extra", None) or {})
    for key in kwargs.pop("remove_extra", None) or []:
        extra.pop(key, None)
    call.db.run("UPDATE tags SET extra = ? WHERE id = ?", (json.dumps(extra), row["id"]))
    if "arches" in kwargs:
        arches = koji.parse_arches(kwargs.pop("arches"), strict=True, allow_none=True)
        call.db.run("UPDATE tags SET arches = ? WHERE id = ?", (arches, row["id"]))
    if "locked" in kwargs:
        call.db.run(
            "UPDATE tags SET locked = ? WHERE id = ?", (int(bool(kwargs.pop("locked"))), row["id"])
        )
    if "name" in kwargs:
        call.db.run("UPDATE tags SET name = ? WHERE id = ?", (kwargs.pop("name"), row["id"]))
    touch_tag(call.db, row["id"])


@API.export("getBuildConfig")
def get_build_config(call: Call, tag: Any, event: Any = None) -> dict[str, Any]:
    return build_config(call.db, tag)


@API.export("getFullInheritance")
def get_full_inheritance(
    call: Call, tag: Any, event: Any = None, reverse: bool = False, **kw: Any
) -> list[dict[str, Any]]:
    row = find_tag(call.db, tag, strict=True)
    assert row is not None
    return full_inheritance(call.db, row["id"])


@API.export("getInheritanceData")
def get_inheritance_data(call: Call, tag: Any, event: Any = None) -> list[dict[str, Any]]:
    row = find_tag(call.db, tag, strict=True)
    assert row is not None
    return [link for link in full_inheritance(call.db, row["id"]) if link["currdepth"] == 1]


@API.export("setInheritanceData")
def set_inheritance_data(
    call: Call, tag: Any, data: list[dict[str, Any]], clear: bool = False
) -> None:
    require_perm(call, "tag")
    row = find_tag(call.db, tag, strict=True)
    assert row is not None
    if clear:
        call.db.run("DELETE FROM tag_inheritance WHERE tag_id = ?", (row["id"],))
    for link in data:
        if link.get("delete link"):
            call.db.run(
                "DELETE FROM tag_inheritance WHERE tag_id = ? AND parent_id = ?",
                (row["id"], link["parent_id"]),
            )
            continue
        add_inheritance(
            call.db,
            row["id"],
            link["parent_id"],
            int(link.get("priority", 0)),
            link.get("maxdepth"),
            bool(link.get("intransitive")),
            bool(link.get("noconfig")),
        )
