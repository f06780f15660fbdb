"""Build and tag notifications: who is subscribed, and the notification tasks for hosts.

As on the real hub, a finished build (completeBuild, failBuild) and a tag operation
(host.tagNotification) make a ``buildNotification`` / ``tagNotification`` task when anyone
should hear of it; a build host sends the mail. devhub's recipients are the subscriptions
made with ``createNotification`` only: it does not add the build's owner (the real hub's
NotifyOnSuccess), so a test site sends no mail unless a test subscribes.
"""

from __future__ import annotations

from typing import Any

import koji

from adjutant.devhub.builds import build_info, find_build
from adjutant.devhub.db import Cursor
from adjutant.devhub.hosts import require_host
from adjutant.devhub.package_lists import find_package
from adjutant.devhub.rpc import API, Call, HubConfig
from adjutant.devhub.sessions import get_user, has_perm
from adjutant.devhub.tags import find_tag
from adjutant.devhub.targets import find_target
from adjutant.devhub.tasks import decode_request, make_task


def recipients(db: Cursor, build: dict[str, Any], tag_id: int | None) -> list[str]:
    """Subscribed addresses for the build's package and the tag (NULL matches any)."""
    rows = db.rows(
        "SELECT n.email, n.success_only FROM build_notifications n JOIN users u "
        "ON u.id = n.user_id WHERE u.status = ? AND u.usertype IN (?, ?) "
        "AND (n.package_id = ? OR n.package_id IS NULL) "
        "AND (n.tag_id IS NULL OR n.tag_id = ?)",
        (
            koji.USER_STATUS["NORMAL"],
            koji.USERTYPES["NORMAL"],
            koji.USERTYPES["GROUP"],
            build["package_id"],
            tag_id,
        ),
    )
    complete = build["state"] == koji.BUILD_STATES["COMPLETE"]
    return sorted({r["email"] for r in rows if complete or not r["success_only"]})


def notify_build(db: Cursor, config: HubConfig, task_id: int, build_id: int) -> int | None:
    """Make the buildNotification task for a finished build (if anyone is subscribed)."""
    row = find_build(db, build_id, strict=True)
    assert row is not None
    build = build_info(db, row)
    request = db.value("SELECT request FROM tasks WHERE id = ?", (task_id,))
    target = None
    if request:
        params = decode_request(request)
        if len(params) > 1 and isinstance(params[1], str):
            target = find_target(db, params[1])
    to = recipients(db, build, target["dest_tag"] if target else None)
    if not to:
        return None
    return make_task(
        db, "buildNotification", [to, build, target, config.web_url], owner=build["owner_id"]
    )


@API.export("host.tagNotification")
def host_tag_notification(
    call: Call,
    is_successful: bool,
    tag_id: Any,
    from_id: Any,
    build_id: Any,
    user_id: Any,
    ignore_success: bool = False,
    failure_msg: str = "",
) -> int | None:
    """The tagNotification task for a tag operation, if anyone should hear of it."""
    require_host(call)
    row = find_build(call.db, build_id, strict=True)
    assert row is not None
    build = build_info(call.db, row)
    to: set[str] = set()
    for tag in (tag_id, from_id):
        if tag is not None:
            found = find_tag(call.db, tag, strict=True)
            assert found is not None
            to.update(recipients(call.db, build, found["id"]))
    if not to or (is_successful and ignore_success):
        return None
    owner = get_user(call.db, user_id)
    return make_task(
        call.db,
        "tagNotification",
        [
            sorted(to),
            is_successful,
            tag_id,
            from_id,
            build_id,
            user_id,
            ignore_success,
            failure_msg,
        ],
        owner=owner["id"] if owner else build["owner_id"],
    )


@API.export("createNotification")
def create_notification(
    call: Call, user_id: Any, package_id: Any, tag_id: Any, success_only: bool
) -> int:
    """Subscribe a user (by name or id) to builds of a package and/or tag (None: any)."""
    session = call.session
    if session is None:
        raise koji.GenericError("Not logged-in")
    user = get_user(call.db, user_id)
    if user is None:
        raise koji.GenericError(f"No such user ID: {user_id}")
    if user["id"] != session.user_id and not has_perm(call, "admin"):
        raise koji.GenericError(
            f"user {session.user_name} cannot create notifications for user {user['name']}"
        )
    pkg = find_package(call.db, package_id, strict=True) if package_id is not None else None
    tag = find_tag(call.db, tag_id, strict=True) if tag_id is not None else None
    return call.db.run(
        "INSERT INTO build_notifications (user_id, package_id, tag_id, success_only, email) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            user["id"],
            pkg["id"] if pkg else None,
            tag["id"] if tag else None,
            int(bool(success_only)),
            f"{user['name']}@{call.config.email_domain}",
        ),
    )
