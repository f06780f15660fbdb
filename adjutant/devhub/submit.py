"""Calls that start work: build and chain-build tasks, and tagging (the user's request and
the build host's tagBuild that performs it).
"""

from __future__ import annotations

from typing import Any

import koji

from adjutant.devhub import hub_policy
from adjutant.devhub.builds import BS, build_info, find_build, tag_build
from adjutant.devhub.host_tasks import assert_task_host
from adjutant.devhub.hosts import require_host
from adjutant.devhub.package_lists import add_package, package_listed
from adjutant.devhub.rpc import API, Call
from adjutant.devhub.sessions import Session, has_perm, require_login
from adjutant.devhub.tags import find_tag
from adjutant.devhub.targets import find_target
from adjutant.devhub.tasks import make_task, task_row


def _task_opts(call: Call, priority: int | None, channel: str | None) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if priority:
        if priority < 0 and not has_perm(call, "admin"):
            raise koji.ActionNotAllowed("only admins may create high-priority tasks")
        opts["priority"] = koji.PRIO_DEFAULT + priority
    if channel:
        opts["channel"] = channel
    return opts


@API.export("build")
def build(
    call: Call,
    src: str,
    target: str,
    opts: dict[str, Any] | None = None,
    priority: int | None = None,
    channel: str | None = None,
) -> int:
    """Create a `build` task for an uploaded SRPM path or an SCM URL."""
    session = require_login(call)
    if not isinstance(src, str) or not src:
        raise koji.ParameterError(f"Invalid build source: {src!r}")
    opts = dict(opts or {})
    if target is not None:
        find_target(call.db, target, strict=True)
    return make_task(
        call.db,
        "build",
        [src, target, opts],
        owner=session.user_id,
        **_task_opts(call, priority, channel),
    )


@API.export("chainBuild")
def chain_build(
    call: Call,
    srcs: list[list[str]],
    target: str,
    opts: dict[str, Any] | None = None,
    priority: int | None = None,
    channel: str | None = None,
) -> int:
    session = require_login(call)
    if not isinstance(srcs, list):
        raise koji.ParameterError("srcs must be a list of lists")
    find_target(call.db, target, strict=True)
    return make_task(
        call.db,
        "chainbuild",
        [srcs, target, opts or {}],
        owner=session.user_id,
        **_task_opts(call, priority, channel),
    )


def _check_package_listed(
    call: Call, tag: dict[str, Any], build: dict[str, Any], force: bool, session: Session | None
) -> None:
    entry = package_listed(call.db, tag["id"], build["pkg_id"])
    problem = None
    if entry is None:
        problem = f"Package {build['name']} not in list for {tag['name']}"
    elif entry["blocked"]:
        problem = f"Package {build['name']} blocked in {tag['name']}"
    if problem is None:
        return
    if force and has_perm(call, "admin"):
        add_package(call.db, tag["id"], build["name"], session.user_id if session else 1)
        return
    raise koji.TagError(problem)


@API.export("tagBuild")
def tag_build_call(
    call: Call, tag: Any, build: Any, force: bool = False, fromtag: Any = None
) -> int:
    """Ask for a build to be tagged: checks, then a tagBuild task a build host runs."""
    session = require_login(call)
    build_row = find_build(call.db, build, strict=True)
    tag_row = find_tag(call.db, tag, strict=True)
    assert build_row is not None and tag_row is not None
    if build_row["state"] != BS["COMPLETE"]:
        raise koji.TagError(
            f"build {build_info(call.db, build_row)['nvr']} not complete: "
            f"state {BS[build_row['state']]}"
        )
    fromtag_id = None
    if fromtag:
        from_row = find_tag(call.db, fromtag, strict=True)
        assert from_row is not None
        fromtag_id = from_row["id"]
    _check_package_listed(call, tag_row, build_row, force, session)
    return make_task(
        call.db,
        "tagBuild",
        [tag_row["id"], build_row["id"], force, fromtag_id],
        owner=session.user_id,
        priority=10,
    )


@API.export("host.tagBuild")
def host_tag_build(
    call: Call, task_id: int, tag: Any, build: Any, force: bool = False, fromtag: Any = None
) -> None:
    """Tag (or move) the build as the task's owner."""
    host = require_host(call)
    assert_task_host(call.db, task_id, host["id"])
    task = task_row(call.db, task_id)
    build_row = find_build(call.db, build, strict=True)
    tag_row = find_tag(call.db, tag, strict=True)
    assert task is not None and build_row is not None and tag_row is not None
    hub_policy.check(
        call.db,
        "tag",
        {"tag": tag_row["id"], "build": build_row["id"], "user_id": task["owner"]},
        task["owner"],
    )
    _check_package_listed(call, tag_row, build_row, force, call.session)
    if fromtag:
        from_row = find_tag(call.db, fromtag, strict=True)
        assert from_row is not None
        call.db.run(
            "UPDATE tag_listing SET revoke_event = ? WHERE tag_id = ? AND build_id = ? "
            "AND revoke_event IS NULL",
            (call.db.new_event(), from_row["id"], build_row["id"]),
        )
    tag_build(call.db, tag_row["id"], build_row["id"])
