"""devhub's login and session rules as koji's hub applies them: sslLogin by certificate CN,
exclusive sessions, subsessions, logout, call numbers, and the user and permission calls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import koji
import pytest

from adjutant.devhub import rpc, sessions
from tests.support.devhub import HubHarness


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubHarness]:
    harness = HubHarness(tmp_path / "hub")
    harness.add_user("alice")
    harness.add_user("bob")
    try:
        yield harness
    finally:
        harness.close()


def _call(
    hub: HubHarness,
    method: str,
    *args: Any,
    sinfo: dict[str, Any] | None = None,
    peer_cn: str | None = None,
    callnum: int | None = None,
    **kwargs: Any,
) -> Any:
    """Call as a client holding `sinfo` (an sslLogin answer) or presenting certificate `peer_cn`."""
    headers: dict[str, str] = {}
    if sinfo is not None:
        headers = {
            "Koji-Session-Id": str(sinfo["session-id"]),
            "Koji-Session-Key": sinfo["session-key"],
        }
    if callnum is not None:
        headers["Koji-Session-Callnum"] = str(callnum)
    with hub.db.transaction() as cur:
        session = sessions.load_session(cur, headers, method)
        call = rpc.Call(db=cur, config=hub.hub.config, session=session, peer_cn=peer_cn)
        result = rpc.dispatch(call, method, tuple(koji.encode_args(*args, **kwargs)))
        sessions.record_callnum(cur, session)
        return result


def test_ssl_login_maps_the_certificate_cn_to_a_known_normal_user(hub: HubHarness) -> None:
    sinfo = _call(hub, "sslLogin", peer_cn="alice")
    assert _call(hub, "getLoggedInUser", sinfo=sinfo)["name"] == "alice"
    assert _call(hub, "getLoggedInUser") is None
    with pytest.raises(koji.AuthError, match="Already logged in"):
        _call(hub, "sslLogin", sinfo=sinfo, peer_cn="alice")
    with pytest.raises(koji.AuthError, match="could not verify client"):
        _call(hub, "sslLogin")
    with pytest.raises(koji.AuthError, match="Unknown user"):
        _call(hub, "sslLogin", peer_cn="mallory")
    with pytest.raises(koji.AuthError, match="not authorized to login other users"):
        _call(hub, "sslLogin", "bob", peer_cn="alice")
    with hub.db.transaction() as cur:
        cur.run("UPDATE users SET status = ? WHERE name = 'bob'", (koji.USER_STATUS["BLOCKED"],))
    with pytest.raises(koji.AuthError, match="logins by bob are not allowed"):
        _call(hub, "sslLogin", peer_cn="bob")


def test_sessions_reject_bad_ids_keys_and_expired_logins(hub: HubHarness) -> None:
    sinfo = _call(hub, "sslLogin", peer_cn="alice")
    with hub.db.transaction() as cur:
        with pytest.raises(koji.AuthError, match="Invalid session id"):
            sessions.load_session(cur, {"Koji-Session-Id": "x"}, "echo")
        with pytest.raises(koji.AuthError, match="bad credentials"):
            sessions.load_session(
                cur, {"Koji-Session-Id": str(sinfo["session-id"]), "Koji-Session-Key": "no"}, "echo"
            )
    with pytest.raises(koji.AuthError, match="Invalid callnum"):
        with hub.db.transaction() as cur:
            headers = {
                "Koji-Session-Id": str(sinfo["session-id"]),
                "Koji-Session-Key": sinfo["session-key"],
                "Koji-Session-Callnum": "one",
            }
            sessions.load_session(cur, headers, "echo")
    with hub.db.transaction() as cur:
        cur.run("UPDATE sessions SET expired = 1 WHERE id = ?", (sinfo["session-id"],))
    with pytest.raises(koji.AuthExpired):
        _call(hub, "echo", sinfo=sinfo)


def test_call_numbers_may_not_go_back_and_only_retryable_calls_repeat(hub: HubHarness) -> None:
    sinfo = _call(hub, "sslLogin", peer_cn="alice")
    _call(hub, "getLoggedInUser", sinfo=sinfo, callnum=5)
    with pytest.raises(koji.SequenceError):
        _call(hub, "getLoggedInUser", sinfo=sinfo, callnum=4)
    with pytest.raises(koji.RetryError, match="unable to retry call 5"):
        _call(hub, "logout", sinfo=sinfo, callnum=5)
    _call(hub, "getLoggedInUser", sinfo=sinfo, callnum=6)
    assert _call(hub, "getSessionInfo", sinfo=sinfo)["callnum"] == 6


def test_one_exclusive_session_per_user_unless_forced(hub: HubHarness) -> None:
    first = _call(hub, "sslLogin", peer_cn="alice", exclusive=True)
    with pytest.raises(koji.AuthLockError):
        _call(hub, "sslLogin", peer_cn="alice", exclusive=True)
    second = _call(hub, "sslLogin", peer_cn="alice")
    assert _call(hub, "getSessionInfo", sinfo=first)["exclusive"] is True
    with pytest.raises(koji.GenericError, match="already exclusive"):
        _call(hub, "exclusiveSession", sinfo=first)
    with pytest.raises(koji.AuthLockError):
        _call(hub, "exclusiveSession", sinfo=second)
    _call(hub, "exclusiveSession", sinfo=second, force=True)  # takes the lock over
    with pytest.raises(koji.AuthError):
        _call(hub, "echo", sinfo=first)  # the old session was closed
    _call(hub, "sharedSession", sinfo=second)
    assert _call(hub, "getSessionInfo", sinfo=second)["exclusive"] is None


def test_subsessions_share_the_master_lock_and_close_with_it(hub: HubHarness) -> None:
    master = _call(hub, "sslLogin", peer_cn="alice", exclusive=True)
    child = _call(hub, "subsession", sinfo=master)
    info = _call(hub, "getSessionInfo", details=True, sinfo=child)
    assert info["master"] == master["session-id"] and info["id"] == child["session-id"]
    with pytest.raises(koji.GenericError, match="subsessions cannot become exclusive"):
        _call(hub, "exclusiveSession", sinfo=child)
    grandchild = _call(hub, "subsession", sinfo=child)
    assert _call(hub, "getSessionInfo", sinfo=grandchild)["master"] == master["session-id"]
    _call(hub, "logoutChild", child["session-id"], sinfo=master)
    with pytest.raises(koji.AuthError):
        _call(hub, "echo", sinfo=child)
    _call(hub, "logout", sinfo=master)
    with pytest.raises(koji.AuthError):
        _call(hub, "echo", sinfo=grandchild)  # a master's logout ends its subsessions


def test_logout_of_another_users_session_is_for_admins(hub: HubHarness) -> None:
    alice = _call(hub, "sslLogin", peer_cn="alice")
    bob = _call(hub, "sslLogin", peer_cn="bob")
    with pytest.raises(koji.ActionNotAllowed, match="only admins or owner"):
        _call(hub, "logout", alice["session-id"], sinfo=bob)
    hub.admin("logout", alice["session-id"])
    with pytest.raises(koji.AuthError):
        _call(hub, "echo", sinfo=alice)
    with pytest.raises(koji.AuthError, match="Not logged in"):
        _call(hub, "logout")
    with pytest.raises(koji.AuthError, match="Not logged in"):
        _call(hub, "subsession")


def test_session_info_of_other_users_is_for_admins(hub: HubHarness) -> None:
    alice = _call(hub, "sslLogin", peer_cn="alice")
    bob = _call(hub, "sslLogin", peer_cn="bob")
    assert _call(hub, "getSessionInfo") is None
    mine = _call(hub, "getSessionInfo", user_id="alice", sinfo=alice)
    assert [s["user_id"] for s in mine] == [hub.admin("getUser", "alice")["id"]]
    with pytest.raises(koji.ActionNotAllowed):
        _call(hub, "getSessionInfo", user_id="alice", sinfo=bob)
    assert len(hub.admin("getSessionInfo", user_id="bob")) == 1
    with pytest.raises(koji.GenericError, match="No such user"):
        hub.admin("getSessionInfo", user_id="nobody")


def test_user_and_permission_calls(hub: HubHarness) -> None:
    alice = _call(hub, "sslLogin", peer_cn="alice")
    assert _call(hub, "getUser", sinfo=alice)["name"] == "alice"
    with pytest.raises(koji.GenericError, match="No user provided"):
        _call(hub, "getUser")
    assert _call(hub, "getUser", "nobody") is None
    with pytest.raises(koji.GenericError, match="No such user"):
        _call(hub, "getUser", "nobody", strict=True)
    assert _call(hub, "getUser", "alice", groups=True, krb_princs=False) == {
        "id": hub.admin("getUser", "alice")["id"],
        "name": "alice",
        "status": koji.USER_STATUS["NORMAL"],
        "usertype": koji.USERTYPES["NORMAL"],
        "groups": [],
    }
    assert _call(hub, "getPerms") == [] and _call(hub, "getPerms", sinfo=alice) == []
    with pytest.raises(koji.ActionNotAllowed):
        _call(hub, "grantPermission", "alice", "tag", sinfo=alice)
    hub.admin("grantPermission", "alice", "tag")
    with pytest.raises(koji.GenericError, match="already has permission"):
        hub.admin("grantPermission", "alice", "tag")
    with pytest.raises(koji.GenericError, match="only with create"):
        hub.admin("grantPermission", "alice", "repo", description="x")
    with pytest.raises(koji.GenericError, match="No such user"):
        hub.admin("grantPermission", "nobody", "repo")
    assert _call(hub, "getPerms", sinfo=alice) == ["tag"]
    assert _call(hub, "getUserPerms", "alice") == ["tag"]
    assert _call(hub, "getUserPerms", sinfo=alice) == ["tag"]
    with pytest.raises(koji.GenericError, match="No user provided"):
        _call(hub, "getUserPerms")
    with pytest.raises(koji.GenericError, match="No such user"):
        _call(hub, "getUserPerms", "nobody")
    assert _call(hub, "hasPerm", "tag", sinfo=alice) is True
    assert _call(hub, "hasPerm", "repo", sinfo=alice) is False
    with pytest.raises(koji.ActionNotAllowed):
        _call(hub, "createUser", "carol", sinfo=alice)
    carol = hub.admin("createUser", "carol", krb_principal="carol@EXAMPLE.COM")
    assert hub.admin("getUser", carol)["krb_principals"] == ["carol@EXAMPLE.COM"]
