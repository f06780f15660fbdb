"""devhub maps Kerberos principals to users as the hub does (addHost, HostPrincipalFormat)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import koji
import pytest

from adjutant.devhub import rpc, sessions
from tests.support.devhub import HubHarness


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubHarness]:
    harness = HubHarness(tmp_path / "hub")
    harness.add_user("hostadmin", "host")
    try:
        yield harness
    finally:
        harness.close()


def test_add_host_takes_its_principal_from_host_principal_format(hub: HubHarness) -> None:
    hub.hub.config.host_principal_format = "compile/%s@EXAMPLE.COM"

    hub.call("hostadmin", "addHost", "b1.example.com", ["x86_64"], exclusive=False)
    hub.call("hostadmin", "addHost", "b2.example.com", ["x86_64"],
             krb_principal="worker/b2@KOJI.BOX", exclusive=False)  # fmt: skip

    assert hub.admin("getUser", "b1.example.com")["krb_principals"] == [
        "compile/b1.example.com@EXAMPLE.COM"
    ]
    assert hub.admin("getUser", "b2.example.com")["krb_principals"] == ["worker/b2@KOJI.BOX"]


def test_without_a_format_a_host_gets_no_principal(hub: HubHarness) -> None:
    hub.call("hostadmin", "addHost", "b1.example.com", ["x86_64"], exclusive=False)
    assert hub.admin("getUser", "b1.example.com")["krb_principals"] == []


def _gss_login(hub: HubHarness, principal: str) -> dict[str, object]:
    with hub.db.transaction() as cur:
        call = rpc.Call(db=cur, config=hub.hub.config, session=None, gss_principal=principal)
        return sessions.ssl_login(call, exclusive=True)


def test_a_kerberos_login_is_the_user_holding_the_principal(hub: HubHarness) -> None:
    hub.call("hostadmin", "addHost", "b1.example.com", ["x86_64"],
             krb_principal="worker/b1@KOJI.BOX", exclusive=False)  # fmt: skip

    sinfo = _gss_login(hub, "worker/b1@KOJI.BOX")

    with hub.db.transaction() as cur:
        row = cur.one("SELECT users.name, authtype, exclusive FROM sessions JOIN users"
                      " ON users.id = sessions.user_id WHERE sessions.id = ?",
                      (sinfo["session-id"],))  # fmt: skip
    assert row is not None
    assert (row["name"], row["authtype"], row["exclusive"]) == (
        "b1.example.com",
        koji.AUTHTYPES["GSSAPI"],
        1,
    )


def test_an_unknown_principal_is_refused(hub: HubHarness) -> None:
    with pytest.raises(koji.AuthError, match="Unknown Kerberos principal: nobody@KOJI.BOX"):
        _gss_login(hub, "nobody@KOJI.BOX")
