"""External repos: yum repos outside koji that a tag's repos merge in (`koji add-external-repo`).

The hub only keeps the list: a name and URL per repo, and per tag an ordered set of
(repo, priority, merge mode, arches). Build hosts read `getExternalRepoList` (the tag and its
ancestors, depth first, each tag's repos by priority, duplicates dropped) to merge the repodata
and, from the merged repo's pkgorigins, to report which buildroot rpms came from outside; those
become external rpm rows (`add_external_rpm`). devhub keeps current state only, so `event`
arguments are accepted and ignored, as everywhere in devhub.
"""

from __future__ import annotations

from typing import Any

import koji

from adjutant.devhub.db import Cursor, Row
from adjutant.devhub.lookup import by_id_or_name
from adjutant.devhub.rpc import API, Call
from adjutant.devhub.sessions import require_perm
from adjutant.devhub.tags import find_tag, tag_chain, touch_tag

_RPM_FIELDS: tuple[tuple[str, type | tuple[type, ...]], ...] = (
    ("name", str),
    ("version", str),
    ("release", str),
    ("epoch", (int, type(None))),
    ("arch", str),
    ("payloadhash", str),
    ("size", int),
    ("buildtime", int),
)


def find_external_repo(db: Cursor, info: Any, strict: bool = False) -> Row | None:
    """An external repo row by id, name or {id|name} dict."""
    return by_id_or_name(db, "external_repos", info, strict, "No such repo: {info}")


def _repo_info(row: Row) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "url": row["url"]}


def _normal_url(url: Any) -> str:
    if not isinstance(url, str) or not url.strip():
        raise koji.ParameterError(f"external repo url must be a non-empty string: {url!r}")
    return url if url.endswith("/") else url + "/"


def _check_merge_mode(mode: Any) -> str:
    if mode not in koji.REPO_MERGE_MODES:
        raise koji.GenericError(f"No such merge mode: {mode}")
    return str(mode)


@API.export("createExternalRepo")
def create_external_repo(call: Call, name: str, url: str) -> dict[str, Any]:
    require_perm(call, "admin")
    if not isinstance(name, str) or not name or any(c.isspace() or c == "/" for c in name):
        raise koji.GenericError(f"Invalid external repo name: {name!r}")
    if find_external_repo(call.db, name) is not None:
        raise koji.GenericError(f'An external repo named "{name}" already exists')
    url = _normal_url(url)
    repo_id = call.db.run("INSERT INTO external_repos (name, url) VALUES (?, ?)", (name, url))
    return {"id": repo_id, "name": name, "url": url}


@API.export("getExternalRepo")
def get_external_repo(call: Call, info: Any, strict: bool = False, event: Any = None) -> Any:
    row = find_external_repo(call.db, info, strict)
    return None if row is None else _repo_info(row)


@API.export("listExternalRepos")
def list_external_repos(
    call: Call, info: Any = None, url: Any = None, event: Any = None, queryOpts: Any = None
) -> list[dict[str, Any]]:
    rows = call.db.rows("SELECT * FROM external_repos ORDER BY id")
    if info is not None:
        wanted = find_external_repo(call.db, info)
        rows = [r for r in rows if wanted is not None and r["id"] == wanted["id"]]
    if url is not None:
        rows = [r for r in rows if r["url"] == url]
    return [_repo_info(r) for r in rows]


@API.export("editExternalRepo")
def edit_external_repo(call: Call, info: Any, name: Any = None, url: Any = None) -> None:
    require_perm(call, "admin")
    row = find_external_repo(call.db, info, strict=True)
    assert row is not None
    if name is not None and name != row["name"]:
        if find_external_repo(call.db, name) is not None:
            raise koji.GenericError(f"name {name} is already taken by external repo")
        call.db.run("UPDATE external_repos SET name = ? WHERE id = ?", (name, row["id"]))
    if url is not None:
        call.db.run("UPDATE external_repos SET url = ? WHERE id = ?", (_normal_url(url), row["id"]))
    _touch_tags_of(call.db, row["id"])


@API.export("deleteExternalRepo")
def delete_external_repo(call: Call, info: Any) -> None:
    require_perm(call, "admin")
    row = find_external_repo(call.db, info, strict=True)
    assert row is not None
    _touch_tags_of(call.db, row["id"])
    call.db.run("DELETE FROM tag_external_repos WHERE external_repo_id = ?", (row["id"],))
    call.db.run("DELETE FROM external_repos WHERE id = ?", (row["id"],))


def _touch_tags_of(db: Cursor, repo_id: int) -> None:
    """A changed external repo changes every tag that uses it (its repos go stale)."""
    for link in db.rows(
        "SELECT tag_id FROM tag_external_repos WHERE external_repo_id = ?", (repo_id,)
    ):
        touch_tag(db, link["tag_id"])


def tag_external_repos(
    db: Cursor, tag_id: int | None = None, repo_id: int | None = None
) -> list[dict[str, Any]]:
    """getTagExternalRepos' entries, by priority."""
    rows = db.rows(
        "SELECT l.*, r.name AS repo_name, r.url, t.name AS tag_name FROM tag_external_repos l "
        "JOIN external_repos r ON r.id = l.external_repo_id JOIN tags t ON t.id = l.tag_id "
        "WHERE (? IS NULL OR l.tag_id = ?) AND (? IS NULL OR l.external_repo_id = ?) "
        "ORDER BY l.priority, l.tag_id",
        (tag_id, tag_id, repo_id, repo_id),
    )
    return [
        {
            "external_repo_id": r["external_repo_id"],
            "external_repo_name": r["repo_name"],
            "priority": r["priority"],
            "tag_id": r["tag_id"],
            "tag_name": r["tag_name"],
            "url": r["url"],
            "merge_mode": r["merge_mode"],
            "arches": r["arches"],
        }
        for r in rows
    ]


def _tag_and_repo(db: Cursor, tag_info: Any, repo_info: Any) -> tuple[Row, Row]:
    tag = find_tag(db, tag_info, strict=True)
    repo = find_external_repo(db, repo_info, strict=True)
    assert tag is not None and repo is not None
    return tag, repo


def _tag_link(db: Cursor, tag: Row, repo: Row) -> dict[str, Any]:
    """The tag's link to the repo, as getTagExternalRepos has it.

    Raises:
        koji.GenericError: the repo is not linked to the tag.
    """
    links = tag_external_repos(db, tag_id=tag["id"], repo_id=repo["id"])
    if not links:
        raise koji.GenericError(
            f"external repo {repo['name']} not associated with tag {tag['name']}"
        )
    return links[0]


@API.export("addExternalRepoToTag")
def add_external_repo_to_tag(
    call: Call,
    tag_info: Any,
    repo_info: Any,
    priority: Any,
    merge_mode: Any = "koji",
    arches: Any = None,
) -> None:
    require_perm(call, "tag")
    tag, repo = _tag_and_repo(call.db, tag_info, repo_info)
    mode = _check_merge_mode("koji" if merge_mode is None else merge_mode)
    try:
        prio = int(priority)
    except (TypeError, ValueError):
        raise koji.ParameterError(f"Invalid priority: {priority!r}") from None
    if arches is not None:
        arches = koji.parse_arches(arches, strict=False)
    for link in tag_external_repos(call.db, tag_id=tag["id"]):
        if link["external_repo_id"] == repo["id"]:
            raise koji.GenericError(
                f"tag {tag['name']} already associated with external repo {repo['name']}"
            )
        if link["priority"] == prio:
            raise koji.GenericError(
                f"tag {tag['name']} already associated with an external repo at priority {prio}"
            )
    call.db.run(
        "INSERT INTO tag_external_repos (tag_id, external_repo_id, priority, "
        "merge_mode, arches) VALUES (?, ?, ?, ?, ?)",
        (tag["id"], repo["id"], prio, mode, arches),
    )
    touch_tag(call.db, tag["id"])


@API.export("removeExternalRepoFromTag")
def remove_external_repo_from_tag(call: Call, tag_info: Any, repo_info: Any) -> None:
    require_perm(call, "tag")
    tag, repo = _tag_and_repo(call.db, tag_info, repo_info)
    _tag_link(call.db, tag, repo)
    call.db.run(
        "DELETE FROM tag_external_repos WHERE tag_id = ? AND external_repo_id = ?",
        (tag["id"], repo["id"]),
    )
    touch_tag(call.db, tag["id"])


@API.export("editTagExternalRepo")
def edit_tag_external_repo(
    call: Call,
    tag_info: Any,
    repo_info: Any,
    priority: Any = None,
    merge_mode: Any = None,
    arches: Any = None,
) -> bool:
    require_perm(call, "tag")
    tag, repo = _tag_and_repo(call.db, tag_info, repo_info)
    current = _tag_link(call.db, tag, repo)
    wanted = {
        "priority": priority,
        "merge_mode": merge_mode,
        "arches": koji.parse_arches(arches, strict=True) if arches is not None else None,
    }
    changes = {k: v for k, v in wanted.items() if v is not None and v != current[k]}
    if not changes:
        return False
    merged = {k: changes.get(k, current[k]) for k in wanted}
    remove_external_repo_from_tag(call, tag["id"], repo["id"])
    add_external_repo_to_tag(call, tag["id"], repo["id"], **merged)
    return True


@API.export("getTagExternalRepos")
def get_tag_external_repos(
    call: Call, tag_info: Any = None, repo_info: Any = None, event: Any = None
) -> list[dict[str, Any]]:
    tag_id = repo_id = None
    if tag_info:
        tag = find_tag(call.db, tag_info, strict=True)
        assert tag is not None
        tag_id = tag["id"]
    if repo_info:
        repo = find_external_repo(call.db, repo_info, strict=True)
        assert repo is not None
        repo_id = repo["id"]
    return tag_external_repos(call.db, tag_id=tag_id, repo_id=repo_id)


def external_repo_list(db: Cursor, tag_id: int) -> list[dict[str, Any]]:
    """The tag's external repos and its ancestors', depth first, first occurrence kept."""
    seen: set[int] = set()
    out: list[dict[str, Any]] = []
    for current in tag_chain(db, tag_id):
        for link in tag_external_repos(db, tag_id=current):
            if link["external_repo_id"] not in seen:
                seen.add(link["external_repo_id"])
                out.append(link)
    return out


@API.export("getExternalRepoList")
def get_external_repo_list(call: Call, tag_info: Any, event: Any = None) -> list[Any]:
    tag = find_tag(call.db, tag_info, strict=True)
    assert tag is not None
    return external_repo_list(call.db, tag["id"])


def add_external_rpm(db: Cursor, rpminfo: dict[str, Any], location: Any) -> int:
    """The id of the external rpm row for a buildroot listing entry, made if new.

    Raises:
        koji.GenericError: a field is missing or mistyped, the repo is unknown, or the same
            NVRA from the same repo was seen before with another hash.
    """
    for field, allowed in _RPM_FIELDS:
        if field not in rpminfo:
            raise koji.GenericError(f"{field} field missing: {rpminfo!r}")
        value = rpminfo[field]
        if not isinstance(value, allowed) or isinstance(value, bool):
            raise koji.GenericError(f"Invalid value for {field}: {value!r}")
    repo = find_external_repo(db, location, strict=True)
    assert repo is not None
    key = tuple(rpminfo[k] for k in ("name", "version", "release", "arch"))
    previous = db.one(
        "SELECT * FROM rpms WHERE name = ? AND version = ? AND release = ? "
        "AND arch = ? AND external_repo_id = ?",
        (*key, repo["id"]),
    )
    if previous is not None:
        if previous["payloadhash"] != rpminfo["payloadhash"]:
            nvra = "{}-{}-{}.{}".format(*key)
            raise koji.GenericError(
                f"hash changed for external rpm: {nvra}@{repo['name']} "
                f"({previous['payloadhash']} -> {rpminfo['payloadhash']})"
            )
        return int(previous["id"])
    return db.run(
        "INSERT INTO rpms (build_id, name, version, release, epoch, arch, payloadhash, size, "
        "buildtime, buildroot_id, external_repo_id) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
        (
            *key[:3],
            rpminfo["epoch"],
            key[3],
            rpminfo["payloadhash"],
            rpminfo["size"],
            rpminfo["buildtime"],
            repo["id"],
        ),
    )
