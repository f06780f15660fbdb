"""Users, permissions and login sessions, following koji's hub auth protocol.

Owns the session headers (Koji-Session-Id/Key/Callnum), call-number sequencing, exclusive
sessions, subsessions and SSL-certificate login by the certificate's CN. Password and
Kerberos logins are not offered: devhub authenticates by client certificate only.
"""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import koji

from adjutant.devhub import clock
from adjutant.devhub.db import Cursor, Row
from adjutant.devhub.rpc import API, Call

# Methods that may repeat a call number (the real hub's RetryWhitelist).
RETRYABLE = frozenset(
    {
        "host.taskWait",
        "host.taskUnwait",
        "host.taskSetWait",
        "host.updateHost",
        "host.setBuildRootState",
        "repoExpire",
        "repoDelete",
        "repoProblem",
    }
)
AUTH_METHODS = frozenset({"login", "sslLogin"})


@dataclass
class Session:
    """The logged-in caller of one request."""

    id: int
    user_id: int
    user_name: str
    usertype: int
    authtype: int
    master: int | None
    exclusive: bool
    lockerror: str | None
    callnum: int | None
    start_time: float


def get_user(db: Cursor, info: int | str | Mapping[str, Any] | None) -> Row | None:
    """Find a user by id or name."""
    if isinstance(info, Mapping):
        info = info.get("id") or info.get("name")
    if isinstance(info, int):
        return db.one("SELECT * FROM users WHERE id = ?", (info,))
    if isinstance(info, str):
        return db.one("SELECT * FROM users WHERE name = ?", (info,))
    return None


def create_user(db: Cursor, name: str, usertype: int = koji.USERTYPES["NORMAL"]) -> int:
    """Create a user; raises GenericError if the name is taken."""
    if get_user(db, name) is not None:
        raise koji.GenericError(f"user already exists: {name}")
    return db.run("INSERT INTO users (name, usertype) VALUES (?, ?)", (name, usertype))


def add_krb_principal(db: Cursor, user_id: int, principal: str) -> None:
    """Record ``principal`` as one of the user's Kerberos principals (unique across users)."""
    owner = db.one("SELECT user_id FROM user_krb_principals WHERE principal = ?", (principal,))
    if owner is not None and owner["user_id"] != user_id:
        raise koji.GenericError(f"krb_principal {principal} is already in use")
    db.run(
        "INSERT OR IGNORE INTO user_krb_principals (user_id, principal) VALUES (?, ?)",
        (user_id, principal),
    )


def krb_principals(db: Cursor, user_id: int) -> list[str]:
    rows = db.rows(
        "SELECT principal FROM user_krb_principals WHERE user_id = ? ORDER BY principal", (user_id,)
    )
    return [row["principal"] for row in rows]


def user_by_principal(db: Cursor, principal: str) -> Row | None:
    row = db.one("SELECT user_id FROM user_krb_principals WHERE principal = ?", (principal,))
    return None if row is None else get_user(db, row["user_id"])


def grant_perm(db: Cursor, user_id: int, perm: str) -> None:
    """Give a user a permission (idempotent)."""
    db.run("INSERT OR IGNORE INTO user_perms (user_id, perm) VALUES (?, ?)", (user_id, perm))


def user_perms(db: Cursor, user_id: int) -> list[str]:
    """The permission names of a user."""
    return [r["perm"] for r in db.rows("SELECT perm FROM user_perms WHERE user_id = ?", (user_id,))]


def load_session(db: Cursor, headers: Mapping[str, str], method: str) -> Session | None:
    """Validate the session headers of a request; None when the request carries none.

    Raises:
        koji.AuthError: unknown session or bad key; koji.SequenceError / koji.RetryError
        for call numbers that go backwards or repeat, as the real hub does.
    """
    sid = headers.get("Koji-Session-Id")
    if sid is None:
        return None
    try:
        session_id = int(sid)
    except ValueError:
        raise koji.AuthError(f"Invalid session id: {sid!r}") from None
    key = headers.get("Koji-Session-Key", "")
    row = db.one(
        "SELECT * FROM sessions WHERE id = ? AND key = ? AND closed = 0", (session_id, key)
    )
    if row is None:
        raise koji.AuthError("Invalid session or bad credentials")
    if row["expired"] and method not in AUTH_METHODS:
        raise koji.AuthExpired(f'session "{session_id}" has expired')
    callnum: int | None = None
    raw_callnum = headers.get("Koji-Session-Callnum")
    if raw_callnum is not None:
        try:
            callnum = int(raw_callnum)
        except ValueError:
            raise koji.AuthError(f"Invalid callnum: {raw_callnum!r}") from None
        last = row["callnum"]
        if last is not None and last > callnum:
            raise koji.SequenceError(f"{last} > {callnum} (session {session_id})")
        if last is not None and last == callnum and method not in RETRYABLE:
            raise koji.RetryError(
                f"unable to retry call {callnum} (method {method}) for session {session_id}"
            )
    if row["expired"]:
        return None
    user = get_user(db, row["user_id"])
    assert user is not None
    if user["status"] != koji.USER_STATUS["NORMAL"]:
        raise koji.AuthError(f"logins by {user['name']} are not allowed")
    exclusive = bool(row["exclusive"])
    lockerror = None
    if not exclusive:
        excl_id = db.value(
            "SELECT id FROM sessions WHERE user_id = ? AND exclusive = 1 AND closed = 0",
            (row["user_id"],),
        )
        if excl_id is not None:
            if excl_id == row["master"]:
                exclusive = True
            else:
                lockerror = "User locked by another session"
    db.run("UPDATE sessions SET update_time = ? WHERE id = ?", (time.time(), session_id))
    return Session(
        id=session_id,
        user_id=row["user_id"],
        user_name=user["name"],
        usertype=user["usertype"],
        authtype=row["authtype"],
        master=row["master"],
        exclusive=exclusive,
        lockerror=lockerror,
        callnum=callnum,
        start_time=row["start_time"],
    )


def record_callnum(db: Cursor, session: Session | None) -> None:
    """Store the call number of a call that changed data.

    The real hub commits the call number only together with a call's other writes, so a
    read-only call may be retried with the same number while a write may not.
    """
    if session is not None and session.callnum is not None:
        db.run("UPDATE sessions SET callnum = ? WHERE id = ?", (session.callnum, session.id))


def create_session(
    db: Cursor, user_id: int, authtype: int, master: int | None = None
) -> dict[str, Any]:
    """Open a session and return the sinfo dict the koji client expects."""
    alnum = string.ascii_letters + string.digits
    key = f"{user_id}-" + "".join(secrets.choice(alnum) for _ in range(19))
    session_id = db.run(
        "INSERT INTO sessions (user_id, key, authtype, master, start_time, update_time) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (user_id, key, authtype, master, time.time(), time.time()),
    )
    return {"session-id": session_id, "session-key": key, "header-auth": True}


def require_login(call: Call) -> Session:
    """The caller's session.

    Raises:
        koji.ActionNotAllowed: not logged in (the real hub's assertLogin).
    """
    if call.session is None:
        raise koji.ActionNotAllowed("you must be logged in for this operation")
    session: Session = call.session
    return session


def has_perm(call: Call, perm: str) -> bool:
    """Whether the caller holds `perm` (admin holds every permission)."""
    if call.session is None:
        return False
    perms = user_perms(call.db, call.session.user_id)
    return "admin" in perms or perm in perms


def require_perm(call: Call, perm: str) -> Session:
    """The caller's session, checked for a permission.

    Raises:
        koji.ActionNotAllowed: the caller lacks the permission.
    """
    session = require_login(call)
    if not has_perm(call, perm):
        raise koji.ActionNotAllowed(f"{perm} permission required")
    return session


@API.export("sslLogin")
def ssl_login(
    call: Call,
    proxyuser: str | None = None,
    proxyauthtype: int | None = None,
    renew: bool = False,
    exclusive: bool | None = None,
) -> dict[str, Any]:
    """Log in as the user of the Kerberos principal (HTTP Negotiate) or certificate CN."""
    if call.session is not None and not renew:
        raise koji.AuthError("Already logged in")
    if call.gss_principal is not None:
        return _gssapi_login(call, call.gss_principal, proxyuser, exclusive)
    if call.peer_cn is None:
        raise koji.AuthError("could not verify client: NONE")
    if proxyuser:
        raise koji.AuthError(f"CN={call.peer_cn} is not authorized to login other users")
    user = get_user(call.db, call.peer_cn)
    if user is None:
        raise koji.AuthError(f"Unknown user: {call.peer_cn}")
    return _login_session(call, user, koji.AUTHTYPES["SSL"], exclusive)


def _gssapi_login(
    call: Call, principal: str, proxyuser: str | None, exclusive: bool | None
) -> dict[str, Any]:
    # The hub maps a principal to the user holding it (hosts get theirs at addHost).
    if proxyuser:
        raise koji.AuthError(f"{principal} is not authorized to login other users")
    user = user_by_principal(call.db, principal)
    if user is None:
        raise koji.AuthError(f"Unknown Kerberos principal: {principal}")
    return _login_session(call, user, koji.AUTHTYPES["GSSAPI"], exclusive)


def _login_session(call: Call, user: Row, authtype: int, exclusive: bool | None) -> dict[str, Any]:
    """A new session of ``user``, logged in by ``authtype``: the hub refuses disabled users
    whichever way they authenticated."""
    if user["status"] != koji.USER_STATUS["NORMAL"]:
        raise koji.AuthError(f"logins by {user['name']} are not allowed")
    sinfo = create_session(call.db, user["id"], authtype)
    if exclusive:
        _make_exclusive(call.db, sinfo["session-id"], user["id"], None, force=False)
    return sinfo


@API.export("logout")
def logout(call: Call, session_id: int | None = None) -> None:
    session = call.session
    if session is None:
        raise koji.AuthError("Not logged in")
    target = session_id or session.id
    if session_id and not has_perm(call, "admin"):
        owner = call.db.value("SELECT user_id FROM sessions WHERE id = ?", (session_id,))
        if owner != session.user_id:
            raise koji.ActionNotAllowed("only admins or owner may logout other session")
    call.db.run(
        "UPDATE sessions SET expired = 1, exclusive = NULL, closed = 1 WHERE id = ? OR master = ?",
        (target, target),
    )


@API.export("subsession")
def subsession(call: Call) -> dict[str, Any]:
    session = call.session
    if session is None:
        raise koji.AuthError("Not logged in")
    master = session.master if session.master is not None else session.id
    return create_session(call.db, session.user_id, session.authtype, master=master)


@API.export("logoutChild")
def logout_child(call: Call, session_id: int) -> None:
    session = call.session
    if session is None:
        raise koji.AuthError("Not logged in")
    call.db.run(
        "UPDATE sessions SET expired = 1, exclusive = NULL, closed = 1 WHERE id = ? AND master = ?",
        (session_id, session.id),
    )


def _make_exclusive(
    db: Cursor, session_id: int, user_id: int, master: int | None, force: bool
) -> None:
    if master is not None:
        raise koji.GenericError("subsessions cannot become exclusive")
    excl_id = db.value(
        "SELECT id FROM sessions WHERE user_id = ? AND closed = 0 AND exclusive = 1 AND id != ?",
        (user_id, session_id),
    )
    if excl_id is not None:
        if not force:
            raise koji.AuthLockError("Cannot get exclusive session")
        db.run(
            "UPDATE sessions SET expired = 1, exclusive = NULL, closed = 1 WHERE id = ?",
            (excl_id,),
        )
    db.run("UPDATE sessions SET exclusive = 1 WHERE id = ?", (session_id,))


@API.export("exclusiveSession")
def exclusive_session(call: Call, force: bool = False) -> None:
    session = require_login(call)
    # The hub refuses a subsession before looking at the lock (a subsession of an
    # exclusive master counts as exclusive).
    if session.master is not None:
        raise koji.GenericError("subsessions cannot become exclusive")
    if session.exclusive:
        raise koji.GenericError("session is already exclusive")
    _make_exclusive(call.db, session.id, session.user_id, session.master, force)


@API.export("sharedSession")
def shared_session(call: Call) -> None:
    session = require_login(call)
    call.db.run("UPDATE sessions SET exclusive = NULL WHERE id = ?", (session.id,))


def _session_data(row: Row, details: bool) -> dict[str, Any]:
    """A sessions row as the hub's getSessionInfo shows it (times as text and as epoch)."""
    info: dict[str, Any] = {
        "user_id": row["user_id"],
        "authtype": row["authtype"],
        "callnum": row["callnum"],
        "exclusive": True if row["exclusive"] else None,
        "expired": bool(row["expired"]),
        "master": row["master"],
        "start_time": clock.iso(row["start_time"]),
        "start_ts": row["start_time"],
        "update_time": clock.iso(row["update_time"]),
        "update_ts": row["update_time"],
        # devhub never renews a session (the hub's SessionRenewalTimeout).
        "renew_time": None,
        "renew_ts": None,
    }
    if details:
        info.update(hostip=None, id=row["id"])  # devhub does not record client addresses
    return info


@API.export("getSessionInfo")
def get_session_info(
    call: Call, details: bool = False, user_id: Any = None
) -> dict[str, Any] | list[dict[str, Any]] | None:
    """The caller's session, or (user_id) every open session of a user: admins may ask about
    anyone, others only about themselves, as on the hub."""
    if call.session is None:
        return None
    session: Session = call.session
    if user_id:
        user = get_user(call.db, user_id)
        if user is None:
            raise koji.GenericError(f"No such user: {user_id!r}")
        if user["id"] != session.user_id and not has_perm(call, "admin"):
            raise koji.ActionNotAllowed("only admins or owners may see all active sessions")
        rows = call.db.rows(
            "SELECT * FROM sessions WHERE user_id = ? AND expired = 0 AND closed = 0 ORDER BY id",
            (user["id"],),
        )
        return [_session_data(row, details) for row in rows]
    row = call.db.one("SELECT * FROM sessions WHERE id = ?", (session.id,))
    assert row is not None
    return _session_data(row, details)


def user_info(
    db: Cursor, row: Row, krb_princs: bool = True, groups: bool = False
) -> dict[str, Any]:
    """A user as getUser returns it: krb_principals only when asked (the default), groups
    only when asked. devhub has no user groups: that list is empty."""
    info: dict[str, Any] = {
        "id": row["id"],
        "name": row["name"],
        "status": row["status"],
        "usertype": row["usertype"],
    }
    if krb_princs:
        info["krb_principals"] = krb_principals(db, row["id"])
    if groups:
        info["groups"] = []
    return info


@API.export("getLoggedInUser")
def get_logged_in_user(call: Call) -> dict[str, Any] | None:
    """getUser's answer plus the session's authtype and the first principal (or None), as the
    hub adds them for the koji CLI's moshimoshi."""
    if call.session is None:
        return None
    row = get_user(call.db, call.session.user_id)
    assert row is not None
    info = user_info(call.db, row)
    info["authtype"] = call.session.authtype
    info["krb_principal"] = info["krb_principals"][0] if info["krb_principals"] else None
    return info


@API.export("getUser")
def get_user_call(
    call: Call,
    userInfo: Any = None,
    strict: bool = False,
    krb_princs: bool = True,
    groups: bool = False,
) -> dict[str, Any] | None:
    if userInfo is None:
        if call.session is None:
            raise koji.GenericError("No user provided")
        userInfo = call.session.user_id
    row = get_user(call.db, userInfo)
    if row is None:
        if strict:
            raise koji.GenericError(f"No such user: {userInfo!r}")
        return None
    return user_info(call.db, row, krb_princs, groups)


@API.export("getPerms")
def get_perms(call: Call) -> list[str]:
    if call.session is None:
        return []
    return user_perms(call.db, call.session.user_id)


@API.export("getUserPerms")
def get_user_perms(call: Call, userID: Any = None, with_groups: bool = True) -> list[str]:
    if userID is None and call.session is None:
        raise koji.GenericError("No user provided")
    row = get_user(call.db, userID if userID is not None else call.session.user_id)
    if row is None:
        raise koji.GenericError(f"No such user: {userID!r}")
    return user_perms(call.db, row["id"])


@API.export("hasPerm")
def has_perm_call(call: Call, perm: str, strict: bool = False) -> bool:
    return has_perm(call, perm)


@API.export("createUser")
def create_user_call(
    call: Call, username: str, status: int | None = None, krb_principal: str | None = None
) -> int:
    require_perm(call, "admin")
    user_id = create_user(call.db, username)
    if krb_principal:
        add_krb_principal(call.db, user_id, krb_principal)
    return user_id


@API.export("grantPermission")
def grant_permission(
    call: Call, userinfo: Any, permission: str, create: bool = False, description: Any = None
) -> None:
    """Admin only. devhub has no permissions table: every name exists, so `create` changes
    nothing; the hub's refusals (description without create, a permission held) are kept."""
    require_perm(call, "admin")
    if description is not None and not create:
        raise koji.GenericError("Description should be specified only with create.")
    row = get_user(call.db, userinfo)
    if row is None:
        raise koji.GenericError(f"No such user: {userinfo!r}")
    held = call.db.one(
        "SELECT 1 FROM user_perms WHERE user_id = ? AND perm = ?", (row["id"], permission)
    )
    if held is not None:
        raise koji.GenericError(f"user {userinfo} already has permission: {permission}")
    grant_perm(call.db, row["id"], permission)
