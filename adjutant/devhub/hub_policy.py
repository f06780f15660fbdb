"""The real hub's default policies, the only ones devhub has.

build_rpm allows everyone; building from an SRPM, a repo id or an SCM URL is for admins;
package_list needs admin or tag; a policy the hub does not define allows (MissingPolicyOk).
The user a policy judges is `user_id` in its data (the task owner for host calls).
"""

from __future__ import annotations

from typing import Any

import koji

from adjutant.devhub.db import Cursor
from adjutant.devhub.hosts import require_host
from adjutant.devhub.rpc import API, Call
from adjutant.devhub.sessions import user_perms

_ADMIN_ONLY = "Only admin can do this via default policy"
_RULES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "build_rpm": ((), None),
    "build_from_srpm": (("admin",), _ADMIN_ONLY),
    "build_from_repo_id": (("admin",), _ADMIN_ONLY),
    "build_from_scm": (("admin",), _ADMIN_ONLY),
    "package_list": (("admin", "tag"), "Only admin/tag can do this via default policy"),
}


def evaluate(db: Cursor, name: str, data: dict[str, Any], user_id: int | None) -> str:
    """The policy's result text ("allow" or "deny <reason>")."""
    perms_needed, reason = _RULES.get(name, ((), None))
    if not perms_needed:
        return "allow"
    who = data.get("user_id", user_id)
    perms = set(user_perms(db, int(who))) if who is not None else set()
    if perms & set(perms_needed):
        return "allow"
    return f"deny {reason}"


def check(db: Cursor, name: str, data: dict[str, Any], user_id: int | None) -> None:
    """Raise ActionNotAllowed as the hub's assert_policy does when the policy denies."""
    result = evaluate(db, name, data, user_id)
    if result != "allow":
        reason = result.partition(" ")[2]
        raise koji.ActionNotAllowed(f"policy violation ({name}): {reason}")


@API.export("host.assertPolicy")
def host_assert_policy(call: Call, name: str, data: dict[str, Any], default: str = "deny") -> None:
    require_host(call)
    check(call.db, name, data, None)


@API.export("host.checkPolicy")
def host_check_policy(
    call: Call, name: str, data: dict[str, Any], default: str = "deny", strict: bool = False
) -> Any:
    require_host(call)
    result = evaluate(call.db, name, data, None)
    if strict and result != "allow":
        check(call.db, name, data, None)
    return [result == "allow", result.partition(" ")[2]]


@API.export("host.evalPolicy")
def host_eval_policy(call: Call, name: str, data: dict[str, Any]) -> str:
    require_host(call)
    return evaluate(call.db, name, data, None)


@API.export("evalPolicy")
def eval_policy(call: Call, name: str, data: dict[str, Any]) -> str:
    user_id = call.session.user_id if call.session is not None else None
    return evaluate(call.db, name, data, user_id)
