"""Build targets: a build tag to build in and a destination tag to tag into."""

from __future__ import annotations

from typing import Any

import koji

from adjutant.devhub.db import Cursor, Row
from adjutant.devhub.rpc import API, Call
from adjutant.devhub.sessions import require_perm
from adjutant.devhub.tags import find_tag


def target_info(db: Cursor, row: Row) -> dict[str, Any]:
    build_tag = find_tag(db, row["build_tag"], strict=True)
    dest_tag = find_tag(db, row["dest_tag"], strict=True)
    assert build_tag is not None and dest_tag is not None
    return {
        "id": row["id"],
        "name": row["name"],
        "build_tag": build_tag["id"],
        "build_tag_name": build_tag["name"],
        "dest_tag": dest_tag["id"],
        "dest_tag_name": dest_tag["name"],
    }


def find_target(db: Cursor, info: Any, strict: bool = False) -> dict[str, Any] | None:
    if isinstance(info, int):
        row = db.one("SELECT * FROM targets WHERE id = ?", (info,))
    else:
        row = db.one("SELECT * FROM targets WHERE name = ?", (str(info),))
    if row is None:
        if strict:
            raise koji.GenericError(f"No such build target: {info}")
        return None
    return target_info(db, row)


def create_target(db: Cursor, name: str, build_tag: Any, dest_tag: Any) -> int:
    if db.one("SELECT 1 FROM targets WHERE name = ?", (name,)):
        raise koji.GenericError(f"A build target with the name '{name}' already exists")
    b = find_tag(db, build_tag, strict=True)
    d = find_tag(db, dest_tag, strict=True)
    assert b is not None and d is not None
    return db.run(
        "INSERT INTO targets (name, build_tag, dest_tag) VALUES (?, ?, ?)", (name, b["id"], d["id"])
    )


@API.export("createBuildTarget")
def create_build_target(call: Call, name: str, build_tag: Any, dest_tag: Any) -> None:
    require_perm(call, "target")
    create_target(call.db, name, build_tag, dest_tag)


@API.export("getBuildTarget")
def get_build_target(call: Call, info: Any, event: Any = None, strict: bool = False) -> Any:
    return find_target(call.db, info, strict)


@API.export("getBuildTargets")
def get_build_targets(
    call: Call,
    info: Any = None,
    event: Any = None,
    buildTagID: Any = None,
    destTagID: Any = None,
    queryOpts: Any = None,
) -> list[dict[str, Any]]:
    targets = [target_info(call.db, r) for r in call.db.rows("SELECT * FROM targets ORDER BY name")]
    if info is not None:
        targets = [t for t in targets if info in (t["id"], t["name"])]
    if buildTagID is not None:
        targets = [t for t in targets if buildTagID in (t["build_tag"], t["build_tag_name"])]
    if destTagID is not None:
        targets = [t for t in targets if destTagID in (t["dest_tag"], t["dest_tag_name"])]
    return targets
