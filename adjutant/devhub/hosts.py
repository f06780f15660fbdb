"""Build hosts and channels: registration, the host's own identity calls and the heartbeat.

Host rows are what the scheduler reads (arches, capacity, enabled, ready, task_load, the
`data` a host sends with updateHost). `require_host` is the real hub's Host.verify: every
`host.*` call needs a host user's exclusive session.
"""

from __future__ import annotations

import json
from typing import Any

import koji

from adjutant.devhub import clock
from adjutant.devhub.db import Cursor, Row
from adjutant.devhub.lookup import by_id_or_name
from adjutant.devhub.rpc import API, Call
from adjutant.devhub.sessions import add_krb_principal, create_user, get_user, require_perm


def host_info(row: Row) -> dict[str, Any]:
    """A host as getHost/listHosts return it."""
    return {
        "id": row["id"],
        "user_id": row["user_id"],
        "name": row["name"],
        "update_ts": row["update_time"],
        "ready": bool(row["ready"]),
        "task_load": row["task_load"],
        "arches": row["arches"],
        "capacity": row["capacity"],
        "description": row["description"],
        "comment": row["comment"],
        "enabled": bool(row["enabled"]),
    }


def find_host(db: Cursor, info: int | str | dict[str, Any], strict: bool = False) -> Row | None:
    """A host row by id or name."""
    return by_id_or_name(db, "hosts", info, strict, "Invalid hostInfo: {info}")


def find_channel(db: Cursor, info: int | str, strict: bool = False) -> Row | None:
    """A channel row by id or name."""
    return by_id_or_name(db, "channels", info, strict, "No such channel: {info}")


def ensure_channel(db: Cursor, name: str) -> int:
    """The id of a channel, creating it."""
    row = find_channel(db, name)
    if row is not None:
        return int(row["id"])
    return db.run("INSERT INTO channels (name) VALUES (?)", (name,))


def require_host(call: Call) -> Row:
    """The calling host's row, enforcing the real hub's Host.verify rules.

    Raises:
        koji.AuthError: not logged in, not a host user, or the session is not exclusive.
    """
    session = call.session
    if session is None:
        raise koji.AuthError("Not logged-in")
    row = call.db.one("SELECT * FROM hosts WHERE user_id = ?", (session.user_id,))
    if row is None:
        raise koji.AuthError(f"User {session.user_id} is not a host")
    if not session.exclusive:
        raise koji.AuthError("This method requires an exclusive session")
    return row


def add_host(
    db: Cursor,
    name: str,
    arches: list[str],
    capacity: float = 2.0,
    krb_principal: str | None = None,
) -> int:
    """Register a build host: a HOST user (with its principal), the host row, the default
    channel."""
    if not name or any(c.isspace() for c in name):
        raise koji.GenericError(f"Invalid host name: {name!r}")
    arch_text = koji.parse_arches(" ".join(arches), strict=True)
    if find_host(db, name) is not None:
        raise koji.GenericError(f"host already exists: {name}")
    user = get_user(db, name)
    if user is None:
        user_id = create_user(db, name, koji.USERTYPES["HOST"])
    elif user["usertype"] != koji.USERTYPES["HOST"]:
        raise koji.GenericError(f"user {name} already exists and it is not a host")
    else:
        user_id = user["id"]
    host_id = db.run(
        "INSERT INTO hosts (user_id, name, arches, capacity) VALUES (?, ?, ?, ?)",
        (user_id, name, arch_text, capacity),
    )
    db.run(
        "INSERT INTO host_channels (host_id, channel_id) VALUES (?, ?)",
        (host_id, ensure_channel(db, "default")),
    )
    if krb_principal:
        add_krb_principal(db, user_id, krb_principal)
    return host_id


@API.export("addHost")
def add_host_call(
    call: Call,
    hostname: str,
    arches: list[str],
    krb_principal: str | None = None,
    force: bool = False,
) -> int:
    require_perm(call, "host")
    # As the hub: an explicit principal wins, else HostPrincipalFormat names one, else none.
    fmt = call.config.host_principal_format
    if krb_principal is None and fmt:
        krb_principal = fmt % hostname
    return add_host(call.db, hostname, arches, krb_principal=krb_principal)


@API.export("getHost")
def get_host(call: Call, hostInfo: Any, strict: bool = False, event: int | None = None) -> Any:
    row = find_host(call.db, hostInfo, strict)
    return host_info(row) if row is not None else None


@API.export("listHosts")
def list_hosts(
    call: Call,
    arches: Any = None,
    channelID: Any = None,
    ready: bool | None = None,
    enabled: bool | None = None,
    userID: Any = None,
    queryOpts: Any = None,
) -> list[dict[str, Any]]:
    rows = call.db.rows("SELECT * FROM hosts ORDER BY id")
    if channelID is not None:
        channel = find_channel(call.db, channelID, strict=True)
        assert channel is not None
        members = {
            r["host_id"]
            for r in call.db.rows(
                "SELECT host_id FROM host_channels WHERE channel_id = ?", (channel["id"],)
            )
        }
        rows = [r for r in rows if r["id"] in members]
    if arches is not None:
        wanted = set(arches if isinstance(arches, list | tuple) else [arches])
        rows = [r for r in rows if wanted & set(r["arches"].split())]
    if ready is not None:
        rows = [r for r in rows if bool(r["ready"]) == bool(ready)]
    if enabled is not None:
        rows = [r for r in rows if bool(r["enabled"]) == bool(enabled)]
    if userID is not None:
        user = get_user(call.db, userID)
        rows = [r for r in rows if user is not None and r["user_id"] == user["id"]]
    return [host_info(r) for r in rows]


@API.export("getLastHostUpdate")
def get_last_host_update(call: Call, hostID: Any, ts: bool = False) -> Any:
    """When the host last called the hub: its sessions' newest update time, as on the hub
    (None for a host that never called, or no such host)."""
    when = call.db.value(
        "SELECT MAX(s.update_time) FROM sessions s JOIN hosts h ON h.user_id = s.user_id "
        "WHERE h.id = ?",
        (int(hostID),),
    )
    if when is None:
        return None
    return when if ts else clock.iso(when)


@API.export("editHost")
def edit_host(call: Call, hostInfo: Any, **kw: Any) -> bool:
    require_perm(call, "host")
    row = find_host(call.db, hostInfo, strict=True)
    assert row is not None
    changed = False
    for key in ("arches", "capacity", "description", "comment", "name"):
        if key in kw and kw[key] != row[key]:
            value = kw[key]
            if key == "arches":
                value = koji.parse_arches(value, strict=True)
            if key == "capacity":
                value = float(value)
            call.db.run(f"UPDATE hosts SET {key} = ? WHERE id = ?", (value, row["id"]))
            changed = True
    return changed


def _set_enabled(call: Call, hostname: str, enabled: bool) -> None:
    require_perm(call, "host")
    row = find_host(call.db, hostname, strict=True)
    assert row is not None
    call.db.run("UPDATE hosts SET enabled = ? WHERE id = ?", (int(enabled), row["id"]))


@API.export("enableHost")
def enable_host(call: Call, hostname: str) -> None:
    _set_enabled(call, hostname, True)


@API.export("disableHost")
def disable_host(call: Call, hostname: str) -> None:
    _set_enabled(call, hostname, False)


def channel_info(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "enabled": bool(row["enabled"]),
        "description": row["description"],
        "comment": row["comment"],
    }


@API.export("getChannel")
def get_channel(call: Call, channelInfo: Any, strict: bool = False) -> Any:
    row = find_channel(call.db, channelInfo, strict)
    return channel_info(row) if row is not None else None


@API.export("listChannels")
def list_channels(
    call: Call, hostID: Any = None, event: Any = None, enabled: bool | None = None
) -> list[dict[str, Any]]:
    if hostID is None:
        rows = call.db.rows("SELECT * FROM channels ORDER BY id")
    else:
        host = find_host(call.db, hostID, strict=True)
        assert host is not None
        rows = call.db.rows(
            "SELECT c.* FROM channels c JOIN host_channels hc ON hc.channel_id = c.id "
            "WHERE hc.host_id = ? ORDER BY c.id",
            (host["id"],),
        )
    if enabled is not None:
        rows = [r for r in rows if bool(r["enabled"]) == bool(enabled)]
    return [channel_info(r) for r in rows]


@API.export("addChannel")
def add_channel(call: Call, channel_name: str, description: str | None = None) -> int:
    require_perm(call, "admin")
    if find_channel(call.db, channel_name) is not None:
        raise koji.GenericError(f"channel {channel_name} already exists")
    return call.db.run(
        "INSERT INTO channels (name, description) VALUES (?, ?)", (channel_name, description)
    )


@API.export("addHostToChannel")
def add_host_to_channel(
    call: Call, hostname: str, channel_name: str, create: bool = False, force: bool = False
) -> None:
    require_perm(call, "host")
    host = find_host(call.db, hostname, strict=True)
    assert host is not None
    if create:
        channel_id = ensure_channel(call.db, channel_name)
    else:
        channel = find_channel(call.db, channel_name, strict=True)
        assert channel is not None
        channel_id = channel["id"]
    if call.db.one(
        "SELECT 1 FROM host_channels WHERE host_id = ? AND channel_id = ?",
        (host["id"], channel_id),
    ):
        raise koji.GenericError(f"host {hostname} is already subscribed to {channel_name} channel")
    call.db.run(
        "INSERT INTO host_channels (host_id, channel_id) VALUES (?, ?)", (host["id"], channel_id)
    )


@API.export("removeHostFromChannel")
def remove_host_from_channel(call: Call, hostname: str, channel_name: str) -> None:
    require_perm(call, "host")
    host = find_host(call.db, hostname, strict=True)
    channel = find_channel(call.db, channel_name, strict=True)
    assert host is not None and channel is not None
    call.db.run(
        "DELETE FROM host_channels WHERE host_id = ? AND channel_id = ?",
        (host["id"], channel["id"]),
    )


# --- the host's own calls ----------------------------------------------------------------


@API.export("host.getID")
def host_get_id(call: Call) -> int:
    return int(require_host(call)["id"])


@API.export("host.getHost")
def host_get_host(call: Call) -> dict[str, Any]:
    return host_info(require_host(call))


@API.export("host.updateHost")
def host_update_host(call: Call, task_load: float, ready: bool, data: Any = None) -> None:
    """The heartbeat: load, readiness and the data the scheduler reads (maxjobs, methods)."""
    host = require_host(call)
    call.db.run(
        "UPDATE hosts SET task_load = ?, ready = ?, update_time = ? WHERE id = ?",
        (float(task_load), int(bool(ready)), clock.now(), host["id"]),
    )
    if data is not None:
        _store_host_data(call.db, host["id"], data)


def _store_host_data(db: Cursor, host_id: int, data: Any) -> None:
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise koji.ParameterError(f"host data is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise koji.ParameterError(f"host data must be a dict, not {type(data).__name__}")
    db.run("UPDATE hosts SET data = ? WHERE id = ?", (json.dumps(data), host_id))


@API.export("host.setHostData")
def host_set_host_data(call: Call, hostdata: Any) -> None:
    _store_host_data(call.db, require_host(call)["id"], hostdata)


@API.export("scheduler.getHostData")
def get_host_data(call: Call, hostID: int | None = None) -> list[dict[str, Any]]:
    """The data hosts last sent with host.updateHost/setHostData, as [{host_id, data}] ordered
    by host (the hub keeps it in the scheduler's namespace; `koji hostinfo` reads it)."""
    if hostID is None:
        rows = call.db.rows("SELECT id, data FROM hosts WHERE data IS NOT NULL ORDER BY id")
    else:
        rows = call.db.rows(
            "SELECT id, data FROM hosts WHERE id = ? AND data IS NOT NULL", (int(hostID),)
        )
    return [{"host_id": row["id"], "data": json.loads(row["data"])} for row in rows]


def channel_ids(db: Cursor, host_id: int) -> list[int]:
    """The channels a host serves."""
    return [
        r["channel_id"]
        for r in db.rows("SELECT channel_id FROM host_channels WHERE host_id = ?", (host_id,))
    ]
